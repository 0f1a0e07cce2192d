package kube

import (
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Clients are the connections of one run, built once by the command layer
// from kubectl's flags and handed to a procedure's Diagnose. A procedure
// uses what it needs; offline runs (netpol --local) get none.
type Clients struct {
	Typed   kubernetes.Interface
	Dynamic dynamic.Interface
	// REST is the connection config, for exec and attach streams.
	REST *rest.Config
}
