#!/usr/bin/env bash
# pullwarden in two minutes, on this machine only (loopback):
#   a local docker-registry with a sample multi-layer image, a pull with
#   progress, the store's listing, a second pull that finds the image present,
#   a pull of a missing tag (classified reason and hint), and a registry that
#   goes down and comes back.
# Run as root on a fresh machine (it apt-get installs docker-registry and curl
# when absent):  bash scripts/demo.sh     (or: make demo)
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

WORK=$(mktemp -d /tmp/pullwarden-demo.XXXXXX)
cleanup() {
	stop_registry
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "prerequisites"
ensure_pkgs docker-registry:docker-registry curl:curl busybox:busybox-static
command -v go >/dev/null || { echo "the go tool is needed (/usr/local/go/bin)" >&2; exit 1; }

step "build bin/pullwarden"
show go build -o bin/pullwarden ./cmd/pullwarden
go build -o "$WORK/pushsample" ./scripts/internal/pushsample

step "start a docker-registry on loopback"
start_registry "$WORK/registry"
echo "registry at http://$REG_HOST (storage $WORK/registry/storage)"
IMAGE=$REG_HOST/demo/app:1
STORE=$WORK/store
export PULLWARDEN_STORE=$STORE

step "push a sample image: 3 layers of 10 MiB random data + busybox"
"$WORK/pushsample" -ref "$IMAGE" -layers 3 -layer-size 10MiB -busybox

step "pull it (policy IfNotPresent: absent, so it is pulled)"
show bin/pullwarden pull "$IMAGE" --policy IfNotPresent --store "$STORE"

step "the store"
show bin/pullwarden images --store "$STORE"

step "pull again: present, nothing travels"
show bin/pullwarden pull "$IMAGE" --policy IfNotPresent --store "$STORE"
show bin/pullwarden pull "$IMAGE" --policy IfNotPresent --store "$STORE" -o json

step "pull a tag that does not exist: a classified reason and a hint"
set +e
bin/pullwarden pull "$REG_HOST/demo/app:missing" --policy Always --store "$STORE"
code=$?
echo "(exit code $code)"
bin/pullwarden pull "$REG_HOST/demo/app:missing" --policy Always --store "$STORE" -o json
set -e
[ "$code" -ne 0 ] || { echo "a missing tag must fail" >&2; exit 1; }

step "the registry goes down"
stop_registry
set +e
bin/pullwarden pull "$IMAGE" --policy Always --store "$STORE"
code=$?
echo "(exit code $code)"
set -e
[ "$code" -ne 0 ] || { echo "a pull from a stopped registry with policy Always must fail" >&2; exit 1; }
show bin/pullwarden pull "$IMAGE" --policy IfNotPresent --store "$STORE"

step "the registry comes back"
restart_registry "$WORK/registry"
show bin/pullwarden pull "$IMAGE" --policy Always --store "$STORE"

step "done: the demo ran against http://$REG_HOST and is cleaned up"
