package route

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// RT011 says why a backend refuses the data plane, from its listening
// sockets when they were read, and why they were not otherwise.
func TestBackendRefusalListening(t *testing.T) {
	p := &parent{key: "infra/gw", pg: &parentGateway{gw: &gwv1.Gateway{}}, winner: &winner{}}
	from := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "envoy-1"}}
	refused := func(listen *probe.ListenResult) *live {
		return &live{from: from, how: "exec in envoy-1", probes: []BackendProbe{{Backend: "shop/web:80", Pod: "web-1",
			Result: probe.TCPResult{Target: "10.244.1.1:8080", Outcome: probe.Refused, Listening: listen}}}}
	}
	loopback := &probe.ListenResult{Ran: true, Listeners: []probe.Listener{{Address: netip.MustParseAddr("127.0.0.1"), Port: 8080}}}
	for _, tc := range []struct {
		name string
		l    *live
		want string
	}{
		{"not read (no backend pod)", refused(nil), "(nothing listens on that port)"},
		{"loopback only", refused(loopback), "(it listens on 127.0.0.1:8080 only, which other pods cannot reach"},
		{"exec forbidden", refused(&probe.ListenResult{Why: "not allowed to create pods/exec in namespace shop"}),
			"(nothing listens on that port, or only on 127.0.0.1; its listening sockets were not read: not allowed to create pods/exec in namespace shop)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkBackendAnswers(nil, nil, p, tc.l)
			if c.Status != report.Fail || !strings.Contains(c.Message, "502: backend shop/web:80 endpoint 10.244.1.1:8080 refuses connections from the data plane "+tc.want) {
				t.Errorf("RT011: %s %q", c.Status, c.Message)
			}
		})
	}
}
