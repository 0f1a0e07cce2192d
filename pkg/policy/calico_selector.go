package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Calico's selector language (projectcalico.org/v3 policy selector,
// namespaceSelector, serviceAccountSelector and the rule selectors), as
// documented at
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors
// and implemented by libcalico-go/lib/selector (tokenizer and parser) of
// github.com/projectcalico/calico:
//
//	k == 'v'               k has the value v
//	k != 'v'               k is absent, or has a value other than v
//	k in {'a', 'b'}        k has one of the values ({} matches nothing)
//	k not in {'a', 'b'}    k is absent, or has none of the values
//	has(k)                 k is present, whatever its value
//	k contains 's'         k is present and its value contains s
//	k starts with 's'      k is present and its value starts with s
//	k ends with 's'        k is present and its value ends with s
//	all()                  everything in scope
//	global()               everything, see below
//	! e    e && f    e || f    ( e )
//
// Precedence: the match operators bind tightest, then "!", then "&&", then
// "||". "!" applies to one operation: "!a == 'b'" is "!(a == 'b')", and
// "!has(a) || b == 'c'" is "(!has(a)) || (b == 'c')".
//
// Lexical rules, as Calico's tokenizer has them:
//   - only spaces and tabs separate tokens (a newline is an error);
//   - a label key is 1 to 512 of the characters a-z A-Z 0-9 _ . / -, so
//     "projectcalico.org/namespace" and "app.kubernetes.io/name" are keys;
//   - a string is quoted with ' or " and has no escapes: it ends at the next
//     quote of the same kind, and may hold the other kind;
//   - "has(", "all(" and "global(" are written without a space before the
//     parenthesis; spaces may follow it;
//   - the operator words come right after a label and must end at a word
//     boundary; "not in", "starts with" and "ends with" may be written with
//     any number of spaces between their words, none included ("notin");
//   - a set may end with a comma: {'a', 'b',}.
//
// The empty selector (or one of only spaces) selects everything, like all()
// (the API's selector fields say "all() or the empty selector -> matches all
// endpoints"). Where the two differ is the field, not the selector: an
// EntityRule's selector that is empty puts no constraint on the peer at all
// (any packet, even from outside the cluster), whereas all() matches only
// the endpoints and network sets in scope. isEmpty tells them apart.
//
// global() matches everything as far as labels go (Calico's evaluator
// returns true). Its meaning is the scope: in an EntityRule's
// namespaceSelector (the only place Calico's validation accepts it, and only
// alone), Calico rewrites it to !has(projectcalico.org/namespace), that is
// non-namespaced endpoints and network sets only, and rewrites all() there
// to has(projectcalico.org/namespace), any namespaced endpoint. Callers
// evaluating a namespaceSelector must apply that themselves (usesGlobal).
//
// Beyond Calico, parsing is bounded: a selector longer than 4096 bytes, or
// with parentheses nested deeper than 64, is an error (Calico's API limits
// selector fields to 1024 characters).
type calicoSelector struct {
	// root is nil for the empty selector.
	root *calicoSelNode
}

const (
	calicoSelectorMaxLen   = 4096
	calicoSelectorMaxDepth = 64
	calicoLabelMaxLen      = 512
)

type calicoSelOp uint8

const (
	cselAll calicoSelOp = iota
	cselGlobal
	cselHas
	cselEq
	cselNe
	cselIn
	cselNotIn
	cselContains
	cselStartsWith
	cselEndsWith
	cselNot
	cselAnd
	cselOr
)

// calicoSelNode is one node of a parsed selector. Nodes are never modified
// after parsing, so a calicoSelector may be copied and shared freely.
type calicoSelNode struct {
	op  calicoSelOp
	key string
	// value is the operand of ==, !=, contains, starts with, ends with.
	value string
	// values are the set of in and not in: sorted, without duplicates.
	values []string
	// args are the operand of ! (one) and the operands of && and || (two
	// or more, none of them of the same operator: they are flattened).
	args []*calicoSelNode
}

// parseCalicoSelector parses a Calico selector expression. The error names
// the position (1-based byte offset) and what was expected there.
func parseCalicoSelector(s string) (calicoSelector, error) {
	if len(s) > calicoSelectorMaxLen {
		return calicoSelector{}, fmt.Errorf("selector is %d bytes long; at most %d are accepted", len(s), calicoSelectorMaxLen)
	}
	return parseCalicoSelectorDepth(s, calicoSelectorMaxDepth)
}

