package gateway

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// facts is everything the checks look at, gathered up front with few,
// concurrent requests. Each error is kept beside the data it was meant to
// fill, so that one forbidden read skips only its own checks.
type facts struct {
	namespace, name string
	now             time.Time
	api             *gatewayapi.API

	gw    *gwv1.Gateway
	gwErr error
	// When the Gateway is missing: similar names, other namespaces holding
	// a Gateway of that name, or a missing namespace.
	similar, elsewhere []string
	namespaceErr       error

	classes    []gwv1.GatewayClass
	classesErr error
	class      *gwv1.GatewayClass

	// The routes that may name the Gateway: every namespace's, or, when
	// that is forbidden, the Gateway's namespace's (routesScope says so).
	routes      []Route
	routesErr   error
	routesScope string
	// grpcServed: the cluster serves GRPCRoute.
	grpcServed bool
	// streamNotes: how the TLSRoutes and TCPRoutes (in routes, matching
	// not modelled) were read, when not from every namespace.
	streamNotes []string

	namespaces Namespaces

	// ListenerSets whose parentRef names the Gateway, by precedence;
	// lsServed: the cluster serves ListenerSet; lsErr and lsScope as
	// routesErr and routesScope.
	listenerSets []ListenerSetState
	lsServed     bool
	lsErr        error
	lsScope      string

	// secrets of the listeners' certificateRefs, by namespace/name.
	secrets map[string]*tlscert.Secret
	// grants of the namespaces of cross-namespace certificateRefs;
	// grantsErr by namespace, when they could not be read.
	grants    []gwv1.ReferenceGrant
	grantsErr map[string]error

	dataPlane DataPlane
}

func gather(ctx context.Context, c kube.Clients, r gatewayapi.Reader, req Request) (*facts, error) {
	client := c.Typed
	f := &facts{namespace: req.Namespace, name: req.Name, now: req.Now(), api: r.API, grpcServed: r.API.Serves(gatewayapi.GRPCRoutes),
		lsServed: r.API.Serves(gatewayapi.ListenerSets)}
	ns := req.Namespace
	var wg sync.WaitGroup
	wg.Go(func() { f.gw, f.gwErr = r.Gateway(ctx, ns, req.Name) })
	wg.Go(func() { f.classes, f.classesErr = r.GatewayClasses(ctx) })
	wg.Go(func() { f.routes, f.routesScope, f.routesErr = readRoutes(ctx, r, ns) })
	var stream []Route
	var streamErr error
	wg.Go(func() { stream, f.streamNotes, streamErr = readStreamRoutes(ctx, r, ns) })
	var sets []gwv1.ListenerSet
	wg.Go(func() { sets, f.lsScope, f.lsErr = ReadListenerSets(ctx, r, ns) })
	wg.Wait()
	if f.gwErr != nil && !kube.IsAPIAnswer(f.gwErr) {
		return nil, fmt.Errorf("reading gateway %s/%s: %w", ns, req.Name, f.gwErr)
	}
	if streamErr != nil {
		return nil, streamErr
	}
	f.routes = append(f.routes, stream...)
	for _, err := range []error{f.classesErr, f.routesErr, f.lsErr} {
		if err != nil && !kube.IsAPIAnswer(err) && !errors.Is(err, gatewayapi.ErrNotServed) {
			return nil, err
		}
	}
	if f.gw == nil {
		if apierrors.IsNotFound(f.gwErr) {
			gatherNotFound(ctx, client, r, f)
		}
		return f, nil
	}
	for i := range f.classes {
		if f.classes[i].Name == string(f.gw.Spec.GatewayClassName) {
			f.class = &f.classes[i]
		}
	}

	// The certificates of the Gateway's listeners and of those of the
	// ListenerSets it admits, or may admit (a selector needs the
	// namespaces' labels, read at the same time).
	f.secrets = map[string]*tlscert.Secret{}
	f.grantsErr = map[string]error{}
	var mu sync.Mutex
	certs := certListeners(f.gw, maybeAttached(ListenerSetsOf(f.gw, sets, Namespaces{})))
	for _, ref := range secretRefs(certs) {
		wg.Go(func() {
			s := tlscert.Read(ctx, client, ref.namespace, ref.name)
			mu.Lock()
			f.secrets[ref.namespace+"/"+ref.name] = s
			mu.Unlock()
		})
	}
	for _, gns := range crossNamespaces(certs) {
		wg.Go(func() {
			list, err := r.ReferenceGrants(ctx, gns)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.grantsErr[gns] = err
				return
			}
			f.grants = append(f.grants, list...)
		})
	}
	if NeedsNamespaceLabels(f.gw, AttachedSets(ListenerSetsOf(f.gw, sets, Namespaces{}))) || routing.AllowedListenersFrom(f.gw) == gwv1.NamespacesFromSelector {
		wg.Go(func() { f.namespaces = ReadNamespaces(ctx, client) })
	}
	wg.Go(func() { f.dataPlane = FindDataPlane(ctx, client, f.gw, f.class, req.LogTimeout) })
	wg.Wait()
	f.listenerSets = ListenerSetsOf(f.gw, sets, f.namespaces)
	return f, nil
}

