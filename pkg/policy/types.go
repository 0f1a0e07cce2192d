package policy

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Snapshot is the set of objects an Engine reasons about. AdminNetworkPolicies
// and the BaselineAdminNetworkPolicy are given only when their CRDs exist in
// the cluster; nil or empty means "none".
type Snapshot struct {
	Namespaces                 []corev1.Namespace
	Pods                       []corev1.Pod
	NetworkPolicies            []networkingv1.NetworkPolicy
	AdminNetworkPolicies       []anp.AdminNetworkPolicy
	BaselineAdminNetworkPolicy *anp.BaselineAdminNetworkPolicy
	// ClusterNetworkPolicies of both tiers, as the cluster serves them
	// (v1beta1, or v1alpha2: the same schema, decoded into v1beta1 types).
	ClusterNetworkPolicies []cnp.ClusterNetworkPolicy
	// CiliumPolicies are CiliumNetworkPolicies and
	// CiliumClusterwideNetworkPolicies (DecodeCiliumPolicy), judged at
	// L3/L4 together with NetworkPolicy, as Cilium enforces them.
	CiliumPolicies []CiliumPolicy
	// CalicoPolicies are Calico NetworkPolicies and GlobalNetworkPolicies
	// (DecodeCalicoPolicy), judged in their tiers with NetworkPolicy in the
	// default tier, as Calico enforces them; CalicoTiers order the tiers
	// (DecodeCalicoTier). CalicoTiersKnown: the Tier objects were read, so
	// a tier missing from CalicoTiers does not exist.
	CalicoPolicies   []CalicoPolicy
	CalicoTiers      []CalicoTier
	CalicoTiersKnown bool
	// Unjudged are policies of APIs this version detects but does not
	// evaluate (CNI-native kinds), and kinds it could not list. Each may
	// select any pod of its namespace (any pod at all when cluster-scoped,
	// or when not listed): a side of such a pod is Undecided, naming them.
	Unjudged []UnjudgedPolicy
	// Nodes judge the nodes peers of admin policies (their labels and
	// status addresses). Nil: unknown, and such peers stay undecided
	// unless they select every node.
	Nodes []corev1.Node
	// NamespacesComplete says that Namespaces lists every namespace that
	// exists, as a read of a cluster does: a namespace the snapshot lacks
	// does not exist, and one named by a pod or policy is taken to carry
	// only the kubernetes.io/metadata.name label. False (manifests): a
	// namespace the snapshot lacks may exist with labels nobody knows, so
	// a namespaceSelector that reads any other label cannot be decided for
	// its pods.
	NamespacesComplete bool
}

// UnjudgedPolicy is a policy object (or a kind of them that could not be
// listed) whose effect the engine does not compute.
type UnjudgedPolicy struct {
	// Group and Kind name the API: "cilium.io", "CiliumNetworkPolicy".
	Group string
	Kind  string
	// Namespaced: the kind is namespaced. Namespace is the object's; for a
	// kind that could not be listed it is the namespace the list was
	// refused for, "" for all.
	Namespaced bool
	Namespace  string
	// Name is the object's name, "" when the kind could not be listed.
	Name string
	// Reason says why it is not judged ("not evaluated by this version",
	// "list forbidden: needs list on cilium.io ciliumnetworkpolicies").
	Reason string
}

// String names the object ("CiliumNetworkPolicy ns/name") or the kind not
// listed ("CiliumNetworkPolicy objects in ns").
func (u UnjudgedPolicy) String() string {
	switch {
	case u.Name != "" && u.Namespace != "":
		return u.Kind + " " + u.Namespace + "/" + u.Name
	case u.Name != "":
		return u.Kind + " " + u.Name
	case u.Namespace != "":
		return u.Kind + " objects in namespace " + u.Namespace
	default:
		return u.Kind + " objects"
	}
}

// selects reports whether the object may select a pod of namespace ns.
func (u UnjudgedPolicy) selects(ns string) bool {
	return !u.Namespaced || u.Namespace == "" || u.Namespace == ns
}

// PodRef names a pod.
type PodRef struct {
	Namespace string
	Name      string
}

func (r PodRef) String() string { return r.Namespace + "/" + r.Name }

// Endpoint is one end of a flow: a pod (Pod set) or an IP address (IP valid).
type Endpoint struct {
	Pod PodRef
	IP  netip.Addr
}

// PodEndpoint returns the endpoint for a pod.
func PodEndpoint(namespace, name string) Endpoint {
	return Endpoint{Pod: PodRef{Namespace: namespace, Name: name}}
}

// IPEndpoint returns the endpoint for an IP address.
func IPEndpoint(ip netip.Addr) Endpoint { return Endpoint{IP: ip.Unmap()} }

// IsPod reports whether the endpoint names a pod.
func (ep Endpoint) IsPod() bool { return ep.Pod.Name != "" }

func (ep Endpoint) String() string {
	if ep.IsPod() {
		return "pod " + ep.Pod.String()
	}
	if ep.IP.IsValid() {
		return "IP " + ep.IP.String()
	}
	return "unknown endpoint"
}

