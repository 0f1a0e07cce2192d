# make bench: what each command costs on a synthetic cluster of 10,000 pods,
# then `netpol matrix` offline on generated manifests of 1,000 and 5,000 pods
# (hack/bench). Slow (minutes), so not part of `make test`; the Makefile
# includes this fragment with `-include hack/bench.mk`. make bench-matrix
# runs only the matrix part (a minute, no API server) and rewrites only its
# section of the results.
.PHONY: bench bench-matrix bench-mesh

bench: build assets bench-mesh
	@hack/build-kube.sh kubectl >/dev/null
	KUBEBUILDER_ASSETS=$$(hack/build-kube.sh kube-apiserver etcd) $(GO) run ./hack/bench \
		--plugin $(BIN) --kubectl $$(hack/build-kube.sh kubectl)/kubectl --out hack/bench/results.md $(BENCH_FLAGS)

bench-matrix: build
	$(GO) run ./hack/bench --plugin $(BIN) --only matrix --out hack/bench/results.md $(BENCH_FLAGS)

# make bench-mesh: a mesh run on synthetic envtest clusters of 10, 100 and
# 1,000 nodes (kubelets and network simulated): API requests per run and per
# node, probe commands per node, wall time per run.
bench-mesh: assets
	KUBEBUILDER_ASSETS=$$(hack/build-kube.sh kube-apiserver etcd) $(GO) test -run '^$$' -bench BenchmarkMesh -benchtime 1x ./pkg/checks/mesh/
