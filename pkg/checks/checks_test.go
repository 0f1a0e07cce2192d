package checks

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func TestSimilarNames(t *testing.T) {
	got := SimilarNames("web", []string{"web", "webb", "wbe", "database", "web-frontend", "api"}, 3)
	want := []string{"webb", "wbe", "web-frontend"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFromError(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	c := SvcSelector.FromError("listing pods", kube.Read(kube.List("", "pods", "shop"), forbidden))
	if c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.Resource != "pods" || c.Next[0] != "kubectl auth can-i list pods -n shop" {
		t.Errorf("forbidden: %+v", c)
	}
	c = SvcSelector.FromError("listing pods", kube.Read(kube.List("", "pods", "shop"), errors.New("etcd timeout")))
	if c.Status != report.Error || c.Forbidden != nil {
		t.Errorf("other error: %+v", c)
	}
}

func TestCatalogCodesUnique(t *testing.T) {
	seen := map[Code]bool{}
	for _, i := range Catalog() {
		if seen[i.Code] || i.Title == "" || i.Description == "" {
			t.Errorf("code %s duplicated or undocumented", i.Code)
		}
		seen[i.Code] = true
	}
}

// TestProcedures: every code belongs to the procedure its prefix names, and
// the codes a procedure borrows exist under another procedure.
func TestProcedures(t *testing.T) {
	prefixes := map[string]string{
		"service": "SVC", "ingress": "ING", "gateway": "GW", "route": "RT", "dns": "DNS", "cni": "CNI",
		"netpol": "NP", "pod": "POD", "scan": "SCAN",
	}
	owner := map[Code]string{}
	var names []string
	for _, p := range Procedures() {
		names = append(names, p.Name)
		if len(p.Codes) == 0 {
			t.Errorf("procedure %s has no codes", p.Name)
		}
		for _, i := range p.Codes {
			if !strings.HasPrefix(string(i.Code), prefixes[p.Name]) {
				t.Errorf("code %s in procedure %s, want prefix %q", i.Code, p.Name, prefixes[p.Name])
			}
			owner[i.Code] = p.Name
		}
	}
	if want := []string{"service", "ingress", "gateway", "route", "dns", "cni", "netpol", "pod", "mesh", "scan"}; !reflect.DeepEqual(names, want) {
		t.Errorf("procedures %v, want %v", names, want)
	}
	for _, p := range Procedures() {
		seen := map[Code]bool{}
		for _, c := range p.Also {
			if o, ok := owner[c]; !ok || o == p.Name || seen[c] {
				t.Errorf("procedure %s: Also %s is unknown, its own or repeated", p.Name, c)
			}
			seen[c] = true
		}
	}
	if p, ok := ProcedureOf("pod"); !ok || p.Name != "pod" {
		t.Errorf("ProcedureOf(pod) = %v, %v", p.Name, ok)
	}
	if _, ok := ProcedureOf("capture"); ok {
		t.Error("capture has no procedure codes")
	}
}

// TestCatalogText: titles and descriptions print in help, README tables and
// JSON alike: one line, no markdown but backticks.
func TestCatalogText(t *testing.T) {
	for _, i := range Catalog() {
		for what, s := range map[string]string{"title": i.Title, "description": i.Description} {
			if s != strings.TrimSpace(s) || strings.ContainsAny(s, "\n\r\t|*") || strings.Contains(s, "](") || strings.Count(s, "`")%2 != 0 {
				t.Errorf("%s %s: not one plain line: %q", i.Code, what, s)
			}
		}
		if strings.HasSuffix(i.Title, ".") || !strings.HasSuffix(i.Description, ".") {
			t.Errorf("%s: a title has no full stop, a description ends with one", i.Code)
		}
		if got := i.Code.Title(); got != i.Title {
			t.Errorf("%s.Title() = %q, want %q", i.Code, got, i.Title)
		}
	}
	if got := Code("XYZ999").Title(); got != "XYZ999" {
		t.Errorf("unknown code's title = %q", got)
	}
}

// TestCatalogFresh: what Catalog and Procedures return is the caller's.
func TestCatalogFresh(t *testing.T) {
	c := Catalog()
	c[0].Title = "changed"
	Procedures()[0].Codes[0].Title = "changed"
	if Catalog()[0].Title == "changed" || c[0].Code.Title() == "changed" {
		t.Error("the catalog is shared state")
	}
}
