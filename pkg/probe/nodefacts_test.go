package probe

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestReadNode(t *testing.T) {
	out := "### route\n10.244.1.6 via 10.250.0.2 dev ndnodes src 10.250.0.1 uid 0 \n    cache \n### rc 0\n" +
		"### default\ndefault via 192.0.2.1 dev eth0 \n### rc 0\n" +
		"### links\n1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00\n" +
		"5: ndnodes: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether aa:bb\n" +
		"7: ndn-2@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master ndnodes\\    link/ether cc:dd\n### rc 0\n" +
		"### iptables\n" + iptablesSave + "### rc 0\n" +
		"### nft\nno nft on the node or in the image\n### rc 127\n"
	p := &Prober{Runner: fakeRunner{"sh -c " + nodeFactsScript + " netdebug 10.244.1.6 all": {Stdout: out}}, Tools: NewToolset(true)}
	f := p.ReadNode(context.Background(), "n1", "10.244.1.6", true)
	if f.Route == nil || f.Route.Via != "10.250.0.2" || f.Route.Dev != "ndnodes" || f.Route.Dst != "10.244.1.6" {
		t.Errorf("route: %+v", f.Route)
	}
	if f.Default == nil || f.Default.Via != "192.0.2.1" || f.Default.Dev != "eth0" {
		t.Errorf("default: %+v", f.Default)
	}
	if f.MTUs["ndnodes"] != 1500 || f.MTUs["ndn-2"] != 1500 || len(f.MTUs) != 2 {
		t.Errorf("MTUs: %v", f.MTUs)
	}
	if len(f.Rules) != len(ParseIPTablesSave(iptablesSave)) {
		t.Errorf("rules: %d", len(f.Rules))
	}
	if len(f.Unread) != 1 || f.Unread[0] != "nft: no nft on the node or in the image" {
		t.Errorf("unread: %q", f.Unread)
	}

	if r := parseRouteGet("local 127.0.0.1 dev lo src 127.0.0.1 uid 0"); r.Dst != "127.0.0.1" || r.Dev != "lo" || r.Via != "" {
		t.Errorf("local route: %+v", r)
	}
}

// pingBySize answers pings like busybox does on a path that loses packets
// larger than limit bytes.
type pingBySize struct {
	limit int
	sizes []int
	// df: answer as iputils with -M do does, naming the MTU
	df   bool
	argv []string
}

func (p *pingBySize) Where() string { return "fake" }

func (p *pingBySize) Run(_ context.Context, argv []string) (Output, error) {
	size := 56
	for i, a := range argv {
		if a == "-s" {
			size, _ = strconv.Atoi(argv[i+1])
		}
	}
	p.sizes = append(p.sizes, size)
	p.argv = argv
	got := 2
	if size+28 > p.limit {
		got = 0
		if p.df {
			return Output{Stdout: "PING 10.244.1.6 (10.244.1.6) " + strconv.Itoa(size) + "(" + strconv.Itoa(size+28) + ") bytes of data.\nFrom 10.250.0.2 icmp_seq=1 Frag needed and DF set (mtu = " + strconv.Itoa(p.limit) + ")\n\n--- 10.244.1.6 ping statistics ---\n2 packets transmitted, 0 received, +1 errors, 100% packet loss\n", ExitCode: 1}, nil
		}
	}
	return Output{Stdout: "PING 10.244.1.6 (10.244.1.6): " + strconv.Itoa(size) + " data bytes\n\n--- 10.244.1.6 ping statistics ---\n2 packets transmitted, " + strconv.Itoa(got) + " packets received\n"}, nil
}

func TestPathMTU(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int{1500, 1200, 1000, 84} {
		runner := &pingBySize{limit: limit}
		p := &Prober{Runner: runner, Tools: NewToolset(true, "ping")}
		r := p.PathMTU(ctx, "10.244.1.6", 1500)
		switch {
		case limit >= 1500:
			if !r.Ran || !r.Full || r.Largest != 1500 || len(runner.sizes) != 1 {
				t.Errorf("limit %d: %+v after %v", limit, r, runner.sizes)
			}
		default:
			if !r.Ran || r.Full || r.Largest > limit || r.Largest < limit-8 || len(runner.sizes) > 11 {
				t.Errorf("limit %d: largest %d after %v", limit, r.Largest, runner.sizes)
			}
			if !strings.Contains(r.Evidence.Command, "-s 1472") {
				t.Errorf("evidence is not the full-size ping: %q", r.Evidence.Command)
			}
		}
	}
	// the smallest lost too: not a question of size
	runner := &pingBySize{limit: 50}
	r := (&Prober{Runner: runner, Tools: NewToolset(true, "ping")}).PathMTU(ctx, "10.244.1.6", 1500)
	if r.Ran || !strings.Contains(r.Evidence.Error, "does not depend on the size") {
		t.Errorf("all lost: %+v", r)
	}
	// iputils: DF set, and the hop that refuses says its MTU
	df := &pingBySize{limit: 1200, df: true}
	ts := parseTools("tool ping /usr/bin/ping\n", true)
	r = (&Prober{Runner: df, Tools: ts}).PathMTU(ctx, "10.244.1.6", 1500)
	if r.Reported != 1200 || !strings.Contains(strings.Join(df.argv, " "), "-M do") || r.Largest < 1192 {
		t.Errorf("DF ping: %+v, argv %v", r, df.argv)
	}
	if l := parseIPLink("2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue \\    link/ether 6a:2b brd ff:ff:ff:ff:ff:ff"); l["eth0"] != 1450 {
		t.Errorf("ip -o link: %v", l)
	}
}

// busybox sh names applets by their bare names: its ping is told by its
// help, and gets no DF flag; iputils' does.
func TestDFPingFlavor(t *testing.T) {
	if ts := parseTools("tool ping ping\npingflavor busybox\n", true); ts.dfPing {
		t.Errorf("busybox ping taken for iputils")
	}
	if ts := parseTools("tool ping /usr/bin/ping\n", true); !ts.dfPing {
		t.Errorf("iputils ping not taken for one")
	}
	if ts := parseTools("busybox /bin/busybox\napplet ping\n", false); ts.dfPing {
		t.Errorf("busybox applet taken for iputils")
	}
}
