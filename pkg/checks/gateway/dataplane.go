package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

// DataPlane is what serves a Gateway's traffic in the cluster, as found by
// FindDataPlane, and its controller.
//
// The rule: the data plane is the pods labelled
// gateway.networking.k8s.io/gateway-name=<gateway> in the Gateway's
// namespace (GEP-1762, which Istio, NGINX Gateway Fabric, kgateway and
// Contour's provisioner follow), and the pods the labels of a known
// implementation select (Envoy Gateway's owning-gateway labels, Traefik's
// and Cilium's proxies...). When none is found that way, it is the pods
// selected by the Service at the Gateway's address: a Service of the
// Gateway's namespace labelled with its name, or whose ClusterIP or
// load-balancer address is one of the Gateway's status addresses. The
// controller is the pods its implementation's labels select, or, for an
// implementation netdebug does not know, pods labelled (app or
// app.kubernetes.io/name) with names taken from its controllerName.
type DataPlane struct {
	ControllerName string
	// Implementation is the known implementation's name, "" when unknown.
	Implementation string
	impl           *implementation
	// Outside: the implementation runs outside the cluster (a cloud load
	// balancer); no pods are expected.
	Outside string
	// Looked lists where pods were looked for, in words.
	Looked []string
	// Pods are the data-plane pods; Controllers the controller's (a pod
	// may be both).
	Pods        []controllerpods.Pod
	Controllers []controllerpods.Pod
	Excluded    []string
	// Err: the pods could not be listed (and none was found).
	Err error
	// ByService names the Service whose selector found the data plane,
	// when the labels found none.
	ByService string
	// Services are the Services in front of the Gateway: labelled with its
	// name, holding one of its addresses, or selecting its data plane.
	Services    []FrontService
	ServicesErr error
	Logs        []controllerpods.Log
}

// FrontService is a Service in front of a Gateway and why it is taken.
type FrontService struct {
	controllerpods.Service
	Why string
}

// All are the data-plane and controller pods, once each.
func (d *DataPlane) All() []controllerpods.Pod {
	out := slices.Clone(d.Pods)
	for _, p := range d.Controllers {
		if !slices.ContainsFunc(out, func(q controllerpods.Pod) bool { return samePod(&p.Pod, &q.Pod) }) {
			out = append(out, p)
		}
	}
	controllerpods.Sort(out)
	return out
}

// ReadyDataPlane are the ready data-plane pods, the pods a request through
// the Gateway passes.
func (d *DataPlane) ReadyDataPlane() []*corev1.Pod { return controllerpods.Ready(d.Pods) }

func samePod(a, b *corev1.Pod) bool { return a.Namespace == b.Namespace && a.Name == b.Name }

