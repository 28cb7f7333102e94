# pullwarden: build, checks and scripts. `make help` lists the targets.
GO          ?= go
# Kubernetes commands built from the pinned module (scripts/kube.sh) come
# first on PATH, so the tests never pick up a kubectl that merely happens to be
# installed.
KUBEBIN     := $(shell bash scripts/kube.sh dir)
export PATH := $(KUBEBIN):$(PATH):/usr/local/go/bin
export KUBECTL ?= $(KUBEBIN)/kubectl
export PULLWARDEN_KUBEBIN ?= $(KUBEBIN)
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# RACE= (empty) runs the tests without the race detector.
RACE        ?= -race
TESTTIMEOUT ?= 20m
E2ETIMEOUT  ?= 40m
COMPARETIMEOUT ?= 15m
CLUSTERTIMEOUT ?= 30m
# The Kubernetes commands a real cluster needs (scripts/cluster.sh up).
KUBE_CLUSTER := kubectl kube-apiserver kubelet kube-scheduler kube-controller-manager
FUZZTIME    ?= 10s
# Build tags vet and staticcheck add (untagged files are checked as well).
LINTTAGS    ?= e2e,kubelet,cluster

.PHONY: help deps kube build install image test lint e2e compare cluster-e2e demo bench bench-shapes bench-recovery bench-cluster fuzz fmt

help:
	@echo "make deps    install the Debian packages the tests and demos use (root)"
	@echo "make kube    also build kube-apiserver, kubelet, kube-scheduler, kube-controller-manager (scripts/kube.sh, cached)"
	@echo "make build   bin/pullwarden"
	@echo "make image REGISTRY=HOST[:PORT]  pullwarden's container image, built without Docker, pushed to REGISTRY/pullwarden"
	@echo "make install bin/pullwarden and the kubectl-pullwarden plugin link into PREFIX/bin ($(PREFIX))"
	@echo "make test    fast tests with real registries (PULLWARDEN_REQUIRE_REAL=1 $(RACE))"
	@echo "make lint    gofmt check, go vet, staticcheck"
	@echo "make e2e     long end-to-end suites (-tags e2e ./e2e/...)"
	@echo "make compare the agent side by side with a real kubelet v1.37.2 (scripts/cluster.sh; -tags 'e2e kubelet')"
	@echo "make cluster-e2e  a real cluster (scripts/cluster.sh up, deploy), deploy/ on it, e2e/cluster (-tags cluster), down"
	@echo "make demo    scripts/demo.sh + demo-pods.sh: pulls explained, then pods on containerd"
	@echo "make bench   bench/pull.sh: cold pulls vs crane, skopeo, curl -> docs/benchmarks.md"
	@echo "make bench-recovery  bench/recovery.sh: seconds from a fix to Running, smart vs kubelet policy"
	@echo "make bench-cluster  bench/cluster/run.sh: seconds from a fix to Running on a real kubelet, with and without pullwarden"
	@echo "make bench-shapes  bench/shapes.sh: small layers, gzip, cuts, warm vs crane, skopeo, containerd, curl"
	@echo "make fuzz    every fuzz target for FUZZTIME ($(FUZZTIME))"

deps:
	bash scripts/deps.sh

kube:
	DEPS_KUBE="$(KUBE_CLUSTER)" bash scripts/deps.sh

build:
	$(GO) build -o bin/pullwarden ./cmd/pullwarden

# The same binary serves as kubectl plugin when run as kubectl-pullwarden.
PREFIX      ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 bin/pullwarden $(DESTDIR)$(PREFIX)/bin/pullwarden
	ln -sf pullwarden $(DESTDIR)$(PREFIX)/bin/kubectl-pullwarden

# pullwarden's container image without a Docker engine
# (scripts/internal/imagebuild): pushed to $(REGISTRY)/pullwarden, tagged by
# content; prints REPO:TAG@DIGEST.
image:
	@[ -n "$(REGISTRY)" ] || { echo "make image: set REGISTRY=HOST[:PORT] (e.g. the one scripts/cluster.sh up prints)"; exit 1; }
	REGISTRY="$(REGISTRY)" bash scripts/cluster.sh image

# go test -json through scripts/internal/testfmt: a line per package as soon
# as it finishes (plain go test prints results in package order, so a slow
# package early in the list hid every result for minutes), failures with
# their output, the slowest tests and the total time.
test: deps
	PULLWARDEN_REQUIRE_REAL=1 bash -o pipefail -c '$(GO) test $(RACE) -json -timeout $(TESTTIMEOUT) ./... | $(GO) run ./scripts/internal/testfmt'

