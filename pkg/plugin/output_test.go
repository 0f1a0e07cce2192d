package plugin

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// A bad -o template is a usage error (exit 2, one line), found before the
// kubeconfig is read.
func TestBadTemplateIsAUsageError(t *testing.T) {
	for _, o := range []string{"jsonpath={.verdict", "go-template={{.verdict", "jsonpath", "jsonpath="} {
		out, errOut, code := execute(t, Config{}, "--kubeconfig", "/nonexistent", "service", "web", "-o", o)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "error: ") || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "kubeconfig") {
			t.Errorf("-o %s: exit %d, stdout %q, stderr %q", o, code, out, errOut)
		}
	}
}

// Shell completion of -o offers the templates; after jsonpath= the shell
// adds no space.
func TestOutputCompletion(t *testing.T) {
	got, dir := completeOutput(nil, nil, "")
	for _, want := range []string{"json", "yaml", "junit", "jsonpath=", "go-template="} {
		if !slices.Contains(got, want) {
			t.Errorf("%q not offered: %v", want, got)
		}
	}
	if dir&cobra.ShellCompDirectiveNoSpace != 0 {
		t.Errorf("no space after json: %v", dir)
	}
	got, dir = completeOutput(nil, nil, "go")
	if !slices.Equal(got, []string{"go-template="}) || dir&cobra.ShellCompDirectiveNoSpace == 0 {
		t.Errorf("go: %v %v", got, dir)
	}
	out, _, _ := execute(t, Config{}, "__complete", "service", "x", "-o", "")
	if !strings.Contains(out, "jsonpath=\n") || !strings.Contains(out, "go-template=\n") {
		t.Errorf("__complete: %q", out)
	}
}
