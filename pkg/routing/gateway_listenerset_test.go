package routing

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func listenerSet(ns, name string, created time.Time, parent string, ls ...gwv1.Listener) gwv1.ListenerSet {
	s := gwv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(created)}}
	pns, pname, _ := strings.Cut(parent, "/")
	s.Spec.ParentRef = gwv1.ParentGatewayReference{Name: gwv1.ObjectName(pname), Namespace: ptrTo(gwv1.Namespace(pns))}
	for _, l := range ls {
		s.Spec.Listeners = append(s.Spec.Listeners, gwv1.ListenerEntry{Name: l.Name, Hostname: l.Hostname, Port: l.Port, Protocol: l.Protocol, TLS: l.TLS, AllowedRoutes: l.AllowedRoutes})
	}
	return s
}

func allowListeners(gw *gwv1.Gateway, from gwv1.FromNamespaces, sel *metav1.LabelSelector) *gwv1.Gateway {
	gw.Spec.AllowedListeners = &gwv1.AllowedListeners{Namespaces: &gwv1.ListenerNamespaces{From: &from, Selector: sel}}
	return gw
}

func TestListenerSetAllowed(t *testing.T) {
	team := map[string]string{"team": "shop"}
	tests := []struct {
		name      string
		gw        *gwv1.Gateway
		ns        string
		labels    map[string]string
		known     bool
		allowed   bool
		undecided bool
		why       string
	}{
		{"default: None", gateway("infra", "edge"), "infra", nil, true, false, false, "no ListenerSet (allowedListeners from: None, the default)"},
		{"None", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromNone, nil), "infra", nil, true, false, false, "from: None"},
		{"Same, same namespace", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromSame, nil), "infra", nil, true, true, false, ""},
		{"Same, other namespace", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromSame, nil), "team", nil, true, false, false, "namespace infra only (allowedListeners from: Same), not from namespace team"},
		{"All", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromAll, nil), "team", nil, true, true, false, ""},
		{"Selector matches", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromSelector, &metav1.LabelSelector{MatchLabels: team}), "team", team, true, true, false, ""},
		{"Selector misses", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromSelector, &metav1.LabelSelector{MatchLabels: team}), "team", map[string]string{"team": "blog"}, true, false, false, "labelled team=shop"},
		{"Selector, labels unknown", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromSelector, &metav1.LabelSelector{MatchLabels: team}), "team", nil, false, false, true, "could not be read"},
		{"Selector without selector", allowListeners(gateway("infra", "edge"), gwv1.NamespacesFromSelector, nil), "team", team, true, false, false, "invalid selector"},
	}
	for _, tt := range tests {
		allowed, undecided, why := ListenerSetAllowed(tt.gw, tt.ns, tt.labels, tt.known)
		if allowed != tt.allowed || undecided != tt.undecided || !strings.Contains(why, tt.why) || (allowed && why != "") {
			t.Errorf("%s: %t %t %q, want %t %t containing %q", tt.name, allowed, undecided, why, tt.allowed, tt.undecided, tt.why)
		}
	}
}

