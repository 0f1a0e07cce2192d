package policy

import (
	"bytes"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Cilium policy kinds (cilium.io/v2).
const (
	KindCiliumNetworkPolicy            PolicyKind = "CiliumNetworkPolicy"
	KindCiliumClusterwideNetworkPolicy PolicyKind = "CiliumClusterwideNetworkPolicy"
)

// CiliumPolicy is a CiliumNetworkPolicy (Namespace set) or a
// CiliumClusterwideNetworkPolicy, as the engine reads it: its rules, from
// spec and specs. These small types hold the L3/L4 fields the engine judges
// and, opaquely, the fields that make it undecided (L7 rules, FQDNs,
// services, groups, requirements, authentication); decoding rejects any
// other field, so that nothing a newer Cilium adds is silently ignored.
type CiliumPolicy struct {
	Kind      PolicyKind
	Namespace string
	Name      string
	Rules     []CiliumRule
}

// Ref names the policy.
func (c *CiliumPolicy) Ref() PolicyRef {
	return PolicyRef{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name}
}

// CiliumRule is one rule (api.Rule): the endpoints it selects and its
// sections per direction.
type CiliumRule struct {
	EndpointSelector  *metav1.LabelSelector `json:"endpointSelector,omitempty"`
	NodeSelector      *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	Ingress           []CiliumPeerRule      `json:"ingress,omitempty"`
	IngressDeny       []CiliumPeerRule      `json:"ingressDeny,omitempty"`
	Egress            []CiliumPeerRule      `json:"egress,omitempty"`
	EgressDeny        []CiliumPeerRule      `json:"egressDeny,omitempty"`
	EnableDefaultDeny *CiliumDefaultDeny    `json:"enableDefaultDeny,omitempty"`
	Description       string                `json:"description,omitempty"`
	// Labels name the rule; Log configures policy logging. Neither
	// changes what is allowed.
	Labels json.RawMessage `json:"labels,omitempty"`
	Log    json.RawMessage `json:"log,omitempty"`
}

// CiliumDefaultDeny is enableDefaultDeny: nil fields take the default (on
// for a direction the rule has a section for).
type CiliumDefaultDeny struct {
	Ingress *bool `json:"ingress,omitempty"`
	Egress  *bool `json:"egress,omitempty"`
}

// CiliumPeerRule is an ingress, ingressDeny, egress or egressDeny rule; the
// from* fields are the ingress ones, to* the egress ones.
type CiliumPeerRule struct {
	FromEndpoints []metav1.LabelSelector `json:"fromEndpoints,omitempty"`
	FromRequires  []metav1.LabelSelector `json:"fromRequires,omitempty"`
	FromCIDR      []string               `json:"fromCIDR,omitempty"`
	FromCIDRSet   []CiliumCIDRRule       `json:"fromCIDRSet,omitempty"`
	FromEntities  []string               `json:"fromEntities,omitempty"`
	FromNodes     []metav1.LabelSelector `json:"fromNodes,omitempty"`
	FromGroups    json.RawMessage        `json:"fromGroups,omitempty"`

	ToEndpoints []metav1.LabelSelector `json:"toEndpoints,omitempty"`
	ToRequires  []metav1.LabelSelector `json:"toRequires,omitempty"`
	ToCIDR      []string               `json:"toCIDR,omitempty"`
	ToCIDRSet   []CiliumCIDRRule       `json:"toCIDRSet,omitempty"`
	ToEntities  []string               `json:"toEntities,omitempty"`
	ToNodes     []metav1.LabelSelector `json:"toNodes,omitempty"`
	ToGroups    json.RawMessage        `json:"toGroups,omitempty"`
	ToServices  json.RawMessage        `json:"toServices,omitempty"`
	ToFQDNs     json.RawMessage        `json:"toFQDNs,omitempty"`

	ToPorts        []CiliumPortRule `json:"toPorts,omitempty"`
	ICMPs          json.RawMessage  `json:"icmps,omitempty"`
	Authentication json.RawMessage  `json:"authentication,omitempty"`
}

// CiliumCIDRRule is a CIDR with exceptions, or a reference to CIDR groups.
type CiliumCIDRRule struct {
	CIDR              string                `json:"cidr,omitempty"`
	Except            []string              `json:"except,omitempty"`
	CIDRGroupRef      string                `json:"cidrGroupRef,omitempty"`
	CIDRGroupSelector *metav1.LabelSelector `json:"cidrGroupSelector,omitempty"`
}

// CiliumPortRule is one toPorts entry: ports, and L7 rules or TLS settings
// that filter the connection further.
type CiliumPortRule struct {
	Ports          []CiliumPort    `json:"ports,omitempty"`
	Rules          json.RawMessage `json:"rules,omitempty"`
	ServerNames    json.RawMessage `json:"serverNames,omitempty"`
	OriginatingTLS json.RawMessage `json:"originatingTLS,omitempty"`
	TerminatingTLS json.RawMessage `json:"terminatingTLS,omitempty"`
	Listener       json.RawMessage `json:"listener,omitempty"`
}

// CiliumPort is a port number or name (or "0", all ports), an optional end
// of range, and a protocol (TCP, UDP, SCTP, ANY; empty is ANY).
type CiliumPort struct {
	Port     string `json:"port"`
	EndPort  int32  `json:"endPort,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// DecodeCiliumPolicy reads a CiliumNetworkPolicy or
// CiliumClusterwideNetworkPolicy object (as unstructured content). A field
// these types do not know is an error: the caller must then treat the
// object as one the engine does not judge.
func DecodeCiliumPolicy(kind PolicyKind, obj map[string]any) (CiliumPolicy, error) {
	out := CiliumPolicy{Kind: kind}
	if md, ok := obj["metadata"].(map[string]any); ok {
		out.Name, _ = md["name"].(string)
		out.Namespace, _ = md["namespace"].(string)
	}
	if kind == KindCiliumClusterwideNetworkPolicy {
		out.Namespace = ""
	}
	if spec, ok := obj["spec"]; ok && spec != nil {
		var r CiliumRule
		if err := strictJSON(spec, &r); err != nil {
			return out, fmt.Errorf("spec: %w", err)
		}
		out.Rules = append(out.Rules, r)
	}
	if specs, ok := obj["specs"]; ok && specs != nil {
		var rs []CiliumRule
		if err := strictJSON(specs, &rs); err != nil {
			return out, fmt.Errorf("specs: %w", err)
		}
		out.Rules = append(out.Rules, rs...)
	}
	return out, nil
}

func strictJSON(v any, into any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}
