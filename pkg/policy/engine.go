package policy

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// metadataNameLabel is the label the API server puts on every namespace.
const metadataNameLabel = corev1.LabelMetadataName

// Engine answers questions about one Snapshot. Build it with New.
type Engine struct {
	pods     []podInfo
	podByRef map[PodRef]int
	podByIP  map[netip.Addr]int // ambiguousPod when several pods share it
	nodeIPs  map[netip.Addr]bool
	// nodes are the snapshot's Nodes, when it has them (nodesKnown).
	nodes      []nodeInfo
	nodeByIP   map[netip.Addr]int
	nodeByName map[string]int
	nodesKnown bool
	namespaces []nsInfo
	nsByName   map[string]int
	netpols    []netpol
	// admins and baselines are the policies of the Admin and Baseline
	// tiers, sorted by priority, then kind and name.
	admins    []adminPolicy
	baselines []adminPolicy
	// cilium holds the rules of the Cilium policies.
	cilium []ciliumRule
	// calicoPols and calicoTiers are the Calico policies and the tiers
	// that hold them (calicoDefault the default tier's index);
	// calicoSlots are the steps of a Calico walk in order: the tiers,
	// and the admin and baseline policies. calicoNSLabels are the labels
	// a namespaceSelector sees, per namespace.
	calicoPols     []calicoPol
	calicoTiers    []calicoTierInfo
	calicoSlots    []calicoSlot
	calicoDefault  int
	calicoNSLabels []map[string]string
	// unjudged are the policies of APIs the engine does not evaluate.
	unjudged []UnjudgedPolicy
	warnings []Finding

	// namespacesComplete is Snapshot.NamespacesComplete.
	namespacesComplete bool
	// podBits holds, per pod, what the fast path reads on every flow:
	// its address families (famV4, famV6), podHostNetwork, podSlowPeer.
	// A dense array stays in cache where the podInfo structs would not.
	podBits []uint8
}

const ambiguousPod = -1

type nodeInfo struct {
	name   string
	labels map[string]string
}

type podInfo struct {
	idx         int
	ref         PodRef
	pod         *corev1.Pod
	ns          int
	labels      map[string]string
	ips         []netip.Addr
	hostIP      netip.Addr
	hostNetwork bool
	terminal    bool
	namedPorts  map[string][]ContainerPort
	// netpolsFor lists, per direction, the NetworkPolicies isolating the pod.
	netpolsFor [2][]int
	// adminsFor and baselinesFor list, per direction, the policies of the
	// Admin and Baseline tiers (indices in Engine.admins and
	// Engine.baselines, so already in priority order) whose subject selects
	// or may select the pod and that have rules for the direction.
	adminsFor    [2][]int
	baselinesFor [2][]int
	// bothGenerations: per direction, admin policies of both API
	// generations (v1alpha1 and ClusterNetworkPolicy) may select the pod.
	bothGenerations [2]bool
	// cilium lists the Engine.cilium rules that select or may select the
	// pod; ciliumLabels is the identity Cilium gives it (set when the
	// snapshot has Cilium policies).
	cilium       []int
	ciliumLabels map[string]string
	// calicoSlots lists, per direction, the Engine.calicoSlots that
	// apply to the pod, when a Calico policy may select it for the
	// direction (nil otherwise).
	calicoSlots [2][]int
	// calicoUnknown says, per direction, why the order of those steps is
	// not known ("" when it is).
	calicoUnknown [2]string
	// unjudged lists the Engine.unjudged policies that may select the pod.
	unjudged []int

	// fams is the set of families of ips (0 when the IP is not known).
	fams uint8
	// hostIPs are the node's addresses (hostIP and status.hostIPs).
	hostIPs []netip.Addr
	// nsLabelsUnknown: the pod's namespace is not in the snapshot and the
	// snapshot does not list every namespace, so only its name label is
	// known.
	nsLabelsUnknown bool
}

func (p *podInfo) hasNamedPort(name string, proto corev1.Protocol, port int32) bool {
	for _, cp := range p.namedPorts[name] {
		if cp.Protocol == proto && cp.Number == port {
			return true
		}
	}
	return false
}

func (p *podInfo) declaresNamedPort(name string, proto corev1.Protocol) bool {
	for _, cp := range p.namedPorts[name] {
		if cp.Protocol == proto {
			return true
		}
	}
	return false
}

type nsInfo struct {
	name     string
	labels   map[string]string
	implicit bool
	pods     []int

	// labelsUnknown: implicit in a snapshot that does not list every
	// namespace, so labels holds only the name label of a namespace whose
	// other labels may exist.
	labelsUnknown bool
}

