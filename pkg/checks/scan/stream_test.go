package scan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// pagedPods is a LIST of pods served in the given pages, each page's
// continue token naming the next; failAt > 0 answers that page with err.
func pagedPods(pages [][]string, failAt int, err error) func(context.Context, metav1.ListOptions) (runtime.Object, error) {
	return func(_ context.Context, o metav1.ListOptions) (runtime.Object, error) {
		i := 0
		if o.Continue != "" {
			fmt.Sscanf(o.Continue, "page-%d", &i)
		}
		if failAt > 0 && i == failAt {
			return nil, err
		}
		list := &corev1.PodList{}
		for j, ns := range pages[i] {
			list.Items = append(list.Items, *pod(ns, fmt.Sprintf("p%d-%d", i, j), "10.0.0.1", nil))
		}
		if i+1 < len(pages) {
			list.Continue = fmt.Sprintf("page-%d", i+1)
		}
		return list, nil
	}
}

func podSource(list func(context.Context, metav1.ListOptions) (runtime.Object, error)) *source {
	return &source{name: "pods", perm: kube.List("", "pods", ""), list: list,
		keep:  func(o *objects, obj runtime.Object) { o.pods = append(o.pods, slimPod(obj.(*corev1.Pod))) },
		parts: make(chan part, 100), pages: make(chan struct{}, 1)}
}

// drain runs s and returns "ns:count" per part.
func drain(t *testing.T, s *source) []string {
	t.Helper()
	s.run(context.Background(), 2)
	var got []string
	for p := range s.parts {
		got = append(got, fmt.Sprintf("%s:%d", p.namespace, len(p.objects.pods)))
	}
	return got
}

func TestSourceJoinsANamespaceAcrossPages(t *testing.T) {
	// Key order: "a-b/" sorts before "a/" ('-' < '/').
	s := podSource(pagedPods([][]string{{"a-b", "a-b"}, {"a", "a"}, {"a", "b"}}, 0, nil))
	got := drain(t, s)
	if want := []string{"a-b:2", "a:3", "b:1"}; !slices.Equal(got, want) || s.err != nil {
		t.Fatalf("parts %v (err %v), want %v", got, s.err, want)
	}
	if s.count != 6 {
		t.Errorf("count %d, want 6", s.count)
	}
}

func TestSourceSortsAPageInKeyOrder(t *testing.T) {
	// A server or fake that ignores limit answers in any order.
	got := drain(t, podSource(pagedPods([][]string{{"b", "a", "b", "a-b"}}, 0, nil)))
	if want := []string{"a-b:1", "a:1", "b:2"}; !slices.Equal(got, want) {
		t.Fatalf("parts %v, want %v", got, want)
	}
}

func TestSourceRefusesPagesOutOfKeyOrder(t *testing.T) {
	s := podSource(pagedPods([][]string{{"b"}, {"a"}}, 0, nil))
	got := drain(t, s)
	if s.err == nil || !strings.Contains(s.err.Error(), "out of key order") {
		t.Fatalf("err %v, want out of key order", s.err)
	}
	if len(got) != 0 {
		t.Errorf("sent %v before the error: b was not complete", got)
	}
}

func TestMergeMarksNamespacesAfterAFailedSource(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", fmt.Errorf("no"))
	empty := func(context.Context, metav1.ListOptions) (runtime.Object, error) { return &corev1.PodList{}, nil }
	src := &sources{
		pods:      podSource(pagedPods([][]string{{"a", "b"}, {"c"}}, 1, forbidden)),
		services:  podSource(pagedPods([][]string{{"a"}, {"b", "c"}}, 0, nil)),
		slices:    podSource(empty),
		ingresses: podSource(empty),
	}
	// The second source stands for Services: it keeps its pods as such.
	src.services.keep = func(o *objects, obj runtime.Object) {
		o.services = append(o.services, &corev1.Service{ObjectMeta: obj.(*corev1.Pod).ObjectMeta})
	}
	for _, s := range src.all() {
		go s.run(context.Background(), 2)
	}
	var got []string
	err := merge(context.Background(), src, func(v *namespaceView) {
		got = append(got, fmt.Sprintf("%s pods=%d podsErr=%v services=%d", v.namespace, len(v.pods), v.podsErr != nil, len(v.services)))
	})
	if err != nil {
		t.Fatal(err)
	}
	// a was complete before the failure; b and c were never finished.
	want := []string{"a pods=1 podsErr=false services=1", "b pods=0 podsErr=true services=1", "c pods=0 podsErr=true services=1"}
	if !slices.Equal(got, want) {
		t.Fatalf("views\n%v\nwant\n%v", got, want)
	}
	if !kube.IsAPIAnswer(src.pods.err) {
		t.Errorf("pods err %v, want the Forbidden answer", src.pods.err)
	}
}

