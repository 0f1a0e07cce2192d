package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, every
// error must name the input, and whatever it accepts must be usable by the
// policy engine.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/good/policies", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("kind: List\napiVersion: v1\nitems: [{kind: Pod, apiVersion: v1, metadata: {name: a}}]"))
	f.Add([]byte(`{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p"}}]}`))
	f.Add([]byte("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" + cnpSpec))
	f.Add([]byte(unjudgedDocs))
	f.Add([]byte(nsA + "\n---\n" + nsB + nsA + "\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\n{kind: Namespace}\n"))
	f.Add([]byte("replicaCount: 1\n---\n" + nsA + "\n---\n[1, {\"a\": 2}]\n"))
	limits := Limits{MaxDocumentBytes: 64 << 10, MaxFileBytes: 1 << 20, MaxDepth: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := LoadBytes("fuzz.yaml", data, Options{Limits: limits})
		if err != nil {
			var de *DocumentError
			if !errors.As(err, &de) || de.File != "fuzz.yaml" || de.Document < 1 {
				t.Fatalf("error does not name the document: %v", err)
			}
			return
		}
		e := policy.New(res.Snapshot)
		pods := e.Pods()
		for i := 0; i < len(pods) && i < 3; i++ {
			for j := 0; j < len(pods) && j < 3; j++ {
				for _, port := range []intstr.IntOrString{intstr.FromInt32(80), intstr.FromString("http")} {
					fl := policy.Flow{Src: policy.PodEndpoint(pods[i].Namespace, pods[i].Name), Dst: policy.PodEndpoint(pods[j].Namespace, pods[j].Name), Port: port}
					if v := e.Evaluate(fl); v.Result != e.Decide(fl) {
						t.Fatalf("Evaluate %s but Decide %s", v.Result, e.Decide(fl))
					}
				}
			}
			if _, err := e.Describe(pods[i]); err != nil {
				t.Fatal(err)
			}
		}
		e.PoliciesSelectingNoPods()
		e.PeersMatchingNothing()
	})
}
