package ingress

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Where an Ingress's class comes from.
const (
	fromSpec       = "spec.ingressClassName"
	fromAnnotation = "annotation " + networkingv1beta1.AnnotationIngressClass
	fromDefault    = "default IngressClass"
)

// classResolution is the class an Ingress belongs to, as controllers decide
// it: spec.ingressClassName, else the legacy annotation, else the one
// IngressClass marked default.
type classResolution struct {
	name   string // "" when no class applies
	source string // fromSpec, fromAnnotation, fromDefault or ""
	// class is the IngressClass of that name, nil when there is none (or
	// the classes could not be read).
	class *networkingv1.IngressClass
	// annotation is the legacy annotation's value, when set.
	annotation string
	// defaults are the IngressClasses marked default, newest first: the
	// order in which the API server's DefaultIngressClass admission picks.
	defaults []string
}

// controller is the class's spec.controller, or "".
func (c classResolution) controller() string {
	if c.class == nil {
		return ""
	}
	return c.class.Spec.Controller
}

func resolveClass(ing *networkingv1.Ingress, classes []networkingv1.IngressClass) classResolution {
	var r classResolution
	r.defaults = defaultClasses(classes)
	r.annotation = ing.Annotations[networkingv1beta1.AnnotationIngressClass]
	switch {
	case ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "":
		r.name, r.source = *ing.Spec.IngressClassName, fromSpec
	case r.annotation != "":
		r.name, r.source = r.annotation, fromAnnotation
	case len(r.defaults) == 1:
		r.name, r.source = r.defaults[0], fromDefault
	}
	for i := range classes {
		if classes[i].Name == r.name {
			r.class = &classes[i]
		}
	}
	return r
}

// defaultClasses names the classes marked default, newest first, ties by
// name, as the DefaultIngressClass admission plugin orders them.
func defaultClasses(classes []networkingv1.IngressClass) []string {
	var defs []networkingv1.IngressClass
	for _, c := range classes {
		if c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			defs = append(defs, c)
		}
	}
	sort.Slice(defs, func(i, j int) bool {
		ti, tj := defs[i].CreationTimestamp.UnixNano(), defs[j].CreationTimestamp.UnixNano()
		if ti != tj {
			return ti > tj
		}
		return defs[i].Name < defs[j].Name
	})
	out := make([]string, 0, len(defs))
	for _, d := range defs {
		out = append(out, d.Name)
	}
	return out
}

