package policyfetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// ClusterNetworkPolicy resources: v1alpha2 and v1beta1 are versions of one
// CRD (the same objects, the same schema); v1beta1 is read when served.
var (
	cnpBeta   = schema.GroupVersionResource{Group: cnp.GroupName, Version: "v1beta1", Resource: "clusternetworkpolicies"}
	cnpAlpha2 = schema.GroupVersionResource{Group: cnp.GroupName, Version: "v1alpha2", Resource: "clusternetworkpolicies"}
)

// servedKind is a CNI-native policy kind the cluster serves (NativeKinds or
// the general rule of ClassifyKind), at the version to read.
type servedKind struct {
	NativeKind
	Version string
}

func (k servedKind) gvr() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}

// apis is what discovery says about the policy APIs.
type apis struct {
	// admin: policy.networking.k8s.io/v1alpha1 serves the admin kinds.
	admin bool
	// cnp is the ClusterNetworkPolicy version to read; zero: not served.
	cnp schema.GroupVersionResource
	// policyGroupFailed: discovery of policy.networking.k8s.io failed, so
	// the judged kinds it did not show are read blindly (a NotFound
	// answer means not installed).
	policyGroupFailed bool
	// unjudged are the CNI-native kinds to list (Cilium's and Calico's are
	// decoded for the engine, the others are not judged).
	unjudged []servedKind
	// calico: a Calico policy kind is served (listable or not), so its
	// tiers are read: tiers is the Tier resource to list, zero when none
	// is served, and then tiersUnread says so.
	calico      bool
	tiers       schema.GroupVersionResource
	tiersUnread string
	// unknown are the kinds that cannot be listed: their discovery failed,
	// or they offer no list.
	unknown []policy.UnjudgedPolicy
	// detected are the policy kinds served beyond NetworkPolicy, as
	// group/version/Kind.
	detected []string
}

