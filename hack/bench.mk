# make bench: what each command costs on a synthetic cluster of 10,000 pods
# (hack/bench). Slow (minutes), so not part of `make test`; the Makefile
# includes this fragment with `-include hack/bench.mk`.
.PHONY: bench

bench: build assets
	@hack/build-kube.sh kubectl >/dev/null
	KUBEBUILDER_ASSETS=$$(hack/build-kube.sh kube-apiserver etcd) $(GO) run ./hack/bench \
		--plugin $(BIN) --kubectl $$(hack/build-kube.sh kubectl)/kubectl --out hack/bench/results.md $(BENCH_FLAGS)