// Flow is a connection attempt from Src to Dst on a destination port.
type Flow struct {
	Src, Dst Endpoint
	// Protocol is TCP, UDP or SCTP; empty means TCP.
	Protocol corev1.Protocol
	// Port is a number, or a name resolved on the destination pod's
	// container ports for Protocol.
	Port intstr.IntOrString
}

// Result is the outcome of an evaluation.
type Result string

const (
	Allowed   Result = "Allowed"
	Denied    Result = "Denied"
	Undecided Result = "Undecided"
)

// Direction names the side of a flow a policy governs.
type Direction string

const (
	Ingress Direction = "Ingress"
	Egress  Direction = "Egress"
)

// Layer names the mechanism that decided one side of a flow.
type Layer string

const (
	// LayerNone: the side was not decided (Undecided, or a malformed flow).
	LayerNone Layer = ""
	// LayerNotAPod: the endpoint is an IP, so there is nothing to enforce.
	LayerNotAPod Layer = "NotAPod"
	// LayerAdmin: an AdminNetworkPolicy rule (Allow or Deny) decided.
	LayerAdmin Layer = "AdminNetworkPolicy"
	// LayerClusterAdmin: a rule of a ClusterNetworkPolicy of the Admin tier
	// (Accept or Deny) decided.
	LayerClusterAdmin Layer = "ClusterNetworkPolicy/Admin"
	// LayerNetworkPolicy: the pod is isolated and NetworkPolicy decided.
	LayerNetworkPolicy Layer = "NetworkPolicy"
	// LayerCilium: a Cilium policy decided: a deny rule, an allow rule, or
	// the default deny it put the pod in.
	LayerCilium Layer = "CiliumNetworkPolicy"
	// LayerCalico: a Calico policy rule (Allow or Deny) decided, or the
	// end-of-tier deny of a Calico tier that applies to the pod, or the
	// pod's profile after every tier passed the flow on.
	LayerCalico Layer = "CalicoPolicy"
	// LayerBaseline: a BaselineAdminNetworkPolicy rule decided.
	LayerBaseline Layer = "BaselineAdminNetworkPolicy"
	// LayerClusterBaseline: a rule of a ClusterNetworkPolicy of the
	// Baseline tier decided.
	LayerClusterBaseline Layer = "ClusterNetworkPolicy/Baseline"
	// LayerDefault: nothing applied, traffic is allowed.
	LayerDefault Layer = "Default"
)

// Admin reports whether the layer is an admin policy's (either tier, either
// API generation).
func (l Layer) Admin() bool {
	return l == LayerAdmin || l == LayerBaseline || l == LayerClusterAdmin || l == LayerClusterBaseline
}

// Exemption names a NetworkPolicy rule of thumb that allowed a side without
// any policy rule.
type Exemption string

const (
	ExemptNone Exemption = ""
	// ExemptSamePod: a pod cannot block traffic to itself.
	ExemptSamePod Exemption = "SamePod"
	// ExemptOwnNode: traffic between a pod and the node it runs on is
	// always allowed by NetworkPolicy.
	ExemptOwnNode Exemption = "OwnNode"
)

// PolicyKind is the kind of a policy object.
type PolicyKind string

const (
	KindNetworkPolicy              PolicyKind = "NetworkPolicy"
	KindAdminNetworkPolicy         PolicyKind = "AdminNetworkPolicy"
	KindBaselineAdminNetworkPolicy PolicyKind = "BaselineAdminNetworkPolicy"
	KindClusterNetworkPolicy       PolicyKind = "ClusterNetworkPolicy"
)

// PolicyRef names a policy object. Namespace is empty for the cluster-scoped
// admin kinds.
type PolicyRef struct {
	Kind      PolicyKind
	Namespace string
	Name      string
}

// String is "ns/name" for NetworkPolicies, "Kind ns/name" for other
// namespaced kinds and "Kind name" for the cluster-scoped ones.
func (r PolicyRef) String() string {
	switch {
	case r.Kind == KindNetworkPolicy:
		return r.Namespace + "/" + r.Name
	case r.Namespace != "":
		return string(r.Kind) + " " + r.Namespace + "/" + r.Name
	}
	return string(r.Kind) + " " + r.Name
}

// ResolvedPort is the destination port of a flow after name resolution.
type ResolvedPort struct {
	Protocol corev1.Protocol
	Number   int32
	// Name is the port name the flow asked for, if any.
	Name string
}

// Verdict is the full answer for one Flow.
type Verdict struct {
	Flow Flow
	// Result is Allowed only if both sides are allowed, Denied if either
	// side is denied, Undecided otherwise. It is also Undecided when the
	// result depends on what the snapshot cannot say: the address family
	// the connection uses (Egress and Ingress then merge the results over
	// IPv4 and IPv6), or how the network plugin treats a hostNetwork pod
	// (IfHostNetworkIgnored gives the other reading's result, and a side
	// the readings decide differently is Undecided, its reason giving
	// both).
	Result Result
	// Allowed is Result == Allowed.
	Allowed bool
	Port    ResolvedPort
	// Egress is the source's egress side, Ingress the destination's.
	Egress  SideVerdict
	Ingress SideVerdict
	// IfHostNetworkIgnored is set when an endpoint is a hostNetwork pod: the
	// result if the network plugin treats that pod's traffic as its node's
	// (the most common implementation).
	IfHostNetworkIgnored Result
	// Caveats apply to the whole flow; each side has its own too.
	Caveats []Caveat
	// Reason is a one-line human summary.
	Reason string
}

