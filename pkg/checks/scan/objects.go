package scan

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/ingress"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var (
	serviceCodes = []checks.Code{checks.SvcSelector, checks.SvcTargetPorts, checks.SvcEndpoints}
	ingressCodes = []checks.Code{checks.IngClass, checks.IngBackendServices, checks.IngBackendPorts, checks.IngBackendEndpoints}
)

// objectScan runs, one namespace at a time, the Service procedure's static
// checks (SVC003 selector, SVC005 target ports, SVC006 EndpointSlices) on
// every Service and the Ingress procedure's (ING002 class, ING008-ING010
// backends) on every Ingress.
type objectScan struct {
	agg     *aggregator
	cluster *clusterObjects
}

func newObjectScan(agg *aggregator, cluster *clusterObjects) *objectScan {
	agg.expect("service", serviceCodes...)
	agg.expect("ingress", ingressCodes...)
	return &objectScan{agg: agg, cluster: cluster}
}

func (s *objectScan) namespace(v *namespaceView) {
	slices := map[string][]discoveryv1.EndpointSlice{}
	for _, sl := range v.slices {
		name := sl.Labels[discoveryv1.LabelServiceName]
		slices[name] = append(slices[name], sl)
	}
	byName := make(map[string]*corev1.Service, len(v.services))
	for _, svc := range v.services {
		byName[svc.Name] = svc
		list := service.StaticChecks(service.Objects{
			Service:          svc,
			NamespacePods:    v.pods,
			NamespacePodsErr: v.podsErr,
			Slices:           slices[svc.Name],
			SlicesErr:        v.slicesErr,
		})
		s.agg.add(report.Object{Kind: "Service", Namespace: v.namespace, Name: svc.Name}, list...)
	}
	for _, ing := range v.ingresses {
		list := ingress.StaticChecks(ingress.Objects{
			Ingress:          ing,
			Classes:          s.cluster.classes,
			ClassesErr:       s.cluster.classesErr,
			Services:         byName,
			ServicesErr:      v.servicesErr,
			Slices:           slices,
			SlicesErr:        v.slicesErr,
			NamespacePods:    v.pods,
			NamespacePodsErr: v.podsErr,
		})
		s.agg.add(report.Object{Kind: "Ingress", Namespace: v.namespace, Name: ing.Name}, list...)
	}
}

// finish notes the kinds that could not be listed: their checks skip.
func (s *objectScan) finish(src *sources) {
	if err := src.services.err; err != nil {
		for _, code := range serviceCodes {
			s.agg.skipAll(code, "service", "listing the services", err)
		}
	}
	if err := src.ingresses.err; err != nil {
		for _, code := range ingressCodes {
			s.agg.skipAll(code, "ingress", "listing the ingresses", err)
		}
	}
}
