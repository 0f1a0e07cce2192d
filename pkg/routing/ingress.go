package routing

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
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

// IngressController is the controller whose behaviour RouteIngressFor
// follows where the Ingress API leaves the answer to the implementation.
type IngressController int

const (
	// IngressGeneric is any other controller: the precedence of the package
	// documentation, with IngressResult.Depends set wherever ingress-nginx
	// and Traefik would answer differently.
	IngressGeneric IngressController = iota
	// IngressNginx is ingress-nginx (kubernetes/ingress-nginx).
	IngressNginx
	// IngressTraefik is Traefik v3's kubernetesingress provider.
	IngressTraefik
)

func (c IngressController) String() string {
	switch c {
	case IngressNginx:
		return "ingress-nginx"
	case IngressTraefik:
		return "Traefik"
	}
	return "generic"
}

// traefikReserved are the characters whose percent-encoded form Traefik
// keeps encoded in the path it routes on (pkg/muxer/http/mux.go
// reservedCharacters, RFC 3986 section 2.2 and "%").
const traefikReserved = ":/?#[]@!$&'()*+,;=%"

// MatchingPath is a request path (as NormalizeRequest returns it) in the
// form the controller matches it against rule paths.
//
//   - ingress-nginx: nginx decodes every %XX and parses the decoded
//     character again (src/http/ngx_http_parse.c,
//     ngx_http_parse_complex_uri: sw_quoted_second returns to
//     quoted_state), so %2F separates elements and %2E%2E is a dot
//     segment; dot segments are removed and, merge_slashes being on,
//     repeated slashes merged; "/a/." is "/a/".
//   - Traefik v3.6: the entry point first decodes the unreserved
//     characters (pkg/server/server_entrypoint_tcp.go normalizePath), then
//     cleans the path with url.JoinPath (sanitizePath, on by default:
//     config/static/entrypoints.go HTTPConfig.SetDefaults), so dot segments
//     and repeated slashes go and %2F is not a separator; the muxer then
//     routes on the path with every escape decoded except the reserved
//     characters (pkg/muxer/http/mux.go withRoutingPath).
//   - generic: the normalisation RFC 3986 section 6.2.2 allows any
//     comparison: unreserved characters decoded, dot segments removed.
func (c IngressController) MatchingPath(p string) string {
	switch c {
	case IngressNginx:
		return CleanPath(DecodePath(p, func(byte) bool { return true }), true)
	case IngressTraefik:
		q := CleanPath(DecodeUnreserved(p), false)
		return DecodePath(q, func(b byte) bool { return !strings.ContainsRune(traefikReserved, rune(b)) })
	}
	return CleanPath(DecodeUnreserved(p), true)
}

