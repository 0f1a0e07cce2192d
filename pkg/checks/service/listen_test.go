package service

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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

const procHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func procLine(addr string) string {
	return "   0: " + addr + " 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 31337 1 0000000000000000 100 0 0 10 0\n"
}

// A backend that refuses the client's connect has its listening sockets
// read through a session of its own: the message says what it listens on,
// and a refused exec is a skipped SVC009 step naming the permission.
func TestRefusedBackendListening(t *testing.T) {
	ctx := context.Background()
	web := map[string]string{"app": "web"}
	backend := pod("web-1", "10.0.0.5", web, true, http8080)
	client := pod("client", "10.0.0.9", nil, true)
	cs := fake.NewClientset(svc("web", web, intstr.FromString("http")), backend, client, slice("web", map[string]bool{"10.0.0.5": true}))
	f, err := gather(ctx, cs, Request{Namespace: "ns", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	f.slices[0].Endpoints[0].TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: "web-1", Namespace: "ns"}
	src := &probe.Prober{Runner: execRunner{"container app of pod ns/client", map[string]probe.Output{
		"nc -z -v -w 4 10.0.0.5 8080": {Stderr: "nc: connect to 10.0.0.5 port 8080 (tcp) failed: Connection refused\n", ExitCode: 1},
		"nc -z -v -w 4 10.96.0.10 80": {Stderr: "nc: connect to 10.96.0.10 port 80 (tcp) failed: Connection refused\n", ExitCode: 1},
	}}, Tools: probe.NewToolset(true, "nc")}
	reader := func(procNetTCP string) *probe.Prober {
		return &probe.Prober{Runner: execRunner{"container app of pod ns/web-1", map[string]probe.Output{"cat /proc/net/tcp /proc/net/tcp6": {Stdout: procNetTCP}}}, Tools: probe.NewToolset(true, "cat")}
	}
	perm := &report.Permission{Verb: "create", Resource: "pods/exec", Namespace: "ns"}
	for _, tc := range []struct {
		name    string
		backend probe.Session
		want    string
		next    string
		skipped bool
	}{
		{"loopback only", probe.Session{Reader: reader(procHeader + procLine("0100007F:1F90"))},
			"endpoint 10.0.0.5:8080 (pod web-1) refuses connections: it listens on 127.0.0.1:8080 only, which other pods cannot reach", "", false},
		{"wrong targetPort", probe.Session{Reader: reader(procHeader + procLine("00000000:1F91"))},
			"refuses connections: nothing listens on port 8080; it listens on 8081 (is targetPort http of service port 80 right?)", "", false},
		{"listening", probe.Session{Reader: reader(procHeader + procLine("00000000:1F90"))},
			"refuses connections: it listens on 0.0.0.0:8080, so the refusal is not the application's", "", false},
		{"no cat", probe.Session{Reader: &probe.Prober{Runner: execRunner{where: "container app of pod ns/web-1"}, Tools: probe.NewToolset(true, "nc")}},
			"nothing listens on port 8080 in the backend (wrong targetPort, or the app listens on 127.0.0.1 only); its listening sockets were not read: no cat in container app of pod ns/web-1",
			"kubectl -n ns exec web-1 -- netstat -tln", false},
		{"exec forbidden", probe.Session{How: "not allowed to create pods/exec in namespace ns, so no live probes", Forbidden: perm},
			"its listening sockets were not read: not allowed to create pods/exec in namespace ns", "kubectl -n ns exec web-1 -- netstat -tln", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opened []string
			from := liveClient{Pod: client, Session: probe.Session{Prober: src, How: "exec"}, Open: func(_ context.Context, p *corev1.Pod) probe.Session {
				opened = append(opened, p.Name)
				s := tc.backend
				s.Notes = []string{"added ephemeral container to " + p.Name}
				return s
			}}
			out, notes := liveChecks(ctx, cs, f, from)
			if strings.Join(opened, ",") != "web-1" || len(notes) != 1 {
				t.Errorf("opened %v, notes %v", opened, notes)
			}
			var backendChecks []report.Check
			for _, c := range out {
				if c.Code == "SVC009" {
					backendChecks = append(backendChecks, c)
				}
			}
			c := backendChecks[0]
			if c.Status != report.Fail || !strings.Contains(c.Message, tc.want) {
				t.Errorf("SVC009: %s %q", c.Status, c.Message)
			}
			if got := strings.Join(c.Next, "|"); got != tc.next {
				t.Errorf("next %q, want %q", got, tc.next)
			}
			if tc.skipped {
				if len(backendChecks) != 2 || backendChecks[1].Status != report.Skip || backendChecks[1].Forbidden != perm ||
					backendChecks[1].Message != "not allowed to create pods/exec in namespace ns, so the listening sockets of pod ns/web-1 were not read" {
					t.Errorf("skipped step: %+v", backendChecks[1:])
				}
			} else if len(backendChecks) != 1 {
				t.Errorf("extra SVC009 steps: %+v", backendChecks[1:])
			}
			if r, ok := c.Data.(*probe.TCPResult); !ok || r.Listening == nil {
				t.Errorf("data without the sockets: %#v", c.Data)
			}
		})
	}
}
