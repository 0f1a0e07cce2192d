package pod

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// FuzzParsePort feeds arbitrary text to `pod --port`: never a panic; what
// it accepts is a port 1-65535 or a valid container port name with a known
// protocol, and its canonical form P/PROTO reads back the same.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "53/udp", "http/TCP", "metrics", "8080/sctp", "0", "65536", "-1", "+80", "080",
		"80/icmp", "/", "", "80/", "/udp", "a/b/c", "http p", "ht;tp", "1e3", "99999999999999999999", "é", "a-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePort(s)
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
		canon := p.Port.String() + "/" + string(p.Protocol)
		back, err := ParsePort(canon)
		if err != nil || back != p {
			t.Fatalf("ParsePort(%q) = %+v; canonical %q reads back as %+v, %v", s, p, canon, back, err)
		}
	})
}
