// Command pause is the pod sandbox ("infra") process of netdebug's test
// cluster: it blocks until SIGINT/SIGTERM and reaps orphaned children, like
// registry.k8s.io/pause, but built here from source (no registry is reachable).
// Not part of the product.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
