// Package cnidetect recognises the cluster's network plugin (and NetworkPolicy
// enforcers) from the DaemonSets that run their node agents, and says
// whether NetworkPolicy is enforced at all: a verdict of the policy engine is
// theory on a cluster whose CNI ignores policies.
package cnidetect

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

// Enforcement says whether a plugin enforces NetworkPolicy.
type Enforcement string

const (
	Enforces     Enforcement = "yes"
	NoEnforce    Enforcement = "no"
	MaybeEnforce Enforcement = "depends" // on configuration or version; see the note
)

// Agent is one recognised node agent.
type Agent struct {
	Plugin    string      `json:"plugin"`
	Namespace string      `json:"namespace"`
	DaemonSet string      `json:"daemonSet"`
	Enforces  Enforcement `json:"enforcesNetworkPolicy"`
	Note      string      `json:"note,omitempty"`
	// Selector matches the agent's pods (for per-node health checks).
	Selector map[string]string `json:"-"`
	Desired  int32             `json:"desired"`
	Ready    int32             `json:"ready"`
}

// Info is what was found.
type Info struct {
	Agents []Agent `json:"agents"`
	// Enforced: some agent enforces NetworkPolicy (yes), none does (no),
	// or it depends on settings that cannot be read (depends).
	Enforced Enforcement `json:"networkPolicyEnforced"`
	// Evidence lists the DaemonSets looked at when nothing was recognised.
	Evidence []string `json:"evidence,omitempty"`
}

// Names lists the recognised plugins, e.g. "calico+flannel".
func (i Info) Names() string {
	var names []string
	for _, a := range i.Agents {
		names = append(names, a.Plugin)
	}
	if len(names) == 0 {
		return "unknown"
	}
	return strings.Join(names, "+")
}

// known maps a DaemonSet name to its plugin. Order matters only for
// readability; matching is on the exact name or a prefix ending in "-".
var known = []struct {
	names    []string
	plugin   string
	enforces Enforcement
	note     string
}{
	{[]string{"cilium", "cilium-agent"}, "cilium", Enforces, ""},
	{[]string{"anetd"}, "gke-dataplane-v2", Enforces, "GKE Dataplane V2 (Cilium-based)"},
	{[]string{"calico-node"}, "calico", Enforces, ""},
	{[]string{"canal"}, "canal", Enforces, "flannel networking with Calico policy"},
	{[]string{"kube-flannel-ds", "kube-flannel", "flannel"}, "flannel", NoEnforce, "flannel alone does not enforce NetworkPolicy"},
	{[]string{"weave-net"}, "weave", Enforces, "enforced by weave-npc"},
	{[]string{"antrea-agent"}, "antrea", Enforces, ""},
	{[]string{"kube-router"}, "kube-router", MaybeEnforce, "enforces unless started with --run-firewall=false"},
	{[]string{"ovnkube-node"}, "ovn-kubernetes", Enforces, ""},
	{[]string{"aws-node"}, "aws-vpc-cni", MaybeEnforce, "enforces only with the network policy agent enabled (ENABLE_NETWORK_POLICY)"},
	{[]string{"azure-npm"}, "azure-npm", Enforces, "Azure Network Policy Manager"},
	{[]string{"azure-cns", "azure-cni"}, "azure-cni", NoEnforce, "Azure CNI alone does not enforce NetworkPolicy (needs azure-npm, Calico or Cilium)"},
	{[]string{"kindnet"}, "kindnet", MaybeEnforce, "kindnet enforces NetworkPolicy since v1.0; older versions do not"},
	{[]string{"kube-network-policies"}, "kube-network-policies", Enforces, "standalone NetworkPolicy enforcer"},
	{[]string{"netd"}, "gke-netd", NoEnforce, ""},
}

// Detect lists the DaemonSets of the cluster (kube-system only when listing
// all namespaces is forbidden) and recognises network agents among them.
func Detect(ctx context.Context, client kubernetes.Interface) (Info, error) {
	list, err := client.AppsV1().DaemonSets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		var fallbackErr error
		list, fallbackErr = client.AppsV1().DaemonSets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
		if fallbackErr != nil {
			return Info{}, kube.Read(kube.List("apps", "daemonsets", ""), err)
		}
	}
	return Recognise(list.Items), nil
}

