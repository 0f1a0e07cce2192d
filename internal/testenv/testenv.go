// Package testenv starts a real kube-apiserver and etcd (controller-runtime's
// envtest) from the binaries hack/build-kube.sh builds, and creates objects
// the way a cluster's controllers would have left them (pods with status,
// EndpointSlices, events). Integration tests and `make demo` share it.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// AssetsVersion names the folder hack/build-kube.sh fills; keep in sync.
const AssetsVersion = "kube-v1.37.2-etcd-v3.6.16"

// Env is a running API server with an admin kubeconfig on disk.
type Env struct {
	env        *envtest.Environment
	Config     *rest.Config
	Client     kubernetes.Interface
	Kubeconfig string // path of the admin kubeconfig
	dir        string
}

// AssetsDir finds the kube-apiserver and etcd binaries: $KUBEBUILDER_ASSETS,
// else the repository's cache folder.
func AssetsDir() (string, error) {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d, nil
	}
	cache := os.Getenv("NETDEBUG_CACHE")
	if cache == "" {
		_, file, _, _ := runtime.Caller(0)
		cache = filepath.Join(filepath.Dir(file), "..", "..", ".cache")
	}
	dir := filepath.Join(cache, AssetsVersion)
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("no %s in %s: run hack/build-kube.sh (make test does) or set KUBEBUILDER_ASSETS", bin, dir)
		}
	}
	return dir, nil
}

// Start starts the control plane and writes an admin kubeconfig; options
// add to it (WithGatewayAPI).
func Start(opts ...Option) (*Env, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	// A /16 service range makes 10.0.0.0/24 the allocator's static band,
	// which dynamic allocation avoids: tests can pin ClusterIPs there (for
	// stable golden files) without colliding with random allocations.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/16")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	e := &Env{env: env, Config: cfg}
	if err := e.init(); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	if o.gatewayAPI {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		files, err := GatewayAPICRDs()
		if err == nil {
			err = e.InstallCRDs(ctx, files)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("installing the Gateway API CRDs: %w", err), e.Stop())
		}
	}
	return e, nil
}

func (e *Env) init() error {
	var err error
	if e.Client, err = kubernetes.NewForConfig(e.Config); err != nil {
		return fmt.Errorf("client for the test API server: %w", err)
	}
	if e.dir, err = os.MkdirTemp("", "netdebug-envtest-"); err != nil {
		return err
	}
	e.Kubeconfig, err = e.UserKubeconfig("admin", "system:masters")
	return err
}

// UserKubeconfig writes a kubeconfig for a user in groups (authenticated by
// a client certificate) and returns its path. RBAC applies to it.
func (e *Env) UserKubeconfig(name string, groups ...string) (string, error) {
	user, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return "", fmt.Errorf("adding user %s: %w", name, err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("kubeconfig for user %s: %w", name, err)
	}
	path := filepath.Join(e.dir, name+".kubeconfig")
	return path, os.WriteFile(path, kc, 0o600)
}

// Stop stops the control plane and removes the kubeconfigs.
func (e *Env) Stop() error {
	err := e.env.Stop()
	if e.dir != "" {
		err = errors.Join(err, os.RemoveAll(e.dir))
	}
	return err
}

// Context is a bounded context for fixture calls.
func Context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}
