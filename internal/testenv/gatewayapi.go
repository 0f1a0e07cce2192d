package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Option configures Start.
type Option func(*options)

type options struct {
	gatewayAPI bool
}

// WithGatewayAPI installs the Gateway API's standard-channel CRDs
// (config/crd/standard of the sigs.k8s.io/gateway-api module the project
// requires, found in the module cache) once the control plane is up, and
// waits until the API server serves them.
func WithGatewayAPI() Option { return func(o *options) { o.gatewayAPI = true } }

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// GatewayAPICRDs are the standard-channel CRD files of the required
// sigs.k8s.io/gateway-api module.
func GatewayAPICRDs() ([]string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		return nil, fmt.Errorf("finding the gateway-api module (go list -m): %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard")
	files, err := filepath.Glob(filepath.Join(dir, "gateway.networking.k8s.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no Gateway API CRDs in %s: %v", dir, err)
	}
	var crds []string
	for _, f := range files {
		if !strings.Contains(f, "_vap_") { // a ValidatingAdmissionPolicy, not a CRD
			crds = append(crds, f)
		}
	}
	return crds, nil
}

// InstallCRDs creates the CustomResourceDefinitions of files and waits
// until discovery serves every group/version they define.
func (e *Env) InstallCRDs(ctx context.Context, files []string) error {
	dyn, err := dynamic.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	want := map[string][]string{} // group/version -> plurals
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if len(u.Object) == 0 || u.GetKind() != "CustomResourceDefinition" {
				continue
			}
			if _, err := dyn.Resource(crdResource).Create(ctx, &u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("%s: creating CRD %s: %w", f, u.GetName(), err)
			}
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
			versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
			for _, v := range versions {
				m, _ := v.(map[string]any)
				if served, _ := m["served"].(bool); served {
					name, _ := m["name"].(string)
					want[group+"/"+name] = append(want[group+"/"+name], plural)
				}
			}
		}
	}
	client, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	for {
		missing := ""
		for gv, plurals := range want {
			list, err := client.Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				missing = gv
				break
			}
			for _, p := range plurals {
				found := false
				for _, r := range list.APIResources {
					if r.Name == p {
						found = true
					}
				}
				if !found {
					missing = gv + " " + p
				}
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the API server does not serve %s yet", missing)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CreateGatewayAPI creates a Gateway API object (a *v1.GatewayClass,
// Gateway, HTTPRoute, GRPCRoute or ReferenceGrant of
// sigs.k8s.io/gateway-api/apis/v1) and then writes its status, when it has
// one, as its controller would (envtest runs no controller).
func (e *Env) CreateGatewayAPI(ctx context.Context, obj any) error {
	var resource, kind string
	switch obj.(type) {
	case *gwv1.GatewayClass:
		resource, kind = "gatewayclasses", "GatewayClass"
	case *gwv1.Gateway:
		resource, kind = "gateways", "Gateway"
	case *gwv1.HTTPRoute:
		resource, kind = "httproutes", "HTTPRoute"
	case *gwv1.GRPCRoute:
		resource, kind = "grpcroutes", "GRPCRoute"
	case *gwv1.TLSRoute:
		resource, kind = "tlsroutes", "TLSRoute"
	case *gwv1.TCPRoute:
		resource, kind = "tcproutes", "TCPRoute"
	case *gwv1.ReferenceGrant:
		resource, kind = "referencegrants", "ReferenceGrant"
	default:
		return fmt.Errorf("CreateGatewayAPI: %T is not a Gateway API object", obj)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(gwv1.GroupVersion.String())
	u.SetKind(kind)
	st, hasStatus := m["status"]
	delete(m, "status")
	dyn, err := dynamic.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	gvr := schema.GroupVersionResource{Group: gwv1.GroupName, Version: "v1", Resource: resource}
	ri := dynamic.ResourceInterface(dyn.Resource(gvr))
	if ns := u.GetNamespace(); ns != "" {
		ri = dyn.Resource(gvr).Namespace(ns)
	}
	created, err := ri.Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating %s %s/%s: %w", kind, u.GetNamespace(), u.GetName(), err)
	}
	if !hasStatus || isEmpty(st) {
		return nil
	}
	created.Object["status"] = st
	if _, err := ri.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting status of %s %s/%s: %w", kind, u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

// isEmpty: v holds nothing but empty maps, lists and nils.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case []any:
		return len(x) == 0
	}
	return false
}
