package manifest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
)

// AnnotationSource is set on every pod Load produces: the workload it
// stands for, if any, and where it was read.
const AnnotationSource = "kubectl-netdebug/source"

// kindInfo describes a kind Load understands.
type kindInfo struct {
	apiVersion string
	// policy kinds are decoded strictly: an unknown field is an error.
	policy bool
	new    func() any
}

// lookupKind maps an API group and kind to what Load decodes.
func lookupKind(group, kind string) (kindInfo, bool) {
	switch group + "/" + kind {
	case "/Namespace":
		return kindInfo{"v1", false, func() any { return &corev1.Namespace{} }}, true
	case "/Pod":
		return kindInfo{"v1", false, func() any { return &corev1.Pod{} }}, true
	case "/Node":
		return kindInfo{"v1", false, func() any { return &corev1.Node{} }}, true
	case "/ReplicationController":
		return kindInfo{"v1", false, func() any { return &corev1.ReplicationController{} }}, true
	case "networking.k8s.io/NetworkPolicy":
		return kindInfo{"networking.k8s.io/v1", true, func() any { return &networkingv1.NetworkPolicy{} }}, true
	case anp.GroupName + "/AdminNetworkPolicy":
		return kindInfo{anp.GroupVersion.String(), true, func() any { return &anp.AdminNetworkPolicy{} }}, true
	case anp.GroupName + "/BaselineAdminNetworkPolicy":
		return kindInfo{anp.GroupVersion.String(), true, func() any { return &anp.BaselineAdminNetworkPolicy{} }}, true
	case cnp.GroupName + "/ClusterNetworkPolicy":
		return kindInfo{cnp.GroupVersion.String(), true, func() any { return &cnp.ClusterNetworkPolicy{} }}, true
	case "apps/Deployment":
		return kindInfo{"apps/v1", false, func() any { return &appsv1.Deployment{} }}, true
	case "apps/StatefulSet":
		return kindInfo{"apps/v1", false, func() any { return &appsv1.StatefulSet{} }}, true
	case "apps/DaemonSet":
		return kindInfo{"apps/v1", false, func() any { return &appsv1.DaemonSet{} }}, true
	case "apps/ReplicaSet":
		return kindInfo{"apps/v1", false, func() any { return &appsv1.ReplicaSet{} }}, true
	case "batch/Job":
		return kindInfo{"batch/v1", false, func() any { return &batchv1.Job{} }}, true
	case "batch/CronJob":
		return kindInfo{"batch/v1", false, func() any { return &batchv1.CronJob{} }}, true
	}
	return kindInfo{}, false
}

// sameSchema maps an apiVersion of kind to the one Load decodes it as when
// both have the same schema (versions of one CRD); otherwise it returns
// apiVersion.
func sameSchema(apiVersion, kind string) string {
	if kind == "ClusterNetworkPolicy" && apiVersion == cnp.GroupName+"/v1alpha2" {
		return cnp.GroupVersion.String()
	}
	return apiVersion
}

// policyKindAPIVersion returns the supported apiVersion of a policy kind
// given with a group Load does not read; dropping such an object silently
// could turn a deny into a wrong allow.
func policyKindAPIVersion(kind string) (string, bool) {
	switch kind {
	case "NetworkPolicy":
		return "networking.k8s.io/v1", true
	case "AdminNetworkPolicy", "BaselineAdminNetworkPolicy":
		return anp.GroupVersion.String(), true
	case "ClusterNetworkPolicy":
		return cnp.GroupVersion.String(), true
	}
	return "", false
}

// source is where an object was read.
type source struct {
	file      string
	doc, item int
}

func (s source) String() string {
	out := fmt.Sprintf("%s, document %d", s.file, s.doc)
	if s.item > 0 {
		out += fmt.Sprintf(", item %d", s.item)
	}
	return out
}

type nsName struct{ namespace, name string }

// keyed keeps objects in reading order, one per identity, with where each
// was read. Its zero value is empty and ready.
type keyed[K comparable, T any] struct {
	items []T
	srcs  []source
	index map[K]int
}

