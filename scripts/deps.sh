#!/usr/bin/env bash
# Installs the Debian packages the tests, the demo and the benchmark use:
# the real parts (registry, htpasswd, skopeo, busybox for test images,
# containerd + runc, curl) and the build tools (make, gcc for the race
# detector). Idempotent: it asks apt only for what is missing.
set -euo pipefail

PKGS=(docker-registry apache2-utils skopeo busybox-static containerd runc curl make gcc libc6-dev)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "deps: all present (${PKGS[*]})"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}: run as root, or apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