// discover reads the served APIs (one aggregated discovery request on
// current API servers). A group whose discovery failed is tolerated: a
// known policy group becomes unknown kinds, the judged group is read
// blindly. Discovery failing as a whole is an error: what policies exist
// cannot be known.
func discover(client kubernetes.Interface) (*apis, error) {
	groups, lists, err := client.Discovery().ServerGroupsAndResources()
	failed := map[string][]string{} // group -> "group/version: error"
	if err != nil {
		failedGVs, partial := discovery.GroupDiscoveryFailedErrorGroups(err)
		if !partial {
			return nil, fmt.Errorf("discovering the policy APIs: %w", err)
		}
		for gv, e := range failedGVs {
			failed[gv.Group] = append(failed[gv.Group], fmt.Sprintf("%s: %v", gv, e))
		}
	}
	byGV := map[string]*metav1.APIResourceList{}
	for _, l := range lists {
		if l != nil {
			byGV[l.GroupVersion] = l
		}
	}
	a := &apis{policyGroupFailed: len(failed[cnp.GroupName]) > 0}
	seen := map[string]servedKind{} // group/Kind
	// Calico's Tier resource per group, at the first version listed.
	tiers := map[string]schema.GroupVersionResource{}
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, v := range versionsOf(g) {
			l := byGV[schema.GroupVersion{Group: g.Name, Version: v}.String()]
			if l == nil {
				continue
			}
			for _, r := range l.APIResources {
				if strings.Contains(r.Name, "/") {
					continue // a subresource
				}
				if g.Name == cnp.GroupName {
					a.judged(v, r)
					continue
				}
				if r.Name == "tiers" && IsCalicoTier(g.Name, cmp.Or(r.Kind, "Tier")) {
					if _, dup := tiers[g.Name]; !dup && (len(r.Verbs) == 0 || slices.Contains(r.Verbs, "list")) {
						tiers[g.Name] = schema.GroupVersionResource{Group: g.Name, Version: v, Resource: r.Name}
					}
					continue
				}
				uk, isPolicy, _ := ClassifyKind(g.Name, r.Kind)
				key := g.Name + "/" + r.Kind
				if _, dup := seen[key]; !isPolicy || dup {
					continue
				}
				uk.Resource, uk.Namespaced = r.Name, r.Namespaced
				k := servedKind{NativeKind: uk, Version: v}
				seen[key] = k
				if _, ok := CalicoKind(g.Name, r.Kind); ok {
					a.calico = true
				}
				a.detected = append(a.detected, g.Name+"/"+v+"/"+r.Kind)
				if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, "list") {
					a.unknown = append(a.unknown, policy.UnjudgedPolicy{Group: k.Group, Kind: k.Kind, Namespaced: k.Namespaced,
						Reason: fmt.Sprintf("%s %s cannot be listed (the API offers no list)", k.Group, k.Resource)})
					continue
				}
				a.unjudged = append(a.unjudged, k)
			}
		}
	}
	if !a.cnp.Empty() {
		a.detected = append(a.detected, cnp.GroupName+"/"+a.cnp.Version+"/ClusterNetworkPolicy")
	}
	// Objects served under two groups are read once, from
	// projectcalico.org when it can list them.
	listable := map[string]bool{}
	for _, k := range a.unjudged {
		listable[k.Group+"/"+k.Kind] = true
	}
	a.unjudged = slices.DeleteFunc(a.unjudged, func(k servedKind) bool {
		return k.Group == "crd.projectcalico.org" && listable[SameObjectsGroup(k.Group)+"/"+k.Kind]
	})
	// A known policy kind whose group failed discovery may exist: unless
	// the same objects are served elsewhere, it cannot be listed.
	for _, uk := range NativeKinds() {
		errs := failed[uk.Group]
		if len(errs) == 0 {
			continue
		}
		if _, ok := seen[uk.Group+"/"+uk.Kind]; ok {
			continue
		}
		if _, ok := seen[SameObjectsGroup(uk.Group)+"/"+uk.Kind]; ok {
			continue
		}
		sort.Strings(errs)
		a.unknown = append(a.unknown, policy.UnjudgedPolicy{Group: uk.Group, Kind: uk.Kind, Namespaced: uk.Namespaced,
			Reason: "discovery of " + uk.Group + " failed (" + strings.Join(errs, "; ") + ")"})
		if _, ok := CalicoKind(uk.Group, uk.Kind); ok {
			a.calico = true
		}
	}
	// Calico's tiers, from projectcalico.org when it serves them (the
	// same objects as crd.projectcalico.org).
	a.tiers = cmp.Or(tiers["projectcalico.org"], tiers["crd.projectcalico.org"])
	if a.calico && a.tiers.Empty() {
		var errs []string
		for _, g := range []string{"projectcalico.org", "crd.projectcalico.org"} {
			errs = append(errs, failed[g]...)
		}
		sort.Strings(errs)
		a.tiersUnread = "Calico serves no Tier API that can be listed"
		if len(errs) > 0 {
			a.tiersUnread = "discovery of Calico's Tier API failed (" + strings.Join(errs, "; ") + ")"
		}
	}
	return a, nil
}

// versionsOf lists a group's versions, the preferred one first.
func versionsOf(g *metav1.APIGroup) []string {
	out := []string{}
	if g.PreferredVersion.Version != "" {
		out = append(out, g.PreferredVersion.Version)
	}
	for _, v := range g.Versions {
		if !slices.Contains(out, v.Version) {
			out = append(out, v.Version)
		}
	}
	return out
}

