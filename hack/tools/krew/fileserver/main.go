// Command fileserver serves one folder over HTTP on a free loopback port, so
// that validate-krew-manifest's install mode, which downloads every platform's
// archive from its manifest uri, can run in `make krew-test` with no network.
// It prints its address (127.0.0.1:PORT) as the first line on stdout. Not part
// of the product.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
)

func main() {
	dir := flag.String("dir", ".", "folder to serve")
	flag.Parse()
	// Loopback only, port chosen by the kernel: nothing outside this machine
	// can reach it and parallel runs do not collide.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	log.Fatal(http.Serve(ln, http.FileServer(http.Dir(*dir))))
}
