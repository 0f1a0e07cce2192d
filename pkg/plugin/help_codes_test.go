package plugin

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
)

// help is what `kubectl netdebug ARGS... --help` prints.
func help(t *testing.T, args ...string) string {
	t.Helper()
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	root := NewRootCmd(Config{Streams: streams})
	root.SetArgs(append(args, "--help"))
	if err := root.Execute(); err != nil {
		t.Fatalf("%v --help: %v", args, err)
	}
	return out.String()
}

// TestHelpListsCodes: every code of the catalog is listed, with its title,
// in the help of the command of the procedure that owns it; the codes a
// procedure borrows are listed too.
func TestHelpListsCodes(t *testing.T) {
	listed := map[checks.Code]bool{}
	for _, p := range checks.Procedures() {
		h := help(t, p.Name)
		if !strings.Contains(h, "Finding codes:\n") {
			t.Errorf("%s --help has no code list:\n%s", p.Name, h)
		}
		for _, i := range p.Codes {
			if !regexp.MustCompile(`(?m)^  ` + string(i.Code) + ` +` + regexp.QuoteMeta(i.Title) + `$`).MatchString(h) {
				t.Errorf("%s --help does not list %s %q:\n%s", p.Name, i.Code, i.Title, h)
			}
			listed[i.Code] = true
		}
		for _, c := range p.Also {
			if !regexp.MustCompile(`(?m)^  ` + string(c) + ` +` + regexp.QuoteMeta(c.Title()) + `$`).MatchString(h) {
				t.Errorf("%s --help does not list %s, which its report holds", p.Name, c)
			}
		}
	}
	for _, i := range checks.Catalog() {
		if !listed[i.Code] {
			t.Errorf("%s is in no command's help", i.Code)
		}
	}
	for _, args := range [][]string{{"netpol", "matrix"}, {"capture"}, {"version"}} {
		if h := help(t, args...); strings.Contains(h, "Finding codes:") {
			t.Errorf("%v --help lists codes:\n%s", args, h)
		}
	}
}

func TestCodeListAligned(t *testing.T) {
	p := checks.Procedure{
		Name:  "x",
		Codes: []checks.Info{{Code: "NP001", Title: "Short"}, {Code: "SCAN001", Title: "Longer code"}},
		Also:  []checks.Code{checks.CNIEnforcement},
	}
	want := "Finding codes:\n" +
		"  NP001    Short\n" +
		"  SCAN001  Longer code\n" +
		"\n" +
		"Also in this report (see the owning command's help):\n" +
		"  CNI004   NetworkPolicy enforced"
	if got := codeList(p); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