// FindDataPlane looks for the pods of the Gateway's data plane and of its
// class's controller, the Services in front of them, and reads the recent
// logs of up to three controller pods (data-plane pods when no controller
// pod is found), each read bounded by logTimeout; a logTimeout of 0 reads
// no logs. class may be nil.
func FindDataPlane(ctx context.Context, client kubernetes.Interface, gw *gwv1.Gateway, class *gwv1.GatewayClass, logTimeout time.Duration) DataPlane {
	d := DataPlane{}
	if class != nil {
		d.ControllerName = string(class.Spec.ControllerName)
	}
	d.impl = lookupImplementation(d.ControllerName)
	if d.impl != nil {
		d.Implementation = d.impl.name
		if d.impl.outside != "" {
			d.Outside = d.impl.outside
			return d
		}
	}
	gepLabel := gwv1.GatewayNameLabelKey + "=" + gw.Name
	dataQueries := []controllerpods.Query{{Namespace: gw.Namespace, Selector: gepLabel}}
	d.Looked = append(d.Looked, fmt.Sprintf("data plane: pods labelled %s in namespace %s", gepLabel, gw.Namespace))
	var ctrlSelectors []string
	if d.impl != nil {
		sels := expand(d.impl.dataPlane, gw.Namespace, gw.Name)
		dataQueries = append(dataQueries, controllerpods.AllNamespaces(sels...)...)
		if len(sels) > 0 {
			d.Looked = append(d.Looked, "data plane: pods labelled "+strings.Join(sels, " or ")+", in all namespaces")
		}
		ctrlSelectors = d.impl.controller
	} else if names := controllerpods.NamesFrom(d.ControllerName, "gateway"); len(names) > 0 {
		list := strings.Join(names, ",")
		ctrlSelectors = []string{"app.kubernetes.io/name in (" + list + ")", "app in (" + list + ")"}
	}
	if len(ctrlSelectors) > 0 {
		d.Looked = append(d.Looked, "controller: pods labelled "+strings.Join(ctrlSelectors, " or ")+", in all namespaces")
	}
	var (
		wg                 sync.WaitGroup
		dataErr, ctrlErr   error
		nsServices         []corev1.Service
		nsServicesErr      error
		exclude            = func(p *corev1.Pod) string { return excludePod(p) }
		evidence           = func(p *corev1.Pod) string { return podEvidence(p, gw, dataQueries) }
		controllerEvidence = func(p *corev1.Pod) string { return labelEvidence(p, ctrlSelectors) }
		controllerQueries  = controllerpods.AllNamespaces(ctrlSelectors...)
		dataPods, ctrlPods []controllerpods.Pod
		dataExcl, ctrlExcl []string
	)
	wg.Go(func() { dataPods, dataExcl, dataErr = controllerpods.Find(ctx, client, dataQueries, exclude, evidence) })
	if len(controllerQueries) > 0 {
		wg.Go(func() {
			ctrlPods, ctrlExcl, ctrlErr = controllerpods.Find(ctx, client, controllerQueries, exclude, controllerEvidence)
		})
	}
	wg.Go(func() {
		list, err := client.CoreV1().Services(gw.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			nsServicesErr = kube.Read(kube.List("", "services", gw.Namespace), err)
			return
		}
		nsServices = list.Items
	})
	wg.Wait()
	d.Pods, d.Controllers = dataPods, ctrlPods
	d.Excluded = append(dataExcl, ctrlExcl...)
	if len(d.Pods) == 0 && len(d.Controllers) == 0 {
		d.Err = dataErr
		if d.Err == nil {
			d.Err = ctrlErr
		}
	}

	// The Services of the Gateway's namespace that stand for it.
	addrs := statusAddresses(gw)
	for i := range nsServices {
		svc := &nsServices[i]
		var why string
		switch {
		case svc.Labels[gwv1.GatewayNameLabelKey] == gw.Name:
			why = "labelled " + gepLabel
		case holdsAddress(svc, addrs) != "":
			why = "holds the gateway's address " + holdsAddress(svc, addrs)
		default:
			continue
		}
		d.Services = append(d.Services, FrontService{Service: controllerpods.Service{Svc: *svc}, Why: why})
	}
	d.ServicesErr = nsServicesErr

	// No data plane by labels: the pods of the Service at its address.
	if len(d.Pods) == 0 {
		for _, fs := range d.Services {
			if len(fs.Svc.Spec.Selector) == 0 {
				continue
			}
			sel := labels.SelectorFromSet(fs.Svc.Spec.Selector).String()
			d.Looked = append(d.Looked, fmt.Sprintf("data plane: pods selected by service %s/%s (%s), which %s", fs.Svc.Namespace, fs.Svc.Name, sel, fs.Why))
			pods, excl, err := controllerpods.Find(ctx, client, []controllerpods.Query{{Namespace: fs.Svc.Namespace, Selector: sel}}, exclude,
				func(*corev1.Pod) string {
					return fmt.Sprintf("selected by service %s/%s, which %s", fs.Svc.Namespace, fs.Svc.Name, fs.Why)
				})
			d.Excluded = append(d.Excluded, excl...)
			if err == nil && len(pods) > 0 {
				d.Pods, d.ByService, d.Err = pods, fs.Svc.Namespace+"/"+fs.Svc.Name, nil
				break
			}
		}
	}
	// Services that select the data plane, elsewhere.
	if len(d.Pods) > 0 {
		more, err := controllerpods.Services(ctx, client, d.Pods)
		if err != nil && d.ServicesErr == nil {
			d.ServicesErr = err
		}
		for _, s := range more {
			i := slices.IndexFunc(d.Services, func(f FrontService) bool {
				return f.Svc.Namespace == s.Svc.Namespace && f.Svc.Name == s.Svc.Name
			})
			if i >= 0 {
				d.Services[i].Pods = s.Pods
				continue
			}
			d.Services = append(d.Services, FrontService{Service: s, Why: "selects the gateway's pods"})
		}
	}
	for i := range d.Services {
		if d.Services[i].Pods == 0 {
			d.Services[i].Pods = controllerpods.SelectsPods(&d.Services[i].Svc, d.Pods)
		}
	}

	if logTimeout <= 0 {
		return d
	}
	logPods := d.Controllers
	if len(logPods) == 0 {
		logPods = d.Pods
	}
	d.Logs = controllerpods.ReadLogs(ctx, client, logPods, 3, containerFor, logTimeout)
	return d
}

// excludePod leaves out pods that are not serving: Jobs (certificate
// generation, CRD upgrades) and finished pods.
func excludePod(p *corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Kind == "Job" {
			return "-"
		}
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return "-"
	}
	return ""
}

func podEvidence(p *corev1.Pod, gw *gwv1.Gateway, queries []controllerpods.Query) string {
	var sels []string
	for _, q := range queries {
		if q.Namespace == "" || q.Namespace == p.Namespace {
			sels = append(sels, q.Selector)
		}
	}
	return labelEvidence(p, sels)
}

// labelEvidence names the selectors that select p.
func labelEvidence(p *corev1.Pod, selectors []string) string {
	var parts []string
	for _, s := range selectors {
		sel, err := labels.Parse(s)
		if err == nil && sel.Matches(labels.Set(p.Labels)) {
			parts = append(parts, "label "+s)
		}
	}
	return strings.Join(parts, ", ")
}

// containerFor is the container whose logs matter: one named after a
// controller, else the first.
func containerFor(p *corev1.Pod) string {
	known := []string{"envoy-gateway", "discovery", "contour", "nginx-gateway", "traefik", "cilium-operator", "ingress-controller", "controller", "manager", "kgateway"}
	for _, c := range p.Spec.Containers {
		if slices.Contains(known, c.Name) {
			return c.Name
		}
	}
	if len(p.Spec.Containers) == 0 {
		return ""
	}
	return p.Spec.Containers[0].Name
}

// statusAddresses are the values of the Gateway's status addresses.
func statusAddresses(gw *gwv1.Gateway) []string {
	var out []string
	for _, a := range gw.Status.Addresses {
		out = append(out, a.Value)
	}
	return out
}

// holdsAddress is the address of addrs that svc holds (its ClusterIP or a
// load-balancer IP or hostname), or "".
func holdsAddress(svc *corev1.Service, addrs []string) string {
	held := append(slices.Clone(svc.Spec.ClusterIPs), svc.Spec.ClusterIP)
	held = append(held, svc.Spec.ExternalIPs...)
	held = append(held, service.LoadBalancerAddresses(svc)...)
	for _, a := range addrs {
		if a != "" && slices.Contains(held, a) {
			return a
		}
	}
	return ""
}
