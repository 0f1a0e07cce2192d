package probe

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/streaming/pkg/httpstream"
)

// A refused exec arrives in three shapes: a StatusError, the WebSocket
// executor's UpgradeFailureError around one, and SPDY's text. Each must be
// reported as the missing permission, not as a failure to exec.
func TestFailedExecForbidden(t *testing.T) {
	status := apierrors.NewForbidden(schema.GroupResource{Resource: "pods/exec"}, "client", errors.New(`User "u" cannot create resource "pods/exec"`))
	for name, err := range map[string]error{
		"status":    status,
		"websocket": fmt.Errorf("exec in x: %w", &httpstream.UpgradeFailureError{Cause: status}),
		"spdy":      fmt.Errorf("exec in x: %w", fmt.Errorf("unable to upgrade connection: %s", status.Error())),
	} {
		s := failed(err, "pods/exec", "shop", "exec into x")
		if s.Forbidden == nil || s.Forbidden.Verb != "create" || s.Forbidden.Resource != "pods/exec" || s.Forbidden.Namespace != "shop" {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if s := failed(status, "pods/ephemeralcontainers", "shop", "add"); s.Forbidden == nil || s.Forbidden.Verb != "update" {
		t.Errorf("ephemeral containers are added with an update: %+v", s.Forbidden)
	}
	if s := failed(&httpstream.UpgradeFailureError{Cause: errors.New("bad handshake (502 Bad Gateway)")}, "pods/exec", "shop", "exec into x"); s.Forbidden != nil {
		t.Errorf("a failed upgrade that is not a refusal: %+v", s)
	}
	// client-go's WebSocket executor reports failed upgrades with the
	// streaming module's error type: the fallback to SPDY depends on it.
	if !httpstream.IsUpgradeFailure(fmt.Errorf("w: %w", &httpstream.UpgradeFailureError{Cause: status})) {
		t.Error("IsUpgradeFailure")
	}
}
