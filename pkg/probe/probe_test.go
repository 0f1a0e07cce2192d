package probe

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRunner answers commands from a table keyed by the command line.
type fakeRunner map[string]Output

func (f fakeRunner) Where() string { return "fake" }

func (f fakeRunner) Run(_ context.Context, argv []string) (Output, error) {
	out, ok := f[strings.Join(argv, " ")]
	if !ok {
		return Output{ExitCode: 127}, ErrNotFound
	}
	return out, nil
}

func TestDetect(t *testing.T) {
	ctx := context.Background()
	withShell := fakeRunner{"sh -c " + detectScript: {Stdout: "tool nc /bin/busybox\ntool ping /bin/busybox\ntool cat /bin/cat\nbusybox /bin/busybox\napplet nslookup\napplet ip\napplet nc\n"}}
	ts, err := Detect(ctx, withShell)
	if err != nil {
		t.Fatal(err)
	}
	if !ts.Shell || !ts.busyboxNC || strings.Join(ts.Names(), ",") != "cat,ip,nc,nslookup,ping" {
		t.Errorf("with shell: %+v", ts)
	}
	if got := strings.Join(ts.argv("nslookup", "x"), " "); got != "/bin/busybox nslookup x" {
		t.Errorf("applet without link runs through busybox: %q", got)
	}

	bare := fakeRunner{"busybox --list": {Stdout: "nc\nping\n"}}
	ts, err = Detect(ctx, bare)
	if err != nil || ts.Shell || !ts.Has("ping") || !ts.CanProbe() {
		t.Errorf("bare busybox: %+v %v", ts, err)
	}

	distroless := fakeRunner{}
	ts, err = Detect(ctx, distroless)
	if err != nil || ts.CanProbe() || len(ts.Names()) != 0 {
		t.Errorf("distroless: %+v %v", ts, err)
	}
}

