// Command kubectl-netdebug is the kubectl plugin `kubectl netdebug`: it finds
// out why traffic in a Kubernetes cluster does not flow.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // cloud and OIDC auth providers, as kubectl has

	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	code := plugin.Execute(ctx, plugin.Config{Streams: streams}, os.Args[1:])
	stop()
	os.Exit(code)
}
