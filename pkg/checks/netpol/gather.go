package netpol

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
)

// adminGroupVersion serves AdminNetworkPolicy and BaselineAdminNetworkPolicy.
const adminGroupVersion = "policy.networking.k8s.io/v1alpha1"

// GatherRequest says what a question needs from the cluster.
type GatherRequest struct {
	// Pods are read by name (GET). A pod that does not exist is listed in
	// World.Missing.
	Pods []policy.PodRef
	// Known are pods already read (a workload's pod).
	Known []corev1.Pod
	// IPs are endpoints given as addresses: each is looked up among the
	// pods (the primary pod IP by field selector), so that a pod's IP is
	// judged as that pod with its namespace's policies.
	IPs []netip.Addr
	// ListPodsIn lists every pod of these namespaces ("" = all).
	ListPodsIn []string
	// SkipCNI leaves out the network plugin detection.
	SkipCNI bool
}

// Gather reads what the request needs, concurrently: the named pods, the
// pods owning the IPs, whether the AdminNetworkPolicy API is served, the
// network plugin, then (policyfetch) the namespaces, the NetworkPolicies of
// the pods' namespaces and the admin policies. An answer of the API server
// that leaves the verdict unsound (forbidden...) is kept in World.ReadErr;
// only a failure to reach the API server is returned as an error.
func Gather(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, req GatherRequest) (*World, error) {
	w := &World{Cluster: true, IPOwners: map[netip.Addr][]policy.PodRef{}}
	for _, ns := range req.ListPodsIn {
		if ns == "" {
			w.AllPods = true
		}
	}
	var cniDone sync.WaitGroup
	if !req.SkipCNI {
		cniDone.Go(func() { w.CNI, w.CNIErr = cnidetect.Detect(ctx, client) })
	}

	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	known := slices.Clone(req.Known)
	byIP := map[netip.Addr][]corev1.Pod{}
	var wg sync.WaitGroup
	for _, ref := range req.Pods {
		wg.Go(func() {
			p, err := client.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case apierrors.IsNotFound(err):
				w.Missing = append(w.Missing, ref)
			case err != nil:
				if firstErr == nil {
					firstErr = kube.Read(kube.Get("", "pods", ref.Namespace), err)
				}
			default:
				known = append(known, *p)
			}
		})
	}
	for _, ip := range req.IPs {
		wg.Go(func() {
			list, err := client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "status.podIP=" + ip.String()})
			if err != nil {
				fail(kube.Read(kube.List("", "pods", ""), err))
				return
			}
			mu.Lock()
			byIP[ip] = list.Items
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = secondaryIPs(ctx, client, req.IPs, known, byIP)
	}
	if firstErr != nil {
		cniDone.Wait()
		w.podsUnread = true
		return w, keep(w, firstErr, nil)
	}
	for _, ip := range req.IPs {
		for _, p := range byIP[ip] {
			w.IPOwners[ip] = append(w.IPOwners[ip], policy.PodRef{Namespace: p.Namespace, Name: p.Name})
			known = append(known, p)
		}
	}
	slices.SortFunc(w.Missing, func(a, b policy.PodRef) int { return compareRefs(a, b) })

	res, err := policyfetch.Fetch(ctx, client, dyn, policyfetch.Request{Known: known, ListPodsIn: req.ListPodsIn})
	cniDone.Wait()
	if err != nil {
		return w, keep(w, err, known)
	}
	w.AdminAPI = res.AdminCRDs
	w.PolicyAPIs = res.PolicyAPIs
	w.CalicoTiersUnread = res.CalicoTiersUnread
	w.Snapshot = res.Snapshot
	w.Engine = policy.New(res.Snapshot)
	w.PolicyNamespaces = policyNamespaces(res.Snapshot.Pods, req.ListPodsIn)
	return w, nil
}

// keep records an API answer in the world, and returns only failures to
// reach the API server.
// The pods read so far still describe the endpoints.
func keep(w *World, err error, pods []corev1.Pod) error {
	if kube.IsAPIAnswer(err) {
		w.ReadErr = err
		w.Snapshot = policy.Snapshot{Pods: pods}
		w.Engine = policy.New(w.Snapshot)
		return nil
	}
	return err
}

