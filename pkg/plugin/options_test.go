package plugin

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestColorDecision(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		mode string
		env  map[string]string
		want bool
	}{
		{"always", map[string]string{"NO_COLOR": "1"}, true},
		{"never", nil, false},
		{"auto", nil, false}, // a buffer is not a terminal
		{"auto", map[string]string{"NO_COLOR": "1"}, false},
	}
	for _, tt := range tests {
		g := NewGlobalOptions(Config{Getenv: env(tt.env)})
		g.Color = tt.mode
		if got := g.colorOn(&bytes.Buffer{}); got != tt.want {
			t.Errorf("--color=%s env %v: got %t", tt.mode, tt.env, got)
		}
	}
}

func TestDiagnosisBudget(t *testing.T) {
	g := NewGlobalOptions(Config{Getenv: func(string) string { return "" }})
	if d := g.requestTimeout(); d != defaultRequestTimeout {
		t.Errorf("default request timeout %s", d)
	}
	*g.ConfigFlags.Timeout = "5s"
	if d := g.requestTimeout(); d != 5*time.Second {
		t.Errorf("--request-timeout 5s gave %s", d)
	}
	*g.ConfigFlags.Timeout = "7"
	if d := g.requestTimeout(); d != 7*time.Second {
		t.Errorf("--request-timeout 7 gave %s", d)
	}
	ctx, cancel := g.bounded(context.Background(), -14*time.Second+time.Millisecond) // 2*7s - 14s + 1ms
	defer cancel()
	<-ctx.Done()
	err := withCause(ctx, errors.New("read: connection reset by peer"))
	if got := explain(err); got != "read: connection reset by peer; gave up after 1ms (twice --request-timeout, plus probe time)" {
		t.Errorf("explain: %q", got)
	}
	if err := withCause(ctx, &ExitError{Code: 1}); err.Error() != "exit status 1" {
		t.Errorf("an exit code must pass through: %v", err)
	}
}
