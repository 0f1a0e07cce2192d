// Package policyfetch reads from a cluster what the policy engine needs to
// judge flows: the pods involved, namespaces (their labels feed
// namespaceSelectors), the NetworkPolicies of the pods' namespaces,
// AdminNetworkPolicies and the BaselineAdminNetworkPolicy, and
// ClusterNetworkPolicies when their CRDs are installed. Policies of other
// APIs (a CNI's own kinds, see NativeKinds) are found through discovery:
// Cilium's and Calico's (with Calico's tiers) are decoded for the engine,
// the others listed as unjudged: the engine does not evaluate them, and
// leaves the pods they may select undecided. Reads run concurrently; only what the
// question needs is read.
package policyfetch

import (
	"context"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// Admin policy resources (policy.networking.k8s.io/v1alpha1).
var (
	anpResource  = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}
	banpResource = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "baselineadminnetworkpolicies"}
)

// Request says what to read.
type Request struct {
	// Pods are read one by one (GET).
	Pods []policy.PodRef
	// Known are pods the caller has already read.
	Known []corev1.Pod
	// ListPodsIn lists every pod of these namespaces ("" = all namespaces).
	ListPodsIn []string
	// PolicyNamespaces adds namespaces whose NetworkPolicies to read, beyond
	// those of the pods. "" means all namespaces.
	PolicyNamespaces []string
}

// Result is the snapshot plus what could not be read.
type Result struct {
	Snapshot policy.Snapshot
	// AdminCRDs: the AdminNetworkPolicy API is served by the cluster.
	AdminCRDs bool
	// PolicyAPIs are the policy kinds the cluster serves beyond
	// NetworkPolicy, judged or not, as group/version/Kind
	// ("policy.networking.k8s.io/v1beta1/ClusterNetworkPolicy",
	// "cilium.io/v2/CiliumNetworkPolicy"), sorted.
	PolicyAPIs []string
	// Missing are pods that do not exist.
	Missing []policy.PodRef
	// CalicoTiersUnread says why Calico's Tier objects were not read when
	// a Calico policy kind is served (Snapshot.CalicoTiersKnown is then
	// false): "cannot list projectcalico.org tiers: forbidden (needs list
	// on tiers.projectcalico.org)". Empty when they were read, or when no
	// Calico policy kind is served.
	CalicoTiersUnread string
}

