package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// The node debug pod is kubectl debug node's sysadmin pod, bounded in time,
// pinned, tolerating every taint and labelled for cleanup.
func TestNodeDebugPod(t *testing.T) {
	p := nodeDebugPod("n2", "tools")
	c := p.Spec.Containers[0]
	switch {
	case p.Spec.NodeName != "n2" || !p.Spec.HostNetwork || p.Labels[LabelNodeDebug] != "true":
		t.Errorf("placement or label: %+v", p)
	case c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged:
		t.Errorf("not privileged: %+v", c.SecurityContext)
	case len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/host" || !c.VolumeMounts[0].ReadOnly:
		t.Errorf("host root not read-only at /host: %+v", c.VolumeMounts)
	case p.Spec.ActiveDeadlineSeconds == nil || *p.Spec.ActiveDeadlineSeconds != 600:
		t.Errorf("deadline: %v", p.Spec.ActiveDeadlineSeconds)
	case len(p.Spec.Tolerations) != 1 || p.Spec.Tolerations[0].Operator != corev1.TolerationOpExists:
		t.Errorf("tolerations: %+v", p.Spec.Tolerations)
	}
}

// A namespace enforcing baseline or restricted gets no pod: the session
// says which label refuses it, and nothing is created.
func TestOpenNodeRefusedByPodSecurity(t *testing.T) {
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}})
	s := OpenNode(context.Background(), nil, cs, "n1", NodeSettings{Namespace: "shop", Image: "tools", StartTimeout: time.Second})
	if s.Prober != nil || !strings.Contains(s.How, "namespace shop enforces the restricted Pod Security level (label pod-security.kubernetes.io/enforce=restricted)") || !strings.Contains(s.How, "--node-namespace") {
		t.Errorf("session: %+v", s)
	}
	if pods, _ := cs.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{}); len(pods.Items) != 0 {
		t.Errorf("a pod was created")
	}
	if err := s.Close(); err != nil {
		t.Errorf("close without a pod: %v", err)
	}
}

// Mesh probe pods pass the restricted profile by default, use the
// cluster's DNS on the host network, and carry the run's label.
func TestFleetPod(t *testing.T) {
	p := fleetPod("netdebug-mesh-abc-0", "n1", "abc", FleetSettings{Image: "tools", Profile: Restricted, Lifetime: time.Minute})
	sc := p.Spec.Containers[0].SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || p.Labels[LabelMesh] != "abc" || *p.Spec.ActiveDeadlineSeconds != 60 || p.Spec.Tolerations != nil {
		t.Errorf("restricted probe pod: %+v", p)
	}
	h := fleetPod("x", "n1", "abc", FleetSettings{Image: "tools", HostNetwork: true, Tolerate: true})
	if !h.Spec.HostNetwork || h.Spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet || len(h.Spec.Tolerations) != 1 {
		t.Errorf("host-network probe pod: %+v", h.Spec)
	}
}
