package plugin

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/printers"
)

// completionTimeout keeps a shell responsive when the cluster is slow.
const completionTimeout = 5 * time.Second

// completer lists names from the cluster for shell completion, honouring
// --kubeconfig, --context and -n as already parsed by cobra's __complete.
type completer struct{ g *GlobalOptions }

type lister func(ctx context.Context, c kubernetes.Interface, ns string) ([]string, error)

func (c completer) names(list lister) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return c.complete(list, toComplete)
	}
}

// firstArg completes only the first positional argument.
func (c completer) firstArg(list lister) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return c.complete(list, toComplete)
	}
}

func (c completer) complete(list lister, toComplete string) ([]string, cobra.ShellCompDirective) {
	client, err := c.g.Clientset()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ns, err := c.g.Namespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	names, err := list(ctx, client, ns)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

func listNamespaces(ctx context.Context, c kubernetes.Interface, _ string) ([]string, error) {
	l, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	return names(l, err)
}

func listPods(ctx context.Context, c kubernetes.Interface, ns string) ([]string, error) {
	l, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	return names(l, err)
}

func listServices(ctx context.Context, c kubernetes.Interface, ns string) ([]string, error) {
	l, err := c.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	return names(l, err)
}

func listIngresses(ctx context.Context, c kubernetes.Interface, ns string) ([]string, error) {
	l, err := c.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
	return names(l, err)
}

// names of the items of any typed list.
func names(list runtime.Object, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		if m, err := meta.Accessor(item); err == nil {
			out = append(out, m.GetName())
		}
	}
	return out, nil
}

// listContexts reads the kubeconfig only.
func (c completer) contexts(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	raw, err := c.g.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for name := range raw.Contexts {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOutput offers the formats of -o; after jsonpath= or go-template=
// the shell adds no space, so that the template follows.
func completeOutput(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	noSpace := true
	for _, f := range printers.Formats {
		if strings.HasPrefix(f, toComplete) {
			out = append(out, f)
			noSpace = noSpace && strings.HasSuffix(f, "=")
		}
	}
	if len(out) > 0 && noSpace {
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// registerCompletions wires dynamic completion into the command tree: the
// global -n and --context flags, and each command's arguments.
func registerCompletions(root *cobra.Command, g *GlobalOptions) {
	c := completer{g}
	_ = root.RegisterFlagCompletionFunc("namespace", c.names(listNamespaces))
	_ = root.RegisterFlagCompletionFunc("context", c.contexts)
	_ = root.RegisterFlagCompletionFunc("output", completeOutput)
	_ = root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	byCommand := map[string]func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective){
		"service": c.firstArg(listServices),
		"ingress": c.firstArg(listIngresses),
		"capture": c.firstArg(listPods),
		"pod": func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) >= 2 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return c.complete(listPods, toComplete)
		},
		"dns": func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
	}
	for _, sub := range root.Commands() {
		if fn, ok := byCommand[sub.Name()]; ok && sub.ValidArgsFunction == nil {
			sub.ValidArgsFunction = fn
		}
		if sub.Flags().Lookup("from") != nil {
			_ = sub.RegisterFlagCompletionFunc("from", c.names(listPods))
		}
		if sub.Flags().Lookup("probe") != nil {
			_ = sub.RegisterFlagCompletionFunc("probe", cobra.FixedCompletions([]string{"auto", "exec", "ephemeral", "none"}, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}
