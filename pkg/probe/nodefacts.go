package probe

import (
	"context"
	"regexp"
	"strings"
)

// RouteGet is the node's answer to `ip route get ADDR`: how a packet to ADDR
// leaves it.
type RouteGet struct {
	Dst string `json:"dst"`
	Via string `json:"via,omitempty"` // next hop; "" when on-link
	Dev string `json:"dev,omitempty"`
	Src string `json:"src,omitempty"`
	// Line is the route as printed.
	Line string `json:"line,omitempty"`
}

// NodeFacts is what a node debug pod read on its node: how packets to the
// peer leave it, its interfaces' MTUs and the rules of its packet filter
// that drop or reject, each read with the node's own tools (chroot /host)
// where it has them, else the image's.
type NodeFacts struct {
	Node string `json:"node"`
	// Route to the peer address; Default is the node's default route.
	Route   *RouteGet      `json:"route,omitempty"`
	Default *RouteGet      `json:"default,omitempty"`
	MTUs    map[string]int `json:"mtus,omitempty"`
	Rules   []FirewallRule `json:"rules,omitempty"`
	// Problems reading: one line per section that could not be read.
	Unread   []string   `json:"unread,omitempty"`
	Evidence []Evidence `json:"evidence"`
}

// nodeFactsScript prints each section after a "### name" line and its exit
// status after "### rc". The node's own tool runs when the node has it (the
// one that matches its kernel and iptables backend), else the image's.
const nodeFactsScript = `peer=$1; what=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
r() {
  t=$1; shift
  if [ -x /host/bin/sh ] && chroot /host /bin/sh -c "command -v $t" >/dev/null 2>&1; then chroot /host "$t" "$@"
  elif command -v "$t" >/dev/null 2>&1; then "$t" "$@"
  else echo "no $t on the node or in the image"; return 127; fi
}
if [ "$what" = all ]; then
  echo "### route"; r ip route get "$peer" 2>&1; echo "### rc $?"
  echo "### default"; r ip route show default 2>&1; echo "### rc $?"
  echo "### links"; r ip -o link show 2>&1; echo "### rc $?"
fi
echo "### iptables"; r iptables-save -c 2>&1; echo "### rc $?"
echo "### nft"; r nft list ruleset 2>&1; echo "### rc $?"
`

// ReadNode reads the node's facts: with all, the route to peer, the default
// route and the MTUs too; without, the firewall rules only (a second read to
// compare counters with).
func (p *Prober) ReadNode(ctx context.Context, node, peer string, all bool) NodeFacts {
	f := NodeFacts{Node: node}
	what := "rules"
	if all {
		what = "all"
	}
	out, ev, err := p.run(ctx, []string{"sh", "-c", nodeFactsScript, "netdebug", peer, what})
	ev.Command = "sh -c '<node facts: ip route get " + peer + "; ip route show default; ip -o link show; iptables-save -c; nft list ruleset>'"
	f.Evidence = append(f.Evidence, ev)
	if err != nil {
		f.Unread = append(f.Unread, "the node's facts: "+err.Error())
		return f
	}
	sections := splitSections(out.Stdout)
	iptables := ""
	for _, s := range sections {
		if s.rc != "0" {
			f.Unread = append(f.Unread, s.name+": "+oneLineOf(s.body))
			continue
		}
		switch s.name {
		case "route":
			f.Route = parseRouteGet(s.body)
		case "default":
			f.Default = parseRouteGet(s.body)
		case "links":
			f.MTUs = parseIPLink(s.body)
		case "iptables":
			iptables = s.body
			f.Rules = append(f.Rules, ParseIPTablesSave(s.body)...)
		case "nft":
			f.Rules = append(f.Rules, ParseNftRuleset(s.body, strings.TrimSpace(iptables) != "")...)
		}
	}
	return f
}

type section struct{ name, body, rc string }

func splitSections(out string) []section {
	var secs []section
	var cur *section
	var body strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "### "); ok {
			if rc, isRC := strings.CutPrefix(name, "rc "); isRC && cur != nil {
				cur.body, cur.rc = body.String(), strings.TrimSpace(rc)
				secs = append(secs, *cur)
				cur = nil
				continue
			}
			cur = &section{name: strings.TrimSpace(name)}
			body.Reset()
			continue
		}
		if cur != nil {
			body.WriteString(line + "\n")
		}
	}
	return secs
}

var (
	routeWords = regexp.MustCompile(`\b(via|dev|src) (\S+)`)
	routeTypes = map[string]bool{"local": true, "broadcast": true, "multicast": true, "unicast": true, "anycast": true}
)

// parseRouteGet reads the first line of `ip route get` or `ip route show
// default`: "10.244.1.5 via 10.250.0.2 dev ndnodes src 10.250.0.1 uid 0".
func parseRouteGet(out string) *RouteGet {
	line := strings.TrimSpace(strings.SplitN(strings.TrimSpace(out), "\n", 2)[0])
	if line == "" {
		return nil
	}
	r := &RouteGet{Line: line}
	f := strings.Fields(line)
	if len(f) > 1 && routeTypes[f[0]] {
		f = f[1:] // "local 127.0.0.1 dev lo ..."
	}
	if len(f) > 0 {
		r.Dst = f[0]
	}
	for _, m := range routeWords.FindAllStringSubmatch(line, -1) {
		switch m[1] {
		case "via":
			r.Via = m[2]
		case "dev":
			r.Dev = m[2]
		case "src":
			r.Src = m[2]
		}
	}
	return r
}

func oneLineOf(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:157] + "..."
	}
	return s
}
