package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func hostEcho() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host != "shop.example.com" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	})
}

func TestExternalHTTPPinsAddressKeepsHost(t *testing.T) {
	srv := httptest.NewServer(hostEcho())
	defer srv.Close()
	r := External(context.Background(), ExternalTarget{URL: "http://shop.example.com/api", Address: srv.Listener.Addr().String()})
	if r.Outcome != ExternalAnswered || r.Status != http.StatusTeapot {
		t.Fatalf("got %+v, want 418 (Host header kept)", r)
	}
	if r.Address != srv.Listener.Addr().String() || r.SNI != "" || r.TLSVerified != nil {
		t.Errorf("address/sni/tls: %+v", r)
	}
}

func TestExternalTLSReportsCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(hostEcho())
	var sni string
	srv.TLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) { sni = h.ServerName; return nil, nil }}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	r := External(context.Background(), ExternalTarget{URL: "https://shop.example.com:" + port + "/", Address: "127.0.0.1"})
	if r.Outcome != ExternalAnswered || r.Status != http.StatusTeapot {
		t.Fatalf("got %+v", r)
	}
	if sni != "shop.example.com" || r.SNI != "shop.example.com" {
		t.Errorf("SNI sent %q, reported %q", sni, r.SNI)
	}
	if r.TLSVerified == nil || *r.TLSVerified || r.VerifyError == "" {
		t.Errorf("httptest's certificate must not verify for shop.example.com: %+v", r)
	}
	if r.Certificate == nil || r.Certificate.NotAfter.IsZero() || !strings.Contains(strings.Join(r.Certificate.DNSNames, ","), "example.com") {
		t.Errorf("certificate: %+v", r.Certificate)
	}
}

func TestExternalTLSToPlainServer(t *testing.T) {
	srv := httptest.NewServer(hostEcho())
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	r := External(context.Background(), ExternalTarget{URL: "https://shop.example.com:" + port + "/", Address: "127.0.0.1"})
	if r.Outcome == ExternalAnswered || r.Error == "" {
		t.Fatalf("TLS to a plain HTTP server: %+v", r)
	}
}

func TestExternalRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	r := External(context.Background(), ExternalTarget{URL: "http://shop.example.com/", Address: addr})
	if r.Outcome != ExternalRefused {
		t.Fatalf("got %+v, want refused", r)
	}
}

func TestExternalHangTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer func() { _ = c.Close() }() // accept, read nothing, answer nothing
		}
	}()
	start := time.Now()
	r := External(context.Background(), ExternalTarget{URL: "http://shop.example.com/", Address: l.Addr().String(), Timeout: 300 * time.Millisecond})
	if r.Outcome != ExternalTimedOut {
		t.Fatalf("got %+v, want timeout", r)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s, want bounded by the timeout", d)
	}
}

func TestExternalDialOverride(t *testing.T) {
	srv := httptest.NewServer(hostEcho())
	defer srv.Close()
	var dialed string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = addr
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	r := External(context.Background(), ExternalTarget{URL: "http://shop.example.com/", Address: "192.0.2.1", Dial: dial})
	if r.Status != http.StatusTeapot || dialed != "192.0.2.1:80" {
		t.Fatalf("dialed %q, got %+v", dialed, r)
	}
}

func TestExternalBadURL(t *testing.T) {
	if r := External(context.Background(), ExternalTarget{URL: "ftp://x/"}); r.Outcome != ExternalError {
		t.Fatalf("got %+v", r)
	}
}

// selfSigned is a certificate for host, and a pool that trusts it.
func selfSigned(t *testing.T, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestExternalTLSVerifiesForHostOnly(t *testing.T) {
	cert, roots := selfSigned(t, "shop.example.com")
	srv := httptest.NewUnstartedServer(hostEcho())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	r := External(context.Background(), ExternalTarget{URL: "https://shop.example.com:" + port + "/", Address: "127.0.0.1", Roots: roots})
	if r.TLSVerified == nil || !*r.TLSVerified || r.Certificate.Subject != "CN=shop.example.com" {
		t.Fatalf("right host: %+v %+v", r, r.Certificate)
	}
	// The same certificate served for another name (wrong SNI): answered,
	// but it does not verify.
	r = External(context.Background(), ExternalTarget{URL: "https://other.example.com:" + port + "/", Address: "127.0.0.1", Roots: roots})
	if r.Outcome != ExternalAnswered || r.TLSVerified == nil || *r.TLSVerified || !strings.Contains(r.VerifyError, "other.example.com") {
		t.Fatalf("wrong host: %+v", r)
	}
}