// TestPolicyScanMatchesOneEngineOverTheCluster checks the namespace-at-a-
// time NP010 verdicts against one engine given every pod at once, on random
// clusters.
func TestPolicyScanMatchesOneEngineOverTheCluster(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		label := func() map[string]string {
			l := map[string]string{}
			if rng.IntN(4) > 0 {
				l["app"] = fmt.Sprint("a", rng.IntN(4))
			}
			if rng.IntN(2) == 0 {
				l["team"] = fmt.Sprint("t", rng.IntN(3))
			}
			return l
		}
		selector := func() *metav1.LabelSelector {
			s := &metav1.LabelSelector{MatchLabels: label()}
			if rng.IntN(5) == 0 {
				s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"a1"}}}
			}
			return s
		}
		names := []string{"a", "a-b", "b", "c-d", "c"}[:1+rng.IntN(5)]
		var nss []corev1.Namespace
		for _, n := range names {
			nss = append(nss, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: label()}})
		}
		var pods []corev1.Pod
		for i := range rng.IntN(30) {
			p := pod(names[rng.IntN(len(names))], fmt.Sprint("p", i), fmt.Sprintf("10.0.0.%d", i+1), label())
			p.Spec.HostNetwork = rng.IntN(8) == 0
			pods = append(pods, slimPod(p))
		}
		var pols []networkingv1.NetworkPolicy
		for i := range 1 + rng.IntN(6) {
			np := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("np", i), Namespace: names[rng.IntN(len(names))]},
				Spec: networkingv1.NetworkPolicySpec{PodSelector: *selector()}}
			for range rng.IntN(3) {
				var peer networkingv1.NetworkPolicyPeer
				switch rng.IntN(3) {
				case 0:
					peer.PodSelector = selector()
				case 1:
					peer.NamespaceSelector = selector()
				default:
					peer.PodSelector, peer.NamespaceSelector = selector(), selector()
				}
				np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}})
			}
			pols = append(pols, np)
		}
		sort.SliceStable(pols, func(i, j int) bool { return nsKey(pols[i].Namespace) < nsKey(pols[j].Namespace) })
		// Admin policies of both generations: subjects and peers span
		// namespaces.
		var admin policy.Snapshot
		for i := range rng.IntN(3) {
			admin.AdminNetworkPolicies = append(admin.AdminNetworkPolicies, anp.AdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("anp", i)},
				Spec: anp.AdminNetworkPolicySpec{Priority: int32(i), Subject: anp.AdminNetworkPolicySubject{Namespaces: selector()},
					Ingress: []anp.AdminNetworkPolicyIngressRule{{Action: anp.AdminNetworkPolicyRuleActionDeny,
						From: []anp.AdminNetworkPolicyIngressPeer{{Pods: &anp.NamespacedPod{NamespaceSelector: *selector(), PodSelector: *selector()}}}}}}})
		}
		for i := range rng.IntN(3) {
			admin.ClusterNetworkPolicies = append(admin.ClusterNetworkPolicies, cnp.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("cnp", i)},
				Spec: cnp.ClusterNetworkPolicySpec{Tier: cnp.BaselineTier, Priority: int32(i), Subject: cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{NamespaceSelector: *selector(), PodSelector: *selector()}},
					Egress: []cnp.ClusterNetworkPolicyEgressRule{{Action: cnp.ClusterNetworkPolicyRuleActionAccept,
						To: []cnp.ClusterNetworkPolicyEgressPeer{{Namespaces: selector()}}}}}})
		}

		e := policy.New(policy.Snapshot{Namespaces: nss, Pods: pods, NetworkPolicies: pols,
			AdminNetworkPolicies: admin.AdminNetworkPolicies, ClusterNetworkPolicies: admin.ClusterNetworkPolicies})
		var want []string
		for _, f := range append(e.PoliciesSelectingNoPods(), e.PeersMatchingNothing()...) {
			want = append(want, f.Message)
		}

		agg := newAggregator(1000)
		ps := newPolicyScan(agg, &clusterObjects{namespaces: nss, policies: pols, admin: admin}, true)
		byNS := map[string][]corev1.Pod{}
		for _, p := range pods {
			byNS[p.Namespace] = append(byNS[p.Namespace], p)
		}
		for _, ns := range names {
			ps.namespace(&namespaceView{namespace: ns, objects: objects{pods: byNS[ns]}})
		}
		ps.finish(&source{})
		var got []string
		for _, f := range agg.codes[string(checks.NPFindings)].findings {
			if f.Status != report.Pass {
				got = append(got, f.Message)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d:\nstreamed %q\none engine %q", seed, got, want)
		}
	}
}