// Recognise classifies DaemonSets.
func Recognise(dss []appsv1.DaemonSet) Info {
	var info Info
	for _, ds := range dss {
		if a, ok := recognise(ds); ok {
			info.Agents = append(info.Agents, a)
		}
	}
	sort.Slice(info.Agents, func(i, j int) bool { return info.Agents[i].Plugin < info.Agents[j].Plugin })
	info.Enforced = NoEnforce
	for _, a := range info.Agents {
		switch {
		case a.Enforces == Enforces:
			info.Enforced = Enforces
		case a.Enforces == MaybeEnforce && info.Enforced == NoEnforce:
			info.Enforced = MaybeEnforce
		}
	}
	if len(info.Agents) == 0 {
		info.Enforced = MaybeEnforce
		for _, ds := range dss {
			if ds.Namespace == metav1.NamespaceSystem {
				info.Evidence = append(info.Evidence, "daemonset "+ds.Namespace+"/"+ds.Name)
			}
		}
	}
	return info
}

func recognise(ds appsv1.DaemonSet) (Agent, bool) {
	for _, k := range known {
		for _, n := range k.names {
			if ds.Name == n || strings.HasPrefix(ds.Name, n+"-") {
				a := Agent{
					Plugin: k.plugin, Namespace: ds.Namespace, DaemonSet: ds.Name,
					Enforces: k.enforces, Note: k.note,
					Desired: ds.Status.DesiredNumberScheduled, Ready: ds.Status.NumberReady,
				}
				if ds.Spec.Selector != nil {
					a.Selector = ds.Spec.Selector.MatchLabels
				}
				refine(&a, ds)
				return a, true
			}
		}
	}
	return Agent{}, false
}

// refine reads settings that decide enforcement for plugins where it is
// optional, when the DaemonSet spells them out.
func refine(a *Agent, ds appsv1.DaemonSet) {
	containers := ds.Spec.Template.Spec.Containers
	switch a.Plugin {
	case "aws-vpc-cni":
		for _, c := range containers {
			if c.Name == "aws-network-policy-agent" {
				for _, arg := range c.Args {
					if arg == "--enable-network-policy=true" {
						a.Enforces, a.Note = Enforces, "network policy agent enabled"
						return
					}
				}
			}
		}
		a.Enforces, a.Note = NoEnforce, "the network policy agent is not enabled (--enable-network-policy=true)"
	case "kube-router":
		for _, c := range containers {
			for _, arg := range c.Args {
				if arg == "--run-firewall=false" {
					a.Enforces, a.Note = NoEnforce, "started with --run-firewall=false"
					return
				}
			}
		}
		a.Enforces, a.Note = Enforces, "kube-router runs its firewall (the default)"
	}
}

// Describe says in one line what was found, for messages.
func (i Info) Describe() string {
	switch {
	case len(i.Agents) == 0:
		return "no known network plugin found among the DaemonSets"
	case i.Enforced == Enforces:
		return fmt.Sprintf("%s enforces NetworkPolicy", i.Names())
	case i.Enforced == NoEnforce:
		return fmt.Sprintf("%s does not enforce NetworkPolicy", i.Names())
	default:
		var notes []string
		for _, a := range i.Agents {
			if a.Note != "" {
				notes = append(notes, a.Note)
			}
		}
		return fmt.Sprintf("%s may enforce NetworkPolicy (%s)", i.Names(), strings.Join(notes, "; "))
	}
}

// AgentPods lists the agent's pods on a node.
func AgentPods(ctx context.Context, client kubernetes.Interface, a Agent, node string) ([]corev1.Pod, error) {
	opts := metav1.ListOptions{FieldSelector: "spec.nodeName=" + node}
	if len(a.Selector) > 0 {
		opts.LabelSelector = metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: a.Selector})
	}
	list, err := client.CoreV1().Pods(a.Namespace).List(ctx, opts)
	if err != nil {
		return nil, kube.Read(kube.List("", "pods", a.Namespace), err)
	}
	return list.Items, nil
}
