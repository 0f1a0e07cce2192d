package policyfetch

import (
	"context"
	"sync"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// ReadAdminPolicies reads the cluster-scoped policies of the
// policy.networking.k8s.io APIs the cluster serves (discovery decides):
// AdminNetworkPolicies, the BaselineAdminNetworkPolicy and
// ClusterNetworkPolicies, in a snapshot with nothing else. For callers that
// stream the rest themselves (scan). A refused read is returned as the
// error, an API answer (kube.IsAPIAnswer) the caller may report as a skip.
func ReadAdminPolicies(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface) (policy.Snapshot, error) {
	a, err := discover(client)
	if err != nil {
		return policy.Snapshot{}, err
	}
	res := &Result{}
	var mu sync.Mutex
	if a.admin || a.policyGroupFailed {
		if err := readAdmin(ctx, dyn, res, &mu); err != nil {
			return policy.Snapshot{}, err
		}
	}
	cnps, _, err := readCNP(ctx, dyn, a)
	if err != nil {
		return policy.Snapshot{}, err
	}
	res.Snapshot.ClusterNetworkPolicies = cnps
	return res.Snapshot, nil
}