// SideVerdict explains one side of a flow: the source's egress or the
// destination's ingress.
type SideVerdict struct {
	Direction Direction
	// Pod is the pod whose side this is; zero when the endpoint is an IP.
	Pod       PodRef
	Result    Result
	DecidedBy Layer
	Exemption Exemption
	// Isolated is true when a NetworkPolicy selecting the pod lists this
	// direction in its (defaulted) policyTypes.
	Isolated bool
	// SelectingPolicies are the NetworkPolicies that isolate the pod for
	// this direction.
	SelectingPolicies []PolicyRef
	// AllowedBy lists every NetworkPolicy (or Cilium) rule, peer and port
	// that allows the flow (allows are a union: any one suffices).
	AllowedBy []RuleMatch
	// DeniedBy lists the Cilium deny rules that match the flow: they win
	// over every allow.
	DeniedBy []RuleMatch
	// Admin lists the admin rules that matched the flow, or might have,
	// in evaluation order; the last certain one decided unless DecidedBy
	// says otherwise.
	Admin []AdminMatch
	// Uncertain lists the NetworkPolicy rules that would allow the flow
	// if a fact the snapshot lacks turned out one way: an ipBlock against
	// a pod whose IP is not known yet, a namespaceSelector against a
	// namespace whose labels are not known. Filled when no rule surely
	// allows the flow.
	Uncertain []RuleMatch
	// Misses explains, closest first, why each NetworkPolicy rule did not
	// allow the flow. Filled when no rule allows the flow (rules listed in
	// Uncertain are left out).
	Misses  []Miss
	Caveats []Caveat
	Reason  string
}

// RuleMatch is one NetworkPolicy or Cilium rule that allows (or denies) a
// flow. Indices are
// 0-based; Peer is -1 for a rule without peers (all peers) and Port is -1 for
// a rule without ports (all ports).
type RuleMatch struct {
	Policy PolicyRef
	Rule   int
	Peer   int
	Port   int
	Reason string
}

// AdminMatch is one AdminNetworkPolicy, BaselineAdminNetworkPolicy or
// ClusterNetworkPolicy rule that matched a flow (Certain) or might have (not
// Certain: it could not be evaluated from the snapshot). Action is the
// effective action as the kind names it (Accept for a ClusterNetworkPolicy),
// which is Deny for a Pass rule that fails closed.
type AdminMatch struct {
	Policy PolicyRef
	// Layer is the layer the rule's policy decides as: its kind and tier.
	Layer    Layer
	Priority int32
	Rule     int
	RuleName string
	Action   string
	Peer     int
	Port     int
	Certain  bool
	Reason   string
}

// Miss explains why one NetworkPolicy rule did not allow a flow. Rule is -1
// when the policy has no rule at all for the direction (it only isolates).
// Peer and Port are the closest peer and port of the rule (-1 when the rule
// has none, meaning "all"). Closeness orders misses: lower is closer. It is
// 3*peerDistance + portDistance, where peerDistance is 0 (peer matched),
// 1 (half matched: one of namespace and pod conditions held, or the IP fell
// in the CIDR but in an except), 2 (no match) or 3 (wrong kind of peer, or a
// policy with no rules), and portDistance is 0 (matched), 1 (same protocol,
// other number) or 2 (other protocol, or unresolvable name).
type Miss struct {
	Policy      PolicyRef
	Rule        int
	Peer        int
	Port        int
	PeerMatched bool
	PortMatched bool
	Closeness   int
	PeerReason  string
	PortReason  string
	Reason      string
}

// Caveat codes, stable for filtering.
const (
	CaveatHostNetwork        = "HostNetwork"
	CaveatIPBlockPodIP       = "IPBlockPodIP"
	CaveatExternalIP         = "ExternalIP"
	CaveatIPIsPod            = "IPIsPod"
	CaveatUnknownPodIP       = "UnknownPodIP"
	CaveatDualStack          = "DualStack"
	CaveatImplicitNamespace  = "ImplicitNamespace"
	CaveatAdminUnevaluable   = "AdminUnevaluable"
	CaveatAdminSamePriority  = "AdminSamePriority"
	CaveatAdminFailClosed    = "AdminFailClosed"
	CaveatAdminDomainNames   = "AdminDomainNames"
	CaveatAdminGenerations   = "AdminGenerations"
	CaveatUnjudgedPolicy     = "UnjudgedPolicy"
	CaveatNotRunning         = "NotRunning"
	CaveatSamePod            = "SamePod"
	CaveatOwnNode            = "OwnNode"
	CaveatNeitherEndpointPod = "NeitherEndpointPod"
)

// Caveat is a warning attached to a verdict: the result holds per the
// specification but implementations may differ, or the snapshot lacks data.
type Caveat struct {
	Code    string
	Message string
}
