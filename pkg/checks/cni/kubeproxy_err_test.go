package cni

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Found by the reliability suite: when there is no kube-proxy DaemonSet and
// the list of kube-proxy pods fails (connection reset), CNI005 said "no
// kube-proxy" and the run exited 0. A read that failed is not an absence.
func TestKubeProxyPodsUnreadable(t *testing.T) {
	client := fake.NewClientset(node("n1", true, "10.244.0.0/24"), agentDS("kube-system", "calico-node", 1))
	client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetNamespace() == "kube-system" && a.(k8stesting.ListAction).GetListRestrictions().Labels.String() == "k8s-app=kube-proxy" {
			return true, nil, errors.New("read: connection reset by peer")
		}
		return false, nil, nil
	})
	r, err := Diagnose(context.Background(), kube.Clients{Typed: client}, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if st, msg := status(r, "CNI005"); st != report.Error {
		t.Errorf("CNI005 = %s %s, want error", st, msg)
	}
	if r.Verdict.Outcome == report.OK {
		t.Errorf("verdict %+v", r.Verdict)
	}
}
