package policy

import (
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
)

// netpol is a compiled NetworkPolicy.
type netpol struct {
	ref      PolicyRef
	obj      *networkingv1.NetworkPolicy
	ns       int
	podSel   selector
	selected bitset
	// types holds the effective policyTypes, per direction index.
	types [2]bool
	rules [2][]npRule
}

type npRule struct {
	// allPeers: from/to is empty, which matches every source/destination.
	allPeers bool
	peers    []npPeer
	// allPorts: ports is empty, which matches every port and protocol.
	allPorts bool
	ports    []portMatcher
}

// npPeer is one entry of from/to: either selectors or an ipBlock.
type npPeer struct {
	// podSel and nsSel are nil when the field is absent.
	podSel *selector
	nsSel  *selector
	block  *cidrSet
	// pods holds the pods the peer matches: by selectors, or for an
	// ipBlock the pods one of whose IPs is in the block.
	pods bitset
}

// effectivePolicyTypes applies the API defaulting: with no policyTypes,
// Ingress always applies and Egress applies when there are egress rules.
func effectivePolicyTypes(spec *networkingv1.NetworkPolicySpec) ([2]bool, error) {
	var t [2]bool
	if len(spec.PolicyTypes) == 0 {
		t[0] = true
		t[1] = len(spec.Egress) > 0
		return t, nil
	}
	for _, pt := range spec.PolicyTypes {
		switch pt {
		case networkingv1.PolicyTypeIngress:
			t[0] = true
		case networkingv1.PolicyTypeEgress:
			t[1] = true
		default:
			return t, fmt.Errorf("unknown policyType %q", pt)
		}
	}
	return t, nil
}

// addNetpol compiles a NetworkPolicy, or records a warning and skips it when
// the API server would reject it (validateNetworkPolicy; compile errors are
// a second line of defence).
func (e *Engine) addNetpol(obj *networkingv1.NetworkPolicy) {
	ref := PolicyRef{Kind: KindNetworkPolicy, Namespace: obj.Namespace, Name: obj.Name}
	for i := range e.netpols {
		if e.netpols[i].ref == ref {
			e.warn("DuplicateObject", ref, fmt.Sprintf("NetworkPolicy %s given twice: first one kept", ref))
			return
		}
	}
	if errs := validateNetworkPolicy(obj); len(errs) > 0 {
		e.warn("InvalidPolicy", ref, rejectedMessage(ref, errs))
		return
	}
	np, err := e.compileNetpol(ref, obj)
	if err != nil {
		e.warn("InvalidPolicy", ref, fmt.Sprintf("NetworkPolicy %s ignored: the API server would reject it: %v", ref, err))
		return
	}
	e.netpols = append(e.netpols, np)
}

func (e *Engine) compileNetpol(ref PolicyRef, obj *networkingv1.NetworkPolicy) (netpol, error) {
	if obj.Name == "" || obj.Namespace == "" {
		return netpol{}, errors.New("missing name or namespace")
	}
	np := netpol{ref: ref, obj: obj, podSel: compileSelector(&obj.Spec.PodSelector)}
	if np.podSel.err != nil {
		return np, fmt.Errorf("spec.podSelector: %w", np.podSel.err)
	}
	types, err := effectivePolicyTypes(&obj.Spec)
	if err != nil {
		return np, err
	}
	np.types = types
	np.ns = e.namespaceIndex(obj.Namespace)
	np.selected = newBitset(len(e.pods))
	for _, pi := range e.namespaces[np.ns].pods {
		if np.podSel.matches(e.pods[pi].labels) {
			np.selected.set(pi)
		}
	}
	for i, r := range obj.Spec.Ingress {
		rule, err := e.compileNPRule(np.ns, r.From, r.Ports)
		if err != nil {
			return np, fmt.Errorf("ingress rule %d: %w", i+1, err)
		}
		np.rules[0] = append(np.rules[0], rule)
	}
	for i, r := range obj.Spec.Egress {
		rule, err := e.compileNPRule(np.ns, r.To, r.Ports)
		if err != nil {
			return np, fmt.Errorf("egress rule %d: %w", i+1, err)
		}
		np.rules[1] = append(np.rules[1], rule)
	}
	return np, nil
}

func (e *Engine) compileNPRule(ns int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (npRule, error) {
	rule := npRule{allPeers: len(peers) == 0, allPorts: len(ports) == 0}
	for i, p := range ports {
		m, err := compileNetpolPort(p)
		if err != nil {
			return rule, fmt.Errorf("port %d: %w", i+1, err)
		}
		rule.ports = append(rule.ports, m)
	}
	for i, p := range peers {
		peer, err := e.compileNPPeer(ns, p)
		if err != nil {
			return rule, fmt.Errorf("peer %d: %w", i+1, err)
		}
		rule.peers = append(rule.peers, peer)
	}
	return rule, nil
}

func (e *Engine) compileNPPeer(ns int, p networkingv1.NetworkPolicyPeer) (npPeer, error) {
	peer := npPeer{pods: newBitset(len(e.pods))}
	if p.IPBlock != nil {
		if p.PodSelector != nil || p.NamespaceSelector != nil {
			return peer, errors.New("ipBlock cannot be combined with podSelector or namespaceSelector")
		}
		cs, err := parseCIDRSet(p.IPBlock.CIDR, p.IPBlock.Except)
		if err != nil {
			return peer, err
		}
		peer.block = &cs
		for i := range e.pods {
			for _, ip := range e.pods[i].ips {
				if ok, _ := cs.contains(ip); ok {
					peer.pods.set(i)
					break
				}
			}
		}
		return peer, nil
	}
	if p.PodSelector == nil && p.NamespaceSelector == nil {
		return peer, errors.New("must specify podSelector, namespaceSelector or ipBlock")
	}
	if p.PodSelector != nil {
		s := compileSelector(p.PodSelector)
		if s.err != nil {
			return peer, fmt.Errorf("podSelector: %w", s.err)
		}
		peer.podSel = &s
	}
	if p.NamespaceSelector != nil {
		s := compileSelector(p.NamespaceSelector)
		if s.err != nil {
			return peer, fmt.Errorf("namespaceSelector: %w", s.err)
		}
		peer.nsSel = &s
	}
	for ni := range e.namespaces {
		if !e.npPeerNamespaceMatches(&peer, ns, ni) {
			continue
		}
		for _, pi := range e.namespaces[ni].pods {
			if peer.podSel == nil || peer.podSel.matches(e.pods[pi].labels) {
				peer.pods.set(pi)
			}
		}
	}
	return peer, nil
}

// npPeerNamespaceMatches: without namespaceSelector a peer means the
// policy's own namespace.
func (e *Engine) npPeerNamespaceMatches(p *npPeer, policyNS, ns int) bool {
	if p.nsSel == nil {
		return ns == policyNS
	}
	return p.nsSel.matches(e.namespaces[ns].labels)
}
