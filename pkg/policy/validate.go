package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// Validation of policy objects as the API server does it on create. An object
// that fails cannot exist in a cluster: New ignores it and Warnings names the
// object, the field path and the rule it breaks, in the API server's words
// where it has them.
//
// NetworkPolicy follows ValidateNetworkPolicy of k8s.io/kubernetes
// pkg/apis/networking/validation. AdminNetworkPolicy and
// BaselineAdminNetworkPolicy follow the CRD schemas and CEL rules of
// sigs.k8s.io/network-policy-api v0.3.0 (apis/v1alpha1). Where the admin API
// asks implementations to fail closed rather than reject (a peer or port with
// no field this version knows, which a newer CRD may have added; a subject
// with none), the object is kept and evaluated as the API asks. The CRD does
// not validate label selectors, protocols or that a port range's start is
// below its end: objects with those exist, and the engine treats them as
// before (unknown, fail closed).

// maxValidationErrors bounds the errors one warning lists.
const maxValidationErrors = 3

// rejectedMessage is the warning for an object the API server would reject.
func rejectedMessage(ref PolicyRef, errs field.ErrorList) string {
	kind := string(ref.Kind) + " "
	if ref.Kind != KindNetworkPolicy {
		kind = ""
	}
	parts := make([]string, 0, min(len(errs), maxValidationErrors)+1)
	for i, err := range errs {
		if i == maxValidationErrors {
			parts = append(parts, fmt.Sprintf("and %d more", len(errs)-i))
			break
		}
		parts = append(parts, err.Error())
	}
	return fmt.Sprintf("%s%s ignored: the API server would reject it: %s", kind, ref, strings.Join(parts, "; "))
}

// validateNetworkPolicy mirrors the API server's validation of a new
// NetworkPolicy.
func validateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	var errs field.ErrorList
	meta := field.NewPath("metadata")
	errs = append(errs, validateName(meta.Child("name"), np.Name, validation.IsDNS1123Subdomain)...)
	errs = append(errs, validateName(meta.Child("namespace"), np.Namespace, validation.IsDNS1123Label)...)
	spec := field.NewPath("spec")
	errs = append(errs, metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, metav1validation.LabelSelectorValidationOptions{}, spec.Child("podSelector"))...)
	for i, r := range np.Spec.Ingress {
		path := spec.Child("ingress").Index(i)
		for j := range r.Ports {
			errs = append(errs, validateNetpolPort(&r.Ports[j], path.Child("ports").Index(j))...)
		}
		for j := range r.From {
			errs = append(errs, validateNetpolPeer(&r.From[j], path.Child("from").Index(j))...)
		}
	}
	for i, r := range np.Spec.Egress {
		path := spec.Child("egress").Index(i)
		for j := range r.Ports {
			errs = append(errs, validateNetpolPort(&r.Ports[j], path.Child("ports").Index(j))...)
		}
		for j := range r.To {
			errs = append(errs, validateNetpolPeer(&r.To[j], path.Child("to").Index(j))...)
		}
	}
	types := []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}
	if len(np.Spec.PolicyTypes) > len(types) {
		return append(errs, field.Invalid(spec.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(spec.Child("policyTypes").Index(i), t, types))
		}
	}
	return errs
}

func validateName(path *field.Path, name string, valid func(string) []string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	for _, msg := range valid(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

// validateNetpolPort is ValidateNetworkPolicyPort: a known protocol; a
// numeric port in 1-65535 with an optional endPort >= port, also in range;
// a port name (IANA_SVC_NAME: "80" in quotes is a name, and an invalid one)
// without endPort; no endPort without port.
func validateNetpolPort(p *networkingv1.NetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.Protocol != nil && !validProtocol(*p.Protocol) {
		errs = append(errs, field.NotSupported(path.Child("protocol"), *p.Protocol, []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}))
	}
	switch {
	case p.Port == nil:
		if p.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "may not be specified when `port` is not specified"))
		}
	case p.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
			errs = append(errs, field.Invalid(path.Child("port"), p.Port.IntVal, msg))
		}
		if p.EndPort != nil {
			if *p.EndPort < p.Port.IntVal {
				errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*p.EndPort)) {
				errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, msg))
			}
		}
	default:
		if p.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "may not be specified when `port` is non-numeric"))
		}
		msgs := validation.IsValidPortName(p.Port.StrVal)
		if len(msgs) > 0 && isDigits(p.Port.StrVal) {
			msgs[len(msgs)-1] += " (a quoted number is a port name: write the number without quotes)"
		}
		for _, msg := range msgs {
			errs = append(errs, field.Invalid(path.Child("port"), p.Port.StrVal, msg))
		}
	}
	return errs
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// validateNetpolPeer is ValidateNetworkPolicyPeer: at least one of
// podSelector, namespaceSelector and ipBlock, ipBlock alone, valid
// selectors and a valid ipBlock.
func validateNetpolPeer(p *networkingv1.NetworkPolicyPeer, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	opts := metav1validation.LabelSelectorValidationOptions{}
	if p.PodSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(p.PodSelector, opts, path.Child("podSelector"))...)
	}
	if p.NamespaceSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(p.NamespaceSelector, opts, path.Child("namespaceSelector"))...)
	}
	if p.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(p.IPBlock, path.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(path, "must specify a peer"))
	case n > 1 && p.IPBlock != nil:
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	}
	return errs
}

