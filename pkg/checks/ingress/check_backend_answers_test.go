package ingress

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// execRunner answers commands from a table keyed by the command line, as
// an exec into a pod would.
type execRunner struct {
	where string
	out   map[string]probe.Output
}

func (f execRunner) Where() string { return f.where }

func (f execRunner) Run(_ context.Context, argv []string) (probe.Output, error) {
	out, ok := f.out[strings.Join(argv, " ")]
	if !ok {
		return probe.Output{ExitCode: 127}, probe.ErrNotFound
	}
	return out, nil
}

// A backend that refuses the controller (ING016) has its listening sockets
// read from inside it: the 502 says why it refuses.
func TestBackendRefusalListening(t *testing.T) {
	ctx := context.Background()
	req := Request{Namespace: "ns", Name: "shop", Now: func() time.Time { return now }}
	f, err := gather(ctx, fake.NewClientset(append(healthy(), shopIngress())...), req)
	if err != nil {
		t.Fatal(err)
	}
	a := analyze(f, req)
	refused := probe.Output{Stderr: "nc: connect failed: Connection refused\n", ExitCode: 1}
	ctrl := &probe.Prober{Runner: execRunner{"container controller of pod ingress-nginx/ingress-nginx-controller-1", map[string]probe.Output{
		"nc -z -v -w 4 10.244.1.1 8080": refused, "nc -z -v -w 4 10.244.1.2 8080": {Stderr: "succeeded!"},
	}}, Tools: probe.NewToolset(true, "nc")}
	header := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	loopback8080 := header + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 31337 1 0000000000000000 100 0 0 10 0\n"
	perm := &report.Permission{Verb: "create", Resource: "pods/exec", Namespace: "ns"}
	for _, tc := range []struct {
		name    string
		backend probe.Session
		want    string
	}{
		{"loopback only", probe.Session{Reader: &probe.Prober{Runner: execRunner{"container app of pod ns/web-1", map[string]probe.Output{"cat /proc/net/tcp /proc/net/tcp6": {Stdout: loopback8080}}}, Tools: probe.NewToolset(true, "cat")}},
			"502: backend service web:80 endpoint 10.244.1.1:8080 refuses connections from the controller (it listens on 127.0.0.1:8080 only, which other pods cannot reach"},
		{"exec forbidden", probe.Session{How: "not allowed", Forbidden: perm},
			"refuses connections from the controller (nothing listens on that port, or only on 127.0.0.1; its listening sockets were not read: not allowed to create pods/exec in namespace ns)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opened []string
			open := func(_ context.Context, p *corev1.Pod) probe.Session {
				opened = append(opened, p.Name)
				if p.Namespace == "ingress-nginx" {
					return probe.Session{Prober: ctrl, Reader: ctrl, How: "exec in the controller"}
				}
				return tc.backend
			}
			c := checkBackendAnswers(ctx, f, a, open)
			if c.Status != report.Fail || !strings.Contains(c.Message, tc.want) {
				t.Errorf("ING016: %s %q", c.Status, c.Message)
			}
			if strings.Join(opened, ",") != "ingress-nginx-controller-1,web-1" {
				t.Errorf("opened %v: only the refusing backend is read", opened)
			}
			var listening bool
			for _, fact := range c.Facts {
				listening = listening || strings.HasPrefix(fact.Name, "service web:80 listening sockets")
			}
			if !listening {
				t.Errorf("no listening fact: %+v", c.Facts)
			}
		})
	}
}
