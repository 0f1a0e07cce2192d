package pod

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkPods (POD001): both pods exist, run, are ready and have IPs.
func checkPods(req Request, src *corev1.Pod, srcErr error, dst *corev1.Pod, dstErr error) report.Check {
	code := checks.PodEndpoints
	for _, side := range []struct {
		role string
		ref  fmt.Stringer
		err  error
	}{{"source", req.Src, srcErr}, {"destination", req.Dst, dstErr}} {
		if side.err == nil {
			continue
		}
		if apierrors.IsNotFound(side.err) {
			c := code.New(report.Fail, "%s %s not found", side.role, side.ref)
			c.Next = []string{"kubectl get pods -A | grep " + lastPart(side.ref.String())}
			return c
		}
		return code.FromError("finding the "+side.role+" pod", side.err)
	}
	c := code.New(report.Pass, "")
	var problems []string
	for _, p := range []struct {
		role string
		pod  *corev1.Pod
	}{{"source", src}, {"destination", dst}} {
		s := podstatus.Of(p.pod, nil, req.Now())
		v := fmt.Sprintf("%s, ready=%t, ip %s, node %s", s.Phase, s.Ready, orNone(s.IP), orNone(s.Node))
		if p.pod.Spec.HostNetwork {
			v += ", hostNetwork"
		}
		c.Facts = append(c.Facts, report.Fact{Name: p.role + " " + p.pod.Namespace + "/" + p.pod.Name, Value: v})
		c.Objects = append(c.Objects, report.Object{Kind: "Pod", Namespace: p.pod.Namespace, Name: p.pod.Name})
		switch {
		case s.IP == "":
			problems = append(problems, fmt.Sprintf("%s pod %s has no IP (%s)", p.role, s.Name, orNone(s.Reason)))
		case s.Phase != string(corev1.PodRunning):
			problems = append(problems, fmt.Sprintf("%s pod %s is %s", p.role, s.Name, s.Phase))
		case !s.Ready && p.role == "destination":
			problems = append(problems, fmt.Sprintf("destination pod %s is not ready: %s (direct pod-to-pod traffic still flows; Services skip it)", s.Name, s.Reason))
		}
	}
	same := "different nodes"
	if src.Spec.NodeName == dst.Spec.NodeName {
		same = "the same node"
	}
	c.Facts = append(c.Facts, report.Fact{Name: "placement", Value: same})
	switch {
	case len(problems) > 0 && (src.Status.PodIP == "" || dst.Status.PodIP == "" || src.Status.Phase != corev1.PodRunning || dst.Status.Phase != corev1.PodRunning):
		c.Status, c.Message = report.Fail, strings.Join(problems, "; ")
	case len(problems) > 0:
		c.Status, c.Message = report.Warn, strings.Join(problems, "; ")
	default:
		c.Message = fmt.Sprintf("both pods running with IPs %s and %s, on %s", src.Status.PodIP, dst.Status.PodIP, same)
	}
	return c
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func lastPart(s string) string {
	parts := strings.Split(s, "/")
	return parts[len(parts)-1]
}
