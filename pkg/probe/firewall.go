package probe

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// FirewallRule is a rule (or a chain's policy) of a node's packet filter
// that drops or rejects packets, with its packet counter when it has one.
type FirewallRule struct {
	Source string `json:"source"` // iptables or nft
	Table  string `json:"table"`  // "filter", or "inet netdebug-guard" for nft
	Chain  string `json:"chain"`
	// Rule is the rule as the tool prints it, counters left out; for a
	// chain policy, "policy DROP".
	Rule    string `json:"rule"`
	Verdict string `json:"verdict"` // DROP, REJECT, drop, reject
	// Packets is the counter; Counted says whether the rule has one (nft
	// rules count only with the counter statement).
	Packets uint64 `json:"packets"`
	Counted bool   `json:"counted"`
	// Owner is who wrote the rule, by its table or chain name.
	Owner RuleOwner `json:"owner"`

	proto  string
	dports []portRange
	src    []*net.IPNet
	dst    []*net.IPNet
}

// RuleOwner tells node firewall rules from the rules of Kubernetes' own
// components, by the names they give their chains and tables.
type RuleOwner string

const (
	OwnerKubeProxy RuleOwner = "kube-proxy"
	// OwnerPolicy: a network plugin's NetworkPolicy rules.
	OwnerPolicy RuleOwner = "network-policy"
	// OwnerCNI: a network plugin's other rules (port maps, masquerade).
	OwnerCNI RuleOwner = "cni"
	// OwnerNode: anything else: the node's own firewall.
	OwnerNode RuleOwner = "node"
)

// ownerPrefixes maps chain and nft table name prefixes to their owner,
// longest first where they overlap (KUBE-NWPLCY- is kube-router's policy
// chain, not kube-proxy's).
var ownerPrefixes = []struct {
	prefix string
	owner  RuleOwner
}{
	{"KUBE-NWPLCY-", OwnerPolicy}, {"KUBE-POD-FW-", OwnerPolicy}, {"KUBE-ROUTER-", OwnerPolicy},
	{"cali-", OwnerPolicy}, {"CILIUM_", OwnerPolicy}, {"cilium", OwnerPolicy}, {"ANTREA", OwnerPolicy}, {"antrea", OwnerPolicy},
	{"WEAVE-NPC", OwnerPolicy}, {"kube-network-policies", OwnerPolicy}, {"OVN-KUBE-", OwnerPolicy}, {"calico", OwnerPolicy},
	{"KUBE-", OwnerKubeProxy}, {"kube-proxy", OwnerKubeProxy},
	{"CNI-", OwnerCNI}, {"FLANNEL", OwnerCNI}, {"cni-", OwnerCNI},
}

func ownerOf(names ...string) RuleOwner {
	for _, n := range names {
		for _, p := range ownerPrefixes {
			if strings.HasPrefix(n, p.prefix) {
				return p.owner
			}
		}
	}
	return OwnerNode
}

type portRange struct{ lo, hi int }

// Flow is the packet a rule is matched against.
type Flow struct {
	Proto    string // tcp, udp, icmp
	Src, Dst net.IP
	DPort    int // 0 for ICMP
}

// Matches says whether the rule could apply to the flow: no criterion it
// was read with contradicts it. Criteria it was not read with (interfaces,
// marks, negations, sets) never rule it out.
func (r FirewallRule) Matches(f Flow) bool {
	if r.proto != "" && f.Proto != "" && r.proto != f.Proto {
		return false
	}
	if len(r.dports) > 0 {
		if f.DPort == 0 {
			return false
		}
		in := false
		for _, p := range r.dports {
			in = in || (f.DPort >= p.lo && f.DPort <= p.hi)
		}
		if !in {
			return false
		}
	}
	return netsContain(r.src, f.Src) && netsContain(r.dst, f.Dst)
}

func netsContain(nets []*net.IPNet, ip net.IP) bool {
	if len(nets) == 0 || ip == nil {
		return true
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// key identifies a rule across two reads of the same rule set.
func (r FirewallRule) key() string {
	return r.Source + "\x00" + r.Table + "\x00" + r.Chain + "\x00" + r.Rule
}

// DroppedBetween lists the rules of after whose counters grew since before:
// the drops that happened between the two reads.
func DroppedBetween(before, after []FirewallRule) []FirewallRule {
	was := map[string]uint64{}
	for _, r := range before {
		if r.Counted {
			was[r.key()] = r.Packets
		}
	}
	var out []FirewallRule
	for _, r := range after {
		if p, ok := was[r.key()]; ok && r.Packets > p {
			d := r
			d.Packets = r.Packets - p
			out = append(out, d)
		}
	}
	return out
}

var iptCounter = regexp.MustCompile(`^\[(\d+):(\d+)\]\s+(.*)$`)

// ParseIPTablesSave reads `iptables-save -c` and keeps the rules and chain
// policies that drop or reject.
func ParseIPTablesSave(out string) []FirewallRule {
	var rules []FirewallRule
	table := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			// :FORWARD DROP [12:720]
			f := strings.Fields(line[1:])
			if len(f) >= 3 && (f[1] == "DROP" || f[1] == "REJECT") {
				r := FirewallRule{Source: "iptables", Table: table, Chain: f[0], Rule: "policy " + f[1], Verdict: f[1], Owner: ownerOf(f[0])}
				if m := regexp.MustCompile(`^\[(\d+):`).FindStringSubmatch(f[2]); m != nil {
					r.Packets, _ = strconv.ParseUint(m[1], 10, 64)
					r.Counted = true
				}
				rules = append(rules, r)
			}
		default:
			var packets uint64
			counted := false
			if m := iptCounter.FindStringSubmatch(line); m != nil {
				packets, _ = strconv.ParseUint(m[1], 10, 64)
				counted = true
				line = m[3]
			}
			if !strings.HasPrefix(line, "-A ") {
				continue
			}
			if r, ok := parseIPTablesRule(table, line); ok {
				r.Packets, r.Counted = packets, counted
				rules = append(rules, r)
			}
		}
	}
	return rules
}

