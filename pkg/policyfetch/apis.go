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

// servedKind is an unjudged policy kind the cluster serves, at the version
// to read.
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
	// unjudged are the kinds to list.
	unjudged []servedKind
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
				uk, isPolicy, _ := ClassifyKind(g.Name, r.Kind)
				key := g.Name + "/" + r.Kind
				if _, dup := seen[key]; !isPolicy || dup {
					continue
				}
				uk.Resource, uk.Namespaced = r.Name, r.Namespaced
				k := servedKind{NativeKind: uk, Version: v}
				seen[key] = k
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

// listed is what a list of a CNI-native policy kind gave: Cilium policies
// the engine judges, and entries it does not.
type listed struct {
	cilium   []policy.CiliumPolicy
	unjudged []policy.UnjudgedPolicy
}

// listKind lists the objects of a CNI-native policy kind in ns ("" = all
// namespaces; ignored for a cluster-scoped kind). Cilium policies are
// decoded for the engine; an object it cannot read whole, and every object
// of the other kinds, becomes an unjudged entry. An answer of the API server
// refusing the list (forbidden, or any other error status) becomes one entry
// for the kind: the engine then leaves the pods it may select undecided.
// Only a failure to reach the API server is an error.
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
		out.unjudged = append(out.unjudged, p)
	}
	return out, nil
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