// put appends v or, for a known key, replaces the earlier object in place,
// as kubectl apply would, with a warning naming both places.
func (l *keyed[K, T]) put(c *collector, src source, key K, v T, what string) {
	if i, ok := l.index[key]; ok {
		c.duplicate(src, what, l.srcs[i])
		l.items[i], l.srcs[i] = v, src
		return
	}
	if l.index == nil {
		l.index = map[K]int{}
	}
	l.index[key] = len(l.items)
	l.items = append(l.items, v)
	l.srcs = append(l.srcs, src)
}

// drop removes key's object and returns where it was read.
func (l *keyed[K, T]) drop(key K) (source, bool) {
	i, ok := l.index[key]
	if !ok {
		return source{}, false
	}
	src := l.srcs[i]
	l.items = slices.Delete(l.items, i, i+1)
	l.srcs = slices.Delete(l.srcs, i, i+1)
	delete(l.index, key)
	for k, j := range l.index {
		if j > i {
			l.index[k] = j - 1
		}
	}
	return src, true
}

// duplicate warns that what, read at src, replaces an object read at prev.
func (c *collector) duplicate(src source, what string, prev source) {
	c.warn(WarnDuplicate, src, "%s replaces the one in %s", what, prev)
}

// objects keeps the decoded objects in reading order; a later object with
// the same identity replaces an earlier one, as kubectl apply would.
type objects struct {
	namespaces keyed[string, corev1.Namespace]
	pods       keyed[nsName, corev1.Pod]
	netpols    keyed[nsName, networkingv1.NetworkPolicy]
	anps       keyed[string, anp.AdminNetworkPolicy]
	// banp holds at most the one named "default".
	banp     keyed[string, anp.BaselineAdminNetworkPolicy]
	cnps     keyed[string, cnp.ClusterNetworkPolicy]
	unjudged keyed[unjudgedKey, policy.UnjudgedPolicy]
	cilium   keyed[policy.PolicyRef, policy.CiliumPolicy]
	// calico holds Calico policies of both groups: a policy's identity
	// (policy.PolicyRef) does not name the group.
	calico keyed[policy.PolicyRef, policy.CalicoPolicy]
	tiers  keyed[string, policy.CalicoTier]
	// nodes stay nil unless a Node is given: the engine then knows it
	// does not know them.
	nodes keyed[string, corev1.Node]
	// sources says where each policy object kept was read.
	sources map[policy.PolicyRef]string
}

func (o *objects) add(c *collector, src source, obj any) error {
	switch v := obj.(type) {
	case *corev1.Namespace:
		if v.Name == "" {
			return errors.New("Namespace has no metadata.name")
		}
		// The API server sets this label on every namespace.
		v.Labels = maps.Clone(v.Labels)
		if v.Labels == nil {
			v.Labels = map[string]string{}
		}
		v.Labels[corev1.LabelMetadataName] = v.Name
		o.namespaces.put(c, src, v.Name, *v, "Namespace "+v.Name)
	case *corev1.Node:
		if v.Name == "" {
			return errors.New("Node has no metadata.name")
		}
		o.nodes.put(c, src, v.Name, *v, "Node "+v.Name)
	case *corev1.Pod:
		if err := c.nameAndNamespace(&v.ObjectMeta, src, "Pod"); err != nil {
			return err
		}
		v.Annotations = withAnnotation(v.Annotations, "Pod "+v.Name+" ("+src.String()+")")
		o.pods.put(c, src, nsName{v.Namespace, v.Name}, *v, "Pod "+v.Namespace+"/"+v.Name)
	case *networkingv1.NetworkPolicy:
		if err := c.nameAndNamespace(&v.ObjectMeta, src, "NetworkPolicy"); err != nil {
			return err
		}
		o.netpols.put(c, src, nsName{v.Namespace, v.Name}, *v, "NetworkPolicy "+v.Namespace+"/"+v.Name)
		o.sources[policy.PolicyRef{Kind: policy.KindNetworkPolicy, Namespace: v.Namespace, Name: v.Name}] = src.String()
	case *anp.AdminNetworkPolicy:
		if v.Name == "" {
			return errors.New("AdminNetworkPolicy has no metadata.name")
		}
		o.anps.put(c, src, v.Name, *v, "AdminNetworkPolicy "+v.Name)
		o.sources[policy.PolicyRef{Kind: policy.KindAdminNetworkPolicy, Name: v.Name}] = src.String()
	case *anp.BaselineAdminNetworkPolicy:
		if v.Name != "default" {
			c.warn(WarnOther, src, "BaselineAdminNetworkPolicy %q skipped: the API server only accepts the name \"default\"", v.Name)
			return nil
		}
		o.banp.put(c, src, v.Name, *v, "BaselineAdminNetworkPolicy default")
		o.sources[policy.PolicyRef{Kind: policy.KindBaselineAdminNetworkPolicy, Name: v.Name}] = src.String()
	case *cnp.ClusterNetworkPolicy:
		if v.Name == "" {
			return errors.New("ClusterNetworkPolicy has no metadata.name")
		}
		// v1alpha2 and v1beta1 share the schema: both decode as v1beta1.
		v.TypeMeta = metav1.TypeMeta{APIVersion: cnp.GroupVersion.String(), Kind: "ClusterNetworkPolicy"}
		o.cnps.put(c, src, v.Name, *v, "ClusterNetworkPolicy "+v.Name)
		o.sources[policy.PolicyRef{Kind: policy.KindClusterNetworkPolicy, Name: v.Name}] = src.String()
	default:
		return o.addWorkload(c, src, obj)
	}
	return nil
}

