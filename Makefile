# kubectl-netdebug. `make demo` builds and shows the plugin; `make test` runs
# every test that needs no real node (unit, envtest integration, lint);
# `make e2e` adds the real single-node cluster (root, Linux). `make lint`
# includes the layer rules of ARCHITECTURE.md (hack/importcheck), which also
# keep k8s.io/kubernetes out of the product.
SHELL   := /usr/bin/env bash
VERSION ?= dev
GO      ?= go
LDFLAGS := -s -w -X github.com/netdebug/kubectl-netdebug/internal/version.version=$(VERSION)
BIN     := bin/kubectl-netdebug

.PHONY: all build demo demo-api test unit lint tidy-check assets clean docs

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kubectl-netdebug

# kube-apiserver and etcd for envtest, built once from the Go module proxy.
assets:
	@hack/build-kube.sh kube-apiserver etcd >/dev/null

# The real cluster with live probes when this machine allows it, else the
# API-only demo (make demo-api), saying why.
demo: build assets
	KEEP=$(KEEP) hack/demo.sh

demo-api: build assets
	$(GO) run ./hack/demo --plugin $(BIN) $(if $(KEEP),--keep)

lint: tidy-check
	@out=$$(gofmt -l cmd pkg internal hack $(wildcard test)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(if $(wildcard test/e2e),$(GO) vet -tags e2e ./test/...)
	$(GO) run ./hack/gendocs -check
	$(GO) run ./hack/importcheck
	$(if $(wildcard test/e2e),$(GO) run ./hack/importcheck -tags e2e ./test/...)

# README's finding-code tables, generated from the code catalog (pkg/checks),
# and plugins.yaml's RBAC caveats, generated from the README's RBAC section.
docs:
	$(GO) run ./hack/gendocs

# go mod tidy must be a no-op.
tidy-check:
	@cp go.mod /tmp/netdebug-go.mod.bak; cp go.sum /tmp/netdebug-go.sum.bak
	@$(GO) mod tidy
	@if ! diff -q go.mod /tmp/netdebug-go.mod.bak >/dev/null || ! diff -q go.sum /tmp/netdebug-go.sum.bak >/dev/null; then \
		cp /tmp/netdebug-go.mod.bak go.mod; cp /tmp/netdebug-go.sum.bak go.sum; echo "go mod tidy changes go.mod/go.sum: run it and commit"; exit 1; fi

test: lint assets
	KUBEBUILDER_ASSETS=$$(hack/build-kube.sh kube-apiserver etcd) $(GO) test -count=1 ./...

clean:
	rm -rf bin dist

-include hack/cluster.mk
-include hack/dist.mk
-include hack/bench.mk
