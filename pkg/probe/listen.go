package probe

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Listener is one listening TCP socket of a network namespace.
type Listener struct {
	Address netip.Addr `json:"address"`
	Port    uint16     `json:"port"`
}

func (l Listener) String() string { return netip.AddrPortFrom(l.Address, l.Port).String() }

// tcpListen is the state column of a listening socket in /proc/net/tcp
// (TCP_LISTEN).
const tcpListen = "0A"

// ParseProcNetTCP reads the text of /proc/net/tcp, /proc/net/tcp6 or both
// one after the other, and returns the listening sockets, sorted by port
// then address, each once (SO_REUSEPORT workers share an address). IPv4
// addresses are one 32-bit word, IPv6 ones four, each word printed in the
// kernel's byte order: little-endian, as on the amd64 and arm64 nodes of
// Kubernetes. An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reads as its
// IPv4 address. A line that is not a socket (the header) is skipped; the
// text holding no header at all is an error.
func ParseProcNetTCP(text string) ([]Listener, error) {
	var out []Listener
	headers := 0
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		if f[0] == "sl" {
			headers++
			continue
		}
		if !strings.HasSuffix(f[0], ":") || f[3] != tcpListen {
			continue
		}
		l, err := parseSocketAddress(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %q: %w", strings.TrimSpace(line), err)
		}
		out = append(out, l)
	}
	if headers == 0 {
		return nil, errors.New("not the text of /proc/net/tcp: no header line")
	}
	slices.SortFunc(out, func(a, b Listener) int {
		if a.Port != b.Port {
			return int(a.Port) - int(b.Port)
		}
		return a.Address.Compare(b.Address)
	})
	return slices.Compact(out), nil
}

// parseSocketAddress reads "0100007F:1F90" (IPv4) or 32 hex digits and a
// port (IPv6).
func parseSocketAddress(s string) (Listener, error) {
	addrHex, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return Listener{}, fmt.Errorf("address %q has no port", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return Listener{}, fmt.Errorf("port %q: %w", portHex, err)
	}
	raw, err := hex.DecodeString(addrHex)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return Listener{}, fmt.Errorf("address %q is neither 8 nor 32 hex digits", addrHex)
	}
	// Each 32-bit word was printed as a little-endian integer: turn the
	// words back into network order.
	ip := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(ip[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(ip)
	return Listener{Address: addr.Unmap(), Port: uint16(port)}, nil
}

// ListenCommand reads the listening sockets: no tool beyond cat, and the
// files are those of the network namespace of whoever reads them, so any
// container of the pod (an ephemeral debug container too) sees the pod's.
var ListenCommand = []string{"cat", "/proc/net/tcp", "/proc/net/tcp6"}

// ListenResult is what a pod listens on, read from inside it.
type ListenResult struct {
	// Ran: the sockets were read (Listeners may still be empty: nothing
	// listens at all).
	Ran       bool       `json:"ran"`
	Listeners []Listener `json:"listeners,omitempty"`
	// Why they were not read, when Ran is false.
	Why string `json:"why,omitempty"`
	// Forbidden names the permission (pods/exec) whose refusal kept them
	// from being read.
	Forbidden *report.Permission `json:"forbidden,omitempty"`
	// Evidence: the command; its output keeps the header and listening
	// lines only (connections would make it long and say nothing here).
	Evidence Evidence `json:"evidence"`
}

// Listening reads the listening TCP sockets of the prober's pod. Only cat
// is needed; a container without a shell (so without detected tools) is
// still tried for a bare cat.
func (p *Prober) Listening(ctx context.Context) ListenResult {
	var r ListenResult
	argv := ListenCommand
	switch {
	case p.Tools.Has("cat"):
		argv = p.Tools.argv("cat", ListenCommand[1:]...)
	case p.Tools.Shell:
		r.Evidence = missing("cat")
		r.Why = fmt.Sprintf("no cat in %s to read /proc/net/tcp", p.Runner.Where())
		return r
	}
	out, ev, err := p.run(ctx, argv)
	ev.Output = listenLines(ev.Output)
	r.Evidence = ev
	switch {
	case errors.Is(err, ErrNotFound):
		r.Why = fmt.Sprintf("no cat in %s to read /proc/net/tcp", p.Runner.Where())
		return r
	case err != nil:
		r.Why = "could not read /proc/net/tcp: " + shortError(err)
		return r
	}
	// Without IPv6, /proc/net/tcp6 is missing and cat exits 1 after
	// printing /proc/net/tcp: what it printed still counts.
	l, perr := ParseProcNetTCP(out.Stdout)
	if perr != nil {
		r.Why = "could not read /proc/net/tcp: " + oneLineText(out.Combined(), perr)
		return r
	}
	r.Ran, r.Listeners = true, l
	return r
}

// ReadListening reads the listening sockets of the pod a session runs in,
// or says why it cannot (probes disabled, exec refused, no cat).
func ReadListening(ctx context.Context, s Session) ListenResult {
	if s.Reader == nil {
		why := s.How
		if s.Forbidden != nil {
			why = "not allowed to " + s.Forbidden.String()
		}
		if why == "" {
			why = "no way to run a command in the pod"
		}
		return ListenResult{Why: why, Forbidden: s.Forbidden}
	}
	return s.Reader.Listening(ctx)
}

func listenLines(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && (f[0] == "sl" || f[3] == tcpListen) {
			keep = append(keep, strings.TrimSpace(line))
		} else if len(f) > 0 && !strings.HasSuffix(f[0], ":") {
			keep = append(keep, strings.TrimSpace(line)) // an error message
		}
	}
	return strings.Join(keep, "\n")
}

