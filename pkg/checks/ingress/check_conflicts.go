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
	otherHost    string
	otherPath    networkingv1.HTTPIngressPath
	otherBackend string
	// wins: this Ingress comes first in ingress-nginx's order (older, or
	// in the same second the greater namespace/name), so ingress-nginx
	// routes the path to its backend; for Traefik, its router has the
	// higher priority. undefined (Traefik): the two routers have the same
	// priority, and Traefik orders them in no defined way.
	wins      bool
	undefined bool
}

func (c conflict) route() string { return hostLabel(c.host) + " " + describePath(c.path) }

// sameClass are the cluster's Ingresses of this Ingress's class, this one
// included, in ingress-nginx's order (routing.SortOldestFirst).
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
				c := conflict{host: m.host, path: m.path, other: o, otherHost: r.Host, otherPath: p, otherBackend: describeBackend(&p.Backend), wins: rank[f.ing] < rank[o]}
				if f.controller.kind.routingModel() == routing.IngressTraefik {
					// Traefik pkg/muxer/http/mux.go: the router of higher
					// priority first, equal ones in no defined order
					// (sort.Sort of routers read from a map).
					mine, theirs := routing.TraefikPriority(f.ing, m.host, m.path), routing.TraefikPriority(o, r.Host, p)
					c.wins, c.undefined = mine > theirs, mine == theirs
				}
				out = append(out, c)
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
// traffic: ingress-nginx keeps the first Ingress's in its order (oldest,
// then the greater namespace/name); Traefik the router of higher priority
// (the longer rule), in no defined order between equal ones; for other
// controllers it is not defined.
func checkConflicts(f *facts, a *analysis) report.Check {
	code := checks.IngConflicts
	if f.allErr != nil {
		return code.FromError("listing the cluster's ingresses to find conflicting rules", f.allErr)
	}
	class := f.controller.class.name
	model := a.kind.routingModel()
	var facts []report.Fact
	var lose, win, dup, tie []conflict
	for _, c := range a.conflicts {
		switch {
		case c.other == nil:
			dup = append(dup, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: "listed twice in this ingress"})
		case c.undefined:
			tie = append(tie, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: fmt.Sprintf("also claimed by ingress %s/%s (-> %s), with a Traefik router of the same priority (%d)", c.other.Namespace, c.other.Name, c.otherBackend, routing.TraefikPriority(f.ing, c.host, c.path))})
		case c.wins:
			win = append(win, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: fmt.Sprintf("also claimed by ingress %s/%s (-> %s), which comes after this one", c.other.Namespace, c.other.Name, c.otherBackend)})
		default:
			lose = append(lose, c)
			facts = append(facts, report.Fact{Name: c.route(), Value: fmt.Sprintf("also claimed by ingress %s/%s (-> %s), which takes precedence: %s", c.other.Namespace, c.other.Name, c.otherBackend, precedence(f.ing, c, model))})
		}
	}
	var c report.Check
	switch {
	case len(lose) > 0:
		x := lose[0]
		who := "which of the two backends gets the traffic is not defined"
		switch model {
		case routing.IngressNginx:
			who = fmt.Sprintf("ingress-nginx keeps the rule of the ingress that takes precedence, so requests go to %s, not to this ingress's backend", x.otherBackend)
		case routing.IngressTraefik:
			who = fmt.Sprintf("Traefik tries the router of higher priority first, so requests go to %s, not to this ingress's backend", x.otherBackend)
		}
		c = code.New(report.Fail, "ingress %s/%s of class %s also claims %s and takes precedence (%s): %s",
			x.other.Namespace, x.other.Name, classLabel(class), x.route(), precedence(f.ing, x, model), who)
		c.Next = []string{
			fmt.Sprintf("kubectl netdebug ingress %s -n %s", x.other.Name, x.other.Namespace),
			"remove the rule from one of the two ingresses, or give them different hosts or paths",
		}
	case len(tie) > 0:
		x := tie[0]
		c = code.New(report.Warn, "ingress %s/%s of class %s also claims %s with a router of the same priority: Traefik serves one of the two backends, %s or this ingress's, in no defined order",
			x.other.Namespace, x.other.Name, classLabel(class), x.route(), x.otherBackend)
		c.Next = []string{"remove the rule from one of the two ingresses, or set traefik.ingress.kubernetes.io/router.priority on the one that should win"}
	case len(win) > 0:
		x := win[0]
		who := "which of the two backends gets the traffic is not defined"
		switch model {
		case routing.IngressNginx:
			who = "ingress-nginx keeps this ingress's rule, which takes precedence, and ignores the other's"
		case routing.IngressTraefik:
			who = "Traefik tries this ingress's router first (higher priority) and the other's only for requests this one does not match"
		}
		c = code.New(report.Warn, "ingress %s/%s of class %s also claims %s: %s", x.other.Namespace, x.other.Name, classLabel(class), x.route(), who)
	case len(dup) > 0:
		c = code.New(report.Warn, "this ingress lists %s twice: only one of its backends gets the traffic", dup[0].route())
	default:
		c = code.New(report.Pass, "no other ingress of class %s claims the same host and path", classLabel(class))
		facts = append(facts, report.Fact{Name: "ingresses of the class", Value: fmt.Sprintf("%d besides this one", len(sameClass(f))-1)})
	}
	c.Facts = facts
	for _, x := range append(append(lose, tie...), win...) {
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

// precedence says why the other Ingress of c comes before ing: for
// Traefik, the priority of its router; else it is older, or created in the
// same second and its "namespace/name" is the greater (ingress-nginx
// internal/ingress/controller/store/store.go sortIngressSlice: `in > jn`).
func precedence(ing *networkingv1.Ingress, c conflict, model routing.IngressController) string {
	if model == routing.IngressTraefik {
		return fmt.Sprintf("its Traefik router has the higher priority, %d against %d", routing.TraefikPriority(c.other, c.otherHost, c.otherPath), routing.TraefikPriority(ing, c.host, c.path))
	}
	other := c.other
	if ing.CreationTimestamp.Equal(&other.CreationTimestamp) {
		return fmt.Sprintf("created in the same second, it comes first: ingress-nginx reads %s/%s before %s/%s, the greater namespace/name first", other.Namespace, other.Name, ing.Namespace, ing.Name)
	}
	return "it is older"
}
