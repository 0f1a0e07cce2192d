//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// externalCase is one `ingress|gateway NAME --external` run: the request
// goes from this machine (the test cluster's node) to the address Traefik
// publishes in the object's status, its Service's ClusterIP, which
// kube-proxy on this machine forwards to Traefik's pod.
type externalCase struct {
	name, host, path string
	// status is what Traefik answers; verdict where the check puts the
	// fault (external.Verdict).
	status  int
	verdict string
}

// runExternal runs each case with `args... --external --host --path` and
// checks the status sent back and the split, retried while Traefik
// reconfigures.
func runExternal(ctx context.Context, t *testing.T, code string, args []string, cases []externalCase) {
	t.Helper()
	for _, c := range cases {
		t.Run("external_"+c.name, func(t *testing.T) {
			eventually(ctx, t, 60*time.Second, fmt.Sprintf("%s: %d, verdict %s", code, c.status, c.verdict), func(ctx context.Context) error {
				r, _, _ := netdebug(ctx, t, append(args, "--external", "--host", c.host, "--path", c.path, "--external-timeout", "3s", "--probe-timeout", "3s")...)
				chk, d, err := externalResult(r, code)
				if err != nil {
					return err
				}
				if d.Status != c.status || d.Verdict != c.verdict {
					return errorf("%s %s: status %d verdict %s predicted %q: %s", code, chk.Status, d.Status, d.Verdict, d.Predicted, chk.Message)
				}
				t.Logf("%s %s: %s", code, chk.Status, chk.Message)
				return nil
			})
		})
	}
}

type externalData struct {
	Address   string `json:"address"`
	Status    int    `json:"status"`
	Outcome   string `json:"outcome"`
	Predicted string `json:"predicted"`
	Verdict   string `json:"verdict"`
}

func externalResult(r report.Report, code string) (report.Check, externalData, error) {
	var d externalData
	for _, c := range r.Checks {
		if c.Code != code {
			continue
		}
		b, err := json.Marshal(c.Data)
		if err == nil {
			err = json.Unmarshal(b, &d)
		}
		return c, d, err
	}
	return report.Check{}, d, errorf("no %s in the report (verdict %+v)", code, r.Verdict)
}
