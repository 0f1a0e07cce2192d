// Command etcd is upstream etcd built from the Go module proxy for netdebug's
// test clusters. Not part of the product.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
