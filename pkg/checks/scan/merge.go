package scan

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
)

// objects are the trimmed objects of one namespace.
type objects struct {
	pods      []corev1.Pod
	services  []*corev1.Service
	slices    []discoveryv1.EndpointSlice // only Services' slices
	ingresses []*networkingv1.Ingress
	// routes: HTTPRoutes, GRPCRoutes, TLSRoutes and TCPRoutes, when the
	// Gateway API is served.
	routes []gateway.Route
}

// add appends another part's objects: the next page's of the same source,
// or, merging sources, another kind's.
func (o *objects) add(p objects) {
	o.pods = join(o.pods, p.pods)
	o.services = join(o.services, p.services)
	o.slices = join(o.slices, p.slices)
	o.ingresses = join(o.ingresses, p.ingresses)
	o.routes = join(o.routes, p.routes)
}

// join appends b to a, taking b as it is when a is empty rather than
// copying it: parts are handed over, never shared.
func join[T any](a, b []T) []T {
	if len(a) == 0 {
		return b
	}
	return append(a, b...)
}

// namespaceView is everything the sources read of one namespace. An error
// is set for each kind whose source failed before it got past the namespace:
// that kind's objects of the namespace are missing, and the checks needing
// them skip.
type namespaceView struct {
	namespace string
	objects
	podsErr, servicesErr, slicesErr, ingressesErr error
	// routesErr: a route kind could not be listed.
	routesErr error
}

// sources are the streamed kinds; the routes only when the cluster serves
// them.
type sources struct {
	pods, services, slices, ingresses            *source
	httpRoutes, grpcRoutes, tlsRoutes, tcpRoutes *source
}

// routes are the route sources the cluster serves.
func (s *sources) routes() []*source {
	var out []*source
	for _, r := range []*source{s.httpRoutes, s.grpcRoutes, s.tlsRoutes, s.tcpRoutes} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

func (s *sources) all() []*source {
	return append([]*source{s.pods, s.services, s.slices, s.ingresses}, s.routes()...)
}

// errOf is the error field of a view that src's failure fills.
func (s *sources) errOf(v *namespaceView, src *source) *error {
	switch src {
	case s.pods:
		return &v.podsErr
	case s.services:
		return &v.servicesErr
	case s.slices:
		return &v.slicesErr
	case s.ingresses:
		return &v.ingressesErr
	}
	return &v.routesErr
}

// merge takes the sources' parts in namespace key order and calls each once
// per namespace, with every source's part of it. A source is only read
// ahead by one namespace, so memory holds about one namespace of each kind.
func merge(ctx context.Context, s *sources, each func(*namespaceView)) error {
	all := s.all()
	heads := make([]*part, len(all))
	open := make([]bool, len(all))
	for i := range open {
		open[i] = true
	}
	for {
		for i, src := range all {
			if heads[i] != nil || !open[i] {
				continue
			}
			select {
			case p, ok := <-src.parts:
				if ok {
					heads[i] = &p
				} else {
					open[i] = false
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		next := ""
		found := false
		for _, h := range heads {
			if h != nil && (!found || nsKey(h.namespace) < nsKey(next)) {
				next, found = h.namespace, true
			}
		}
		if !found {
			return nil
		}
		v := &namespaceView{namespace: next}
		for i, src := range all {
			switch {
			case heads[i] != nil && heads[i].namespace == next:
				v.add(heads[i].objects)
				heads[i] = nil
			case heads[i] == nil && !open[i]:
				// Ended: a failed source never reached this namespace.
				*s.errOf(v, src) = src.err
			}
		}
		each(v)
	}
}