func oneLineText(out string, err error) string {
	if s := strings.Join(strings.Fields(out), " "); s != "" && len(s) < 200 {
		return s
	}
	return err.Error()
}

// RefusalKind classifies a refused connect by what the destination
// listens on.
type RefusalKind string

const (
	// RefusalUnknown: the sockets could not be read.
	RefusalUnknown RefusalKind = "unknown"
	// RefusalLoopback: the port is bound to loopback only (127.0.0.1, ::1).
	RefusalLoopback RefusalKind = "loopback-only"
	// RefusalOtherAddress: the port is bound to an address other than the
	// one connected to.
	RefusalOtherAddress RefusalKind = "other-address"
	// RefusalNotListening: nothing listens on the port.
	RefusalNotListening RefusalKind = "not-listening"
	// RefusalListening: something listens on the port and address, so the
	// refusal came from elsewhere (a REJECT rule, kube-proxy), or the
	// application began listening after the probe.
	RefusalListening RefusalKind = "listening"
)

// maxListedSockets bounds the sockets a fact lists (all are in the Data).
const maxListedSockets = 20

// maxPortsNamed bounds the other ports a refusal names.
const maxPortsNamed = 8

// Refusal says why a connect to ip:port was refused, from the
// destination's listening sockets; Kind is RefusalUnknown when they were
// not read, and Text is then empty.
func (r ListenResult) Refusal(ip string, port int32) (RefusalKind, string) {
	if !r.Ran {
		return RefusalUnknown, ""
	}
	dst, _ := netip.ParseAddr(ip)
	dst = dst.Unmap()
	var onPort []Listener
	for _, l := range r.Listeners {
		if int32(l.Port) == port {
			onPort = append(onPort, l)
		}
	}
	for _, l := range onPort {
		if accepts(l.Address, dst) {
			return RefusalListening, fmt.Sprintf("it listens on %s, so the refusal is not the application's (a policy REJECT? kube-proxy? or it began listening after the probe)", l)
		}
	}
	if len(onPort) > 0 {
		names := make([]string, len(onPort))
		loopback := true
		for i, l := range onPort {
			names[i] = l.String()
			loopback = loopback && l.Address.IsLoopback()
		}
		if loopback {
			return RefusalLoopback, fmt.Sprintf("it listens on %s only, which other pods cannot reach (make it bind 0.0.0.0, :: or the pod IP)", strings.Join(names, " and "))
		}
		text := fmt.Sprintf("it listens on %s only", strings.Join(names, " and "))
		if dst.IsValid() {
			text += ", not on " + dst.String()
		}
		return RefusalOtherAddress, text
	}
	other := otherPorts(r.Listeners)
	if len(other) == 0 {
		return RefusalNotListening, fmt.Sprintf("nothing listens on port %d; it listens on no TCP port at all (the application is not serving yet, or failed to start)", port)
	}
	return RefusalNotListening, fmt.Sprintf("nothing listens on port %d; it listens on %s", port, strings.Join(other, ", "))
}