func parseIPTablesRule(table, line string) (FirewallRule, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return FirewallRule{}, false
	}
	r := FirewallRule{Source: "iptables", Table: table, Chain: f[1], Rule: line}
	negate := false
	for i := 2; i < len(f); i++ {
		arg := ""
		if i+1 < len(f) {
			arg = f[i+1]
		}
		switch f[i] {
		case "!":
			negate = true
			continue
		case "-j":
			r.Verdict = arg
		case "-p":
			if !negate {
				r.proto = strings.ToLower(arg)
			}
		case "--dport", "--dports", "--destination-port", "--destination-ports":
			if !negate {
				r.dports = parsePorts(arg, ",", ":")
			}
		case "-d":
			if !negate {
				r.dst = parseNets(arg)
			}
		case "-s":
			if !negate {
				r.src = parseNets(arg)
			}
		}
		negate = false
	}
	if r.Verdict != "DROP" && r.Verdict != "REJECT" {
		return FirewallRule{}, false
	}
	r.Owner = ownerOf(r.Chain)
	return r, true
}

func parsePorts(s, listSep, rangeSep string) []portRange {
	var out []portRange
	for _, p := range strings.Split(s, listSep) {
		p = strings.TrimSpace(p)
		lo, hi, isRange := strings.Cut(p, rangeSep)
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil // a named service or a set: unknown, rules nothing out
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil
			}
		}
		out = append(out, portRange{a, b})
	}
	return out
}

func parseNets(s string) []*net.IPNet {
	var out []*net.IPNet
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if !strings.Contains(a, "/") {
			if strings.Contains(a, ":") {
				a += "/128"
			} else {
				a += "/32"
			}
		}
		_, n, err := net.ParseCIDR(a)
		if err != nil {
			return nil // a name or a set: unknown, rules nothing out
		}
		out = append(out, n)
	}
	return out
}

var (
	nftCounter = regexp.MustCompile(`\s*counter packets (\d+) bytes \d+`)
	nftHandle  = regexp.MustCompile(`\s*# handle \d+$`)
	nftDport   = regexp.MustCompile(`\b(tcp|udp|sctp|th) dport (\{[^}]*\}|[\d-]+)`)
	nftProto   = regexp.MustCompile(`\bmeta l4proto (tcp|udp|icmp|sctp)\b|\bip protocol (tcp|udp|icmp|sctp)\b`)
	nftAddr    = regexp.MustCompile(`\bip (saddr|daddr) ([\d./]+)`)
	nftVerdict = regexp.MustCompile(`(?:^|\s)(drop|reject)(?:\s|$)`)
	nftPolicy  = regexp.MustCompile(`\bpolicy (drop);`)
)

// iptablesTables are the tables iptables-nft keeps in nftables: the rules
// in them are read from iptables-save, which prints them as written.
var iptablesTables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// ParseNftRuleset reads `nft list ruleset` and keeps the rules and base
// chain policies that drop or reject. With skipIPTables, the tables of
// iptables-nft (ip/ip6 filter, nat...) are left to ParseIPTablesSave.
func ParseNftRuleset(out string, skipIPTables bool) []FirewallRule {
	var rules []FirewallRule
	var table, chain string
	skip := false
	for _, raw := range strings.Split(out, "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(line, "table "):
			f := strings.Fields(line) // table inet name {
			if len(f) >= 3 {
				table = f[1] + " " + f[2]
				skip = skipIPTables && (f[1] == "ip" || f[1] == "ip6") && iptablesTables[f[2]]
			}
			chain = ""
		case strings.HasPrefix(line, "chain "):
			f := strings.Fields(line)
			if len(f) >= 2 {
				chain = f[1]
			}
		case skip || chain == "" || line == "}" || line == "":
		case nftPolicy.MatchString(line):
			rules = append(rules, FirewallRule{Source: "nft", Table: table, Chain: chain, Rule: "policy drop", Verdict: "drop", Owner: ownerOf(strings.Fields(table)[1], chain)})
		case strings.HasPrefix(line, "type ") || strings.HasPrefix(line, "comment "):
		default:
			m := nftVerdict.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			r := FirewallRule{Source: "nft", Table: table, Chain: chain, Verdict: m[1], Owner: ownerOf(strings.Fields(table)[1], chain)}
			if c := nftCounter.FindStringSubmatch(line); c != nil {
				r.Packets, _ = strconv.ParseUint(c[1], 10, 64)
				r.Counted = true
			}
			r.Rule = nftHandle.ReplaceAllString(nftCounter.ReplaceAllString(line, ""), "")
			if d := nftDport.FindStringSubmatch(line); d != nil {
				if d[1] != "th" {
					r.proto = d[1]
				}
				r.dports = parsePorts(strings.Trim(d[2], "{} "), ",", "-")
			}
			if p := nftProto.FindStringSubmatch(line); p != nil {
				r.proto = p[1] + p[2]
			}
			for _, a := range nftAddr.FindAllStringSubmatch(line, -1) {
				if strings.Contains(line, "ip "+a[1]+" != ") {
					continue
				}
				if a[1] == "saddr" {
					r.src = parseNets(a[2])
				} else {
					r.dst = parseNets(a[2])
				}
			}
			rules = append(rules, r)
		}
	}
	return rules
}