// dirIndex maps a Direction to the index used in per-direction arrays.
func dirIndex(d Direction) int {
	if d == Egress {
		return 1
	}
	return 0
}

// directions returns both directions in index order (see dirIndex).
func directions() [2]Direction { return [2]Direction{Ingress, Egress} }

// New indexes a snapshot: pods by namespace and IP, and every policy's
// selected pods and peers as bitsets. Objects the API server would reject are
// skipped and reported by Warnings.
func New(s Snapshot) *Engine {
	e := &Engine{
		podByRef: make(map[PodRef]int, len(s.Pods)),
		podByIP:  make(map[netip.Addr]int, len(s.Pods)),
		nodeIPs:  map[netip.Addr]bool{},
		nsByName: map[string]int{},
		// Read by namespaceIndex while indexing.
		namespacesComplete: s.NamespacesComplete,
	}
	e.indexNodes(s)
	e.indexNamespaces(s)
	e.indexPods(s)
	for i := range s.NetworkPolicies {
		e.addNetpol(&s.NetworkPolicies[i])
	}
	e.compileAdmins(s)
	e.compileCilium(s.CiliumPolicies)
	e.compileCalico(s)
	e.unjudged = slices.Clone(s.Unjudged)
	e.prepareEvaluation(s)
	e.linkPodsToPolicies()
	e.linkCilium()
	e.linkCalico()
	return e
}

// indexNodes keeps each Node's labels by name and by the addresses its
// status lists (internal and external IPs).
func (e *Engine) indexNodes(s Snapshot) {
	e.nodesKnown = s.Nodes != nil
	e.nodeByIP, e.nodeByName = map[netip.Addr]int{}, map[string]int{}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if _, dup := e.nodeByName[n.Name]; dup || n.Name == "" {
			e.warn("DuplicateObject", PolicyRef{}, fmt.Sprintf("node %q given twice or unnamed: first one kept", n.Name))
			continue
		}
		idx := len(e.nodes)
		e.nodes = append(e.nodes, nodeInfo{name: n.Name, labels: n.Labels})
		e.nodeByName[n.Name] = idx
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				e.nodeByIP[ip.Unmap()] = idx
				e.nodeIPs[ip.Unmap()] = true
			}
		}
	}
}

func (e *Engine) indexNamespaces(s Snapshot) {
	for i := range s.Namespaces {
		ns := &s.Namespaces[i]
		if _, dup := e.nsByName[ns.Name]; dup || ns.Name == "" {
			e.warn("DuplicateObject", PolicyRef{}, fmt.Sprintf("namespace %q given twice or unnamed: first one kept", ns.Name))
			continue
		}
		l := maps.Clone(ns.Labels)
		if l == nil {
			l = map[string]string{}
		}
		// The API server always sets this label to the namespace name.
		l[metadataNameLabel] = ns.Name
		e.nsByName[ns.Name] = len(e.namespaces)
		e.namespaces = append(e.namespaces, nsInfo{name: ns.Name, labels: l})
	}
}

// namespaceIndex returns the namespace's index, creating an implicit one with
// only the name label when the snapshot did not include it.
func (e *Engine) namespaceIndex(name string) int {
	if i, ok := e.nsByName[name]; ok {
		return i
	}
	e.nsByName[name] = len(e.namespaces)
	e.namespaces = append(e.namespaces, nsInfo{name: name, labels: map[string]string{metadataNameLabel: name}, implicit: true})
	if e.namespacesComplete {
		e.warn("ImplicitNamespace", PolicyRef{}, fmt.Sprintf("namespace %q is not in the snapshot: assumed to have only the label %s=%s", name, metadataNameLabel, name))
	} else {
		e.warn("ImplicitNamespace", PolicyRef{}, fmt.Sprintf("namespace %q is not in the snapshot: only its label %s=%s is known", name, metadataNameLabel, name))
	}
	return e.nsByName[name]
}

