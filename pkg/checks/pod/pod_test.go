package pod

import (
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
	enforcing := &cni.Facts{Info: cnidetect.Info{Agents: []cnidetect.Agent{{Plugin: "calico"}}, Enforced: cnidetect.Enforces}}
	tests := []struct {
		name  string
		l     *live
		v     []policy.Verdict
		code  string
		words string
	}{
		{"refused", probed(probe.Refused), verdict(policy.Allowed), "POD005", "nothing listens on port 5432"},
		{"timeout and deny", probed(probe.TimedOut), verdict(policy.Denied), "POD003", "timed out because NetworkPolicy denied: because of shop/deny"},
		{"timeout, allowed, other node", probed(probe.TimedOut), verdict(policy.Allowed), "POD005", "packets are lost between nodes n1 and n2"},
		{"connected despite deny", probed(probe.Connected), verdict(policy.Denied), "POD003", "calico should enforce it"},
		{"connected and allowed", probed(probe.Connected), verdict(policy.Allowed), "BASE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := conclude(report.Verdict{Code: "BASE"}, src, dst, tt.l, tt.v, enforcing)
			if v.Code != tt.code || !strings.Contains(v.Message, tt.words) {
				t.Errorf("got %s %q", v.Code, v.Message)
			}
		})
	}
}
