package netpol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/flowtest"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// CommandTest is `netpol test`.
const CommandTest = "netpol test"

// maxBrokenFacts bounds the flows listed as facts of a failed test; Data
// has them all.
const maxBrokenFacts = 10

// TestRequest is `netpol test`: flow expectations, judged against the
// manifests (Manifests set) or the cluster.
type TestRequest struct {
	Tests []*flowtest.File
	// Namespace is the namespace of names when a file gives none.
	Namespace string
	// Manifests, when set, are the whole world (--local); Files name them
	// and Lenient only warns about policies the API server would reject.
	Manifests *manifest.Result
	Files     []string
	Lenient   bool
}

// RunTests judges every expectation. Against a cluster it reads the pods and
// policies of the namespaces the tests name, or of all namespaces when a
// test selects namespaces by label or names an address.
func RunTests(ctx context.Context, c kube.Clients, req TestRequest) (*report.Report, error) {
	var w *World
	if req.Manifests != nil {
		w = FromManifests(req.Files, req.Manifests)
		w.Lenient = req.Lenient
	} else {
		var err error
		if w, err = Gather(ctx, c.Typed, c.Dynamic, GatherRequest{ListPodsIn: testNamespaces(req)}); err != nil {
			return nil, err
		}
	}
	resolve := func(ns string, ref target.Ref) ([]policy.PodRef, error) {
		if ref.Kind == "pod" || !w.Cluster {
			// Offline a workload is the one pod the loader names after it.
			return []policy.PodRef{{Namespace: ns, Name: ref.Name}}, nil
		}
		sel, err := target.WorkloadSelector(ctx, c.Typed, ns, ref)
		if err != nil {
			return nil, err
		}
		return podsMatching(w, ns, sel)
	}
	return judgeTests(ctx, w, req, resolve)
}

