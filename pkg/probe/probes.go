package probe

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Evidence is the exact command a probe ran, where, and what it printed.
type Evidence struct {
	Where      string `json:"where"`
	Command    string `json:"command"`
	Output     string `json:"output"`
	ExitCode   int    `json:"exitCode"`
	DurationMS int64  `json:"durationMs"`
	// Error: the command could not be run (exec failed, tool missing).
	Error string `json:"error,omitempty"`
}

// Prober runs probes with the tools of one container.
type Prober struct {
	Runner  Runner
	Tools   Toolset
	Timeout time.Duration // per probe; 5s when zero
}

func (p *Prober) timeout() time.Duration {
	if p.Timeout <= 0 {
		return 5 * time.Second
	}
	return p.Timeout
}

// secs is the tool-level timeout in whole seconds, below the probe's own so
// that the tool reports the timeout before the exec is cut.
func (p *Prober) secs() string {
	s := int(p.timeout().Seconds()) - 1
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

// run executes argv with the probe's timeout and records the evidence.
func (p *Prober) run(ctx context.Context, argv []string) (Output, Evidence, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout()+5*time.Second)
	defer cancel()
	start := time.Now()
	out, err := p.Runner.Run(ctx, argv)
	ev := Evidence{
		Where:      p.Runner.Where(),
		Command:    strings.Join(argv, " "),
		Output:     strings.TrimSpace(out.Combined()),
		ExitCode:   out.ExitCode,
		DurationMS: time.Since(start).Milliseconds(),
	}
	if err != nil {
		ev.Error = err.Error()
	}
	return out, ev, err
}

func missing(tools ...string) Evidence {
	return Evidence{Error: fmt.Sprintf("no %s in the container", strings.Join(tools, " or "))}
}

// PingResult is an ICMP echo probe.
type PingResult struct {
	Target   string   `json:"target"`
	Ran      bool     `json:"ran"`
	Sent     int      `json:"sent"`
	Received int      `json:"received"`
	AvgRTTMS float64  `json:"avgRttMs,omitempty"`
	Evidence Evidence `json:"evidence"`
}

// Reachable: at least one echo reply came back.
func (r PingResult) Reachable() bool { return r.Ran && r.Received > 0 }

var (
	pingCounts = regexp.MustCompile(`(\d+) packets transmitted, (\d+) (?:packets )?received`)
	pingRTT    = regexp.MustCompile(`min/avg/max(?:/[a-z]+)? = [\d.]+/([\d.]+)/`)
)

// Ping sends three echo requests to ip.
func (p *Prober) Ping(ctx context.Context, ip string) PingResult {
	r := PingResult{Target: ip}
	if !p.Tools.Has("ping") {
		r.Evidence = missing("ping")
		return r
	}
	out, ev, err := p.run(ctx, p.Tools.argv("ping", "-c", "3", "-W", "1", "-w", p.secs(), ip))
	r.Evidence = ev
	if err == nil {
		r.read(out.Combined())
	}
	return r
}

// read takes the counts and the average round trip from ping's summary.
func (r *PingResult) read(out string) {
	if m := pingCounts.FindStringSubmatch(out); m != nil {
		r.Ran = true
		r.Sent, _ = strconv.Atoi(m[1])
		r.Received, _ = strconv.Atoi(m[2])
	}
	if m := pingRTT.FindStringSubmatch(out); m != nil {
		r.AvgRTTMS, _ = strconv.ParseFloat(m[1], 64)
	}
}

// TCPOutcome classifies a TCP connect.
type TCPOutcome string

const (
	Connected   TCPOutcome = "connected"
	Refused     TCPOutcome = "refused"     // reachable, nothing listens (or a REJECT rule)
	TimedOut    TCPOutcome = "timeout"     // packets dropped on the way
	Unreachable TCPOutcome = "unreachable" // no route, host unreachable (ICMP error)
	Unknown     TCPOutcome = "unknown"     // the probe ran but its output was not understood
	NotRun      TCPOutcome = "not-run"     // no tool, or exec failed
)

