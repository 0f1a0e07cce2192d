package printers

import (
	"bytes"
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// longReport has lines as long as real ones: a verdict of 355 characters,
// evidence and next steps of 200 and more, an indented section line.
func longReport() *report.Report {
	verdict := "listener same has no attached route: HTTPRoute gw-attach/other-ns tries to attach, but the listener admits routes from namespace gw-attach-infra only (from: Same), not from namespace gw-attach (NotAllowedByListeners); the route's parentRef names the listener by sectionName same, and no ReferenceGrant or namespace label changes that, so every request for its hostnames gets 404"
	r := report.New("gateway", report.Object{Kind: "Gateway", Namespace: "gw", Name: "edge"})
	r.Add(
		report.Check{Code: "GW001", Status: report.Pass, Message: "exists"},
		report.Check{
			Code: "GW012", Status: report.Fail, Message: verdict,
			Facts: []report.Fact{
				{Name: "looked for", Value: "data plane: pods labelled gateway.envoyproxy.io/owning-gateway-name=conflict,gateway.envoyproxy.io/owning-gateway-namespace=gw-tls in every namespace, then pods of Services named after the gateway"},
				{Name: "short", Value: "fits"},
			},
			Next: []string{"kubectl get httproute -n gw-attach other-ns -o yaml and compare its parentRefs with the listeners of gateway gw-attach-infra/edge (allowedRoutes.namespaces.from)"},
		},
		report.Check{Code: "GW004", Status: report.Warn, Message: "could not read the controller's logs", Next: []string{"grant get on pods/log in namespace gw-system to read the controller's logs, then run the diagnosis again to see its errors"}},
	)
	r.Finish(nil)
	r.Sections = append(r.Sections, report.TextSection("Listeners", "listener same\n  cannot attach: HTTPRoute gw-attach/other-ns: admits routes from namespace gw-attach-infra only (from: Same), not from namespace gw-attach (NotAllowedByListeners)"))
	return r
}

func TestHumanFoldsAtTheWidthKeepingIndents(t *testing.T) {
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := Print(&b, longReport(), Human, Options{Width: 80, Color: color}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		for _, l := range lines {
			if n := visibleLen(l); n > 80 && len(strings.Fields(l)) > 1 {
				// Only a word longer than a line may pass the width.
				t.Errorf("color %t: %d columns: %q", color, n, l)
			}
		}
		// Every continuation keeps its block's indent: nothing of the
		// verdict, the evidence or the next steps starts at column 0.
		for i, l := range lines {
			if l == "" || i == 0 {
				continue
			}
			plain := stripANSI(l)
			if !strings.HasPrefix(plain, " ") && !hasLabel(plain) {
				t.Errorf("color %t: line %d lost its indent: %q", color, i, plain)
			}
		}
		plain := stripANSI(b.String())
		for _, want := range []string{
			"Verdict: Listener same has no attached route: HTTPRoute gw-attach/other-ns tries\n         to attach,",
			"             looked for: data plane: pods labelled\n               gateway.envoyproxy.io/owning-gateway-name=conflict,gateway.envoyproxy.io/owning-gateway-namespace=gw-tls\n               in every namespace,",
			"             short: fits\n",
			"             next: grant get on pods/log in namespace gw-system to read the\n                   controller's logs,",
			"Next:    kubectl get httproute -n gw-attach other-ns -o yaml and compare its\n         parentRefs",
			"FAIL   GW012  listener same has no attached route: HTTPRoute gw-attach/other-ns\n              tries to attach,",
			"  cannot attach: HTTPRoute gw-attach/other-ns: admits routes from namespace\n    gw-attach-infra only",
		} {
			if !strings.Contains(plain, want) {
				t.Errorf("color %t: missing %q in\n%s", color, want, plain)
			}
		}
		// Folding only moves line breaks: the words are all there.
		var unfolded bytes.Buffer
		if err := Print(&unfolded, longReport(), Human, Options{Color: color}); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Fields(b.String()), strings.Fields(unfolded.String()); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("color %t: folding changed the words:\n%s", color, b.String())
		}
	}
}

// Width 0 (not a terminal) leaves every line whole, however long.
func TestHumanDoesNotFoldWithoutWidth(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, longReport(), Human, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Verdict: Listener same has no attached route: HTTPRoute gw-attach/other-ns tries to attach, but the listener admits routes from namespace gw-attach-infra only (from: Same), not from namespace gw-attach (NotAllowedByListeners); the route's parentRef names the listener by sectionName same, and no ReferenceGrant or namespace label changes that, so every request for its hostnames gets 404.\n") {
		t.Errorf("the verdict was folded:\n%s", b.String())
	}
}

// A terminal narrower than an indent and a few words still gets whole
// words, never an endless column of single letters.
func TestFoldNarrowTerminal(t *testing.T) {
	var b bytes.Buffer
	folder{w: &b, width: 10}.line("             ", "evidence: a value that is long enough to fold", 15)
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if len(l) > 15+minText {
			t.Errorf("line of %d columns: %q", len(l), l)
		}
		if strings.TrimSpace(l) == "" {
			t.Errorf("empty line in %q", b.String())
		}
	}
}

func hasLabel(l string) bool {
	for _, p := range []string{"Verdict: ", "Next:    ", "Note:    ", "PASS ", "WARN ", "FAIL ", "SKIP ", "ERROR", "Listeners", "listener same", "Gateway gw/edge", "1 pass"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			for i += 2; i < len(s) && (s[i] < 0x40 || s[i] > 0x7e); i++ {
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
