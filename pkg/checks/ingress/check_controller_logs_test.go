package ingress

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// A kubelet that never answers must not hang the diagnosis: the log read
// gives up after its timeout. The stand-in API server listens on loopback.
func TestIngressLogReadIsBounded(t *testing.T) {
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
	l := readLog(t.Context(), client, ctrlPod("ingress-nginx-controller-1", true), lookupController("k8s.io/ingress-nginx"), 200*time.Millisecond)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the log read took %s", took)
	}
	if l.err == nil || !strings.Contains(l.err.Error(), "no answer within 200ms") {
		t.Errorf("err = %v, want a timeout", l.err)
	}
	if l.container != "controller" {
		t.Errorf("container = %q", l.container)
	}
}

func TestIngressControllerLogsCheck(t *testing.T) {
	f := &facts{namespace: "ns", ing: shopIngress()}
	f.controller.logs = []podLog{{namespace: "ingress-nginx", pod: "c-1", container: "controller", text: strings.Join([]string{
		`W1127 11:59:01.000000 7 controller.go:1214] Service "ns/api" does not have any active Endpoint.`,
		`W1127 11:59:02.000000 7 controller.go:1214] Service "other/api" does not have any active Endpoint.`,
	}, "\n")}}
	c := checkControllerLogs(f, &analysis{})
	if c.Status != "warn" || c.Message != "the controller logged 1 error or warning line(s) about namespace ns recently" ||
		len(c.Facts) != 1 || !strings.Contains(c.Facts[0].Value, `Service "ns/api"`) {
		t.Errorf("ING004 = %+v", c)
	}

	forbidden := readLogError(t, http.StatusForbidden)
	f.controller.logs = []podLog{{namespace: "ingress-nginx", pod: "c-1", err: forbidden}}
	c = checkControllerLogs(f, &analysis{})
	if c.Status != "skip" || c.Forbidden == nil || c.Forbidden.String() != "get pods/log in namespace ingress-nginx" {
		t.Errorf("forbidden ING004 = %+v", c)
	}
}

// readLogError reads a log from a loopback stand-in API server that
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
	l := readLog(t.Context(), client, ctrlPod("c-1", true), nil, time.Second)
	if l.err == nil {
		t.Fatal("want an error")
	}
	return l.err
}
