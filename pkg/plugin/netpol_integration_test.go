package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// The netpol tests use namespaces np-* and pod IPs 10.77.0.0/16, which no
// other test of the package uses: IPs are looked up across all namespaces.

var (
	npTCP     = corev1.ProtocolTCP
	npAPIPods = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}}
)

func npLabels(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func npPod(t *testing.T, ns, name, ip string, labels map[string]string, ports []corev1.ContainerPort) {
	t.Helper()
	must[*corev1.Pod](t)(testenv.CreatePod(ctx(t), env.Client, ns, testenv.Pod{Name: name, Labels: labels, Ports: ports, Node: "node-1", IP: ip, Ready: true}))
}

func npCreate(t *testing.T, ns string, np *networkingv1.NetworkPolicy) {
	t.Helper()
	np.Namespace = ns
	must[*networkingv1.NetworkPolicy](t)(env.Client.NetworkingV1().NetworkPolicies(ns).Create(ctx(t), np, metav1.CreateOptions{}))
}

// npIngress is a policy selecting app=<app> with one ingress rule.
func npIngress(name, app string, from []networkingv1.NetworkPolicyPeer, ports ...intstr.IntOrString) *networkingv1.NetworkPolicy {
	rule := networkingv1.NetworkPolicyIngressRule{From: from}
	for _, p := range ports {
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Protocol: &npTCP, Port: &p})
	}
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: npLabels("app", app)},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{rule},
		},
	}
}

func npPodPeer(app string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: npLabels("app", app)}}}
}

func npNSPeer(k, v string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: npLabels(k, v)}}}
}

// npShop is the shop of the netpol tests: api (http 8080, metrics 9090)
// isolated by allow-frontend (http from app=frontend) and allow-monitoring
// (9090 from namespaces team=monitoring, which ns-ops is not: a typo'd
// label); frontend and webapp are clients; ns-ops runs prometheus.
func npShop(t *testing.T, ns string, subnet string) {
	t.Helper()
	c := ctx(t)
	check(t, testenv.CreateNamespace(c, env.Client, ns, npLabels("team", "shop")))
	check(t, testenv.CreateNamespace(c, env.Client, ns+"-ops", npLabels("team", "ops")))
	npPod(t, ns, "api", subnet+".10", npLabels("app", "api"), npAPIPods)
	npPod(t, ns, "frontend", subnet+".11", npLabels("app", "frontend"), nil)
	npPod(t, ns, "webapp", subnet+".12", npLabels("app", "webapp"), nil)
	npPod(t, ns+"-ops", "prometheus", subnet+".20", npLabels("app", "prometheus"), []corev1.ContainerPort{{Name: "web", ContainerPort: 9090}})
	npCreate(t, ns, npIngress("allow-frontend", "api", npPodPeer("frontend"), intstr.FromString("http")))
	npCreate(t, ns, npIngress("allow-monitoring", "api", npNSPeer("team", "monitoring"), intstr.FromInt32(9090)))
}

// npFlows decodes NP005's data.
func npFlows(t *testing.T, r report.Report) []netpol.FlowData {
	t.Helper()
	var out []netpol.FlowData
	npRemarshal(t, checkByCode(t, r, "NP005").Data, &out)
	return out
}

// isTrue and isFalse read the "allowed" of a flow, which is absent (nil)
// when the flow is undecided.
func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func npRemarshal(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	check(t, err)
	check(t, json.Unmarshal(b, out))
}

func npExpect(t *testing.T, code int, goldenName string, args ...string) result {
	t.Helper()
	res := run(t, args...)
	if res.code != code {
		t.Fatalf("%v: exit %d, want %d\n%s%s", args, res.code, code, res.stdout, res.stderr)
	}
	if goldenName != "" {
		golden(t, goldenName, res.stdout)
	}
	return res
}

