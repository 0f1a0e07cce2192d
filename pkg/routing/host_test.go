package routing

import "testing"

func TestMatchHost(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          HostMatch
	}{
		{"foo.bar.com", "foo.bar.com", HostExact},
		{"Foo.Bar.com", "foo.bar.com", HostExact},
		{"foo.bar.com", "bar.com", HostNone},
		{"foo.bar.com", "x.foo.bar.com", HostNone},
		{"*.foo.com", "bar.foo.com", HostWildcard},
		{"*.Foo.COM", "bar.foo.com", HostWildcard},
		// A wildcard covers exactly one label.
		{"*.foo.com", "baz.bar.foo.com", HostNone},
		{"*.foo.com", "foo.com", HostNone},
		{"*.foo.com", ".foo.com", HostNone},
		{"*.foo.com", "xfoo.com", HostNone},
		// The wildcard pattern itself, written as the host, is exact.
		{"*.foo.com", "*.foo.com", HostExact},
		// Only a leading "*." is a wildcard.
		{"foo.*.com", "foo.bar.com", HostNone},
		{"", "foo.bar.com", HostAny},
		{"", "", HostAny},
		{"foo.bar.com", "", HostNone},
		{"10.0.0.1", "10.0.0.1", HostExact},
	}
	for _, tt := range tests {
		if got := MatchHost(tt.pattern, tt.host); got != tt.want {
			t.Errorf("MatchHost(%q, %q) = %s, want %s", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestHostMatchOrder(t *testing.T) {
	if !(HostNone < HostAny && HostAny < HostWildcard && HostWildcard < HostExact) {
		t.Error("HostMatch is not ordered by specificity")
	}
	for m, want := range map[HostMatch]string{HostNone: "none", HostAny: "any", HostWildcard: "wildcard", HostExact: "exact"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(m), m, want)
		}
	}
}