func TestParsers(t *testing.T) {
	ctx := context.Background()
	tools := Toolset{Shell: true, tools: map[string][]string{"ping": {"ping"}, "nc": {"nc"}, "nslookup": {"nslookup"}, "dig": {"dig"}, "ip": {"ip"}, "cat": {"cat"}}}
	runner := fakeRunner{
		// iputils ping
		"ping -c 3 -W 1 -w 4 10.0.0.2": {Stdout: "3 packets transmitted, 3 received, 0% packet loss, time 2003ms\nrtt min/avg/max/mdev = 0.051/0.075/0.101/0.020 ms\n"},
		// OpenBSD netcat
		"nc -z -v -w 4 10.0.0.2 80":                 {Stderr: "nc: connect to 10.0.0.2 port 80 (tcp) failed: Connection refused\n", ExitCode: 1},
		"nc -z -v -w 4 10.0.0.3 80":                 {Stderr: "nc: connect to 10.0.0.3 port 80 (tcp) timed out: Operation now in progress\n", ExitCode: 1},
		"nc -z -v -w 4 10.0.0.4 80":                 {Stderr: "Connection to 10.0.0.4 80 port [tcp/http] succeeded!\n"},
		"nc -z -v -w 4 10.0.0.5 80":                 {Stderr: "nc: connect to 10.0.0.5 port 80 (tcp) failed: No route to host\n", ExitCode: 1},
		"nslookup web.shop.svc.cluster.local":       {Stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.shop.svc.cluster.local\nAddress: 10.96.12.7\n"},
		"nslookup nope.shop.svc.cluster.local":      {Stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nope.shop.svc.cluster.local: NXDOMAIN\n", ExitCode: 1},
		"nslookup slow":                             {Stdout: ";; connection timed out; no servers could be reached\n", ExitCode: 1},
		"dig +tcp +time=4 +tries=1 web @10.96.0.10": {Stdout: ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n;; ANSWER SECTION:\nweb.shop.svc.cluster.local. 30 IN A 10.96.12.7\n"},
		"ip -o addr show":                           {Stdout: "1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0@if7    inet 10.244.0.5/24 brd 10.244.0.255 scope global eth0\n2: eth0@if7    inet6 fe80::1/64 scope link\n"},
		"ip route show":                             {Stdout: "default via 10.244.0.1 dev eth0\n10.244.0.0/24 dev eth0 scope link  src 10.244.0.5\n"},
		"cat /etc/resolv.conf":                      {Stdout: "search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"},
	}
	p := &Prober{Runner: runner, Tools: tools}

	if r := p.Ping(ctx, "10.0.0.2"); !r.Reachable() || r.Sent != 3 || r.Received != 3 || r.AvgRTTMS != 0.075 {
		t.Errorf("ping: %+v", r)
	}
	for ip, want := range map[string]TCPOutcome{"10.0.0.2": Refused, "10.0.0.3": TimedOut, "10.0.0.4": Connected, "10.0.0.5": Unreachable, "10.0.0.6": NotRun} {
		if r := p.TCP(ctx, ip, 80); r.Outcome != want {
			t.Errorf("tcp %s: %s, want %s (%+v)", ip, r.Outcome, want, r.Evidence)
		}
	}
	if r := p.Lookup(ctx, "web.shop.svc.cluster.local", "", false); r.RCode != "NOERROR" || strings.Join(r.Answers, ",") != "10.96.12.7" || r.Server != "10.96.0.10" {
		t.Errorf("lookup: %+v", r)
	}
	if r := p.Lookup(ctx, "nope.shop.svc.cluster.local", "", false); r.RCode != "NXDOMAIN" || r.Resolved() {
		t.Errorf("nxdomain: %+v", r)
	}
	if r := p.Lookup(ctx, "slow", "", false); r.RCode != "TIMEOUT" {
		t.Errorf("timeout: %+v", r)
	}
	if r := p.Lookup(ctx, "web", "10.96.0.10", true); r.RCode != "NOERROR" || r.Transport != "tcp" || len(r.Answers) != 1 {
		t.Errorf("tcp lookup: %+v", r)
	}
	if n := p.Network(ctx); strings.Join(n.IPs(), ",") != "10.244.0.5" || len(n.Routes) != 2 {
		t.Errorf("network: %+v", n)
	}
	if rc := p.ReadResolvConf(ctx); rc.Ndots != 5 || rc.Nameservers[0] != "10.96.0.10" || len(rc.Search) != 3 {
		t.Errorf("resolv.conf: %+v", rc)
	}
}

// localRunner runs commands on this machine, to check the parsers against
// the real busybox the test cluster's tools image is made of.
type localRunner struct{}

func (localRunner) Where() string { return "this machine" }

func (localRunner) Run(ctx context.Context, argv []string) (Output, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := Output{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		out.ExitCode = ee.ExitCode()
		return out, nil
	}
	if err != nil {
		return out, ErrNotFound
	}
	return out, nil
}

// TestRealBusybox probes loopback only: a listener of the test's own, and a
// port nobody listens on.
func TestRealBusybox(t *testing.T) {
	if _, err := exec.LookPath("busybox"); err != nil {
		if os.Getenv("NETDEBUG_REQUIRE_BUSYBOX") != "" {
			t.Fatal("busybox is required (apt-get install busybox-static)")
		}
		t.Skip("no busybox on this machine")
	}
	ctx := context.Background()
	ts := Toolset{Shell: true, tools: map[string][]string{"ping": {"busybox", "ping"}, "nc": {"busybox", "nc"}}, busyboxNC: true}
	p := &Prober{Runner: localRunner{}, Tools: ts, Timeout: 3e9}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port, _ := strconv.Atoi(strings.Split(l.Addr().String(), ":")[1])
	if r := p.TCP(ctx, "127.0.0.1", int32(port)); r.Outcome != Connected {
		t.Errorf("listening port: %+v", r)
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort, _ := strconv.Atoi(strings.Split(closed.Addr().String(), ":")[1])
	closed.Close()
	if r := p.TCP(ctx, "127.0.0.1", int32(closedPort)); r.Outcome != Refused {
		t.Errorf("closed port: %+v", r)
	}
	if r := p.Ping(ctx, "127.0.0.1"); !r.Reachable() || r.Sent == 0 {
		t.Errorf("ping loopback: %+v", r)
	}
}

// A usage error must never read as a timeout: busybox's help text says
// "Connect timeout".
func TestUsageErrorIsUnknown(t *testing.T) {
	out := Output{Stderr: "nc: invalid option -- 'z'\nUsage: nc [-iN] [-wN]\n\t-w SEC\tConnect timeout\n", ExitCode: 1}
	if got := classifyTCP(out); got != Unknown {
		t.Errorf("got %s", got)
	}
}

func TestShortError(t *testing.T) {
	err := errors.New(`exec in container c of pod ns/p: Internal error occurred: error sending request: Post "https://127.0.0.1:1/exec/ns/p/c?command=sh&command=-c&command=for+t": dial tcp 127.0.0.1:1: connect: connection refused`)
	if got := shortError(err); got != "Internal error occurred: error sending request: dial tcp 127.0.0.1:1: connect: connection refused" {
		t.Errorf("got %q", got)
	}
}

func TestGroupBoundsConcurrency(t *testing.T) {
	g := NewGroup(2)
	var mu sync.Mutex
	running, peak := 0, 0
	for i := 0; i < 10; i++ {
		g.Go(func() {
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
		})
	}
	g.Wait()
	if peak > 2 {
		t.Errorf("peak concurrency %d, want at most 2", peak)
	}
}