// parseCalicoSelectorDepth parses s of any length, with parentheses nested
// at most maxDepth deep.
func parseCalicoSelectorDepth(s string, maxDepth int) (calicoSelector, error) {
	toks, err := lexCalicoSelector(s)
	if err != nil {
		return calicoSelector{}, err
	}
	if toks[0].kind == ctEOF {
		return calicoSelector{}, nil
	}
	p := calicoParser{toks: toks, maxDepth: maxDepth}
	root, err := p.or(0)
	if err != nil {
		return calicoSelector{}, err
	}
	if t := p.peek(); t.kind != ctEOF {
		if t.kind == ctRParen {
			return calicoSelector{}, calicoSelErrorf(t.pos, "%s has no matching \"(\"", t.describe())
		}
		return calicoSelector{}, calicoSelErrorf(t.pos, "unexpected %s after a complete expression (join expressions with && or ||)", t.describe())
	}
	return calicoSelector{root: root}, nil
}

// matches evaluates the selector against a set of labels (nil is no labels).
func (s calicoSelector) matches(labels map[string]string) bool {
	if s.root == nil {
		return true
	}
	return s.root.eval(labels)
}

// isEmpty reports whether the selector was empty (or only spaces).
func (s calicoSelector) isEmpty() bool { return s.root == nil }

// isAll reports whether the selector is empty or all(): written to select
// everything in scope. It is syntactic: "all() || a == 'b'" is not isAll.
func (s calicoSelector) isAll() bool { return s.root == nil || s.root.op == cselAll }

// isGlobal reports whether the selector is exactly global().
func (s calicoSelector) isGlobal() bool { return s.root != nil && s.root.op == cselGlobal }

// usesGlobal reports whether global() appears anywhere in the selector.
func (s calicoSelector) usesGlobal() bool {
	return s.root != nil && s.root.any(func(n *calicoSelNode) bool { return n.op == cselGlobal })
}

// keys returns the label keys the selector reads, sorted, each once.
func (s calicoSelector) keys() []string {
	if s.root == nil {
		return nil
	}
	var out []string
	s.root.any(func(n *calicoSelNode) bool {
		switch n.op {
		case cselAll, cselGlobal, cselNot, cselAnd, cselOr:
		default:
			out = append(out, n.key)
		}
		return false
	})
	slices.Sort(out)
	return slices.Compact(out)
}

// String prints the selector in a normalized form that parses back to the
// same selector: single spaces around operators, values in double quotes
// (single quotes when the value holds a double quote), set values sorted
// and unique, "!" written only before has(), all(), global() or a
// parenthesis, parentheses only where precedence needs them, and nested
// && (||) flattened. The empty selector prints as "".
func (s calicoSelector) String() string {
	if s.root == nil {
		return ""
	}
	var b strings.Builder
	s.root.format(&b)
	return b.String()
}

// any reports whether f holds for n or a node below it (pre-order).
func (n *calicoSelNode) any(f func(*calicoSelNode) bool) bool {
	if f(n) {
		return true
	}
	for _, a := range n.args {
		if a.any(f) {
			return true
		}
	}
	return false
}

func (n *calicoSelNode) eval(l map[string]string) bool {
	switch n.op {
	case cselAll, cselGlobal:
		return true
	case cselNot:
		return !n.args[0].eval(l)
	case cselAnd:
		for _, a := range n.args {
			if !a.eval(l) {
				return false
			}
		}
		return true
	case cselOr:
		for _, a := range n.args {
			if a.eval(l) {
				return true
			}
		}
		return false
	}
	v, ok := l[n.key]
	switch n.op {
	case cselHas:
		return ok
	case cselEq:
		return ok && v == n.value
	case cselNe:
		return !ok || v != n.value
	case cselIn:
		_, found := slices.BinarySearch(n.values, v)
		return ok && found
	case cselNotIn:
		_, found := slices.BinarySearch(n.values, v)
		return !ok || !found
	case cselContains:
		return ok && strings.Contains(v, n.value)
	case cselStartsWith:
		return ok && strings.HasPrefix(v, n.value)
	case cselEndsWith:
		return ok && strings.HasSuffix(v, n.value)
	}
	return false
}

