package gateway

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// A cluster without the Gateway API: one line, no report.
func TestNotServed(t *testing.T) {
	_, err := Diagnose(t.Context(), kube.Clients{Typed: fake.NewClientset()}, Request{Namespace: "x", Name: "y"})
	if !errors.Is(err, ErrNotServed) {
		t.Errorf("err = %v, want ErrNotServed", err)
	}
}

func cond(t string, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: reason + " message", ObservedGeneration: gen}
}

func TestStatusCheck(t *testing.T) {
	gw := func(gen int64, conds ...metav1.Condition) *gwv1.Gateway {
		g := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge", Generation: gen}, Spec: gwv1.GatewaySpec{GatewayClassName: "eg"}}
		g.Status.Conditions = conds
		return g
	}
	tests := []struct {
		name   string
		gw     *gwv1.Gateway
		status report.Status
		msg    string
	}{
		{"no status", gw(1), report.Fail, "no controller has processed gateway infra/edge"},
		{"the CRD's default", gw(1, cond("Accepted", "Unknown", "Pending", 0), cond("Programmed", "Unknown", "Pending", 0)), report.Fail, "no controller has processed"},
		{"not accepted", gw(1, cond("Accepted", "False", "InvalidParameters", 1)), report.Fail, "is not accepted: False (InvalidParameters)"},
		{"not programmed", gw(1, cond("Accepted", "True", "Accepted", 1), cond("Programmed", "False", "AddressNotAssigned", 1)), report.Fail, "is not programmed: False (AddressNotAssigned)"},
		{"not yet programmed", gw(1, cond("Accepted", "True", "Accepted", 1)), report.Warn, "accepted but not yet programmed"},
		{"stale", gw(3, cond("Accepted", "True", "Accepted", 2), cond("Programmed", "True", "Programmed", 2)), report.Warn, "has not seen its latest spec (generation 3, conditions of 2)"},
		{"fine", gw(1, cond("Accepted", "True", "Accepted", 1), cond("Programmed", "True", "Programmed", 1)), report.Pass, "accepted and programmed"},
	}
	for _, tt := range tests {
		c := StatusCheck(tt.gw)
		if c.Status != tt.status || !strings.Contains(c.Message, tt.msg) {
			t.Errorf("%s: %s %q, want %s containing %q", tt.name, c.Status, c.Message, tt.status, tt.msg)
		}
	}
}

func TestImplementations(t *testing.T) {
	for ctrl, want := range map[string]string{
		"gateway.envoyproxy.io/gatewayclass-controller": "Envoy Gateway",
		"istio.io/gateway-controller":                   "Istio",
		"traefik.io/gateway-controller":                 "Traefik",
		"gateway.nginx.org/nginx-gateway-controller":    "NGINX Gateway Fabric",
		"networking.gke.io/gateway":                     "GKE Gateway",
		"example.com/custom":                            "",
	} {
		got := ""
		if k := lookupImplementation(ctrl); k != nil {
			got = k.name
		}
		if got != want {
			t.Errorf("%s: %q, want %q", ctrl, got, want)
		}
	}
	if got := expand([]string{"a={name},b={namespace}"}, "infra", "edge"); got[0] != "a=edge,b=infra" {
		t.Errorf("expand: %v", got)
	}
}

func TestHoldsAddress(t *testing.T) {
	svc := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.9"},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{Hostname: "lb.example.com"}}}}}
	for addrs, want := range map[string]string{"lb.example.com": "lb.example.com", "10.0.0.9": "10.0.0.9", "192.0.2.1": ""} {
		if got := holdsAddress(svc, []string{addrs}); got != want {
			t.Errorf("%s: %q", addrs, got)
		}
	}
}

// The TLS of listeners: a listener without certificateRefs, one whose
// secret is in another namespace without a grant, and coverage of the
// hostnames of attached routes when the listener has none.
func TestEvaluateTLS(t *testing.T) {
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge"}}
	https := func(name, host string, refs ...gwv1.SecretObjectReference) gwv1.Listener {
		l := gwv1.Listener{Name: gwv1.SectionName(name), Protocol: gwv1.HTTPSProtocolType, Port: 443, TLS: &gwv1.ListenerTLSConfig{CertificateRefs: refs}}
		if host != "" {
			l.Hostname = ptr(gwv1.Hostname(host))
		}
		return l
	}
	gw.Spec.Listeners = []gwv1.Listener{
		https("none", "a.example.com"),
		https("cross", "b.example.com", gwv1.SecretObjectReference{Name: "shared", Namespace: ptr(gwv1.Namespace("certs"))}),
		https("any", "", gwv1.SecretObjectReference{Name: "wild"}),
		{Name: "plain", Protocol: gwv1.HTTPProtocolType, Port: 80},
	}
	f := &facts{gw: gw, now: now, secrets: map[string]*tlscert.Secret{"infra/wild": {Namespace: "infra", Name: "wild", Found: true, Type: corev1.SecretTypeTLS}}}
	a := &analysis{attachments: []ParentAttachment{{Attachment: routingAttachment("any", "shop.example.com")}}}
	entries := evaluateTLS(f, a)
	if len(entries) != 3 {
		t.Fatalf("%d entries", len(entries))
	}
	if e := entries[0]; e.refStatus != report.Fail || !strings.Contains(e.refMsg, "has no certificateRefs") {
		t.Errorf("none: %s %s", e.refStatus, e.refMsg)
	}
	if e := entries[1]; e.refStatus != report.Fail || !strings.Contains(e.refMsg, "RefNotPermitted") {
		t.Errorf("cross: %s %s", e.refStatus, e.refMsg)
	}
	if e := entries[2]; strings.Join(e.hosts, ",") != "shop.example.com" || e.hostsFrom != "hostnames of the attached routes" {
		t.Errorf("any: hosts %v from %q", e.hosts, e.hostsFrom)
	}
}

func ptr[T any](v T) *T { return &v }

func routingAttachment(listener, host string) routing.Attachment {
	return routing.Attachment{Accepted: true, Listeners: []routing.ListenerVerdict{{Listener: listener, Selected: true, Accepted: true, Hostnames: []string{host}}}}
}
