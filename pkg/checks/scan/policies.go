package scan

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// policyScan reports NP010 per NetworkPolicy: policies that select no pod
// and, when every namespace is read, selector peers that match no pod; then
// also per admin policy (AdminNetworkPolicy, BaselineAdminNetworkPolicy,
// ClusterNetworkPolicy), whose subjects and peers span namespaces.
//
// It never holds every pod. "Selects no pod" and "matches no pod" are
// properties of each pod taken alone (its labels, its namespace's labels,
// host networking), so a policy or peer matches nothing in the cluster
// exactly when it matches nothing in any namespace. An engine with no pod
// at all lists every candidate finding; then each namespace, as it streams
// by, is given to an engine with only the policies that can select its pods
// (its own, and those whose peers' namespace selectors match it), and every
// candidate that is not a finding there is struck out.
type policyScan struct {
	agg     *aggregator
	cluster *clusterObjects
	all     bool // every namespace is in scope: peers are judged too

	namespaces map[string]*corev1.Namespace
	// own and crossing index cluster.policies: a namespace's own
	// policies, and those of other namespaces whose peers' namespace
	// selectors may match it.
	own, crossing map[string][]int
	// candidates[i] are the findings of policy i with no pod at all;
	// adminCandidates those of each admin policy, in adminRefs order.
	candidates      [][]policy.Finding
	adminRefs       []policy.PolicyRef
	adminCandidates map[policy.PolicyRef][]policy.Finding
	matched         map[findingKey]bool
}

type findingKey struct {
	code      string
	policy    policy.PolicyRef
	direction policy.Direction
	rule      int
	peer      int
}

func keyOf(f policy.Finding) findingKey {
	return findingKey{f.Code, f.Policy, f.Direction, f.Rule, f.Peer}
}

func newPolicyScan(agg *aggregator, cluster *clusterObjects, all bool) *policyScan {
	agg.expect("networkpolicy", checks.NPFindings)
	s := &policyScan{agg: agg, cluster: cluster, all: all,
		own: map[string][]int{}, crossing: map[string][]int{}, matched: map[findingKey]bool{},
		namespaces: map[string]*corev1.Namespace{}}
	if s.disabled() {
		return s
	}
	for i := range cluster.namespaces {
		s.namespaces[cluster.namespaces[i].Name] = &cluster.namespaces[i]
	}
	index := map[policy.PolicyRef]int{}
	for i, np := range cluster.policies {
		s.own[np.Namespace] = append(s.own[np.Namespace], i)
		index[policy.PolicyRef{Kind: policy.KindNetworkPolicy, Namespace: np.Namespace, Name: np.Name}] = i
		if all {
			for _, ns := range peerNamespaces(cluster.namespaces, np) {
				if ns != np.Namespace {
					s.crossing[ns] = append(s.crossing[ns], i)
				}
			}
		}
	}
	s.candidates = make([][]policy.Finding, len(cluster.policies))
	s.adminCandidates = map[policy.PolicyRef][]policy.Finding{}
	snap := s.withAdmin(policy.Snapshot{Namespaces: cluster.namespaces, NetworkPolicies: cluster.policies})
	for _, ref := range adminRefs(snap) {
		s.adminRefs = append(s.adminRefs, ref)
		s.adminCandidates[ref] = nil
	}
	for _, f := range s.findings(snap) {
		if i, ok := index[f.Policy]; ok {
			s.candidates[i] = append(s.candidates[i], f)
		} else if _, ok := s.adminCandidates[f.Policy]; ok {
			s.adminCandidates[f.Policy] = append(s.adminCandidates[f.Policy], f)
		}
	}
	return s
}

// withAdmin adds the admin policies to snap when every namespace is in
// scope (they may select pods of any namespace).
func (s *policyScan) withAdmin(snap policy.Snapshot) policy.Snapshot {
	if s.all && s.cluster.adminErr == nil {
		snap.AdminNetworkPolicies = s.cluster.admin.AdminNetworkPolicies
		snap.BaselineAdminNetworkPolicy = s.cluster.admin.BaselineAdminNetworkPolicy
		snap.ClusterNetworkPolicies = s.cluster.admin.ClusterNetworkPolicies
	}
	return snap
}

// adminRefs names the admin policies of a snapshot.
func adminRefs(snap policy.Snapshot) []policy.PolicyRef {
	var out []policy.PolicyRef
	for _, a := range snap.AdminNetworkPolicies {
		out = append(out, policy.PolicyRef{Kind: policy.KindAdminNetworkPolicy, Name: a.Name})
	}
	if b := snap.BaselineAdminNetworkPolicy; b != nil {
		out = append(out, policy.PolicyRef{Kind: policy.KindBaselineAdminNetworkPolicy, Name: b.Name})
	}
	for _, c := range snap.ClusterNetworkPolicies {
		out = append(out, policy.PolicyRef{Kind: policy.KindClusterNetworkPolicy, Name: c.Name})
	}
	return out
}

