package dns

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/flowcheck"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// nodeLocalIP is NodeLocal DNSCache's default link-local listen address.
const nodeLocalIP = "169.254.20.10"

// client is the pod the lookups run from, and how probes run there.
type client struct {
	Pod     *corev1.Pod
	Session probe.Session
}

// PodResults holds what the probes found (Data of DNS007 and DNS008).
type PodResults struct {
	ResolvConf probe.ResolvConf  `json:"resolvConf"`
	Lookups    []probe.DNSResult `json:"lookups"`
}

// podChecks runs the pod-side checks: resolv.conf, then lookups of
// kubernetes.default and of name (UDP, and TCP where the tools allow).
func podChecks(ctx context.Context, f *Facts, from client, name string) []report.Check {
	domain := f.ClusterDomain()
	serviceIP := f.serviceIP()
	pod := from.Pod
	p := from.Session.Prober
	if p == nil {
		why := from.Session.How
		rc := checks.DNSResolvConf.Skipped("%s", why)
		rc.Forbidden = from.Session.Forbidden
		if c, bad := staticPolicyCheck(pod, domain); bad {
			rc = c
		}
		lk := checks.DNSLookups.Skipped("%s", why)
		lk.Forbidden = from.Session.Forbidden
		return []report.Check{rc, lk}
	}
	var pr PodResults
	var wg sync.WaitGroup
	wg.Go(func() { pr.ResolvConf = p.ReadResolvConf(ctx) })
	names := lookupNames(name, pod.Namespace, domain)
	pr.Lookups = make([]probe.DNSResult, 2*len(names))
	for i, n := range names {
		wg.Go(func() { pr.Lookups[2*i] = p.Lookup(ctx, n, "", false) })
		wg.Go(func() { pr.Lookups[2*i+1] = p.Lookup(ctx, n, "", true) })
	}
	wg.Wait()
	return []report.Check{
		checkResolvConf(pod, pr.ResolvConf, serviceIP, domain),
		checkLookups(pod, pr, serviceIP, from.Session.How),
	}
}

// withoutPod are the pod-side checks when no --from pod was given.
func withoutPod(name string) []report.Check {
	hint := "no --from pod: add --from POD to read a pod's resolv.conf and resolve names from inside it"
	if name != "" {
		hint = fmt.Sprintf("no --from pod: add --from POD to resolve %s from inside a pod", name)
	}
	return []report.Check{checks.DNSResolvConf.Skipped("%s", hint), checks.DNSLookups.Skipped("%s", hint), checks.DNSPolicy.Skipped("%s", hint)}
}

// lookupNames: the API server's own Service, which exists in every cluster,
// then the requested name made fully qualified.
func lookupNames(name, ns, domain string) []string {
	names := []string{"kubernetes.default.svc." + domain}
	if name == "" {
		return names
	}
	fq := qualify(name, ns, domain)
	if fq != names[0] {
		names = append(names, fq)
	}
	return names
}

// qualify turns web or web.shop into web.shop.svc.<domain>; names that
// already look qualified (several dots, or ending in the domain) are kept.
func qualify(name, ns, domain string) string {
	name = strings.TrimSuffix(name, ".")
	switch parts := strings.Split(name, "."); {
	case strings.HasSuffix(name, "."+domain) || name == domain:
		return name
	case len(parts) == 1:
		return fmt.Sprintf("%s.%s.svc.%s", name, ns, domain)
	case len(parts) == 2:
		return fmt.Sprintf("%s.svc.%s", name, domain)
	case len(parts) == 3 && parts[2] == "svc":
		return name + "." + domain
	}
	return name
}

// staticPolicyCheck catches pods whose dnsPolicy keeps them off cluster DNS,
// which needs no probe to see.
func staticPolicyCheck(pod *corev1.Pod, domain string) (report.Check, bool) {
	code := checks.DNSResolvConf
	switch {
	case pod.Spec.DNSPolicy == corev1.DNSDefault:
		c := code.New(report.Fail, "pod %s has dnsPolicy Default: it uses its node's resolver, so %s names do not resolve", pod.Name, domain)
		c.Next = []string{"set dnsPolicy: ClusterFirst (the default) in the pod template"}
		return c, true
	case pod.Spec.HostNetwork && pod.Spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet:
		c := code.New(report.Fail, "pod %s uses the host network with dnsPolicy %s: it uses its node's resolver, so %s names do not resolve", pod.Name, pod.Spec.DNSPolicy, domain)
		c.Next = []string{"set dnsPolicy: ClusterFirstWithHostNet for a hostNetwork pod"}
		return c, true
	}
	return report.Check{}, false
}