// Fetch reads the snapshot. Any read that would leave the verdict unsound
// (forbidden or failed policy or namespace reads) is an error: a verdict
// computed without a policy that exists could wrongly say "allowed". A
// missing pod is not an error: it is listed in Result.Missing. Neither is a
// CNI-native policy kind that the API server refuses to list: it is an entry
// of Snapshot.Unjudged naming the permission. Nor are Calico tiers it
// refuses to list: they stay unknown (Snapshot.CalicoTiersKnown false), and
// Result.CalicoTiersUnread says why.
func Fetch(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, req Request) (*Result, error) {
	res := &Result{}
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	var wg sync.WaitGroup

	// Pods first: their namespaces decide which policies to read.
	pods := make([]*corev1.Pod, len(req.Pods))
	for i, ref := range req.Pods {
		wg.Go(func() {
			p, err := client.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				mu.Lock()
				res.Missing = append(res.Missing, ref)
				mu.Unlock()
			case err != nil:
				fail(kube.Read(kube.Get("", "pods", ref.Namespace), err))
			default:
				pods[i] = p
			}
		})
	}
	for _, ns := range uniq(req.ListPodsIn) {
		wg.Go(func() {
			list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				fail(kube.Read(kube.List("", "pods", ns), err))
				return
			}
			mu.Lock()
			res.Snapshot.Pods = append(res.Snapshot.Pods, list.Items...)
			mu.Unlock()
		})
	}
	wg.Go(func() {
		list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			fail(kube.Read(kube.List("", "namespaces", ""), err))
			return
		}
		res.Snapshot.Namespaces = list.Items
		// Every namespace was listed: one the snapshot lacks does not exist.
		res.Snapshot.NamespacesComplete = true
	})
	keep := func(l listed) {
		mu.Lock()
		res.Snapshot.Unjudged = append(res.Snapshot.Unjudged, l.unjudged...)
		res.Snapshot.CiliumPolicies = append(res.Snapshot.CiliumPolicies, l.cilium...)
		res.Snapshot.CalicoPolicies = append(res.Snapshot.CalicoPolicies, l.calico...)
		mu.Unlock()
	}
	var found *apis
	if dyn != nil {
		wg.Go(func() {
			// Discovery (readable by every authenticated user) says which
			// policy APIs exist: for those that do not, RBAC is moot.
			a, err := discover(client)
			if err != nil {
				fail(err)
				return
			}
			found = a
			keep(listed{unjudged: a.unknown})
			var inner sync.WaitGroup
			if a.admin || a.policyGroupFailed {
				inner.Go(func() {
					if err := readAdmin(ctx, dyn, res, &mu); err != nil {
						fail(err)
					}
				})
			}
			inner.Go(func() {
				list, version, err := readCNP(ctx, dyn, a)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				res.Snapshot.ClusterNetworkPolicies = list
				if a.cnp.Empty() && version != "" { // read blindly
					a.detected = append(a.detected, cnp.GroupName+"/"+version+"/ClusterNetworkPolicy")
				}
				mu.Unlock()
			})
			inner.Go(func() {
				tiers, known, unread, err := readTiers(ctx, dyn, a)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				res.Snapshot.CalicoTiers, res.Snapshot.CalicoTiersKnown, res.CalicoTiersUnread = tiers, known, unread
				mu.Unlock()
			})
			for _, k := range a.unjudged {
				if !k.Namespaced {
					inner.Go(func() {
						l, err := listKind(ctx, dyn, k, "")
						if err != nil {
							fail(err)
						}
						keep(l)
					})
				}
			}
			inner.Wait()
		})
	}
	wg.Wait()
	for _, p := range pods {
		if p != nil {
			res.Snapshot.Pods = append(res.Snapshot.Pods, *p)
		}
	}
	res.Snapshot.Pods = append(res.Snapshot.Pods, req.Known...)
	if firstErr != nil {
		return nil, firstErr
	}

	policyNS := append([]string{}, req.PolicyNamespaces...)
	for _, p := range res.Snapshot.Pods {
		policyNS = append(policyNS, p.Namespace)
	}
	policyNS = append(policyNS, req.ListPodsIn...)
	for _, ns := range uniq(policyNS) {
		for _, k := range unjudgedIn(found) {
			wg.Go(func() {
				l, err := listKind(ctx, dyn, k, ns)
				if err != nil {
					fail(err)
				}
				keep(l)
			})
		}
		wg.Go(func() {
			list, err := client.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				fail(kube.Read(kube.List("networking.k8s.io", "networkpolicies", ns), err))
				return
			}
			mu.Lock()
			res.Snapshot.NetworkPolicies = append(res.Snapshot.NetworkPolicies, list.Items...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	res.Snapshot.Pods = dedupPods(res.Snapshot.Pods)
	res.Snapshot.NetworkPolicies = dedupPolicies(res.Snapshot.NetworkPolicies)
	sortUnjudged(res.Snapshot.Unjudged)
	sortCalico(res.Snapshot.CalicoPolicies)
	if found != nil {
		res.PolicyAPIs = found.detected
		if res.AdminCRDs && !found.admin { // read blindly
			res.PolicyAPIs = append(res.PolicyAPIs, anpResource.GroupVersion().String()+"/AdminNetworkPolicy")
		}
		sort.Strings(res.PolicyAPIs)
	}
	if hasNodesPeer(res.Snapshot) || len(res.Snapshot.CiliumPolicies) > 0 {
		// Only admin policies' nodes peers and Cilium's node entities
		// (host, remote-node, world) need Nodes. Unreadable, they stay
		// unknown and those peers undecided: not an error.
		if list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
			res.Snapshot.Nodes = list.Items
		} else if !kube.IsAPIAnswer(err) {
			return nil, err
		}
	}
	return res, nil
}

// sortCalico orders Calico policies by kind, namespace and name: they are
// listed concurrently.
func sortCalico(c []policy.CalicoPolicy) {
	sort.Slice(c, func(i, j int) bool {
		a, b := c[i], c[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// unjudgedIn lists the namespaced unjudged kinds to read in each namespace.
func unjudgedIn(a *apis) []servedKind {
	if a == nil {
		return nil
	}
	var out []servedKind
	for _, k := range a.unjudged {
		if k.Namespaced {
			out = append(out, k)
		}
	}
	return out
}

// hasNodesPeer reports whether an admin or cluster policy of the snapshot
// has a nodes peer (only egress rules have them).
func hasNodesPeer(s policy.Snapshot) bool {
	for _, c := range s.ClusterNetworkPolicies {
		for _, r := range c.Spec.Egress {
			for _, p := range r.To {
				if p.Nodes != nil {
					return true
				}
			}
		}
	}
	for _, a := range s.AdminNetworkPolicies {
		for _, r := range a.Spec.Egress {
			for _, p := range r.To {
				if p.Nodes != nil {
					return true
				}
			}
		}
	}
	if b := s.BaselineAdminNetworkPolicy; b != nil {
		for _, r := range b.Spec.Egress {
			for _, p := range r.To {
				if p.Nodes != nil {
					return true
				}
			}
		}
	}
	return false
}

// readAdmin lists AdminNetworkPolicies and the baseline when the API exists;
// mu guards res.
func readAdmin(ctx context.Context, dyn dynamic.Interface, res *Result, mu *sync.Mutex) error {
	list, err := dyn.Resource(anpResource).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil // CRDs not installed
	}
	if err != nil {
		return kube.Read(kube.List(anpResource.Group, anpResource.Resource, ""), err)
	}
	var admins []anp.AdminNetworkPolicy
	for _, u := range list.Items {
		var a anp.AdminNetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &a); err != nil {
			return fmt.Errorf("decoding AdminNetworkPolicy %s: %w", u.GetName(), err)
		}
		admins = append(admins, a)
	}
	mu.Lock()
	res.AdminCRDs = true
	res.Snapshot.AdminNetworkPolicies = admins
	mu.Unlock()
	b, err := dyn.Resource(banpResource).Get(ctx, "default", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return kube.Read(kube.Get(banpResource.Group, banpResource.Resource, ""), err)
	}
	var banp anp.BaselineAdminNetworkPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(b.Object, &banp); err != nil {
		return fmt.Errorf("decoding BaselineAdminNetworkPolicy: %w", err)
	}
	mu.Lock()
	res.Snapshot.BaselineAdminNetworkPolicy = &banp
	mu.Unlock()
	return nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	// "" (all namespaces) covers every other entry.
	if seen[""] {
		return []string{""}
	}
	sort.Strings(out)
	return out
}

func dedupPods(pods []corev1.Pod) []corev1.Pod {
	seen := map[string]bool{}
	var out []corev1.Pod
	for _, p := range pods {
		k := p.Namespace + "/" + p.Name
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

func dedupPolicies(nps []networkingv1.NetworkPolicy) []networkingv1.NetworkPolicy {
	seen := map[string]bool{}
	var out []networkingv1.NetworkPolicy
	for _, np := range nps {
		k := np.Namespace + "/" + np.Name
		if !seen[k] {
			seen[k] = true
			out = append(out, np)
		}
	}
	return out
}
