// Package flowtest reads flow expectations, the files `netpol test` judges:
// which traffic a set of policies must allow or deny, written next to the
// manifests and checked in CI.
//
//	apiVersion: netdebug/v1alpha1
//	kind: FlowTests
//	namespace: shop              # of names without one (default: -n)
//	tests:
//	- name: frontend reaches api
//	  from: deploy/frontend      # POD, NS/POD, KIND/NAME, NS/KIND/NAME, IP or CIDR
//	  to: api
//	  ports: [8080]              # numbers, names, 53/udp; default: the ports the destination declares
//	  expect: allowed            # or denied
//	- name: nothing outside shop reaches the database
//	  from: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [shop]}]}}
//	  to: {namespace: shop, podSelector: {matchLabels: {app: db}}}
//	  ports: [5432]
//	  expect: denied
//
// Decoding is strict: an unknown or misspelt field is an error naming the
// test, because a test that silently checks something else cannot fail.
package flowtest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// APIVersion and Kind identify a flow tests file.
const (
	APIVersion = "netdebug/v1alpha1"
	Kind       = "FlowTests"
)

// Expectation is what a test expects of every flow it names.
type Expectation string

// The expectations.
const (
	Allowed Expectation = "allowed"
	Denied  Expectation = "denied"
)

// File is one flow tests file.
type File struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Namespace is the namespace of names given without one; empty means
	// the command's (-n, else default).
	Namespace string `json:"namespace,omitempty"`
	Tests     []Test `json:"tests"`

	// Path is where the file was read, for messages.
	Path string `json:"-"`
}

// Test is one expectation: every flow from From to To on Ports is Expect.
type Test struct {
	Name string `json:"name"`
	From Peer   `json:"from"`
	To   Peer   `json:"to"`
	// Ports are numbers, container port names or PORT/PROTOCOL; empty
	// means each destination pod's declared ports.
	Ports []intstr.IntOrString `json:"ports,omitempty"`
	// Protocol of the ports given without one (default TCP), or of the
	// declared ports to keep.
	Protocol string      `json:"protocol,omitempty"`
	Expect   Expectation `json:"expect"`
}

// Peer is one side of a test: a reference (Ref) or a selection of pods.
type Peer struct {
	// Ref is POD, NS/POD, KIND/NAME (a workload stands for its pods),
	// NS/KIND/NAME, an IP address or a CIDR.
	Ref string `json:"-"`
	// Namespace, or NamespaceSelector, picks the namespaces of a selection
	// (neither: the file's namespace); PodSelector picks pods in them
	// (absent: every pod).
	Namespace         string                `json:"namespace,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	PodSelector       *metav1.LabelSelector `json:"podSelector,omitempty"`
}

// IsSelection reports whether the peer selects pods by labels.
func (p Peer) IsSelection() bool { return p.Ref == "" }

// Prefix is the peer as an address range, when it is an IP or a CIDR.
func (p Peer) Prefix() (netip.Prefix, bool) {
	if a, err := netip.ParseAddr(p.Ref); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	if pr, err := netip.ParsePrefix(p.Ref); err == nil {
		return pr.Masked(), true
	}
	return netip.Prefix{}, false
}

func (p Peer) String() string {
	if !p.IsSelection() {
		return p.Ref
	}
	var parts []string
	switch {
	case p.Namespace != "":
		parts = append(parts, "namespace "+p.Namespace)
	case p.NamespaceSelector != nil:
		parts = append(parts, "namespaces "+selectorText(p.NamespaceSelector))
	}
	if p.PodSelector != nil {
		parts = append(parts, "pods "+selectorText(p.PodSelector))
	} else {
		parts = append(parts, "every pod")
	}
	return strings.Join(parts, ", ")
}

func selectorText(s *metav1.LabelSelector) string {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return "(invalid selector)"
	}
	if sel.Empty() {
		return "(all)"
	}
	return sel.String()
}

// UnmarshalJSON reads a peer written as a string or as a selection.
func (p *Peer) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := yaml.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = Peer{Ref: s}
		return nil
	}
	type selection Peer // without this method
	var sel selection
	if err := yaml.UnmarshalStrict(b, &sel); err != nil {
		return err
	}
	*p = Peer(sel)
	return nil
}

// Parse reads a flow tests file and checks it. Errors name the file and the
// test (by number, counted from 1, and name).
func Parse(path string, data []byte) (*File, error) {
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return nil, fmt.Errorf("%s: not a flow tests file: want apiVersion %s and kind %s, got %q and %q", path, APIVersion, Kind, f.APIVersion, f.Kind)
	}
	if f.Namespace != "" {
		if errs := validation.IsDNS1123Label(f.Namespace); len(errs) > 0 {
			return nil, fmt.Errorf("%s: namespace %q: %s", path, f.Namespace, strings.Join(errs, "; "))
		}
	}
	if len(f.Tests) == 0 {
		return nil, fmt.Errorf("%s: no tests", path)
	}
	var errs []error
	names := map[string]int{}
	for i, t := range f.Tests {
		where := fmt.Sprintf("%s: test %d", path, i+1)
		if t.Name != "" {
			where += fmt.Sprintf(" (%s)", t.Name)
		}
		if err := t.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if prev, ok := names[t.Name]; ok && t.Name != "" {
			errs = append(errs, fmt.Errorf("%s: the name is also test %d's: names tell the results apart", where, prev))
		}
		names[t.Name] = i + 1
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &f, nil
}

func (t Test) validate() error {
	if t.Name == "" {
		return errors.New("name is required")
	}
	if t.Expect != Allowed && t.Expect != Denied {
		return fmt.Errorf("expect must be %q or %q, got %q", Allowed, Denied, t.Expect)
	}
	for _, side := range []struct {
		name string
		peer Peer
	}{{"from", t.From}, {"to", t.To}} {
		if err := side.peer.validate(); err != nil {
			return fmt.Errorf("%s: %w", side.name, err)
		}
	}
	_, fromIP := t.From.Prefix()
	_, toIP := t.To.Prefix()
	if fromIP && toIP {
		return errors.New("from and to are both addresses: one side must be pods, whose policies decide")
	}
	if toIP && len(t.Ports) == 0 {
		return errors.New("to is an address, which declares no ports: give ports")
	}
	return nil
}

func (p Peer) validate() error {
	if !p.IsSelection() {
		if strings.TrimSpace(p.Ref) == "" {
			return errors.New("empty")
		}
		return nil // the procedure parses references as the command line's
	}
	if p.Namespace != "" && p.NamespaceSelector != nil {
		return errors.New("give namespace or namespaceSelector, not both")
	}
	if p.Namespace == "" && p.NamespaceSelector == nil && p.PodSelector == nil {
		return errors.New("give a pod, workload, IP or CIDR, or a selection with namespace, namespaceSelector or podSelector")
	}
	if p.Namespace != "" {
		if errs := validation.IsDNS1123Label(p.Namespace); len(errs) > 0 {
			return fmt.Errorf("namespace %q: %s", p.Namespace, strings.Join(errs, "; "))
		}
	}
	for _, s := range []struct {
		name string
		sel  *metav1.LabelSelector
	}{{"namespaceSelector", p.NamespaceSelector}, {"podSelector", p.PodSelector}} {
		if s.sel == nil {
			continue
		}
		if _, err := metav1.LabelSelectorAsSelector(s.sel); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}
