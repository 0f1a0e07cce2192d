package policyfetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// One real kube-apiserver + etcd for the package, started by the first test
// that needs it (the other tests use fakes), with the CRDs of the policy
// APIs installed: ClusterNetworkPolicy from the network-policy-api module,
// small stand-ins for Cilium's and Calico's from testdata/crds.
var (
	envOnce sync.Once
	env     *testenv.Env
	envErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}
	os.Exit(code)
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// cluster returns the shared control plane.
func cluster(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() {
		if env, envErr = testenv.Start(); envErr != nil {
			return
		}
		ctx, cancel := testenv.Context()
		defer cancel()
		var files []string
		if files, envErr = crdFiles(); envErr == nil {
			envErr = installCRDs(ctx, env, files)
		}
	})
	if envErr != nil {
		t.Fatalf("control plane for the integration tests: %v", envErr)
	}
	return env
}

// crdFiles are the ClusterNetworkPolicy CRD of the pinned module and the
// stand-ins of testdata/crds.
func crdFiles() ([]string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/network-policy-api").Output()
	if err != nil {
		return nil, fmt.Errorf("finding the network-policy-api module: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	files := []string{filepath.Join(dir, "config", "crd", "standard", "policy.networking.k8s.io_clusternetworkpolicies.yaml")}
	local, err := filepath.Glob(filepath.Join("testdata", "crds", "*.yaml"))
	return append(files, local...), err
}

func installCRDs(ctx context.Context, e *testenv.Env, files []string) error {
	dyn, err := dynamic.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			if _, err := dyn.Resource(crdGVR).Create(ctx, &u, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("%s: creating CRD %s: %w", f, u.GetName(), err)
			}
		}
	}
	client, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	return waitFor(ctx, client, func(a *apis) bool {
		return a.cnp == cnpBeta && len(a.unjudged) == 4 && !a.tiers.Empty() // Staged kinds are not policies
	})
}

