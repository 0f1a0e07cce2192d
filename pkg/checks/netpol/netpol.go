// Package netpol is the NetworkPolicy procedure: which policies select a pod
// and what they let in and out (describe), whether a flow between two
// endpoints is allowed on each port and why (the allowing rule, or every
// candidate rule's miss, closest first), the truth table between the pods of
// a scope (matrix), what-if simulation of added or replaced policies, and the
// procedure's temporary allow-all test made safe.
//
// Verdicts come from pkg/policy; this package reads what a question needs
// (Gather), turns verdicts into checks, and renders the tables a terminal
// needs (the describe rules and the matrix), which printers do not know.
package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// World is the snapshot a question is answered from, and where it came from:
// a cluster (Gather) or manifests (FromManifests).
type World struct {
	Snapshot policy.Snapshot
	Engine   *policy.Engine

	// Cluster is true when the snapshot was read from a cluster.
	Cluster bool
	// AdminAPI: the AdminNetworkPolicy API is served (cluster only).
	AdminAPI bool
	// PolicyAPIs are the policy kinds served beyond NetworkPolicy, as
	// group/version/Kind (cluster only; policyfetch.Result.PolicyAPIs).
	PolicyAPIs []string
	// CalicoTiersUnread says why Calico's tiers could not be read
	// (cluster only; policyfetch.Result.CalicoTiersUnread).
	CalicoTiersUnread string
	// PolicyNamespaces are the namespaces whose NetworkPolicies were read;
	// "" means all namespaces.
	PolicyNamespaces []string
	// Missing are pods named by the question that do not exist.
	Missing []policy.PodRef
	// ReadErr is a read that failed although the verdict needs it
	// (forbidden, or an API error): nothing can be decided.
	ReadErr error
	// podsUnread: ReadErr happened while reading the pods themselves.
	podsUnread bool
	// CNI is the network plugin found (cluster only).
	CNI    cnidetect.Info
	CNIErr error
	// IPOwners lists, per IP endpoint of the question, the pods whose IP it
	// is (cluster: looked up; manifests: from the pods' status).
	IPOwners map[netip.Addr][]policy.PodRef

	// Files, Warnings and Sources come from the manifests (offline mode).
	Files     []string
	FilesRead int
	Warnings  []manifest.Warning
	Sources   map[policy.PolicyRef]string
	// Lenient (offline): a policy the API server would reject only warns;
	// by default it fails the run, as it would fail to apply.
	Lenient bool

	// AllPods: the snapshot holds every pod there is (all namespaces of a
	// cluster, or the manifests), so "matches no pod" findings are exact.
	AllPods bool
}

// NewWorld builds the engine for a snapshot.
func NewWorld(s policy.Snapshot) *World {
	return &World{Snapshot: s, Engine: policy.New(s)}
}

// FromManifests is the world of an offline run.
func FromManifests(files []string, res *manifest.Result) *World {
	w := NewWorld(res.Snapshot)
	w.Files = files
	w.FilesRead = res.FilesRead
	w.Warnings = res.Warnings
	w.Sources = res.Sources
	w.AllPods = true
	return w
}

// assumedNamespace reports whether the manifests referenced namespace ns
// without declaring it, so that its labels are a guess.
func (w *World) assumedNamespace(ns string) bool {
	if w.Cluster {
		return false
	}
	return slices.ContainsFunc(w.Warnings, func(wr manifest.Warning) bool {
		return wr.Kind == manifest.WarnImplicitNamespace && wr.Namespace == ns
	})
}

// Arg is one endpoint as the user named it: a pod or an IP.
type Arg struct {
	// Text is what the user typed.
	Text string
	Pod  policy.PodRef
	IP   netip.Addr
}

// IsIP reports whether the endpoint is an IP address.
func (a Arg) IsIP() bool { return a.IP.IsValid() }

// Endpoint is the engine's view of the argument.
func (a Arg) Endpoint() policy.Endpoint {
	if a.IsIP() {
		return policy.IPEndpoint(a.IP)
	}
	return policy.Endpoint{Pod: a.Pod}
}

// Name is "ns/pod" or the IP.
func (a Arg) Name() string {
	if a.IsIP() {
		return a.IP.String()
	}
	return a.Pod.String()
}

