package gateway

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// The certificates of a ListenerSet's listeners (GW009, GW010): a
// certificateRef without namespace resolves in the ListenerSet's
// namespace, and one of another namespace needs a ReferenceGrant from
// ListenerSet: the grant that lets the Gateway use a Secret does not
// extend to its ListenerSets (GEP-1713). A ListenerSet the Gateway does
// not admit is not judged.
func TestTLSOfListenerSets(t *testing.T) {
	https := func(name, host string, ref gwv1.SecretObjectReference) gwv1.Listener {
		return gwv1.Listener{Name: gwv1.SectionName(name), Protocol: gwv1.HTTPSProtocolType, Port: 443, Hostname: ptr(gwv1.Hostname(host)),
			TLS: &gwv1.ListenerTLSConfig{CertificateRefs: []gwv1.SecretObjectReference{ref}}}
	}
	entry := func(l gwv1.Listener) gwv1.ListenerEntry {
		return gwv1.ListenerEntry{Name: l.Name, Hostname: l.Hostname, Port: l.Port, Protocol: l.Protocol, TLS: l.TLS}
	}
	inCerts := func(name string) gwv1.SecretObjectReference {
		return gwv1.SecretObjectReference{Name: gwv1.ObjectName(name), Namespace: ptr(gwv1.Namespace("certs"))}
	}
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge"}, Spec: gwv1.GatewaySpec{GatewayClassName: "eg",
		Listeners:        []gwv1.Listener{https("https", "shared.example.com", inCerts("shared"))},
		AllowedListeners: &gwv1.AllowedListeners{Namespaces: &gwv1.ListenerNamespaces{From: ptr(gwv1.NamespacesFromAll)}}}}
	ls := &gwv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "extra"}}
	ls.Spec.ParentRef = gwv1.ParentGatewayReference{Name: "edge", Namespace: ptr(gwv1.Namespace("infra"))}
	ls.Spec.Listeners = []gwv1.ListenerEntry{
		entry(https("web", "web.example.com", gwv1.SecretObjectReference{Name: "web-tls"})), // team/web-tls
		entry(https("shared", "shared.example.com", inCerts("shared"))),                     // granted to the Gateway only
		entry(https("granted", "granted.example.com", inCerts("granted"))),                  // granted to ListenerSets of team
	}
	// A ListenerSet of another Gateway: its broken reference is not ours.
	foreign := &gwv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "foreign"}}
	foreign.Spec.ParentRef = gwv1.ParentGatewayReference{Name: "other", Namespace: ptr(gwv1.Namespace("infra"))}
	foreign.Spec.Listeners = []gwv1.ListenerEntry{entry(https("bad", "bad.example.com", gwv1.SecretObjectReference{Name: "nosuch"}))}
	grant := func(name, kind, ns, secret string) map[string]any {
		g := &gwv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: "certs", Name: name}, Spec: gwv1.ReferenceGrantSpec{
			From: []gwv1.ReferenceGrantFrom{{Group: gwv1.GroupName, Kind: gwv1.Kind(kind), Namespace: gwv1.Namespace(ns)}},
			To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Secret", Name: ptr(gwv1.ObjectName(secret))}},
		}}
		return toMap(t, g, "ReferenceGrant")
	}
	c := fakeCluster(t, []string{gatewayapi.Gateways, gatewayapi.ListenerSets, gatewayapi.ReferenceGrants}, map[string][]map[string]any{
		gatewayapi.Gateways:        {toMap(t, gw, "Gateway")},
		gatewayapi.ListenerSets:    {toMap(t, ls, "ListenerSet"), toMap(t, foreign, "ListenerSet")},
		gatewayapi.ReferenceGrants: {grant("gateways", "Gateway", "infra", "shared"), grant("team-listenersets", "ListenerSet", "team", "granted")},
	})
	secret := func(ns, name string, hosts ...string) {
		cert, key, err := testenv.Certificate(hosts, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
		if err != nil {
			t.Fatal(err)
		}
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}}
		if _, err := c.Typed.CoreV1().Secrets(ns).Create(t.Context(), s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	secret("team", "web-tls", "web.example.com")
	secret("certs", "shared", "shared.example.com")
	secret("certs", "granted", "other.example.com") // does not cover granted.example.com

	rep, err := Diagnose(t.Context(), c, Request{Namespace: "infra", Name: "edge", Now: func() time.Time { return now }, LogTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gw009 := report.Find(rep.Checks, checks.GwTLSRefs)
	want := "certificateRef certs/shared of listener shared (listenerset team/extra) is in another namespace and no ReferenceGrant in namespace certs lets ListenerSets of namespace team use it (RefNotPermitted): the listener serves no certificate; the ReferenceGrant for gateways of namespace infra does not extend to ListenerSets"
	if gw009 == nil || gw009.Status != report.Fail || !strings.HasPrefix(gw009.Message, want) {
		t.Fatalf("GW009 = %+v\nwant a failure starting %q", gw009, want)
	}
	if len(gw009.Objects) != 3 {
		t.Errorf("GW009 objects %v, want the 3 secrets once each", gw009.Objects)
	}
	if next := strings.Join(gw009.Next, ";"); next != "create a ReferenceGrant in namespace certs from ListenerSet (group gateway.networking.k8s.io) in namespace team to Secret shared" {
		t.Errorf("GW009 next %q", next)
	}
	facts := map[string]string{}
	for _, f := range gw009.Facts {
		facts[f.Name] = f.Value
	}
	for name, value := range map[string]string{
		"listener https secret certs/shared":                             "type kubernetes.io/tls; keys tls.crt, tls.key",
		"listener web (listenerset team/extra) secret team/web-tls":      "type kubernetes.io/tls; keys tls.crt, tls.key",
		"listener granted (listenerset team/extra) secret certs/granted": "type kubernetes.io/tls; keys tls.crt, tls.key",
	} {
		if facts[name] != value {
			t.Errorf("GW009 fact %q = %q, want %q", name, facts[name], value)
		}
	}
	if len(gw009.Facts) != 4 {
		t.Errorf("GW009: %d facts, want 4 (the foreign ListenerSet's listener is not ours): %+v", len(gw009.Facts), gw009.Facts)
	}
	gw010 := report.Find(rep.Checks, checks.GwTLSCertificates)
	want = "listener granted (listenerset team/extra): the certificate in secret granted does not cover granted.example.com"
	if gw010 == nil || gw010.Status != report.Fail || !strings.HasPrefix(gw010.Message, want) {
		t.Errorf("GW010 = %+v\nwant a failure starting %q", gw010, want)
	}
	if gw010 != nil && len(gw010.Facts) != 3 {
		t.Errorf("GW010: %d facts, want 3 (https, web, granted): %+v", len(gw010.Facts), gw010.Facts)
	}
}
