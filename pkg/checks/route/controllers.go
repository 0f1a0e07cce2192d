package route

import (
	"fmt"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// deviation is what an implementation answers where the Gateway API spec
// leaves the answer to it, or where it departs from the spec's answer.
type deviation struct {
	status int
	// why names the controller and says what it does, for RT010's reason.
	why string
}

// implementation is what RT010 knows of a Gateway API implementation's
// answers. A zero deviation keeps the spec's answer.
type implementation struct {
	name string
	// zeroWeights: every backendRef of the rule has weight 0 (spec: no
	// traffic forwarded; RT010 predicts 500 by default).
	zeroWeights deviation
	// noSlices: a backend Service with no EndpointSlice at all (a Service
	// without selector and without slices of its own; spec: 503 as for any
	// backend without ready endpoints).
	noSlices deviation
}

// implementations, by GatewayClass spec.controllerName: the one table of
// the answers RT010 predicts otherwise than the spec. Each entry is
// measured against the real controller (test/e2e/gateway_test.go,
// hack/cluster/README.md).
var implementations = map[gwv1.GatewayController]implementation{
	"traefik.io/gateway-controller": {
		name: "Traefik",
		zeroWeights: deviation{status: 503,
			why: `Traefik answers 503 ("no available server") here; the spec leaves it to the implementation (no traffic is forwarded)`},
		noSlices: deviation{status: 500,
			why: `Traefik answers 500 here, taking a Service without any EndpointSlice for a missing backend ("endpointslices not found"); the spec's answer is 503`},
	},
}

// implementationOf is the entry of the GatewayClass's controller; the zero
// implementation (the spec's answers) for a controller not in the table or
// an unknown class.
func implementationOf(class *gwv1.GatewayClass) implementation {
	if class == nil {
		return implementation{}
	}
	return implementations[class.Spec.ControllerName]
}

// noSlicesAnswer: the backend has no ready endpoint because no
// EndpointSlice exists for its Service at all, and the implementation
// answers that otherwise than 503.
func (im implementation) noSlicesAnswer(b *backend) bool {
	return im.noSlices.status != 0 && b.state == backendNoEndpoint && b.noSlices
}

func (d deviation) reason(base string) string {
	return fmt.Sprintf("%s: %s", base, d.why)
}

// routeImplementation is the implementation of every parent Gateway of the
// route, when they all have the same known one; else the spec's answers.
func routeImplementation(f *facts) implementation {
	var im implementation
	for _, pg := range f.gateways {
		cur := implementationOf(pg.class)
		if cur.name == "" || (im.name != "" && cur.name != im.name) {
			return implementation{}
		}
		im = cur
	}
	return im
}