// testNamespaces are the namespaces whose pods and policies the tests need;
// [""] (all) when one is chosen by labels or an address may be any pod's.
func testNamespaces(req TestRequest) []string {
	var out []string
	for _, f := range req.Tests {
		ns := cmpOr(f.Namespace, req.Namespace)
		for _, t := range f.Tests {
			for _, p := range []flowtest.Peer{t.From, t.To} {
				if _, isIP := p.Prefix(); isIP || p.NamespaceSelector != nil {
					return []string{""}
				}
				pns := ns
				if p.Namespace != "" {
					pns = p.Namespace
				} else if ref, err := target.Parse(p.Ref); err == nil && ref.Namespace != "" {
					pns = ref.Namespace
				}
				if !slices.Contains(out, pns) {
					out = append(out, pns)
				}
			}
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// workloadPods finds the pods of a workload reference in a namespace.
type workloadPods func(ns string, ref target.Ref) ([]policy.PodRef, error)

// judgeTests builds the report: what was read (NP002), then one NP013 check
// per expectation, in file order. A selection may expand to millions of
// flows: the context is looked at once per source, so Ctrl-C ends it.
func judgeTests(ctx context.Context, w *World, req TestRequest, workload workloadPods) (*report.Report, error) {
	var files []string
	for _, f := range req.Tests {
		files = append(files, f.Path)
	}
	rep := newReport(w, CommandTest, report.Object{Kind: "FlowTests", Name: strings.Join(files, ",")}, "Flow tests: "+strings.Join(files, ", "))
	pol := checkPolicies(w)
	rep.Add(pol)
	if w.ReadErr != nil {
		rep.Finish(checks.CouldNot("run the tests"))
		return rep, nil
	}
	j := &tester{ctx: ctx, w: w, workload: workload, prefixes: policyPrefixes(w.Snapshot)}
	failed, total := 0, 0
	for _, f := range req.Tests {
		ns := cmpOr(f.Namespace, req.Namespace)
		for _, t := range f.Tests {
			c := j.check(f.Path, ns, t)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if c.Status != report.Pass {
				failed++
			}
			total++
			rep.Add(c)
		}
	}
	rep.Finish(testsVerdict(failed, total))
	return rep, nil
}

// testsVerdict counts the failed tests before the first one's message.
func testsVerdict(failed, total int) report.Decide {
	settled := checks.Settled(fmt.Sprintf("All %d flow tests pass", total))
	return func(list []report.Check, def report.Verdict) report.Verdict {
		if def.Outcome == report.Problems && def.Code == string(checks.NPTest) {
			def.Message = fmt.Sprintf("%d of %d flow tests fail; first: %s", failed, total, def.Message)
			return def
		}
		return settled(list, def)
	}
}

// tester judges tests against one world.
type tester struct {
	ctx      context.Context
	w        *World
	workload workloadPods
	// prefixes are the address ranges the policies name, which cut an
	// expectation's CIDR into ranges judged alike.
	prefixes []netip.Prefix
}

// TestData is NP013's data: the expectation and the flows that break it.
type TestData struct {
	File   string `json:"file"`
	Name   string `json:"name"`
	From   string `json:"from"`
	To     string `json:"to"`
	Expect string `json:"expect"`
	// Flows counts the flows judged (pairs times ports).
	Flows int `json:"flows"`
	// Broken are the flows whose result is not the expected one.
	Broken []FlowResultData `json:"broken"`
	// Rules are the deciding rules of the flows that meet the
	// expectation, each once.
	Rules []string `json:"rules,omitempty"`
}

// FlowResultData is one judged flow.
type FlowResultData struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	PortName string `json:"portName,omitempty"`
	Protocol string `json:"protocol"`
	Result   string `json:"result"`
	Reason   string `json:"reason"`
}

// check (NP013) judges one expectation: every flow from every source to
// every destination on every port must have the expected result. An
// undecided flow breaks it (it cannot be proven), and so does a side that
// selects nothing (a test that checks nothing cannot fail).
func (j *tester) check(file, ns string, t flowtest.Test) report.Check {
	code := checks.NPTest
	data := TestData{File: file, Name: t.Name, From: t.From.String(), To: t.To.String(), Expect: string(t.Expect), Broken: []FlowResultData{}}
	fail := func(format string, args ...any) report.Check {
		c := code.New(report.Fail, "%s: "+format, append([]any{t.Name}, args...)...)
		c.Subject, c.Data = t.Name, data
		return c
	}
	srcs, notes, err := j.endpoints(ns, t.From)
	if err != nil {
		return fail("from: %v", err)
	}
	dsts, dstNotes, err := j.endpoints(ns, t.To)
	if err != nil {
		return fail("to: %v", err)
	}
	notes = append(notes, dstNotes...)
	want := policy.Denied
	if t.Expect == flowtest.Allowed {
		want = policy.Allowed
	}
	rules := map[string]bool{}
	for _, src := range srcs {
		if j.ctx.Err() != nil {
			return report.Check{} // the caller returns the context's error
		}
		for _, dst := range dsts {
			if src.IsPod() && dst.IsPod() && src.Pod == dst.Pod {
				continue // a pod to itself: not what a selection means
			}
			ports, err := j.ports(t, dst)
			if err != nil {
				return fail("%v", err)
			}
			for _, p := range ports {
				v := j.w.Engine.Evaluate(policy.Flow{Src: src, Dst: dst, Protocol: p.Protocol, Port: p.Port})
				data.Flows++
				if v.Result == want {
					rules[v.Reason] = true
					continue
				}
				data.Broken = append(data.Broken, FlowResultData{From: podText(src), To: podText(dst), Port: v.Port.Number,
					PortName: cmpOr(v.Port.Name, p.Name), Protocol: string(p.Protocol), Result: string(v.Result), Reason: v.Reason})
			}
		}
	}
	data.Rules = sortedKeys(rules)
	if data.Flows == 0 {
		return fail("no flow to judge: the only pods on both sides are the same pod")
	}
	var c report.Check
	if len(data.Broken) == 0 {
		c = code.New(report.Pass, "%s: met on %d flow(s)%s", t.Name, data.Flows, byRules(data.Rules))
	} else {
		c = code.New(report.Fail, "%s: expected %s, but %d of %d flow(s) are not; %s", t.Name, t.Expect, len(data.Broken), data.Flows, data.Broken[0].Reason)
		for i, b := range data.Broken {
			if i == maxBrokenFacts {
				c.Facts = append(c.Facts, report.Fact{Name: "broken", Value: fmt.Sprintf("and %d more (all in -o json)", len(data.Broken)-i)})
				break
			}
			c.Facts = append(c.Facts, report.Fact{Name: "broken", Value: b.Reason})
		}
	}
	c.Facts = append([]report.Fact{{Name: "test", Value: fmt.Sprintf("%s: from %s to %s, expect %s", file, data.From, data.To, t.Expect)}}, c.Facts...)
	for _, n := range notes {
		c.Facts = append(c.Facts, report.Fact{Name: "note", Value: n})
	}
	c.Subject, c.Data = t.Name, data
	return c
}

// byRules names the deciding rule when the flows share one.
func byRules(rules []string) string {
	switch len(rules) {
	case 0:
		return ""
	case 1:
		return "; " + rules[0]
	}
	return fmt.Sprintf("; %s (and %d other reasons, in -o json)", rules[0], len(rules)-1)
}

// endpoints expands a side of a test into engine endpoints, with notes on
// what was left out or assumed.
func (j *tester) endpoints(ns string, p flowtest.Peer) ([]policy.Endpoint, []string, error) {
	if prefix, ok := p.Prefix(); ok {
		addrs := sampleAddrs(prefix, j.prefixes)
		var notes []string
		if prefix.Bits() < prefix.Addr().BitLen() {
			notes = append(notes, fmt.Sprintf("%s is judged at %d address(es), one per range its policies treat alike; pods' addresses in it are judged as addresses outside the cluster (name pods to judge them as pods)", p.Ref, len(addrs)))
		}
		out := make([]policy.Endpoint, len(addrs))
		for i, a := range addrs {
			out[i] = policy.IPEndpoint(a)
		}
		return out, notes, nil
	}
	var pods []policy.PodRef
	if !p.IsSelection() {
		ref, err := target.Parse(p.Ref)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (or an IP address or CIDR)", err)
		}
		rns := cmpOr(ref.Namespace, ns)
		if pods, err = j.workload(rns, ref); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p.Ref, err)
		}
		if len(pods) == 0 {
			return nil, nil, fmt.Errorf("%s has no pods", p.Ref)
		}
		for _, pod := range pods {
			if j.w.Engine.Pod(pod) == nil {
				return nil, nil, fmt.Errorf("%s: pod %s not found", p.Ref, pod)
			}
		}
		return podEndpoints(pods), nil, nil
	}
	pods, notes, err := j.selection(ns, p)
	if err != nil {
		return nil, nil, err
	}
	if len(pods) == 0 {
		return nil, notes, fmt.Errorf("%s matches no pod: a test that checks nothing cannot fail", p)
	}
	return podEndpoints(pods), notes, nil
}

