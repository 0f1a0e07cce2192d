package policyfetch

import (
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// NativeKind is a policy kind of a network plugin's own API. Cilium's and
// Calico's are decoded for the engine (CiliumKind, CalicoKind); the objects
// of the others, which it does not evaluate, may allow or deny traffic, so
// each one read becomes a policy.UnjudgedPolicy and the pods it may select
// get no verdict.
type NativeKind struct {
	// Group and Kind name the API: "cilium.io", "CiliumNetworkPolicy".
	Group string
	Kind  string
	// Resource is the plural name RBAC and the REST path use.
	Resource string
	// Namespaced: the kind is namespaced (its objects select pods of
	// their namespace only).
	Namespaced bool
}

// NativeKinds is the table of the plugins' policy kinds this version knows.
// Served kinds outside it can still count as policies by the general rule
// of ClassifyKind.
func NativeKinds() []NativeKind {
	return []NativeKind{
		{Group: "cilium.io", Kind: "CiliumNetworkPolicy", Resource: "ciliumnetworkpolicies", Namespaced: true},
		{Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy", Resource: "ciliumclusterwidenetworkpolicies"},
		// Calico: the aggregated API (v3) and the CRDs behind it (v1) hold
		// the same objects; see SameObjectsGroup.
		{Group: "projectcalico.org", Kind: "NetworkPolicy", Resource: "networkpolicies", Namespaced: true},
		{Group: "projectcalico.org", Kind: "GlobalNetworkPolicy", Resource: "globalnetworkpolicies"},
		{Group: "crd.projectcalico.org", Kind: "NetworkPolicy", Resource: "networkpolicies", Namespaced: true},
		{Group: "crd.projectcalico.org", Kind: "GlobalNetworkPolicy", Resource: "globalnetworkpolicies"},
		{Group: "crd.antrea.io", Kind: "NetworkPolicy", Resource: "networkpolicies", Namespaced: true},
		{Group: "crd.antrea.io", Kind: "ClusterNetworkPolicy", Resource: "clusternetworkpolicies"},
		// An egress policy of OVN-Kubernetes, one per namespace.
		{Group: "k8s.ovn.org", Kind: "EgressFirewall", Resource: "egressfirewalls", Namespaced: true},
	}
}

// SameObjectsGroup names the group that serves the same objects as group
// under another API ("" if none): Calico's aggregated API projectcalico.org
// is a view of its CRDs in crd.projectcalico.org. When both serve a kind,
// projectcalico.org is read.
func SameObjectsGroup(group string) string {
	switch group {
	case "projectcalico.org":
		return "crd.projectcalico.org"
	case "crd.projectcalico.org":
		return "projectcalico.org"
	}
	return ""
}

// ClassifyKind says whether kind of group is a CNI-native policy kind (the
// engine judges Cilium's and Calico's, see CiliumKind and CalicoKind, and no
// other): a kind of NativeKinds, or by the general rule any kind
// named *NetworkPolicy or *NetworkPolicies of another group. inTable: it is
// in NativeKinds, and k says its resource and scope; otherwise k has only
// Group and Kind, and the caller must learn the rest (discovery) or assume
// the worst (cluster scope). Kinds the engine judges (networking.k8s.io,
// policy.networking.k8s.io), the core group, Calico's staged
// policies (they do not enforce) and Antrea's internal control-plane view
// (computed from the policies of the other APIs) are not policies here.
func ClassifyKind(group, kind string) (k NativeKind, isPolicy, inTable bool) {
	for _, u := range NativeKinds() {
		if u.Group == group && u.Kind == kind {
			return u, true, true
		}
	}
	switch group {
	case "", // the core group has none: "v1 NetworkPolicy" is a mistake, not another API
		"networking.k8s.io", "policy.networking.k8s.io",
		"extensions",             // old NetworkPolicy API, the same objects as networking.k8s.io
		"controlplane.antrea.io": // Antrea's computed view of every policy, NetworkPolicies included
		return NativeKind{}, false, false
	case "projectcalico.org", "crd.projectcalico.org":
		if strings.HasPrefix(kind, "Staged") {
			return NativeKind{}, false, false
		}
	}
	if strings.HasSuffix(kind, "NetworkPolicy") || strings.HasSuffix(kind, "NetworkPolicies") {
		return NativeKind{Group: group, Kind: kind}, true, false
	}
	return NativeKind{}, false, false
}

// CiliumKind says whether group/kind is a Cilium policy the engine judges.
func CiliumKind(group, kind string) (policy.PolicyKind, bool) {
	if group != "cilium.io" {
		return "", false
	}
	switch k := policy.PolicyKind(kind); k {
	case policy.KindCiliumNetworkPolicy, policy.KindCiliumClusterwideNetworkPolicy:
		return k, true
	}
	return "", false
}

// CalicoKind says whether group/kind is a Calico policy the engine judges:
// NetworkPolicy or GlobalNetworkPolicy of projectcalico.org (v3) or
// crd.projectcalico.org (v1), which hold the same objects.
func CalicoKind(group, kind string) (policy.PolicyKind, bool) {
	if group != "projectcalico.org" && group != "crd.projectcalico.org" {
		return "", false
	}
	switch kind {
	case "NetworkPolicy":
		return policy.KindCalicoNetworkPolicy, true
	case "GlobalNetworkPolicy":
		return policy.KindCalicoGlobalNetworkPolicy, true
	}
	return "", false
}

// IsCalicoTier says whether group/kind is Calico's Tier, which orders its
// policies (cluster-scoped, resource "tiers", in both Calico groups).
func IsCalicoTier(group, kind string) bool {
	return kind == "Tier" && (group == "projectcalico.org" || group == "crd.projectcalico.org")
}

// NotEvaluated is the reason given for an object of an unjudged kind.
func NotEvaluated(kind string) string {
	return kind + " is not evaluated by this version"
}
