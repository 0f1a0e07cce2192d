# Release targets (included by the Makefile with -include).
#   make dist VERSION=vX.Y.Z   archives, checksums.txt, netdebug.yaml in dist/
#                              (one archive per platform of plugins.yaml:
#                              linux, darwin and windows on amd64 and arm64)
#   make krew-test             install every archive with krew, offline
#   make bench-startup         start-up time of the linux/amd64 binary, sizes
# NETDEBUG_CACHE (default .cache) is passed through from the environment.

.PHONY: dist krew-test bench-startup

# VERSION defaults to "dev" in the Makefile; dist.sh refuses it: a release
# needs an explicit semver tag.
dist:
	hack/dist.sh "$(VERSION)"

krew-test:
	hack/krew-test.sh

bench-startup:
	hack/bench-startup.sh
