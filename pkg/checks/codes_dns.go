package checks

// DNS procedure.
const (
	DNSService    Code = "DNS001"
	DNSPods       Code = "DNS002"
	DNSEndpoints  Code = "DNS003"
	DNSCorefile   Code = "DNS004"
	DNSNodeLocal  Code = "DNS005"
	DNSLogs       Code = "DNS006"
	DNSResolvConf Code = "DNS007"
	DNSLookups    Code = "DNS008"
	DNSPolicy     Code = "DNS009"
)

func dnsProcedure() Procedure {
	return Procedure{
		Name: "dns",
		Codes: []Info{
			{DNSService, "DNS Service", "The cluster DNS Service (label `k8s-app=kube-dns`, or named kube-dns or coredns, in kube-system) and its ClusterIP, with ports 53/UDP and 53/TCP."},
			{DNSPods, "DNS pods ready", "The DNS pods behind that Service: ready, restarts, why not ready (a Deployment scaled to zero is named)."},
			{DNSEndpoints, "DNS endpoints", "The DNS Service's EndpointSlices have ready endpoints on port 53."},
			{DNSCorefile, "Corefile", "The CoreDNS Corefile: cluster domain of the kubernetes plugin, forward target, loop detection (the loop plugin)."},
			{DNSNodeLocal, "Node-local DNS cache", "NodeLocal DNSCache, when its DaemonSet is present: ready on every node."},
			{DNSLogs, "DNS log errors", "Recent errors in the DNS pods' logs (loop detected, upstream i/o timeout, refused, SERVFAIL, API access), counted and quoted."},
			{DNSResolvConf, "Pod resolv.conf", "With `--from`: the pod's resolv.conf (nameserver is the DNS Service or the node-local cache, search list, ndots); dnsPolicy Default, or a hostNetwork pod without ClusterFirstWithHostNet, fails without any probe."},
			{DNSLookups, "Lookups from the pod", "With `--from`: lookups from inside the pod of `kubernetes.default.svc.<domain>` and the requested name (short names are qualified with the pod's namespace), over UDP, and over TCP where the pod has the tools (dig)."},
			{DNSPolicy, "Policy to DNS", "With `--from`: NetworkPolicy lets the pod's egress reach the DNS pods on UDP 53 and TCP 53."},
		},
	}
}