// TCPResult is a TCP connect probe.
type TCPResult struct {
	Target   string     `json:"target"`
	Outcome  TCPOutcome `json:"outcome"`
	Evidence Evidence   `json:"evidence"`
	// Listening: for a refused connect, what the destination listens on
	// (read from inside it), or why that could not be read.
	Listening *ListenResult `json:"listening,omitempty"`
}

// TCP connects to ip:port and closes at once.
func (p *Prober) TCP(ctx context.Context, ip string, port int32) TCPResult {
	target := net.JoinHostPort(ip, strconv.Itoa(int(port)))
	r := TCPResult{Target: target, Outcome: NotRun}
	var argv []string
	switch {
	case p.Tools.Has("nc") && p.Tools.busyboxNC:
		argv = p.Tools.argv("nc", "-w", p.secs(), ip, strconv.Itoa(int(port)))
	case p.Tools.Has("nc"):
		argv = p.Tools.argv("nc", "-z", "-v", "-w", p.secs(), ip, strconv.Itoa(int(port)))
	case p.Tools.Has("bash") && p.Tools.Has("timeout"):
		argv = p.Tools.argv("timeout", p.secs(), "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", ip, port))
	default:
		r.Evidence = missing("nc", "bash")
		return r
	}
	out, ev, err := p.run(ctx, argv)
	r.Evidence = ev
	if err != nil {
		return r
	}
	r.Outcome = classifyTCP(out)
	return r
}

// classifyTCP reads the connect tool's verdict. A usage error (the tool
// rejected our flags) is Unknown, never a timeout: its help text mentions
// timeouts too.
func classifyTCP(out Output) TCPOutcome {
	text := strings.ToLower(out.Combined())
	switch {
	case out.ExitCode == 0:
		return Connected
	case strings.Contains(text, "invalid option") || strings.Contains(text, "unrecognized option") || strings.Contains(text, "usage:"):
		return Unknown
	case strings.Contains(text, "refused"):
		return Refused
	case strings.Contains(text, "timed out") || out.ExitCode == 124:
		return TimedOut
	case strings.Contains(text, "no route") || strings.Contains(text, "unreachable"):
		return Unreachable
	}
	return Unknown
}

// DNSResult is a DNS lookup.
type DNSResult struct {
	Name      string   `json:"name"`
	Server    string   `json:"server,omitempty"`
	Transport string   `json:"transport"` // udp, tcp, or system (getent: whatever libc does)
	Answers   []string `json:"answers,omitempty"`
	// RCode: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT (no answer at
	// all), NOTFOUND (getent: not found, cause unknown), or "" when not run.
	RCode    string   `json:"rcode,omitempty"`
	Evidence Evidence `json:"evidence"`
}

// Resolved: the name has at least one address.
func (r DNSResult) Resolved() bool { return len(r.Answers) > 0 }

var (
	rcodeText  = regexp.MustCompile(`(?i)can't find [^:]*: (NXDOMAIN|SERVFAIL|REFUSED|NOTIMP|FORMERR)`)
	digStatus  = regexp.MustCompile(`status: ([A-Z]+)`)
	nsServer   = regexp.MustCompile(`(?m)^Server:\s+(\S+)`)
	nsAddress  = regexp.MustCompile(`(?m)^Address(?: \d+)?:\s+([0-9a-fA-F.:]+)(?:\s|$)`)
	digAnswer  = regexp.MustCompile(`(?m)^\S+\s+\d+\s+IN\s+(?:A|AAAA)\s+(\S+)`)
	dnsTimeout = regexp.MustCompile(`(?i)timed out|no servers could be reached|connection refused`)
)

