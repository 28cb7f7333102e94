#!/usr/bin/env bash
# pullwarden's node agent on this machine only (loopback): real pods on a
# private containerd, with the kubelet's pull behaviour, through the four
# common reasons a pull fails and how each one resolves:
#   1. a private image: Unauthorized until the pull secret exists;
#   2. a tag that does not exist yet, then is pushed;
#   3. a registry that is down, then comes back;
#   4. an init container that waits for the registry before the app starts
#      (Debian's busybox nc has no -z: `nc -w 1 HOST PORT </dev/null` tests the port);
# plus an imagePullPolicy: Never pod whose image is not on the node.
# Run as root on a fresh machine: bash scripts/demo-pods.sh (or: make demo).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
pw() { bin/pullwarden "$@"; }

# A short path: containerd's socket lives under it (108-byte limit).
WORK=$(mktemp -d /tmp/pwd.XXXXXX)
AGENT_PID=
PUB_PID= PRIV_PID=
cleanup() {
	set +e
	if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
		for p in $(pw get pods -o json 2>/dev/null | sed -n 's/^ *"name": "\([^"]*\)",$/\1/p' | sort -u); do
			pw delete pod "$p" >/dev/null 2>&1
		done
		kill "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null
	fi
	for pid in $PUB_PID $PRIV_PID; do kill "$pid" 2>/dev/null; done
	pkill -f "containerd-shim.*$WORK" 2>/dev/null
	grep -o " $WORK[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_status POD WORD [SECONDS]: prints `get pods` as the pod changes, until
# its STATUS is WORD. With FIX_T0 set (date +%s.%N at the fix), it says how
# long the pod took from the fix.
wait_status() {
	local pod=$1 want=$2 limit=${3:-120} last="" now i
	for i in $(seq 1 $((limit * 5))); do
		now=$(pw get pods "$pod" --no-headers 2>/dev/null | awk '{print $3}')
		if [ "$now" != "$last" ]; then
			pw get pods "$pod" --no-headers | sed 's/^/  /'
			last=$now
		fi
		if [ "$now" = "$want" ]; then
			if [ -n "${FIX_T0:-}" ]; then
				awk -v now="$(date +%s.%N)" -v t0="$FIX_T0" -v w="$want" 'BEGIN { printf "  (%s %.1f s after the fix)\n", w, now - t0 }'
				FIX_T0=
			fi
			return 0
		fi
		sleep 0.2
	done
	echo "pod $pod did not reach $want in ${limit}s" >&2
	pw describe pod "$pod" >&2
	return 1
}

step "prerequisites"
ensure_pkgs docker-registry:docker-registry curl:curl busybox:busybox-static containerd:containerd runc:runc htpasswd:apache2-utils
[ "$(id -u)" -eq 0 ] || { echo "the agent runs containers: run as root" >&2; exit 1; }
command -v go >/dev/null || { echo "the go tool is needed (/usr/local/go/bin)" >&2; exit 1; }

step "build bin/pullwarden"
show go build -o bin/pullwarden ./cmd/pullwarden
go build -o "$WORK/pushsample" ./scripts/internal/pushsample

step "two registries on loopback: a public one and a private one (user demo)"
start_registry "$WORK/public"
PUB=$REG_HOST PUB_PID=$REG_PID
htpasswd -Bbn demo demo-password >"$WORK/htpasswd" 2>/dev/null
start_registry "$WORK/private" "$WORK/htpasswd"
PRIV=$REG_HOST PRIV_PID=$REG_PID
echo "public registry:  $PUB"
echo "private registry: $PRIV"
"$WORK/pushsample" -ref "$PUB/pause:1" -pause
"$WORK/pushsample" -ref "$PUB/busybox:1" -layers 0 -busybox
PUSHSAMPLE_PASSWORD=demo-password "$WORK/pushsample" -ref "$PRIV/team/app:1" -layers 1 -layer-size 5MiB -busybox -username demo

step "start the agent (a private containerd under $WORK/agent)"
bin/pullwarden serve --data-dir "$WORK/agent" --pause-image "$PUB/pause:1" >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
export PULLWARDEN_SERVER=$WORK/agent/pullwarden.sock
for _ in $(seq 1 150); do [ -S "$PULLWARDEN_SERVER" ] && break; sleep 0.2; done
[ -S "$PULLWARDEN_SERVER" ] || { cat "$WORK/agent.log" >&2; exit 1; }
tail -n 1 "$WORK/agent.log"

pod() { # pod NAME IMAGE [extra spec lines]
	cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
${3:-}
  containers:
  - name: app
    image: $2
    command: ["sh", "-c", "echo $1 is up; exec sleep 3600"]
YAML
}

step "1. a private image: Unauthorized until the pull secret exists"
pod private "$PRIV/team/app:1" "  imagePullSecrets:
  - name: regcred" >"$WORK/private.yaml"
show pw apply -f "$WORK/private.yaml"
wait_status private ErrImagePull 30
show pw describe pod private | sed -n '/^Events:/,$p'
echo "Why? explain runs the whole checklist with the pod's own credentials:"
pw explain pod private | sed 's/^/  /' || true
echo "(the agent's smart retry policy sees the new secret and retries at once; a kubelet, or --retry-policy kubelet, waits out its backoff window)"
show pw create secret docker-registry regcred --docker-server="$PRIV" --docker-username=demo --docker-password=demo-password
FIX_T0=$(date +%s.%N)
wait_status private Running 120
show pw logs private

step "2. a tag that does not exist yet"
pod later "$PUB/busybox:2" >"$WORK/later.yaml"
show pw apply -f "$WORK/later.yaml"
wait_status later ErrImagePull 30
pw get events --no-headers | grep 'pod/later' | grep Failed | head -n 1 | sed 's/^/  /'
show "$WORK/pushsample" -ref "$PUB/busybox:2" -layers 0 -busybox
FIX_T0=$(date +%s.%N)
wait_status later Running 120

step "3. the registry is down, then comes back"
REG_HOST=$PUB REG_PID=$PUB_PID
stop_registry
pod flaky "$PUB/busybox:1" "" | sed 's/    image:/    imagePullPolicy: Always\n    image:/' >"$WORK/flaky.yaml"
show pw apply -f "$WORK/flaky.yaml"
wait_status flaky ErrImagePull 30
pw get events --no-headers | grep 'pod/flaky' | grep 'Failed to pull' | head -n 1 | sed 's/^/  /'
restart_registry "$WORK/public"
PUB_PID=$REG_PID
echo "registry $PUB is back"
FIX_T0=$(date +%s.%N)
wait_status flaky Running 120

step "4. an init container waits for the registry before the app starts"
REG_HOST=$PUB REG_PID=$PUB_PID
stop_registry
PORT=${PUB##*:}
cat >"$WORK/waiter.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: waiter
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: wait-for-registry
    image: $PUB/busybox:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "until nc -w 1 127.0.0.1 $PORT </dev/null; do sleep 1; done; echo registry is up"]
  containers:
  - name: app
    image: $PUB/busybox:2
    imagePullPolicy: Always
    command: ["sh", "-c", "echo app started; exec sleep 3600"]
YAML
show pw apply -f "$WORK/waiter.yaml"
wait_status waiter Init:0/1 30
sleep 3
restart_registry "$WORK/public"
PUB_PID=$REG_PID
echo "registry $PUB is back"
FIX_T0=$(date +%s.%N)
wait_status waiter Running 60
show pw logs waiter -c wait-for-registry

step "5. imagePullPolicy: Never, and the image is not on the node"
pod never "$PUB/busybox:never" "" | sed 's/    image:/    imagePullPolicy: Never\n    image:/' >"$WORK/never.yaml"
show pw apply -f "$WORK/never.yaml"
wait_status never ErrImageNeverPull 30
pw get events --no-headers | grep 'pod/never' | grep ErrImageNeverPull | sed 's/^/  /'

step "where everything stands"
show pw get pods -o wide
show pw describe pod waiter
step "done: every pod is Running or explained; cleaning up"