func (n *calicoSelNode) format(b *strings.Builder) {
	switch n.op {
	case cselAll:
		b.WriteString("all()")
	case cselGlobal:
		b.WriteString("global()")
	case cselHas:
		b.WriteString("has(" + n.key + ")")
	case cselEq:
		b.WriteString(n.key + " == " + calicoQuote(n.value))
	case cselNe:
		b.WriteString(n.key + " != " + calicoQuote(n.value))
	case cselContains:
		b.WriteString(n.key + " contains " + calicoQuote(n.value))
	case cselStartsWith:
		b.WriteString(n.key + " starts with " + calicoQuote(n.value))
	case cselEndsWith:
		b.WriteString(n.key + " ends with " + calicoQuote(n.value))
	case cselIn, cselNotIn:
		b.WriteString(n.key)
		if n.op == cselIn {
			b.WriteString(" in {")
		} else {
			b.WriteString(" not in {")
		}
		for i, v := range n.values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(calicoQuote(v))
		}
		b.WriteString("}")
	case cselNot:
		b.WriteString("!")
		switch a := n.args[0]; a.op {
		case cselHas, cselAll, cselGlobal:
			a.format(b)
		default:
			b.WriteString("(")
			a.format(b)
			b.WriteString(")")
		}
	case cselAnd, cselOr:
		sep := " && "
		if n.op == cselOr {
			sep = " || "
		}
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(sep)
			}
			if n.op == cselAnd && a.op == cselOr {
				b.WriteString("(")
				a.format(b)
				b.WriteString(")")
			} else {
				a.format(b)
			}
		}
	}
}

func calicoQuote(v string) string {
	if strings.Contains(v, `"`) {
		return "'" + v + "'"
	}
	return `"` + v + `"`
}

type calicoTokKind uint8

const (
	ctEOF calicoTokKind = iota
	ctLabel
	ctString
	ctLBrace
	ctRBrace
	ctComma
	ctLParen
	ctRParen
	ctNot
	ctAnd
	ctOr
	ctEq
	ctNe
	ctIn
	ctNotIn
	ctContains
	ctStartsWith
	ctEndsWith
	ctHas
	ctAll
	ctGlobal
)

type calicoTok struct {
	kind calicoTokKind
	// pos is the byte offset of the token in the input.
	pos int
	// text is the label (of ctLabel and ctHas) or the value (ctString).
	text string
	// src is the token as written.
	src string
}

// describe names the token for an error message.
func (t calicoTok) describe() string {
	switch t.kind {
	case ctEOF:
		return "the end of the selector"
	case ctLabel:
		return fmt.Sprintf("label %q", calicoClip(t.text))
	case ctString:
		return fmt.Sprintf("string %s", calicoClip(t.src))
	}
	return fmt.Sprintf("%q", calicoClip(t.src))
}

func calicoClip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func calicoSelErrorf(pos int, format string, args ...any) error {
	return fmt.Errorf("character %d: %s", pos+1, fmt.Sprintf(format, args...))
}

func isCalicoLabelChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-'
}

func calicoSkipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// calicoLabelAt returns the end of the label key starting at i.
func calicoLabelAt(s string, i int) (int, error) {
	j := i
	for j < len(s) && isCalicoLabelChar(s[j]) {
		j++
	}
	switch {
	case j == i:
		return 0, calicoSelErrorf(i, "expected a label key, found %s", calicoCharAt(s, i))
	case j-i > calicoLabelMaxLen:
		return 0, calicoSelErrorf(i, "label key is %d characters long; at most %d are accepted", j-i, calicoLabelMaxLen)
	}
	return j, nil
}

func calicoCharAt(s string, i int) string {
	if i >= len(s) {
		return "the end of the selector"
	}
	return fmt.Sprintf("%q", s[i:i+1])
}

// calicoWordsAt reports the end of the words starting at i, separated by
// any number of spaces and ending at a word boundary, or -1.
func calicoWordsAt(s string, i int, words ...string) int {
	for k, w := range words {
		if k > 0 {
			i = calicoSkipSpace(s, i)
		}
		if !strings.HasPrefix(s[i:], w) {
			return -1
		}
		i += len(w)
	}
	if i < len(s) && isCalicoLabelChar(s[i]) {
		return -1
	}
	return i
}

var calicoOperatorWords = []struct {
	kind  calicoTokKind
	words []string
}{
	{ctContains, []string{"contains"}},
	{ctStartsWith, []string{"starts", "with"}},
	{ctEndsWith, []string{"ends", "with"}},
	{ctNotIn, []string{"not", "in"}},
	{ctIn, []string{"in"}},
}

var calicoFunctions = []struct {
	kind calicoTokKind
	name string
}{
	{ctHas, "has"},
	{ctAll, "all"},
	{ctGlobal, "global"},
}

