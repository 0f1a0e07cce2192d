package route

import (
	"fmt"
	"slices"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var (
	pathTypes   = []gwv1.PathMatchType{gwv1.PathMatchExact, gwv1.PathMatchPathPrefix, gwv1.PathMatchRegularExpression}
	httpMethods = []gwv1.HTTPMethod{gwv1.HTTPMethodGet, gwv1.HTTPMethodHead, gwv1.HTTPMethodPost, gwv1.HTTPMethodPut, gwv1.HTTPMethodDelete,
		gwv1.HTTPMethodConnect, gwv1.HTTPMethodOptions, gwv1.HTTPMethodTrace, gwv1.HTTPMethodPatch}
	httpFilters = []gwv1.HTTPRouteFilterType{gwv1.HTTPRouteFilterRequestHeaderModifier, gwv1.HTTPRouteFilterResponseHeaderModifier,
		gwv1.HTTPRouteFilterRequestMirror, gwv1.HTTPRouteFilterRequestRedirect, gwv1.HTTPRouteFilterURLRewrite, gwv1.HTTPRouteFilterCORS,
		gwv1.HTTPRouteFilterExternalAuth, gwv1.HTTPRouteFilterExtensionRef}
	grpcFilters = []gwv1.GRPCRouteFilterType{gwv1.GRPCRouteFilterRequestHeaderModifier, gwv1.GRPCRouteFilterResponseHeaderModifier,
		gwv1.GRPCRouteFilterRequestMirror, gwv1.GRPCRouteFilterExtensionRef}
)

// checkRules (RT004): every rule in words (its matches, filters and
// backends), and the values the API does not define (UnsupportedValue) or
// leaves to the implementation.
func checkRules(f *facts) report.Check {
	code := checks.RtRules
	rt := f.route
	var facts []report.Fact
	var unsupported, specific []string
	add := func(rule int, what string) {
		facts = append(facts, report.Fact{Name: fmt.Sprintf("rule %d", rule+1), Value: what})
	}
	rules := rulesOf(rt)
	if rt.HTTP != nil {
		for i, r := range rt.HTTP.Spec.Rules {
			var ms []string
			for _, m := range r.Matches {
				ms = append(ms, describeHTTPMatch(m))
				if m.Path != nil && m.Path.Type != nil {
					switch t := *m.Path.Type; {
					case !slices.Contains(pathTypes, t):
						unsupported = append(unsupported, fmt.Sprintf("rule %d: path type %q", i+1, t))
					case t == gwv1.PathMatchRegularExpression:
						specific = append(specific, fmt.Sprintf("rule %d: RegularExpression path %s", i+1, deref(m.Path.Value)))
					}
				}
				if m.Method != nil && !slices.Contains(httpMethods, *m.Method) {
					unsupported = append(unsupported, fmt.Sprintf("rule %d: method %q", i+1, *m.Method))
				}
				for _, h := range m.Headers {
					if h.Type != nil && *h.Type != gwv1.HeaderMatchExact && *h.Type != gwv1.HeaderMatchRegularExpression {
						unsupported = append(unsupported, fmt.Sprintf("rule %d: header match type %q", i+1, *h.Type))
					}
				}
				for _, q := range m.QueryParams {
					if q.Type != nil && *q.Type != gwv1.QueryParamMatchExact && *q.Type != gwv1.QueryParamMatchRegularExpression {
						unsupported = append(unsupported, fmt.Sprintf("rule %d: query match type %q", i+1, *q.Type))
					}
				}
			}
			if len(ms) == 0 {
				ms = []string{"every request"}
			}
			add(i, "matches "+strings.Join(ms, " or "))
			for _, fl := range r.Filters {
				if !slices.Contains(httpFilters, fl.Type) {
					unsupported = append(unsupported, fmt.Sprintf("rule %d: filter type %q", i+1, fl.Type))
				}
				if fl.Type == gwv1.HTTPRouteFilterExtensionRef {
					specific = append(specific, fmt.Sprintf("rule %d: %s", i+1, describeHTTPFilter(fl).text))
				}
			}
			describeRuleTail(add, i, rules[i])
		}
	}
	if rt.GRPC != nil {
		for i, r := range rt.GRPC.Spec.Rules {
			var ms []string
			for _, m := range r.Matches {
				ms = append(ms, describeGRPCMatch(m))
				if m.Method != nil && m.Method.Type != nil && *m.Method.Type == gwv1.GRPCMethodMatchRegularExpression {
					specific = append(specific, fmt.Sprintf("rule %d: RegularExpression method match", i+1))
				}
			}
			if len(ms) == 0 {
				ms = []string{"every call"}
			}
			add(i, "matches "+strings.Join(ms, " or "))
			for _, fl := range r.Filters {
				if !slices.Contains(grpcFilters, fl.Type) {
					unsupported = append(unsupported, fmt.Sprintf("rule %d: filter type %q", i+1, fl.Type))
				}
			}
			describeRuleTail(add, i, rules[i])
		}
	}
	var c report.Check
	switch {
	case len(rules) == 0:
		c = code.New(report.Warn, "%s has no rules: it routes nothing", rt.Label())
	case len(unsupported) > 0:
		c = code.New(report.Fail, "%s uses values the Gateway API does not define (UnsupportedValue): %s; a conformant controller does not accept the route", rt.Label(), strings.Join(unsupported, "; "))
	case len(specific) > 0:
		c = code.New(report.Warn, "%s relies on implementation-specific behaviour: %s", rt.Label(), strings.Join(specific, "; "))
	default:
		c = code.New(report.Pass, "%d rule(s), every value defined by the Gateway API", len(rules))
	}
	c.Facts = facts
	return c
}

func describeRuleTail(add func(int, string), i int, r ruleOf) {
	for _, fl := range r.filters {
		add(i, "filter "+fl.text)
	}
	if len(r.backendRefs) == 0 {
		add(i, "no backendRefs")
	}
	for j, ref := range r.backendRefs {
		_, kind, ns := refTarget("", ref)
		target := string(ref.Name)
		if ns != "" {
			target = ns + "/" + target
		}
		if kind != "Service" {
			target = kind + " " + target
		}
		if ref.Port != nil {
			target += fmt.Sprintf(":%d", *ref.Port)
		}
		w := "weight 1"
		if ref.Weight != nil {
			w = fmt.Sprintf("weight %d", *ref.Weight)
		}
		v := fmt.Sprintf("-> %s (%s)", target, w)
		if r.refFilters[j] > 0 {
			v += fmt.Sprintf(", %d filter(s) of its own", r.refFilters[j])
		}
		add(i, v)
	}
}

func describeHTTPMatch(m gwv1.HTTPRouteMatch) string {
	t, v := gwv1.PathMatchPathPrefix, "/"
	if m.Path != nil {
		if m.Path.Type != nil {
			t = *m.Path.Type
		}
		if m.Path.Value != nil {
			v = *m.Path.Value
		}
	}
	parts := []string{fmt.Sprintf("%s %s", t, v)}
	if m.Method != nil {
		parts = append(parts, "method "+string(*m.Method))
	}
	for _, h := range m.Headers {
		op := "="
		if h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression {
			op = "~"
		}
		parts = append(parts, fmt.Sprintf("header %s%s%s", h.Name, op, h.Value))
	}
	for _, q := range m.QueryParams {
		op := "="
		if q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression {
			op = "~"
		}
		parts = append(parts, fmt.Sprintf("query %s%s%s", q.Name, op, q.Value))
	}
	return strings.Join(parts, ", ")
}

func describeGRPCMatch(m gwv1.GRPCRouteMatch) string {
	var parts []string
	if mm := m.Method; mm != nil {
		svc, meth := "*", "*"
		if mm.Service != nil {
			svc = *mm.Service
		}
		if mm.Method != nil {
			meth = *mm.Method
		}
		parts = append(parts, fmt.Sprintf("method %s/%s", svc, meth))
	}
	for _, h := range m.Headers {
		parts = append(parts, fmt.Sprintf("header %s=%s", h.Name, h.Value))
	}
	if len(parts) == 0 {
		return "every call"
	}
	return strings.Join(parts, ", ")
}

func describeHTTPFilter(fl gwv1.HTTPRouteFilter) filter {
	out := filter{kind: string(fl.Type), text: string(fl.Type)}
	switch {
	case fl.RequestRedirect != nil:
		r := fl.RequestRedirect
		out.redirect = 302
		if r.StatusCode != nil {
			out.redirect = *r.StatusCode
		}
		var to []string
		if r.Scheme != nil {
			to = append(to, "scheme "+*r.Scheme)
		}
		if r.Hostname != nil {
			to = append(to, "hostname "+string(*r.Hostname))
		}
		if r.Port != nil {
			to = append(to, fmt.Sprintf("port %d", *r.Port))
		}
		if r.Path != nil {
			to = append(to, describePathModifier(r.Path))
		}
		if len(to) == 0 {
			to = []string{"the same URL"}
		}
		out.text = fmt.Sprintf("RequestRedirect %d to %s: the gateway answers it without a backend", out.redirect, strings.Join(to, ", "))
	case fl.URLRewrite != nil:
		r := fl.URLRewrite
		var to []string
		if r.Hostname != nil {
			to = append(to, "hostname "+string(*r.Hostname))
		}
		if r.Path != nil {
			to = append(to, describePathModifier(r.Path))
		}
		out.text = "URLRewrite " + strings.Join(to, ", ")
	case fl.RequestHeaderModifier != nil:
		out.text = "RequestHeaderModifier " + describeHeaderFilter(fl.RequestHeaderModifier)
	case fl.ResponseHeaderModifier != nil:
		out.text = "ResponseHeaderModifier " + describeHeaderFilter(fl.ResponseHeaderModifier)
	case fl.RequestMirror != nil:
		m := fl.RequestMirror.BackendRef
		out.text = "RequestMirror to " + string(m.Name)
		if m.Port != nil {
			out.text += fmt.Sprintf(":%d", *m.Port)
		}
	case fl.ExtensionRef != nil:
		e := fl.ExtensionRef
		out.text = fmt.Sprintf("ExtensionRef %s.%s/%s (implementation-specific)", e.Kind, e.Group, e.Name)
	}
	return out
}

func describeGRPCFilter(fl gwv1.GRPCRouteFilter) filter {
	out := filter{kind: string(fl.Type), text: string(fl.Type)}
	switch {
	case fl.RequestHeaderModifier != nil:
		out.text = "RequestHeaderModifier " + describeHeaderFilter(fl.RequestHeaderModifier)
	case fl.ResponseHeaderModifier != nil:
		out.text = "ResponseHeaderModifier " + describeHeaderFilter(fl.ResponseHeaderModifier)
	case fl.RequestMirror != nil:
		out.text = "RequestMirror to " + string(fl.RequestMirror.BackendRef.Name)
	case fl.ExtensionRef != nil:
		e := fl.ExtensionRef
		out.text = fmt.Sprintf("ExtensionRef %s.%s/%s (implementation-specific)", e.Kind, e.Group, e.Name)
	}
	return out
}

func describePathModifier(p *gwv1.HTTPPathModifier) string {
	switch {
	case p.ReplaceFullPath != nil:
		return "path " + *p.ReplaceFullPath
	case p.ReplacePrefixMatch != nil:
		return "path prefix replaced by " + *p.ReplacePrefixMatch
	}
	return "path (" + string(p.Type) + ")"
}

func describeHeaderFilter(h *gwv1.HTTPHeaderFilter) string {
	var parts []string
	for _, s := range h.Set {
		parts = append(parts, fmt.Sprintf("set %s: %s", s.Name, s.Value))
	}
	for _, s := range h.Add {
		parts = append(parts, fmt.Sprintf("add %s: %s", s.Name, s.Value))
	}
	for _, r := range h.Remove {
		parts = append(parts, "remove "+r)
	}
	return strings.Join(parts, ", ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
