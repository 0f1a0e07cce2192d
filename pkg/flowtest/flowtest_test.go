package flowtest

import (
	"strings"
	"testing"
)

const head = "apiVersion: netdebug/v1alpha1\nkind: FlowTests\n"

func TestParse(t *testing.T) {
	f, err := Parse("t.yaml", []byte(head+`namespace: shop
tests:
- name: by reference
  from: deploy/frontend
  to: shop/api
  ports: [8080, http, 53/udp]
  expect: allowed
- name: by selection
  from: {namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchExpressions: [{key: app, operator: Exists}]}}
  to: {namespace: db}
  expect: denied
- name: to a CIDR
  from: api
  to: 0.0.0.0/0
  ports: [443]
  protocol: tcp
  expect: denied
`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Namespace != "shop" || len(f.Tests) != 3 || f.Path != "t.yaml" {
		t.Fatalf("file = %+v", f)
	}
	ref := f.Tests[0]
	if ref.From.Ref != "deploy/frontend" || ref.From.IsSelection() || len(ref.Ports) != 3 || ref.Ports[0].IntValue() != 8080 || ref.Ports[2].String() != "53/udp" {
		t.Errorf("test 1 = %+v", ref)
	}
	sel := f.Tests[1]
	if !sel.From.IsSelection() || sel.From.NamespaceSelector.MatchLabels["team"] != "x" || sel.To.Namespace != "db" || sel.To.PodSelector != nil {
		t.Errorf("test 2 = %+v", sel)
	}
	if got := sel.From.String(); got != "namespaces team=x, pods app" {
		t.Errorf("selection text = %q", got)
	}
	if p, ok := f.Tests[2].To.Prefix(); !ok || p.String() != "0.0.0.0/0" {
		t.Errorf("CIDR = %v %v", p, ok)
	}
	if p, ok := (Peer{Ref: "::ffff:10.0.0.1"}).Prefix(); !ok || p.String() != "10.0.0.1/32" {
		t.Errorf("mapped IP = %v %v", p, ok)
	}
}

// Every mistake is an error naming the file and the test: a test that
// silently checks something else cannot fail.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"apiVersion: v1\nkind: FlowTests\ntests: []", "not a flow tests file"},
		{head + "tests: []", "no tests"},
		{head + "test: []", `unknown field "test"`},
		{head + "namespace: Shop\ntests: [{name: a, from: a, to: b, expect: allowed}]", `namespace "Shop"`},
		{head + "tests: [{name: a, from: a, to: b, expect: allow}]", `test 1 (a): expect must be "allowed" or "denied", got "allow"`},
		{head + "tests: [{from: a, to: b, expect: allowed}]", "test 1: name is required"},
		{head + "tests: [{name: a, from: a, to: b, expect: allowed, port: [80]}]", `unknown field "port"`},
		{head + "tests: [{name: a, from: a, to: b, expect: allowed}, {name: a, from: a, to: b, expect: denied}]", "test 2 (a): the name is also test 1's"},
		{head + "tests: [{name: a, from: {podSelecter: {}}, to: b, expect: allowed}]", `unknown field "podSelecter"`},
		{head + "tests: [{name: a, to: b, expect: allowed}]", "from: give a pod"},
		{head + "tests: [{name: a, from: '', to: b, expect: allowed}]", "from: give a pod"},
		{head + "tests: [{name: a, from: a, to: {namespace: x, namespaceSelector: {}}, expect: allowed}]", "to: give namespace or namespaceSelector, not both"},
		{head + "tests: [{name: a, from: a, to: {podSelector: {matchExpressions: [{key: k, operator: In}]}}, expect: allowed}]", "to: podSelector:"},
		{head + "tests: [{name: a, from: 10.0.0.1, to: 10.0.0.0/8, ports: [1], expect: allowed}]", "both addresses"},
		{head + "tests: [{name: a, from: a, to: 10.0.0.0/8, expect: allowed}]", "to is an address, which declares no ports: give ports"},
		{head + "tests: [{name: a, from: a, to: b, expect: allowed}, {name: b, from: a, to: b, expect: x}, {name: c, from: a, to: b, expect: y}]", "test 3 (c)"},
	} {
		_, err := Parse("t.yaml", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "t.yaml: ") {
			t.Errorf("%q: err = %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// Parse never panics, whatever the file holds.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head + "tests: [{name: a, from: deploy/x, to: {namespaceSelector: {matchLabels: {a: b}}}, ports: [80, http, 53/udp], expect: allowed}]"))
	f.Add([]byte(head + "tests: [{name: a, from: 10.0.0.0/8, to: b, ports: [1], expect: denied}]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.yaml", data)
		if err == nil {
			for _, tc := range file.Tests {
				_ = tc.From.String() + tc.To.String()
				tc.To.Prefix()
			}
		}
	})
}