func (e *Engine) indexPods(s Snapshot) {
	e.pods = make([]podInfo, 0, len(s.Pods))
	for i := range s.Pods {
		pod := &s.Pods[i]
		ref := PodRef{Namespace: pod.Namespace, Name: pod.Name}
		if _, dup := e.podByRef[ref]; dup || pod.Name == "" || pod.Namespace == "" {
			e.warn("DuplicateObject", PolicyRef{}, fmt.Sprintf("pod %s given twice or without name/namespace: first one kept", ref))
			continue
		}
		p := podInfo{
			idx:         len(e.pods),
			ref:         ref,
			pod:         pod,
			ns:          e.namespaceIndex(pod.Namespace),
			labels:      pod.Labels,
			hostNetwork: pod.Spec.HostNetwork,
			terminal:    pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed,
			namedPorts:  map[string][]ContainerPort{},
		}
		p.ips = podIPs(pod)
		if ip, err := netip.ParseAddr(pod.Status.HostIP); err == nil {
			p.hostIP = ip.Unmap()
			e.nodeIPs[p.hostIP] = true
		}
		for _, cp := range PortsOf(pod) {
			if cp.Name != "" {
				p.namedPorts[cp.Name] = append(p.namedPorts[cp.Name], cp)
			}
		}
		e.podByRef[ref] = p.idx
		e.namespaces[p.ns].pods = append(e.namespaces[p.ns].pods, p.idx)
		e.pods = append(e.pods, p)
	}
	// Only running pod-network pods own their IP: hostNetwork pods share the
	// node's and finished pods may have handed theirs to a new pod.
	for i := range e.pods {
		p := &e.pods[i]
		if p.hostNetwork || p.terminal {
			continue
		}
		for _, ip := range p.ips {
			if prev, ok := e.podByIP[ip]; ok && prev != p.idx {
				e.podByIP[ip] = ambiguousPod
				continue
			}
			e.podByIP[ip] = p.idx
		}
	}
}

func podIPs(pod *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	add := func(s string) {
		if ip, err := netip.ParseAddr(s); err == nil && !slices.Contains(out, ip.Unmap()) {
			out = append(out, ip.Unmap())
		}
	}
	add(pod.Status.PodIP)
	for _, ip := range pod.Status.PodIPs {
		add(ip.IP)
	}
	return out
}

// linkPodsToPolicies records on each pod the policies that apply to it, so
// that a flow only looks at those.
func (e *Engine) linkPodsToPolicies() {
	for i := range e.netpols {
		np := &e.netpols[i]
		for _, pi := range e.namespaces[np.ns].pods {
			if !np.selected.has(pi) {
				continue
			}
			for d := range 2 {
				if np.types[d] {
					e.pods[pi].netpolsFor[d] = append(e.pods[pi].netpolsFor[d], i)
				}
			}
		}
	}
	for _, tier := range []struct {
		policies []adminPolicy
		field    func(*podInfo) *[2][]int
	}{
		{e.admins, func(p *podInfo) *[2][]int { return &p.adminsFor }},
		{e.baselines, func(p *podInfo) *[2][]int { return &p.baselinesFor }},
	} {
		for i := range tier.policies {
			a := &tier.policies[i]
			a.selects = newPodSet(len(e.pods))
			for pi := range e.pods {
				m := a.subject.match(e, pi)
				if m == triNo {
					continue
				}
				a.selects.add(pi, m)
				for d := range 2 {
					if len(a.rules[d]) > 0 {
						f := tier.field(&e.pods[pi])
						f[d] = append(f[d], i)
					}
				}
			}
		}
	}
	for pi := range e.pods {
		p := &e.pods[pi]
		for d := range 2 {
			var gens [3]bool
			for _, ai := range p.adminsFor[d] {
				gens[e.admins[ai].generation()] = true
			}
			for _, bi := range p.baselinesFor[d] {
				gens[e.baselines[bi].generation()] = true
			}
			p.bothGenerations[d] = gens[genV1alpha1] && gens[genClusterNetworkPolicy]
		}
	}
	for i, u := range e.unjudged {
		for pi := range e.pods {
			if u.selects(e.pods[pi].ref.Namespace) {
				e.pods[pi].unjudged = append(e.pods[pi].unjudged, i)
			}
		}
	}
}

// warn records a problem found while indexing.
func (e *Engine) warn(code string, ref PolicyRef, msg string) {
	e.warnings = append(e.warnings, Finding{Code: code, Policy: ref, Rule: -1, Peer: -1, Message: msg})
}

// Warnings lists what New skipped or assumed: objects the API server would
// reject, duplicates, namespaces missing from the snapshot.
func (e *Engine) Warnings() []Finding { return slices.Clone(e.warnings) }

// Pods lists the pods of the snapshot in namespace, then name order.
func (e *Engine) Pods() []PodRef {
	out := make([]PodRef, 0, len(e.pods))
	for i := range e.pods {
		out = append(out, e.pods[i].ref)
	}
	slices.SortFunc(out, func(a, b PodRef) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Pod returns the pod object for ref, or nil.
func (e *Engine) Pod(ref PodRef) *corev1.Pod {
	if i, ok := e.podByRef[ref]; ok {
		return e.pods[i].pod
	}
	return nil
}
