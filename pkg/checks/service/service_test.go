package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func svc(name string, selector map[string]string, target intstr.IntOrString) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.ServiceSpec{
			ClusterIP: "10.96.0.10",
			Selector:  selector,
			Ports:     []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: target, Protocol: corev1.ProtocolTCP}},
		},
	}
}

func pod(name, ip string, labels map[string]string, ready bool, ports ...corev1.ContainerPort) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: labels},
		Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app", Ports: ports}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: ready}},
		},
	}
}

func slice(svcName string, ready map[string]bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svcName + "-abc", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for ip, r := range ready {
		r := r
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &r}})
	}
	return s
}

func diagnose(t *testing.T, objs ...runtime.Object) *report.Report {
	t.Helper()
	objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}})
	r, err := Diagnose(context.Background(), kube.Clients{Typed: fake.NewClientset(objs...)}, Request{Namespace: "ns", Name: "web", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func find(t *testing.T, r *report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no %s in %+v", code, r.Checks)
	return report.Check{}
}

var http8080 = corev1.ContainerPort{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}

func TestDiagnoseVerdicts(t *testing.T) {
	web := map[string]string{"app": "web"}
	tests := []struct {
		name    string
		objs    []runtime.Object
		outcome report.Outcome
		code    string
		want    string
	}{
		{
			name:    "healthy",
			objs:    []runtime.Object{svc("web", web, intstr.FromString("http")), pod("w1", "10.0.0.1", web, true, http8080), slice("web", map[string]bool{"10.0.0.1": true})},
			outcome: report.OK,
		},
		{
			name:    "service missing, similar name",
			objs:    []runtime.Object{svc("webb", web, intstr.FromInt32(80))},
			outcome: report.Problems, code: "SVC001", want: "did you mean webb?",
		},
		{
			name:    "selector typo in value",
			objs:    []runtime.Object{svc("web", web, intstr.FromInt32(80)), pod("w1", "10.0.0.1", map[string]string{"app": "webapp"}, true)},
			outcome: report.Problems, code: "SVC003", want: "1 pod(s) have app=webapp",
		},
		{
			name:    "selector key differs, same value",
			objs:    []runtime.Object{svc("web", web, intstr.FromInt32(80)), pod("w1", "10.0.0.1", map[string]string{"name": "web"}, true)},
			outcome: report.Problems, code: "SVC003", want: "have name=web instead of app=web",
		},
		{
			name: "named port under another protocol",
			objs: []runtime.Object{svc("web", web, intstr.FromString("http")),
				pod("w1", "10.0.0.1", web, true, corev1.ContainerPort{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolUDP}),
				slice("web", map[string]bool{})},
			outcome: report.Problems, code: "SVC005", want: `named targetPort "http" is UDP on pod(s) w1, but the service port is TCP`,
		},
		{
			name:    "ready pods, no slices",
			objs:    []runtime.Object{svc("web", web, intstr.FromString("http")), pod("w1", "10.0.0.1", web, true, http8080)},
			outcome: report.Problems, code: "SVC006", want: "no EndpointSlices",
		},
		{
			name: "stale slice",
			objs: []runtime.Object{svc("web", web, intstr.FromString("http")), pod("w1", "10.0.0.1", web, true, http8080),
				slice("web", map[string]bool{"10.0.0.1": true, "10.0.0.9": true})},
			outcome: report.OK, code: "SVC006", want: "10.0.0.9 are not ready selected pods",
		},
		{
			name:    "numeric target not declared",
			objs:    []runtime.Object{svc("web", web, intstr.FromInt32(9090)), pod("w1", "10.0.0.1", web, true, http8080), slice("web", map[string]bool{"10.0.0.1": true})},
			outcome: report.OK, code: "SVC005", want: "targetPort 9090/TCP is not declared by pod(s) w1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diagnose(t, tt.objs...)
			if r.Verdict.Outcome != tt.outcome || r.Verdict.Code != tt.code || !strings.Contains(r.Verdict.Message, tt.want) {
				t.Errorf("verdict = %+v\nwant outcome %s, code %q, message containing %q", r.Verdict, tt.outcome, tt.code, tt.want)
			}
		})
	}
}

func TestNearMisses(t *testing.T) {
	p := func(name string, labels map[string]string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	pods := []corev1.Pod{
		p("a1", map[string]string{"app": "webapp", "tier": "fe"}),
		p("a2", map[string]string{"app": "webapp", "tier": "fe"}),
		p("b1", map[string]string{"app": "web", "tier": "be"}),
		p("c1", map[string]string{"app": "web"}),
		p("d1", map[string]string{"app": "db", "tier": "db"}), // two labels off: not a near miss
	}
	got := nearMisses(map[string]string{"app": "web", "tier": "fe"}, pods)
	want := []string{"2 pod(s) have app=webapp", "1 pod(s) have tier=be", "1 pod(s) match all but lack label tier"}
	if len(got) != len(want) {
		t.Fatalf("got %d misses %+v, want %v", len(got), got, want)
	}
	for i := range want {
		if got[i].describe() != want[i] {
			t.Errorf("miss %d = %q, want %q", i, got[i].describe(), want[i])
		}
	}
	// A single-key selector: a pod lacking the key is no near miss.
	if m := nearMisses(map[string]string{"app": "web"}, []corev1.Pod{p("x", map[string]string{"run": "other"})}); len(m) != 0 {
		t.Errorf("unrelated pod reported as near miss: %+v", m)
	}
}

func TestSidecarNamedPortResolves(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	pd := pod("w1", "10.0.0.1", nil, true)
	pd.Spec.InitContainers = []corev1.Container{{Name: "proxy", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "mesh", ContainerPort: 15001, Protocol: corev1.ProtocolTCP}}}}
	r := resolvePort(corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("mesh")}, []corev1.Pod{*pd})
	if r.problem() != "" || len(r.resolved[15001]) != 1 {
		t.Errorf("sidecar port not resolved: %+v", r)
	}
}

func TestForbiddenReadsBecomeSkips(t *testing.T) {
	web := map[string]string{"app": "web"}
	client := fake.NewClientset(svc("web", web, intstr.FromString("http")), pod("w1", "10.0.0.1", web, true, http8080))
	client.PrependReactor("list", "endpointslices", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", errors.New("RBAC"))
	})
	r, err := Diagnose(context.Background(), kube.Clients{Typed: client}, Request{Namespace: "ns", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	c := find(t, r, "SVC006")
	if c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.String() != "list endpointslices.discovery.k8s.io in namespace ns" {
		t.Errorf("SVC006 = %+v, want a skip naming the permission", c)
	}
	if r.Verdict.Outcome != report.OK || !strings.Contains(r.Verdict.Message, "1 step(s) skipped") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

func TestUnreachableServerIsAnError(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("get", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	})
	if _, err := Diagnose(context.Background(), kube.Clients{Typed: client}, Request{Namespace: "ns", Name: "web"}); err == nil {
		t.Fatal("want an error when the API server cannot be reached")
	}
}