// addCilium decodes a Cilium policy for the engine. An object it cannot
// read whole (a field this version does not know) is an error, and the
// caller records it as unjudged.
func (o *objects) addCilium(c *collector, src source, kind policy.PolicyKind, raw []byte) error {
	var obj map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &obj); err != nil {
		return err
	}
	cp, err := policy.DecodeCiliumPolicy(kind, obj)
	if err != nil {
		return fmt.Errorf("not judged, it has a field this version cannot read: %w", err)
	}
	meta := metav1.ObjectMeta{Name: cp.Name, Namespace: cp.Namespace}
	if err := c.nameAndNamespace(&meta, src, string(kind)); err != nil {
		return err
	}
	if kind == policy.KindCiliumNetworkPolicy {
		cp.Namespace = meta.Namespace
	}
	ref := cp.Ref()
	o.dropUnjudged(c, src, unjudgedKey{"cilium.io", string(kind), cp.Namespace, cp.Name}, ref.String())
	o.cilium.put(c, src, ref, cp, ref.String())
	o.sources[ref] = src.String()
	return nil
}

// addCalico decodes a Calico NetworkPolicy or GlobalNetworkPolicy of either
// group (projectcalico.org/v3, crd.projectcalico.org/v1: the same objects)
// for the engine; a NetworkPolicy without a namespace gets the default one.
// The name is kept as written: "default.a" and "a" are two policies (as
// they are for Calico since v3.30). An object it cannot read whole (a field
// this version does not know) is an error, and the caller records it as
// unjudged.
func (o *objects) addCalico(c *collector, src source, kind policy.PolicyKind, raw []byte) error {
	var obj map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &obj); err != nil {
		return err
	}
	cp, err := policy.DecodeCalicoPolicy(kind, obj)
	if err != nil {
		return fmt.Errorf("not judged, it has a field this version cannot read: %w", err)
	}
	meta := metav1.ObjectMeta{Name: cp.Name, Namespace: cp.Namespace, GenerateName: generateName(obj)}
	if err := c.nameAndNamespace(&meta, src, string(kind)); err != nil {
		return err
	}
	cp.Name = meta.Name
	if kind == policy.KindCalicoNetworkPolicy {
		cp.Namespace = meta.Namespace
	}
	ref := cp.Ref()
	o.dropUnjudged(c, src, unjudgedKey{calicoUnjudgedGroup, unjudgedKindName(kind), cp.Namespace, cp.Name}, ref.String())
	o.calico.put(c, src, ref, cp, ref.String())
	o.sources[ref] = src.String()
	return nil
}

// addCalicoTier records a Calico Tier of either group. One that cannot be
// read whole is skipped with a warning: offline the tiers are never known
// to be complete (Snapshot.CalicoTiersKnown stays false), so the engine
// treats its policies' place as unknown.
func (o *objects) addCalicoTier(c *collector, src source, apiVersion string, raw []byte) error {
	var obj map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &obj); err != nil {
		return err
	}
	t, err := policy.DecodeCalicoTier(obj)
	if t.Name == "" {
		return errors.New("Tier has no metadata.name")
	}
	if err != nil {
		c.warn(WarnOther, src, "Tier %s (%s) skipped: it has a field this version cannot read: %v", t.Name, apiVersion, err)
		return nil
	}
	o.tiers.put(c, src, t.Name, t, "Tier "+t.Name)
	return nil
}

