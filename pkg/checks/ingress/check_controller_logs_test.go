package ingress

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
)

func TestIngressControllerLogsCheck(t *testing.T) {
	f := &facts{namespace: "ns", ing: shopIngress()}
	f.controller.logs = []controllerpods.Log{{Namespace: "ingress-nginx", Pod: "c-1", Container: "controller", Text: strings.Join([]string{
		`W1127 11:59:01.000000 7 controller.go:1214] Service "ns/api" does not have any active Endpoint.`,
		`W1127 11:59:02.000000 7 controller.go:1214] Service "other/api" does not have any active Endpoint.`,
	}, "\n")}}
	c := checkControllerLogs(f, &analysis{})
	if c.Status != "warn" || c.Message != "the controller logged 1 error or warning line(s) about namespace ns recently" ||
		len(c.Facts) != 1 || !strings.Contains(c.Facts[0].Value, `Service "ns/api"`) {
		t.Errorf("ING004 = %+v", c)
	}

	forbidden := readLogError(t, http.StatusForbidden)
	f.controller.logs = []controllerpods.Log{{Namespace: "ingress-nginx", Pod: "c-1", Err: forbidden}}
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
	l := controllerpods.ReadLog(t.Context(), client, ctrlPod("c-1", true), "controller", time.Second)
	if l.Err == nil {
		t.Fatal("want an error")
	}
	return l.Err
}
