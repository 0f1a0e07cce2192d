package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Calico policy kinds: projectcalico.org/v3, served by Calico's API server
// or as CRDs, and crd.projectcalico.org/v1, the CRDs Calico stores them in,
// which hold the same spec. The group suffix keeps them apart from the
// Kubernetes NetworkPolicy.
const (
	KindCalicoNetworkPolicy       PolicyKind = "NetworkPolicy.projectcalico.org"
	KindCalicoGlobalNetworkPolicy PolicyKind = "GlobalNetworkPolicy.projectcalico.org"
)

// CalicoDefaultTier is the tier of a policy that names none.
const CalicoDefaultTier = "default"

// CalicoPolicy is a Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy
// (cluster-scoped, Namespace empty), as the engine reads it. Decoding
// (DecodeCalicoPolicy) is strict: a field these types do not know is an
// error, so that nothing a newer Calico adds is silently ignored. The fields
// the engine cannot judge (http, and the host-endpoint options doNotTrack,
// preDNAT, applyOnForward) are kept so that it can say so.
//
// Reference: https://docs.tigera.io/calico/latest/reference/resources/networkpolicy
// and .../globalnetworkpolicy; the Go API is
// github.com/projectcalico/api/pkg/apis/projectcalico/v3.
type CalicoPolicy struct {
	Kind      PolicyKind
	Namespace string
	// Name is metadata.name as read. Objects read from
	// crd.projectcalico.org/v1 carry their tier as a name prefix in Calico
	// before v3.31, "default.<name>" included, where the v3 API shows the
	// default tier's policies without it.
	Name string
	Spec CalicoPolicySpec
}

// Ref names the policy.
func (c *CalicoPolicy) Ref() PolicyRef {
	return PolicyRef{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name}
}

// Tier is the tier the policy belongs to: spec.tier, or "default" when it
// is empty (the API defaults it so).
func (c *CalicoPolicy) Tier() string {
	if c.Spec.Tier == "" {
		return CalicoDefaultTier
	}
	return c.Spec.Tier
}

// LegacyNameTier reports the tier Calico before v3.32 gives the policy from
// its name, when that differs from Tier.
//
// Until v3.32 (projectcalico/calico#11232) a policy outside the default
// tier had to be named "<tier>.<name>", and Calico's dataplane took the
// tier from that prefix: the text before the first dot, "default" for a
// name without one (and for names starting "knp.default." or "ossg.";
// "kanp.adminnetworkpolicy." and "kbanp.baselineadminnetworkpolicy." name
// those tiers). Calico's API rejected a name whose prefix disagreed with
// spec.tier, so for an object created through it the two agree. Since
// v3.32 the tier is spec.tier alone and a name may hold dots freely. They
// can therefore differ for a v3.32 policy with a dotted name, or for an
// object written to crd.projectcalico.org directly; the version of Calico
// then decides the tier.
func (c *CalicoPolicy) LegacyNameTier() (string, bool) {
	t := calicoTierFromName(c.Name)
	return t, t != c.Tier()
}

func calicoTierFromName(name string) string {
	switch {
	case strings.HasPrefix(name, "knp.default."), strings.HasPrefix(name, "ossg."):
		return CalicoDefaultTier
	case strings.HasPrefix(name, "kanp.adminnetworkpolicy."):
		return "adminnetworkpolicy"
	case strings.HasPrefix(name, "kbanp.baselineadminnetworkpolicy."):
		return "baselineadminnetworkpolicy"
	}
	if tier, _, ok := strings.Cut(name, "."); ok {
		return tier
	}
	return CalicoDefaultTier
}

// CalicoPolicySpec is the spec of both kinds. NamespaceSelector, DoNotTrack,
// PreDNAT and ApplyOnForward exist only in GlobalNetworkPolicy; decoding
// rejects them in a NetworkPolicy. The selectors are Calico selector
// expressions (calicoSelector), unparsed; empty selects all.
type CalicoPolicySpec struct {
	// Tier names the tier; empty is "default" (see CalicoPolicy.Tier).
	Tier string `json:"tier,omitempty"`
	// Order places the policy in its tier, lowest first; nil is after
	// every policy with an order. Ties go by name.
	Order                  *float64 `json:"order,omitempty"`
	Selector               string   `json:"selector,omitempty"`
	NamespaceSelector      string   `json:"namespaceSelector,omitempty"`
	ServiceAccountSelector string   `json:"serviceAccountSelector,omitempty"`
	// Types are "Ingress" and "Egress". Empty: Calico defaults them from
	// the rules present (Egress only when there are egress rules and no
	// ingress rules, both when there are both, else Ingress).
	Types   []string     `json:"types,omitempty"`
	Ingress []CalicoRule `json:"ingress,omitempty"`
	Egress  []CalicoRule `json:"egress,omitempty"`
	// DoNotTrack, PreDNAT and ApplyOnForward change how the policy applies
	// to host endpoints (before connection tracking, before DNAT, to
	// forwarded traffic).
	DoNotTrack     bool `json:"doNotTrack,omitempty"`
	PreDNAT        bool `json:"preDNAT,omitempty"`
	ApplyOnForward bool `json:"applyOnForward,omitempty"`
	// PerformanceHints never change what the policy enforces.
	PerformanceHints []string `json:"performanceHints,omitempty"`
}

