package netpol

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// FuzzParsePort feeds arbitrary --port and --protocol text to the netpol
// parsers: never a panic; accepted ports are 1-65535 or valid port names
// with a known protocol, and read back the same from P/PROTO.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "53/udp", "http", "metrics/TCP", "0", "65536", "80/icmp", "/", "", "-1", "+80", "a/b/c", "http p", "1e3", "é"} {
		f.Add(s, "")
		f.Add(s, "udp")
	}
	f.Fuzz(func(t *testing.T, s, protoText string) {
		proto := corev1.ProtocolTCP
		if protoText != "" {
			p, err := ParseProtocol(protoText)
			if err != nil {
				if !strings.Contains(err.Error(), "invalid protocol") {
					t.Fatalf("ParseProtocol(%q): %v", protoText, err)
				}
				return
			}
			proto = p
		}
		p, err := ParsePort(s, proto)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid") {
				t.Fatalf("ParsePort(%q): unhelpful error %q", s, err)
			}
			return
		}
		switch p.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			t.Fatalf("ParsePort(%q): protocol %q", s, p.Protocol)
		}
		if p.Port.Type == intstr.Int {
			if p.Port.IntVal < 1 || p.Port.IntVal > 65535 {
				t.Fatalf("ParsePort(%q): port %d", s, p.Port.IntVal)
			}
		} else if errs := validation.IsValidPortName(p.Port.StrVal); len(errs) > 0 {
			t.Fatalf("ParsePort(%q) accepted port name %q: %v", s, p.Port.StrVal, errs)
		}
		_ = p.String()
		canon := p.Port.String() + "/" + string(p.Protocol)
		back, err := ParsePort(canon, corev1.ProtocolTCP)
		if err != nil || back != p {
			t.Fatalf("ParsePort(%q) = %+v; canonical %q reads back as %+v, %v", s, p, canon, back, err)
		}
	})
}

// FuzzParseEndpoint feeds arbitrary SRC/DST text to the two parsers the
// plugin tries in turn (an IP, else a pod reference): never a panic, and an
// accepted IP is canonical (no zone, IPv4-mapped unmapped) and reads back.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "::1", "::ffff:10.0.0.1", "fe80::1%eth0", "2001:db8::1", "shop/web", "shop/deploy/web",
		"10.0.0.256", "1.2.3", "", "/", "a/b/c/d", "10.0.0.0/8", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ip, ok := ParseIP(s); ok {
			if !ip.IsValid() || ip.Zone() != "" || ip.Is4In6() {
				t.Fatalf("ParseIP(%q) = %v", s, ip)
			}
			if back, ok := ParseIP(ip.String()); !ok || back != ip {
				t.Fatalf("ParseIP(%q) = %v, reads back as %v %v", s, ip, back, ok)
			}
			return
		}
		if r, err := target.Parse(s); err == nil {
			if r.Name == "" || strings.Contains(r.Name, "/") {
				t.Fatalf("target.Parse(%q) = %+v", s, r)
			}
		}
	})
}
