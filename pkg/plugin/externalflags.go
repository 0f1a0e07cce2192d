package plugin

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/pflag"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

// ExternalFlags are the flags of the external path: one request sent from
// this machine to the load balancer's address.
type ExternalFlags struct {
	Enabled bool
	Address string
	URL     string
	Timeout time.Duration
}

// NewExternalFlags returns the defaults: off.
func NewExternalFlags() *ExternalFlags {
	return &ExternalFlags{Timeout: probe.DefaultExternalTimeout}
}

// AddFlags binds --external, --address, --url and --external-timeout.
func (e *ExternalFlags) AddFlags(fs *pflag.FlagSet, what string) {
	fs.BoolVar(&e.Enabled, "external", e.Enabled, "Also send the request from this machine to the "+what+"'s published address (traffic leaves this machine) and compare the answer with the one predicted inside")
	fs.StringVar(&e.Address, "address", e.Address, "With --external: connect to IP[:PORT] instead of the published address; Host and SNI stay the request's host (like curl --resolve)")
	fs.StringVar(&e.URL, "url", e.URL, "With --external: the URL to request (http:// or https://); --host, when given, stays the Host and SNI")
	fs.DurationVar(&e.Timeout, "external-timeout", e.Timeout, "With --external: bound of the connect and of the whole request")
}

// Settings validates the flags; nil when --external is off.
func (e *ExternalFlags) Settings() (*external.Settings, error) {
	if !e.Enabled {
		if e.Address != "" || e.URL != "" {
			return nil, fmt.Errorf("--address and --url need --external")
		}
		return nil, nil
	}
	if e.Address != "" && e.URL != "" {
		return nil, fmt.Errorf("--address and --url exclude each other: put the host in --host")
	}
	if e.Timeout < 100*time.Millisecond || e.Timeout > 2*time.Minute {
		return nil, fmt.Errorf("invalid --external-timeout %s: use 100ms to 2m", e.Timeout)
	}
	if e.Address != "" {
		host := e.Address
		if h, _, err := net.SplitHostPort(e.Address); err == nil {
			host = h
		}
		if net.ParseIP(host) == nil {
			return nil, fmt.Errorf("invalid --address %q: want IP or IP:PORT", e.Address)
		}
	}
	if e.URL != "" {
		if _, _, _, _, err := external.SplitURL(e.URL); err != nil {
			return nil, err
		}
	}
	return &external.Settings{Address: e.Address, URL: e.URL, Timeout: e.Timeout}, nil
}
