package plugin_test

import (
	"strings"
	"testing"
)

// Through the real command (offline, no cluster): a flow's target is
// structured, the JSON names each rule by index and by number, the YAML
// keeps the JSON's order, and -o jsonpath/go-template apply to the JSON.
func TestOutputFormatsOfAFlow(t *testing.T) {
	noCluster := "/nonexistent/kubeconfig"
	args := []string{"netpol", "shop/frontend", "shop/api", "--port", "9090", "--local", "-f", "testdata/netpol/shop.yaml", "-f", "testdata/netpol/policies.yaml"}
	for _, tc := range []struct{ output, want string }{
		{`jsonpath={.target.from.kind} {.target.from.namespace}/{.target.from.name} -> {.target.to.name} {.target.port}/{.target.protocol}`, "Pod shop/frontend -> api 9090/TCP"},
		{`jsonpath={.checks[?(@.code=="NP005")].data[0].ingress.misses[0].ruleIndex} {.checks[?(@.code=="NP005")].data[0].ingress.misses[0].rule}`, "0 1"},
		{`go-template={{.verdict.outcome}} {{.target.name}}`, "problems shop/frontend -> shop/api"},
	} {
		res := runAs(t, noCluster, append(args, "-o", tc.output)...)
		if res.code != 1 || res.stdout != tc.want || res.stderr != "" {
			t.Errorf("-o %s: exit %d, %q, want %q\n%s", tc.output, res.code, res.stdout, tc.want, res.stderr)
		}
	}
	res := runAs(t, noCluster, append(args, "-o", "yaml")...)
	verdict, checks := strings.Index(res.stdout, "\nverdict:\n"), strings.Index(res.stdout, "\nchecks:\n")
	if res.code != 1 || verdict < 0 || checks < verdict || !strings.Contains(res.stdout, "\n  from:\n    kind: Pod\n") {
		t.Errorf("-o yaml: exit %d, verdict at %d, checks at %d\n%s", res.code, verdict, checks, res.stdout)
	}
}
