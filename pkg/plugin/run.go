package plugin

import (
	"context"

	"github.com/spf13/cobra"
)

// options is kubectl's Options pattern, which every command follows:
// Complete fills what the flags and arguments leave out (the namespace, the
// clients), Validate rejects bad input before any request, and Run builds
// the procedure's Request, calls its Diagnose and prints the report.
type options interface {
	Complete(args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runE runs a command's options: the shared flags' Validate, the command's
// Complete and Validate, then Run under the API-stall watcher, so that every
// command ends with a clear error once the API server stops answering.
//
// Bad input is named before a kubeconfig problem: while Complete runs, the
// kubeconfig's error is held back (deferCluster) and returned only once
// Validate has accepted the arguments and flags, so `netpol a -f x.yaml`
// without a cluster says what -f needs, not "no cluster configured".
// Complete and Validate take no context but may read large manifests
// (--local): Ctrl-C ends the command while they run all the same.
func (g *GlobalOptions) runE(o options) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := interruptible(cmd.Context(), func() error {
			if err := g.Validate(); err != nil {
				return err
			}
			g.deferCluster, g.clusterErr = true, nil
			err := o.Complete(args)
			g.deferCluster = false
			if err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return g.clusterErr
		})
		if err != nil {
			return err
		}
		return g.runWatched(cmd.Context(), o.Run)
	}
}

// interruptible runs step, which only reads (flags, kubeconfig,
// manifests), and returns ctx's error as soon as ctx is done: the step is
// left to finish unseen while the process exits with that error.
func interruptible(ctx context.Context, step func() error) error {
	if ctx == nil {
		return step()
	}
	done := make(chan error, 1)
	go func() { done <- step() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
