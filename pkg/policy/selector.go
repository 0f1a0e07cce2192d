package policy

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// selector is a LabelSelector compiled once. Matching uses the apimachinery
// implementation so that the semantics (NotIn matches an absent key, and so
// on) are exactly the API server's.
type selector struct {
	source *metav1.LabelSelector
	sel    labels.Selector
	// err is set for a selector the API server would reject; such a
	// selector matches nothing.
	err error
}

func compileSelector(s *metav1.LabelSelector) selector {
	if s == nil {
		return selector{sel: labels.Nothing()}
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return selector{source: s, sel: labels.Nothing(), err: fmt.Errorf("invalid label selector %q: %w", FormatSelector(s), err)}
	}
	return selector{source: s, sel: sel}
}

func (s *selector) matches(l map[string]string) bool {
	return s.err == nil && s.sel.Matches(labels.Set(l))
}

// isEmpty reports whether the selector selects everything.
func (s *selector) isEmpty() bool {
	return s.err == nil && s.source != nil && len(s.source.MatchLabels) == 0 && len(s.source.MatchExpressions) == 0
}

func (s selector) String() string { return FormatSelector(s.source) }

// FormatSelector prints a label selector in kubectl's selector syntax:
// "app=web,tier in (a,b),!legacy". matchLabels come first, sorted by key,
// then matchExpressions in their written order with sorted values. An empty
// selector (which selects everything) prints as "<all>", nil as "<none>".
func FormatSelector(s *metav1.LabelSelector) string {
	if s == nil {
		return "<none>"
	}
	if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return "<all>"
	}
	parts := make([]string, 0, len(s.MatchLabels)+len(s.MatchExpressions))
	for _, k := range sortedKeys(s.MatchLabels) {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		values := slices.Clone(e.Values)
		slices.Sort(values)
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			parts = append(parts, e.Key+" in ("+strings.Join(values, ",")+")")
		case metav1.LabelSelectorOpNotIn:
			parts = append(parts, e.Key+" notin ("+strings.Join(values, ",")+")")
		case metav1.LabelSelectorOpExists:
			parts = append(parts, e.Key)
		case metav1.LabelSelectorOpDoesNotExist:
			parts = append(parts, "!"+e.Key)
		default:
			parts = append(parts, fmt.Sprintf("%s %s (%s)", e.Key, e.Operator, strings.Join(values, ",")))
		}
	}
	return strings.Join(parts, ",")
}

// FormatLabels prints labels as "k=v,k2=v2" sorted by key, or "<none>".
func FormatLabels(l map[string]string) string {
	if len(l) == 0 {
		return "<none>"
	}
	parts := make([]string, 0, len(l))
	for _, k := range sortedKeys(l) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}

// namespaceLabelsForText prints a namespace's labels for "does not match
// namespace labels ..." messages. It leaves out kubernetes.io/metadata.name,
// which every namespace has, as noise, except when it is the only label,
// when the selector refers to it, or when the selector asks for the
// namespace's name under another key (the "name: kube-system" mistake, which
// that label fixes).
func namespaceLabelsForText(name string, l map[string]string, s *metav1.LabelSelector) string {
	if _, ok := l[metadataNameLabel]; !ok || len(l) == 1 || selectorMentions(s, metadataNameLabel) || selectorWantsValue(s, name) {
		return FormatLabels(l)
	}
	trimmed := make(map[string]string, len(l))
	for k, v := range l {
		if k != metadataNameLabel {
			trimmed[k] = v
		}
	}
	return FormatLabels(trimmed)
}

// nameLabelFix suggests the fix of the "name: kube-system" mistake: a
// selector that asks for the namespace's name as the value of a key the
// namespace does not carry with that value, and says nothing of
// kubernetes.io/metadata.name, which every namespace carries with its name.
// It returns " (...)" to append to a miss, or "".
func nameLabelFix(name string, l map[string]string, s *metav1.LabelSelector) string {
	if s == nil || selectorMentions(s, metadataNameLabel) {
		return ""
	}
	for _, k := range sortedKeys(s.MatchLabels) {
		if v := s.MatchLabels[k]; v == name && l[k] != v {
			return fmt.Sprintf(" (to select namespace %s by its name, use %s: %s, which every namespace carries, instead of %s: %s)", name, metadataNameLabel, name, k, v)
		}
	}
	for _, e := range s.MatchExpressions {
		if e.Operator == metav1.LabelSelectorOpIn && slices.Contains(e.Values, name) && l[e.Key] != name {
			return fmt.Sprintf(" (to select namespace %s by its name, use the key %s, which every namespace carries with its name, instead of %s)", name, metadataNameLabel, e.Key)
		}
	}
	return ""
}

// selectorWantsValue reports whether a selector names value as a label value.
func selectorWantsValue(s *metav1.LabelSelector, value string) bool {
	if s == nil {
		return false
	}
	for _, v := range s.MatchLabels {
		if v == value {
			return true
		}
	}
	for _, e := range s.MatchExpressions {
		if slices.Contains(e.Values, value) {
			return true
		}
	}
	return false
}

// matchesNamespace matches a namespace selector against a namespace whose
// labels may be only partly known (labelsUnknown: only its name label is).
// Requirements on the name label are decided; a satisfiable requirement on
// any other key may hold or not, so the answer is then unknown.
func (s *selector) matchesNamespace(ns *nsInfo) tri {
	if !ns.labelsUnknown || s.err != nil {
		return triOf(s.matches(ns.labels))
	}
	reqs, selectable := s.sel.Requirements()
	if !selectable {
		return triNo
	}
	known := labels.Set{metadataNameLabel: ns.name}
	byKey := map[string][]labels.Requirement{}
	for _, r := range reqs {
		if r.Key() == metadataNameLabel {
			if !r.Matches(known) {
				return triNo
			}
			continue
		}
		byKey[r.Key()] = append(byKey[r.Key()], r)
	}
	for key, rs := range byKey {
		if !satisfiable(key, rs) {
			return triNo
		}
	}
	if len(byKey) > 0 {
		return triUnknown
	}
	return triYes
}

// satisfiable reports whether some value of key, or its absence, meets
// every requirement. Only the values the requirements name, one other value
// and absence need trying.
func satisfiable(key string, rs []labels.Requirement) bool {
	candidates := []labels.Set{{}, {key: "\x00other"}}
	for _, r := range rs {
		for v := range r.Values() {
			candidates = append(candidates, labels.Set{key: v})
		}
	}
	for _, c := range candidates {
		all := true
		for _, r := range rs {
			if !r.Matches(c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func selectorMentions(s *metav1.LabelSelector, key string) bool {
	if s == nil {
		return false
	}
	if _, ok := s.MatchLabels[key]; ok {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Key == key {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