// accepts reports whether a socket bound to bound takes connections to
// dst: its own address, or a wildcard of dst's family (:: takes IPv4 too
// unless IPV6_V6ONLY, which /proc/net/tcp6 does not show). An unknown dst
// is taken by any wildcard.
func accepts(bound, dst netip.Addr) bool {
	switch {
	case bound.IsUnspecified() && bound.Is6():
		return true
	case bound.IsUnspecified():
		return !dst.IsValid() || dst.Is4()
	}
	return bound == dst
}

// otherPorts names the listening ports, each once, those bound to
// loopback only marked so.
func otherPorts(list []Listener) []string {
	var out []string
	for i := 0; i < len(list); {
		j, loopback := i, true
		for ; j < len(list) && list[j].Port == list[i].Port; j++ {
			loopback = loopback && list[j].Address.IsLoopback()
		}
		name := strconv.Itoa(int(list[i].Port))
		switch {
		case loopback && j-i == 1:
			name += " (" + list[i].Address.String() + " only)"
		case loopback:
			name += " (loopback only)"
		}
		out = append(out, name)
		i = j
	}
	if len(out) > maxPortsNamed {
		out = append(out[:maxPortsNamed], fmt.Sprintf("and %d more", len(out)-maxPortsNamed))
	}
	return out
}

// Fact shows the sockets read, or why they were not, as evidence of a
// check.
func (r ListenResult) Fact() report.Fact {
	f := report.Fact{Name: "listening sockets"}
	switch {
	case !r.Ran:
		f.Value = "not read: " + r.Why
	case len(r.Listeners) == 0:
		f.Value = fmt.Sprintf("none (%s in %s)", r.Evidence.Command, r.Evidence.Where)
	default:
		var names []string
		for i, l := range r.Listeners {
			if i == maxListedSockets {
				names = append(names, fmt.Sprintf("and %d more", len(r.Listeners)-i))
				break
			}
			names = append(names, l.String())
		}
		f.Value = fmt.Sprintf("%s (%s in %s)", strings.Join(names, ", "), r.Evidence.Command, r.Evidence.Where)
	}
	return f
}

// Refusal explains a refused connect from the destination's listening
// sockets (Listening), for the address and port of Target.
func (r TCPResult) Refusal() (RefusalKind, string) {
	if r.Listening == nil {
		return RefusalUnknown, ""
	}
	host, port, err := net.SplitHostPort(r.Target)
	if err != nil {
		return RefusalUnknown, ""
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return RefusalUnknown, ""
	}
	return r.Listening.Refusal(host, int32(n))
}

// RefusalReason says why a backend refused, for the proxy checks (ING016,
// RT011): from the listening sockets when they were read (a loopback-only
// bind, another port, or a refusal that is not the application's), else
// the usual cause and why the sockets were not read.
func (r TCPResult) RefusalReason() string {
	if kind, why := r.Refusal(); kind != RefusalUnknown {
		return why
	}
	if r.Listening == nil {
		return "nothing listens on that port"
	}
	return "nothing listens on that port, or only on 127.0.0.1; its listening sockets were not read: " + r.Listening.Why
}
