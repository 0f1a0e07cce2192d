package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// ClusterNetworkPolicy follows the CRD of network-policy-api v0.3.0
// (v1beta1; v1alpha2 has the same schema). The experimental channel is
// checked, a superset of the standard one: the nodes and domainNames peers,
// destinationNamedPort and the CEL rule about named ports exist only there
// (the standard CRD does not know those fields, so a peer or protocol with
// only them has no field and is rejected by it).
//
// A union with no field (subject, peer, protocol, tcp/udp/sctp,
// destinationPort) is not rejected although minProperties 1 asks for one:
// an object of a newer CRD whose field v0.3.0 lacks decodes the same way,
// and the API asks implementations to fail closed on it, as the engine does
// (as for the v1alpha1 kinds).
//
// Go zero values stand for absent fields (omitempty): number 0 is no
// number, destinationNamedPort "" none. A missing priority reads as 0 and a
// pods peer without podSelector as an empty selector, both valid here
// although the API server requires them. The API documents domainNames for
// Accept rules only, but the CRD has no rule for it: any action is accepted.

const (
	cnpMaxItems    = 25 // every list: rules, peers, protocols, networks, domainNames
	cnpMaxPriority = 1000
	cnpMaxRuleName = 100
)

var (
	cnpTiers   = []string{string(cnp.AdminTier), string(cnp.BaselineTier)}
	cnpActions = []string{actionAccept, actionDeny, actionPass}
)

// validateClusterNetworkPolicy checks a ClusterNetworkPolicy against its CRD
// (v0.3.0 schema and CEL rules).
func validateClusterNetworkPolicy(p *cnp.ClusterNetworkPolicy) field.ErrorList {
	// The API server checks every custom resource's name as a subdomain.
	errs := validateName(field.NewPath("metadata", "name"), p.Name, validation.IsDNS1123Subdomain)
	spec := field.NewPath("spec")
	errs = append(errs, cnpEnum(spec.Child("tier"), string(p.Spec.Tier), cnpTiers)...)
	if p.Spec.Priority < 0 || p.Spec.Priority > cnpMaxPriority {
		errs = append(errs, field.Invalid(spec.Child("priority"), p.Spec.Priority, fmt.Sprintf("must be between 0 and %d, inclusive", cnpMaxPriority)))
	}
	s := p.Spec.Subject
	errs = append(errs, cnpOneOf(spec.Child("subject"), []string{"namespaces", "pods"}, s.Namespaces != nil, s.Pods != nil)...)
	errs = append(errs, maxItems(spec.Child("ingress"), len(p.Spec.Ingress), cnpMaxItems)...)
	for i, r := range p.Spec.Ingress {
		path := spec.Child("ingress").Index(i)
		errs = append(errs, validateCNPRule(path, r.Name, string(r.Action), "from", len(r.From), r.Protocols)...)
		for j, peer := range r.From {
			errs = append(errs, validateAdminPeer(path.Child("from").Index(j), cnpAdminPeer(cnp.ClusterNetworkPolicyEgressPeer{Namespaces: peer.Namespaces, Pods: peer.Pods}))...)
		}
	}
	errs = append(errs, maxItems(spec.Child("egress"), len(p.Spec.Egress), cnpMaxItems)...)
	for i, r := range p.Spec.Egress {
		path := spec.Child("egress").Index(i)
		errs = append(errs, validateCNPRule(path, r.Name, string(r.Action), "to", len(r.To), r.Protocols)...)
		peers := make([]anp.AdminNetworkPolicyEgressPeer, len(r.To))
		for j, peer := range r.To {
			peers[j] = cnpAdminPeer(peer)
			errs = append(errs, validateAdminPeer(path.Child("to").Index(j), peers[j])...)
		}
		// Experimental only; the message is the same as AdminNetworkPolicy's.
		errs = append(errs, validateNamedPortPeers(path, peers, cnpNamedPorts(r.Protocols), anpNamedPortRule)...)
	}
	return errs
}

func cnpEnum(path *field.Path, v string, values []string) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(path, "")}
	case !slices.Contains(values, v):
		return field.ErrorList{field.NotSupported(path, v, values)}
	}
	return nil
}

// cnpOneOf is maxProperties 1: at most one of the fields named, whose
// presence is given in the same order (none fails closed, see above).
func cnpOneOf(path *field.Path, names []string, present ...bool) field.ErrorList {
	var set []string
	for i, ok := range present {
		if ok {
			set = append(set, names[i])
		}
	}
	if len(set) > 1 {
		return field.ErrorList{field.Forbidden(path, fmt.Sprintf("may have only one field (maxProperties 1), has %s", strings.Join(set, ", ")))}
	}
	return nil
}

