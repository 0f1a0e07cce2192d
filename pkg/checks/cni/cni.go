// Package cni diagnoses the cluster network layer: which CNI runs,
// whether its agent is healthy on each node, what its logs complain about,
// whether it enforces NetworkPolicy, kube-proxy, and the nodes' network
// state. The pod-to-pod procedure reuses the per-node checks for its two
// nodes.
package cni

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Request scopes the diagnosis.
type Request struct {
	// Nodes limits the per-node checks; all nodes when empty.
	Nodes []string
	Now   func() time.Time
	// MaxLogPods bounds how many agent pods' logs are read.
	MaxLogPods int
}

// Facts is what the checks look at.
type Facts struct {
	Info    cnidetect.Info
	InfoErr error

	// AgentPods by agent DaemonSet, then node name.
	AgentPods    map[string]map[string][]corev1.Pod
	AgentPodsErr error

	Logs    map[string]string // by "namespace/pod"
	LogErrs map[string]error

	Nodes    []corev1.Node
	NodesErr error

	KubeProxy    *appsv1.DaemonSet
	ProxyPods    []corev1.Pod
	KubeProxyErr error

	// PolicyCount: how many NetworkPolicies exist (at least), -1 unknown.
	PolicyCount int

	scope []string
	now   time.Time
}

// Gather reads DaemonSets (once), the nodes in scope, the agent pods on
// them, kube-proxy, whether any NetworkPolicy exists, and agent logs.
func Gather(ctx context.Context, client kubernetes.Interface, req Request) (*Facts, error) {
	if req.Now == nil {
		req.Now = time.Now
	}
	if req.MaxLogPods == 0 {
		req.MaxLogPods = 5
	}
	f := &Facts{AgentPods: map[string]map[string][]corev1.Pod{}, Logs: map[string]string{}, LogErrs: map[string]error{}, PolicyCount: -1, scope: req.Nodes, now: req.Now()}
	var wg sync.WaitGroup
	wg.Go(func() { f.Info, f.InfoErr = cnidetect.Detect(ctx, client) })
	wg.Go(func() { f.Nodes, f.NodesErr = readNodes(ctx, client, req.Nodes) })
	wg.Go(func() {
		ds, err := client.AppsV1().DaemonSets(metav1.NamespaceSystem).Get(ctx, "kube-proxy", metav1.GetOptions{})
		if err == nil {
			f.KubeProxy = ds
		}
		list, perr := client.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-proxy"})
		if perr == nil {
			f.ProxyPods = list.Items
		}
		switch {
		case err != nil && !apierrors.IsNotFound(err):
			f.KubeProxyErr = kube.Read(kube.Get("apps", "daemonsets", metav1.NamespaceSystem), err)
		case err != nil && perr != nil:
			// No DaemonSet, and the static pods could not be read: saying
			// "no kube-proxy" would be a guess.
			f.KubeProxyErr = kube.Read(kube.List("", "pods", metav1.NamespaceSystem), perr)
		}
	})
	wg.Go(func() {
		list, err := client.NetworkingV1().NetworkPolicies(metav1.NamespaceAll).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			f.PolicyCount = len(list.Items)
			if list.RemainingItemCount != nil {
				f.PolicyCount += int(*list.RemainingItemCount)
			} else if list.Continue != "" {
				f.PolicyCount++ // more than one; the exact count does not matter
			}
		}
	})
	wg.Wait()
	if f.InfoErr != nil && !kube.IsAPIAnswer(f.InfoErr) {
		return nil, fmt.Errorf("reading DaemonSets: %w", f.InfoErr)
	}
	f.readAgents(ctx, client, req.MaxLogPods)
	return f, nil
}

func readNodes(ctx context.Context, client kubernetes.Interface, names []string) ([]corev1.Node, error) {
	if len(names) == 0 {
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, kube.Read(kube.List("", "nodes", ""), err)
		}
		return list.Items, nil
	}
	var out []corev1.Node
	for _, n := range uniq(names) {
		node, err := client.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			return out, kube.Read(kube.Get("", "nodes", ""), err)
		}
		out = append(out, *node)
	}
	return out, nil
}

// readAgents lists each agent's pods (one LIST per agent, by its selector,
// filtered to the nodes in scope) and reads the logs of the most suspicious
// ones: not ready or restarting first.
func (f *Facts) readAgents(ctx context.Context, client kubernetes.Interface, maxLogs int) {
	inScope := map[string]bool{}
	for _, n := range f.scope {
		inScope[n] = true
	}
	var candidates []corev1.Pod
	for _, a := range f.Info.Agents {
		opts := metav1.ListOptions{}
		if len(a.Selector) > 0 {
			opts.LabelSelector = labels.SelectorFromSet(a.Selector).String()
		}
		if len(f.scope) == 1 {
			opts.FieldSelector = "spec.nodeName=" + f.scope[0]
		}
		list, err := client.CoreV1().Pods(a.Namespace).List(ctx, opts)
		if err != nil {
			f.AgentPodsErr = kube.Read(kube.List("", "pods", a.Namespace), err)
			continue
		}
		byNode := map[string][]corev1.Pod{}
		for _, p := range list.Items {
			if len(inScope) > 0 && !inScope[p.Spec.NodeName] {
				continue
			}
			byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
			candidates = append(candidates, p)
		}
		f.AgentPods[a.Namespace+"/"+a.DaemonSet] = byNode
	}
	sort.SliceStable(candidates, func(i, j int) bool { return suspicion(&candidates[i]) > suspicion(&candidates[j]) })
	if len(candidates) > maxLogs {
		candidates = candidates[:maxLogs]
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range candidates {
		wg.Go(func() {
			text, err := tailLog(ctx, client, p)
			mu.Lock()
			defer mu.Unlock()
			key := p.Namespace + "/" + p.Name
			if err != nil {
				f.LogErrs[key] = err
			} else {
				f.Logs[key] = text
			}
		})
	}
	wg.Wait()
}

func suspicion(p *corev1.Pod) int {
	s := podstatus.Of(p, nil, time.Time{})
	score := int(s.Restarts)
	if !s.Ready {
		score += 1000
	}
	return score
}

func tailLog(ctx context.Context, client kubernetes.Interface, p corev1.Pod) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	lines := int64(200)
	since := int64(3600)
	stream, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{TailLines: &lines, SinceSeconds: &since, Container: p.Spec.Containers[0].Name}).Stream(ctx)
	if err != nil {
		return "", kube.Read(kube.Get("", "pods/log", p.Namespace), err)
	}
	defer stream.Close()
	b, err := io.ReadAll(io.LimitReader(stream, 2<<20))
	return string(b), err
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// errorLine matches error-level lines of the usual log formats: klog
// (E1127 ...), logfmt (level=error), JSON ("level":"error"), bracketed.
var errorLine = regexp.MustCompile(`^[EF]\d{4} |(?i:level=(error|fatal))|(?i:"level":"(error|fatal)")|\[(ERROR|FATAL)\]|^panic:|\sERROR\s`)

// Diagnose runs the whole CNI procedure.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	client := c.Typed
	f, err := Gather(ctx, client, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("cni", report.Object{Kind: "Cluster", Name: "network"})
	rep.Title = "Cluster network (CNI " + f.Info.Names() + ")"
	rep.Add(CheckPlugin(f), CheckNodes(f), CheckAgents(f), CheckAgentLogs(f), CheckEnforcement(f), CheckKubeProxy(f))
	rep.Finish(nil)
	return rep, nil
}
