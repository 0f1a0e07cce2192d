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