// validateCNPRule checks what both rule kinds share: the name's length, the
// action, the number of peers (named peersField) and the protocols.
func validateCNPRule(path *field.Path, name, action, peersField string, peers int, protocols []cnp.ClusterNetworkPolicyProtocol) field.ErrorList {
	var errs field.ErrorList
	if utf8.RuneCountInString(name) > cnpMaxRuleName {
		errs = append(errs, field.TooLongCharacters(path.Child("name"), name, cnpMaxRuleName))
	}
	errs = append(errs, cnpEnum(path.Child("action"), action, cnpActions)...)
	if peers == 0 {
		errs = append(errs, field.Required(path.Child(peersField), "must have at least 1 item"))
	}
	errs = append(errs, maxItems(path.Child(peersField), peers, cnpMaxItems)...)
	if protocols != nil {
		errs = append(errs, minMaxSet(path.Child("protocols"), len(protocols), cnpMaxItems)...)
	}
	for i, p := range protocols {
		path := path.Child("protocols").Index(i)
		errs = append(errs, cnpOneOf(path, []string{"tcp", "udp", "sctp", "destinationNamedPort"}, p.TCP != nil, p.UDP != nil, p.SCTP != nil, p.DestinationNamedPort != "")...)
		if p.TCP != nil {
			errs = append(errs, validateCNPDestinationPort(path.Child("tcp"), p.TCP.DestinationPort)...)
		}
		if p.UDP != nil {
			errs = append(errs, validateCNPDestinationPort(path.Child("udp"), p.UDP.DestinationPort)...)
		}
		if p.SCTP != nil {
			errs = append(errs, validateCNPDestinationPort(path.Child("sctp"), p.SCTP.DestinationPort)...)
		}
	}
	return errs
}

// validateCNPDestinationPort: destinationPort is the only field of tcp, udp
// and sctp (minProperties 1), a number or a range of ports, start below end.
func validateCNPDestinationPort(path *field.Path, p *cnp.Port) field.ErrorList {
	dp := path.Child("destinationPort")
	if p == nil {
		return nil // fails closed, see above
	}
	errs := cnpOneOf(dp, []string{"number", "range"}, p.Number != 0, p.Range != nil)
	if p.Number != 0 {
		errs = append(errs, portInRange(dp.Child("number"), p.Number)...)
	}
	if r := p.Range; r != nil {
		errs = append(errs, portInRange(dp.Child("range", "start"), r.Start)...)
		errs = append(errs, portInRange(dp.Child("range", "end"), r.End)...)
		if r.Start >= r.End {
			errs = append(errs, field.Invalid(dp.Child("range"), fmt.Sprintf("%d-%d", r.Start, r.End), "Start port must be less than End port"))
		}
	}
	return errs
}

// cnpAdminPeer is p in the AdminNetworkPolicy shape, as far as validation
// reads it: which fields are present (an empty list is present), networks
// and domain names. The CRD does not check selectors.
func cnpAdminPeer(p cnp.ClusterNetworkPolicyEgressPeer) anp.AdminNetworkPolicyEgressPeer {
	out := anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Nodes: p.Nodes,
		Networks: convertStrings[anp.CIDR](p.Networks), DomainNames: convertStrings[anp.DomainName](p.DomainNames)}
	if p.Pods != nil {
		out.Pods = &anp.NamespacedPod{NamespaceSelector: p.Pods.NamespaceSelector, PodSelector: p.Pods.PodSelector}
	}
	return out
}

// convertStrings keeps nil apart from empty.
func convertStrings[U, T ~string](s []T) []U {
	if s == nil {
		return nil
	}
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = U(v)
	}
	return out
}

// cnpNamedPorts are the destinationNamedPort protocols as AdminNetworkPolicy
// named ports, for validateNamedPortPeers.
func cnpNamedPorts(protocols []cnp.ClusterNetworkPolicyProtocol) *[]anp.AdminNetworkPolicyPort {
	var out []anp.AdminNetworkPolicyPort
	for i := range protocols {
		if protocols[i].DestinationNamedPort != "" {
			out = append(out, anp.AdminNetworkPolicyPort{NamedPort: &protocols[i].DestinationNamedPort})
		}
	}
	return &out
}
