// Package policy decides whether a network flow between two endpoints of a
// Kubernetes cluster is allowed by NetworkPolicy (networking.k8s.io/v1),
// AdminNetworkPolicy and BaselineAdminNetworkPolicy
// (policy.networking.k8s.io/v1alpha1), ClusterNetworkPolicy (v1beta1 and
// v1alpha2, from sigs.k8s.io/network-policy-api v0.3.0), Cilium's and
// Calico's policies, and explains why. Policies of other APIs (Snapshot.
// Unjudged) make the sides of the pods they may select Undecided.
//
// The package is pure: it reads typed objects from a Snapshot, never talks to
// an API server and never prints. An Engine is built once per Snapshot with
// New, which compiles every selector and precomputes which pods each policy
// and each peer selects, so that evaluating many flows (a matrix of pods) costs
// roughly one bit test per peer instead of a selector evaluation.
//
// # Order of evaluation (per side of a flow)
//
// A flow needs the egress side of its source and the ingress side of its
// destination to be allowed. Each side that is a pod is evaluated in this order:
//
//  1. The Admin tier: AdminNetworkPolicies and ClusterNetworkPolicies of
//     tier Admin whose subject selects the pod, lowest priority number
//     first, rules in written order: the first matching rule decides
//     (Allow/Accept, Deny) or hands over to NetworkPolicy (Pass).
//  2. NetworkPolicy: if the pod is isolated for that direction, the union of
//     the rules of the selecting policies decides. Cilium policies selecting
//     the pod join this step as Cilium enforces them (deny rules first,
//     allows added up, their own default deny).
//  3. The Baseline tier: ClusterNetworkPolicies of tier Baseline by
//     priority, then the BaselineAdminNetworkPolicy "default": first
//     matching rule decides (Pass goes on to the default).
//  4. Otherwise the traffic is allowed.
//
// For a pod Calico policies select, the walk is Calico's instead
// (calico_eval.go): its tiers in order, with NetworkPolicy in the default
// tier at order 1000 and the admin and baseline tiers at their Calico
// orders, each tier ending in its default action.
//
// A side that is an IP address (not a pod) has nothing to enforce and is
// allowed.
//
// # Three results, never a guess
//
// A Verdict is Allowed, Denied or Undecided. Undecided is returned when a
// rule that could change the outcome cannot be evaluated from the snapshot
// (for example an AdminNetworkPolicy "domainNames" peer against an IP, a
// "nodes" peer against an IP no Node of the snapshot lists or without the
// Nodes, an ipBlock or "networks" peer against a pod whose IP is not known
// yet, or a namespace selector against a namespace whose labels are not
// known). When such a rule cannot change the outcome (both branches lead to
// the same result), the result is decided and a caveat names the rule.
// Undecided is also returned when the result depends on something the
// snapshot cannot say: the address family the connection uses, or how the
// network plugin treats a hostNetwork pod (see below).
//
// # Address families
//
// ipBlock and "networks" peers match addresses, and a dual-stack pod has one
// address per family, so a flow is judged in one family at a time, with
// each pod's address of that family only. An IP endpoint fixes the family
// (also when it is a pod's IP). A flow between two pods may use any family
// both have (a pod whose IP is not known yet may have either): it is judged
// in each, and the result is Undecided when they differ. Endpoints that
// share no family make the flow Undecided. A pod whose IP is not known
// matches an ipBlock of the flow's family only when the block is the whole
// family with no except (0.0.0.0/0, ::/0), never one of the other family,
// and otherwise may or may not match.
//
// # Numbering convention
//
// Rule, peer and port indices in the structured fields (RuleMatch, Miss,
// AdminMatch, Finding) are 0-based positions in the object's lists, as in the
// API. Human text (Reason, Message, Describe summaries) counts from 1:
// "rule 1" is Rule == 0. An index of -1 means "not applicable" (for example
// Peer == -1 for a rule with no peers, which matches every peer).
//
// # Semantics decided where the upstream specifications leave room
//
//   - hostNetwork pods: the API text's reading treats them like other pods
//     for NetworkPolicy (selected by selectors, isolated by policies);
//     AdminNetworkPolicy ignores them as subjects and peers, as its API says.
//     Most network plugins instead treat their traffic as the node's:
//     Verdict.IfHostNetworkIgnored carries the result under that reading.
//     When the two readings differ the verdict is Undecided, its reason names
//     both results, and the sides explain the API text's reading; when they
//     agree, the verdict is that result with a caveat.
//   - ipBlock against a pod's IP matches (the spec only says ipBlock is meant
//     for cluster-external IPs); a caveat is attached whenever a verdict relies
//     on it. A pod whose IP is not known yet (a manifest, a pending pod) may
//     get an address inside the block: see Address families.
//   - "A pod cannot block access to itself" and "traffic to and from the node
//     where a pod runs is always allowed" are applied at the NetworkPolicy
//     layer only; AdminNetworkPolicy rules still apply to such traffic.
//   - A flow whose source or destination IP is the IP of exactly one running,
//     non-hostNetwork pod in the snapshot is evaluated as that pod.
//   - Named ports are resolved on the destination pod's regular containers
//     (init containers and ephemeral containers are ignored), per protocol.
//   - A policy that the API server would reject is ignored and reported by
//     Engine.Warnings (naming the object, the field path and the rule), since
//     it cannot exist in a cluster: for NetworkPolicy the checks of
//     k8s.io/kubernetes pkg/apis/networking/validation (selectors, ports and
//     endPort, port names, ipBlock CIDRs and excepts, peers, policy types,
//     names); for the admin kinds the CRD schema and CEL rules of
//     network-policy-api v0.3.0 (priority, actions, list sizes, fields per
//     subject, peer and port, networks, domain names, named ports with
//     non-pod peers). See validate.go.
//   - AdminNetworkPolicy peers or ports with no known field are treated as the
//     API asks ("fail closed"): they match nothing in an Allow rule and turn a
//     Deny or Pass rule into a deny of everything.
//   - AdminNetworkPolicies of equal priority that would decide the same flow
//     differently make the result Undecided (the API leaves the choice to the
//     implementation).
//   - Namespaces referenced by pods or policies but absent from the snapshot:
//     when the snapshot lists every namespace (Snapshot.NamespacesComplete,
//     a read of a cluster) they do not exist and are taken to carry only the
//     kubernetes.io/metadata.name label. Otherwise (manifests that do not
//     declare them) only that label is known: a namespace selector on it is
//     decided, and one that reads any other label may or may not match their
//     pods. A caveat names such namespaces when they matter.
//
// An Engine is immutable after New and safe for concurrent use. The Snapshot
// given to New must not be modified afterwards.
package policy
