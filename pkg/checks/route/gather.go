package route

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// facts is everything the checks look at. Each error is kept beside the
// data it was meant to fill, so that one forbidden read skips only its own
// checks.
type facts struct {
	kind, namespace, name string
	now                   time.Time

	route    *gateway.Route
	routeErr error
	// When the route is missing: similar names, other namespaces holding
	// one of that name, or a missing namespace.
	similar, elsewhere []string
	namespaceErr       error

	// Every route of the kind, for the precedence between routes: every
	// namespace's, or, when that is forbidden, the route's namespace's
	// (allScope says so, allErr why).
	all      []gateway.Route
	allErr   error
	allScope string

	classes    []gwv1.GatewayClass
	classesErr error
	// gateways by namespace/name: the parents.
	gateways map[string]*parentGateway
	// listenerSets by namespace/name: the ListenerSets the route names as
	// parents.
	listenerSets map[string]*parentListenerSet
	// allSets: every ListenerSet read (those of every namespace, or of the
	// route's when that is forbidden), for the parents' merged lists of
	// listeners; allSetsErr when they could not be read.
	allSets    []gwv1.ListenerSet
	allSetsErr error
	// allSetsScope: the namespace whose ListenerSets were read when
	// those of every namespace could not be; "" otherwise.
	allSetsScope string

	// notes for the report: what could not be read and may be missed.
	notes []string

	namespaces gateway.Namespaces

	// Backends, by namespace: Services by name, EndpointSlices by Service
	// name; pods by namespace/service; ReferenceGrants of the namespaces
	// referred to across namespaces.
	services    map[string]map[string]*corev1.Service
	servicesErr map[string]error
	slices      map[string]map[string][]discoveryv1.EndpointSlice
	slicesErr   map[string]error
	pods        map[string]podList
	grants      []gwv1.ReferenceGrant
	grantsErr   map[string]error
	// serviceNames: names of each namespace's Services, for near misses.
	serviceNames map[string][]string
}

type podList struct {
	pods []corev1.Pod
	err  error
}

// parentGateway is a Gateway named by the route (or by --gateway), or the
// parent of a ListenerSet the route names.
type parentGateway struct {
	key   string
	gw    *gwv1.Gateway
	err   error
	class *gwv1.GatewayClass
	// sets are the ListenerSets that name the Gateway, judged; merged its
	// merged list of listeners, those of ListenerSets named by
	// routing.ListenerLabel ("web (listenerset team/extra)").
	sets   []gateway.ListenerSetState
	merged []gwv1.Listener
}

// parentListenerSet is a ListenerSet named by the route.
type parentListenerSet struct {
	key string
	ls  *gwv1.ListenerSet
	err error
	// gwKey is the namespace/name of the Gateway its parentRef names, ""
	// when it names another kind or it could not be read.
	gwKey string
}