func TestNetpolDescribe(t *testing.T) {
	ns := "np-describe"
	npShop(t, ns, "10.77.1")
	npExpect(t, 0, "netpol-describe", "netpol", "api", "-n", ns)

	r := decode(t, npExpect(t, 0, "", "netpol", "api", "-n", ns, "-o", "json").stdout)
	if r.Command != "netpol" || r.Target.Kind != "Pod" || r.Target.Name != "api" {
		t.Errorf("command/target = %s %+v", r.Command, r.Target)
	}
	var in netpol.SideData
	npRemarshal(t, checkByCode(t, r, "NP003").Data, &in)
	if !in.Isolated || len(in.Policies) != 2 || in.Policies[0].Policy.Name != "allow-frontend" ||
		!strings.Contains(in.Policies[0].Rules[0].Text, `allows from pods app=frontend in namespace np-describe on TCP port named "http" (TCP 8080 on pod np-describe/api)`) {
		t.Errorf("NP003 data = %+v", in)
	}
	var out netpol.SideData
	npRemarshal(t, checkByCode(t, r, "NP004").Data, &out)
	if out.Isolated || len(out.Policies) != 0 {
		t.Errorf("NP004 data = %+v", out)
	}
	if cni := checkByCode(t, r, "CNI004"); cni.Status == report.Pass || cni.Status == report.Fail {
		t.Errorf("CNI004 on envtest (no network plugin) = %s %s", cni.Status, cni.Message)
	}

	res := run(t, "netpol", "nope", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stdout, "pod np-describe/nope does not exist") {
		t.Errorf("missing pod: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestNetpolFlow(t *testing.T) {
	ns := "np-flow"
	npShop(t, ns, "10.77.2")

	// Allowed: the exact rule, peer and port.
	npExpect(t, 0, "netpol-allowed", "netpol", "frontend", "api", "-n", ns, "--port", "8080")
	flows := npFlows(t, decode(t, npExpect(t, 0, "", "netpol", "frontend", "api", "-n", ns, "--port", "8080", "-o", "json").stdout))
	if len(flows) != 1 || !isTrue(flows[0].Allowed) || flows[0].Port != 8080 || flows[0].From != ns+"/frontend" || flows[0].To != ns+"/api" {
		t.Fatalf("flows = %+v", flows)
	}
	by := flows[0].Ingress.AllowedBy
	if len(by) != 1 || by[0].Policy.Name != "allow-frontend" || by[0].Rule != 0 || by[0].Peer != 0 || by[0].Port != 0 {
		t.Errorf("allowed by = %+v", by)
	}

	// Denied on a port no rule opens: closest miss first.
	npExpect(t, 1, "netpol-denied", "netpol", "frontend", "api", "-n", ns, "--port", "80")
	r := decode(t, npExpect(t, 1, "", "netpol", "frontend", "api", "-n", ns, "--port", "80", "-o", "json").stdout)
	flows = npFlows(t, r)
	if len(flows) != 1 || !isFalse(flows[0].Allowed) || flows[0].Result != "Denied" {
		t.Fatalf("flows = %+v", flows)
	}
	misses := flows[0].Ingress.Misses
	if len(misses) != 2 || misses[0].Policy.Name != "allow-frontend" || !misses[0].PeerMatched || misses[0].PortMatched ||
		misses[0].Reason != `rule 1 of np-flow/allow-frontend allows TCP port named "http" (TCP 8080 on pod np-flow/api), not TCP 80` {
		t.Errorf("misses = %+v", misses)
	}
	if r.Verdict.Code != "NP005" || !strings.Contains(r.Verdict.Message, "closest: rule 1 of np-flow/allow-frontend") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
	if in := checkByCode(t, r, "NP007"); in.Status != report.Fail || in.Next[0] != "kubectl -n np-flow get networkpolicy allow-frontend -o yaml" {
		t.Errorf("NP007 = %+v", in)
	}

	// Without --port: every port api declares; the metrics port is denied
	// to prometheus because of the namespace label.
	flows = npFlows(t, decode(t, npExpect(t, 1, "", "netpol", ns+"-ops/prometheus", ns+"/api", "-o", "json").stdout))
	if len(flows) != 2 || flows[0].Port != 8080 || flows[0].PortName != "http" || flows[1].Port != 9090 || !isFalse(flows[0].Allowed) || !isFalse(flows[1].Allowed) {
		t.Fatalf("declared ports = %+v", flows)
	}
	if m := flows[1].Ingress.Misses[0]; m.Policy.Name != "allow-monitoring" || !strings.Contains(m.Reason, "namespaceSelector team=monitoring does not match namespace np-flow-ops labels team=ops") {
		t.Errorf("closest miss on 9090 = %+v", m)
	}

	// A port named: resolved on the destination.
	flows = npFlows(t, decode(t, npExpect(t, 0, "", "netpol", "frontend", "api", "-n", ns, "--port", "http", "-o", "json").stdout))
	if len(flows) != 1 || flows[0].Port != 8080 || flows[0].PortName != "http" || !isTrue(flows[0].Allowed) {
		t.Errorf("named port = %+v", flows)
	}

	// A source given by its pod IP is judged as that pod.
	r = decode(t, npExpect(t, 0, "", "netpol", "10.77.2.11", ns+"/api", "--port", "8080", "-o", "json").stdout)
	if ep := checkByCode(t, r, "NP001"); !strings.Contains(ep.Message, "source IP 10.77.2.11: the IP of pod np-flow/frontend") {
		t.Errorf("NP001 = %s", ep.Message)
	}
	if flows = npFlows(t, r); flows[0].Egress.Pod != ns+"/frontend" || !isTrue(flows[0].Allowed) {
		t.Errorf("IP of a pod = %+v", flows[0])
	}

	// Nothing to check: a destination without declared ports.
	res := run(t, "netpol", "api", "webapp", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stderr, "pod np-flow/webapp declares no container port") || !strings.Contains(res.stderr, "--port") {
		t.Errorf("no ports: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "netpol", "frontend", "nope", "-n", ns, "--port", "80")
	if res.code != 2 || !strings.Contains(res.stdout, "destination") || !strings.Contains(res.stdout, "pod np-flow/nope does not exist") {
		t.Errorf("missing pod: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// An IP outside the pod network: allowed through an ipBlock, with the
// caveat that the source may be NATed on its way in.
func TestNetpolIPSource(t *testing.T) {
	ns := "np-ip"
	c := ctx(t)
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	npPod(t, ns, "api", "10.77.3.10", npLabels("app", "api"), npAPIPods)
	npCreate(t, ns, npIngress("from-partners", "api", []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24", Except: []string{"203.0.113.128/25"}}}}, intstr.FromInt32(8080)))

	npExpect(t, 0, "netpol-ip-source", "netpol", "203.0.113.7", "api", "-n", ns, "--port", "8080")
	r := decode(t, npExpect(t, 0, "", "netpol", "203.0.113.7", "api", "-n", ns, "--port", "8080", "-o", "json").stdout)
	flows := npFlows(t, r)
	if !isTrue(flows[0].Allowed) || flows[0].From != "203.0.113.7" || flows[0].Egress.DecidedBy != "NotAPod" || len(flows[0].Caveats) == 0 || flows[0].Caveats[0].Code != "ExternalIP" {
		t.Errorf("IP source = %+v", flows[0])
	}
	if fc := checkByCode(t, r, "NP005"); fc.Status != report.Warn {
		t.Errorf("NP005 with an external-IP caveat = %s, want warn", fc.Status)
	}
	// In the except: denied, and the miss says so.
	flows = npFlows(t, decode(t, npExpect(t, 1, "", "netpol", "203.0.113.200", "api", "-n", ns, "--port", "8080", "-o", "json").stdout))
	if m := flows[0].Ingress.Misses[0]; !strings.Contains(m.Reason, "ipBlock 203.0.113.0/24 contains 203.0.113.200 but except 203.0.113.128/25 excludes it") {
		t.Errorf("except miss = %+v", m)
	}
	// IPv6 destination of an IPv4-only pod: no connection can exist, and
	// ipBlocks are judged per family: undecided, saying why.
	flows = npFlows(t, decode(t, npExpect(t, 2, "", "netpol", "api", "2001:db8::1", "-n", ns, "--port", "443", "-o", "json").stdout))
	if flows[0].Result != "Undecided" || flows[0].To != "2001:db8::1" || !strings.Contains(flows[0].Reason, "the endpoints share no address family (pod np-ip/api is IPv4 only, IP 2001:db8::1 is IPv6 only)") {
		t.Errorf("IPv6 destination = %+v", flows[0])
	}
	res := run(t, "netpol", "api", "2001:db8::1", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stderr, "is an IP address, which declares no ports: pass --port") {
		t.Errorf("IP destination without --port: exit %d %s", res.code, res.stderr)
	}
}

func TestNetpolMatrix(t *testing.T) {
	ns := "np-matrix"
	npShop(t, ns, "10.77.4")
	npExpect(t, 0, "netpol-matrix", "netpol", "matrix", "-n", ns, "--port", "8080")

	r := decode(t, npExpect(t, 0, "", "netpol", "matrix", "-n", ns, "--port", "8080", "-o", "json").stdout)
	// NP008's rows: rows[s][p] has one code per destination d, the flow
	// from pods[s] to pods[d] on ports[p].
	var m struct {
		Pods  []string `json:"pods"`
		Ports []struct {
			Port     int32
			Protocol string
		} `json:"ports"`
		Rows [][]string `json:"rows"`
	}
	cells := func() map[string]byte {
		out := map[string]byte{}
		for s, row := range m.Rows {
			for p, codes := range row {
				if len(codes) != len(m.Pods) {
					t.Fatalf("row %d port %d: %q", s, p, codes)
				}
				for d := range len(codes) {
					if codes[d] != '-' {
						out[fmt.Sprintf("%s>%s:%s/%d", m.Pods[s], m.Pods[d], m.Ports[p].Protocol, m.Ports[p].Port)] = codes[d]
					}
				}
			}
		}
		return out
	}
	npRemarshal(t, checkByCode(t, r, "NP008").Data, &m)
	got := cells()
	if len(m.Pods) != 3 || len(got) != 9 {
		t.Fatalf("pods %v, %d cells: %v", m.Pods, len(got), got)
	}
	want := map[string]byte{
		"np-matrix/frontend>np-matrix/api": 'A', "np-matrix/webapp>np-matrix/api": 'D', "np-matrix/api>np-matrix/api": 'A',
		"np-matrix/api>np-matrix/webapp": 'A',
	}
	for k, w := range want {
		if c := got[k+":TCP/8080"]; c != w {
			t.Errorf("%s on TCP 8080 = %q, want %q", k, c, w)
		}
	}

	// Declared ports: api is checked on 8080 and 9090, the others declare
	// none; prometheus is in another namespace, out of scope.
	r = decode(t, npExpect(t, 0, "", "netpol", "matrix", "-n", ns, "-o", "json").stdout)
	npRemarshal(t, checkByCode(t, r, "NP008").Data, &m)
	if got := cells(); len(got) != 6 {
		t.Errorf("declared-port cells = %d, want 3 sources x 2 ports of api: %v", len(got), got)
	}
	res := run(t, "netpol", "matrix", "-n", ns, "-A")
	if res.code != 2 {
		t.Errorf("-n with -A: exit %d", res.code)
	}
	res = run(t, "netpol", "matrix", "-n", ns, "--max-pods", "2")
	if res.code != 2 || !strings.Contains(res.stderr, "more than --max-pods 2") {
		t.Errorf("--max-pods: exit %d %s", res.code, res.stderr)
	}
}

func TestNetpolWhatIf(t *testing.T) {
	ns := "np-whatif"
	npShop(t, ns, "10.77.5")
	// The fix: select the ops namespace (the file has no namespace: -n).
	file := "testdata/netpol/whatif-ops.yaml"
	npExpect(t, 0, "netpol-whatif", "netpol", ns+"-ops/prometheus", ns+"/api", "--port", "9090", "-n", ns, "--what-if", "-f", file)
	r := decode(t, npExpect(t, 0, "", "netpol", ns+"-ops/prometheus", ns+"/api", "--port", "9090", "-n", ns, "--what-if", "-f", file, "-o", "json").stdout)
	flows := npFlows(t, r)
	if !isTrue(flows[0].Allowed) || flows[0].Before != "Denied" {
		t.Errorf("what-if flow = %+v", flows[0])
	}
	var changes []netpol.FlowChangeData
	npRemarshal(t, checkByCode(t, r, "NP009").Data, &changes)
	if len(changes) != 1 || changes[0].Before != "Denied" || changes[0].After != "Allowed" || changes[0].Port != 9090 {
		t.Errorf("changes = %+v", changes)
	}
	// The cluster was not changed.
	npExpect(t, 1, "", "netpol", ns+"-ops/prometheus", ns+"/api", "--port", "9090", "-n", ns)

	// Matrix: a default deny cuts the flows into the namespace; a change
	// fails the run (exit 1) unless --allow-changes.
	deny := "testdata/netpol/whatif-default-deny.yaml"
	npExpect(t, 1, "netpol-whatif-matrix", "netpol", "matrix", "-n", ns, "--port", "8080", "--what-if", "-f", deny)
	npExpect(t, 0, "", "netpol", "matrix", "-n", ns, "--port", "8080", "--what-if", "-f", deny, "--allow-changes")
	r = decode(t, npExpect(t, 1, "", "netpol", "matrix", "-n", ns, "--port", "8080", "--what-if", "-f", deny, "-o", "json").stdout)
	npRemarshal(t, checkByCode(t, r, "NP009").Data, &changes)
	got := map[string]string{}
	for _, ch := range changes {
		got[ch.From+">"+ch.To] = ch.Before + ">" + ch.After
	}
	wantChanges := map[string]string{
		"np-whatif/api>np-whatif/frontend":    "Allowed>Denied",
		"np-whatif/api>np-whatif/webapp":      "Allowed>Denied",
		"np-whatif/frontend>np-whatif/webapp": "Allowed>Denied",
		"np-whatif/webapp>np-whatif/frontend": "Allowed>Denied",
	}
	if len(got) != len(wantChanges) {
		t.Errorf("changes = %v, want %v", got, wantChanges)
	}
	for k, v := range wantChanges {
		if got[k] != v {
			t.Errorf("change %s = %q, want %q", k, got[k], v)
		}
	}
}

// TestNetpolLocalNodesPeer: an AdminNetworkPolicy nodes peer is judged by
// the Nodes given (their labels and addresses); without them, or for an
// address no Node lists, it stays undecided.
func TestNetpolLocalNodesPeer(t *testing.T) {
	noCluster := "/nonexistent/kubeconfig"
	for _, tc := range []struct {
		dst, files string
		code       int
		want       string
	}{
		{"192.168.10.1", "testdata/netpol-nodes", 1, "Denied: pod shop/web -> IP 192.168.10.1 on TCP 10250"},
		{"192.168.10.9", "testdata/netpol-nodes", 0, "Allowed on TCP 10250"},
		{"192.168.10.50", "testdata/netpol-nodes", 2, "is not an address any Node lists"},
		{"192.168.10.9", "testdata/netpol-nodes/cluster.yaml", 2, "the Nodes are not known"},
	} {
		res := runAs(t, noCluster, "netpol", "shop/web", tc.dst, "--port", "10250", "--local", "-f", tc.files)
		if res.code != tc.code || !strings.Contains(res.stdout, tc.want) {
			t.Errorf("%s with %s: exit %d, want %d and %q\n%s%s", tc.dst, tc.files, res.code, tc.code, tc.want, res.stdout, res.stderr)
		}
	}
}

// TestNetpolLocalInvalidPolicies: offline, policies the API server would
// reject (a quoted port number, an except equal to its cidr, a baseline
// Pass) are reported, each with its field and rule, and not used: web may
// reach api although each of them would deny it.
func TestNetpolLocalInvalidPolicies(t *testing.T) {
	noCluster := "/nonexistent/kubeconfig"
	args := []string{"netpol", "shop/web", "shop/api", "--local", "-f", "testdata/netpol-invalid"}
	want := []string{
		`NetworkPolicy shop/api-quoted-port ignored: the API server would reject it: spec.ingress[0].ports[0].port: Invalid value: "8080": must contain at least one letter (a-z)`,
		`NetworkPolicy shop/api-except-everything ignored: the API server would reject it: spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "0.0.0.0/0": must be a strict subset of ` + "`cidr`",
		`BaselineAdminNetworkPolicy default ignored: the API server would reject it: spec.ingress[0].action: Unsupported value: "Pass": supported values: "Allow", "Deny"`,
	}
	facts := func(np2 report.Check, name string) []string {
		var out []string
		for _, f := range np2.Facts {
			if f.Name == name {
				out = append(out, f.Value)
			}
		}
		return out
	}
	check := func(got []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("facts %q, want %q", got, want)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) || !strings.Contains(got[i], "(testdata/netpol-invalid/") {
				t.Errorf("fact:\n got %q\nwant %q... (file, document)", got[i], want[i])
			}
		}
	}

	// Strict by default: the manifests would not apply, so the run fails.
	res := runAs(t, noCluster, args...)
	if res.code != 1 || !strings.Contains(res.stdout, "3 polic(ies) the API server would reject") || !strings.Contains(res.stdout, "--lenient") {
		t.Fatalf("strict: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	r := decode(t, runAs(t, noCluster, append(args, "-o", "json")...).stdout)
	if np2 := checkByCode(t, r, "NP002"); np2.Status != report.Fail {
		t.Errorf("strict NP002 = %+v", np2)
	} else {
		check(facts(np2, "rejected"))
	}

	// --lenient: judged without them, with a warning.
	res = runAs(t, noCluster, append(args, "--lenient")...)
	if res.code != 0 || !strings.Contains(res.stdout, "Allowed on TCP 8080") || !strings.Contains(res.stdout, "warning: ") {
		t.Fatalf("lenient: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	r = decode(t, runAs(t, noCluster, append(args, "--lenient", "-o", "json")...).stdout)
	if f := npFlows(t, r); len(f) != 1 || f[0].Result != "Allowed" || !isTrue(f[0].Allowed) {
		t.Errorf("flows = %+v", f)
	}
	np2 := checkByCode(t, r, "NP002")
	if np2.Status != report.Warn {
		t.Fatalf("lenient NP002 = %+v", np2)
	}
	check(facts(np2, "ignored"))

	// --lenient means nothing against a cluster.
	if res := run(t, "netpol", "shop/web", "shop/api", "--lenient"); res.code != 2 || !strings.Contains(res.stderr, "--lenient is for --local") {
		t.Errorf("--lenient without --local: exit %d %s", res.code, res.stderr)
	}
}

// Offline: no cluster, no kubeconfig (the path does not exist).
func TestNetpolLocal(t *testing.T) {
	noCluster := "/nonexistent/kubeconfig"
	files := []string{"--local", "-f", "testdata/netpol/shop.yaml", "-f", "testdata/netpol/policies.yaml"}
	res := runAs(t, noCluster, append([]string{"netpol", "shop/frontend", "shop/api"}, files...)...)
	if res.code != 1 || res.stderr != "" {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "netpol-local-flow", res.stdout)
	res = runAs(t, noCluster, append([]string{"netpol", "shop/api"}, files...)...)
	if res.code != 0 {
		t.Fatalf("describe: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "netpol-local-describe", res.stdout)
	res = runAs(t, noCluster, append([]string{"netpol", "matrix", "-o", "json"}, files...)...)
	r := decode(t, res.stdout)
	if res.code != 0 {
		t.Fatalf("matrix: exit %d\n%s", res.code, res.stderr)
	}
	for _, c := range r.Checks {
		if c.Code == "CNI004" {
			t.Errorf("CNI004 in an offline report")
		}
	}
	if f := checkByCode(t, r, "NP010"); f.Status != report.Warn || !strings.Contains(f.Facts[0].Value, "namespaceSelector team=monitoring matches no namespace") {
		t.Errorf("NP010 = %+v", f)
	}
	// A directory, read recursively (-R), with a malformed document: exit
	// 2, the file and document named, nothing on stdout. Without -R, the
	// subfolder holding it is not read, as with kubectl.
	res = runAs(t, noCluster, "netpol", "shop/frontend", "shop/api", "--local", "-f", "testdata/netpol")
	if res.code != 1 {
		t.Errorf("without -R: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runAs(t, noCluster, "netpol", "shop/frontend", "shop/api", "--local", "-R", "-f", "testdata/netpol")
	if res.code != 2 || res.stdout != "" || !strings.Contains(res.stderr, "testdata/netpol/bad/typo.yaml: document 2: NetworkPolicy: unknown field \"spec.podSelecter\"") {
		t.Errorf("malformed: exit %d\nstdout %q\nstderr %q", res.code, res.stdout, res.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"netpol", "a", "b", "--local"}, "pass -f FILE"},
		{[]string{"netpol", "a", "b", "--local", "--what-if", "-f", "x.yaml"}, "give the base with -f before --what-if"},
		{[]string{"netpol", "a", "b", "--local", "-f", "x.yaml", "-k", "dir"}, "give -f or -k, not both"},
		{[]string{"netpol", "a", "b", "--local", "-k", "a", "-k", "b"}, "-k builds one kustomization"},
		{[]string{"netpol", "a", "b", "--local", "-f", "x.yaml", "--what-if", "-k", "a", "-k", "b"}, "-k builds one kustomization after --what-if"},
		{[]string{"netpol", "a", "b", "--local", "-k", "a", "-R"}, "-R reads the subdirectories of -f directories"},
		{[]string{"netpol", "a", "b", "--local", "-f", "testdata/netpol/missing.yaml"}, "missing.yaml: no such file"},
		{[]string{"netpol", "a", "b", "--local", "-f", "x.yaml", "--port", "70000"}, "out of range"},
		{[]string{"netpol", "a", "b", "--local", "-f", "x.yaml", "--port", "80/icmp"}, "use TCP, UDP or SCTP"},
		{[]string{"netpol", "a", "b", "--local", "-f", "x.yaml", "--port", ""}, "--port is empty"},
		{[]string{"netpol", "a", "b", "--local", "-f", "x.yaml", "--port", "53/udp", "--protocol", "TCP"}, "--port 53/udp names protocol UDP but --protocol is TCP"},
		{[]string{"netpol", "a", "--local", "-f", "x.yaml", "--port", "80"}, "give SRC and DST"},
		{[]string{"netpol", "10.0.0.1", "--local", "-f", "x.yaml"}, "is an IP address"},
		{[]string{"netpol", "a", "b", "c"}, "netpol takes one or two arguments: POD, or SRC DST"},
	} {
		res := runAs(t, noCluster, tc.args...)
		if res.code != 2 || !strings.HasPrefix(res.stderr, "error: ") || strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one error line with %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	if res := run(t, "netpol", "a", "b", "-f", "x.yaml"); res.code != 2 || !strings.Contains(res.stderr, "-f and -k are for --local") {
		t.Errorf("-f alone: exit %d %q", res.code, res.stderr)
	}
}

// runCtx runs the command tree with a context the test controls (Ctrl-C).
func runCtx(t *testing.T, c context.Context, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := plugin.Config{
		Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv:  func(string) string { return "" },
		Now:     func() time.Time { return now },
	}
	code := plugin.Execute(c, cfg, append([]string{"--kubeconfig", env.Kubeconfig}, args...))
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func npPolicies(t *testing.T, ns string) []string {
	t.Helper()
	list := must[*networkingv1.NetworkPolicyList](t)(env.Client.NetworkingV1().NetworkPolicies(ns).List(ctx(t), metav1.ListOptions{}))
	var names []string
	for _, np := range list.Items {
		names = append(names, np.Name)
	}
	return names
}

func TestNetpolAllowAllDryRun(t *testing.T) {
	ns := "np-allow-dry"
	check(t, testenv.CreateNamespace(ctx(t), env.Client, ns, nil))
	web := npLabels("app", "web", "tier", "front")
	npPod(t, ns, "web-1", "10.77.6.11", web, nil)
	npPod(t, ns, "web-2", "10.77.6.12", web, nil)
	npPod(t, ns, "bare", "10.77.6.13", nil, nil)

	npExpect(t, 0, "netpol-allow-all-dry-run", "netpol", "allow-all", "web-1", "-n", ns)
	if got := npPolicies(t, ns); len(got) != 0 {
		t.Errorf("dry run created %v", got)
	}
	r := decode(t, npExpect(t, 0, "", "netpol", "allow-all", "web-1", "-n", ns, "-o", "json").stdout)
	var d netpol.AllowAllData
	npRemarshal(t, checkByCode(t, r, "NP011").Data, &d)
	if !d.DryRun || d.Policy.Name != "netdebug-allow-all-web-1" || len(d.AlsoSelected) != 1 || d.AlsoSelected[0] != "web-2" ||
		d.Policy.Annotations[netpol.AnnotationExpiresAt] != "2026-11-27T12:05:00Z" || d.Policy.Labels[netpol.LabelManagedBy] != "kubectl-netdebug" {
		t.Errorf("dry run data = %+v", d)
	}
	res := run(t, "netpol", "allow-all", "bare", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stderr, "has no labels") {
		t.Errorf("pod without labels: exit %d %s", res.code, res.stderr)
	}
	for _, ttl := range []string{"0s", "2h"} {
		if res := run(t, "netpol", "allow-all", "web-1", "-n", ns, "--ttl", ttl); res.code != 2 {
			t.Errorf("--ttl %s: exit %d", ttl, res.code)
		}
	}
}

func TestNetpolAllowAllApply(t *testing.T) {
	ns := "np-allow-apply"
	check(t, testenv.CreateNamespace(ctx(t), env.Client, ns, nil))
	npPod(t, ns, "api", "10.77.7.10", npLabels("app", "api"), npAPIPods)
	name := "netdebug-allow-all-api"

	// The policy exists while the test runs, and is gone when the TTL ends.
	var wg sync.WaitGroup
	var res result
	wg.Go(func() { res = runCtx(t, ctx(t), "netpol", "allow-all", "api", "-n", ns, "--apply", "--ttl", "2s") })
	seen := npWaitFor(t, ns, name, true, 5*time.Second)
	wg.Wait()
	if !seen {
		t.Errorf("the policy never existed during the test")
	}
	if res.code != 0 || !strings.Contains(res.stdout, "then was deleted (the TTL of 2s ended)") || !strings.Contains(res.stderr, "created networkpolicy np-allow-apply/netdebug-allow-all-api") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if got := npPolicies(t, ns); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
	golden(t, "netpol-allow-all-apply", res.stdout)
	if want := "deleted networkpolicy np-allow-apply/netdebug-allow-all-api\n"; !strings.HasSuffix(res.stderr, want) {
		t.Errorf("progress on stderr = %q, want it to end with %q", res.stderr, want)
	}

	// Ctrl-C: the command's context is cancelled; the policy is deleted all
	// the same.
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg.Go(func() {
		res = runCtx(t, c, "netpol", "allow-all", "api", "-n", ns, "--apply", "--ttl", "1m", "-o", "json")
	})
	if !npWaitFor(t, ns, name, true, 5*time.Second) {
		t.Fatalf("the policy was not created")
	}
	created := must[*networkingv1.NetworkPolicy](t)(env.Client.NetworkingV1().NetworkPolicies(ns).Get(ctx(t), name, metav1.GetOptions{}))
	if created.Annotations[netpol.AnnotationExpiresAt] != "2026-11-27T12:01:00Z" || len(created.Spec.Ingress) != 1 || len(created.Spec.Egress) != 1 ||
		created.Spec.PodSelector.MatchLabels["app"] != "api" || len(created.Spec.PolicyTypes) != 2 {
		t.Errorf("created policy = %+v", created)
	}
	cancel()
	wg.Wait()
	r := decode(t, res.stdout)
	var d netpol.AllowAllData
	npRemarshal(t, checkByCode(t, r, "NP011").Data, &d)
	if res.code != 0 || d.Ended != "interrupted" || d.Deleted == "" {
		t.Errorf("interrupted: exit %d %+v\n%s", res.code, d, res.stderr)
	}
	if got := npPolicies(t, ns); len(got) != 0 {
		t.Errorf("left behind after Ctrl-C: %v", got)
	}
}

// npWaitFor polls until the policy exists (or is gone).
func npWaitFor(t *testing.T, ns, name string, exists bool, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := env.Client.NetworkingV1().NetworkPolicies(ns).Get(ctx(t), name, metav1.GetOptions{})
		if (err == nil) == exists {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func TestNetpolCleanup(t *testing.T) {
	ns := "np-cleanup"
	check(t, testenv.CreateNamespace(ctx(t), env.Client, ns, nil))
	leftover := func(name, expires string) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name,
				Labels:      npLabels(netpol.LabelManagedBy, netpol.ManagedBy, netpol.LabelPurpose, netpol.PurposeAllowAll),
				Annotations: npLabels(netpol.AnnotationExpiresAt, expires)},
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, Ingress: []networkingv1.NetworkPolicyIngressRule{{}}},
		}
	}
	npCreate(t, ns, leftover("netdebug-allow-all-old", "2026-11-27T11:00:00Z"))   // expired an hour before now
	npCreate(t, ns, leftover("netdebug-allow-all-fresh", "2026-11-27T12:03:00Z")) // expires in 3m
	npCreate(t, ns, npIngress("keep-me", "api", nil))                             // not netdebug's

	res := npExpect(t, 0, "netpol-cleanup", "netpol", "cleanup", "-n", ns)
	if got := strings.Join(npPolicies(t, ns), ","); got != "keep-me,netdebug-allow-all-fresh" {
		t.Errorf("after cleanup: %s\n%s", got, res.stdout)
	}
	npExpect(t, 0, "", "netpol", "cleanup", "-n", ns, "--all")
	if got := strings.Join(npPolicies(t, ns), ","); got != "keep-me" {
		t.Errorf("after cleanup --all: %s", got)
	}
}

// A user who may read pods and namespaces but not NetworkPolicies gets no
// verdict (it could wrongly say allowed): exit 2, the permission named. The
// same user may not create policies: allow-all --apply refuses.
func TestNetpolRBAC(t *testing.T) {
	ns := "np-rbac"
	npShop(t, ns, "10.77.8")
	c := ctx(t)
	must[*rbacv1.ClusterRole](t)(env.Client.RbacV1().ClusterRoles().Create(c, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "np-pods-only"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "namespaces"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"apps"}, Resources: []string{"daemonsets"}, Verbs: []string{"list"}},
		},
	}, metav1.CreateOptions{}))
	must[*rbacv1.ClusterRoleBinding](t)(env.Client.RbacV1().ClusterRoleBindings().Create(c, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "np-pods-only"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "np-pods-only"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "np-reader"}},
	}, metav1.CreateOptions{}))
	kubeconfig := must[string](t)(env.UserKubeconfig("np-reader"))

	res := runAs(t, kubeconfig, "netpol", "frontend", "api", "-n", ns, "--port", "8080")
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "netpol-rbac", res.stdout)
	r := decode(t, runAs(t, kubeconfig, "netpol", "frontend", "api", "-n", ns, "--port", "8080", "-o", "json").stdout)
	pol := checkByCode(t, r, "NP002")
	if pol.Status != report.Skip || pol.Forbidden == nil || pol.Forbidden.Verb != "list" || pol.Forbidden.Resource != "networkpolicies" || pol.Forbidden.Namespace != ns {
		t.Errorf("NP002 = %+v", pol)
	}
	if r.Verdict.Outcome != report.Incomplete {
		t.Errorf("verdict = %+v", r.Verdict)
	}
	res = runAs(t, kubeconfig, "netpol", "allow-all", "api", "-n", ns, "--apply", "--ttl", "2s")
	if res.code != 2 || !strings.Contains(res.stdout, "not allowed to delete networkpolicies.networking.k8s.io in namespace np-rbac") {
		t.Errorf("allow-all without permission: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if got := npPolicies(t, ns); len(got) != 2 {
		t.Errorf("policies after a refused allow-all: %v", got)
	}
	res = runAs(t, kubeconfig, "netpol", "cleanup", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stdout, "not allowed to list networkpolicies.networking.k8s.io in namespace np-rbac") {
		t.Errorf("cleanup without permission: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