// Lookup resolves name; server "" means the pod's resolv.conf. With tcp, the
// query goes over TCP, which needs dig.
func (p *Prober) Lookup(ctx context.Context, name, server string, tcp bool) DNSResult {
	r := DNSResult{Name: name, Server: server, Transport: "udp"}
	switch {
	case tcp && p.Tools.Has("dig"):
		r.Transport = "tcp"
		return p.dig(ctx, r, true)
	case tcp:
		r.Transport = "tcp"
		r.Evidence = missing("dig")
		return r
	case p.Tools.Has("nslookup"):
		return p.nslookup(ctx, r)
	case p.Tools.Has("dig"):
		return p.dig(ctx, r, false)
	case p.Tools.Has("getent") && server == "":
		r.Transport = "system"
		out, ev, err := p.run(ctx, p.Tools.argv("getent", "hosts", name))
		r.Evidence = ev
		if err != nil {
			return r
		}
		for _, l := range strings.Split(out.Stdout, "\n") {
			if f := strings.Fields(l); len(f) > 0 {
				r.Answers = append(r.Answers, f[0])
			}
		}
		r.RCode = "NOERROR"
		if len(r.Answers) == 0 {
			r.RCode = "NOTFOUND"
		}
		return r
	}
	r.Evidence = missing("nslookup", "dig", "getent")
	return r
}

func (p *Prober) nslookup(ctx context.Context, r DNSResult) DNSResult {
	args := []string{r.Name}
	if r.Server != "" {
		args = append(args, r.Server)
	}
	out, ev, err := p.run(ctx, p.Tools.argv("nslookup", args...))
	r.Evidence = ev
	if err != nil {
		return r
	}
	text := out.Combined()
	if m := nsServer.FindStringSubmatch(text); m != nil && r.Server == "" {
		r.Server = m[1]
	}
	// The first Address line (after Server:) is the server's own.
	if i := strings.Index(text, "Name:"); i >= 0 {
		for _, m := range nsAddress.FindAllStringSubmatch(text[i:], -1) {
			r.Answers = appendUnique(r.Answers, m[1])
		}
	}
	switch m := rcodeText.FindStringSubmatch(text); {
	case len(r.Answers) > 0:
		r.RCode = "NOERROR"
	case m != nil:
		r.RCode = strings.ToUpper(m[1])
	case dnsTimeout.MatchString(text):
		r.RCode = "TIMEOUT"
	case out.ExitCode == 0:
		r.RCode = "NOERROR" // no address records, but an answer
	}
	return r
}