// validateIPBlock is ValidateIPBlock: a CIDR, and excepts that are CIDRs
// strictly inside it (same family, longer prefix). CIDRs are parsed as
// netip does: host bits may be set (the API server's legacy parsing accepts
// them), leading zeros may not.
func validateIPBlock(b *networkingv1.IPBlock, path *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(path.Child("cidr"), "")}
	}
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return field.ErrorList{field.Invalid(path.Child("cidr"), b.CIDR, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")}
	}
	var errs field.ErrorList
	for i, s := range b.Except {
		ex, err := netip.ParsePrefix(s)
		if err != nil {
			errs = append(errs, field.Invalid(path.Child("except").Index(i), s, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
			continue
		}
		if !strictlyInside(ex, cidr) {
			errs = append(errs, field.Invalid(path.Child("except").Index(i), s, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// strictlyInside reports whether inner is a strict subset of outer: the same
// family, a longer prefix, and inner's network address in outer.
func strictlyInside(inner, outer netip.Prefix) bool {
	inner, outer = inner.Masked(), outer.Masked()
	return outer.Contains(inner.Addr()) && inner.Bits() > outer.Bits()
}

// Limits and rules of the v1alpha1 CRDs (network-policy-api v0.3.0).
const (
	anpMaxPriority   = 1000
	anpMaxRules      = 100
	anpMaxPeers      = 100
	anpMaxPorts      = 100
	anpMaxRuleName   = 100
	anpMaxNetworks   = 25
	anpMaxDomains    = 25
	anpMaxCIDRLength = 43
	// The CEL rule of egress rules (both kinds) about named ports.
	anpNamedPortRule  = "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames"
	banpNamedPortRule = "networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes"
)

// domainNamePattern is the DomainName pattern of the CRD.
var domainNamePattern = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`)

var (
	anpActions  = []string{actionAllow, actionDeny, actionPass}
	banpActions = []string{actionAllow, actionDeny}
)

// validateAdminNetworkPolicy checks an AdminNetworkPolicy against its CRD:
// priority 0-1000, a subject with at most one field, at most 100 rules of
// at most 100 peers and ports, actions Allow, Deny or Pass, peers and ports
// with at most one field, valid networks and domain names, and no named port
// in an egress rule with a networks, nodes or domainNames peer.
func validateAdminNetworkPolicy(a *anp.AdminNetworkPolicy) field.ErrorList {
	var errs field.ErrorList
	if a.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	spec := field.NewPath("spec")
	if a.Spec.Priority < 0 || a.Spec.Priority > anpMaxPriority {
		errs = append(errs, field.Invalid(spec.Child("priority"), a.Spec.Priority, fmt.Sprintf("must be between 0 and %d, inclusive", anpMaxPriority)))
	}
	return append(errs, validateAdminSpec(spec, a.Spec.Subject, a.Spec.Ingress, a.Spec.Egress, anpActions, anpNamedPortRule)...)
}

// validateBaselineAdminNetworkPolicy checks a BaselineAdminNetworkPolicy
// against its CRD: as an AdminNetworkPolicy without priority, with actions
// Allow or Deny only and no domainNames peers. Its rules are checked in the
// AdminNetworkPolicy's shape, which holds every field a baseline rule has.
// The name rule ("default") is checked by the caller.
func validateBaselineAdminNetworkPolicy(b *anp.BaselineAdminNetworkPolicy) field.ErrorList {
	ingress := make([]anp.AdminNetworkPolicyIngressRule, len(b.Spec.Ingress))
	for i, r := range b.Spec.Ingress {
		ingress[i] = anp.AdminNetworkPolicyIngressRule{Name: r.Name, Action: anp.AdminNetworkPolicyRuleAction(r.Action), From: r.From, Ports: r.Ports}
	}
	egress := make([]anp.AdminNetworkPolicyEgressRule, len(b.Spec.Egress))
	for i, r := range b.Spec.Egress {
		to := make([]anp.AdminNetworkPolicyEgressPeer, len(r.To))
		for j, p := range r.To {
			to[j] = anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks}
		}
		egress[i] = anp.AdminNetworkPolicyEgressRule{Name: r.Name, Action: anp.AdminNetworkPolicyRuleAction(r.Action), To: to, Ports: r.Ports}
	}
	return validateAdminSpec(field.NewPath("spec"), b.Spec.Subject, ingress, egress, banpActions, banpNamedPortRule)
}

// validateAdminSpec checks the subject and the rules of either admin kind:
// at most 100 rules of at most 100 peers and ports, the kind's actions,
// peers and ports with at most one field, valid networks and domain names,
// and no named port in an egress rule with a peer that has no pods.
func validateAdminSpec(spec *field.Path, subject anp.AdminNetworkPolicySubject, ingress []anp.AdminNetworkPolicyIngressRule, egress []anp.AdminNetworkPolicyEgressRule, actions []string, namedPortRule string) field.ErrorList {
	errs := validateAdminSubject(subject, spec.Child("subject"))
	errs = append(errs, maxItems(spec.Child("ingress"), len(ingress), anpMaxRules)...)
	for i, r := range ingress {
		path := spec.Child("ingress").Index(i)
		errs = append(errs, validateAdminRule(path, r.Name, string(r.Action), actions, "from", len(r.From), r.Ports)...)
		for j, p := range r.From {
			errs = append(errs, validateAdminPeer(path.Child("from").Index(j), anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods})...)
		}
	}
	errs = append(errs, maxItems(spec.Child("egress"), len(egress), anpMaxRules)...)
	for i, r := range egress {
		path := spec.Child("egress").Index(i)
		errs = append(errs, validateAdminRule(path, r.Name, string(r.Action), actions, "to", len(r.To), r.Ports)...)
		for j, p := range r.To {
			errs = append(errs, validateAdminPeer(path.Child("to").Index(j), p)...)
		}
		errs = append(errs, validateNamedPortPeers(path, r.To, r.Ports, namedPortRule)...)
	}
	return errs
}

// validateAdminSubject rejects a subject with both fields (maxProperties 1).
// A subject with none is kept: a newer CRD may have a field this version
// does not know, and the engine treats the policy's reach as unknown.
func validateAdminSubject(s anp.AdminNetworkPolicySubject, path *field.Path) field.ErrorList {
	if s.Namespaces != nil && s.Pods != nil {
		return field.ErrorList{field.Forbidden(path, "may have only one of namespaces and pods (maxProperties 1)")}
	}
	return nil
}

// validateAdminRule checks what both rule kinds share: the name's length,
// the action, the number of peers (named peersField) and of ports.
func validateAdminRule(path *field.Path, name, action string, actions []string, peersField string, peers int, ports *[]anp.AdminNetworkPolicyPort) field.ErrorList {
	var errs field.ErrorList
	if utf8.RuneCountInString(name) > anpMaxRuleName {
		errs = append(errs, field.TooLongCharacters(path.Child("name"), name, anpMaxRuleName))
	}
	switch {
	case action == "":
		errs = append(errs, field.Required(path.Child("action"), ""))
	case !sets.New(actions...).Has(action):
		errs = append(errs, field.NotSupported(path.Child("action"), action, actions))
	}
	if peers == 0 {
		errs = append(errs, field.Required(path.Child(peersField), "must have at least 1 item"))
	}
	errs = append(errs, maxItems(path.Child(peersField), peers, anpMaxPeers)...)
	if ports != nil {
		if len(*ports) == 0 {
			errs = append(errs, field.Required(path.Child("ports"), "must have at least 1 item when present"))
		}
		errs = append(errs, maxItems(path.Child("ports"), len(*ports), anpMaxPorts)...)
		for i, p := range *ports {
			errs = append(errs, validateAdminPort(path.Child("ports").Index(i), p)...)
		}
	}
	return errs
}

func maxItems(path *field.Path, n, limit int) field.ErrorList {
	if n > limit {
		return field.ErrorList{field.TooMany(path, n, limit)}
	}
	return nil
}

// validateAdminPeer rejects a peer with more than one field, and invalid
// networks and domain names. A peer with no field is kept (fail closed).
func validateAdminPeer(path *field.Path, p anp.AdminNetworkPolicyEgressPeer) field.ErrorList {
	var errs field.ErrorList
	var set []string
	for _, f := range []struct {
		name    string
		present bool
	}{
		{"namespaces", p.Namespaces != nil},
		{"pods", p.Pods != nil},
		{"nodes", p.Nodes != nil},
		{"networks", p.Networks != nil},
		{"domainNames", p.DomainNames != nil},
	} {
		if f.present {
			set = append(set, f.name)
		}
	}
	if len(set) > 1 {
		errs = append(errs, field.Forbidden(path, fmt.Sprintf("may have only one field (maxProperties 1), has %s", strings.Join(set, ", "))))
	}
	if p.Networks != nil {
		nets := path.Child("networks")
		errs = append(errs, minMaxSet(nets, len(p.Networks), anpMaxNetworks)...)
		seen := map[anp.CIDR]bool{}
		for i, c := range p.Networks {
			if seen[c] {
				errs = append(errs, field.Duplicate(nets.Index(i), c))
			}
			seen[c] = true
			if utf8.RuneCountInString(string(c)) > anpMaxCIDRLength {
				errs = append(errs, field.TooLongCharacters(nets.Index(i), c, anpMaxCIDRLength))
				continue
			}
			if !isMaskedCIDR(string(c)) {
				errs = append(errs, field.Invalid(nets.Index(i), c, "Invalid CIDR format provided (a CIDR with no bits set after the prefix length)"))
			}
		}
	}
	if p.DomainNames != nil {
		names := path.Child("domainNames")
		errs = append(errs, minMaxSet(names, len(p.DomainNames), anpMaxDomains)...)
		seen := map[anp.DomainName]bool{}
		for i, d := range p.DomainNames {
			if seen[d] {
				errs = append(errs, field.Duplicate(names.Index(i), d))
			}
			seen[d] = true
			if !domainNamePattern.MatchString(string(d)) {
				errs = append(errs, field.Invalid(names.Index(i), d, "must match "+domainNamePattern.String()))
			}
		}
	}
	return errs
}

func minMaxSet(path *field.Path, n, limit int) field.ErrorList {
	if n == 0 {
		return field.ErrorList{field.Required(path, "must have at least 1 item when present")}
	}
	return maxItems(path, n, limit)
}

// isMaskedCIDR is the CRD's CEL rule for a CIDR: isCIDR(self) &&
// cidr(self) == cidr(self).masked(). CEL's CIDR parsing is netip's, without
// IPv4-mapped IPv6 addresses.
func isMaskedCIDR(s string) bool {
	p, err := netip.ParsePrefix(s)
	return err == nil && !p.Addr().Is4In6() && p == p.Masked()
}

// validateAdminPort rejects a port entry with more than one field and port
// numbers outside 1-65535. An entry with no field is kept (fail closed).
func validateAdminPort(path *field.Path, p anp.AdminNetworkPolicyPort) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if p.PortNumber != nil {
		n++
		errs = append(errs, portInRange(path.Child("portNumber", "port"), p.PortNumber.Port)...)
	}
	if p.NamedPort != nil {
		n++
	}
	if p.PortRange != nil {
		n++
		errs = append(errs, portInRange(path.Child("portRange", "start"), p.PortRange.Start)...)
		errs = append(errs, portInRange(path.Child("portRange", "end"), p.PortRange.End)...)
	}
	if n > 1 {
		errs = append(errs, field.Forbidden(path, "may have only one of portNumber, namedPort and portRange (maxProperties 1)"))
	}
	return errs
}

func portInRange(path *field.Path, port int32) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortNum(int(port)) {
		errs = append(errs, field.Invalid(path, port, msg))
	}
	return errs
}

// validateNamedPortPeers is the CEL rule of egress rules: no namedPort port
// when a peer is networks, nodes or domainNames (rule is the CRD's message).
func validateNamedPortPeers(path *field.Path, peers []anp.AdminNetworkPolicyEgressPeer, ports *[]anp.AdminNetworkPolicyPort, rule string) field.ErrorList {
	if ports == nil {
		return nil
	}
	named := false
	for _, p := range *ports {
		named = named || p.NamedPort != nil
	}
	if !named {
		return nil
	}
	for _, p := range peers {
		if p.Networks != nil || p.Nodes != nil || p.DomainNames != nil {
			return field.ErrorList{field.Forbidden(path, rule)}
		}
	}
	return nil
}