// secondaryIPs completes the IP lookup: the field selector status.podIP only
// matches a pod's first IP, so in a dual-stack cluster an address of the
// other family may still be a pod's. When an IP found no owner and dual-stack
// cannot be ruled out (a pod of the question has several IPs, or no pod is
// known at all), every pod is listed and searched.
func secondaryIPs(ctx context.Context, client kubernetes.Interface, ips []netip.Addr, known []corev1.Pod, byIP map[netip.Addr][]corev1.Pod) error {
	var pending []netip.Addr
	for _, ip := range ips {
		if len(byIP[ip]) == 0 {
			pending = append(pending, ip)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	dual := len(known) == 0
	for _, p := range known {
		if len(p.Status.PodIPs) > 1 {
			dual = true
		}
	}
	if !dual {
		return nil
	}
	list, err := client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return kube.Read(kube.List("", "pods", ""), err)
	}
	for _, ip := range pending {
		for _, p := range list.Items {
			for _, pip := range p.Status.PodIPs {
				if a, err := netip.ParseAddr(pip.IP); err == nil && a.Unmap() == ip {
					byIP[ip] = append(byIP[ip], p)
					break
				}
			}
		}
	}
	return nil
}

func policyNamespaces(pods []corev1.Pod, listed []string) []string {
	seen := map[string]bool{}
	for _, ns := range listed {
		if ns == "" {
			return []string{""}
		}
		seen[ns] = true
	}
	for _, p := range pods {
		seen[p.Namespace] = true
	}
	return sortedKeys(seen)
}

func compareRefs(a, b policy.PodRef) int {
	if a.Namespace != b.Namespace {
		if a.Namespace < b.Namespace {
			return -1
		}
		return 1
	}
	switch {
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}

// describeRead says what the snapshot rests on, for NP002.
func (w *World) describeRead() string {
	nps := len(w.Snapshot.NetworkPolicies)
	s := fmt.Sprintf("%d NetworkPolicy(ies)", nps)
	if w.Cluster {
		switch {
		case len(w.PolicyNamespaces) == 1 && w.PolicyNamespaces[0] == "":
			s += " in all namespaces"
		case len(w.PolicyNamespaces) > 0:
			s += " in namespace(s) " + checks.ListSome(w.PolicyNamespaces, 5)
		}
	}
	switch {
	case w.Cluster && !w.AdminAPI:
		s += "; AdminNetworkPolicy API not installed"
	default:
		s += fmt.Sprintf(", %d AdminNetworkPolicy(ies)", len(w.Snapshot.AdminNetworkPolicies))
		if w.Snapshot.BaselineAdminNetworkPolicy != nil {
			s += ", a BaselineAdminNetworkPolicy"
		} else {
			s += ", no BaselineAdminNetworkPolicy"
		}
	}
	if n := len(w.Snapshot.ClusterNetworkPolicies); n > 0 || w.cnpAPI() {
		s += fmt.Sprintf("; %d ClusterNetworkPolicy(ies)", n)
	}
	if n := len(w.Snapshot.CiliumPolicies); n > 0 {
		s += fmt.Sprintf("; %d Cilium policy(ies)", n)
	}
	if n := len(w.Snapshot.CalicoPolicies); n > 0 {
		s += fmt.Sprintf("; %d Calico policy(ies)", n)
	}
	if w.CalicoTiersUnread != "" {
		s += "; Calico tiers not readable (" + w.CalicoTiersUnread + ")"
	}
	return s + describeUnjudged(w.Snapshot.Unjudged)
}

// cnpAPI reports whether the cluster serves ClusterNetworkPolicies.
func (w *World) cnpAPI() bool {
	for _, api := range w.PolicyAPIs {
		if strings.HasPrefix(api, "policy.networking.k8s.io/") && strings.HasSuffix(api, "/ClusterNetworkPolicy") {
			return true
		}
	}
	return false
}

// describeUnjudged counts the policies read but not evaluated, per kind, and
// names the kinds that could not be listed: "; not evaluated: 2
// CiliumNetworkPolicy, 1 GlobalNetworkPolicy; not listed:
// CiliumClusterwideNetworkPolicy".
func describeUnjudged(us []policy.UnjudgedPolicy) string {
	objects := map[string]int{}
	unlisted := map[string]bool{}
	for _, u := range us {
		if u.Name == "" {
			unlisted[u.Kind] = true
		} else {
			objects[u.Kind]++
		}
	}
	s := ""
	if len(objects) > 0 {
		var counts []string
		for _, k := range sortedKeys(objects) {
			counts = append(counts, fmt.Sprintf("%d %s", objects[k], k))
		}
		s += "; not evaluated: " + checks.ListSome(counts, 3)
	}
	if len(unlisted) > 0 {
		s += "; not listed: " + checks.ListSome(sortedKeys(unlisted), 3)
	}
	return s
}