// SortOldestFirst orders Ingresses as ingress-nginx reads them, and so
// resolves conflicts between them (the first Ingress to define a host or
// a path keeps it): by creation time, and between Ingresses created in the
// same second by "namespace/name" in descending order
// (internal/ingress/controller/store/store.go sortIngressSlice, called by
// ListIngresses: `return in > jn` on equal CreationTimestamp).
func SortOldestFirst(ings []*networkingv1.Ingress) {
	sort.SliceStable(ings, func(i, j int) bool {
		a, b := ings[i], ings[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name > b.Namespace+"/"+b.Name
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
	// Priority is Traefik's router priority (the length of the router's
	// rule, or the router.priority annotation), 0 for other controllers.
	Priority int
}

// DefaultReason is why an Ingress's default backend does not serve a
// request.
type DefaultReason int

const (
	// DefaultOtherHost: the Ingress has rules and none of them names the
	// request's host; its default backend serves its own hosts only.
	DefaultOtherHost DefaultReason = iota
	// DefaultNotFirst: ingress-nginx builds a host's server from the first
	// Ingress defining the host (IngressResult.HostOwner), whose default
	// backend, or the controller's 404, answers the host's unmatched paths.
	DefaultNotFirst
	// DefaultWithRules: Traefik ignores spec.defaultBackend of an Ingress
	// that has rules.
	DefaultWithRules
	// DefaultTaken: Traefik keeps one default backend, the first
	// rules-less Ingress it reads, in an order it does not define.
	DefaultTaken
)

// IgnoredDefault is an Ingress whose default backend does not serve the
// request.
type IgnoredDefault struct {
	Ingress *networkingv1.Ingress
	Why     DefaultReason
}

// IngressResult is where one request lands.
type IngressResult struct {
	// Host and Path are the request's.
	Host, Path string
	// Controller is the model followed, MatchPath the path as it matches
	// it (IngressController.MatchingPath).
	Controller IngressController
	MatchPath  string
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
	// HostOwner (ingress-nginx) is the first Ingress defining the host
	// matched: its default backend, else the controller's 404, answers the
	// paths no rule matches.
	HostOwner *networkingv1.Ingress
	// HostOnly is the first Ingress with a rule that names the request's
	// host but has no http paths. ingress-nginx lets such a rule claim the
	// host; Traefik ignores it.
	HostOnly *networkingv1.Ingress
	// Others are the other matching paths, shorter or ranked after Rule.
	Others []IngressCandidate
	// Fallback: no path matched and an Ingress's default backend serves.
	Fallback bool
	// IgnoredDefaults are the Ingresses with a default backend that does
	// not serve this request, and why.
	IgnoredDefaults []IgnoredDefault
	// Depends says, a sentence each, where the answer depends on the
	// controller or on an order the controller does not define: the
	// result is then one possible answer, not a certain one.
	Depends []string
}

// RouteIngress routes a request with the generic model:
// RouteIngressFor(IngressGeneric, ...).
func RouteIngress(ingresses []*networkingv1.Ingress, host, path string) IngressResult {
	return RouteIngressFor(IngressGeneric, ingresses, host, path)
}

// RouteIngressFor routes a request, host and path as NormalizeRequest
// returns them, through ingresses, which must all be of one class (the
// controller that serves them routes among them only), as ctrl does (see
// the package documentation); ingresses need not be sorted.
func RouteIngressFor(ctrl IngressController, ingresses []*networkingv1.Ingress, host, path string) IngressResult {
	ingresses = slices.Clone(ingresses)
	SortOldestFirst(ingresses)
	res := IngressResult{Host: host, Path: path, Controller: ctrl, MatchPath: ctrl.MatchingPath(path)}
	if ctrl == IngressTraefik {
		routeTraefik(ingresses, &res)
	} else {
		routeTiers(ctrl, ingresses, &res)
	}
	if ctrl == IngressGeneric {
		// Where the Ingress API is silent, say what the controllers
		// netdebug knows would do when they do otherwise.
		for _, c := range []IngressController{IngressNginx, IngressTraefik} {
			alt := RouteIngressFor(c, ingresses, host, path)
			if !sameAnswer(res, alt) {
				res.Depends = append(res.Depends, fmt.Sprintf("%s would serve it from %s", c, DescribeAnswer(alt)))
			}
			for _, d := range alt.Depends {
				if !strings.HasPrefix(d, c.String()) {
					d = c.String() + ": " + d
				}
				res.Depends = append(res.Depends, d)
			}
		}
	}
	return res
}

// sameAnswer says whether two results send the request to the same place.
func sameAnswer(a, b IngressResult) bool {
	if a.Ingress != b.Ingress || a.Fallback != b.Fallback || (a.Rule == nil) != (b.Rule == nil) {
		return false
	}
	if a.Rule != nil && (a.Rule.Host != b.Rule.Host || a.Rule.Path.Path != b.Rule.Path.Path || IngressPathType(a.Rule.Path) != IngressPathType(b.Rule.Path)) {
		return false
	}
	return true
}

// DescribeAnswer says where a result sends the request: "rule HOST PATH
// (TYPE) of ingress NS/NAME", "the default backend of ingress NS/NAME" or
// "the controller's default backend (404)".
func DescribeAnswer(r IngressResult) string {
	switch {
	case r.Ingress == nil:
		return "the controller's default backend (404)"
	case r.Rule == nil:
		return fmt.Sprintf("the default backend of ingress %s/%s", r.Ingress.Namespace, r.Ingress.Name)
	}
	h := r.Rule.Host
	if h == "" {
		h = "*"
	}
	p := r.Rule.Path.Path
	if p == "" {
		p = "/"
	}
	return fmt.Sprintf("rule %s %s (%s) of ingress %s/%s", h, p, IngressPathType(r.Rule.Path), r.Ingress.Namespace, r.Ingress.Name)
}

func tierOf(how HostMatch) int {
	switch how {
	case HostExact:
		return 0
	case HostWildcard:
		return 1
	}
	return 2
}

// hostClaim is a rule of an Ingress whose host matches the request.
type hostClaim struct {
	ing  *networkingv1.Ingress
	host string
	how  HostMatch
}

// routeTiers routes as ingress-nginx builds its servers (ctrl
// IngressNginx), or with the generic model. Sources, ingress-nginx
// internal/ingress/controller/controller.go: createServers makes one
// server per rule host, from the first Ingress (in ListIngresses order)
// naming it, whatever its http, with a root location to that Ingress's
// default backend or the controller's; getBackendServers adds the paths of
// rules with http (`if rule.HTTP == nil { continue }`), the first Ingress
// keeping a path two define ("already configured").
func routeTiers(ctrl IngressController, ingresses []*networkingv1.Ingress, res *IngressResult) {
	var cands [3][]IngressCandidate
	var claims [3][]hostClaim
	var hostOnly [3]*networkingv1.Ingress
	for _, ing := range ingresses {
		for _, r := range ing.Spec.Rules {
			how := MatchHost(r.Host, res.Host)
			if how == HostNone {
				continue
			}
			t := tierOf(how)
			if r.HTTP == nil {
				// A rule without host and without http adds nothing: its
				// server is the catch-all one.
				if how == HostAny {
					continue
				}
				if hostOnly[t] == nil {
					hostOnly[t] = ing
				}
				if ctrl == IngressNginx {
					claims[t] = append(claims[t], hostClaim{ing, r.Host, how})
				}
				continue
			}
			claims[t] = append(claims[t], hostClaim{ing, r.Host, how})
			for _, p := range r.HTTP.Paths {
				cands[t] = append(cands[t], IngressCandidate{Ingress: ing, Host: r.Host, Path: p, HostMatch: how})
			}
		}
	}
	// The most specific host wins: its rules are the only ones consulted.
	t := -1
	for i := range claims {
		if len(claims[i]) > 0 {
			t = i
			break
		}
	}
	// A rule without http of the host consulted, or of a more specific one
	// (which ingress-nginx, unlike the generic model, would consult).
	for i, ing := range hostOnly {
		if ing != nil && (t < 0 || i <= t) {
			res.HostOnly = ing
			break
		}
	}
	var tier []IngressCandidate
	if t >= 0 {
		tier = cands[t]
		res.HostMatch, res.RuleHost = claims[t][0].how, claims[t][0].host
	}
	var matching []IngressCandidate
	var rank []int
	for _, c := range tier {
		kind := IngressPathKind(IngressPathType(c.Path))
		r, ok := 0, false
		if ctrl == IngressNginx {
			if c.Path.Backend.Service == nil {
				continue // getBackendServers: "does not contain a service backend, using default backend"
			}
			r, ok = nginxLocation(c.Path, res.MatchPath)
		} else if ok = MatchPath(kind, c.Path.Path, res.MatchPath); ok {
			// The longest path first, Exact before Prefix on a tie.
			r = 2 * PathLength(kind, c.Path.Path)
			if kind == PathExact {
				r++
			}
		}
		if ok {
			c.Length = PathLength(kind, c.Path.Path)
			matching = append(matching, c)
			rank = append(rank, r)
		}
	}
	order := make([]int, len(matching))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rank[order[i]] > rank[order[j]] })
	sorted := make([]IngressCandidate, len(matching))
	for i, k := range order {
		sorted[i] = matching[k]
	}
	matching = sorted
	if len(matching) > 0 {
		best := matching[0]
		res.Rule, res.Ingress, res.Backend = &best, best.Ingress, &best.Path.Backend
		res.Others = matching[1:]
		res.IgnoredDefaults = otherHostDefaults(ingresses, nil, claims[:])
		return
	}
	// No path matched. The default backend of an Ingress defining the host
	// serves the host's other paths; a request that only rules without a
	// host match, or none, goes to the catch-all: the default backend of an
	// Ingress without rules (createServers: the first of them in
	// ListIngresses order takes the catch-all server "_").
	var served *networkingv1.Ingress
	if t >= 0 && t < 2 {
		holders := claims[t]
		if ctrl == IngressNginx {
			res.HostOwner = holders[0].ing
			if d := holders[0].ing.Spec.DefaultBackend; d != nil && d.Service != nil {
				served = holders[0].ing
			}
		} else {
			for _, h := range holders {
				if h.ing.Spec.DefaultBackend != nil {
					served = h.ing
					break
				}
			}
		}
	} else {
		for _, ing := range ingresses {
			if len(ing.Spec.Rules) == 0 && ing.Spec.DefaultBackend != nil && (ctrl != IngressNginx || ing.Spec.DefaultBackend.Service != nil) {
				served = ing
				break
			}
		}
	}
	if served != nil {
		res.Ingress, res.Backend, res.Fallback = served, served.Spec.DefaultBackend, true
	}
	res.IgnoredDefaults = otherHostDefaults(ingresses, served, claims[:])
}

// nginxLocation says whether the nginx location ingress-nginx writes for
// a rule path matches the request path, and its rank: the "=" locations
// first, the rule's own Exact before the one added for a Prefix path,
// then the longest prefix location (nginx's location selection).
// ingress-nginx internal/ingress/controller/location.go
// updateServerLocations: a Prefix path /p becomes the locations "/p/" and
// "= /p" (the latter not when an Exact /p exists), so Prefix /p/ does not
// match /p; template/template.go buildLocation: an ImplementationSpecific
// path is a plain nginx prefix location, matched character by character
// (/api matches /apis). Paths of the use-regex or rewrite-target
// annotations are not modelled.
func nginxLocation(p networkingv1.HTTPIngressPath, reqPath string) (int, bool) {
	const exactRank = 1 << 30
	rp := p.Path
	if rp == "" {
		rp = "/"
	}
	switch IngressPathType(p) {
	case networkingv1.PathTypeExact:
		return exactRank + 1, reqPath == rp
	case networkingv1.PathTypePrefix:
		if rp == "/" {
			return 1, true
		}
		if reqPath == rp {
			return exactRank, true
		}
		loc := rp
		if !strings.HasSuffix(loc, "/") {
			loc += "/"
		}
		return len(loc), strings.HasPrefix(reqPath, loc)
	}
	return len(rp), strings.HasPrefix(reqPath, rp)
}

// otherHostDefaults are the Ingresses with a default backend other than
// served: DefaultNotFirst for those that define the host, DefaultOtherHost
// for those with rules for other hosts only.
func otherHostDefaults(ingresses []*networkingv1.Ingress, served *networkingv1.Ingress, claims [][]hostClaim) []IgnoredDefault {
	var out []IgnoredDefault
	for _, ing := range ingresses {
		if ing == served || ing.Spec.DefaultBackend == nil || len(ing.Spec.Rules) == 0 {
			continue
		}
		why := DefaultOtherHost
		for _, tier := range claims[:2] {
			for _, c := range tier {
				if c.ing == ing {
					why = DefaultNotFirst
				}
			}
		}
		out = append(out, IgnoredDefault{Ingress: ing, Why: why})
	}
	// Those that define the host first.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Why == DefaultNotFirst && out[j].Why != DefaultNotFirst })
	return out
}

// Traefik annotations read by its kubernetesingress provider
// (pkg/provider/kubernetes/ingress/annotations.go, prefix
// "traefik.ingress.kubernetes.io/").
const (
	traefikPriority    = "traefik.ingress.kubernetes.io/router.priority"
	traefikPathMatcher = "traefik.ingress.kubernetes.io/router.pathmatcher"
)

// TraefikRule is the rule of the router Traefik v3.6 makes of a rule path
// (pkg/provider/kubernetes/ingress/kubernetes.go loadRouter, buildHostRule,
// buildRule without strictPrefixMatching, its default); its length is the
// router's priority (pkg/muxer/http/mux.go GetRulePriority).
func TraefikRule(ing *networkingv1.Ingress, host string, p networkingv1.HTTPIngressPath) string {
	var parts []string
	if host != "" {
		if strings.HasPrefix(host, "*.") {
			h := strings.Replace(regexp.QuoteMeta(host), `\*\.`, `[a-zA-Z0-9-]+\.`, 1)
			parts = append(parts, fmt.Sprintf("HostRegexp(%q)", "^"+h+"$"))
		} else {
			parts = append(parts, fmt.Sprintf("Host(%q)", host))
		}
	}
	if p.Path != "" {
		parts = append(parts, fmt.Sprintf("%s(%q)", traefikMatcher(ing, p), p.Path))
	}
	return strings.Join(parts, " && ")
}

// TraefikPriority is the priority of the router Traefik makes of a rule
// path: the router.priority annotation of the Ingress when set, else the
// length of its rule (pkg/server/router/router.go: `if
// routerConfig.Priority == 0 { ... GetRulePriority(rule) }`).
func TraefikPriority(ing *networkingv1.Ingress, host string, p networkingv1.HTTPIngressPath) int {
	if n, err := strconv.Atoi(ing.Annotations[traefikPriority]); err == nil && n != 0 {
		return n
	}
	return len(TraefikRule(ing, host, p))
}

func traefikMatcher(ing *networkingv1.Ingress, p networkingv1.HTTPIngressPath) string {
	switch IngressPathType(p) {
	case networkingv1.PathTypeExact:
		return "Path"
	case networkingv1.PathTypeImplementationSpecific:
		if m := ing.Annotations[traefikPathMatcher]; m != "" {
			return m
		}
	}
	return "PathPrefix"
}

// routeTraefik routes as Traefik v3.6 does. Sources, Traefik
// pkg/provider/kubernetes/ingress/kubernetes.go
// loadConfigurationFromIngresses: one router per rule path with http and
// a Service backend, all Ingresses in one muxer (no host tiers); a rule
// without http makes no router (`if rule.HTTP == nil { continue }`);
// spec.defaultBackend is read only for an Ingress without rules, as the
// router "default-router" (PathPrefix("/"), priority math.MinInt32), and
// only once ("The default backend already exists.": the first such
// Ingress read wins, in the informer's order). pkg/muxer/http/mux.go: the
// routes sorted by priority (sort.Sort, not stable; the routers come from
// a map in pkg/server/router/router.go buildEntryPointHandler), the first
// matching one serves, else 404.
func routeTraefik(ingresses []*networkingv1.Ingress, res *IngressResult) {
	var matching []IngressCandidate
	var catchAll []*networkingv1.Ingress
	bestHost, hostDefaults := HostNone, 0
	for _, ing := range ingresses {
		if len(ing.Spec.Rules) == 0 {
			if d := ing.Spec.DefaultBackend; d != nil && d.Service != nil {
				catchAll = append(catchAll, ing)
			}
			continue
		}
		if ing.Spec.DefaultBackend != nil {
			// Those that name the host first.
			d := IgnoredDefault{Ingress: ing, Why: DefaultWithRules}
			if names(ing, res.Host) {
				res.IgnoredDefaults = slices.Insert(res.IgnoredDefaults, hostDefaults, d)
				hostDefaults++
			} else {
				res.IgnoredDefaults = append(res.IgnoredDefaults, d)
			}
		}
		for _, r := range ing.Spec.Rules {
			how := MatchHost(r.Host, res.Host)
			if how == HostNone {
				continue
			}
			if how > bestHost {
				bestHost, res.RuleHost = how, r.Host
			}
			if r.HTTP == nil {
				if res.HostOnly == nil && how != HostAny {
					res.HostOnly = ing
				}
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service == nil {
					continue // "Resource backends are not supported"
				}
				if !traefikMatchPath(traefikMatcher(ing, p), p.Path, res.MatchPath) {
					continue
				}
				c := IngressCandidate{Ingress: ing, Host: r.Host, Path: p, HostMatch: how,
					Length: PathLength(IngressPathKind(IngressPathType(p)), p.Path), Priority: TraefikPriority(ing, r.Host, p)}
				matching = append(matching, c)
			}
		}
	}
	res.HostMatch = bestHost
	sort.SliceStable(matching, func(i, j int) bool { return matching[i].Priority > matching[j].Priority })
	if len(matching) > 0 {
		best := matching[0]
		res.Rule, res.Ingress, res.Backend = &best, best.Ingress, &best.Path.Backend
		res.HostMatch, res.RuleHost = best.HostMatch, best.Host
		res.Others = matching[1:]
		for _, o := range res.Others {
			if o.Priority == best.Priority && !sameService(o.Ingress.Namespace, &o.Path.Backend, best.Ingress.Namespace, res.Backend) {
				res.Depends = append(res.Depends, fmt.Sprintf("Traefik orders routers of equal priority (%d, the length of their rules) arbitrarily: rule %s of ingress %s/%s may answer instead", o.Priority, TraefikRule(o.Ingress, o.Host, o.Path), o.Ingress.Namespace, o.Ingress.Name))
				break
			}
		}
		if k := IngressPathKind(IngressPathType(best.Path)); k == PathPrefix && traefikMatcher(best.Ingress, best.Path) == "PathPrefix" && !MatchPath(k, best.Path.Path, res.MatchPath) {
			res.Depends = append(res.Depends, fmt.Sprintf("Traefik matches the Prefix path %s character by character (strictPrefixMatching off, its default): with strictPrefixMatching on it would not match %s", best.Path.Path, res.MatchPath))
		}
		return
	}
	if len(catchAll) > 0 {
		served := catchAll[0]
		res.Ingress, res.Backend, res.Fallback = served, served.Spec.DefaultBackend, true
		for _, c := range catchAll[1:] {
			res.IgnoredDefaults = append(res.IgnoredDefaults, IgnoredDefault{Ingress: c, Why: DefaultTaken})
			if !sameService(c.Namespace, c.Spec.DefaultBackend, served.Namespace, served.Spec.DefaultBackend) && len(res.Depends) == 0 {
				res.Depends = append(res.Depends, fmt.Sprintf("Traefik keeps the default backend of one Ingress without rules, the first it reads in an order it does not define: ingress %s/%s or %s/%s", served.Namespace, served.Name, c.Namespace, c.Name))
			}
		}
	}
}

// traefikMatchPath is Traefik's Path (exact) and PathPrefix (character by
// character: strings.HasPrefix in pkg/muxer/http/matcher.go pathPrefix)
// on the routing path; a rule without path matches every path.
func traefikMatchPath(matcher, rulePath, reqPath string) bool {
	switch {
	case rulePath == "":
		return true
	case matcher == "Path":
		return reqPath == rulePath
	case matcher == "PathPrefix":
		return strings.HasPrefix(reqPath, rulePath)
	}
	return false // PathRegexp and others: not modelled
}

// sameService says whether two backends, of Ingresses in namespaces nsA
// and nsB, are the same Service port.
func sameService(nsA string, a *networkingv1.IngressBackend, nsB string, b *networkingv1.IngressBackend) bool {
	if a == nil || b == nil || a.Service == nil || b.Service == nil {
		return a == b
	}
	return nsA == nsB && a.Service.Name == b.Service.Name && a.Service.Port == b.Service.Port
}

// names says whether a rule of ing names host, exactly or by a wildcard.
func names(ing *networkingv1.Ingress, host string) bool {
	for _, r := range ing.Spec.Rules {
		if m := MatchHost(r.Host, host); m == HostExact || m == HostWildcard {
			return true
		}
	}
	return false
}
