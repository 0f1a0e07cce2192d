package policy

import (
	"context"
	"errors"
	"slices"
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

// MatrixContext decides rows on every CPU (run with -race), only the
// columns asked for, and agrees with Decide on each of them.
func TestMatrixContextAgreesWithDecide(t *testing.T) {
	e := New(benchCluster(4, 300, 40))
	pods := e.Pods()
	columns := make([]bool, len(pods))
	for d := range columns {
		columns[d] = d%3 != 0
	}
	m, err := e.MatrixContext(context.Background(), pods, TCP, intstr.FromString("http"), columns)
	if err != nil {
		t.Fatal(err)
	}
	var allowed, denied int
	for s, src := range pods {
		for d, dst := range pods {
			want := Undecided
			if columns[d] {
				want = e.Decide(Flow{Src: PodEndpoint(src.Namespace, src.Name), Dst: PodEndpoint(dst.Namespace, dst.Name), Port: intstr.FromString("http")})
			}
			got := m.At(s, d)
			if got != want {
				t.Fatalf("%s -> %s: matrix %s, Decide %s", src, dst, got, want)
			}
			allowed += btoi(got == Allowed)
			denied += btoi(got == Denied)
		}
	}
	if a, d := m.Counts(); a != allowed || d != denied || allowed == 0 || denied == 0 {
		t.Errorf("Counts() = %d, %d; cells say %d, %d", a, d, allowed, denied)
	}
	// A matrix differs from itself nowhere, and from another port's
	// exactly where At says so.
	other := e.Matrix(pods, TCP, intstr.FromInt32(9090))
	for s := range pods {
		for range ChangedColumns(m, m, s) {
			t.Fatal("a matrix differs from itself")
		}
		var want []int
		for d := range pods {
			if m.At(s, d) != other.At(s, d) {
				want = append(want, d)
			}
		}
		if got := slices.Collect(ChangedColumns(m, other, s)); !slices.Equal(got, want) {
			t.Fatalf("row %d: changed %v, want %v", s, got, want)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A cancelled context stops the matrix with its error.
func TestMatrixContextCancelled(t *testing.T) {
	e := New(benchCluster(4, 300, 40))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.MatrixContext(ctx, e.Pods(), TCP, intstr.FromInt32(80), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
