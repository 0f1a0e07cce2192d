package policy

import (
	"hash/fnv"
	"slices"
	"strings"
	"testing"
)

func mustCalicoSelector(t testing.TB, s string) calicoSelector {
	t.Helper()
	sel, err := parseCalicoSelector(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return sel
}

// TestCalicoSelectorMatches follows the operator table of
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors
// and the behaviour of Calico's evaluator (libcalico-go/lib/selector).
func TestCalicoSelectorMatches(t *testing.T) {
	none := map[string]string{}
	type L = map[string]string
	for _, c := range []struct {
		sel    string
		labels L
		want   bool
	}{
		// == : the label is present with that value.
		{`role == 'database'`, L{"role": "database"}, true},
		{`role == 'database'`, L{"role": "frontend"}, false},
		{`role == 'database'`, none, false},
		{`role == 'database'`, nil, false},
		{`role == ''`, L{"role": ""}, true},
		{`role == ''`, none, false},
		{`role == "Database"`, L{"role": "database"}, false},
		// != : absent, or another value.
		{`deployment != "dev"`, L{"deployment": "prod"}, true},
		{`deployment != "dev"`, L{"deployment": "dev"}, false},
		{`deployment != "dev"`, none, true},
		{`deployment != ""`, L{"deployment": ""}, false},
		{`deployment != ""`, none, true},
		// in: present with one of the values; {} matches nothing.
		{`type in {"frontend", "backend"}`, L{"type": "backend"}, true},
		{`type in {"frontend", "backend"}`, L{"type": "db"}, false},
		{`type in {"frontend", "backend"}`, none, false},
		{`type in {}`, L{"type": ""}, false},
		{`type in {''}`, L{"type": ""}, true},
		// not in: absent, or none of the values; {} matches everything.
		{`type not in {"frontend", "backend"}`, L{"type": "db"}, true},
		{`type not in {"frontend", "backend"}`, L{"type": "frontend"}, false},
		{`type not in {"frontend", "backend"}`, none, true},
		{`type not in {}`, L{"type": "x"}, true},
		// has
		{`has(app)`, L{"app": ""}, true},
		{`has(app)`, L{"apps": "x"}, false},
		{`!has(app)`, none, true},
		{`!has(app)`, L{"app": "x"}, false},
		{`! has(label_name)`, L{"label_name": "x"}, false},
		// contains, starts with, ends with: present and the substring test.
		{`k contains 'ell'`, L{"k": "hello"}, true},
		{`k contains 'ell'`, L{"k": "help"}, false},
		{`k contains ''`, L{"k": ""}, true},
		{`k contains ''`, none, false},
		{`k starts with 'prod'`, L{"k": "production"}, true},
		{`k starts with 'prod'`, L{"k": "preprod"}, false},
		{`k starts with 'prod'`, none, false},
		{`k ends with 'prod'`, L{"k": "preprod"}, true},
		{`k ends with 'prod'`, L{"k": "production"}, false},
		{`k ends with ''`, L{"k": "x"}, true},
		{`!k starts with 'prod'`, none, true},
		// all(), global() and the empty selector match any labels.
		{`all()`, none, true},
		{`!all()`, L{"a": "b"}, false},
		{`global()`, L{"a": "b"}, true},
		{``, nil, true},
		{"  \t ", L{"a": "b"}, true},
		// Label keys with prefixes, dots, slashes, dashes, underscores.
		{`projectcalico.org/namespace == "default"`, L{"projectcalico.org/namespace": "default"}, true},
		{`projectcalico.org/name in {"foo", "bar"}`, L{"projectcalico.org/name": "bar"}, true},
		{`kubernetes.io/metadata.name not in {"calico-system", "kube-public", "kube-system", "tigera-operator"}`, L{"kubernetes.io/metadata.name": "kube-system"}, false},
		{`kubernetes.io/metadata.name not in {"calico-system", "kube-public", "kube-system", "tigera-operator"}`, L{"kubernetes.io/metadata.name": "shop"}, true},
		{`k8s-app == "kube-dns"`, L{"k8s-app": "kube-dns"}, true},
		{`app.kubernetes.io/part-of == 'x' && has(a_b.c-d/e_f)`, L{"app.kubernetes.io/part-of": "x", "a_b.c-d/e_f": ""}, true},
		{`9lives == '9'`, L{"9lives": "9"}, true},
		// Quoting: no escapes, either quote may hold the other.
		{`k == "it's"`, L{"k": "it's"}, true},
		{`k == 'say "hi"'`, L{"k": `say "hi"`}, true},
		{`k in {"a'b", 'c"d'}`, L{"k": `c"d`}, true},
		{`k == 'a b  c'`, L{"k": "a b  c"}, true},
		{`k == 'ünï'`, L{"k": "ünï"}, true},
		// Whitespace is optional around symbols and allowed in calls.
		{`a=='b'&&c!='d'`, L{"a": "b"}, true},
		{"a\t==\t'b'", L{"a": "b"}, true},
		{`has( a )`, L{"a": ""}, true},
		{`all( )`, none, true},
		{`k in{'a'}`, L{"k": "a"}, true},
		{`k in {'a',}`, L{"k": "a"}, true},
		{`k notin {'a'}`, L{"k": "b"}, true},
		{`k not   in {'a'}`, L{"k": "a"}, false},
		{`k startswith 'a'`, L{"k": "ab"}, true},
		{`k ends  with 'b'`, L{"k": "ab"}, true},
		// Words used as label keys.
		{`has == 'x'`, L{"has": "x"}, true},
		{`in in {'in'}`, L{"in": "in"}, true},
		{`contains contains 'contains'`, L{"contains": "contains"}, true},
		{`not == 'x' && all == 'y'`, L{"not": "x", "all": "y"}, true},
		// Precedence: ! over && over ||; "!" takes one operation.
		{`a == '1' || b == '1' && c == '1'`, L{"a": "1"}, true},
		{`a == '1' || b == '1' && c == '1'`, L{"b": "1"}, false},
		{`(a == '1' || b == '1') && c == '1'`, L{"a": "1"}, false},
		{`(a == '1' || b == '1') && c == '1'`, L{"b": "1", "c": "1"}, true},
		{`!a == '1' && b == '1'`, L{"b": "1"}, true},
		{`!a == '1' && b == '1'`, L{"a": "1", "b": "1"}, false},
		{`!(a == '1' && b == '1')`, L{"a": "1"}, true},
		{`!!has(a)`, L{"a": ""}, true},
		{`!!!has(a)`, L{"a": ""}, false},
		{`!(!(has(a)))`, L{"a": ""}, true},
		{`((((a == '1'))))`, L{"a": "1"}, true},
		{`(a == '1' || (b == '1' && (c == '1' || !has(d))))`, L{"b": "1"}, true},
		{`(a == '1' || (b == '1' && (c == '1' || !has(d))))`, L{"b": "1", "d": ""}, false},
	} {
		sel := mustCalicoSelector(t, c.sel)
		if got := sel.matches(c.labels); got != c.want {
			t.Errorf("%q on %v: got %t, want %t", c.sel, c.labels, got, c.want)
		}
	}
}

// TestCalicoSelectorDocumentedPrecedence checks the worked example of the
// docs: "! has(my-label) || my-label starts with 'prod' && role in
// {'frontend','business'}" is bracketed as
// "((!(has(my-label)) || ((my-label starts with 'prod') && (role in {'frontend','business'}))".
func TestCalicoSelectorDocumentedPrecedence(t *testing.T) {
	sel := mustCalicoSelector(t, `! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}`)
	bracketed := mustCalicoSelector(t, `((!(has(my-label))) || ((my-label starts with 'prod') && (role in {'frontend','business'})))`)
	if got, want := sel.String(), `!has(my-label) || my-label starts with "prod" && role in {"business", "frontend"}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	if sel.String() != bracketed.String() {
		t.Errorf("bracketed form normalizes to %s, want %s", bracketed.String(), sel.String())
	}
	for _, c := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{}, true},                                             // no my-label
		{map[string]string{"role": "db"}, true},                                 // no my-label
		{map[string]string{"my-label": "prod-1", "role": "frontend"}, true},     // both
		{map[string]string{"my-label": "production", "role": "business"}, true}, // both
		{map[string]string{"my-label": "prod-1", "role": "db"}, false},
		{map[string]string{"my-label": "dev", "role": "frontend"}, false},
		{map[string]string{"my-label": "prod-1"}, false},
	} {
		if got := sel.matches(c.labels); got != c.want {
			t.Errorf("on %v: got %t, want %t", c.labels, got, c.want)
		}
		if got := bracketed.matches(c.labels); got != c.want {
			t.Errorf("bracketed on %v: got %t, want %t", c.labels, got, c.want)
		}
	}
}

func TestCalicoSelectorString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, ``},
		{`   `, ``},
		{`all()`, `all()`},
		{`( all( ) )`, `all()`},
		{`global()`, `global()`},
		{`role=='database'`, `role == "database"`},
		{`k != 'say "hi"'`, `k != 'say "hi"'`},
		{`k in {'b','a','b',}`, `k in {"a", "b"}`},
		{`k not in {}`, `k not in {}`},
		{`k notin {'x'}`, `k not in {"x"}`},
		{`k startswith 'x'`, `k starts with "x"`},
		{`k ends   with 'x'`, `k ends with "x"`},
		{`k contains 'x'`, `k contains "x"`},
		{`has( k )`, `has(k)`},
		{`!has(k)`, `!has(k)`},
		{`!k == 'v'`, `!(k == "v")`},
		{`!!k == 'v'`, `k == "v"`},
		{`!(!(k == 'v'))`, `k == "v"`},
		{`!!!all()`, `!all()`},
		{`a == '1' && (b == '2' && c == '3')`, `a == "1" && b == "2" && c == "3"`},
		{`(a == '1' || b == '2') || c == '3'`, `a == "1" || b == "2" || c == "3"`},
		{`a == '1' || b == '2' && c == '3'`, `a == "1" || b == "2" && c == "3"`},
		{`(a == '1' || b == '2') && c == '3'`, `(a == "1" || b == "2") && c == "3"`},
		{`!(a == '1' || b == '2')`, `!(a == "1" || b == "2")`},
		{`!(a == '1' && b == '2') || !has(c)`, `!(a == "1" && b == "2") || !has(c)`},
		{`(type == "webserver") && (deployment == "prod")`, `type == "webserver" && deployment == "prod"`},
	} {
		sel := mustCalicoSelector(t, c.in)
		if got := sel.String(); got != c.want {
			t.Errorf("%q: String() = %q, want %q", c.in, got, c.want)
		}
		again := mustCalicoSelector(t, sel.String())
		if again.String() != sel.String() {
			t.Errorf("%q: String() is not stable: %q then %q", c.in, sel.String(), again.String())
		}
	}
}

func TestCalicoSelectorQueries(t *testing.T) {
	for _, c := range []struct {
		sel                               string
		keys                              []string
		empty, all, global, usesGlobalWan bool
	}{
		{sel: ``, empty: true, all: true},
		{sel: ` `, empty: true, all: true},
		{sel: `all()`, all: true},
		{sel: `(all())`, all: true},
		{sel: `!all()`},
		{sel: `all() || has(a)`, keys: []string{"a"}},
		{sel: `global()`, global: true, usesGlobalWan: true},
		{sel: `global() || has(a)`, keys: []string{"a"}, usesGlobalWan: true},
		{sel: `b == '1' && (has(a) || a != '2') && !c in {'x'} && d contains 'x' && e starts with 'y' && f ends with 'z' && g not in {}`,
			keys: []string{"a", "b", "c", "d", "e", "f", "g"}},
		{sel: `projectcalico.org/namespace == 'x' || projectcalico.org/name == 'y'`, keys: []string{"projectcalico.org/name", "projectcalico.org/namespace"}},
	} {
		s := mustCalicoSelector(t, c.sel)
		if got := s.keys(); !slices.Equal(got, c.keys) {
			t.Errorf("%q: keys() = %q, want %q", c.sel, got, c.keys)
		}
		if s.isEmpty() != c.empty || s.isAll() != c.all || s.isGlobal() != c.global || s.usesGlobal() != c.usesGlobalWan {
			t.Errorf("%q: isEmpty %t isAll %t isGlobal %t usesGlobal %t, want %t %t %t %t", c.sel,
				s.isEmpty(), s.isAll(), s.isGlobal(), s.usesGlobal(), c.empty, c.all, c.global, c.usesGlobalWan)
		}
	}
	// The zero value is the empty selector.
	var zero calicoSelector
	if !zero.isEmpty() || !zero.matches(nil) || zero.String() != "" || zero.keys() != nil {
		t.Error("the zero calicoSelector is not the empty selector")
	}
}

func TestCalicoSelectorErrors(t *testing.T) {
	for _, c := range []struct{ sel, want string }{
		{`a = 'b'`, `character 3: expected "==", found a single "="`},
		{`a == b`, `character 6: expected a quoted string after ==, found label "b"`},
		{`a == 'b`, `character 6: string has no closing '`},
		{`a == "b`, `character 6: string has no closing "`},
		{`a`, `character 2: expected an operator after label "a"`},
		{`a b`, `character 3: expected an operator after label "a" (==, !=, in, not in, contains, starts with, ends with), found "b"`},
		{`a inx {'b'}`, `character 3: expected an operator after label "a"`},
		{`a containsx 'b'`, `character 3: expected an operator after label "a"`},
		{`a not {'b'}`, `character 3: expected an operator after label "a"`},
		{`a in 'b'`, `character 6: expected "{" after in, found string 'b'`},
		{`a in {'b' 'c'}`, `character 11: expected a quoted string, "," or "}" in the set opened at character 6, found string 'c'`},
		{`a in {b}`, `character 7: expected a quoted string, "," or "}" in the set opened at character 6, found label "b"`},
		{`a in {,}`, `character 7: expected a quoted string, "," or "}"`},
		{`a in {'b'`, `character 10: expected a quoted string, "," or "}" in the set opened at character 6, found the end of the selector`},
		{`a == 'b' & c == 'd'`, `character 10: expected "&&", found a single "&"`},
		{`a == 'b' | c == 'd'`, `character 10: expected "||", found a single "|"`},
		{`a == 'b' c == 'd'`, `character 10: unexpected label "c" after a complete expression (join expressions with && or ||)`},
		{`a == 'b')`, `character 9: ")" has no matching "("`},
		{`(a == 'b'`, `character 10: expected ")" to close "(" at character 1, found the end of the selector`},
		{`()`, `character 2: expected a label, has(...), all(), global(), "!" or "(", found ")"`},
		{`a == 'b' &&`, `character 12: expected a label, has(...), all(), global(), "!" or "(", found the end of the selector`},
		{`|| a == 'b'`, `character 1: expected a label`},
		{`!`, `character 2: expected a label`},
		{`has(a`, `character 6: expected ")" to close has( at character 1, found the end of the selector`},
		{`has()`, `character 5: expected a label key, found ")"`},
		{`has(a b)`, `character 7: expected ")" to close has(`},
		{`has (a)`, `character 5: write has( without a space before the parenthesis`},
		{`all ()`, `character 5: write all( without a space before the parenthesis`},
		{`all(x)`, `character 5: expected ")" to close all(`},
		{`global(`, `character 8: expected ")" to close global(`},
		{`a == 'b' && c == 'd' || #`, `character 25: unexpected character "#"`},
		{"a == 'b'\n&& c == 'd'", `character 9: found "\n": only spaces and tabs may separate the parts of a selector`},
		{`ünï == 'x'`, `character 1: unexpected character`},
		{`a != 'b' !`, `character 10: unexpected "!" after a complete expression`},
		{`a ! = 'b'`, `character 5: expected "==", found a single "="`},
		{`'a' == 'b'`, `character 1: expected a label, has(...), all(), global(), "!" or "(", found string 'a'`},
		{`{}`, `character 1: expected a label`},
	} {
		_, err := parseCalicoSelector(c.sel)
		if err == nil {
			t.Errorf("%q: parsed, want error %q", c.sel, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %q, want it to start with %q", c.sel, err, c.want)
		}
	}
}

func TestCalicoSelectorBounds(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("(", n) + "a == 'b'" + strings.Repeat(")", n) }
	if _, err := parseCalicoSelector(nest(calicoSelectorMaxDepth)); err != nil {
		t.Errorf("%d nested parentheses: %v", calicoSelectorMaxDepth, err)
	}
	if _, err := parseCalicoSelector(nest(calicoSelectorMaxDepth + 1)); err == nil || !strings.Contains(err.Error(), "parentheses nest deeper than 64") {
		t.Errorf("%d nested parentheses: got %v, want a nesting error", calicoSelectorMaxDepth+1, err)
	}
	long := "a == '" + strings.Repeat("x", calicoSelectorMaxLen-7) + "'"
	if len(long) != calicoSelectorMaxLen {
		t.Fatalf("test setup: %d bytes", len(long))
	}
	if _, err := parseCalicoSelector(long); err != nil {
		t.Errorf("%d bytes: %v", len(long), err)
	}
	if _, err := parseCalicoSelector(long + " "); err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Errorf("%d bytes: got %v, want a length error", len(long)+1, err)
	}
	key := strings.Repeat("k", calicoLabelMaxLen)
	if _, err := parseCalicoSelector("has(" + key + ")"); err != nil {
		t.Errorf("label of %d characters: %v", len(key), err)
	}
	for _, s := range []string{"has(" + key + "k)", key + "k == 'x'"} {
		if _, err := parseCalicoSelector(s); err == nil || !strings.Contains(err.Error(), "at most 512") {
			t.Errorf("label of %d characters: got %v, want a length error", len(key)+1, err)
		}
	}
	// Long flat chains and runs of "!" do not nest.
	chain := strings.TrimSuffix(strings.Repeat("has(a) && ", 400), " && ")
	if s, err := parseCalicoSelector(chain); err != nil || !s.matches(map[string]string{"a": ""}) {
		t.Errorf("chain of 400: %v", err)
	}
	if s, err := parseCalicoSelector(strings.Repeat("!", 4000) + "has(a)"); err != nil || !s.matches(map[string]string{"a": ""}) {
		t.Errorf("4000 negations: %v", err)
	}
}

// calicoSampleLabels derives label sets for a selector: every key it reads
// absent or set to values taken from its literals and variations of them,
// combined pseudo-randomly (deterministically, from seed).
func calicoSampleLabels(sel calicoSelector, seed string) []map[string]string {
	keys := sel.keys()
	values := []string{"", "x"}
	if sel.root != nil {
		sel.root.any(func(n *calicoSelNode) bool {
			for _, v := range append([]string{n.value}, n.values...) {
				values = append(values, v, v+"x", "x"+v)
				if len(v) > 1 {
					values = append(values, v[1:], v[:len(v)-1])
				}
			}
			return false
		})
	}
	h := fnv.New64a()
	h.Write([]byte(seed))
	state := h.Sum64() | 1
	rnd := func(n int) int {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(state % uint64(n))
	}
	out := []map[string]string{nil, {"unrelated": "x"}}
	for i := 0; i < 48; i++ {
		l := map[string]string{}
		for _, k := range keys {
			if c := rnd(len(values) + 1); c < len(values) {
				l[k] = values[c]
			}
		}
		out = append(out, l)
	}
	return out
}

func FuzzCalicoSelector(f *testing.F) {
	for _, s := range []string{
		``,
		`all()`,
		`!all()`,
		`global()`,
		`role == 'database'`,
		`type == "webserver" && deployment == "prod"`,
		`type in {"frontend", "backend"}`,
		`deployment != "dev"`,
		`! has(label_name)`,
		`! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}`,
		`projectcalico.org/name in {"foo", "bar"}`,
		`kubernetes.io/metadata.name not in {"calico-system", "kube-public", "kube-system", "tigera-operator"}`,
		`k contains 's' && k ends with 'x' || !(a notin {'b',} && has( c ))`,
		`((a == '1' || b == "2") && !c startswith '3')`,
		`k == 'say "hi"' || k != "it's"`,
		`a = 'b'`,
		`has (a)`,
		`(((`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := parseCalicoSelector(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", s)
			}
			return
		}
		text := sel.String()
		// The normalized text may be longer than the input, and writes
		// "!(k == 'v')" where the input may have had "!k == 'v'" (one
		// more level of parentheses): parse it without those bounds.
		again, err := parseCalicoSelectorDepth(text, calicoSelectorMaxDepth+1)
		if err != nil {
			t.Fatalf("%q normalizes to %q, which does not parse: %v", s, text, err)
		}
		if again.String() != text {
			t.Fatalf("%q normalizes to %q, then to %q", s, text, again.String())
		}
		if again.isEmpty() != sel.isEmpty() || again.isAll() != sel.isAll() || again.usesGlobal() != sel.usesGlobal() ||
			!slices.Equal(again.keys(), sel.keys()) {
			t.Fatalf("%q and its normalized %q differ in isEmpty, isAll, usesGlobal or keys", s, text)
		}
		for _, l := range calicoSampleLabels(sel, s) {
			if a, b := sel.matches(l), again.matches(l); a != b {
				t.Fatalf("%q matches %v: %t, but its normalized %q: %t", s, l, a, text, b)
			}
		}
	})
}