// readRoutes lists the HTTPRoutes and GRPCRoutes of every namespace, or,
// when that is forbidden, of ns only: scope is then ns, and err says what
// was forbidden. GRPCRoutes that may not be listed are left out, err
// saying so.
func readRoutes(ctx context.Context, r gatewayapi.Reader, ns string) ([]Route, string, error) {
	read := func(scope string) ([]gwv1.HTTPRoute, []gwv1.GRPCRoute, error, error) {
		http, err := r.HTTPRoutes(ctx, scope)
		if err != nil && !errors.Is(err, gatewayapi.ErrNotServed) {
			return nil, nil, err, nil
		}
		var grpc []gwv1.GRPCRoute
		var grpcErr error
		if r.API.Serves(gatewayapi.GRPCRoutes) {
			grpc, grpcErr = r.GRPCRoutes(ctx, scope)
		}
		return http, grpc, nil, grpcErr
	}
	var fe *kube.ForbiddenError
	http, grpc, err, grpcErr := read(metav1.NamespaceAll)
	scope := ""
	if err != nil && errors.As(err, &fe) {
		var lerr error
		http, grpc, lerr, grpcErr = read(ns)
		if lerr != nil {
			return nil, "", err
		}
		scope = ns
	}
	if err == nil && grpcErr != nil {
		if !errors.As(grpcErr, &fe) {
			return nil, "", grpcErr
		}
		err = grpcErr
		if scope == "" {
			scope = "*" // every namespace's HTTPRoutes, no GRPCRoute
		}
	}
	return Routes(http, grpc), scope, err
}

// readStreamRoutes lists the TLSRoutes and TCPRoutes the cluster serves,
// of every namespace or, when that is forbidden, of ns; notes say which
// were not served or not read. Only an error that is not the API's answer
// is returned.
func readStreamRoutes(ctx context.Context, r gatewayapi.Reader, ns string) ([]Route, []string, error) {
	var tls []gwv1.TLSRoute
	var tcp []gwv1.TCPRoute
	var notes []string
	read := func(resource, kind string, list func(string) error) error {
		if !r.API.Serves(resource) {
			notes = append(notes, kind+": not served by the cluster")
			return nil
		}
		err := list(metav1.NamespaceAll)
		var fe *kube.ForbiddenError
		if err != nil && errors.As(err, &fe) {
			if lerr := list(ns); lerr == nil {
				notes = append(notes, fmt.Sprintf("%ss: only those of namespace %s were read: %v", kind, ns, err))
				return nil
			}
		}
		switch {
		case err == nil:
			return nil
		case kube.IsAPIAnswer(err):
			notes = append(notes, fmt.Sprintf("%ss were not read: %v", kind, err))
			return nil
		}
		return err
	}
	if err := read(gatewayapi.TLSRoutes, "TLSRoute", func(scope string) (err error) {
		tls, err = r.TLSRoutes(ctx, scope)
		return err
	}); err != nil {
		return nil, nil, err
	}
	if err := read(gatewayapi.TCPRoutes, "TCPRoute", func(scope string) (err error) {
		tcp, err = r.TCPRoutes(ctx, scope)
		return err
	}); err != nil {
		return nil, nil, err
	}
	return StreamRoutes(tls, tcp), notes, nil
}

// ReadNamespaces lists the namespaces' labels.
func ReadNamespaces(ctx context.Context, client kubernetes.Interface) Namespaces {
	list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Namespaces{Err: kube.Read(kube.List("", "namespaces", ""), err)}
	}
	out := Namespaces{Labels: map[string]map[string]string{}}
	for _, n := range list.Items {
		l := n.Labels
		if l == nil {
			l = map[string]string{}
		}
		out.Labels[n.Name] = l
	}
	return out
}

