package dns

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

const system = metav1.NamespaceSystem

// Facts is what the DNS checks look at; each error sits beside its data.
type Facts struct {
	Service    *corev1.Service
	ServiceErr error

	Pods    []corev1.Pod
	PodsErr error

	Slices    []discoveryv1.EndpointSlice
	SlicesErr error

	Corefile    string
	CorefileErr error // NotFound: not CoreDNS, or configured elsewhere

	NodeLocal    *appsv1.DaemonSet
	NodeLocalErr error

	// Logs of up to maxLogPods DNS pods, by pod name.
	Logs    map[string]string
	LogErrs map[string]error

	now time.Time
}

// maxLogPods bounds log reads on clusters with many DNS replicas.
const maxLogPods = 3

// nodeLocalNames are the DaemonSet names NodeLocal DNSCache is deployed as.
var nodeLocalNames = []string{"node-local-dns", "nodelocaldns"}

func (f *Facts) serviceName() string {
	if f.Service != nil {
		return f.Service.Name
	}
	return "kube-dns"
}

// serviceIP is the DNS Service's ClusterIP, "" when it was not found.
func (f *Facts) serviceIP() string {
	if f.Service != nil {
		return f.Service.Spec.ClusterIP
	}
	return ""
}

// ClusterDomain from the Corefile, else the usual default.
func (f *Facts) ClusterDomain() string {
	if d := ClusterDomain(ParseCorefile(f.Corefile)); d != "" {
		return d
	}
	return "cluster.local"
}

// Gather reads kube-system: the DNS Service (label k8s-app=kube-dns, the
// convention of kubeadm, kind, k3s and the managed clouds, or by name), then
// its pods, EndpointSlices, the coredns ConfigMap, a node-local cache and
// the pods' recent logs, concurrently.
func Gather(ctx context.Context, client kubernetes.Interface, req Request) (*Facts, error) {
	f := &Facts{Logs: map[string]string{}, LogErrs: map[string]error{}, now: req.Now()}
	svc, err := findService(ctx, client)
	if err != nil && !kube.IsAPIAnswer(err) {
		return nil, fmt.Errorf("reading the DNS service: %w", err)
	}
	f.Service, f.ServiceErr = svc, err

	var wg sync.WaitGroup
	if f.Service != nil && len(f.Service.Spec.Selector) > 0 {
		wg.Go(func() {
			sel := labels.SelectorFromSet(f.Service.Spec.Selector).String()
			list, err := client.CoreV1().Pods(system).List(ctx, metav1.ListOptions{LabelSelector: sel})
			f.PodsErr = kube.Read(kube.List("", "pods", system), err)
			if err != nil {
				return
			}
			f.Pods = list.Items
			f.readLogs(ctx, client, req.LogLines)
		})
	}
	if f.Service != nil {
		wg.Go(func() {
			sel := labels.Set{discoveryv1.LabelServiceName: f.Service.Name}.AsSelector().String()
			list, err := client.DiscoveryV1().EndpointSlices(system).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err == nil {
				f.Slices = list.Items
			}
			f.SlicesErr = kube.Read(kube.List("discovery.k8s.io", "endpointslices", system), err)
		})
	}
	wg.Go(func() {
		cm, err := client.CoreV1().ConfigMaps(system).Get(ctx, "coredns", metav1.GetOptions{})
		if err == nil {
			f.Corefile = cm.Data["Corefile"]
		}
		f.CorefileErr = kube.Read(kube.Get("", "configmaps", system), err)
	})
	wg.Go(func() {
		for _, name := range nodeLocalNames {
			ds, err := client.AppsV1().DaemonSets(system).Get(ctx, name, metav1.GetOptions{})
			if err == nil {
				f.NodeLocal = ds
				return
			}
			if !apierrors.IsNotFound(err) {
				f.NodeLocalErr = kube.Read(kube.Get("apps", "daemonsets", system), err)
				return
			}
		}
	})
	wg.Wait()
	return f, nil
}

func findService(ctx context.Context, client kubernetes.Interface) (*corev1.Service, error) {
	list, err := client.CoreV1().Services(system).List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil {
		return nil, kube.Read(kube.List("", "services", system), err)
	}
	if len(list.Items) > 0 {
		sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
		return &list.Items[0], nil
	}
	var lastErr error
	for _, name := range []string{"kube-dns", "coredns"} {
		svc, err := client.CoreV1().Services(system).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return svc, nil
		}
		lastErr = kube.Read(kube.Get("", "services", system), err)
		if !apierrors.IsNotFound(err) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// readLogs reads the tail of the first few DNS pods' logs, concurrently and
// with a short timeout: logs come from the kubelet, which may be slow or
// unreachable from the API server.
func (f *Facts) readLogs(ctx context.Context, client kubernetes.Interface, lines int64) {
	pods := append([]corev1.Pod{}, f.Pods...)
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	if len(pods) > maxLogPods {
		pods = pods[:maxLogPods]
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodFailed {
			continue
		}
		wg.Go(func() {
			text, err := podLog(ctx, client, p, lines)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.LogErrs[p.Name] = err
				return
			}
			f.Logs[p.Name] = text
		})
	}
	wg.Wait()
}

func podLog(ctx context.Context, client kubernetes.Interface, p corev1.Pod, lines int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	opts := &corev1.PodLogOptions{TailLines: &lines}
	if len(p.Spec.Containers) > 1 {
		opts.Container = dnsContainer(p)
	}
	stream, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).Stream(ctx)
	if err != nil {
		return "", kube.Read(kube.Get("", "pods/log", p.Namespace), err)
	}
	defer stream.Close()
	b, err := io.ReadAll(io.LimitReader(stream, 4<<20))
	if err != nil {
		return "", fmt.Errorf("reading the log of %s: %w", p.Name, err)
	}
	return string(b), nil
}

// dnsContainer picks the DNS server's container in a multi-container pod.
func dnsContainer(p corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if strings.Contains(c.Name, "coredns") || c.Name == "kubedns" || strings.Contains(c.Name, "dns") {
			return c.Name
		}
	}
	return p.Spec.Containers[0].Name
}

// Domain reads the cluster domain from the coredns ConfigMap; cluster.local
// when it cannot be read or says nothing.
func Domain(ctx context.Context, client kubernetes.Interface) string {
	cm, err := client.CoreV1().ConfigMaps(system).Get(ctx, "coredns", metav1.GetOptions{})
	if err == nil {
		if d := ClusterDomain(ParseCorefile(cm.Data["Corefile"])); d != "" {
			return d
		}
	}
	return "cluster.local"
}
