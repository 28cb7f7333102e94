#!/usr/bin/env bash
# Kubernetes binaries for the tests, built from the k8s.io/kubernetes Go module
# through the module proxy at one pinned version and cached between runs.
#
#   scripts/kube.sh build [NAME...]   build what is missing (default: kubectl)
#   scripts/kube.sh dir               print the directory holding the binaries
#
# NAME is a command of k8s.io/kubernetes/cmd (kubectl, kube-apiserver, kubelet,
# kube-scheduler, kube-controller-manager). The cache is
# $PULLWARDEN_KUBE_CACHE (default ~/.cache/pullwarden/kube)/VERSION/bin; a
# binary there is rebuilt only when missing. The build module lives beside it:
# it requires k8s.io/kubernetes VERSION and replaces every staging module named
# in that version's go.mod with its published v0.X.Y.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
export PATH="/usr/local/go/bin:$PATH"
cache=${PULLWARDEN_KUBE_CACHE:-${HOME:-/root}/.cache/pullwarden/kube}/$KUBE_VERSION
bin=$cache/bin

staging_version() { # v1.37.2 -> v0.37.2
	echo "v0.${KUBE_VERSION#v1.}"
}

write_module() {
	local mod=$cache/mod gomod
	mkdir -p "$mod"
	[ -f "$mod/go.mod" ] && [ -f "$mod/go.sum" ] && return 0
	gomod=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	[ -f "$gomod" ] || { echo "kube.sh: no go.mod for k8s.io/kubernetes@$KUBE_VERSION" >&2; return 1; }
	{
		echo "module pullwarden.local/kubebins"
		echo
		sed -n 's/^go \(.*\)/go \1/p' "$gomod" | head -n 1
		echo
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		echo
		echo "replace ("
		# sample-* modules are not published; nothing built here needs them.
		sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*|\1|p' "$gomod" |
			grep -v '^k8s.io/sample-' |
			while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$(staging_version)"; done
		echo ")"
	} >"$mod/go.mod"
	cat >"$mod/tools.go" <<'GO'
//go:build tools

// Package kubebins only pins the commands scripts/kube.sh builds.
package kubebins

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
	(cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod tidy)
}

build_one() {
	local name=$1 major minor
	[ -x "$bin/$name" ] && return 0
	major=${KUBE_VERSION#v}
	minor=${major#*.}
	minor=${minor%%.*}
	major=${major%%.*}
	echo "kube.sh: building $name $KUBE_VERSION (cached in $bin)"
	local t0=$SECONDS
	(cd "$cache/mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$bin/$name.tmp" \
		-ldflags "-s -w \
			-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
			-X k8s.io/component-base/version.gitMajor=$major \
			-X k8s.io/component-base/version.gitMinor=$minor \
			-X k8s.io/component-base/version.gitTreeState=clean \
			-X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION \
			-X k8s.io/client-go/pkg/version.gitMajor=$major \
			-X k8s.io/client-go/pkg/version.gitMinor=$minor" \
		"k8s.io/kubernetes/cmd/$name")
	mv "$bin/$name.tmp" "$bin/$name"
	echo "kube.sh: $name built in $((SECONDS - t0)) s"
}

case ${1:-} in
build)
	shift
	[ $# -gt 0 ] || set -- kubectl
	mkdir -p "$bin"
	# One build at a time per cache: a second CI job waits instead of racing.
	exec 9>"$cache/.lock"
	flock 9
	write_module
	for n in "$@"; do build_one "$n"; done
	;;
dir)
	echo "$bin"
	;;
*)
	echo "usage: scripts/kube.sh build [NAME...] | dir" >&2
	exit 2
	;;
esac
