package plugin_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// relReadRules are netdebug-reader's rules (README, RBAC) with secrets get.
var relReadRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "services", "events", "namespaces", "configmaps", "nodes", "secrets", "endpoints", "serviceaccounts"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies", "ingresses", "ingressclasses"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "statefulsets", "replicasets"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{"policy.networking.k8s.io"}, Resources: []string{"adminnetworkpolicies", "baselineadminnetworkpolicies"}, Verbs: []string{"get", "list"}},
}

// withoutResource drops one resource of the core group from rules.
func withoutResource(rules []rbacv1.PolicyRule, group, resource string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		r := *r.DeepCopy()
		if r.APIGroups[0] == group {
			var keep []string
			for _, res := range r.Resources {
				if res != resource {
					keep = append(keep, res)
				}
			}
			r.Resources = keep
		}
		out = append(out, r)
	}
	return out
}

// TestReliabilityRBAC runs every command as three restricted users:
//
//   - ns-reader: a Role with get/list on every resource of one namespace
//     only (subresources listed one by one: "*" would also grant get on
//     pods/exec, which WebSocket exec is authorized with);
//   - no-secrets: cluster-wide read-only without secrets;
//   - no-exec: cluster-wide read-only with secrets and the allow-all verbs,
//     but neither pods/exec nor pods/ephemeralcontainers.
//
// Whatever is refused must be a skip naming the verb and resource, the exit
// code must follow the verdict, and nothing crashes. A refused exec is
// refused by the API server before it would dial any kubelet (and rel-node's
// kubelet is 127.0.0.1:1 anyway).
func TestReliabilityRBAC(t *testing.T) {
	ns := "rel-rbac"
	relShop(t, ns, "10.88.1")
	c := ctx(t)

	nsRules := []rbacv1.PolicyRule{{APIGroups: []string{"", "apps", "batch", "discovery.k8s.io", "networking.k8s.io", "policy.networking.k8s.io"},
		Resources: []string{"pods", "pods/log", "services", "endpoints", "events", "configmaps", "secrets", "serviceaccounts", "endpointslices",
			"networkpolicies", "ingresses", "daemonsets", "deployments", "statefulsets", "replicasets", "jobs"},
		Verbs: []string{"get", "list"}}}
	must[*rbacv1.Role](t)(env.Client.RbacV1().Roles(ns).Create(c, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "rel-ns-reader"}, Rules: nsRules}, metav1.CreateOptions{}))
	must[*rbacv1.RoleBinding](t)(env.Client.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rel-ns-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "rel-ns-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "rel-ns-reader"}},
	}, metav1.CreateOptions{}))

	noExec := append(append([]rbacv1.PolicyRule{}, relReadRules...),
		rbacv1.PolicyRule{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"create", "delete"}})
	for name, rules := range map[string][]rbacv1.PolicyRule{
		"rel-no-secrets": withoutResource(relReadRules, "", "secrets"),
		"rel-no-exec":    noExec,
	} {
		must[*rbacv1.ClusterRole](t)(env.Client.RbacV1().ClusterRoles().Create(c, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}))
		must[*rbacv1.ClusterRoleBinding](t)(env.Client.RbacV1().ClusterRoleBindings().Create(c, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: "User", Name: name}},
		}, metav1.CreateOptions{}))
	}

	pcap := filepath.Join(t.TempDir(), "out.pcap")
	commands := [][]string{
		{"service", "web", "-n", ns},
		{"service", "web", "-n", ns, "--from", "client", "--probe", "exec"},
		{"dns"},
		{"ingress", "web", "-n", ns},
		{"cni"},
		{"pod", "client", "server", "-n", ns, "--probe", "none"},
		{"pod", "client", "server", "-n", ns, "--probe", "exec"},
		{"netpol", "server", "-n", ns},
		{"netpol", "client", "server", "-n", ns},
		{"netpol", "matrix", "-n", ns},
		{"netpol", "allow-all", "server", "-n", ns},
		{"capture", "server", "-n", ns, "-w", pcap, "--duration", "2s"},
		{"scan", "-n", ns},
		{"scan", "-A"},
	}
	type seen struct {
		forbidden []string // verb resource of each forbidden skip
		code      int
		stderr    string
	}
	results := map[string]map[string]seen{}
	cases := 0
	for _, user := range []string{"rel-ns-reader", "rel-no-secrets", "rel-no-exec"} {
		kubeconfig := must[string](t)(env.UserKubeconfig(user))
		results[user] = map[string]seen{}
		for _, args := range commands {
			cases++
			what := fmt.Sprintf("%s: %s", user, strings.Join(args, " "))
			if args[0] != "capture" {
				args = append(args, "-o", "json")
			}
			res := runAs(t, kubeconfig, args...)
			noCrash(t, what, res)
			s := seen{code: res.code, stderr: res.stderr}
			if r, ok := jsonReport(res.stdout); ok {
				reportRules(t, what, res, r)
				for _, ch := range r.Checks {
					if ch.Forbidden != nil {
						s.forbidden = append(s.forbidden, ch.Code+" "+ch.Forbidden.String())
					}
				}
			} else {
				if res.code != 2 {
					t.Errorf("%s: no report but exit %d\n%s", what, res.code, res.stdout)
				}
				if args[0] == "capture" {
					// capture may say what it started on stderr first;
					// the error that stopped it is the last line.
					lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
					oneLineError(t, what, result{stderr: lines[len(lines)-1]})
				} else {
					oneLineError(t, what, res)
				}
			}
			results[user][strings.Join(args, " ")] = s
			t.Logf("%s -> exit %d, forbidden %v, stderr %q", what, res.code, s.forbidden, strings.TrimSpace(res.stderr))
		}
	}
	t.Logf("%d RBAC cases (%d users x %d commands)", cases, 3, len(commands))

	// Specific expectations.
	has := func(user, args, want string) {
		t.Helper()
		s := results[user][args]
		for _, f := range s.forbidden {
			if strings.Contains(f, want) {
				return
			}
		}
		if strings.Contains(s.stderr, want) {
			return
		}
		t.Errorf("%s: %s: nothing names %q (forbidden %v, stderr %q)", user, args, want, s.forbidden, s.stderr)
	}
	j := " -o json"
	has("rel-no-secrets", "ingress web -n "+ns+j, "get secrets in namespace "+ns)
	has("rel-ns-reader", "dns"+j, "kube-system")
	has("rel-ns-reader", "cni"+j, "daemonsets")
	has("rel-ns-reader", "scan -A"+j, "SCAN001 list pods")
	has("rel-ns-reader", "scan -n "+ns+j, "list ingressclasses")
	for _, user := range []string{"rel-ns-reader", "rel-no-secrets", "rel-no-exec"} {
		has(user, "pod client server -n "+ns+" --probe exec"+j, "POD002 create pods/exec in namespace "+ns)
		has(user, "pod client server -n "+ns+" --probe exec"+j, "POD005 create pods/exec in namespace "+ns)
		has(user, "service web -n "+ns+" --from client --probe exec"+j, "SVC007 create pods/exec in namespace "+ns)
		has(user, "capture server -n "+ns+" -w "+pcap+" --duration 2s", `cannot update resource "pods/ephemeralcontainers"`)
	}
	// Refused every read, a scan has found nothing, not "no problem".
	if s := results["rel-ns-reader"]["scan -A"+j]; s.code != 2 {
		t.Errorf("rel-ns-reader: scan -A: exit %d, want 2 (nothing could be checked)", s.code)
	}
	// With exec refused, the static verdict still stands: client may reach
	// server on 8080, so nothing fails.
	if s := results["rel-no-exec"]["pod client server -n "+ns+" --probe exec"+j]; s.code != 0 {
		t.Errorf("rel-no-exec: pod --probe exec: exit %d, want 0 (exec skipped, policy allows)", s.code)
	}
}
