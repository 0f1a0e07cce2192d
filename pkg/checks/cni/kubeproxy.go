package cni

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// replacers are plugins that can replace kube-proxy.
var replacers = map[string]bool{"cilium": true, "gke-dataplane-v2": true, "kube-router": true, "antrea": true, "ovn-kubernetes": true}

// CheckKubeProxy (CNI005): Service virtual IPs need kube-proxy on every node,
// or a CNI that replaces it.
func CheckKubeProxy(f *Facts) report.Check {
	code := checks.CNIKubeProxy
	if f.KubeProxyErr != nil {
		return code.FromError("reading the kube-proxy DaemonSet", f.KubeProxyErr)
	}
	var notReady []string
	for i := range f.ProxyPods {
		if s := podstatus.Of(&f.ProxyPods[i], nil, f.now); !s.Ready {
			notReady = append(notReady, fmt.Sprintf("%s on node %s: %s", s.Name, s.Node, s.Reason))
		}
	}
	switch {
	case f.KubeProxy != nil && f.KubeProxy.Status.NumberReady < f.KubeProxy.Status.DesiredNumberScheduled:
		st := f.KubeProxy.Status
		c := code.New(report.Fail, "kube-proxy ready on %d of %d node(s): Service IPs do not work from pods on the others", st.NumberReady, st.DesiredNumberScheduled)
		for _, n := range notReady {
			c.Facts = append(c.Facts, report.Fact{Name: "not ready", Value: n})
		}
		c.Next = []string{"kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide"}
		return c
	case f.KubeProxy != nil:
		return code.New(report.Pass, "kube-proxy ready on %d node(s)", f.KubeProxy.Status.NumberReady)
	case len(f.ProxyPods) > 0 && len(notReady) > 0:
		return code.New(report.Fail, "kube-proxy pod %s", notReady[0])
	case len(f.ProxyPods) > 0:
		return code.New(report.Pass, "%d kube-proxy pod(s) ready (static pods)", len(f.ProxyPods))
	}
	for _, a := range f.Info.Agents {
		if replacers[a.Plugin] {
			return code.New(report.Pass, "no kube-proxy; %s can replace it (check that its kube-proxy replacement is enabled)", a.Plugin)
		}
	}
	return code.New(report.Warn, "no kube-proxy DaemonSet or pods and no known replacement: Service IPs work only if kube-proxy runs on the nodes outside Kubernetes")
}