// calicoUnjudgedGroup is the group unjudged Calico objects are keyed by: of
// Calico's two groups, the one SameObjectsGroup pairs, the lesser name.
const calicoUnjudgedGroup = "crd.projectcalico.org"

// unjudgedKindName is the Kind of an unjudged entry for a policy kind
// ("NetworkPolicy" for "NetworkPolicy.projectcalico.org").
func unjudgedKindName(kind policy.PolicyKind) string {
	k, _, _ := strings.Cut(string(kind), ".")
	return k
}

func generateName(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md["generateName"].(string)
	return s
}

// dropUnjudged removes an earlier unjudged entry of the same identity as a
// policy now decoded for the engine: the later object replaces it.
func (o *objects) dropUnjudged(c *collector, src source, key unjudgedKey, what string) {
	if prev, ok := o.unjudged.drop(key); ok {
		c.duplicate(src, what, prev)
	}
}

// dropDecoded removes an earlier Cilium or Calico policy of the same
// identity as an object now recorded as unjudged: the later object replaces
// it.
func (o *objects) dropDecoded(c *collector, src source, k policyfetch.NativeKind, namespace, name, what string) {
	var prev source
	var ok bool
	if kind, isCilium := policyfetch.CiliumKind(k.Group, k.Kind); isCilium {
		prev, ok = o.cilium.drop(policy.PolicyRef{Kind: kind, Namespace: namespace, Name: name})
	} else if kind, isCalico := policyfetch.CalicoKind(k.Group, k.Kind); isCalico {
		prev, ok = o.calico.drop(policy.PolicyRef{Kind: kind, Namespace: namespace, Name: name})
	}
	if ok {
		c.duplicate(src, what, prev)
	}
}

// unjudgedKey is the identity of an unjudged object: groups serving the same
// objects (Calico's two) count as one.
type unjudgedKey struct{ group, kind, namespace, name string }

// addUnjudged records an object of a policy kind the engine does not
// evaluate (policyfetch.ClassifyKind): the engine leaves the pods it may
// select undecided. A kind outside the table has an unknown scope: it is
// taken to be cluster-scoped (it may select any pod), whatever namespace the
// object names.
func (o *objects) addUnjudged(c *collector, src source, k policyfetch.NativeKind, inTable bool, apiVersion string, meta *metav1.ObjectMeta) error {
	if err := c.nameAndNamespace(meta, src, k.Kind); err != nil {
		return err
	}
	u := policy.UnjudgedPolicy{Group: k.Group, Kind: k.Kind, Namespaced: k.Namespaced, Name: meta.Name, Reason: policyfetch.NotEvaluated(k.Kind)}
	if u.Namespaced {
		u.Namespace = meta.Namespace
	}
	what := u.String()
	scope := ""
	if !inTable {
		scope = "; its scope is unknown, so it may select pods of every namespace"
	}
	c.warn(WarnOther, src, "%s (%s) not evaluated by this version: pods it may select are undecided%s", what, apiVersion, scope)
	group := k.Group
	if twin := policyfetch.SameObjectsGroup(group); twin != "" && twin < group {
		group = twin
	}
	o.dropDecoded(c, src, k, u.Namespace, u.Name, what)
	o.unjudged.put(c, src, unjudgedKey{group, k.Kind, u.Namespace, u.Name}, u, what)
	return nil
}

