package netpol

import (
	"fmt"
	"slices"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// maxWarningFacts bounds the manifest warnings listed as facts.
const maxWarningFacts = 20

// checkPolicies (NP002): the policies the verdict rests on, and anything the
// engine or the manifest loader skipped or assumed. Objects the API server
// would reject are ignored by the engine, namespaces the manifests do not
// declare have guessed labels, and an object given twice keeps only its
// later version: each can change a verdict, so each warns. In
// manifests (--local), a policy the API server would reject fails the check,
// naming the file, document and fields, unless the world is Lenient: such
// manifests would not apply, which is what a CI run must catch.
func checkPolicies(w *World) report.Check {
	code := checks.NPPolicies
	if w.ReadErr != nil {
		if w.podsUnread {
			return code.Skipped("skipped: the pods could not be read")
		}
		c := code.FromError("reading the policies", w.ReadErr)
		c.Message += ": a verdict without every policy could wrongly say allowed"
		return c
	}
	c := code.New(report.Pass, "%s", w.describeRead())
	if !w.Cluster {
		c.Message = fmt.Sprintf("%d file(s) read: %d pod(s), %s", w.FilesRead, len(w.Snapshot.Pods), c.Message)
		c.Message += manifestCounts(w.Warnings)
		c.Facts = append(c.Facts, manifestFacts(w.Warnings)...)
		if slices.ContainsFunc(w.Warnings, manifestWarns) {
			c.Status = report.Warn
		}
	}
	rejected := 0
	for _, f := range w.Engine.Warnings() {
		if f.Code == "ImplicitNamespace" {
			// Cluster: deleted namespaces of terminating pods; caveats on
			// flows say it where it matters. Offline: the manifest
			// warnings above already name the undeclared namespaces.
			if w.Cluster {
				c.Facts = append(c.Facts, report.Fact{Name: "assumed", Value: f.Message})
			}
			continue
		}
		if src, ok := w.Sources[f.Policy]; ok {
			f.Message += " (" + src + ")"
		}
		if f.Code == "InvalidPolicy" && !w.Cluster && !w.Lenient {
			// It would not apply: the manifests under test are wrong.
			rejected++
			c.Facts = append(c.Facts, report.Fact{Name: "rejected", Value: f.Message})
			continue
		}
		if c.Status != report.Fail {
			c.Status = report.Warn
		}
		c.Facts = append(c.Facts, report.Fact{Name: "ignored", Value: f.Message})
	}
	switch {
	case rejected > 0:
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%d polic(ies) the API server would reject (kubectl apply would fail): %s", rejected, firstFact(c.Facts, "rejected"))
		c.Next = append(c.Next, "fix the manifests, or pass --lenient to judge without them")
	case c.Status == report.Warn:
		c.Message += "; some objects were ignored or assumed (see below)"
	}
	for _, np := range w.Snapshot.NetworkPolicies {
		if len(c.Objects) == 20 {
			break
		}
		c.Objects = append(c.Objects, report.Object{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name})
	}
	return c
}

// manifestWarns reports whether a manifest warning can change a verdict, so
// that NP002 warns and the printer shows it without -v: a duplicate
// replaced an earlier object (which one was meant?), a namespace's labels
// are guessed.
func manifestWarns(w manifest.Warning) bool {
	return w.Kind == manifest.WarnDuplicate || w.Kind == manifest.WarnImplicitNamespace
}

// manifestCounts summarises what the manifests held besides the objects
// used.
func manifestCounts(ws []manifest.Warning) string {
	other, notKube := 0, 0
	for _, w := range ws {
		switch w.Kind {
		case manifest.WarnSkippedKind:
			other++
		case manifest.WarnNotKubernetes:
			notKube++
		}
	}
	s := ""
	if other > 0 {
		s += fmt.Sprintf("; %d document(s) of other kinds ignored", other)
	}
	if notKube > 0 {
		s += fmt.Sprintf("; %d file(s) or document(s) that are not Kubernetes objects skipped", notKube)
	}
	return s
}

// manifestFacts lists the manifest warnings, at most maxWarningFacts, those
// that make NP002 warn first so that the cut never hides them.
func manifestFacts(ws []manifest.Warning) []report.Fact {
	sorted := slices.Clone(ws)
	slices.SortStableFunc(sorted, func(a, b manifest.Warning) int {
		switch wa, wb := manifestWarns(a), manifestWarns(b); {
		case wa == wb:
			return 0
		case wa:
			return -1
		}
		return 1
	})
	var facts []report.Fact
	for i, w := range sorted {
		if i == maxWarningFacts {
			facts = append(facts, report.Fact{Name: "manifests", Value: moreWarnings(len(sorted) - i)})
			break
		}
		facts = append(facts, report.Fact{Name: "manifests", Value: w.String()})
	}
	return facts
}

// firstFact is the value of the first fact named name.
func firstFact(facts []report.Fact, name string) string {
	for _, f := range facts {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// moreWarnings counts the warnings left out of the facts.
func moreWarnings(n int) string {
	if n == 1 {
		return "and 1 more warning"
	}
	return fmt.Sprintf("and %d more warnings", n)
}