// judged notes a resource of policy.networking.k8s.io. Of the
// ClusterNetworkPolicy versions (one CRD), only the one read is detected.
func (a *apis) judged(version string, r metav1.APIResource) {
	switch {
	case version == anpResource.Version && (r.Name == anpResource.Resource || r.Name == banpResource.Resource):
		a.admin = true
		kind := "AdminNetworkPolicy"
		if r.Name == banpResource.Resource {
			kind = "BaselineAdminNetworkPolicy"
		}
		a.detected = append(a.detected, cnp.GroupName+"/"+version+"/"+cmp.Or(r.Kind, kind))
	case r.Name == cnpBeta.Resource && version == cnpBeta.Version:
		a.cnp = cnpBeta
	case r.Name == cnpAlpha2.Resource && version == cnpAlpha2.Version:
		if a.cnp.Empty() {
			a.cnp = cnpAlpha2
		}
	}
}

// readCNP lists the ClusterNetworkPolicies at the version discovery chose,
// or blindly (v1beta1, then v1alpha2) when discovery of their group failed.
// It returns the version read, empty when the API is not installed.
func readCNP(ctx context.Context, dyn dynamic.Interface, a *apis) ([]cnp.ClusterNetworkPolicy, string, error) {
	try := []schema.GroupVersionResource{a.cnp}
	if a.cnp.Empty() {
		if !a.policyGroupFailed {
			return nil, "", nil
		}
		try = []schema.GroupVersionResource{cnpBeta, cnpAlpha2}
	}
	for _, gvr := range try {
		list, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue // not installed (or removed since discovery)
		}
		if err != nil {
			return nil, "", kube.Read(kube.List(gvr.Group, gvr.Resource, ""), err)
		}
		out := make([]cnp.ClusterNetworkPolicy, 0, len(list.Items))
		for _, u := range list.Items {
			var p cnp.ClusterNetworkPolicy
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
				return nil, "", fmt.Errorf("decoding ClusterNetworkPolicy %s (%s): %w", u.GetName(), gvr.Version, err)
			}
			// Decoded into the v1beta1 type whatever the version read.
			p.TypeMeta = metav1.TypeMeta{APIVersion: cnp.GroupVersion.String(), Kind: "ClusterNetworkPolicy"}
			out = append(out, p)
		}
		return out, gvr.Version, nil
	}
	return nil, "", nil
}

// listed is what a list of a CNI-native policy kind gave: Cilium and Calico
// policies the engine judges, and entries it does not.
type listed struct {
	cilium   []policy.CiliumPolicy
	calico   []policy.CalicoPolicy
	unjudged []policy.UnjudgedPolicy
}

// listKind lists the objects of a CNI-native policy kind in ns ("" = all
// namespaces; ignored for a cluster-scoped kind). Cilium and Calico policies
// are decoded for the engine; an object it cannot read whole, and every
// object of the other kinds, becomes an unjudged entry. An answer of the API
// server refusing the list (forbidden, or any other error status) becomes
// one entry for the kind: the engine then leaves the pods it may select
// undecided. Only a failure to reach the API server is an error.
//
// Calico objects read from crd.projectcalico.org/v1 (when the v3 API is not
// served) are decoded as they are: the CRDs store the v3 spec unchanged
// (libcalico-go writes its apiv3 types to them), so only the name may differ
// from what the v3 API shows. Before Calico v3.32 the stored name carries
// the tier prefix, "default." included ("default.allow-dns" where the v3 API
// shows "allow-dns"); it is kept as stored: stripping it could not be undone
// for a name such as "default.a.b", and policy.CalicoPolicy.LegacyNameTier
// reads the tier those versions take from the name. spec.tier is not filled
// in from the name either: since v3.32 it alone names the tier, and where
// the two disagree the engine says the version of Calico decides.
func listKind(ctx context.Context, dyn dynamic.Interface, k servedKind, ns string) (listed, error) {
	if !k.Namespaced {
		ns = ""
	}
	var ri dynamic.ResourceInterface = dyn.Resource(k.gvr())
	if k.Namespaced {
		ri = dyn.Resource(k.gvr()).Namespace(ns)
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return listed{}, nil // removed since discovery
	case err != nil && kube.IsAPIAnswer(err):
		return listed{unjudged: []policy.UnjudgedPolicy{{Group: k.Group, Kind: k.Kind, Namespaced: k.Namespaced, Namespace: ns,
			Reason: cannotList(k, ns, err)}}}, nil
	case err != nil:
		return listed{}, kube.Read(kube.List(k.Group, k.Resource, ns), err)
	}
	var out listed
	for _, u := range list.Items {
		p := policy.UnjudgedPolicy{Group: k.Group, Kind: k.Kind, Namespaced: k.Namespaced, Name: u.GetName(), Reason: NotEvaluated(k.Kind)}
		if k.Namespaced {
			p.Namespace = u.GetNamespace()
		}
		if kind, ok := CiliumKind(k.Group, k.Kind); ok {
			c, err := policy.DecodeCiliumPolicy(kind, u.Object)
			if err == nil {
				out.cilium = append(out.cilium, c)
				continue
			}
			p.Reason = "has a field this version cannot read: " + err.Error()
		}
		if kind, ok := CalicoKind(k.Group, k.Kind); ok {
			c, err := policy.DecodeCalicoPolicy(kind, u.Object)
			if err == nil {
				out.calico = append(out.calico, c)
				continue
			}
			p.Reason = "has a field this version cannot read: " + err.Error()
		}
		out.unjudged = append(out.unjudged, p)
	}
	return out, nil
}