// checkClass (ING002): an Ingress that no controller is bound to pick up is
// the classic silent 404: every object looks fine, and nothing serves it.
func checkClass(f *facts, a *analysis) report.Check {
	code := checks.IngClass
	r := f.controller.class
	var facts []report.Fact
	add := func(name, format string, args ...any) {
		facts = append(facts, report.Fact{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	if r.source != "" {
		add("class", "%s (from %s)", r.name, r.source)
	}
	if r.annotation != "" && r.source != fromAnnotation {
		add("annotation "+networkingv1beta1.AnnotationIngressClass, "%s", r.annotation)
	}
	if f.classesErr == nil {
		add("default classes", "%s", orNone(r.defaults))
	}
	if r.class != nil {
		add("controller", "%s", describeController(r.class.Spec.Controller, f.controller.kind))
		if p := r.class.Spec.Parameters; p != nil {
			add("parameters", "%s", describeParameters(p))
		}
	}
	objects := []report.Object{{Kind: "Ingress", Namespace: f.namespace, Name: f.name}}
	if r.class != nil {
		objects = append(objects, report.Object{Kind: "IngressClass", Name: r.class.Name})
	}
	c := classVerdict(code, f, r)
	c.Facts = append(facts, c.Facts...)
	c.Objects = objects
	return c
}

func classVerdict(code checks.Code, f *facts, r classResolution) report.Check {
	patch := func(class string) string {
		return fmt.Sprintf(`kubectl -n %s patch ingress %s --type merge -p '{"spec":{"ingressClassName":"%s"}}'`, f.namespace, f.name, class)
	}
	names := classNames(f.classes)
	suggest := "<class>"
	if len(names) == 1 {
		suggest = names[0]
	}
	if f.classesErr != nil {
		if r.source == "" {
			return code.FromError("listing the IngressClasses", f.classesErr)
		}
		c := code.FromError(fmt.Sprintf("reading IngressClass %s", r.name), f.classesErr)
		c.Message = fmt.Sprintf("class %s (from %s), but %s", r.name, r.source, c.Message)
		return c
	}
	switch {
	case r.source == "" && len(r.defaults) > 1:
		c := code.New(report.Fail, "the ingress has no class and %d IngressClasses are marked default (%s): which controller serves it is undefined, and its hosts may get 404",
			len(r.defaults), strings.Join(r.defaults, ", "))
		c.Next = []string{patch(r.defaults[0]), "keep one IngressClass annotated " + networkingv1.AnnotationIsDefaultIngressClass + "=true"}
		return c
	case r.source == "":
		c := code.New(report.Fail, "the ingress has no class and no IngressClass is the default: no controller is bound to pick it up, so its hosts get 404 (the silent 404)")
		c.Facts = []report.Fact{{Name: "classes", Value: orNone(names)}}
		c.Next = []string{patch(suggest), "kubectl get ingressclasses"}
		return c
	case r.class == nil && r.source == fromAnnotation:
		c := code.New(report.Warn, "the deprecated annotation %s=%s names no IngressClass: only a controller started with --ingress-class=%s serves this ingress",
			networkingv1beta1.AnnotationIngressClass, r.name, r.name)
		c.Facts = []report.Fact{{Name: "classes", Value: orNone(names)}}
		c.Next = []string{"kubectl get ingressclasses"}
		return c
	case r.class == nil:
		msg := fmt.Sprintf("ingress class %s does not exist: no controller picks this ingress up, so its hosts get 404", r.name)
		similar := checks.SimilarNames(r.name, names, 2)
		if len(similar) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", strings.Join(similar, " or "))
			suggest = similar[0]
		}
		c := code.New(report.Fail, "%s", msg)
		c.Facts = []report.Fact{{Name: "classes", Value: orNone(names)}}
		c.Next = []string{patch(suggest), "kubectl get ingressclasses"}
		return c
	case r.source == fromAnnotation:
		c := code.New(report.Warn, "class %s comes from the deprecated annotation %s; controllers may drop support for it",
			r.name, networkingv1beta1.AnnotationIngressClass)
		c.Next = []string{fmt.Sprintf(`kubectl -n %s annotate ingress %s %s- && %s`, f.namespace, f.name, networkingv1beta1.AnnotationIngressClass, patch(r.name))}
		return c
	case r.source == fromDefault:
		c := code.New(report.Warn, "the ingress has no class and relies on the default IngressClass %s: a controller serves an ingress without a class only when configured to (ingress-nginx: --watch-ingress-without-class)", r.name)
		c.Next = []string{patch(r.name)}
		return c
	case len(r.defaults) > 1:
		return code.New(report.Warn, "class %s, but %d IngressClasses are marked default (%s): ingresses created without a class get %s, the newest",
			r.name, len(r.defaults), strings.Join(r.defaults, ", "), r.defaults[0])
	}
	return code.New(report.Pass, "class %s (from %s), controller %s", r.name, r.source, r.class.Spec.Controller)
}

func classNames(classes []networkingv1.IngressClass) []string {
	out := make([]string, 0, len(classes))
	for _, c := range classes {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

func describeParameters(p *networkingv1.IngressClassParametersReference) string {
	kind := p.Kind
	if p.APIGroup != nil && *p.APIGroup != "" {
		kind += "." + *p.APIGroup
	}
	s := kind + "/" + p.Name
	if p.Namespace != nil && *p.Namespace != "" {
		s += " in namespace " + *p.Namespace
	}
	return s
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
