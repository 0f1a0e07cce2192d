package faultproxy

import (
	"testing"

	"k8s.io/client-go/rest"
)

// The proxy only ever forwards to loopback: tests must not send traffic off
// the machine.
func TestRefusesNonLoopbackUpstream(t *testing.T) {
	for _, host := range []string{"https://10.0.0.1:6443", "https://example.com", "https://[2001:db8::1]:6443"} {
		if p, err := Start(&rest.Config{Host: host}); err == nil {
			p.Close()
			t.Errorf("Start(%s) accepted a non-loopback upstream", host)
		}
	}
}