func gather(ctx context.Context, c kube.Clients, r gatewayapi.Reader, req Request) (*facts, error) {
	client := c.Typed
	f := &facts{kind: req.Kind, namespace: req.Namespace, name: req.Name, now: req.Now(), gateways: map[string]*parentGateway{}, listenerSets: map[string]*parentListenerSet{}}
	var wg sync.WaitGroup
	wg.Go(func() { f.route, f.routeErr = readRoute(ctx, r, req.Kind, req.Namespace, req.Name) })
	wg.Go(func() { f.all, f.allScope, f.allErr = readAll(ctx, r, req.Kind, req.Namespace) })
	wg.Go(func() { f.classes, f.classesErr = r.GatewayClasses(ctx) })
	wg.Go(func() { f.allSets, f.allSetsScope, f.allSetsErr = gateway.ReadListenerSets(ctx, r, req.Namespace) })
	wg.Wait()
	if f.allSetsErr != nil && !kube.IsAPIAnswer(f.allSetsErr) {
		return nil, f.allSetsErr
	}
	if f.routeErr != nil && !kube.IsAPIAnswer(f.routeErr) {
		return nil, fmt.Errorf("reading %s %s/%s: %w", req.Kind, req.Namespace, req.Name, f.routeErr)
	}
	for _, err := range []error{f.allErr, f.classesErr} {
		if err != nil && !kube.IsAPIAnswer(err) {
			return nil, err
		}
	}
	if f.route == nil {
		if apierrors.IsNotFound(f.routeErr) {
			gatherNotFound(ctx, client, f)
		}
		return f, nil
	}
	// The ListenerSets the route names, and their parent Gateways.
	var mu sync.Mutex
	for _, ref := range f.route.ParentRefs {
		ns, name, ok := routing.ParentListenerSet(ref, f.route.Namespace)
		if !ok || f.listenerSets[ns+"/"+name] != nil {
			continue
		}
		p := &parentListenerSet{key: ns + "/" + name}
		f.listenerSets[p.key] = p
		if !r.API.Serves(gatewayapi.ListenerSets) {
			p.err = fmt.Errorf("%s.%s: %w", gatewayapi.ListenerSets, gatewayapi.Group, gatewayapi.ErrNotServed)
			continue
		}
		wg.Go(func() {
			ls, err := r.ListenerSet(ctx, ns, name)
			mu.Lock()
			defer mu.Unlock()
			p.ls, p.err = ls, err
			if ls != nil {
				if gns, gname, ok := routing.ListenerSetParent(ls); ok {
					p.gwKey = gns + "/" + gname
				}
			}
		})
	}
	wg.Wait()
	for _, p := range f.listenerSets {
		if p.err != nil && !kube.IsAPIAnswer(p.err) && !errors.Is(p.err, gatewayapi.ErrNotServed) {
			return nil, p.err
		}
		if p.ls != nil && !slices.ContainsFunc(f.allSets, func(s gwv1.ListenerSet) bool { return s.Namespace == p.ls.Namespace && s.Name == p.ls.Name }) {
			f.allSets = append(f.allSets, *p.ls)
		}
	}
	// The parents: every Gateway the route names, directly or through a
	// ListenerSet, or the one --gateway names.
	var keys []string
	if req.GatewayName != "" {
		keys = append(keys, req.GatewayNamespace+"/"+req.GatewayName)
	} else {
		for _, ref := range f.route.ParentRefs {
			if key := f.parentKey(ref); key != "" && !contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	for _, key := range keys {
		ns, name := splitKey(key)
		wg.Go(func() {
			gw, err := r.Gateway(ctx, ns, name)
			p := &parentGateway{key: key, gw: gw, err: err}
			mu.Lock()
			f.gateways[key] = p
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, p := range f.gateways {
		if p.err != nil && !kube.IsAPIAnswer(p.err) {
			return nil, p.err
		}
		if p.gw == nil {
			continue
		}
		for i := range f.classes {
			if f.classes[i].Name == string(p.gw.Spec.GatewayClassName) {
				p.class = &f.classes[i]
			}
		}
	}
	needNS := false
	for _, p := range f.gateways {
		if p.gw != nil && gateway.NeedsNamespaceLabels(p.gw, gateway.AttachedSets(gateway.ListenerSetsOf(p.gw, f.allSets, gateway.Namespaces{}))) {
			needNS = true
		}
	}
	if needNS {
		f.namespaces = gateway.ReadNamespaces(ctx, client)
	}
	for _, p := range f.gateways {
		if p.gw == nil {
			continue
		}
		p.sets = gateway.ListenerSetsOf(p.gw, f.allSets, f.namespaces)
		merged := routing.MergeListeners(p.gw, gateway.AttachedSets(p.sets))
		// A listener conflicted by one before it in precedence is not
		// served.
		conflicted := map[string]bool{}
		for _, cf := range routing.MergedListenerConflicts(merged) {
			if cf.Precedence {
				conflicted[routing.ListenerLabel(cf.SetB, cf.B)] = true
			}
		}
		for _, m := range merged {
			if conflicted[m.Label()] {
				continue
			}
			l := m.Listener
			l.Name = gwv1.SectionName(m.Label())
			p.merged = append(p.merged, l)
		}
	}
	if n := listenerSetsNote(f); n != "" {
		f.notes = append(f.notes, n)
	}
	return f, nil
}

// listenerSetsNote says, when the ListenerSets of every namespace could
// not be listed and a parent Gateway admits ListenerSets, which permission
// is missing and what the parents' merged lists of listeners may miss;
// "" otherwise.
func listenerSetsNote(f *facts) string {
	if f.allSetsErr == nil {
		return ""
	}
	var admit []string
	for _, key := range slices.Sorted(maps.Keys(f.gateways)) {
		if p := f.gateways[key]; p.gw != nil && routing.AllowedListenersFrom(p.gw) != gwv1.NamespacesFromNone {
			admit = append(admit, fmt.Sprintf("gateway %s admits %s", key, routing.DescribeAllowedListeners(p.gw)))
		}
	}
	if len(admit) == 0 {
		return ""
	}
	missing := f.allSetsErr.Error()
	var fe *kube.ForbiddenError
	if errors.As(f.allSetsErr, &fe) {
		missing = "missing permission: " + fe.Permission.String()
	}
	read := "only the ListenerSets the route names were read"
	if f.allSetsScope != "" {
		read = fmt.Sprintf("only the ListenerSets of namespace %s and those the route names were read", f.allSetsScope)
	}
	return fmt.Sprintf("ListenerSets could not be listed (%s): %s; %s, so a listener another ListenerSet adds to the merged list (one that takes the request first or conflicts with the listener reached) may be missed",
		missing, strings.Join(admit, "; "), read)
}

// parentKey is the namespace/name of the Gateway a parentRef leads to:
// the Gateway it names, or the parent of the ListenerSet it names; "" for
// another kind of parent or a ListenerSet not read.
func (f *facts) parentKey(ref gwv1.ParentReference) string {
	if ns, name, ok := routing.ParentGateway(ref, f.route.Namespace); ok {
		return ns + "/" + name
	}
	if ns, name, ok := routing.ParentListenerSet(ref, f.route.Namespace); ok {
		if p := f.listenerSets[ns+"/"+name]; p != nil {
			return p.gwKey
		}
	}
	return ""
}

func readRoute(ctx context.Context, r gatewayapi.Reader, kind, ns, name string) (*gateway.Route, error) {
	switch kind {
	case TLSRoute:
		tr, err := r.TLSRoute(ctx, ns, name)
		if err != nil {
			return nil, err
		}
		rt := gateway.FromTLS(tr)
		return &rt, nil
	case TCPRoute:
		tr, err := r.TCPRoute(ctx, ns, name)
		if err != nil {
			return nil, err
		}
		rt := gateway.FromTCP(tr)
		return &rt, nil
	}
	if kind == GRPCRoute {
		gr, err := r.GRPCRoute(ctx, ns, name)
		if err != nil {
			return nil, err
		}
		rt := gateway.FromGRPC(gr)
		return &rt, nil
	}
	hr, err := r.HTTPRoute(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	rt := gateway.FromHTTP(hr)
	return &rt, nil
}

// readAll lists every route of the kind, or only ns's when listing every
// namespace is forbidden.
func readAll(ctx context.Context, r gatewayapi.Reader, kind, ns string) ([]gateway.Route, string, error) {
	read := func(scope string) ([]gateway.Route, error) {
		switch kind {
		case TLSRoute:
			l, err := r.TLSRoutes(ctx, scope)
			return gateway.StreamRoutes(l, nil), err
		case TCPRoute:
			l, err := r.TCPRoutes(ctx, scope)
			return gateway.StreamRoutes(nil, l), err
		}
		if kind == GRPCRoute {
			l, err := r.GRPCRoutes(ctx, scope)
			return gateway.Routes(nil, l), err
		}
		l, err := r.HTTPRoutes(ctx, scope)
		return gateway.Routes(l, nil), err
	}
	all, err := read(metav1.NamespaceAll)
	var fe *kube.ForbiddenError
	if err == nil || !errors.As(err, &fe) {
		return all, "", err
	}
	local, lerr := read(ns)
	if lerr != nil {
		return nil, "", err
	}
	return local, ns, err
}

func gatherNotFound(ctx context.Context, client kubernetes.Interface, f *facts) {
	var names []string
	for _, rt := range f.all {
		if rt.Namespace == f.namespace {
			names = append(names, rt.Name)
		} else if rt.Name == f.name {
			f.elsewhere = append(f.elsewhere, rt.Namespace)
		}
	}
	sort.Strings(f.elsewhere)
	f.similar = checks.SimilarNames(f.name, names, 3)
	_, err := client.CoreV1().Namespaces().Get(ctx, f.namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		f.namespaceErr = err
	}
}

// gatherBackends reads what the backends of the analysed rules need: the
// Services of their namespaces, their EndpointSlices and selected pods, and
// the ReferenceGrants of the namespaces referred to across namespaces.
func gatherBackends(ctx context.Context, c kube.Clients, r gatewayapi.Reader, f *facts, a *analysis) error {
	client := c.Typed
	f.services, f.servicesErr = map[string]map[string]*corev1.Service{}, map[string]error{}
	f.slices, f.slicesErr = map[string]map[string][]discoveryv1.EndpointSlice{}, map[string]error{}
	f.pods, f.grantsErr, f.serviceNames = map[string]podList{}, map[string]error{}, map[string][]string{}
	byNS := map[string][]string{}
	grantNS := map[string]bool{}
	for _, b := range a.backends {
		if !b.isService() {
			continue
		}
		if !contains(byNS[b.namespace], b.name) {
			byNS[b.namespace] = append(byNS[b.namespace], b.name)
		}
		if b.namespace != b.fromNamespace {
			grantNS[b.namespace] = true
		}
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for ns, names := range byNS {
		wg.Go(func() {
			list, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.servicesErr[ns] = kube.Read(kube.List("", "services", ns), err)
				return
			}
			m := map[string]*corev1.Service{}
			for i := range list.Items {
				m[list.Items[i].Name] = &list.Items[i]
				f.serviceNames[ns] = append(f.serviceNames[ns], list.Items[i].Name)
			}
			f.services[ns] = m
		})
		wg.Go(func() {
			s, err := service.ListEndpointSlices(ctx, client, ns, names)
			mu.Lock()
			defer mu.Unlock()
			f.slices[ns], f.slicesErr[ns] = s, err
		})
	}
	for ns := range grantNS {
		wg.Go(func() {
			list, err := r.ReferenceGrants(ctx, ns)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.grantsErr[ns] = err
				return
			}
			f.grants = append(f.grants, list...)
		})
	}
	wg.Wait()
	// The pods the backend Services select.
	for ns, names := range byNS {
		for _, name := range names {
			svc := f.services[ns][name]
			if svc == nil || len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
				continue
			}
			wg.Go(func() {
				list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
				pl := podList{err: kube.Read(kube.List("", "pods", ns), err)}
				if err == nil {
					pl.pods = list.Items
				}
				mu.Lock()
				f.pods[ns+"/"+name] = pl
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for _, errs := range []map[string]error{f.servicesErr, f.slicesErr, f.grantsErr} {
		for _, err := range errs {
			if err != nil && !kube.IsAPIAnswer(err) {
				return err
			}
		}
	}
	for _, pl := range f.pods {
		if pl.err != nil && !kube.IsAPIAnswer(pl.err) {
			return pl.err
		}
	}
	return nil
}

func splitKey(key string) (string, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