// checkResolvConf (DNS007): the pod asks the DNS Service (or the node-local
// cache), with the namespace's search domain first.
func checkResolvConf(pod *corev1.Pod, rc probe.ResolvConf, serviceIP, domain string) report.Check {
	code := checks.DNSResolvConf
	if c, bad := staticPolicyCheck(pod, domain); bad {
		return c
	}
	if rc.Evidence.Error != "" {
		return code.New(report.Warn, "could not read /etc/resolv.conf in pod %s: %s", pod.Name, rc.Evidence.Error)
	}
	c := code.New(report.Pass, "pod %s asks %s, search %s, ndots %d", pod.Name, strings.Join(rc.Nameservers, ", "), strings.Join(rc.Search, " "), rc.Ndots)
	c.Facts = []report.Fact{
		{Name: "nameservers", Value: strings.Join(rc.Nameservers, ", ")},
		{Name: "search", Value: strings.Join(rc.Search, " ")},
		{Name: "options", Value: strings.Join(rc.Options, " ")},
		{Name: "command", Value: rc.Evidence.Command},
	}
	c.Data = rc
	wantSearch := pod.Namespace + ".svc." + domain
	custom := pod.Spec.DNSPolicy == corev1.DNSNone
	switch {
	case len(rc.Nameservers) == 0:
		c.Status, c.Message = report.Fail, fmt.Sprintf("pod %s's resolv.conf names no nameserver", pod.Name)
	case serviceIP != "" && !slices.Contains(rc.Nameservers, serviceIP) && !slices.Contains(rc.Nameservers, nodeLocalIP) && !custom:
		c.Status, c.Message = report.Fail, fmt.Sprintf("pod %s asks %s, not the DNS service %s: the kubelet's clusterDNS setting does not match the kube-dns Service", pod.Name, strings.Join(rc.Nameservers, ", "), serviceIP)
		c.Next = []string{"compare the kubelet's clusterDNS with: kubectl -n kube-system get service kube-dns"}
	case !slices.Contains(rc.Search, wantSearch) && !custom:
		c.Status, c.Message = report.Warn, fmt.Sprintf("pod %s's search list lacks %s: short service names do not resolve (the kubelet's clusterDomain is not %s?)", pod.Name, wantSearch, domain)
	case custom:
		c.Message += " (dnsPolicy None: set by the pod's dnsConfig)"
	}
	return c
}

// checkLookups (DNS008): real lookups from the pod. kubernetes.default
// failing means DNS itself is broken for this pod; only the requested name
// failing means that name does not exist.
func checkLookups(pod *corev1.Pod, pr PodResults, serviceIP, how string) report.Check {
	code := checks.DNSLookups
	var facts []report.Fact
	var failed []probe.DNSResult
	var okCount, ran int
	for _, r := range pr.Lookups {
		if r.Evidence.Error != "" && r.RCode == "" {
			facts = append(facts, report.Fact{Name: r.Name + " (" + r.Transport + ")", Value: "not run: " + r.Evidence.Error})
			continue
		}
		ran++
		v := r.RCode
		if r.Resolved() {
			v += " " + strings.Join(r.Answers, ", ")
			okCount++
		} else {
			failed = append(failed, r)
		}
		if r.Server != "" {
			v += " (server " + r.Server + ")"
		}
		v += fmt.Sprintf(" in %dms: %s", r.Evidence.DurationMS, r.Evidence.Command)
		facts = append(facts, report.Fact{Name: r.Name + " (" + r.Transport + ")", Value: v})
	}
	var c report.Check
	switch {
	case ran == 0:
		c = code.New(report.Warn, "no lookup could run in pod %s (%s)", pod.Name, how)
	case len(failed) == 0:
		c = code.New(report.Pass, "%d lookup(s) from pod %s resolved", okCount, pod.Name)
	default:
		f := failed[0]
		switch f.RCode {
		case "TIMEOUT":
			c = code.New(report.Fail, "lookup of %s over %s from pod %s timed out: no answer from %s (DNS pods down, kube-proxy, or a policy dropping port 53)", f.Name, f.Transport, pod.Name, orService(f.Server, serviceIP))
		case "NXDOMAIN", "NOTFOUND":
			c = code.New(report.Fail, "%s does not exist (%s over %s from pod %s)", f.Name, f.RCode, f.Transport, pod.Name)
		default:
			c = code.New(report.Fail, "lookup of %s over %s from pod %s failed: %s", f.Name, f.Transport, pod.Name, orUnknown(f.RCode))
		}
	}
	c.Facts = facts
	c.Data = pr.Lookups
	return c
}

func orService(server, serviceIP string) string {
	if server != "" {
		return server
	}
	if serviceIP != "" {
		return serviceIP
	}
	return "the DNS server"
}

func orUnknown(s string) string {
	if s == "" {
		return "no answer understood"
	}
	return s
}

// maxPolicyDNSPods bounds the flows judged: DNS pods share labels.
const maxPolicyDNSPods = 3

// policyCheck (DNS009): the pod's egress (and the DNS pods' ingress) lets
// lookups through on UDP and TCP to the DNS pods' target ports. A
// default-deny egress policy that forgets DNS is the classic.
func policyCheck(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, f *Facts, pod *corev1.Pod) report.Check {
	code := checks.DNSPolicy
	if f.Service == nil || len(f.Pods) == 0 {
		return code.Skipped("no DNS pods to judge policy against")
	}
	dnsPods := append([]corev1.Pod{}, f.Pods...)
	if len(dnsPods) > maxPolicyDNSPods {
		dnsPods = dnsPods[:maxPolicyDNSPods]
	}
	snap, err := policyfetch.Fetch(ctx, client, dyn, policyfetch.Request{Known: append([]corev1.Pod{*pod}, dnsPods...)})
	if err != nil {
		return code.FromError("reading policies", err)
	}
	eng := policy.New(snap.Snapshot)
	var flows []policy.Flow
	for _, sp := range f.Service.Spec.Ports {
		if sp.Port != 53 {
			continue
		}
		tp := sp.TargetPort
		if tp.Type == intstr.Int && tp.IntVal == 0 {
			tp = intstr.FromInt32(sp.Port)
		}
		for _, d := range dnsPods {
			flows = append(flows, policy.Flow{
				Src: policy.PodEndpoint(pod.Namespace, pod.Name), Dst: policy.PodEndpoint(d.Namespace, d.Name),
				Protocol: sp.Protocol, Port: tp,
			})
		}
	}
	c, _ := flowcheck.Judge(code, eng, flows)
	return c
}
