package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/dns"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

const dnsExample = `  # Is cluster DNS healthy? (kube-dns Service, CoreDNS pods, endpoints, Corefile, logs)
  kubectl netdebug dns

  # Can pod web-1 resolve service api, over UDP and TCP, and may it reach DNS?
  kubectl netdebug dns api --from web-1 -n shop

  # The same from a ready pod of a deployment, probing from a debug container
  kubectl netdebug dns api --from deploy/web --probe=ephemeral`

// DNSOptions diagnose cluster DNS, optionally from a pod.
type DNSOptions struct {
	*GlobalOptions
	Live *FromFlags
	Name string

	namespace string
	client    kubernetes.Interface
}

// NewCmdDNS is `kubectl netdebug dns [NAME] [--from POD]`.
func NewCmdDNS(g *GlobalOptions) *cobra.Command {
	o := &DNSOptions{GlobalOptions: g, Live: NewFromFlags()}
	cmd := &cobra.Command{
		Use:   "dns [NAME] [--from POD]",
		Short: "Diagnose cluster DNS: kube-dns, CoreDNS pods, Corefile, logs, lookups from a pod",
		Long: `Diagnose cluster DNS: the kube-dns Service and its ClusterIP, the DNS pods
(ready, restarts), their EndpointSlices, the Corefile (cluster domain, forward,
loop), a node-local cache, and errors in the DNS pods' logs, counted and quoted.
With --from POD it also reads the pod's resolv.conf and resolves
kubernetes.default and NAME from inside the pod, over UDP and TCP where the
pod's tools allow.`,
		Example: dnsExample,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return g.runWatched(cmd.Context(), o.Run)
		},
	}
	o.Live.AddFlags(cmd.Flags(), "pod to resolve names from")
	return cmd
}

// Complete reads the arguments and builds the client.
func (o *DNSOptions) Complete(args []string) error {
	if len(args) == 1 {
		o.Name = args[0]
	}
	var err error
	if o.namespace, err = o.GlobalOptions.Namespace(); err != nil {
		return err
	}
	if o.client == nil {
		if o.client, err = o.Clientset(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks flags before any request.
func (o *DNSOptions) Validate() error {
	if err := o.GlobalOptions.Validate(); err != nil {
		return err
	}
	if err := o.Live.Validate(); err != nil {
		return err
	}
	if o.Name != "" && len(o.Name) > 253 {
		return fmt.Errorf("name %q is longer than 253 characters", o.Name)
	}
	return nil
}

// Run diagnoses and prints.
func (o *DNSOptions) Run(ctx context.Context) error {
	res, err := dns.Diagnose(ctx, o.client, dns.Request{Name: o.Name, Namespace: o.namespace, Now: o.Now})
	if err != nil {
		return err
	}
	rep := res.Report
	if !o.Live.set() {
		rep.Add(dns.WithoutPod(o.Name)...)
		rep.Finish()
		return o.Print(rep)
	}
	pod, sess, err := o.Live.open(ctx, o.GlobalOptions, o.client, o.namespace)
	if err != nil {
		return err
	}
	rep.Target = report.Object{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}
	rep.Title = fmt.Sprintf("Cluster DNS from pod %s/%s", pod.Namespace, pod.Name)
	dyn, err := o.DynamicClient()
	if err != nil {
		return err
	}
	rep.Add(dns.PodChecks(ctx, res, dns.From{Pod: pod, Session: sess}, o.Name)...)
	rep.Add(dns.PolicyCheck(ctx, o.client, dyn, res.Facts, pod))
	rep.Finish()
	rep.Verdict = dns.Verdict(rep)
	rep.Notes = append(rep.Notes, sess.Notes...)
	return o.Print(rep)
}