// CalicoRule is one ingress or egress rule. All its match criteria must
// match for its Action (Allow, Deny, Log, Pass) to apply.
type CalicoRule struct {
	Action      string          `json:"action"`
	Protocol    *CalicoProtocol `json:"protocol,omitempty"`
	NotProtocol *CalicoProtocol `json:"notProtocol,omitempty"`
	ICMP        *CalicoICMP     `json:"icmp,omitempty"`
	NotICMP     *CalicoICMP     `json:"notICMP,omitempty"`
	// IPVersion is 4 or 6; nil matches both.
	IPVersion   *int             `json:"ipVersion,omitempty"`
	Source      CalicoEntityRule `json:"source"`
	Destination CalicoEntityRule `json:"destination"`
	// HTTP matches HTTP requests (application layer policy). Nil when
	// absent or null.
	HTTP json.RawMessage `json:"http,omitempty"`
	// Metadata annotates the rule; it does not change what it matches.
	Metadata *CalicoRuleMetadata `json:"metadata,omitempty"`
}

// CalicoRuleMetadata is a rule's metadata.
type CalicoRuleMetadata struct {
	Annotations map[string]string `json:"annotations,omitempty"`
}

// CalicoICMP matches an ICMP type (0-254) and, with it, a code (0-255).
type CalicoICMP struct {
	Type *int `json:"type,omitempty"`
	Code *int `json:"code,omitempty"`
}

// CalicoEntityRule is the source or destination of a rule. See
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#entityrule
// for how its fields combine; in short: all given fields must match, an
// empty selector field puts no constraint, and NotSelector negates the
// packet match (it matches traffic from outside the cluster too).
type CalicoEntityRule struct {
	Nets              []string                   `json:"nets,omitempty"`
	NotNets           []string                   `json:"notNets,omitempty"`
	Selector          string                     `json:"selector,omitempty"`
	NotSelector       string                     `json:"notSelector,omitempty"`
	NamespaceSelector string                     `json:"namespaceSelector,omitempty"`
	Ports             []CalicoPort               `json:"ports,omitempty"`
	NotPorts          []CalicoPort               `json:"notPorts,omitempty"`
	ServiceAccounts   *CalicoServiceAccountMatch `json:"serviceAccounts,omitempty"`
	// Services matches a Kubernetes Service's endpoints (Kubernetes
	// datastore only).
	Services *CalicoServiceMatch `json:"services,omitempty"`
}

// CalicoServiceAccountMatch matches pods by service account: names and a
// selector over the service accounts' labels, both when both are given.
type CalicoServiceAccountMatch struct {
	Names    []string `json:"names,omitempty"`
	Selector string   `json:"selector,omitempty"`
}

// CalicoServiceMatch names a Service; an empty Namespace is the policy's.
type CalicoServiceMatch struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// CalicoProtocol is a rule's protocol: one of the names TCP, UDP, ICMP,
// ICMPv6, SCTP, UDPLite (exactly so written) or a number 1-255, given as a
// JSON string or number ("6" and 6 are both the number 6). Anything else is
// a decoding error, as Calico's validation rejects it.
type CalicoProtocol struct {
	// Name is the protocol name, empty when it was given as a number.
	Name string
	// Number is the IANA protocol number, of the name too.
	Number uint8
}

var calicoProtocolNumbers = map[string]uint8{
	"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136,
}

// UnmarshalJSON reads a protocol name or number.
func (p *CalicoProtocol) UnmarshalJSON(b []byte) error {
	var text string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if n, ok := calicoProtocolNumbers[text]; ok {
			*p = CalicoProtocol{Name: text, Number: n}
			return nil
		}
	} else {
		text = string(b)
	}
	n, err := strconv.ParseUint(text, 10, 8)
	if err != nil || n == 0 {
		return fmt.Errorf("protocol %s is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255", b)
	}
	*p = CalicoProtocol{Number: uint8(n)}
	return nil
}

// String is the name, or the number.
func (p CalicoProtocol) String() string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

// CalicoPort is one entry of ports or notPorts: a port number (a JSON
// number or a string of digits), a range "start:end" (both included) or the
// name of a port of the endpoints. Numbers are 1-65535; a name is 1-128 of
// a-z A-Z 0-9 _ . - (Calico's rules).
type CalicoPort struct {
	// Min and Max are the range; equal for one port, zero for a name.
	Min, Max uint16
	// Name is the port name, empty for numbers.
	Name string
}

var calicoPortName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

