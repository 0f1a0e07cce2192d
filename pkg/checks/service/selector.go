package service

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkSelector (SVC003): the selector matches pods. A selector that matches
// nothing is the most common Service fault, and almost always a typo in one
// label: so when it matches none, show the pods that miss by one label.
func checkSelector(f *facts) report.Check {
	code := checks.SvcSelector
	svc := f.svc
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return code.Skipped("not applicable: ExternalName services select no pods")
	}
	if len(svc.Spec.Selector) == 0 {
		return code.Skipped("not applicable: the service has no selector")
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector).String()
	if f.podsErr != nil {
		return code.FromError("listing the selected pods", f.podsErr)
	}
	if len(f.pods) > 0 {
		c := code.New(report.Pass, "selector %s matches %d pod(s)", sel, len(f.pods))
		for _, p := range f.pods {
			c.Objects = append(c.Objects, podObject(&p))
		}
		return c
	}

	misses := nearMisses(svc.Spec.Selector, f.nsPods)
	c := code.New(report.Fail, "selector %s matches no pods in namespace %s", sel, f.namespace)
	c.Next = []string{fmt.Sprintf("kubectl -n %s get pods --show-labels", f.namespace)}
	switch {
	case f.nsPodsErr != nil:
		c.Facts = append(c.Facts, report.Fact{Name: "near misses", Value: "unknown: " + f.nsPodsErr.Error()})
	case len(misses) > 0:
		best := misses[0]
		c.Message = fmt.Sprintf("selector %s matches no pods; %s", sel, best.describe())
		c.Next = append([]string{best.fix(f)}, c.Next...)
		for _, m := range misses {
			c.Facts = append(c.Facts, report.Fact{Name: "near miss", Value: m.describe() + ": " + strings.Join(m.pods, ", ")})
		}
	case len(f.nsPods) == 0:
		c.Message = fmt.Sprintf("selector %s matches no pods: namespace %s has no pods at all", sel, f.namespace)
		c.Next = []string{fmt.Sprintf("kubectl -n %s get deployments,statefulsets,daemonsets", f.namespace)}
	default:
		c.Message = fmt.Sprintf("selector %s matches none of the %d pods in namespace %s, and none misses by only one label", sel, len(f.nsPods), f.namespace)
	}
	return c
}

// miss groups pods that differ from the selector in the same single label.
type miss struct {
	key      string // selector key that does not match
	want     string // selector value
	podKey   string // the pod label that stands in for it
	podValue string // "" when the pod lacks the key altogether
	pods     []string
	distance int
}

func (m miss) describe() string {
	n := len(m.pods)
	switch {
	case m.podValue == "" && m.podKey == "":
		return fmt.Sprintf("%d pod(s) match all but lack label %s", n, m.key)
	case m.podKey != m.key:
		return fmt.Sprintf("%d pod(s) have %s=%s instead of %s=%s", n, m.podKey, m.podValue, m.key, m.want)
	default:
		return fmt.Sprintf("%d pod(s) have %s=%s", n, m.podKey, m.podValue)
	}
}

// fix suggests the one-line change; the Service is the usual culprit, but
// which side is wrong only the user knows, so both are named.
func (m miss) fix(f *facts) string {
	if m.podValue == "" {
		return fmt.Sprintf("add label %s=%s to the pods' template, or drop it from the service selector", m.key, m.want)
	}
	return fmt.Sprintf("kubectl -n %s edit service %s", f.namespace, f.name)
}

// nearMisses finds pods that match every selector label but one, grouped by
// how they differ, most plausible first: a value that looks like the wanted
// one (app=web-frontend for app=web), then the most pods. For a single-key
// selector only look-alike values count: otherwise every pod with an app
// label would be a "near miss" of app=web.
func nearMisses(selector map[string]string, pods []corev1.Pod) []miss {
	groups := map[string]*miss{}
	for _, pod := range pods {
		var off []string
		for k, v := range selector {
			if pod.Labels[k] != v {
				off = append(off, k)
			}
		}
		if len(off) != 1 {
			continue
		}
		key, want := off[0], selector[off[0]]
		m := miss{key: key, want: want, distance: len(want)}
		if got, ok := pod.Labels[key]; ok {
			m.podKey, m.podValue, m.distance = key, got, similarity(want, got)
		} else if k, ok := labelWithValue(pod.Labels, want, selector); ok {
			m.podKey, m.podValue, m.distance = k, want, similarity(key, k)
		}
		if len(selector) == 1 && !lookAlike(m) {
			continue
		}
		id := m.key + "\x00" + m.podKey + "\x00" + m.podValue
		g, ok := groups[id]
		if !ok {
			g = &m
			groups[id] = g
		}
		g.pods = append(g.pods, pod.Name)
	}
	out := make([]miss, 0, len(groups))
	for _, g := range groups {
		sort.Strings(g.pods)
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := lookAlike(out[i]), lookAlike(out[j]); a != b {
			return a
		}
		if out[i].distance != out[j].distance {
			return out[i].distance < out[j].distance
		}
		if len(out[i].pods) != len(out[j].pods) {
			return len(out[i].pods) > len(out[j].pods)
		}
		return out[i].describe() < out[j].describe()
	})
	return out
}

// similarity is 0 when one string contains the other (web, web-frontend),
// else their edit distance. For a key rename the keys are compared.
func similarity(a, b string) int {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if strings.Contains(la, lb) || strings.Contains(lb, la) {
		return 0
	}
	return checks.EditDistance(la, lb)
}

// lookAlike: the differing label is plausibly a typo or a rename of the
// wanted one.
func lookAlike(m miss) bool {
	if m.podKey == "" {
		return false
	}
	if m.podKey != m.key {
		return true // the wanted value under another key: app=web vs name=web
	}
	return m.distance <= max(1, len(m.want)/3)
}

// labelWithValue finds a pod label, not used by the selector, carrying the
// wanted value: `name=web` on the pod for a selector `app=web`.
func labelWithValue(podLabels map[string]string, value string, selector map[string]string) (string, bool) {
	var keys []string
	for k, v := range podLabels {
		if _, used := selector[k]; !used && v == value {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	sort.Strings(keys)
	return keys[0], true
}

func podObject(p *corev1.Pod) report.Object {
	return report.Object{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
}
