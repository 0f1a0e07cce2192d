package actions

import (
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
)

func TestCleanupExpiry(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	mk := func(v string) networkingv1.NetworkPolicy {
		np := networkingv1.NetworkPolicy{}
		if v != "-" {
			np.Annotations = map[string]string{netpol.AnnotationExpiresAt: v}
		}
		return np
	}
	for v, want := range map[string]bool{"2026-11-27T11:59:59Z": true, "2026-11-27T12:00:00Z": true, "2026-11-27T12:00:01Z": false, "tomorrow": false, "-": false} {
		if got, why := expiry(mk(v), now); got != want {
			t.Errorf("expiry(%s) = %v (%s), want %v", v, got, why, want)
		}
	}
}
