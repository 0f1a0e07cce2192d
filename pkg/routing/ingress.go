package routing

import (
	"slices"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// IngressPathType is a path's type as the API shows it: an unset type is
// ImplementationSpecific.
func IngressPathType(p networkingv1.HTTPIngressPath) networkingv1.PathType {
	if p.PathType == nil {
		return networkingv1.PathTypeImplementationSpecific
	}
	return *p.PathType
}

// IngressPathKind is how a path type matches. ImplementationSpecific is
// taken as Prefix: controllers are free to do otherwise, and the checks
// say so when a route depends on it.
func IngressPathKind(pt networkingv1.PathType) PathKind {
	if pt == networkingv1.PathTypeExact {
		return PathExact
	}
	return PathPrefix
}

// IngressRouteKey identifies what a rule path claims: the rule's host, the
// path in the form it matches and its kind (ImplementationSpecific as
// Prefix). Two rule paths with the same key are a conflict.
func IngressRouteKey(host string, p networkingv1.HTTPIngressPath) string {
	kind := IngressPathKind(IngressPathType(p))
	pt := networkingv1.PathTypeExact
	if kind == PathPrefix {
		pt = networkingv1.PathTypePrefix
	}
	return strings.ToLower(host) + "\x00" + CanonicalPath(kind, p.Path) + "\x00" + string(pt)
}

// SortOldestFirst orders Ingresses as conflicts between them are resolved:
// by creation time, then namespace/name.
func SortOldestFirst(ings []*networkingv1.Ingress) {
	sort.SliceStable(ings, func(i, j int) bool {
		a, b := ings[i], ings[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// IngressCandidate is one rule path of one Ingress whose host matches the
// request.
type IngressCandidate struct {
	Ingress *networkingv1.Ingress
	// Host is the rule's host as written, "" for any host.
	Host      string
	Path      networkingv1.HTTPIngressPath
	HostMatch HostMatch
	// Length is the path's PathLength, set once the path matches.
	Length int
}

// IngressResult is where one request lands.
type IngressResult struct {
	// Host and Path are the request's.
	Host, Path string
	// Ingress serves the request by a rule or its default backend; nil when
	// none does (the controller's own default backend: 404).
	Ingress *networkingv1.Ingress
	// Rule is the winning rule path, nil when a default backend serves.
	Rule    *IngressCandidate
	Backend *networkingv1.IngressBackend
	// HostMatch is how the request host matched the rules consulted, and
	// RuleHost the host of the first of them; HostNone when no rule's host
	// matches.
	HostMatch HostMatch
	RuleHost  string
	// Others are the other matching paths, shorter or ranked after Rule.
	Others []IngressCandidate
	// Fallback: no path matched and an Ingress's default backend serves.
	Fallback bool
}

// RouteIngress routes a request, host and path as NormalizeRequest returns
// them, through ingresses, which must all be of one class (the controller
// that serves them routes among them only). The precedence is the package's
// (see the package documentation); ingresses need not be sorted.
func RouteIngress(ingresses []*networkingv1.Ingress, host, path string) IngressResult {
	ingresses = slices.Clone(ingresses)
	SortOldestFirst(ingresses)
	res := IngressResult{Host: host, Path: path}
	var exact, wild, anyHost []IngressCandidate
	for _, ing := range ingresses {
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			how := MatchHost(r.Host, host)
			if how == HostNone {
				continue
			}
			for _, p := range r.HTTP.Paths {
				c := IngressCandidate{Ingress: ing, Host: r.Host, Path: p, HostMatch: how}
				switch how {
				case HostExact:
					exact = append(exact, c)
				case HostWildcard:
					wild = append(wild, c)
				default:
					anyHost = append(anyHost, c)
				}
			}
		}
	}
	// The most specific host wins: its rules are the only ones consulted.
	var tier []IngressCandidate
	for _, t := range [][]IngressCandidate{exact, wild, anyHost} {
		if len(t) > 0 {
			tier = t
			break
		}
	}
	if len(tier) > 0 {
		res.HostMatch, res.RuleHost = tier[0].HostMatch, tier[0].Host
	}
	var matching []IngressCandidate
	for _, c := range tier {
		kind := IngressPathKind(IngressPathType(c.Path))
		if MatchPath(kind, c.Path.Path, path) {
			c.Length = PathLength(kind, c.Path.Path)
			matching = append(matching, c)
		}
	}
	sort.SliceStable(matching, func(i, j int) bool {
		a, b := matching[i], matching[j]
		if a.Length != b.Length {
			return a.Length > b.Length
		}
		return IngressPathType(a.Path) == networkingv1.PathTypeExact && IngressPathType(b.Path) != networkingv1.PathTypeExact
	})
	if len(matching) > 0 {
		best := matching[0]
		res.Rule, res.Ingress, res.Backend = &best, best.Ingress, &best.Path.Backend
		res.Others = matching[1:]
		return res
	}
	// No path matched. The default backend of an Ingress defining the host
	// serves the host's other paths; a request that only rules without a
	// host match, or none, goes to the catch-all: the default backend of an
	// Ingress without rules.
	var holders []*networkingv1.Ingress
	if len(tier) > 0 && tier[0].HostMatch != HostAny {
		seen := map[*networkingv1.Ingress]bool{}
		for _, c := range tier {
			if !seen[c.Ingress] {
				seen[c.Ingress] = true
				holders = append(holders, c.Ingress)
			}
		}
	} else {
		for _, ing := range ingresses {
			if len(ing.Spec.Rules) == 0 {
				holders = append(holders, ing)
			}
		}
	}
	for _, ing := range holders {
		if ing.Spec.DefaultBackend != nil {
			res.Ingress, res.Backend, res.Fallback = ing, ing.Spec.DefaultBackend, true
			return res
		}
	}
	return res
}
