package plugin

import (
	"bytes"
	"testing"
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
