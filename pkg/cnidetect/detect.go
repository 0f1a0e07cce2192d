// Package cnidetect recognises the cluster's network plugin (and NetworkPolicy
// enforcers) from the DaemonSets that run their node agents, and says
// whether NetworkPolicy is enforced at all: a verdict of the policy engine is
// theory on a cluster whose CNI ignores policies. It also says which policy
// APIs (AdminNetworkPolicy, CiliumNetworkPolicy, ...) the plugins enforce,
// per their documentation and what their DaemonSets show.
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
	// Version is the plugin's version read from its image tag, when the
	// table says which image carries it ("" when unknown).
	Version string `json:"version,omitempty"`
	// PolicyAPIs are the policy APIs the agent enforces, with how sure
	// that is; empty when it enforces none.
	PolicyAPIs []PolicyAPI `json:"policyAPIs,omitempty"`
}

// Info is what was found.
type Info struct {
	Agents []Agent `json:"agents"`
	// Enforced: some agent enforces NetworkPolicy (yes), none does (no),
	// or it depends on settings that cannot be read (depends).
	Enforced Enforcement `json:"networkPolicyEnforced"`
	// Evidence lists the DaemonSets looked at when nothing was recognised.
	Evidence []string `json:"evidence,omitempty"`
	// PolicyAPIs names the policy APIs the recognised agents enforce, e.g.
	// "NetworkPolicy", "CiliumNetworkPolicy.cilium.io", "AdminNetworkPolicy
	// (by version: calico v3.29 to v3.31)"; see PolicyAPI.String. Empty when
	// no agent was recognised or none enforces any.
	PolicyAPIs []string `json:"policyAPIs,omitempty"`
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

// knownAgent is what this version knows of one network plugin: the
// DaemonSets that run its node agent, whether it enforces NetworkPolicy and
// which policy APIs it enforces (per the plugin's documentation; see
// policyAPIRule).
type knownAgent struct {
	// names match the DaemonSet: the exact name or a prefix ending in "-".
	names    []string
	plugin   string
	enforces Enforcement
	note     string
	// images are the repositories (as the image reference ends, without
	// registry) whose tag gives the plugin's version, e.g. "calico/node".
	images []string
	apis   []policyAPIRule
}

// knownAgents is the table of the node agents this version recognises.
// Order matters only for readability. Sources of the policy API claims:
//   - cilium: https://docs.cilium.io/en/stable/network/kubernetes/policy/
//   - gke-dataplane-v2: https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2,
//     https://cloud.google.com/kubernetes-engine/docs/how-to/configure-cilium-network-policy
//   - calico, canal: https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy
//     and the release notes of Calico v3.29 (AdminNetworkPolicy), v3.30
//     (BaselineAdminNetworkPolicy) and v3.32 (ClusterNetworkPolicy; both
//     v1alpha1 kinds no longer enforced)
//   - antrea: https://github.com/antrea-io/antrea/blob/main/docs/feature-gates.md,
//     docs/admin-network-policy.md, docs/cluster-network-policy.md
//   - ovn-kubernetes: https://github.com/ovn-kubernetes/ovn-kubernetes/blob/master/docs/features/network-security-controls/
//     (flags enable-admin-network-policy, enable-egress-firewall in go-controller/pkg/config)
//   - kube-network-policies: https://github.com/kubernetes-sigs/kube-network-policies
//     (flags --admin-network-policy and --baseline-admin-network-policy up to
//     v0.8; images tagged -npa-v1alpha1 / -npa-v1alpha2 since v0.9)
//   - kube-router: https://kube-router.io/docs/see-it-in-action/
//   - kindnet: https://github.com/kubernetes-sigs/kindnet (cmd/kindnetd)
func knownAgents() []knownAgent {
	const (
		k8s      = "networking.k8s.io"
		npa      = "policy.networking.k8s.io"
		calico   = "projectcalico.org"
		antrea   = "crd.antrea.io"
		ciliumio = "cilium.io"
	)
	networkPolicy := policyAPIRule{group: k8s, kind: "NetworkPolicy", support: SupportYes}
	calicoAPIs := []policyAPIRule{
		networkPolicy,
		{group: calico, kind: "NetworkPolicy", support: SupportYes},
		{group: calico, kind: "GlobalNetworkPolicy", support: SupportYes},
		{group: npa, kind: "AdminNetworkPolicy", support: SupportYes, since: "3.29", until: "3.31"},
		{group: npa, kind: "BaselineAdminNetworkPolicy", support: SupportYes, since: "3.30", until: "3.31"},
		{group: npa, kind: "ClusterNetworkPolicy", support: SupportYes, since: "3.32"},
	}
	ovnSetting := func(kind, group, flag, env string) policyAPIRule {
		return policyAPIRule{group: group, kind: kind, support: SupportBySetting, note: "ovnkube --" + flag, flag: flag, env: env}
	}
	return []knownAgent{
		{names: []string{"cilium", "cilium-agent"}, plugin: "cilium", enforces: Enforces, apis: []policyAPIRule{
			networkPolicy,
			{group: ciliumio, kind: "CiliumNetworkPolicy", support: SupportYes},
			{group: ciliumio, kind: "CiliumClusterwideNetworkPolicy", support: SupportYes},
		}},
		{names: []string{"anetd"}, plugin: "gke-dataplane-v2", enforces: Enforces, note: "GKE Dataplane V2 (Cilium-based)", apis: []policyAPIRule{
			networkPolicy,
			{group: ciliumio, kind: "CiliumClusterwideNetworkPolicy", support: SupportBySetting, note: "GKE Cilium cluster-wide network policy enabled"},
		}},
		{names: []string{"calico-node"}, plugin: "calico", enforces: Enforces, images: []string{"calico/node"}, apis: calicoAPIs},
		{names: []string{"canal"}, plugin: "canal", enforces: Enforces, note: "flannel networking with Calico policy", images: []string{"calico/node"}, apis: calicoAPIs},
		{names: []string{"kube-flannel-ds", "kube-flannel", "flannel"}, plugin: "flannel", enforces: NoEnforce, note: "flannel alone does not enforce NetworkPolicy"},
		{names: []string{"weave-net"}, plugin: "weave", enforces: Enforces, note: "enforced by weave-npc", apis: []policyAPIRule{networkPolicy}},
		{names: []string{"antrea-agent"}, plugin: "antrea", enforces: Enforces, images: []string{"antrea/antrea-agent-ubuntu", "antrea/antrea-ubuntu"}, apis: []policyAPIRule{
			networkPolicy,
			{group: antrea, kind: "NetworkPolicy", support: SupportYes},
			{group: antrea, kind: "ClusterNetworkPolicy", support: SupportYes},
			{group: npa, kind: "AdminNetworkPolicy", support: SupportBySetting, note: "feature gate AdminNetworkPolicy (deprecated)", since: "1.13"},
			{group: npa, kind: "BaselineAdminNetworkPolicy", support: SupportBySetting, note: "feature gate AdminNetworkPolicy (deprecated)", since: "1.13"},
			{group: npa, kind: "ClusterNetworkPolicy", support: SupportBySetting, note: "feature gate ClusterNetworkPolicy", since: "2.7"},
		}},
		{names: []string{"kube-router"}, plugin: "kube-router", enforces: MaybeEnforce, note: "enforces unless started with --run-firewall=false", apis: []policyAPIRule{networkPolicy}},
		{names: []string{"ovnkube-node"}, plugin: "ovn-kubernetes", enforces: Enforces, apis: []policyAPIRule{
			networkPolicy,
			ovnSetting("AdminNetworkPolicy", npa, "enable-admin-network-policy", "OVN_ADMIN_NETWORK_POLICY_ENABLE"),
			ovnSetting("BaselineAdminNetworkPolicy", npa, "enable-admin-network-policy", "OVN_ADMIN_NETWORK_POLICY_ENABLE"),
			ovnSetting("EgressFirewall", "k8s.ovn.org", "enable-egress-firewall", "OVN_EGRESSFIREWALL_ENABLE"),
		}},
		{names: []string{"aws-node"}, plugin: "aws-vpc-cni", enforces: MaybeEnforce, note: "enforces only with the network policy agent enabled (ENABLE_NETWORK_POLICY)", apis: []policyAPIRule{networkPolicy}},
		{names: []string{"azure-npm"}, plugin: "azure-npm", enforces: Enforces, note: "Azure Network Policy Manager", apis: []policyAPIRule{networkPolicy}},
		{names: []string{"azure-cns", "azure-cni"}, plugin: "azure-cni", enforces: NoEnforce, note: "Azure CNI alone does not enforce NetworkPolicy (needs azure-npm, Calico or Cilium)"},
		{names: []string{"kindnet"}, plugin: "kindnet", enforces: MaybeEnforce, note: "kindnet enforces NetworkPolicy since v1.0; older versions do not", apis: []policyAPIRule{
			{group: k8s, kind: "NetworkPolicy", support: SupportByVersion},
			{group: npa, kind: "AdminNetworkPolicy", support: SupportUnknown, note: "documented for some standalone kindnet versions, absent from its current code"},
		}},
		{names: []string{"kube-network-policies"}, plugin: "kube-network-policies", enforces: Enforces, note: "standalone NetworkPolicy enforcer", apis: []policyAPIRule{
			networkPolicy,
			// Up to v0.8 one binary, switched by flags; since v0.9 an image
			// per API version, no flags.
			{group: npa, kind: "AdminNetworkPolicy", flag: "admin-network-policy", tagSuffix: "-npa-v1alpha1"},
			{group: npa, kind: "BaselineAdminNetworkPolicy", flag: "baseline-admin-network-policy", tagSuffix: "-npa-v1alpha1"},
			{group: npa, kind: "ClusterNetworkPolicy", tagSuffix: "-npa-v1alpha2"},
		}},
		{names: []string{"netd"}, plugin: "gke-netd", enforces: NoEnforce},
	}
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
	table := knownAgents()
	for _, ds := range dss {
		if a, ok := recognise(ds, table); ok {
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
	info.PolicyAPIs = mergePolicyAPIs(info.Agents)
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

func recognise(ds appsv1.DaemonSet, table []knownAgent) (Agent, bool) {
	for _, k := range table {
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
				a.Version = imageVersion(ds.Spec.Template.Spec.Containers, k.images)
				if a.Enforces != NoEnforce {
					a.PolicyAPIs = resolvePolicyAPIs(k.plugin, k.apis, a.Version, ds.Spec.Template.Spec.Containers)
				}
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
