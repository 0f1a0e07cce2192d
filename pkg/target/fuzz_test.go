package target

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// FuzzParse feeds arbitrary text to the pod reference parser: it must never
// panic; what it accepts has a known kind, a valid name and namespace, and
// reads back the same from its String form (the form messages print).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"web-1", "shop/web-1", "deploy/web", "shop/sts/db", "pod/web-1", "shop/Deploy/web",
		"", "/", "//", "a/b/c/d", "shop/widget/x", "Web_1", "shop/", "UPPER/web",
		"deploy/pod/web", "pods/x", "a.b.c", "ns/job/j-1", "\x00", "é/x",
		strings.Repeat("a", 254), strings.Repeat("a", 64) + "/x",
	} {
		f.Add(s)
	}
	valid := map[string]bool{"pod": true, "deployment": true, "statefulset": true, "daemonset": true, "replicaset": true, "job": true}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if err.Error() == "" || !strings.Contains(err.Error(), "invalid") {
				t.Fatalf("Parse(%q): unhelpful error %q", s, err)
			}
			return
		}
		if !valid[r.Kind] {
			t.Fatalf("Parse(%q) = kind %q", s, r.Kind)
		}
		if errs := validation.IsDNS1123Subdomain(r.Name); len(errs) > 0 {
			t.Fatalf("Parse(%q) accepted name %q: %v", s, r.Name, errs)
		}
		if r.Namespace != "" {
			if errs := validation.IsDNS1123Label(r.Namespace); len(errs) > 0 {
				t.Fatalf("Parse(%q) accepted namespace %q: %v", s, r.Namespace, errs)
			}
		}
		back, err := Parse(r.String())
		if err != nil || back != r {
			t.Fatalf("Parse(%q) = %+v, but its String %q reads back as %+v, %v", s, r, r.String(), back, err)
		}
	})
}
