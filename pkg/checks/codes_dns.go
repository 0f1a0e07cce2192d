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

func dnsCodes() []Info {
	return []Info{
		{DNSService, "DNS Service", "The cluster DNS Service (kube-dns) in kube-system and its ClusterIP."},
		{DNSPods, "DNS pods ready", "The DNS pods behind that Service: ready, restarts, why not ready."},
		{DNSEndpoints, "DNS endpoints", "The DNS Service's EndpointSlices have ready endpoints on port 53."},
		{DNSCorefile, "Corefile", "CoreDNS configuration: cluster domain of the kubernetes plugin, forward target, loop detection."},
		{DNSNodeLocal, "Node-local DNS cache", "NodeLocal DNSCache, when present: its DaemonSet is ready on every node."},
		{DNSLogs, "DNS log errors", "Recent errors in the DNS pods' logs (SERVFAIL, i/o timeout, loop detected, refused...), counted and quoted."},
		{DNSResolvConf, "Pod resolv.conf", "The probing pod's resolv.conf: nameserver is the DNS Service (or node-local cache), search list, ndots."},
		{DNSLookups, "Lookups from the pod", "kubernetes.default and the requested name, resolved from inside the pod over UDP and TCP."},
		{DNSPolicy, "Policy to DNS", "NetworkPolicy lets the pod's egress reach the DNS pods on UDP 53 and TCP 53."},
	}
}
