package ingress

import (
	"sort"

	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
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