// disabled: a kind the verdicts need could not be read (finish says which).
func (s *policyScan) disabled() bool {
	return s.cluster.policiesErr != nil || (s.all && s.cluster.namespacesErr != nil)
}

func (s *policyScan) findings(snap policy.Snapshot) []policy.Finding {
	e := policy.New(snap)
	found := e.PoliciesSelectingNoPods()
	if s.all {
		// Peers may select pods of any namespace: only exact when
		// every namespace is read.
		found = append(found, e.PeersMatchingNothing()...)
	}
	return found
}

// namespace strikes out the candidates that match a pod of v.
func (s *policyScan) namespace(v *namespaceView) {
	if s.disabled() || len(v.pods) == 0 {
		return
	}
	idx := append(slices.Clone(s.own[v.namespace]), s.crossing[v.namespace]...)
	if len(idx) == 0 && len(s.adminRefs) == 0 {
		return
	}
	snap := s.withAdmin(policy.Snapshot{Pods: v.pods, NetworkPolicies: make([]networkingv1.NetworkPolicy, len(idx))})
	for j, i := range idx {
		snap.NetworkPolicies[j] = s.cluster.policies[i]
	}
	if ns, ok := s.namespaces[v.namespace]; ok {
		snap.Namespaces = []corev1.Namespace{*ns}
	}
	empty := map[findingKey]bool{}
	for _, f := range s.findings(snap) {
		empty[keyOf(f)] = true
	}
	strike := func(fs []policy.Finding) {
		for _, f := range fs {
			if k := keyOf(f); !empty[k] {
				s.matched[k] = true
			}
		}
	}
	for _, i := range idx {
		strike(s.candidates[i])
	}
	for _, ref := range s.adminRefs {
		strike(s.adminCandidates[ref])
	}
}

// finish reports each policy, once every namespace went by.
func (s *policyScan) finish(pods *source) {
	code := checks.NPFindings
	switch {
	case s.cluster.policiesErr != nil:
		s.agg.skipAll(code, "networkpolicy", "listing the networkpolicies", s.cluster.policiesErr)
		return
	case pods.err != nil:
		s.agg.skipAll(code, "networkpolicy", "listing the pods the policies select", pods.err)
		return
	case s.all && s.cluster.namespacesErr != nil:
		s.agg.skipAll(code, "networkpolicy", "listing the namespaces the policies select", s.cluster.namespacesErr)
		return
	}
	for i, np := range s.cluster.policies {
		s.report(report.Object{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name}, s.candidates[i])
	}
	if s.all && s.cluster.adminErr != nil {
		s.agg.add(report.Object{Kind: "AdminNetworkPolicy"}, code.FromError("listing the admin policies", s.cluster.adminErr))
	}
	for _, ref := range s.adminRefs {
		s.report(report.Object{Kind: string(ref.Kind), Name: ref.Name}, s.adminCandidates[ref])
	}
}

// report gives one policy's findings that no namespace struck out, or a
// pass.
func (s *policyScan) report(obj report.Object, candidates []policy.Finding) {
	code := checks.NPFindings
	warned := false
	for _, f := range candidates {
		if !s.matched[keyOf(f)] {
			s.agg.add(obj, code.New(report.Warn, "%s", f.Message))
			warned = true
		}
	}
	if !warned {
		s.agg.add(obj, code.New(report.Pass, "selects pods; peers match"))
	}
}

// peerNamespaces are the namespaces that the namespace selectors of the
// policy's peers match (every namespace when one cannot be parsed).
func peerNamespaces(all []corev1.Namespace, np networkingv1.NetworkPolicy) []string {
	want := map[string]bool{}
	consider := func(peers []networkingv1.NetworkPolicyPeer) {
		for _, p := range peers {
			if p.NamespaceSelector == nil {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(p.NamespaceSelector)
			for _, n := range all {
				if err != nil || sel.Matches(nsLabels(n)) {
					want[n.Name] = true
				}
			}
		}
	}
	for _, r := range np.Spec.Ingress {
		consider(r.From)
	}
	for _, r := range np.Spec.Egress {
		consider(r.To)
	}
	return slices.Sorted(maps.Keys(want))
}

func nsLabels(n corev1.Namespace) labels.Set {
	l := labels.Set{corev1.LabelMetadataName: n.Name}
	for k, v := range n.Labels {
		l[k] = v
	}
	return l
}
