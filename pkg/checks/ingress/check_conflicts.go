package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// conflict is a host and path of this Ingress that another Ingress of the
// same class also claims (other nil: claimed twice by this Ingress).
type conflict struct {
	host         string
	path         networkingv1.HTTPIngressPath
	other        *networkingv1.Ingress
	otherBackend string
	// wins: this Ingress is the older, so ingress-nginx routes the path to
	// its backend.
	wins bool
}

func (c conflict) route() string { return hostLabel(c.host) + " " + describePath(c.path) }

// sameClass are the cluster's Ingresses of this Ingress's class, this one
// included (as read first), oldest first.
func sameClass(f *facts) []*networkingv1.Ingress {
	mine := f.controller.class.name
	out := []*networkingv1.Ingress{f.ing}
	for i := range f.all {
		o := &f.all[i]
		if o.Namespace == f.ing.Namespace && o.Name == f.ing.Name {
			continue
		}
		if resolveClass(o, f.classes).name == mine {
			out = append(out, o)
		}
	}
	routing.SortOldestFirst(out)
	return out
}

func findConflicts(f *facts) []conflict {
	var out []conflict
	type claim struct {
		host string
		path networkingv1.HTTPIngressPath
	}
	mine := map[string]claim{}
	for _, r := range f.ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			k := routing.IngressRouteKey(r.Host, p)
			if _, dup := mine[k]; dup {
				out = append(out, conflict{host: r.Host, path: p})
				continue
			}
			mine[k] = claim{host: r.Host, path: p}
		}
	}
	if f.allErr != nil {
		return out
	}
	ordered := sameClass(f)
	rank := map[*networkingv1.Ingress]int{}
	for i, ing := range ordered {
		rank[ing] = i
	}
	for _, o := range ordered {
		if o == f.ing {
			continue
		}
		for _, r := range o.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				m, ok := mine[routing.IngressRouteKey(r.Host, p)]
				if !ok {
					continue
				}
				out = append(out, conflict{host: m.host, path: m.path, other: o, otherBackend: describeBackend(&p.Backend), wins: rank[f.ing] < rank[o]})
			}
		}
	}
	return out
}

func describeBackend(b *networkingv1.IngressBackend) string {
	switch {
	case b.Service != nil:
		return "service " + b.Service.Name + ":" + portString(b.Service.Port)
	case b.Resource != nil:
		return "resource " + b.Resource.Kind + "/" + b.Resource.Name
	}
	return "none"
}

// checkConflicts (ING014): two Ingresses of one class that claim the same
// host and path are merged by the controller, and only one backend gets the
// traffic: ingress-nginx keeps the oldest Ingress's; for other controllers
// it is not defined.
func checkConflicts(f *facts, a *analysis) report.Check {
	code := checks.IngConflicts
	if f.allErr != nil {
		return code.FromError("listing the cluster's ingresses to find conflicting rules", f.allErr)
	}
	class := f.controller.class.name
	nginx := a.kind != nil && a.kind.name == "ingress-nginx"
	var facts []report.Fact
	var lose, win, dup []conflict
	for _, c := range a.conflicts {
		switch {
		case c.other == nil:
			dup = append(dup, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: "listed twice in this ingress"})
		case c.wins:
			win = append(win, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: fmt.Sprintf("also claimed by ingress %s/%s (-> %s), which comes after this one", c.other.Namespace, c.other.Name, c.otherBackend)})
		default:
			lose = append(lose, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: fmt.Sprintf("also claimed by ingress %s/%s (-> %s), which takes precedence: %s", c.other.Namespace, c.other.Name, c.otherBackend, precedence(f.ing, c.other))})
		}
	}
	var c report.Check
	switch {
	case len(lose) > 0:
		x := lose[0]
		who := "which of the two backends gets the traffic is not defined"
		if nginx {
			who = fmt.Sprintf("ingress-nginx keeps the rule of the ingress that takes precedence, so requests go to %s, not to this ingress's backend", x.otherBackend)
		}
		c = code.New(report.Fail, "ingress %s/%s of class %s also claims %s and takes precedence (%s): %s",
			x.other.Namespace, x.other.Name, classLabel(class), x.route(), precedence(f.ing, x.other), who)
		c.Next = []string{
			fmt.Sprintf("kubectl netdebug ingress %s -n %s", x.other.Name, x.other.Namespace),
			"remove the rule from one of the two ingresses, or give them different hosts or paths",
		}
	case len(win) > 0:
		x := win[0]
		who := "which of the two backends gets the traffic is not defined"
		if nginx {
			who = "ingress-nginx keeps this ingress's rule, which takes precedence, and ignores the other's"
		}
		c = code.New(report.Warn, "ingress %s/%s of class %s also claims %s: %s", x.other.Namespace, x.other.Name, classLabel(class), x.route(), who)
	case len(dup) > 0:
		c = code.New(report.Warn, "this ingress lists %s twice: only one of its backends gets the traffic", dup[0].route())
	default:
		c = code.New(report.Pass, "no other ingress of class %s claims the same host and path", classLabel(class))
		facts = append(facts, report.Fact{Name: "ingresses of the class", Value: fmt.Sprintf("%d besides this one", len(sameClass(f))-1)})
	}
	c.Facts = facts
	for _, x := range append(lose, win...) {
		obj := report.Object{Kind: "Ingress", Namespace: x.other.Namespace, Name: x.other.Name}
		if !containsObject(c.Objects, obj) {
			c.Objects = append(c.Objects, obj)
		}
	}
	return c
}

func classLabel(name string) string {
	if name == "" {
		return "(none)"
	}
	return name
}

// precedence says why other comes before ing: older, or created in the
// same second and first by namespace/name.
func precedence(ing, other *networkingv1.Ingress) string {
	if ing.CreationTimestamp.Equal(&other.CreationTimestamp) {
		return "created in the same second, it comes first by namespace/name"
	}
	return "it is older"
}
