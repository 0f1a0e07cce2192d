package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/flowtest"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

const netpolTestExample = `  # In CI, before anything reaches a cluster: the manifests of k8s/ against
  # the expectations of netpol-tests.yaml; exit 1 if any is not met
  kubectl netdebug netpol test netpol-tests.yaml --local -f k8s/

  # The same expectations against the cluster, as a JUnit report for the CI
  kubectl netdebug netpol test netpol-tests.yaml -o junit > netpol-tests.xml`

// NetpolTestOptions are `kubectl netdebug netpol test`.
type NetpolTestOptions struct {
	*GlobalOptions
	Source NetpolSourceFlags
	Files  []string

	namespace string
	tests     []*flowtest.File
	src       *netpolSource
	clients   kube.Clients
}

// NewCmdNetpolTest is `kubectl netdebug netpol test`.
func NewCmdNetpolTest(g *GlobalOptions) *cobra.Command {
	o := &NetpolTestOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "test TESTS.yaml... [--local -f MANIFESTS]",
		Short: "Check flow expectations (allowed or denied) against manifests or the cluster, for CI",
		Long: `Judge every expectation of flow tests files: which traffic the policies must
allow and which they must deny. Each test names from and to (a pod, NS/POD,
a workload such as deploy/web, an IP or CIDR, or a selection of pods by
namespace and labels), the ports (default: each destination's declared
ports) and allowed or denied. A selection expands to every pair of pods it
picks, and a failed test names the flows that break it with the rule that
decides each. An undecided flow fails its test: it cannot be proven.

  apiVersion: netdebug/v1alpha1
  kind: FlowTests
  namespace: shop
  tests:
  - name: frontend reaches api
    from: deploy/frontend
    to: api
    ports: [8080]
    expect: allowed
  - name: no other namespace reaches the database
    from: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [shop]}]}}
    to: {podSelector: {matchLabels: {app: db}}}
    ports: [5432]
    expect: denied

With --local the manifests of -f are the whole world, judged strictly (a
policy the API server would reject fails the run; --lenient warns).
-o junit writes a JUnit XML report, one test case per expectation.

Exit codes: 0 every expectation met, 1 some not met (or a manifest
rejected), 2 could not run.`,
		Example: netpolTestExample,
		Args:    cobra.MinimumNArgs(1),
		RunE:    g.runE(o),
	}
	o.Source.addManifestFlags(cmd.Flags())
	return cmd
}

// Complete reads the arguments, the namespace and, against a cluster, the
// clients.
func (o *NetpolTestOptions) Complete(args []string) error {
	o.Files = args
	return o.completeNetpol(o.Source.Local, &o.namespace, &o.clients)
}

// Validate reads the tests and the manifests.
func (o *NetpolTestOptions) Validate() error {
	o.tests = nil
	stdin := 0
	for _, path := range append(slices.Clone(o.Files), o.Source.Filenames...) {
		if path == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return errors.New("standard input (-) can be read once: give the tests or the manifests (-f -) there, not both")
	}
	for _, path := range o.Files {
		data, err := readFile(path, o.Streams.In)
		if err != nil {
			return err
		}
		f, err := flowtest.Parse(path, data)
		if err != nil {
			return err
		}
		o.tests = append(o.tests, f)
	}
	var err error
	o.src, err = o.Source.validate(o.namespace, o.Streams.In)
	return err
}

// readFile reads a file, or stdin for "-".
func readFile(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return data, nil
	}
	return os.ReadFile(path) // an *fs.PathError names the path
}

// Run judges the tests and prints the report.
func (o *NetpolTestOptions) Run(ctx context.Context) error {
	req := o.src.request()
	rep, err := netpol.RunTests(ctx, o.clients, netpol.TestRequest{Tests: o.tests, Namespace: o.namespace, Manifests: req.Manifests, Files: req.Files, Lenient: req.Lenient})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
