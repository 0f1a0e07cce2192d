package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// DefaultExternalTimeout bounds an external request: the connect and the
// whole exchange each.
const DefaultExternalTimeout = 5 * time.Second

// ExternalTarget is one HTTP(S) request sent from this machine, the way a
// client outside the cluster sends it.
type ExternalTarget struct {
	// URL is what is requested: its scheme, host (the Host header and the
	// TLS server name) and path.
	URL string
	// Address, when set (IP or IP:PORT, a name too), is where the
	// connection goes instead of the URL's host, like curl --resolve:
	// Host and SNI stay the URL's host. A missing port is the URL's.
	Address string
	// Timeout bounds the connect and, separately, the whole request;
	// DefaultExternalTimeout when 0.
	Timeout time.Duration
	// Roots verify the served certificate; the system roots when nil.
	Roots *x509.CertPool
	// Dial, when set, replaces the dialer (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ExternalOutcome classifies an external request.
type ExternalOutcome string

// The outcomes of an external request.
const (
	ExternalAnswered ExternalOutcome = "answered"    // an HTTP status came back
	ExternalRefused  ExternalOutcome = "refused"     // connection refused or reset
	ExternalTimedOut ExternalOutcome = "timeout"     // no connect or no answer in time
	ExternalNoRoute  ExternalOutcome = "unreachable" // no route, name not resolved
	ExternalTLS      ExternalOutcome = "tls-error"   // the TLS handshake failed
	ExternalError    ExternalOutcome = "error"       // anything else
)

// Certificate is what a TLS server presented, without key material.
type Certificate struct {
	Subject  string    `json:"subject"`
	Issuer   string    `json:"issuer"`
	DNSNames []string  `json:"dnsNames,omitempty"`
	IPs      []string  `json:"ips,omitempty"`
	NotAfter time.Time `json:"notAfter"`
}

// ExternalResult is what one external request got.
type ExternalResult struct {
	URL     string          `json:"url"`
	Address string          `json:"address"`
	SNI     string          `json:"sni,omitempty"`
	Outcome ExternalOutcome `json:"outcome"`
	Status  int             `json:"status,omitempty"`
	Error   string          `json:"error,omitempty"`
	// TLSVerified says whether the served chain verifies against the
	// system roots for the host (HTTPS only); VerifyError says why not.
	TLSVerified *bool        `json:"tlsVerified,omitempty"`
	VerifyError string       `json:"verifyError,omitempty"`
	Certificate *Certificate `json:"certificate,omitempty"`
	DurationMS  int64        `json:"durationMs"`
}

// External sends one GET from this machine and reports what came back. An
// untrusted certificate does not fail the request: it is reported in
// TLSVerified. Redirects are not followed. Nothing is read beyond 64 KiB
// of the body.
func External(ctx context.Context, t ExternalTarget) ExternalResult {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultExternalTimeout
	}
	start := time.Now()
	r := ExternalResult{URL: t.URL}
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Outcome, r.Error = ExternalError, fmt.Sprintf("invalid URL %q", t.URL)
		return r
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	r.Address = JoinAddress(t.Address, port)
	if t.Address == "" {
		r.Address = net.JoinHostPort(u.Hostname(), port)
	}
	dial := t.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: timeout}).DialContext
	}
	tlsConf := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // verified by hand below, to report rather than fail
	if u.Scheme == "https" {
		r.SNI = u.Hostname()
		if net.ParseIP(r.SNI) == nil {
			tlsConf.ServerName = r.SNI
		} else {
			r.SNI = ""
		}
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return dial(dctx, network, r.Address)
		},
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		DisableKeepAlives:     true,
		Proxy:                 nil,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		r.Outcome, r.Error = ExternalError, err.Error()
		return r
	}
	req.Header.Set("User-Agent", "kubectl-netdebug")
	resp, err := client.Do(req)
	r.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		r.Outcome, r.Error = classifyExternal(err), shortExternalError(err)
		return r
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r.Outcome, r.Status = ExternalAnswered, resp.StatusCode
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.Certificate, r.TLSVerified, r.VerifyError = verifyServed(resp.TLS.PeerCertificates, u.Hostname(), t.Roots)
	}
	return r
}

// JoinAddress adds port to an address that has none (IPv6 too).
func JoinAddress(address, port string) string {
	if address == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(address); err == nil {
		return address
	}
	return net.JoinHostPort(strings.Trim(address, "[]"), port)
}

// verifyServed checks the served chain against the system roots for host.
func verifyServed(chain []*x509.Certificate, host string, roots *x509.CertPool) (*Certificate, *bool, string) {
	leaf := chain[0]
	c := &Certificate{Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), DNSNames: leaf.DNSNames, NotAfter: leaf.NotAfter.UTC()}
	for _, ip := range leaf.IPAddresses {
		c.IPs = append(c.IPs, ip.String())
	}
	inter := x509.NewCertPool()
	for _, x := range chain[1:] {
		inter.AddCert(x)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Intermediates: inter, Roots: roots})
	ok := err == nil
	if err != nil {
		return c, &ok, err.Error()
	}
	return c, &ok, ""
}

func classifyExternal(err error) ExternalOutcome {
	var ne net.Error
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ExternalRefused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ExternalTimedOut
	case errors.As(err, &dnsErr), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ExternalNoRoute
	case errors.As(err, &recErr), errors.As(err, &alert), strings.Contains(err.Error(), "tls:"):
		return ExternalTLS
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ExternalRefused
	}
	return ExternalError
}

// shortExternalError drops the "Get URL:" prefix of the client's errors.
func shortExternalError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
