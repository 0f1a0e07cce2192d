package ingress

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// controllerContainer is the container whose logs matter: the one named or
// imaged after the controller, else the first.
func controllerContainer(p *corev1.Pod, k *controllerKind) string {
	if len(p.Spec.Containers) == 0 {
		return ""
	}
	for _, c := range p.Spec.Containers {
		if c.Name == "controller" || strings.Contains(c.Image, "controller") {
			return c.Name
		}
		if k != nil && (contains(k.appNames, c.Name) || contains(k.apps, c.Name)) {
			return c.Name
		}
	}
	return p.Spec.Containers[0].Name
}