# Go files that gofmt checks: all but testdata and vendored ones.
GOFILES = find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path './vendor/*' -print0

lint:
	@echo "gofmt -l"
	@out=$$($(GOFILES) | xargs -0 gofmt -l); \
	if [ -n "$$out" ]; then echo "these files need gofmt -w:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags $(LINTTAGS) ./...
	$(STATICCHECK) -tags $(LINTTAGS) ./...

fmt:
	$(GOFILES) | xargs -0 gofmt -w

e2e: export DEPS_KUBE = kubectl kube-apiserver kubelet
e2e: deps
	@if [ -d e2e ] && [ -n "$$(find e2e -name '*.go' | head -n 1)" ]; then \
		echo "PULLWARDEN_REQUIRE_REAL=1 $(GO) test -tags e2e -timeout $(E2ETIMEOUT) ./e2e/... ./controller/..."; \
		PULLWARDEN_REQUIRE_REAL=1 $(GO) test -tags e2e -timeout $(E2ETIMEOUT) ./e2e/... ./controller/...; \
	else \
		echo "e2e: no e2e/ suites in this tree, nothing to run"; \
	fi

# The kubelet comparison suite: brings a real single-node cluster up on
# loopback (scripts/cluster.sh), runs e2e/compare_*_test.go against it and
# the agent, and tears the cluster down whatever happens. Per-scenario
# results: $$PULLWARDEN_COMPARE_RESULTS (default /tmp/pullwarden-compare.txt).
compare: export DEPS_KUBE = $(KUBE_CLUSTER)
compare: deps
	@set -e; \
	trap 'bash scripts/cluster.sh down' EXIT; \
	env=$$(bash scripts/cluster.sh up); eval "$$env"; \
	echo "PULLWARDEN_REQUIRE_REAL=1 $(GO) test -tags 'e2e kubelet' -run TestCompareKubelet -v ./e2e/"; \
	PULLWARDEN_REQUIRE_REAL=1 $(GO) test -tags 'e2e kubelet' -timeout $(COMPARETIMEOUT) -run TestCompareKubelet -v ./e2e/

# The real-cluster suite: a cluster on loopback with scheduler and
# controller-manager (scripts/cluster.sh up), pullwarden's image pushed to its
# registry and deploy/ applied (scripts/cluster.sh deploy), e2e/cluster
# (-tags cluster) against it; the cluster goes down whatever happens. (The
# exports go through a variable: `eval "$$(cmd)"` would hide cmd's failure
# from set -e.)
# PULLWARDEN_CLUSTER_DIR (default /tmp/pullwarden-cluster) places it.
cluster-e2e: export DEPS_KUBE = $(KUBE_CLUSTER)
cluster-e2e: deps
	@set -e; \
	trap 'bash scripts/cluster.sh down' EXIT; \
	env=$$(bash scripts/cluster.sh up); eval "$$env"; \
	env=$$(bash scripts/cluster.sh deploy); eval "$$env"; \
	echo "PULLWARDEN_REQUIRE_REAL=1 $(GO) test -tags cluster -timeout $(CLUSTERTIMEOUT) -v ./e2e/cluster/"; \
	PULLWARDEN_REQUIRE_REAL=1 $(GO) test -tags cluster -count=1 -timeout $(CLUSTERTIMEOUT) -v ./e2e/cluster/

bench-cluster: export DEPS_KUBE = $(KUBE_CLUSTER)
bench-cluster: deps
	bash bench/cluster/run.sh

demo:
	bash scripts/demo.sh
	bash scripts/demo-pods.sh

bench:
	bash bench/pull.sh

bench-recovery:
	bash bench/recovery.sh

bench-shapes:
	bash bench/shapes.sh

# Finds packages with Fuzz functions, lists their targets with go test -list
# and runs each for FUZZTIME.
fuzz:
	@set -e; \
	dirs=$$(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . | grep -v '/testdata/' | xargs -r -n1 dirname | sort -u); \
	if [ -z "$$dirs" ]; then echo "fuzz: no fuzz targets"; exit 0; fi; \
	for d in $$dirs; do \
		for f in $$($(GO) test -list '^Fuzz' "$$d" | grep '^Fuzz'); do \
			echo "fuzz $$d $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) "$$d"; \
		done; \
	done