// The merged list: the Gateway's own listeners, then the ListenerSets'
// oldest first, then by namespace/name; a conflict between resources keeps
// the first by precedence, one within a resource keeps neither.
func TestMergedListenerConflicts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gw := gateway("infra", "edge",
		listener("http", gwv1.HTTPProtocolType, 80, "shop.example.com"),
		listener("http-dup", gwv1.HTTPProtocolType, 80, "shop.example.com"))
	sets := []gwv1.ListenerSet{
		// Newest: last, though first in the list and alphabetically.
		listenerSet("a", "newest", t0.Add(time.Hour), "infra/edge", listener("web", gwv1.HTTPProtocolType, 80, "blog.example.com")),
		listenerSet("team", "b", t0, "infra/edge", listener("web", gwv1.HTTPProtocolType, 80, "shop.example.com"), listener("raw", gwv1.TCPProtocolType, 8080, "")),
		listenerSet("team", "a", t0, "infra/edge", listener("web", gwv1.HTTPProtocolType, 80, "blog.example.com"), listener("tls", gwv1.TLSProtocolType, 8080, "db.example.com")),
	}
	merged := MergeListeners(gw, sets)
	var order []string
	for i := range merged {
		order = append(order, merged[i].Label())
	}
	wantOrder := "http, http-dup, web (listenerset team/a), tls (listenerset team/a), web (listenerset team/b), raw (listenerset team/b), web (listenerset a/newest)"
	if got := strings.Join(order, ", "); got != wantOrder {
		t.Errorf("merged order:\n%s\nwant\n%s", got, wantOrder)
	}
	if sets[0].Name != "newest" {
		t.Error("MergeListeners reordered its argument")
	}
	got := map[string]ListenerConflict{}
	for _, c := range MergedListenerConflicts(merged) {
		got[ListenerLabel(c.SetA, c.A)+" + "+ListenerLabel(c.SetB, c.B)] = c
	}
	want := map[string]struct {
		reason     gwv1.ListenerConditionReason
		precedence bool
	}{
		"http + http-dup":                                       {gwv1.ListenerReasonHostnameConflict, false},
		"http + web (listenerset team/b)":                       {gwv1.ListenerReasonHostnameConflict, true},
		"http-dup + web (listenerset team/b)":                   {gwv1.ListenerReasonHostnameConflict, true},
		"web (listenerset team/a) + web (listenerset a/newest)": {gwv1.ListenerReasonHostnameConflict, true},
		"tls (listenerset team/a) + raw (listenerset team/b)":   {gwv1.ListenerReasonProtocolConflict, true},
	}
	for k, w := range want {
		c, ok := got[k]
		if !ok || c.Reason != w.reason || c.Precedence != w.precedence || c.Message == "" {
			t.Errorf("conflict %s = %+v, want %s precedence %t", k, c, w.reason, w.precedence)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d conflicts, want %d: %v", len(got), len(want), got)
	}
	// The Gateway-only form is unchanged: no ListenerSet, no precedence.
	for _, c := range ListenerConflicts(gw.Spec.Listeners) {
		if c.Precedence || c.SetA != "" || c.A != "http" || c.B != "http-dup" {
			t.Errorf("ListenerConflicts: %+v", c)
		}
	}
}

func TestAttachListenerSet(t *testing.T) {
	set := listenerSet("team", "extra", time.Time{}, "infra/edge",
		listener("web", gwv1.HTTPProtocolType, 80, "*.team.example"),
		allowFrom(listener("open", gwv1.HTTPProtocolType, 8080, ""), gwv1.NamespacesFromAll, nil))
	lsRef := func(ns, section string) gwv1.ParentReference {
		ref := gwv1.ParentReference{Group: ptrTo(gwv1.Group(GatewayGroup)), Kind: ptrTo(gwv1.Kind(ListenerSetKind)), Name: "extra"}
		if ns != "" {
			ref.Namespace = ptrTo(gwv1.Namespace(ns))
		}
		if section != "" {
			ref.SectionName = ptrTo(gwv1.SectionName(section))
		}
		return ref
	}
	route := func(ns string, hosts ...gwv1.Hostname) RouteInfo {
		return RouteInfo{Kind: "HTTPRoute", Namespace: ns, Name: "r", Hostnames: hosts, NamespaceKnown: true}
	}
	if !RefersToListenerSet(lsRef("", ""), "team", &set) || RefersToListenerSet(lsRef("", ""), "other", &set) ||
		RefersToListenerSet(gwv1.ParentReference{Name: "extra"}, "team", &set) {
		t.Error("RefersToListenerSet")
	}
	if _, _, ok := ParentGateway(lsRef("", ""), "team"); ok {
		t.Error("ParentGateway takes a ListenerSet for a Gateway")
	}
	if ns, name, ok := ListenerSetParent(&set); !ok || ns != "infra" || name != "edge" {
		t.Errorf("ListenerSetParent = %s/%s %t", ns, name, ok)
	}
	// from: Same is the ListenerSet's namespace, not the Gateway's.
	a := AttachListenerSet(&set, lsRef("", ""), route("team", "shop.team.example"))
	if !a.Accepted || a.Message != "accepted by listener(s) web, open" {
		t.Errorf("same namespace: %+v", a)
	}
	a = AttachListenerSet(&set, lsRef("team", "web"), route("infra", "shop.team.example"))
	if a.Accepted || a.Reason != gwv1.RouteReasonNotAllowedByListeners || !strings.Contains(a.Message, "namespace team only (from: Same), not from namespace infra") {
		t.Errorf("other namespace: %+v", a)
	}
	a = AttachListenerSet(&set, lsRef("", "https"), route("team"))
	if a.Accepted || a.Reason != gwv1.RouteReasonNoMatchingParent || a.Message != "listenerset team/extra has no listener named https" {
		t.Errorf("no such listener: %+v", a)
	}
}