func podEndpoints(pods []policy.PodRef) []policy.Endpoint {
	out := make([]policy.Endpoint, len(pods))
	for i, p := range pods {
		out[i] = policy.PodEndpoint(p.Namespace, p.Name)
	}
	return out
}

// selection lists the pods a selection picks. hostNetwork and finished pods
// are left out, as in the matrix, and named in notes.
func (j *tester) selection(ns string, p flowtest.Peer) ([]policy.PodRef, []string, error) {
	nsLabels := j.namespaceLabels()
	var inNS func(string) bool
	var notes []string
	switch {
	case p.NamespaceSelector != nil:
		sel, err := metav1.LabelSelectorAsSelector(p.NamespaceSelector)
		if err != nil {
			return nil, nil, fmt.Errorf("namespaceSelector: %w", err)
		}
		inNS = func(n string) bool { return sel.Matches(labels.Set(nsLabels[n])) }
		if !j.w.Cluster {
			for n := range nsLabels {
				if j.w.assumedNamespace(n) {
					notes = append(notes, fmt.Sprintf("namespace %s is not declared in the manifests: the selection takes it to carry only kubernetes.io/metadata.name", n))
				}
			}
			slices.Sort(notes)
		}
	default:
		want := cmpOr(p.Namespace, ns)
		inNS = func(n string) bool { return n == want }
	}
	podSel := labels.Everything()
	if p.PodSelector != nil {
		var err error
		if podSel, err = metav1.LabelSelectorAsSelector(p.PodSelector); err != nil {
			return nil, nil, fmt.Errorf("podSelector: %w", err)
		}
	}
	var pods []policy.PodRef
	for _, ref := range j.w.Engine.Pods() {
		pod := j.w.Engine.Pod(ref)
		if !inNS(ref.Namespace) || !podSel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		if why := leftOutReason(pod); why != "" {
			notes = append(notes, fmt.Sprintf("%s left out (%s)", ref, why))
			continue
		}
		pods = append(pods, ref)
	}
	return pods, notes, nil
}

