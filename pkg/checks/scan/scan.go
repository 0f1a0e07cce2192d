// Package scan runs every static check of the other procedures over
// everything in scope (each Service, each Ingress, the NetworkPolicies, and
// cluster DNS and the CNI once) and reports one check per finding code, with
// counts and the findings themselves, worst first. It reads each kind with
// one paged LIST and never GETs single objects, so the number of requests
// grows with the number of pages, not of objects.
//
// Memory is bounded by the largest namespace, not by the cluster: the
// namespaced kinds are streamed in the API server's key order and checked
// one namespace at a time (source.go, merge.go); only IngressClasses,
// NetworkPolicies and Namespaces are held whole.
package scan

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/dns"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Defaults of Request. Pages of 250 rather than kubectl's 500: a decoded
// page of pods is what the scan's memory peaks on (make bench).
const (
	DefaultPageSize    = 250
	DefaultMaxFindings = 50
)

// pagesAtOnce bounds the LIST pages the scan reads at the same time: a
// decoded page is several times its size on the wire, and is what the
// scan's memory peaks on; two keep a request in flight while the other's
// page is trimmed.
const pagesAtOnce = 2

// Request scopes the scan.
type Request struct {
	// Namespace to scan; "" scans every namespace.
	Namespace string
	// PageSize is the limit of each LIST page.
	PageSize int64
	// MaxFindings bounds the findings kept per code in the report's data
	// (the counts are always complete).
	MaxFindings int
	Now         func() time.Time
}

// Finding is one object with a problem: the Data of each code's check lists
// them.
type Finding struct {
	Code    string        `json:"code"`
	Status  report.Status `json:"status"`
	Object  report.Object `json:"object"`
	Message string        `json:"message"`
}

// CodeData is the Data of a scan check: how many objects the code found a
// problem in (Total), and the first of them.
type CodeData struct {
	Total    int       `json:"total"`
	Shown    int       `json:"shown"`
	Findings []Finding `json:"findings"`
}

// Scan reads the cluster and returns the report. It returns an error only
// when the API server cannot be reached.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	client := c.Typed
	if req.PageSize <= 0 {
		req.PageSize = DefaultPageSize
	}
	if req.MaxFindings <= 0 {
		req.MaxFindings = DefaultMaxFindings
	}
	if req.Now == nil {
		req.Now = time.Now
	}
	// The Gateway API, when the cluster serves it.
	var gw *gatewayapi.Reader
	api, err := gatewayapi.Discover(ctx, client)
	if err != nil {
		return nil, err
	}
	if api.Served() && c.Dynamic != nil {
		gw = &gatewayapi.Reader{API: api, Dynamic: c.Dynamic}
	}
	ctx, cancel := context.WithCancel(ctx)
	var (
		dnsF   *dns.Facts
		dnsErr error
		cniF   *cni.Facts
		cniErr error
		wg     sync.WaitGroup
	)
	src := newSources(client, gw, req.Namespace, pagesAtOnce)
	for _, s := range src.all() {
		wg.Go(func() { s.run(ctx, req.PageSize) })
	}
	wg.Go(func() { dnsF, dnsErr = dns.Gather(ctx, client, dns.Request{Now: req.Now, LogLines: 300}) })
	wg.Go(func() { cniF, cniErr = cni.Gather(ctx, client, cni.Request{Now: req.Now}) })
	defer func() {
		cancel() // stops the sources and gathers when the scan fails half way
		wg.Wait()
	}()

	cluster, err := readClusterObjects(ctx, c, gw, req.Namespace, req.PageSize)
	if err != nil {
		return nil, err
	}
	agg := newAggregator(req.MaxFindings)
	objs := newObjectScan(agg, cluster)
	pols := newPolicyScan(agg, cluster, req.Namespace == "")
	gws := newGatewayScan(agg, cluster, req.Namespace == "", req.Now())
	gws.start(req.Namespace)
	if err := merge(ctx, src, func(v *namespaceView) {
		objs.namespace(v)
		pols.namespace(v)
		gws.namespace(v)
	}); err != nil {
		return nil, err
	}
	// Every source has ended: their errors and counts are final.
	for _, s := range src.all() {
		if s.err != nil && !kube.IsAPIAnswer(s.err) {
			return nil, s.err
		}
	}
	objs.finish(src)
	pols.finish(src.pods)
	gws.finish(src)

	wg.Wait()
	for _, err := range []error{dnsErr, cniErr} {
		if err != nil {
			return nil, err
		}
	}
	agg.addCluster(dns.ClusterChecks(dnsF)...)
	policies := len(cluster.policies)
	if cluster.policiesErr != nil {
		policies = -1
	}
	agg.addCluster(cni.CheckPlugin(cniF), cni.CheckNodes(cniF), cni.CheckAgents(cniF),
		cni.CheckAgentLogs(cniF), cni.EnforcementCheck(cniF.Info, cniF.InfoErr, policies), cni.CheckKubeProxy(cniF))

	target := report.Object{Kind: "Cluster", Name: "all namespaces"}
	title := "Cluster scan (all namespaces)"
	if req.Namespace != "" {
		target = report.Object{Kind: "Namespace", Name: req.Namespace}
		title = "Cluster scan (namespace " + req.Namespace + ")"
	}
	rep := report.New("scan", target)
	rep.Title = title
	rep.Add(inventoryCheck(src, cluster, req.Namespace))
	rep.Add(agg.checks()...)
	rank(rep.Checks)
	rep.Finish(nil)
	return rep, nil
}