// readTiers lists Calico's Tier objects when a Calico policy kind is served.
// known: every tier was read and decoded. Otherwise unread says why (the
// API server refused the list, a tier has a field this version cannot
// read...), and the tiers that could be read are still returned. Only a
// failure to reach the API server is an error.
func readTiers(ctx context.Context, dyn dynamic.Interface, a *apis) (tiers []policy.CalicoTier, known bool, unread string, err error) {
	if !a.calico {
		return nil, false, "", nil
	}
	if a.tiers.Empty() {
		return nil, false, a.tiersUnread, nil
	}
	list, err := dyn.Resource(a.tiers).List(ctx, metav1.ListOptions{})
	k := servedKind{NativeKind: NativeKind{Group: a.tiers.Group, Kind: "Tier", Resource: a.tiers.Resource}, Version: a.tiers.Version}
	switch {
	case err != nil && kube.IsAPIAnswer(err):
		return nil, false, cannotList(k, "", err), nil
	case err != nil:
		return nil, false, "", kube.Read(kube.List(k.Group, k.Resource, ""), err)
	}
	var bad []string
	for _, u := range list.Items {
		t, err := policy.DecodeCalicoTier(u.Object)
		if err != nil {
			bad = append(bad, fmt.Sprintf("Tier %s has a field this version cannot read: %v", u.GetName(), err))
			continue
		}
		tiers = append(tiers, t)
	}
	sort.Slice(tiers, func(i, j int) bool { return tiers[i].Name < tiers[j].Name })
	sort.Strings(bad)
	return tiers, len(bad) == 0, strings.Join(bad, "; "), nil
}

// cannotList is the reason of a kind the API server refused to list:
// "cannot list cilium.io ciliumnetworkpolicies in namespace shop: forbidden
// (needs list on ciliumnetworkpolicies.cilium.io)".
func cannotList(k servedKind, ns string, err error) string {
	where := ""
	switch {
	case k.Namespaced && ns != "":
		where = " in namespace " + ns
	case k.Namespaced:
		where = " in all namespaces"
	}
	s := fmt.Sprintf("cannot list %s %s%s: ", k.Group, k.Resource, where)
	if apierrors.IsForbidden(err) {
		return s + fmt.Sprintf("forbidden (needs list on %s.%s)", k.Resource, k.Group)
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return s + status.Status().Message
	}
	return s + err.Error()
}

func sortUnjudged(u []policy.UnjudgedPolicy) {
	sort.Slice(u, func(i, j int) bool {
		a, b := u[i], u[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}