// needsNamespaces: a listener admits routes by namespace selector.
func needsNamespaces(gw *gwv1.Gateway) bool {
	for i := range gw.Spec.Listeners {
		if routing.AllowedFrom(&gw.Spec.Listeners[i]) == gwv1.NamespacesFromSelector {
			return true
		}
	}
	return false
}

func gatherNotFound(ctx context.Context, client kubernetes.Interface, r gatewayapi.Reader, f *facts) {
	var names []string
	if all, err := r.Gateways(ctx, metav1.NamespaceAll); err == nil {
		for _, g := range all {
			if g.Namespace == f.namespace {
				names = append(names, g.Name)
			} else if g.Name == f.name {
				f.elsewhere = append(f.elsewhere, g.Namespace)
			}
		}
		sort.Strings(f.elsewhere)
	} else if local, err := r.Gateways(ctx, f.namespace); err == nil {
		for _, g := range local {
			names = append(names, g.Name)
		}
	}
	f.similar = checks.SimilarNames(f.name, names, 3)
	_, err := client.CoreV1().Namespaces().Get(ctx, f.namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		f.namespaceErr = err
	}
}

// certListener is a listener of the Gateway's merged list, with where
// its certificateRefs resolve: the namespace of the resource that holds
// it, the Gateway or a ListenerSet (set, its namespace/name).
type certListener struct {
	set, namespace string
	listener       *gwv1.Listener
}

// label is the listener as reports name it: "https", or "web
// (listenerset team/extra)".
func (c certListener) label() string { return routing.ListenerLabel(c.set, string(c.listener.Name)) }

// certListeners are the listeners of gw, then those of sets by
// precedence.
func certListeners(gw *gwv1.Gateway, sets []gwv1.ListenerSet) []certListener {
	var out []certListener
	for i := range gw.Spec.Listeners {
		out = append(out, certListener{namespace: gw.Namespace, listener: &gw.Spec.Listeners[i]})
	}
	for _, m := range routing.MergeListeners(gw, sets)[len(gw.Spec.Listeners):] {
		ns, _, _ := strings.Cut(m.ListenerSet, "/")
		l := m.Listener
		out = append(out, certListener{set: m.ListenerSet, namespace: ns, listener: &l})
	}
	return out
}

// maybeAttached are the ListenerSets of states the Gateway admits, or may
// admit once the namespaces' labels are known.
func maybeAttached(states []ListenerSetState) []gwv1.ListenerSet {
	var out []gwv1.ListenerSet
	for _, st := range states {
		if st.Allowed || st.Undecided {
			out = append(out, *st.Set)
		}
	}
	return out
}

// secretRef is a certificateRef to a Secret, resolved.
type secretRef struct {
	// listener is the listener's label; set the namespace/name of its
	// ListenerSet, "" for the Gateway's own; from the namespace of the
	// resource that holds it, where the reference resolves.
	listener, set, from string
	namespace, name     string
	// kind and group when it is not a core Secret (not read).
	other string
}

// certificateRefs of one listener, resolved against the namespace of its
// Gateway or ListenerSet.
func certificateRefs(cl certListener) []secretRef {
	l := cl.listener
	if l.TLS == nil {
		return nil
	}
	var out []secretRef
	for _, ref := range l.TLS.CertificateRefs {
		s := secretRef{listener: cl.label(), set: cl.set, from: cl.namespace, namespace: cl.namespace, name: string(ref.Name)}
		if ref.Namespace != nil && *ref.Namespace != "" {
			s.namespace = string(*ref.Namespace)
		}
		group, kind := "", "Secret"
		if ref.Group != nil {
			group = string(*ref.Group)
		}
		if ref.Kind != nil {
			kind = string(*ref.Kind)
		}
		if group != "" || kind != "Secret" {
			s.other = kind
			if group != "" {
				s.other += "." + group
			}
		}
		out = append(out, s)
	}
	return out
}

// secretRefs are the core Secrets the listeners name, once each.
func secretRefs(list []certListener) []secretRef {
	seen := map[string]bool{}
	var out []secretRef
	for _, cl := range list {
		for _, s := range certificateRefs(cl) {
			if k := s.namespace + "/" + s.name; s.other == "" && !seen[k] {
				seen[k] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// crossNamespaces are the namespaces the listeners' certificateRefs point
// to other than that of the resource holding the listener: a
// ReferenceGrant there must permit the reference.
func crossNamespaces(list []certListener) []string {
	var out []string
	for _, cl := range list {
		for _, s := range certificateRefs(cl) {
			if s.other == "" && s.namespace != s.from && !contains(out, s.namespace) {
				out = append(out, s.namespace)
			}
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
