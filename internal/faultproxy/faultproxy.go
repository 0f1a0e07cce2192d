// Package faultproxy is a reverse proxy for tests that sits on 127.0.0.1 in
// front of a (test) API server and injects faults: added latency, 429 with
// Retry-After, 500s, connections reset, and the server stopping after a
// number of requests. It forwards to the real server over TLS with the
// rest.Config's CA and client credentials, and serves plain HTTP to the
// client under test through a kubeconfig it writes.
package faultproxy

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Fault is what the proxy does to a request instead of (or before)
// forwarding it.
type Fault struct {
	// Latency delays every request before it is forwarded.
	Latency time.Duration
	// Status, when non-zero, answers with this HTTP status and a
	// metav1.Status body instead of forwarding.
	Status int
	// RetryAfter, with Status, sets the Retry-After header (seconds).
	RetryAfter int
	// Reset closes the client connection without an answer (TCP RST).
	Reset bool
	// After lets this many requests through untouched before the fault
	// applies (0: from the first request).
	After int64
	// Times bounds how many requests the fault applies to (0: all after
	// After); later requests are forwarded again.
	Times int64
	// Stop closes the listener and every connection once the fault applies:
	// the server has gone away (new connections are refused).
	Stop bool
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	srv      *httptest.Server
	upstream *url.URL
	rp       *httputil.ReverseProxy

	mu    sync.Mutex
	fault Fault

	requests atomic.Int64 // every request received
	faulted  atomic.Int64 // requests the fault applied to
	stopped  atomic.Bool
	stopOnce sync.Once
}

// Start starts a proxy on 127.0.0.1 forwarding to the server of upstream,
// authenticated with upstream's credentials. It refuses an upstream that is
// not on loopback: tests must never send traffic off the machine.
func Start(upstream *rest.Config) (*Proxy, error) {
	u, err := url.Parse(upstream.Host)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w", upstream.Host, err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("upstream %s is not on loopback", upstream.Host)
	}
	rt, err := rest.TransportFor(upstream)
	if err != nil {
		return nil, fmt.Errorf("transport to %s: %w", upstream.Host, err)
	}
	p := &Proxy{upstream: u}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
		},
		Transport:     rt,
		FlushInterval: -1, // watches and exec streams pass through at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.srv.Listener = l
	p.srv.Start()
	return p, nil
}

// URL is the proxy's address (http://127.0.0.1:PORT).
func (p *Proxy) URL() string { return p.srv.URL }

// SetFault replaces the fault and resets the counters.
func (p *Proxy) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
	p.requests.Store(0)
	p.faulted.Store(0)
}

// Requests is how many requests reached the proxy since the last SetFault.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Faulted is how many of them the fault applied to.
func (p *Proxy) Faulted() int64 { return p.faulted.Load() }

// Close stops the proxy.
func (p *Proxy) Close() {
	p.stop()
	p.srv.Close()
}

func (p *Proxy) stop() {
	p.stopOnce.Do(func() {
		p.stopped.Store(true)
		p.srv.Listener.Close()
		go p.srv.CloseClientConnections()
	})
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	n := p.requests.Add(1)
	if p.stopped.Load() {
		reset(w)
		return
	}
	p.mu.Lock()
	f := p.fault
	p.mu.Unlock()
	applies := n > f.After && (f.Times == 0 || n <= f.After+f.Times)
	if !applies {
		p.rp.ServeHTTP(w, r)
		return
	}
	p.faulted.Add(1)
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch {
	case f.Stop:
		p.stop()
		reset(w)
	case f.Reset:
		reset(w)
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected by faultproxy","reason":%q,"code":%d}`, reason(f.Status), f.Status)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

func reason(code int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	}
	return "InternalError"
}

// reset closes the client's connection with a TCP RST and no answer.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "faultproxy: cannot hijack: "+err.Error(), http.StatusBadGateway)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// WriteKubeconfig writes a kubeconfig for the proxy in dir (plain HTTP, no
// credentials: the proxy authenticates upstream) and returns its path.
func (p *Proxy) WriteKubeconfig(dir, name string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.URL()}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy", Namespace: "default"}
	cfg.CurrentContext = "proxy"
	path := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	return path, os.Chmod(path, 0o600)
}
