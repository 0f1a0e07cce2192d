package probe

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

// ipICMPHeaders is what an IPv4 header and an ICMP echo header add to a
// ping's payload: a payload of MTU-28 fills a packet of MTU bytes.
const ipICMPHeaders = 28

// minPingPayload is ping's default payload, which the small ping that
// passed already carried.
const minPingPayload = 56

// Links are the MTUs of a network namespace's interfaces.
type Links struct {
	// MTUs by interface name, loopback excluded.
	MTUs     map[string]int `json:"mtus,omitempty"`
	Evidence Evidence       `json:"evidence"`
}

var ipLinkMTU = regexp.MustCompile(`^\d+:\s+([^:@\s]+)(?:@\S+)?:.*\smtu (\d+)`)

// Links reads the MTUs of the interfaces (`ip -o link show`).
func (p *Prober) Links(ctx context.Context) Links {
	l := Links{MTUs: map[string]int{}}
	if !p.Tools.Has("ip") {
		l.Evidence = missing("ip")
		return l
	}
	out, ev, err := p.run(ctx, p.Tools.argv("ip", "-o", "link", "show"))
	l.Evidence = ev
	if err == nil {
		l.MTUs = parseIPLink(out.Stdout)
	}
	return l
}

// parseIPLink reads `ip -o link show`:
// "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue ...".
func parseIPLink(out string) map[string]int {
	mtus := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		m := ipLinkMTU.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || m[1] == "lo" {
			continue
		}
		if n, err := strconv.Atoi(m[2]); err == nil {
			mtus[m[1]] = n
		}
	}
	return mtus
}

// SizedPing is one echo of a given payload size.
type SizedPing struct {
	Payload int  `json:"payload"` // bytes of ICMP payload; the packet is 28 more
	Passed  bool `json:"passed"`
}

// PathMTUResult says which packet sizes reach an address: the full MTU's,
// or, when those are lost, the largest that passes (bisected).
type PathMTUResult struct {
	Target string `json:"target"`
	// MTU is the sender's interface MTU the probe tried to fill.
	MTU int `json:"mtu"`
	// Ran: the pings ran and were understood.
	Ran bool `json:"ran"`
	// Full: a packet of MTU bytes got an answer.
	Full bool `json:"full"`
	// Largest is the largest packet (bytes, headers included) that got an
	// answer; 0 when even the smallest did not.
	Largest int         `json:"largest,omitempty"`
	Pings   []SizedPing `json:"pings,omitempty"`
	// Reported is the MTU an ICMP "fragmentation needed" answer or the
	// sender's own kernel gave for the path (pings with the DF bit set,
	// iputils), 0 when none did.
	Reported int `json:"reported,omitempty"`
	// Evidence is the ping of the full size.
	Evidence Evidence `json:"evidence"`
}

// Blackhole: large packets vanish without a word, while small ones pass:
// TCP connections open, then stall on large transfers. When a hop reports
// its MTU instead, path MTU discovery works and TCP adapts.
func (r PathMTUResult) Blackhole() bool { return r.Ran && !r.Full && r.Reported == 0 }

// PathMTU pings ip with packets of mtu bytes; when they are lost it bisects
// the payload between ping's default (which the caller saw pass) and the
// full size, to within 8 bytes. Lost packets cost one second each, so at
// most about ten pings run.
func (p *Prober) PathMTU(ctx context.Context, ip string, mtu int) PathMTUResult {
	r := PathMTUResult{Target: ip, MTU: mtu}
	if !p.Tools.Has("ping") {
		r.Evidence = missing("ping")
		return r
	}
	if mtu-ipICMPHeaders <= minPingPayload {
		r.Evidence.Error = "MTU too small to probe"
		return r
	}
	try := func(payload int) (passed, ok bool) {
		pr := p.ping(ctx, ip, "2", payload)
		if r.Evidence.Command == "" {
			r.Evidence = pr.Evidence // the full-size ping: the one that matters
		}
		if m := reportedMTU.FindStringSubmatch(pr.Evidence.Output); m != nil && r.Reported == 0 {
			r.Reported, _ = strconv.Atoi(m[1])
		}
		if !pr.Ran {
			return false, false
		}
		passed = pr.Received > 0
		r.Pings = append(r.Pings, SizedPing{Payload: payload, Passed: passed})
		return passed, true
	}
	full := mtu - ipICMPHeaders
	passed, ok := try(full)
	if !ok {
		return r
	}
	if passed {
		r.Ran, r.Full, r.Largest = true, true, mtu
		return r
	}
	lo, hi := minPingPayload, full // lo passed (the caller's ping), hi did not
	if passed, ok := try(lo); !ok || !passed {
		r.Evidence.Error = "the smallest ping was lost too: the loss does not depend on the size"
		return r
	}
	r.Ran = true
	for hi-lo > 8 && ctx.Err() == nil {
		mid := (lo + hi) / 2
		passed, ok := try(mid)
		if !ok {
			break
		}
		if passed {
			lo = mid
		} else {
			hi = mid
		}
	}
	r.Largest = lo + ipICMPHeaders
	return r
}

// reportedMTU reads iputils' "Frag needed and DF set (mtu = 1200)" and
// "local error: message too long, mtu=1200".
var reportedMTU = regexp.MustCompile(`mtu ?= ?(\d+)`)

// ping sends count echoes of payload bytes, one second each at most, with
// the DF bit set where the tool can: then no router on the way fragments
// them, and one that cannot pass them says so.
func (p *Prober) ping(ctx context.Context, ip, count string, payload int) PingResult {
	r := PingResult{Target: ip}
	args := []string{"-c", count, "-W", "1", "-w", count, "-s", strconv.Itoa(payload)}
	if p.Tools.dfPing {
		args = append(args, "-M", "do")
	}
	out, ev, err := p.run(ctx, p.Tools.argv("ping", append(args, ip)...))
	r.Evidence = ev
	if err == nil {
		r.read(out.Combined())
	}
	return r
}