// UnmarshalJSON reads a port number, range or name.
func (p *CalicoPort) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		n, err := calicoPortNumber(string(b))
		if err != nil {
			return fmt.Errorf("port %s: %w", b, err)
		}
		*p = CalicoPort{Min: n, Max: n}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if calicoAllDigits(s) {
		n, err := calicoPortNumber(s)
		if err != nil {
			return fmt.Errorf("port %q: %w", s, err)
		}
		*p = CalicoPort{Min: n, Max: n}
		return nil
	}
	if lo, hi, ok := strings.Cut(s, ":"); ok && calicoAllDigits(lo) && calicoAllDigits(hi) {
		start, err := calicoPortNumber(lo)
		if err != nil {
			return fmt.Errorf("port range %q: %w", s, err)
		}
		end, err := calicoPortNumber(hi)
		if err != nil {
			return fmt.Errorf("port range %q: %w", s, err)
		}
		if start > end {
			return fmt.Errorf("port range %q: start is greater than end", s)
		}
		*p = CalicoPort{Min: start, Max: end}
		return nil
	}
	if !calicoPortName.MatchString(s) {
		return fmt.Errorf("port %q is neither a number, a range start:end nor a port name", s)
	}
	*p = CalicoPort{Name: s}
	return nil
}

// String is the name, the number or "start:end".
func (p CalicoPort) String() string {
	switch {
	case p.Name != "":
		return p.Name
	case p.Min == p.Max:
		return strconv.Itoa(int(p.Min))
	}
	return strconv.Itoa(int(p.Min)) + ":" + strconv.Itoa(int(p.Max))
}

func calicoAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func calicoPortNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a port number 1-65535")
	}
	return uint16(n), nil
}

// calicoGlobalOnly are the spec fields of GlobalNetworkPolicy that
// NetworkPolicy does not have.
var calicoGlobalOnly = []string{"namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward"}

// DecodeCalicoPolicy reads a Calico NetworkPolicy or GlobalNetworkPolicy
// (projectcalico.org/v3 or crd.projectcalico.org/v1) from unstructured
// content. A field these types do not know, or one the kind does not have,
// is an error: the caller must then treat the object as one the engine does
// not judge.
func DecodeCalicoPolicy(kind PolicyKind, obj map[string]any) (CalicoPolicy, error) {
	out := CalicoPolicy{Kind: kind}
	if kind != KindCalicoNetworkPolicy && kind != KindCalicoGlobalNetworkPolicy {
		return out, fmt.Errorf("kind %q is not a Calico policy kind", kind)
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		out.Name, _ = md["name"].(string)
		out.Namespace, _ = md["namespace"].(string)
	}
	if kind == KindCalicoGlobalNetworkPolicy {
		out.Namespace = ""
	}
	spec, ok := obj["spec"]
	if !ok || spec == nil {
		return out, nil
	}
	if m, ok := spec.(map[string]any); ok && kind == KindCalicoNetworkPolicy {
		for _, f := range calicoGlobalOnly {
			if _, ok := m[f]; ok {
				return out, fmt.Errorf("spec.%s: only a GlobalNetworkPolicy has this field", f)
			}
		}
	}
	if err := strictJSON(spec, &out.Spec); err != nil {
		return out, fmt.Errorf("spec: %w", err)
	}
	for _, rules := range [][]CalicoRule{out.Spec.Ingress, out.Spec.Egress} {
		for i := range rules {
			if bytes.Equal(rules[i].HTTP, []byte("null")) {
				rules[i].HTTP = nil
			}
		}
	}
	return out, nil
}

// CalicoTier is a Calico Tier (projectcalico.org/v3 or
// crd.projectcalico.org/v1): the policies of a tier are evaluated before
// those of tiers with a higher order; a tier that applies to an endpoint
// but whose policies take no action on a packet applies DefaultAction.
// See https://docs.tigera.io/calico/latest/reference/resources/tier.
type CalicoTier struct {
	Name string
	// Order is nil for "after every tier with an order". Calico fixes
	// the order of its own tiers: default 1000000, and the tiers of the
	// Kubernetes admin policies 1000 and 10000000 (adminnetworkpolicy and
	// baselineadminnetworkpolicy in v3.29 to v3.31, kube-admin and
	// kube-baseline since v3.32).
	Order *float64
	// DefaultAction is "Deny" (also when unset) or "Pass".
	DefaultAction string
}

// DecodeCalicoTier reads a Calico Tier from unstructured content. Its spec
// is decoded strictly; its status is ignored.
func DecodeCalicoTier(obj map[string]any) (CalicoTier, error) {
	out := CalicoTier{DefaultAction: "Deny"}
	if md, ok := obj["metadata"].(map[string]any); ok {
		out.Name, _ = md["name"].(string)
	}
	spec, ok := obj["spec"]
	if !ok || spec == nil {
		return out, nil
	}
	var s struct {
		Order         *float64 `json:"order,omitempty"`
		DefaultAction *string  `json:"defaultAction,omitempty"`
	}
	if err := strictJSON(spec, &s); err != nil {
		return out, fmt.Errorf("spec: %w", err)
	}
	out.Order = s.Order
	if s.DefaultAction != nil {
		switch *s.DefaultAction {
		case "Deny", "Pass":
			out.DefaultAction = *s.DefaultAction
		default:
			return out, fmt.Errorf("spec.defaultAction %q is neither Deny nor Pass", *s.DefaultAction)
		}
	}
	return out, nil
}
