package checks

import (
	"errors"
	"reflect"
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