func (p *Prober) dig(ctx context.Context, r DNSResult, tcp bool) DNSResult {
	args := []string{"+time=" + p.secs(), "+tries=1", r.Name}
	if tcp {
		args = append([]string{"+tcp"}, args...)
	}
	if r.Server != "" {
		args = append(args, "@"+r.Server)
	}
	out, ev, err := p.run(ctx, p.Tools.argv("dig", args...))
	r.Evidence = ev
	if err != nil {
		return r
	}
	text := out.Combined()
	for _, m := range digAnswer.FindAllStringSubmatch(text, -1) {
		r.Answers = appendUnique(r.Answers, m[1])
	}
	if m := digStatus.FindStringSubmatch(text); m != nil {
		r.RCode = m[1]
	} else if dnsTimeout.MatchString(text) {
		r.RCode = "TIMEOUT"
	}
	return r
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// NetworkResult is the pod's own view of its network.
type NetworkResult struct {
	// Addresses by interface name, loopback excluded.
	Addresses map[string][]string `json:"addresses,omitempty"`
	Routes    []string            `json:"routes,omitempty"`
	Evidence  []Evidence          `json:"evidence"`
}

// IPs lists every address without its prefix length.
func (n NetworkResult) IPs() []string {
	var ips []string
	for _, addrs := range n.Addresses {
		for _, a := range addrs {
			ips = append(ips, strings.SplitN(a, "/", 2)[0])
		}
	}
	return ips
}

// InterfaceOf names the interface that carries ip; "" when none does.
func (n NetworkResult) InterfaceOf(ip string) string {
	for iface, addrs := range n.Addresses {
		for _, a := range addrs {
			if strings.SplitN(a, "/", 2)[0] == ip {
				return iface
			}
		}
	}
	return ""
}

// Network reads the pod's interface addresses and routes.
func (p *Prober) Network(ctx context.Context) NetworkResult {
	r := NetworkResult{Addresses: map[string][]string{}}
	switch {
	case p.Tools.Has("ip"):
		out, ev, err := p.run(ctx, p.Tools.argv("ip", "-o", "addr", "show"))
		r.Evidence = append(r.Evidence, ev)
		if err == nil {
			parseIPAddr(out.Stdout, r.Addresses)
		}
		out, ev, err = p.run(ctx, p.Tools.argv("ip", "route", "show"))
		r.Evidence = append(r.Evidence, ev)
		if err == nil {
			for _, l := range strings.Split(strings.TrimSpace(out.Stdout), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					r.Routes = append(r.Routes, l)
				}
			}
		}
	case p.Tools.Has("ifconfig"):
		out, ev, err := p.run(ctx, p.Tools.argv("ifconfig"))
		r.Evidence = append(r.Evidence, ev)
		if err == nil {
			parseIfconfig(out.Stdout, r.Addresses)
		}
	default:
		r.Evidence = append(r.Evidence, missing("ip", "ifconfig"))
	}
	return r
}

// parseIPAddr reads `ip -o addr show`: "2: eth0    inet 10.244.0.5/24 brd ...".
func parseIPAddr(out string, into map[string][]string) {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || (f[2] != "inet" && f[2] != "inet6") {
			continue
		}
		iface := strings.SplitN(f[1], "@", 2)[0]
		if iface == "lo" || strings.HasPrefix(f[3], "fe80:") {
			continue
		}
		into[iface] = append(into[iface], f[3])
	}
}

var ifconfigInet = regexp.MustCompile(`inet (?:addr:)?([\d.]+)`)

func parseIfconfig(out string, into map[string][]string) {
	for _, block := range strings.Split(out, "\n\n") {
		f := strings.Fields(block)
		if len(f) == 0 {
			continue
		}
		iface := strings.TrimSuffix(f[0], ":")
		if iface == "lo" {
			continue
		}
		for _, m := range ifconfigInet.FindAllStringSubmatch(block, -1) {
			into[iface] = append(into[iface], m[1])
		}
	}
}

// ResolvConf is the pod's /etc/resolv.conf.
type ResolvConf struct {
	Nameservers []string `json:"nameservers,omitempty"`
	Search      []string `json:"search,omitempty"`
	Options     []string `json:"options,omitempty"`
	Ndots       int      `json:"ndots"`
	Evidence    Evidence `json:"evidence"`
}

// ReadResolvConf reads and parses /etc/resolv.conf.
func (p *Prober) ReadResolvConf(ctx context.Context) ResolvConf {
	r := ResolvConf{Ndots: 1}
	if !p.Tools.Has("cat") {
		r.Evidence = missing("cat")
		return r
	}
	out, ev, err := p.run(ctx, p.Tools.argv("cat", "/etc/resolv.conf"))
	r.Evidence = ev
	if err != nil {
		return r
	}
	parseResolvConf(out.Stdout, &r)
	return r
}

func parseResolvConf(s string, r *ResolvConf) {
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "nameserver":
			r.Nameservers = append(r.Nameservers, f[1])
		case "search":
			r.Search = append([]string{}, f[1:]...)
		case "options":
			r.Options = append(r.Options, f[1:]...)
			for _, o := range f[1:] {
				if n, ok := strings.CutPrefix(o, "ndots:"); ok {
					r.Ndots, _ = strconv.Atoi(n)
				}
			}
		}
	}
}
