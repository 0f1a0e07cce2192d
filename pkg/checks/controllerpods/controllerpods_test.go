package controllerpods

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func pod(name string, ready bool) *corev1.Pod {
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "gw-system", Labels: map[string]string{"app": "proxy"}},
		Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "envoy", Image: "envoyproxy/envoy:v1.33"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.9.9", Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: cond}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "envoy", Ready: ready}}},
	}
}

// A kubelet that never answers must not hang the diagnosis: the log read
// gives up after its timeout. The stand-in API server listens on loopback.
func TestLogReadIsBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	l := ReadLog(t.Context(), client, pod("proxy-1", true), "envoy", 200*time.Millisecond)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the log read took %s", took)
	}
	if l.Err == nil || !strings.Contains(l.Err.Error(), "no answer within 200ms") {
		t.Errorf("err = %v, want a timeout", l.Err)
	}
	if l.Container != "envoy" {
		t.Errorf("container = %q", l.Container)
	}
}

// ReadLogError reads a log from a loopback stand-in API server that
// answers with status code.
func readLogError(t *testing.T, code int) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"pods \"c-1\" is forbidden"}`))
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	l := ReadLog(t.Context(), client, pod("c-1", true), "envoy", time.Second)
	if l.Err == nil {
		t.Fatal("want an error")
	}
	return l.Err
}

func TestLogsCheck(t *testing.T) {
	code := checks.Code("GW004")
	q := LogQuery{Needles: []string{"shop/"}, About: "gateway shop/web", Grep: "shop/"}
	c := LogsCheck(code, []Log{{Namespace: "gw-system", Pod: "p-1", Text: `{"level":"error","msg":"route shop/web: backend not found"}` + "\n" + `{"level":"error","msg":"other/x"}`}}, q)
	if c.Status != report.Warn || c.Message != "the controller logged 1 error or warning line(s) about gateway shop/web recently" || len(c.Facts) != 1 {
		t.Errorf("warn: %+v", c)
	}
	c = LogsCheck(code, []Log{{Namespace: "gw-system", Pod: "p-1", Text: "all good"}}, q)
	if c.Status != report.Pass {
		t.Errorf("pass: %+v", c)
	}
	c = LogsCheck(code, []Log{{Namespace: "gw-system", Pod: "p-1", Err: readLogError(t, http.StatusForbidden)}}, q)
	if c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.String() != "get pods/log in namespace gw-system" {
		t.Errorf("forbidden: %+v", c)
	}
}

func TestSummarize(t *testing.T) {
	restarted := pod("p-2", false)
	restarted.Status.ContainerStatuses[0].RestartCount = 3
	restarted.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137, FinishedAt: metav1.NewTime(now.Add(-5 * time.Minute))}
	h := Summarize([]Pod{{Pod: *pod("p-1", true), Evidence: "label app=proxy"}, {Pod: *restarted}}, now, func(*corev1.Pod) string { return "envoy" })
	if len(h.Pods) != 2 || len(h.NotReady) != 1 || len(h.Restarted) != 1 || h.Namespaces() != "gw-system" || h.Pods[0].Image != "envoyproxy/envoy:v1.33" {
		t.Errorf("%+v", h)
	}
	if !strings.Contains(h.Restarted[0].Reason, "restarted 3 time(s), last 5m ago (OOMKilled, exit code 137)") {
		t.Errorf("restart: %q", h.Restarted[0].Reason)
	}
	if got := Ready([]Pod{{Pod: *pod("a", true)}, {Pod: *pod("b", false)}}); len(got) != 1 || got[0].Name != "a" {
		t.Errorf("Ready: %v", got)
	}
}

func TestRelevantLogLines(t *testing.T) {
	log := strings.Join([]string{
		`I1127 11:59:00.000000       7 controller.go:190] "Configuration changes detected, backend reload required"`,
		`W1127 11:59:01.000000       7 controller.go:1214] Service "shop/api" does not have any active Endpoint.`,
		`E1127 11:59:02.000000       7 store.go:946] Error obtaining Endpoints for Service "other/api"`,
		`2026/11/27 11:59:03 [error] 31#31: *9 connect() failed (111: Connection refused) while connecting to upstream, server: shop.example.com, request: "GET /api HTTP/1.1"`,
		`time="2026-11-27T11:59:04Z" level=error msg="Cannot create service: service not found" namespace=shop ingress=web`,
		`{"level":"info","msg":"sync","namespace":"shop"}`,
		`{"level":"error","msg":"invalid secret","namespace":"shop","name":"tls"}`,
		`10.0.0.1 - - [27/Nov/2026:11:59:05 +0000] "GET /api HTTP/1.1" 503 190 "-" "curl" 80 0.000 [shop-api-80] [] - - - - abc`,
	}, "\n")
	got := RelevantLines(log, []string{"shop/", "namespace=shop", `"namespace":"shop"`, "shop.example.com"})
	if len(got) != 4 {
		t.Fatalf("got %d lines: %q", len(got), got)
	}
	for i, want := range []string{`Service "shop/api"`, "server: shop.example.com", "level=error", `"level":"error"`} {
		if !strings.Contains(got[i], want) {
			t.Errorf("line %d = %q, want it to contain %q", i, got[i], want)
		}
	}
	var many []string
	for i := 0; i < 12; i++ {
		many = append(many, `W1127 shop/x line `+string(rune('a'+i)))
	}
	if got := RelevantLines(strings.Join(many, "\n"), []string{"shop/"}); len(got) != MaxLogLines || !strings.HasSuffix(got[len(got)-1], "line l") {
		t.Errorf("want the newest %d lines, got %q", MaxLogLines, got)
	}
}