// addWorkload turns a workload into the one pod its template describes, named
// after the workload.
func (o *objects) addWorkload(c *collector, src source, obj any) error {
	var meta *metav1.ObjectMeta
	var tmpl *corev1.PodTemplateSpec
	var kind string
	switch v := obj.(type) {
	case *appsv1.Deployment:
		meta, tmpl, kind = &v.ObjectMeta, &v.Spec.Template, "Deployment"
	case *appsv1.StatefulSet:
		meta, tmpl, kind = &v.ObjectMeta, &v.Spec.Template, "StatefulSet"
	case *appsv1.DaemonSet:
		meta, tmpl, kind = &v.ObjectMeta, &v.Spec.Template, "DaemonSet"
	case *appsv1.ReplicaSet:
		meta, tmpl, kind = &v.ObjectMeta, &v.Spec.Template, "ReplicaSet"
	case *corev1.ReplicationController:
		meta, tmpl, kind = &v.ObjectMeta, v.Spec.Template, "ReplicationController"
	case *batchv1.Job:
		meta, tmpl, kind = &v.ObjectMeta, &v.Spec.Template, "Job"
	case *batchv1.CronJob:
		meta, tmpl, kind = &v.ObjectMeta, &v.Spec.JobTemplate.Spec.Template, "CronJob"
	default:
		return fmt.Errorf("internal error: no handling for %T", obj)
	}
	if err := c.nameAndNamespace(meta, src, kind); err != nil {
		return err
	}
	if tmpl == nil {
		c.warn(WarnOther, src, "%s %s/%s has no pod template: skipped", kind, meta.Namespace, meta.Name)
		return nil
	}
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        meta.Name,
			Namespace:   meta.Namespace,
			Labels:      tmpl.Labels,
			Annotations: withAnnotation(maps.Clone(tmpl.Annotations), kind+" "+meta.Name+" ("+src.String()+")"),
		},
		Spec: tmpl.Spec,
	}
	o.pods.put(c, src, nsName{pod.Namespace, pod.Name}, pod, fmt.Sprintf("Pod %s/%s of %s %s", pod.Namespace, pod.Name, kind, meta.Name))
	return nil
}

func withAnnotation(a map[string]string, value string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	a[AnnotationSource] = value
	return a
}

// nameAndNamespace checks the name (falling back to generateName) and fills
// in the default namespace.
func (c *collector) nameAndNamespace(m *metav1.ObjectMeta, src source, kind string) error {
	if m.Name == "" {
		if m.GenerateName == "" {
			return fmt.Errorf("%s has neither metadata.name nor metadata.generateName", kind)
		}
		m.Name = fmt.Sprintf("%sgenerated-%d", m.GenerateName, src.doc)
		c.warn(WarnOther, src, "%s with generateName %q named %q", kind, m.GenerateName, m.Name)
	}
	if m.Namespace == "" {
		m.Namespace = c.opts.DefaultNamespace
	}
	return nil
}

// snapshot warns about the namespaces that are referenced but not declared.
// They stay out of the snapshot, which does not list every namespace
// (NamespacesComplete is false): the engine knows only their name label and
// leaves undecided what a selector on their other labels would do.
func (o *objects) snapshot(c *collector) policy.Snapshot {
	warned := map[string]bool{}
	referenced := func(ns string) {
		if _, ok := o.namespaces.index[ns]; ok || warned[ns] {
			return
		}
		warned[ns] = true
		c.warns = append(c.warns, Warning{Kind: WarnImplicitNamespace, Namespace: ns,
			Message: fmt.Sprintf("namespace %q is referenced but not declared: only its label %s=%s is known", ns, corev1.LabelMetadataName, ns)})
	}
	for _, p := range o.pods.items {
		referenced(p.Namespace)
	}
	for _, np := range o.netpols.items {
		referenced(np.Namespace)
	}
	var banp *anp.BaselineAdminNetworkPolicy
	if len(o.banp.items) > 0 {
		banp = &o.banp.items[0]
	}
	return policy.Snapshot{
		Namespaces:                 o.namespaces.items,
		Pods:                       o.pods.items,
		NetworkPolicies:            o.netpols.items,
		AdminNetworkPolicies:       o.anps.items,
		BaselineAdminNetworkPolicy: banp,
		ClusterNetworkPolicies:     o.cnps.items,
		Unjudged:                   o.unjudged.items,
		CiliumPolicies:             o.cilium.items,
		CalicoPolicies:             o.calico.items,
		CalicoTiers:                o.tiers.items,
		Nodes:                      o.nodes.items,
		// Manifests may leave tiers out: one they do not give may exist.
		CalicoTiersKnown: false,
		// Manifests never list every namespace of a cluster.
		NamespacesComplete: false,
	}
}