// leftOutReason says why a pod is not a source or destination of a
// selection: hostNetwork pods' traffic is their node's for most plugins, and
// finished pods send nothing.
func leftOutReason(p *corev1.Pod) string {
	switch {
	case p.Spec.HostNetwork:
		return "hostNetwork"
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return string(p.Status.Phase)
	}
	return ""
}

// namespaceLabels are the labels of every namespace of the world: declared
// ones as declared, the others (offline) with only their name label.
func (j *tester) namespaceLabels() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, n := range j.w.Snapshot.Namespaces {
		l := map[string]string{corev1.LabelMetadataName: n.Name}
		for k, v := range n.Labels {
			l[k] = v
		}
		out[n.Name] = l
	}
	for _, ref := range j.w.Engine.Pods() {
		if _, ok := out[ref.Namespace]; !ok {
			out[ref.Namespace] = map[string]string{corev1.LabelMetadataName: ref.Namespace}
		}
	}
	return out
}

// podsMatching lists the world's pods of a namespace that a label selector
// (a workload's) matches.
func podsMatching(w *World, ns, selector string) ([]policy.PodRef, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, fmt.Errorf("selector %q: %w", selector, err)
	}
	var out []policy.PodRef
	for _, ref := range w.Engine.Pods() {
		if ref.Namespace == ns && sel.Matches(labels.Set(w.Engine.Pod(ref).Labels)) {
			out = append(out, ref)
		}
	}
	return out, nil
}

// ports are the test's ports, else the destination's declared ones.
func (j *tester) ports(t flowtest.Test, dst policy.Endpoint) ([]Port, error) {
	proto := corev1.ProtocolTCP
	var keep corev1.Protocol
	if t.Protocol != "" {
		p, err := ParseProtocol(t.Protocol)
		if err != nil {
			return nil, fmt.Errorf("protocol: %w", err)
		}
		proto, keep = p, p
	}
	if len(t.Ports) == 0 {
		if !dst.IsPod() {
			return nil, errors.New("the destination is an address: give ports")
		}
		ports := declaredPortsToCheck(j.w.Engine.Pod(dst.Pod), keep)
		if len(ports) == 0 {
			return nil, fmt.Errorf("pod %s declares no port to check: give ports", dst.Pod)
		}
		return ports, nil
	}
	out := make([]Port, 0, len(t.Ports))
	for _, s := range t.Ports {
		p, err := ParsePort(s.String(), proto)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// policyPrefixes are the address ranges any policy of the snapshot names, of
// any kind: every string of a policy that reads as an address or a CIDR.
// Walking the objects generically keeps this right for every policy API the
// engine judges; a string that only looks like a range adds a boundary,
// which costs one more sample and never a wrong verdict.
func policyPrefixes(s policy.Snapshot) []netip.Prefix {
	var out []netip.Prefix
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if p, err := netip.ParsePrefix(x); err == nil {
				out = append(out, p.Masked())
			} else if a, err := netip.ParseAddr(x); err == nil && a.Zone() == "" {
				a = a.Unmap()
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	for _, obj := range []any{s.NetworkPolicies, s.AdminNetworkPolicies, s.BaselineAdminNetworkPolicy, s.ClusterNetworkPolicies, s.CiliumPolicies, s.CalicoPolicies} {
		b, err := json.Marshal(obj)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			walk(v)
		}
	}
	return out
}

// sampleAddrs cuts prefix at every boundary of the given ranges and returns
// the first address of each piece: inside a piece, every range either holds
// every address or none, so one address judges the whole piece.
func sampleAddrs(prefix netip.Prefix, ranges []netip.Prefix) []netip.Addr {
	lo, hi := prefix.Addr(), lastAddr(prefix)
	starts := []netip.Addr{lo}
	for _, r := range ranges {
		if r.Addr().BitLen() != lo.BitLen() || !r.Overlaps(prefix) {
			continue
		}
		if rlo := r.Addr(); rlo.Compare(lo) > 0 {
			starts = append(starts, rlo)
		}
		if rhi := lastAddr(r); rhi.Compare(hi) < 0 {
			starts = append(starts, rhi.Next())
		}
	}
	slices.SortFunc(starts, netip.Addr.Compare)
	return slices.Compact(starts)
}

// lastAddr is the highest address of a (masked) prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
