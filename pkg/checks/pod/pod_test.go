package pod

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func TestParsePort(t *testing.T) {
	good := map[string]Port{
		"80":        {Port: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP},
		"53/udp":    {Port: intstr.FromInt32(53), Protocol: corev1.ProtocolUDP},
		"http/TCP":  {Port: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
		"3868/sctp": {Port: intstr.FromInt32(3868), Protocol: corev1.ProtocolSCTP},
	}
	for in, want := range good {
		if got, err := ParsePort(in); err != nil || got != want {
			t.Errorf("ParsePort(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "65536", "80/icmp", "", "/tcp", "a very long port name", "ht;tp", "http p", "-http", "é"} {
		if _, err := ParsePort(bad); err == nil {
			t.Errorf("ParsePort(%q) accepted", bad)
		}
	}
}

func TestConclude(t *testing.T) {
	mk := func(name, node, ip string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{PodIP: ip}}
	}
	src, dst := mk("web", "n1", "10.0.0.1"), mk("db", "n2", "10.0.0.2")
	verdict := func(r policy.Result) []policy.Verdict {
		return []policy.Verdict{{Result: r, Allowed: r == policy.Allowed, Reason: "denied: because of shop/deny"}}
	}
	probed := func(o probe.TCPOutcome) *live {
		return &live{tcp: []*probe.TCPResult{{Outcome: o}}, numbers: []int32{5432}}
	}
	listened := func(r probe.ListenResult) *live {
		l := probed(probe.Refused)
		l.listen = &r
		return l
	}
	enforcing := &cni.Facts{Info: cnidetect.Info{Agents: []cnidetect.Agent{{Plugin: "calico"}}, Enforced: cnidetect.Enforces}}
	tests := []struct {
		name  string
		l     *live
		v     []policy.Verdict
		code  string
		words string
	}{
		{"refused", probed(probe.Refused), verdict(policy.Allowed), "POD005", "nothing listens on port 5432 (or it listens on 127.0.0.1 only)"},
		{"refused, sockets not read", listened(probe.ListenResult{Why: "no cat in container db of pod shop/db to read /proc/net/tcp"}), verdict(policy.Allowed), "POD005",
			"nothing listens on port 5432 (or it listens on 127.0.0.1 only); its listening sockets were not read: no cat in container db"},
		{"refused, loopback only", listened(sockets("127.0.0.1:5432")), verdict(policy.Allowed), "POD005", "refuses connections: it listens on 127.0.0.1:5432 only, which other pods cannot reach"},
		{"refused, other ports", listened(sockets("0.0.0.0:5433", "[::]:9187")), verdict(policy.Allowed), "POD005", "refuses connections: nothing listens on port 5432; it listens on 5433, 9187"},
		{"refused although listening", listened(sockets("0.0.0.0:5432")), verdict(policy.Allowed), "POD005", "it listens on 0.0.0.0:5432, so the refusal is not the application's"},
		{"timeout and deny", probed(probe.TimedOut), verdict(policy.Denied), "POD003", "timed out because NetworkPolicy denied: because of shop/deny"},
		{"timeout, allowed, other node", probed(probe.TimedOut), verdict(policy.Allowed), "POD005", "packets are lost between nodes n1 and n2"},
		{"connected despite deny", probed(probe.Connected), verdict(policy.Denied), "POD003", "calico should enforce it"},
		{"connected and allowed", probed(probe.Connected), verdict(policy.Allowed), "BASE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := conclude(report.Verdict{Code: "BASE"}, src, dst, tt.l, tt.v, enforcing, notAsked, nil)
			if v.Code != tt.code || !strings.Contains(v.Message, tt.words) {
				t.Errorf("got %s %q", v.Code, v.Message)
			}
			if netstat := len(v.Next) > 0 && strings.Contains(v.Next[0], "netstat"); netstat != (tt.l.tcp[0].Outcome == probe.Refused && (tt.l.listen == nil || !tt.l.listen.Ran)) {
				t.Errorf("netstat hint %t: %q", netstat, v.Next)
			}
		})
	}
}

// notAsked: the node checks did not run (no --node-checks).
var notAsked = &nodeProbe{how: "not asked"}

// sockets is what a destination was read to listen on.
func sockets(addrs ...string) probe.ListenResult {
	r := probe.ListenResult{Ran: true}
	for _, a := range addrs {
		ap := netip.MustParseAddrPort(a)
		r.Listeners = append(r.Listeners, probe.Listener{Address: ap.Addr(), Port: ap.Port()})
	}
	return r
}

// execRunner answers commands from a table keyed by the command line, as
// an exec into the destination would.
type execRunner map[string]probe.Output

func (f execRunner) Where() string { return "container db of pod shop/db" }

func (f execRunner) Run(_ context.Context, argv []string) (probe.Output, error) {
	out, ok := f[strings.Join(argv, " ")]
	if !ok {
		return probe.Output{ExitCode: 127}, probe.ErrNotFound
	}
	return out, nil
}

// A refused connect reads the destination's /proc/net/tcp through its
// session, once for all refused ports; a refused exec is a skipped step
// naming the permission.
func TestReadListening(t *testing.T) {
	ctx := context.Background()
	dst := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"}, Status: corev1.PodStatus{PodIP: "10.0.0.2"}}
	procNetTCP := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 31337 1 0000000000000000 100 0 0 10 0\n"
	reader := &probe.Prober{Runner: execRunner{strings.Join(probe.ListenCommand, " "): {Stdout: procNetTCP}}}
	ports := []Port{{Port: intstr.FromInt32(5432), Protocol: corev1.ProtocolTCP}, {Port: intstr.FromInt32(5433), Protocol: corev1.ProtocolTCP}}

	l := &live{dst: probe.Session{Reader: reader}, tcp: []*probe.TCPResult{{Target: "10.0.0.2:5432", Outcome: probe.Refused}, {Target: "10.0.0.2:5433", Outcome: probe.Refused}}, numbers: []int32{5432, 5433}}
	l.readListening(ctx)
	if l.listen == nil || !l.listen.Ran || l.tcp[0].Listening != l.listen || l.tcp[1].Listening != l.listen {
		t.Fatalf("not read once for both: %+v", l.listen)
	}
	if c := checkListening(dst, l); c != nil {
		t.Errorf("a skipped step although read: %+v", c)
	}
	v := conclude(report.Verdict{Code: "BASE"}, dst, dst, l, []policy.Verdict{{Result: policy.Allowed}, {Result: policy.Allowed}}, nil, notAsked, nil)
	if !strings.Contains(v.Message, "port 5432 is reachable but refuses connections: it listens on 127.0.0.1:5432 only") {
		t.Errorf("verdict: %q", v.Message)
	}
	l.src = probe.Session{Prober: reader}
	if c := checkTCP(dst, l, ports); !strings.Contains(c.Facts[len(c.Facts)-1].Value, "127.0.0.1:5432 (cat /proc/net/tcp /proc/net/tcp6 in container db of pod shop/db)") {
		t.Errorf("POD005 facts: %+v", c.Facts)
	}

	connected := &live{dst: probe.Session{Reader: reader}, tcp: []*probe.TCPResult{{Outcome: probe.Connected}}, numbers: []int32{5432}}
	if connected.readListening(ctx); connected.listen != nil {
		t.Errorf("read although nothing was refused")
	}

	perm := &report.Permission{Verb: "create", Resource: "pods/exec", Namespace: "shop"}
	forbidden := &live{dst: probe.Session{How: "not allowed to create pods/exec in namespace shop, so no live probes", Forbidden: perm},
		tcp: []*probe.TCPResult{{Outcome: probe.Refused}}, numbers: []int32{5432}}
	forbidden.readListening(ctx)
	c := checkListening(dst, forbidden)
	if c == nil || c.Status != report.Skip || c.Forbidden != perm || c.Code != "POD005" || !strings.Contains(c.Message, "not allowed to create pods/exec in namespace shop, so the listening sockets of pod shop/db were not read") {
		t.Fatalf("skipped step: %+v", c)
	}
	v = conclude(report.Verdict{Code: "BASE"}, dst, dst, forbidden, []policy.Verdict{{Result: policy.Allowed}}, nil, notAsked, nil)
	if !strings.Contains(v.Message, "(or it listens on 127.0.0.1 only); its listening sockets were not read: not allowed to create pods/exec") || !strings.Contains(v.Next[0], "netstat") {
		t.Errorf("verdict without sockets: %q %q", v.Message, v.Next)
	}
}