// rank orders checks worst first: fail, error, warn, skip, pass; within a
// status, the codes with the most findings first, then by code.
func rank(list []report.Check) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Status != b.Status {
			return a.Status.Worse(b.Status)
		}
		if ta, tb := total(a), total(b); ta != tb {
			return ta > tb
		}
		return a.Code < b.Code
	})
}

func total(c report.Check) int {
	if d, ok := c.Data.(CodeData); ok {
		return d.Total
	}
	return 0
}

func inventoryCheck(src *sources, cluster *clusterObjects, ns string) report.Check {
	code := checks.ScanInventory
	scope := "every namespace"
	if ns != "" {
		scope = "namespace " + ns
	}
	type kind struct {
		name string
		n    int
		err  error
	}
	var kinds []kind
	for _, s := range src.all() {
		kinds = append(kinds, kind{s.name, s.count, s.err})
	}
	kinds = append(kinds, kind{"ingressclasses", len(cluster.classes), cluster.classesErr},
		kind{"networkpolicies", len(cluster.policies), cluster.policiesErr})
	if ns == "" {
		kinds = append(kinds, kind{"namespaces", len(cluster.namespaces), cluster.namespacesErr})
	}
	if cluster.gwAPI != nil {
		kinds = append(kinds, kind{"gateways", len(cluster.gateways), cluster.gwErr})
		if cluster.gwAPI.Serves(gatewayapi.ReferenceGrants) {
			kinds = append(kinds, kind{"referencegrants", len(cluster.grants), cluster.grantsErr})
		}
		if cluster.gwAPI.Serves(gatewayapi.ListenerSets) {
			kinds = append(kinds, kind{"listenersets", len(cluster.sets), cluster.setsErr})
		}
	}
	var facts []report.Fact
	var unread []string
	var firstErr error
	for _, k := range kinds {
		v := fmt.Sprint(k.n)
		if k.err != nil {
			v = "not read: " + k.err.Error()
			unread = append(unread, k.name)
			if firstErr == nil {
				firstErr = k.err
			}
		}
		facts = append(facts, report.Fact{Name: k.name, Value: v})
	}
	var c report.Check
	if firstErr != nil {
		c = code.FromError(fmt.Sprintf("reading %v", unread), firstErr)
		if c.Status == report.Skip {
			c.Message = fmt.Sprintf("scanned %s without %v: %s", scope, unread, c.Message)
		}
	} else {
		c = code.New(report.Pass, "scanned %s: %d pods, %d services, %d ingresses, %d networkpolicies",
			scope, src.pods.count, src.services.count, src.ingresses.count, len(cluster.policies))
		if cluster.gwAPI != nil {
			routes := 0
			for _, r := range src.routes() {
				routes += r.count
			}
			c.Message += fmt.Sprintf(", %d gateways, %d routes", len(cluster.gateways), routes)
			if cluster.gwAPI.Serves(gatewayapi.ListenerSets) {
				c.Message += fmt.Sprintf(", %d listenersets", len(cluster.sets))
			}
		}
	}
	switch {
	case cluster.gwAPI == nil:
		facts = append(facts, report.Fact{Name: "Gateway API", Value: "not served by the cluster: no gateway or route to check"})
	case !cluster.gwAPI.Serves(gatewayapi.ListenerSets):
		facts = append(facts, report.Fact{Name: "listenersets", Value: "not served by the cluster: the gateways have only their own listeners"})
	case cluster.setsErr != nil:
		facts = append(facts, report.Fact{Name: "caveat", Value: "without the ListenerSets, the gateways' listener conflicts (GW007) are judged on their own listeners, and the parentRefs of routes that name a ListenerSet are not judged (RT002)"})
	case cluster.setsScope != "":
		facts = append(facts, report.Fact{Name: "caveat", Value: fmt.Sprintf("only the ListenerSets of namespace %s were read (those of every namespace may not be listed): the gateways' listener conflicts (GW007) leave out the others, and parentRefs naming them are not judged (RT002)", cluster.setsScope)})
	}
	c.Facts = append(facts, c.Facts...)
	return c
}