func lexCalicoSelector(s string) ([]calicoTok, error) {
	var toks []calicoTok
	i := 0
	for {
		i = calicoSkipSpace(s, i)
		if i == len(s) {
			return append(toks, calicoTok{kind: ctEOF, pos: i}), nil
		}
		start := i
		afterLabel := len(toks) > 0 && toks[len(toks)-1].kind == ctLabel
		kind, text := ctEOF, ""
		switch c := s[i]; c {
		case '(':
			kind, i = ctLParen, i+1
		case ')':
			kind, i = ctRParen, i+1
		case '{':
			kind, i = ctLBrace, i+1
		case '}':
			kind, i = ctRBrace, i+1
		case ',':
			kind, i = ctComma, i+1
		case '"', '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, calicoSelErrorf(start, "string has no closing %c (strings have no escapes)", c)
			}
			kind, text, i = ctString, s[i+1:i+1+end], i+end+2
		case '=':
			if !strings.HasPrefix(s[i:], "==") {
				return nil, calicoSelErrorf(start, "expected \"==\", found a single \"=\"")
			}
			kind, i = ctEq, i+2
		case '!':
			if strings.HasPrefix(s[i:], "!=") {
				kind, i = ctNe, i+2
			} else {
				kind, i = ctNot, i+1
			}
		case '&':
			if !strings.HasPrefix(s[i:], "&&") {
				return nil, calicoSelErrorf(start, "expected \"&&\", found a single \"&\"")
			}
			kind, i = ctAnd, i+2
		case '|':
			if !strings.HasPrefix(s[i:], "||") {
				return nil, calicoSelErrorf(start, "expected \"||\", found a single \"|\"")
			}
			kind, i = ctOr, i+2
		case '\n', '\r', '\v', '\f':
			return nil, calicoSelErrorf(start, "found %q: only spaces and tabs may separate the parts of a selector", s[i:i+1])
		default:
			var err error
			if afterLabel {
				kind, i, err = lexCalicoOperator(s, i, toks[len(toks)-1].text)
			} else {
				kind, text, i, err = lexCalicoOperand(s, i)
			}
			if err != nil {
				return nil, err
			}
		}
		toks = append(toks, calicoTok{kind: kind, pos: start, text: text, src: s[start:i]})
	}
}

// lexCalicoOperator reads the operator word that must follow label.
func lexCalicoOperator(s string, i int, label string) (calicoTokKind, int, error) {
	for _, op := range calicoOperatorWords {
		if end := calicoWordsAt(s, i, op.words...); end >= 0 {
			return op.kind, end, nil
		}
	}
	return 0, 0, calicoSelErrorf(i, "expected an operator after label %q (==, !=, in, not in, contains, starts with, ends with), found %s", calicoClip(label), calicoCharAt(s, i))
}

// lexCalicoOperand reads has(k), all(), global() or a label.
func lexCalicoOperand(s string, i int) (calicoTokKind, string, int, error) {
	start := i
	for _, f := range calicoFunctions {
		if !strings.HasPrefix(s[i:], f.name+"(") {
			continue
		}
		i = calicoSkipSpace(s, i+len(f.name)+1)
		label := ""
		if f.kind == ctHas {
			end, err := calicoLabelAt(s, i)
			if err != nil {
				return 0, "", 0, err
			}
			label, i = s[i:end], calicoSkipSpace(s, end)
		}
		if i == len(s) || s[i] != ')' {
			return 0, "", 0, calicoSelErrorf(i, "expected \")\" to close %s( at character %d, found %s", f.name, start+1, calicoCharAt(s, i))
		}
		return f.kind, label, i + 1, nil
	}
	if !isCalicoLabelChar(s[i]) {
		return 0, "", 0, calicoSelErrorf(i, "unexpected character %q", s[i:i+1])
	}
	end, err := calicoLabelAt(s, i)
	if err != nil {
		return 0, "", 0, err
	}
	return ctLabel, s[i:end], end, nil
}

type calicoParser struct {
	toks     []calicoTok
	i        int
	maxDepth int
}

// peek returns the next token; the last token is always ctEOF.
func (p *calicoParser) peek() calicoTok { return p.toks[p.i] }

func (p *calicoParser) next() calicoTok {
	t := p.toks[p.i]
	if t.kind != ctEOF {
		p.i++
	}
	return t
}

// or parses and-expressions separated by ||; depth is the number of
// enclosing parentheses.
func (p *calicoParser) or(depth int) (*calicoSelNode, error) {
	return p.list(depth, ctOr, cselOr, p.and)
}

