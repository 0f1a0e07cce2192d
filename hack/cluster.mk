# Test cluster and end-to-end suite (included by the Makefile with -include).
# See hack/cluster/README.md.
#   make cluster-up | cluster-down | cluster-status
#   make e2e [KEEP=1] [E2E_RUN=regex] [NODES=2]
# NETDEBUG_CACHE (build cache, default .cache) and NETDEBUG_CLUSTER_DIR (state,
# default /var/lib/netdebug-cluster) are passed through from the environment.

.PHONY: cluster-up cluster-down cluster-status e2e

# NODES=N: a cluster of N nodes (default 1; NETDEBUG_NODES says the same).
cluster_nodes = $(if $(NODES),NETDEBUG_NODES=$(NODES))

cluster-up:
	$(cluster_nodes) hack/cluster/cluster.sh up

cluster-down:
	hack/cluster/cluster.sh down

cluster-status:
	hack/cluster/cluster.sh status

e2e:
	$(cluster_nodes) KEEP=$(KEEP) E2E_RUN=$(E2E_RUN) hack/cluster/e2e.sh