// waitFor polls discovery until ok holds: the API server serves a new or
// changed CRD a moment after accepting it.
func waitFor(ctx context.Context, client kubernetes.Interface, ok func(*apis) bool) error {
	var last *apis
	for {
		a, err := discover(client)
		if err == nil && ok(a) {
			return nil
		}
		if a != nil {
			last = a
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("discovery did not show the expected APIs (last: %+v, error %v)", last, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type envClients struct {
	typed kubernetes.Interface
	dyn   dynamic.Interface
}

// as returns clients acting as user (impersonated by the admin), or the
// admin's when user is empty.
func as(t *testing.T, e *testenv.Env, user string) envClients {
	t.Helper()
	cfg := rest.CopyConfig(e.Config)
	if user != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return envClients{typed, dyn}
}

func ctx(t *testing.T) context.Context {
	c, cancel := testenv.Context()
	t.Cleanup(cancel)
	return c
}

func create(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, obj map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	var err error
	if ns := u.GetNamespace(); ns != "" {
		_, err = dyn.Resource(gvr).Namespace(ns).Create(ctx(t), u, metav1.CreateOptions{})
	} else {
		_, err = dyn.Resource(gvr).Create(ctx(t), u, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("creating %s %s: %v", gvr.Resource, u.GetName(), err)
	}
	// The API server is shared by the tests: a policy left behind
	// (cluster-scoped ones select pods of every namespace) would change
	// the verdicts of the next test.
	t.Cleanup(func() {
		var err error
		if ns := u.GetNamespace(); ns != "" {
			err = dyn.Resource(gvr).Namespace(ns).Delete(context.Background(), u.GetName(), metav1.DeleteOptions{})
		} else {
			err = dyn.Resource(gvr).Delete(context.Background(), u.GetName(), metav1.DeleteOptions{})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s %s: %v", gvr.Resource, u.GetName(), err)
		}
	})
}

func object(apiVersion, kind, ns, name string) map[string]any {
	meta := map[string]any{"name": name}
	if ns != "" {
		meta["namespace"] = ns
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta, "spec": map[string]any{}}
}

func namespaces(t *testing.T, c kubernetes.Interface, names ...string) {
	t.Helper()
	for _, ns := range names {
		if err := testenv.CreateNamespace(ctx(t), c, ns, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// podIn is a pod the caller has read (Request.Known): its namespace decides
// which namespaced policies are read.
func podIn(ns string) corev1.Pod {
	return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
}

func denyFromOps(apiVersion, name string) map[string]any {
	return map[string]any{
		"apiVersion": apiVersion, "kind": "ClusterNetworkPolicy",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"tier": "Admin", "priority": int64(10),
			"subject": map[string]any{"namespaces": map[string]any{"matchLabels": map[string]any{"team": "shop"}}},
			"ingress": []any{map[string]any{
				"name": "deny-ops", "action": "Deny",
				"from": []any{map[string]any{"namespaces": map[string]any{"matchLabels": map[string]any{"team": "ops"}}}},
			}},
		},
	}
}

// ClusterNetworkPolicies are read at v1beta1 when served, else at v1alpha2
// (the same objects), and decoded into the v1beta1 type either way.
func TestEnvClusterNetworkPolicyVersions(t *testing.T) {
	e := cluster(t)
	admin := as(t, e, "")
	create(t, admin.dyn, cnpBeta, denyFromOps("policy.networking.k8s.io/v1beta1", "cnp-deny-ops"))
	namespaces(t, admin.typed, "cnp-shop")

	check := func(version string) {
		t.Helper()
		res, err := Fetch(ctx(t), admin.typed, admin.dyn, Request{Known: []corev1.Pod{podIn("cnp-shop")}})
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, p := range res.Snapshot.ClusterNetworkPolicies {
			if p.Name != "cnp-deny-ops" {
				continue
			}
			found = true
			if p.APIVersion != "policy.networking.k8s.io/v1beta1" || p.Spec.Tier != "Admin" || p.Spec.Priority != 10 ||
				len(p.Spec.Ingress) != 1 || p.Spec.Ingress[0].Action != "Deny" || p.Spec.Ingress[0].From[0].Namespaces.MatchLabels["team"] != "ops" {
				t.Errorf("read at %s: %+v", version, p)
			}
		}
		if !found {
			t.Errorf("read at %s: ClusterNetworkPolicy cnp-deny-ops missing from %+v", version, res.Snapshot.ClusterNetworkPolicies)
		}
		want := "policy.networking.k8s.io/" + version + "/ClusterNetworkPolicy"
		var cnpAPIs []string
		for _, api := range res.PolicyAPIs {
			if strings.HasSuffix(api, "/ClusterNetworkPolicy") && strings.HasPrefix(api, "policy.networking.k8s.io/") {
				cnpAPIs = append(cnpAPIs, api)
			}
		}
		if len(cnpAPIs) != 1 || cnpAPIs[0] != want {
			t.Errorf("policy APIs %v, want %s among them once", res.PolicyAPIs, want)
		}
	}
	check("v1beta1")

	// The same CRD serving only v1alpha2 (storage moved there too).
	setServed := func(alpha2Only bool) {
		t.Helper()
		crd, err := admin.dyn.Resource(crdGVR).Get(ctx(t), "clusternetworkpolicies.policy.networking.k8s.io", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			m := v.(map[string]any)
			if m["name"] == "v1beta1" {
				m["served"], m["storage"] = !alpha2Only, !alpha2Only
			} else { // v1alpha2
				m["served"], m["storage"] = true, alpha2Only
			}
		}
		if err := unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.dyn.Resource(crdGVR).Update(ctx(t), crd, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		want := cnpBeta
		if alpha2Only {
			want = cnpAlpha2
		}
		if err := waitFor(ctx(t), admin.typed, func(a *apis) bool { return a.cnp == want }); err != nil {
			t.Fatal(err)
		}
	}
	setServed(true)
	t.Cleanup(func() { setServed(false) })
	check("v1alpha2")
}

// Cilium and Calico policies are decoded for the engine: each object that
// may select a pod of the question is read, the others are not; a Calico
// object with a field this version cannot read is listed as unjudged.
// Calico's tiers are read with its policies. The Calico objects come from
// crd.projectcalico.org/v1 (no aggregated API here), with the names Calico
// before v3.32 stores ("default." prefix), kept as stored.
func TestEnvUnjudgedPolicies(t *testing.T) {
	e := cluster(t)
	admin := as(t, e, "")
	namespaces(t, admin.typed, "uj-shop", "uj-ops", "uj-other")
	cnpGVR := schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}
	ccnpGVR := schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumclusterwidenetworkpolicies"}
	calicoNP := schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "networkpolicies"}
	calicoGNP := schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "globalnetworkpolicies"}
	staged := schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "stagednetworkpolicies"}
	create(t, admin.dyn, cnpGVR, object("cilium.io/v2", "CiliumNetworkPolicy", "uj-shop", "l7-shop"))
	create(t, admin.dyn, cnpGVR, object("cilium.io/v2", "CiliumNetworkPolicy", "uj-ops", "l7-ops"))
	create(t, admin.dyn, ccnpGVR, object("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "", "uj-host-fw"))
	tierGVR := schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "tiers"}
	allowDNS := object("crd.projectcalico.org/v1", "NetworkPolicy", "uj-shop", "default.allow-dns")
	allowDNS["spec"] = map[string]any{"tier": "default", "order": 100, "selector": "all()", "types": []any{"Egress"},
		"egress": []any{map[string]any{"action": "Allow", "protocol": "UDP", "destination": map[string]any{"ports": []any{53}}}}}
	create(t, admin.dyn, calicoNP, allowDNS)
	create(t, admin.dyn, calicoNP, object("crd.projectcalico.org/v1", "NetworkPolicy", "uj-other", "default.other"))
	future := object("crd.projectcalico.org/v1", "NetworkPolicy", "uj-shop", "default.future")
	future["spec"] = map[string]any{"selector": "all()", "futureField": true}
	create(t, admin.dyn, calicoNP, future)
	denyAll := object("crd.projectcalico.org/v1", "GlobalNetworkPolicy", "", "uj-security.deny")
	denyAll["spec"] = map[string]any{"tier": "uj-security", "namespaceSelector": "all()", "ingress": []any{map[string]any{"action": "Deny"}}}
	create(t, admin.dyn, calicoGNP, denyAll)
	tier := object("crd.projectcalico.org/v1", "Tier", "", "uj-security")
	tier["spec"] = map[string]any{"order": 100, "defaultAction": "Pass"}
	create(t, admin.dyn, tierGVR, tier)
	create(t, admin.dyn, staged, object("crd.projectcalico.org/v1", "StagedNetworkPolicy", "uj-shop", "trial"))

	fetch := func(req Request) []string {
		t.Helper()
		res, err := Fetch(ctx(t), admin.typed, admin.dyn, req)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range res.Snapshot.Unjudged {
			// Objects of other tests (cluster-scoped ones) are not ours.
			if !strings.HasPrefix(u.Namespace, "uj-") && !strings.HasPrefix(u.Name, "uj-") {
				continue
			}
			if u.Name == "default.future" {
				if want := `has a field this version cannot read: spec: json: unknown field "futureField"`; u.Reason != want {
					t.Errorf("%s: reason %q, want %q", u, u.Reason, want)
				}
			} else if u.Name == "" || u.Reason != u.Kind+" is not evaluated by this version" {
				t.Errorf("unexpected entry %+v", u)
			}
			got = append(got, u.Group+" "+u.String())
		}
		for _, c := range res.Snapshot.CiliumPolicies {
			if strings.HasPrefix(c.Namespace, "uj-") || strings.HasPrefix(c.Name, "uj-") {
				got = append(got, "cilium.io "+c.Ref().String())
			}
		}
		for _, c := range res.Snapshot.CalicoPolicies {
			if !strings.HasPrefix(c.Namespace, "uj-") && !strings.HasPrefix(c.Name, "uj-") {
				continue
			}
			got = append(got, "calico "+c.Ref().String()+" tier "+c.Tier())
			if c.Name == "default.allow-dns" && (c.Spec.Order == nil || *c.Spec.Order != 100 || len(c.Spec.Egress) != 1 ||
				c.Spec.Egress[0].Protocol.String() != "UDP" || c.Spec.Egress[0].Destination.Ports[0].String() != "53") {
				t.Errorf("%s decoded as %+v", c.Ref(), c.Spec)
			}
		}
		if !res.Snapshot.CalicoTiersKnown || res.CalicoTiersUnread != "" {
			t.Errorf("tiers not known: %s", res.CalicoTiersUnread)
		}
		i := slices.IndexFunc(res.Snapshot.CalicoTiers, func(t policy.CalicoTier) bool { return t.Name == "uj-security" })
		if i < 0 || *res.Snapshot.CalicoTiers[i].Order != 100 || res.Snapshot.CalicoTiers[i].DefaultAction != "Pass" {
			t.Errorf("tiers %+v lack uj-security (order 100, Pass)", res.Snapshot.CalicoTiers)
		}
		for _, want := range []string{"cilium.io/v2/CiliumNetworkPolicy", "cilium.io/v2/CiliumClusterwideNetworkPolicy",
			"crd.projectcalico.org/v1/NetworkPolicy", "crd.projectcalico.org/v1/GlobalNetworkPolicy"} {
			if !slices.Contains(res.PolicyAPIs, want) {
				t.Errorf("policy APIs %v lack %s", res.PolicyAPIs, want)
			}
		}
		if slices.Contains(res.PolicyAPIs, "crd.projectcalico.org/v1/StagedNetworkPolicy") {
			t.Errorf("policy APIs %v list a staged kind", res.PolicyAPIs)
		}
		return got
	}
	clusterWide := []string{"cilium.io CiliumClusterwideNetworkPolicy uj-host-fw", "calico GlobalNetworkPolicy.projectcalico.org uj-security.deny tier uj-security"}
	calicoShop := "calico NetworkPolicy.projectcalico.org uj-shop/default.allow-dns tier default"
	futureShop := "crd.projectcalico.org NetworkPolicy uj-shop/default.future"
	for _, tc := range []struct {
		name string
		req  Request
		want []string
	}{
		{"the pod's namespace", Request{Known: []corev1.Pod{podIn("uj-shop")}},
			[]string{"cilium.io CiliumNetworkPolicy uj-shop/l7-shop", calicoShop, futureShop}},
		{"policy namespaces", Request{Known: []corev1.Pod{podIn("uj-shop")}, PolicyNamespaces: []string{"uj-ops"}},
			[]string{"cilium.io CiliumNetworkPolicy uj-ops/l7-ops", "cilium.io CiliumNetworkPolicy uj-shop/l7-shop", calicoShop, futureShop}},
		{"a namespace without any", Request{ListPodsIn: []string{"uj-empty"}}, nil},
		{"all namespaces", Request{ListPodsIn: []string{""}},
			[]string{"cilium.io CiliumNetworkPolicy uj-ops/l7-ops", "cilium.io CiliumNetworkPolicy uj-shop/l7-shop",
				"calico NetworkPolicy.projectcalico.org uj-other/default.other tier default", calicoShop, futureShop}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := append(append([]string{}, clusterWide[:1]...), tc.want...)
			want = append(want, clusterWide[1:]...)
			slices.Sort(want)
			got := fetch(tc.req)
			slices.Sort(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("unjudged:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// grant gives user get and list on the resources of each rule (cluster-wide).
func grant(t *testing.T, c kubernetes.Interface, user string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	for i := range rules {
		rules[i].Verbs = []string{"get", "list"}
	}
	if _, err := c.RbacV1().ClusterRoles().Create(ctx(t), &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RbacV1().ClusterRoleBindings().Create(ctx(t), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The authorizer learns of the binding through a watch: wait until it
	// grants the first rule, so that the test does not race it.
	r := rules[0]
	deadline := time.Now().Add(10 * time.Second)
	for {
		review, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx(t), &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: r.APIGroups[0], Resource: r.Resources[0]},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if review.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("user %s still not granted its rules", user)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// baseRules are the reads of a policy verdict other than the policy APIs.
func baseRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "namespaces", "nodes"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}},
		{APIGroups: []string{"crd.projectcalico.org"}, Resources: []string{"*"}},
	}
}

// A user who may not list CiliumNetworkPolicies still gets a snapshot: the
// kind is unjudged for the namespace the list was refused for, naming the
// permission, and the engine leaves the pods there undecided.
func TestEnvForbiddenUnjudgedKind(t *testing.T) {
	e := cluster(t)
	admin := as(t, e, "")
	namespaces(t, admin.typed, "fb-shop")
	grant(t, admin.typed, "no-cilium-np", append(baseRules(),
		rbacv1.PolicyRule{APIGroups: []string{"policy.networking.k8s.io"}, Resources: []string{"*"}},
		rbacv1.PolicyRule{APIGroups: []string{"cilium.io"}, Resources: []string{"ciliumclusterwidenetworkpolicies"}},
	)...)
	user := as(t, e, "no-cilium-np")
	res, err := Fetch(ctx(t), user.typed, user.dyn, Request{Known: []corev1.Pod{podIn("fb-shop")}})
	if err != nil {
		t.Fatalf("a forbidden unjudged kind is not an error: %v", err)
	}
	var refused []string
	for _, u := range res.Snapshot.Unjudged {
		if u.Name == "" {
			refused = append(refused, fmt.Sprintf("%s %s %t %q: %s", u.Group, u.Kind, u.Namespaced, u.Namespace, u.Reason))
		}
	}
	want := `cilium.io CiliumNetworkPolicy true "fb-shop": cannot list cilium.io ciliumnetworkpolicies in namespace fb-shop: forbidden (needs list on ciliumnetworkpolicies.cilium.io)`
	if len(refused) != 1 || refused[0] != want {
		t.Errorf("refused lists:\n  %s\nwant:\n  %s", strings.Join(refused, "\n  "), want)
	}
}

// A user who may list Calico's policies but not its tiers still gets a
// snapshot with the policies: the tiers stay unknown, and the result says
// why, naming the permission.
func TestEnvForbiddenCalicoTiers(t *testing.T) {
	e := cluster(t)
	admin := as(t, e, "")
	namespaces(t, admin.typed, "fb-tiers")
	calicoNP := schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "networkpolicies"}
	create(t, admin.dyn, calicoNP, object("crd.projectcalico.org/v1", "NetworkPolicy", "fb-tiers", "default.a"))
	grant(t, admin.typed, "no-calico-tiers", append(baseRules()[:2],
		rbacv1.PolicyRule{APIGroups: []string{"crd.projectcalico.org"}, Resources: []string{"networkpolicies", "globalnetworkpolicies"}},
		rbacv1.PolicyRule{APIGroups: []string{"policy.networking.k8s.io"}, Resources: []string{"*"}},
		rbacv1.PolicyRule{APIGroups: []string{"cilium.io"}, Resources: []string{"*"}},
	)...)
	user := as(t, e, "no-calico-tiers")
	res, err := Fetch(ctx(t), user.typed, user.dyn, Request{Known: []corev1.Pod{podIn("fb-tiers")}})
	if err != nil {
		t.Fatalf("forbidden tiers are not an error: %v", err)
	}
	if res.Snapshot.CalicoTiersKnown || len(res.Snapshot.CalicoTiers) != 0 {
		t.Errorf("tiers known: %+v", res.Snapshot.CalicoTiers)
	}
	if want := "cannot list crd.projectcalico.org tiers: forbidden (needs list on tiers.crd.projectcalico.org)"; res.CalicoTiersUnread != want {
		t.Errorf("tiers unread: %q, want %q", res.CalicoTiersUnread, want)
	}
	// Other tests' GlobalNetworkPolicies may be there too.
	if !slices.ContainsFunc(res.Snapshot.CalicoPolicies, func(c policy.CalicoPolicy) bool {
		return c.Ref().String() == "NetworkPolicy.projectcalico.org fb-tiers/default.a"
	}) {
		t.Errorf("calico policies %+v lack fb-tiers/default.a", res.Snapshot.CalicoPolicies)
	}
}

// The engine judges ClusterNetworkPolicies: a forbidden list is an error
// naming the permission, as for AdminNetworkPolicies.
func TestEnvForbiddenClusterNetworkPolicies(t *testing.T) {
	e := cluster(t)
	admin := as(t, e, "")
	namespaces(t, admin.typed, "fb-cnp")
	grant(t, admin.typed, "no-cnp", append(baseRules(),
		rbacv1.PolicyRule{APIGroups: []string{"cilium.io"}, Resources: []string{"*"}},
	)...)
	user := as(t, e, "no-cnp")
	_, err := Fetch(ctx(t), user.typed, user.dyn, Request{Known: []corev1.Pod{podIn("fb-cnp")}})
	if err == nil {
		t.Fatal("a forbidden ClusterNetworkPolicy list gave a snapshot")
	}
	var fe *kube.ForbiddenError
	if !errors.As(err, &fe) || fe.Permission != kube.List("policy.networking.k8s.io", "clusternetworkpolicies", "") || !apierrors.IsForbidden(err) {
		t.Errorf("error %v (%T), want a forbidden list of clusternetworkpolicies", err, err)
	}
}

// TestEnvVerdicts reads each judged policy API from a real API server and
// judges flows with what was read: an admin ClusterNetworkPolicy Deny, a
// CiliumNetworkPolicy allow-list (default deny), a Calico
// GlobalNetworkPolicy of a tier before the default one.
func TestEnvVerdicts(t *testing.T) {
	e := cluster(t)
	admin := as(t, e, "")
	namespaces(t, admin.typed, "vd-a", "vd-b")
	var refs []policy.PodRef
	for _, p := range []struct{ ns, name string }{{"vd-a", "web"}, {"vd-a", "db"}, {"vd-b", "client"}} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.ns, Name: p.name, Labels: map[string]string{"app": p.name}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "none"}}}}
		if _, err := admin.typed.CoreV1().Pods(p.ns).Create(ctx(t), pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, policy.PodRef{Namespace: p.ns, Name: p.name})
	}
	judge := func(src, dst policy.PodRef) policy.Verdict {
		t.Helper()
		res, err := Fetch(ctx(t), admin.typed, admin.dyn, Request{Pods: refs})
		if err != nil {
			t.Fatal(err)
		}
		return policy.New(res.Snapshot).Evaluate(policy.Flow{Src: policy.PodEndpoint(src.Namespace, src.Name), Dst: policy.PodEndpoint(dst.Namespace, dst.Name), Port: intstr.FromInt32(80)})
	}
	web, db, client := refs[0], refs[1], refs[2]
	if v := judge(client, web); v.Result != policy.Allowed {
		t.Fatalf("no policy yet: %s (%s)", v.Result, v.Reason)
	}

	cnpGVR := schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"}
	create(t, admin.dyn, cnpGVR, map[string]any{"apiVersion": "policy.networking.k8s.io/v1beta1", "kind": "ClusterNetworkPolicy",
		"metadata": map[string]any{"name": "vd-no-client-to-db"},
		"spec": map[string]any{"tier": "Admin", "priority": int64(3),
			"subject": map[string]any{"pods": map[string]any{"namespaceSelector": map[string]any{}, "podSelector": map[string]any{"matchLabels": map[string]any{"app": "db"}}}},
			"ingress": []any{map[string]any{"name": "no-client", "action": "Deny",
				"from": []any{map[string]any{"namespaces": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "vd-b"}}}}}}}})
	if v := judge(client, db); v.Result != policy.Denied || v.Ingress.DecidedBy != policy.LayerClusterAdmin {
		t.Errorf("ClusterNetworkPolicy deny: %s by %s (%s)", v.Result, v.Ingress.DecidedBy, v.Reason)
	}

	ciliumGVR := schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}
	create(t, admin.dyn, ciliumGVR, map[string]any{"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
		"metadata": map[string]any{"name": "web-from-db", "namespace": "vd-a"},
		"spec": map[string]any{"endpointSelector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"ingress": []any{map[string]any{"fromEndpoints": []any{map[string]any{"matchLabels": map[string]any{"app": "db"}}}}}}})
	if v := judge(client, web); v.Result != policy.Denied || v.Ingress.DecidedBy != policy.LayerCilium {
		t.Errorf("Cilium default deny: %s by %s (%s)", v.Result, v.Ingress.DecidedBy, v.Reason)
	}
	if v := judge(db, web); v.Result != policy.Allowed {
		t.Errorf("Cilium allow: %s (%s)", v.Result, v.Reason)
	}

	gnpGVR := schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "globalnetworkpolicies"}
	create(t, admin.dyn, gnpGVR, map[string]any{"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
		"metadata": map[string]any{"name": "default.vd-db-out"},
		"spec": map[string]any{"tier": "default", "order": int64(10), "selector": "app == 'db'", "types": []any{"Egress"},
			"egress": []any{map[string]any{"action": "Deny", "destination": map[string]any{"selector": "app == 'web'"}}}}})
	if v := judge(db, web); v.Result != policy.Denied || v.Egress.DecidedBy != policy.LayerCalico {
		t.Errorf("Calico deny: %s by %s (%s)", v.Result, v.Egress.DecidedBy, v.Reason)
	}
}