// and parses operations separated by &&.
func (p *calicoParser) and(depth int) (*calicoSelNode, error) {
	return p.list(depth, ctAnd, cselAnd, p.unary)
}

func (p *calicoParser) list(depth int, sep calicoTokKind, op calicoSelOp, operand func(int) (*calicoSelNode, error)) (*calicoSelNode, error) {
	first, err := operand(depth)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != sep {
		return first, nil
	}
	n := &calicoSelNode{op: op}
	add := func(a *calicoSelNode) {
		if a.op == op {
			n.args = append(n.args, a.args...)
		} else {
			n.args = append(n.args, a)
		}
	}
	add(first)
	for p.peek().kind == sep {
		p.next()
		a, err := operand(depth)
		if err != nil {
			return nil, err
		}
		add(a)
	}
	return n, nil
}

// unary parses an operation preceded by any number of "!".
func (p *calicoParser) unary(depth int) (*calicoSelNode, error) {
	negate := false
	for p.peek().kind == ctNot {
		p.next()
		negate = !negate
	}
	n, err := p.operation(depth)
	if err != nil || !negate {
		return n, err
	}
	if n.op == cselNot {
		return n.args[0], nil
	}
	return &calicoSelNode{op: cselNot, args: []*calicoSelNode{n}}, nil
}

func (p *calicoParser) operation(depth int) (*calicoSelNode, error) {
	t := p.next()
	switch t.kind {
	case ctHas:
		return &calicoSelNode{op: cselHas, key: t.text}, nil
	case ctAll:
		return &calicoSelNode{op: cselAll}, nil
	case ctGlobal:
		return &calicoSelNode{op: cselGlobal}, nil
	case ctLParen:
		if depth >= p.maxDepth {
			return nil, calicoSelErrorf(t.pos, "parentheses nest deeper than %d", p.maxDepth)
		}
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ctRParen {
			return nil, calicoSelErrorf(c.pos, "expected \")\" to close \"(\" at character %d, found %s", t.pos+1, c.describe())
		}
		return n, nil
	case ctLabel:
		return p.comparison(t)
	}
	return nil, calicoSelErrorf(t.pos, "expected a label, has(...), all(), global(), \"!\" or \"(\", found %s", t.describe())
}

// comparison parses the operator and operand that follow label.
func (p *calicoParser) comparison(label calicoTok) (*calicoSelNode, error) {
	opTok := p.next()
	n := &calicoSelNode{key: label.text}
	switch opTok.kind {
	case ctEq:
		n.op = cselEq
	case ctNe:
		n.op = cselNe
	case ctContains:
		n.op = cselContains
	case ctStartsWith:
		n.op = cselStartsWith
	case ctEndsWith:
		n.op = cselEndsWith
	case ctIn, ctNotIn:
		n.op = cselIn
		if opTok.kind == ctNotIn {
			n.op = cselNotIn
		}
		values, err := p.set(opTok)
		if err != nil {
			return nil, err
		}
		n.values = values
		return n, nil
	default:
		for _, f := range calicoFunctions {
			if label.text == f.name && opTok.kind == ctLParen {
				return nil, calicoSelErrorf(opTok.pos, "write %s( without a space before the parenthesis", f.name)
			}
		}
		return nil, calicoSelErrorf(opTok.pos, "expected an operator after label %q (==, !=, in, not in, contains, starts with, ends with), found %s", calicoClip(label.text), opTok.describe())
	}
	v := p.next()
	if v.kind != ctString {
		return nil, calicoSelErrorf(v.pos, "expected a quoted string after %s, found %s", opTok.src, v.describe())
	}
	n.value = v.text
	return n, nil
}

// set parses {'a', 'b'} after in or not in: sorted, unique values. It may
// be empty and may end with a comma.
func (p *calicoParser) set(opTok calicoTok) ([]string, error) {
	open := p.next()
	if open.kind != ctLBrace {
		return nil, calicoSelErrorf(open.pos, "expected \"{\" after %s, found %s", opTok.src, open.describe())
	}
	var values []string
	for p.peek().kind == ctString {
		values = append(values, p.next().text)
		if p.peek().kind != ctComma {
			break
		}
		p.next()
	}
	if c := p.next(); c.kind != ctRBrace {
		return nil, calicoSelErrorf(c.pos, "expected a quoted string, \",\" or \"}\" in the set opened at character %d, found %s", open.pos+1, c.describe())
	}
	slices.Sort(values)
	return slices.Compact(values), nil
}
