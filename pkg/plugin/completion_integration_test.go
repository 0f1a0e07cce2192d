package plugin_test

import (
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
)

// Dynamic completion reads the cluster named by the flags already typed.
func TestCompletion(t *testing.T) {
	c := ctx(t)
	ns := "comp-ns"
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	shop(t, "comp-shop", map[string]string{"app": "web"}, intstrHTTP(), []testenv.Pod{readyPod("web-1", "10.244.10.1", map[string]string{"app": "web"})}, false)

	res := run(t, "__complete", "service", "-n", "comp-shop", "")
	if !strings.HasPrefix(res.stdout, "web\n:4\n") {
		t.Errorf("services: %q", res.stdout)
	}
	res = run(t, "__complete", "pod", "-n", "comp-shop", "we")
	if !strings.HasPrefix(res.stdout, "web-1\n:4\n") {
		t.Errorf("pods: %q", res.stdout)
	}
	res = run(t, "__complete", "service", "-n", "comp-")
	if !strings.Contains(res.stdout, "comp-ns\n") || !strings.Contains(res.stdout, "comp-shop\n") {
		t.Errorf("namespaces: %q", res.stdout)
	}
	res = run(t, "__complete", "service", "web", "--probe", "")
	if !strings.HasPrefix(res.stdout, "auto\nexec\nephemeral\nnone\n") {
		t.Errorf("--probe: %q", res.stdout)
	}
	res = run(t, "completion", "bash")
	if res.code != 0 || !strings.Contains(res.stdout, "__start_kubectl-netdebug") {
		t.Errorf("bash completion script: exit %d", res.code)
	}
}
