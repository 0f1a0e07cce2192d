package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// meter is a loopback reverse proxy in front of the API server: the commands
// measured talk plain HTTP to it without credentials, it forwards with the
// admin's, and counts every request and every response byte. Responses are
// counted uncompressed (the proxy's own transport asks for gzip and
// decompresses), so bytes are what the client decodes. Plugin and kubectl
// go through the same proxy: neither is changed to be measured.
type meter struct {
	requests atomic.Int64
	bytes    atomic.Int64
	url      string
	srv      *http.Server
}

func startMeter(cfg *rest.Config) (*meter, error) {
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	m := &meter{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Del("Accept-Encoding")
		},
		Transport: tr,
		ModifyResponse: func(resp *http.Response) error {
			resp.Body = &countingBody{ReadCloser: resp.Body, n: &m.bytes}
			return nil
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m.url = "http://" + ln.Addr().String()
	m.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = m.srv.Serve(ln) }()
	return m, nil
}

func (m *meter) reset() { m.requests.Store(0); m.bytes.Store(0) }

func (m *meter) stop() { _ = m.srv.Close() }

// kubeconfig writes a kubeconfig for the proxy into dir.
func (m *meter) kubeconfig(dir string) (string, error) {
	path := filepath.Join(dir, "meter.kubeconfig")
	kc := `apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster:
    server: ` + m.url + `
contexts:
- name: bench
  context:
    cluster: bench
    user: bench
current-context: bench
users:
- name: bench
  user: {}
`
	return path, os.WriteFile(path, []byte(kc), 0o600)
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
