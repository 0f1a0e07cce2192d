package scan

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/ingress"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// scanNamespaces runs the Service procedure's static checks (SVC003
// selector, SVC005 target ports, SVC006 EndpointSlices) on every Service and
// the Ingress procedure's (ING002 class, ING008-ING010 backends) on every
// Ingress, one namespace at a time: only that namespace's pods are turned
// back into corev1.Pods at once.
func scanNamespaces(agg *aggregator, inv *inventory) {
	agg.expect("service", checks.SvcSelector, checks.SvcTargetPorts, checks.SvcEndpoints)
	agg.expect("ingress", checks.IngClass, checks.IngBackendServices, checks.IngBackendPorts, checks.IngBackendEndpoints)
	if inv.servicesErr != nil {
		for _, code := range []checks.Code{checks.SvcSelector, checks.SvcTargetPorts, checks.SvcEndpoints} {
			agg.skipAll(code, "service", "listing the services", inv.servicesErr)
		}
	}
	if inv.ingressesErr != nil {
		for _, code := range []checks.Code{checks.IngClass, checks.IngBackendServices, checks.IngBackendPorts, checks.IngBackendEndpoints} {
			agg.skipAll(code, "ingress", "listing the ingresses", inv.ingressesErr)
		}
	}
	services := map[string][]*corev1.Service{}
	for _, s := range inv.services {
		services[s.Namespace] = append(services[s.Namespace], s)
	}
	ingresses := map[string][]*networkingv1.Ingress{}
	for _, i := range inv.ingresses {
		ingresses[i.Namespace] = append(ingresses[i.Namespace], i)
	}
	namespaces := slices.Sorted(maps.Keys(services))
	for ns := range ingresses {
		if _, ok := services[ns]; !ok {
			namespaces = append(namespaces, ns)
		}
	}
	slices.Sort(namespaces)
	for _, ns := range namespaces {
		pods := inv.podsOf(ns)
		byName := make(map[string]*corev1.Service, len(services[ns]))
		for _, svc := range services[ns] {
			byName[svc.Name] = svc
			list := service.StaticChecks(service.Objects{
				Service:          svc,
				NamespacePods:    pods,
				NamespacePodsErr: inv.podsErr,
				Slices:           inv.slices[ns][svc.Name],
				SlicesErr:        inv.slicesErr,
			})
			agg.add(report.Object{Kind: "Service", Namespace: ns, Name: svc.Name}, list...)
		}
		for _, ing := range ingresses[ns] {
			list := ingress.StaticChecks(ingress.Objects{
				Ingress:          ing,
				Classes:          inv.classes,
				ClassesErr:       inv.classesErr,
				Services:         byName,
				ServicesErr:      inv.servicesErr,
				Slices:           inv.slices[ns],
				SlicesErr:        inv.slicesErr,
				NamespacePods:    pods,
				NamespacePodsErr: inv.podsErr,
			})
			agg.add(report.Object{Kind: "Ingress", Namespace: ns, Name: ing.Name}, list...)
		}
	}
}

// scanPolicies reports NP010 per NetworkPolicy: policies that select no pod
// and, when every namespace was read, peers that match nothing. The policy
// engine is built per namespace of policies, with the pods of that namespace
// and of the namespaces their peers' namespace selectors match: exactly the
// pods those policies can select, so the findings are those of one engine
// over the whole cluster without holding every pod at once.
func scanPolicies(agg *aggregator, inv *inventory, allNamespaces bool) {
	code := checks.NPFindings
	agg.expect("networkpolicy", code)
	switch {
	case inv.policiesErr != nil:
		agg.skipAll(code, "networkpolicy", "listing the networkpolicies", inv.policiesErr)
		return
	case inv.podsErr != nil:
		agg.skipAll(code, "networkpolicy", "listing the pods the policies select", inv.podsErr)
		return
	case allNamespaces && inv.namespacesErr != nil:
		agg.skipAll(code, "networkpolicy", "listing the namespaces the policies select", inv.namespacesErr)
		return
	}
	byNS := map[string][]networkingv1.NetworkPolicy{}
	for _, np := range inv.policies {
		byNS[np.Namespace] = append(byNS[np.Namespace], np)
	}
	for _, ns := range slices.Sorted(maps.Keys(byNS)) {
		policies := byNS[ns]
		reach := []string{ns}
		if allNamespaces {
			reach = peerNamespaces(inv.namespaces, ns, policies)
		}
		e := policy.New(policy.Snapshot{Namespaces: inv.namespaces, Pods: inv.podsOf(reach...), NetworkPolicies: policies})
		found := e.PoliciesSelectingNoPods()
		if allNamespaces {
			// Peers may select pods of any namespace: only exact when
			// every namespace was read.
			found = append(found, e.PeersMatchingNothing()...)
		}
		byPolicy := map[string][]policy.Finding{}
		for _, f := range found {
			byPolicy[f.Policy.Name] = append(byPolicy[f.Policy.Name], f)
		}
		for _, np := range policies {
			obj := report.Object{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name}
			list := byPolicy[np.Name]
			if len(list) == 0 {
				agg.add(obj, code.New(report.Pass, "selects pods; peers match"))
				continue
			}
			for _, f := range list {
				agg.add(obj, code.New(report.Warn, "%s", f.Message))
			}
		}
	}
}

// peerNamespaces are ns and the namespaces that the namespace selectors of
// the policies' peers match (every namespace when one cannot be parsed).
func peerNamespaces(all []corev1.Namespace, ns string, policies []networkingv1.NetworkPolicy) []string {
	want := map[string]bool{ns: true}
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
	for _, np := range policies {
		for _, r := range np.Spec.Ingress {
			consider(r.From)
		}
		for _, r := range np.Spec.Egress {
			consider(r.To)
		}
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
