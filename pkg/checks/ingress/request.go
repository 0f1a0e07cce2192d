package ingress

import (
	"errors"
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// NormalizeRequest checks --host and --path and returns them as a
// controller sees them (routing.NormalizeRequest): the host lower-cased
// without its port, the path without query or fragment. A URL in host is
// split into both. Its errors name the flag at fault.
func NormalizeRequest(host, path string) (string, string, error) {
	h, p, err := routing.NormalizeRequest(host, path)
	var bad *routing.RequestError
	if errors.As(err, &bad) {
		return "", "", fmt.Errorf("invalid --%s %q: %s", bad.Part, bad.Value, bad.Reason)
	}
	return h, p, err
}
