#!/usr/bin/env bash
# Installs the Debian packages the tests, the demo and the benchmark use:
# the real parts (registry, htpasswd, skopeo, busybox for test images,
# containerd + runc, curl, etcd for the real API server) and the build tools
# (make, gcc for the race detector), then builds kubectl from the Kubernetes Go
# module (scripts/kube.sh, cached). Idempotent: it asks apt only for what is
# missing, and waits (up to 10 minutes) for another apt that holds the lock.
# DEPS_KUBE lists the Kubernetes commands to build (default: kubectl).
set -euo pipefail

PKGS=(docker-registry apache2-utils skopeo busybox-static containerd runc curl make gcc libc6-dev etcd-server iptables)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "deps: all present (${PKGS[*]})"
else
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing ${missing[*]}: run as root, or apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Another apt (unattended-upgrades, a second job) may hold the dpkg lock:
	# wait for it instead of failing at once.
	lock=(-o DPkg::Lock::Timeout=600)
	apt-get "${lock[@]}" update -qq
	apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# Debian starts etcd as a service on install; the tests run their own.
	if command -v systemctl >/dev/null 2>&1; then systemctl disable --now etcd >/dev/null 2>&1 || true; fi
fi

# kubectl (and, for the real-cluster suites, the other Kubernetes commands)
# built from the pinned Kubernetes module: Debian 12 ships only kubectl 1.20.
# shellcheck disable=SC2086
bash "$(dirname "$0")/kube.sh" build ${DEPS_KUBE:-kubectl}
