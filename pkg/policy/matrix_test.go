package policy

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// What-if: the same pods under the current and a proposed policy set.
func TestWhatIfComparison(t *testing.T) {
	current := New(xyzCluster())
	proposed := New(xyzCluster(mkNP("x", "from-y-only", "pod=a", in(peers(nsPeer("ns=y"))))))
	pods := current.Pods()
	before := current.Matrix(pods, TCP, intstr.FromInt32(80))
	after := proposed.Matrix(pods, TCP, intstr.FromInt32(80))
	changes, err := CompareMatrices(before, after)
	if err != nil {
		t.Fatal(err)
	}
	// Sources outside ns y lose access to x/a, except x/a itself.
	want := map[PodRef]bool{{"x", "b"}: true, {"x", "c"}: true, {"z", "a"}: true, {"z", "b"}: true, {"z", "c"}: true}
	if len(changes) != len(want) {
		t.Fatalf("changes: %+v", changes)
	}
	for _, c := range changes {
		if !want[c.Src] || c.Dst != (PodRef{"x", "a"}) || c.Before != Allowed || c.After != Denied {
			t.Errorf("unexpected change %+v", c)
		}
	}
	flows := []Flow{flow(P("z", "a"), P("x", "a"), TCP, 80), flow(P("y", "a"), P("x", "a"), TCP, 80)}
	fc := Compare(current, proposed, flows)
	if len(fc) != 1 || fc[0].Flow != flows[0] || fc[0].After.Ingress.Misses[0].Policy.Name != "from-y-only" {
		t.Errorf("flow changes: %+v", fc)
	}
	if _, err := CompareMatrices(before, current.Matrix(pods[:3], TCP, intstr.FromInt32(80))); err == nil {
		t.Error("matrices over different pods must not compare")
	}
	if current.Pod(PodRef{"x", "a"}) == nil || current.Pod(PodRef{"x", "nope"}) != nil {
		t.Error("Pod lookup")
	}
	m := current.Matrix([]PodRef{{"x", "a"}, {"x", "missing"}}, TCP, intstr.FromInt32(80))
	if m.At(0, 0) != Allowed || m.At(0, 1) != Undecided || m.At(1, 0) != Undecided {
		t.Errorf("missing pods should give Undecided cells")
	}
}

// The engine is read-only after New: concurrent use must be safe (run with
// -race to check).
func TestConcurrentUse(t *testing.T) {
	e := New(benchCluster(4, 40, 30))
	pods := e.Pods()
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range pods {
				f := Flow{Src: PodEndpoint(pods[i].Namespace, pods[i].Name), Dst: PodEndpoint(pods[(i+w)%len(pods)].Namespace, pods[(i+w)%len(pods)].Name), Port: intstr.FromInt32(8080)}
				if e.Evaluate(f).Result != e.Decide(f) {
					t.Error("disagreement")
				}
				_, _ = e.Describe(pods[i])
			}
		}()
	}
	for w := 0; w < 4; w++ {
		<-done
	}
}