// object names the endpoint in a flow's target: a pod, or an IP address
// (kind IP).
func (a Arg) object() report.Object {
	if a.IsIP() {
		return report.Object{Kind: "IP", Name: a.IP.String()}
	}
	return podObject(a.Pod)
}

// ParseIP reads an IP endpoint; zones (fe80::1%eth0) are refused.
func ParseIP(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// podText names an endpoint for messages: "pod ns/x" or "IP 1.2.3.4".
func podText(ep policy.Endpoint) string {
	if ep.IsPod() {
		return ep.Pod.String()
	}
	return ep.IP.String()
}

// kubectlNS is the namespace flag of a kubectl command.
func kubectlNS(ns string) string { return "kubectl -n " + ns }

// policyCommand is the kubectl command that shows a policy.
func policyCommand(ref policy.PolicyRef) string {
	switch ref.Kind {
	case policy.KindAdminNetworkPolicy:
		return "kubectl get adminnetworkpolicy " + ref.Name + " -o yaml"
	case policy.KindBaselineAdminNetworkPolicy:
		return "kubectl get baselineadminnetworkpolicy " + ref.Name + " -o yaml"
	case policy.KindClusterNetworkPolicy:
		return "kubectl get clusternetworkpolicy " + ref.Name + " -o yaml"
	case policy.KindCiliumClusterwideNetworkPolicy:
		return "kubectl get ciliumclusterwidenetworkpolicy " + ref.Name + " -o yaml"
	case policy.KindCiliumNetworkPolicy:
		return kubectlNS(ref.Namespace) + " get ciliumnetworkpolicy " + ref.Name + " -o yaml"
	}
	return kubectlNS(ref.Namespace) + " get networkpolicy " + ref.Name + " -o yaml"
}

// podObject is the report object for a pod.
func podObject(ref policy.PodRef) report.Object {
	return report.Object{Kind: "Pod", Namespace: ref.Namespace, Name: ref.Name}
}

func policyObject(ref policy.PolicyRef) report.Object {
	return report.Object{Kind: string(ref.Kind), Namespace: ref.Namespace, Name: ref.Name}
}

// PolicyData names a policy in JSON.
type PolicyData struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func policyData(ref policy.PolicyRef) PolicyData {
	return PolicyData{Kind: string(ref.Kind), Namespace: ref.Namespace, Name: ref.Name}
}

// CaveatData is a caveat in JSON.
type CaveatData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func caveatData(cs []policy.Caveat) []CaveatData {
	var out []CaveatData
	for _, c := range cs {
		out = append(out, CaveatData{Code: c.Code, Message: c.Message})
	}
	return out
}

// informational caveats state a rule of the specification rather than a
// doubt about the result; the others turn a pass into a warning.
func informational(code string) bool {
	switch code {
	case policy.CaveatIPIsPod, policy.CaveatSamePod, policy.CaveatOwnNode:
		return true
	}
	return false
}

func doubtful(cs []policy.Caveat) bool {
	for _, c := range cs {
		if !informational(c.Code) {
			return true
		}
	}
	return false
}

// portLabel is "TCP 8080" or "TCP 8080 (http)".
func portLabel(proto corev1.Protocol, number int32, name string) string {
	s := fmt.Sprintf("%s %d", proto, number)
	if number == 0 {
		s = fmt.Sprintf("%s port %q", proto, name)
	} else if name != "" {
		s += " (" + name + ")"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FindIPOwners records, offline, the pods of the manifests whose status
// carries ip (pods exported with kubectl get -o yaml do).
func FindIPOwners(w *World, ip netip.Addr) {
	if w.IPOwners == nil {
		w.IPOwners = map[netip.Addr][]policy.PodRef{}
	}
	for _, p := range w.Snapshot.Pods {
		ips := []string{p.Status.PodIP}
		for _, pip := range p.Status.PodIPs {
			ips = append(ips, pip.IP)
		}
		for _, s := range ips {
			if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == ip {
				w.IPOwners[ip] = append(w.IPOwners[ip], policy.PodRef{Namespace: p.Namespace, Name: p.Name})
				break
			}
		}
	}
}
