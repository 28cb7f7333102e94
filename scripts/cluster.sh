#!/usr/bin/env bash
# A real single-node Kubernetes cluster on loopback, for the kubelet
# comparison suite (make compare), the real-cluster suite (make cluster-e2e)
# and by hand.
#
#   scripts/cluster.sh up      start it; prints `export KUBECONFIG=...` and
#                              `export REGISTRY=127.0.0.1:PORT` (eval them)
#   scripts/cluster.sh deploy  build pullwarden's image, push it to the
#                              cluster's registry, apply deploy/ (overlay
#                              deploy/overlays/loopback + a generated one) and
#                              wait until it is ready; prints
#                              `export PULLWARDEN_IMAGE=...`
#   scripts/cluster.sh image   only build and push the image to $REGISTRY
#   scripts/cluster.sh env     print the exports of a running cluster
#   scripts/cluster.sh down    stop it and restore the machine
#
# Parts, each with its own directory under $PULLWARDEN_CLUSTER_DIR (default
# /tmp/pullwarden-cluster), each on free loopback ports:
#   etcd            Debian etcd-server (scripts/deps.sh installs it)
#   kube-apiserver  v1.37.2 from scripts/kube.sh's cache, TLS with a CA made by
#                   openssl, token authentication, Node,RBAC authorization
#   kube-scheduler  v1.37.2, its own token (system:kube-scheduler)
#   kube-controller-manager  v1.37.2, its own token, a ServiceAccount per
#                   controller, the cluster CA and service-account key (it
#                   creates the default ServiceAccounts and kube-root-ca.crt)
#   registry        Debian docker-registry (plain HTTP), holding the sandbox
#                   image (pause:3.10) and busybox:1
#   containerd      Debian containerd + runc with their own root, state and
#                   socket, restrict_oom_score_adj (no CAP_SYS_RESOURCE here)
#   kubelet         v1.37.2, cgroupfs, no CNI (the node stays NotReady: pods
#                   use hostNetwork and a toleration; the scheduler places them)
# PARTS (below) is the one list of parts in start order; a new part (a second
# kubelet in its own network namespace, see docs/cluster.md) is a start_NAME
# function and an entry there; `down` stops them in reverse order.
#
# `down` restores what the kubelet changes on the machine: the sysctls
# vm.overcommit_memory, kernel.panic and kernel.panic_on_oops, the mounts
# under the cluster directory, the KUBE-* iptables chains (IPv4 and IPv6) and
# the kubepods cgroups, which did not exist before `up`; pod sandboxes are
# stopped before containerd. Binaries: bash scripts/kube.sh build kubectl
# kube-apiserver kubelet kube-scheduler kube-controller-manager (cached; `up`
# does not build them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

DIR=${PULLWARDEN_CLUSTER_DIR:-/tmp/pullwarden-cluster}
# PULLWARDEN_CLUSTER_PARTS picks a subset, in this order (for debugging).
read -r -a PARTS <<<"${PULLWARDEN_CLUSTER_PARTS:-etcd certs apiserver scheduler controller-manager bootstrap registry containerd kubelet}"
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
NODE=$(hostname | tr '[:upper:]' '[:lower:]')

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# free_port: a loopback TCP port nobody listens on.
free_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			grep -qx "$p" "$DIR/ports" 2>/dev/null && continue
			echo "$p" >>"$DIR/ports"
			echo "$p"
			return 0
		fi
	done
	die "no free port"
}

# run_bg NAME CMD...: runs CMD in the background with its log under DIR and
# its pid in DIR/pids/NAME.
run_bg() {
	local name=$1
	shift
	mkdir -p "$DIR/pids" "$DIR/logs"
	setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$DIR/pids/$name"
}

pid_of() { cat "$DIR/pids/$1" 2>/dev/null || true; }

alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# wait_for WHAT SECONDS CMD...: polls CMD every 0.2 s.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq 1 $((secs * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	die "$what did not come up in ${secs}s (logs under $DIR/logs)"
}

# stop NAME [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 10).
stop() {
	local name=$1 secs=${2:-10} p i
	p=$(pid_of "$name")
	[ -n "$p" ] || return 0
	if kill -0 "$p" 2>/dev/null; then
		kill "$p" 2>/dev/null || true
		for i in $(seq 1 $((secs * 10))); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -f "$DIR/pids/$name"
}

kv() { sed -n "s/^$1=//p" "$DIR/env" 2>/dev/null | tail -n 1; }
setkv() { echo "$1=$2" >>"$DIR/env"; }

api() { # api METHOD PATH [JSON]: a request as the admin
	local args=(-sS --fail-with-body --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer $(kv ADMIN_TOKEN)" -X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}" "https://127.0.0.1:$(kv API_PORT)$2"
}

start_etcd() {
	command -v etcd >/dev/null || die "etcd missing: scripts/deps.sh installs etcd-server"
	local client peer
	client=$(free_port)
	peer=$(free_port)
	setkv ETCD_PORT "$client"
	run_bg etcd etcd --name default --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
		--listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
		--initial-cluster "default=http://127.0.0.1:$peer" --listen-metrics-urls "http://127.0.0.1:$(free_port)"
	wait_for etcd 30 curl -sf "http://127.0.0.1:$client/health"
}

start_certs() {
	local d=$DIR/pki
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pullwarden-cluster-ca" \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1\n' >"$d/san.ext"
	openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/san.ext" -out "$d/apiserver.crt" 2>/dev/null
	# The API server's client certificate for the kubelet (kubectl logs, exec).
	openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" \
		-keyout "$d/kubelet-client.key" -out "$d/kubelet-client.csr" 2>/dev/null
	openssl x509 -req -in "$d/kubelet-client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-out "$d/kubelet-client.crt" 2>/dev/null
	openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
	openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
	local admin kubelet scheduler cm
	admin=$(token)
	kubelet=$(token)
	scheduler=$(token)
	cm=$(token)
	setkv ADMIN_TOKEN "$admin"
	# Each component has its own identity, bound by the API server's default
	# RBAC (system:kube-scheduler, system:kube-controller-manager, system:nodes).
	# umask in a subshell only: containerd inherits the script's umask, and
	# with 077 its snapshot directories shut out non-root containers.
	(
		umask 077
		cat >"$d/tokens.csv" <<CSV
$admin,admin,admin-uid,"system:masters"
$kubelet,system:node:$NODE,node-uid,"system:nodes"
$scheduler,system:kube-scheduler,scheduler-uid
$cm,system:kube-controller-manager,controller-manager-uid
CSV
	)
	setkv KUBELET_TOKEN "$kubelet"
	setkv SCHEDULER_TOKEN "$scheduler"
	setkv CM_TOKEN "$cm"
}

token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

kubeconfig() ( # kubeconfig FILE TOKEN (a subshell: the umask stays in it)
	umask 077
	cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: pullwarden
  cluster:
    server: https://127.0.0.1:$(kv API_PORT)
    certificate-authority: $DIR/pki/ca.crt
users:
- name: user
  user:
    token: $2
contexts:
- name: pullwarden
  context: {cluster: pullwarden, user: user, namespace: default}
current-context: pullwarden
YAML
)

start_apiserver() {
	local bin port
	bin=$(bash "$here/kube.sh" dir)
	[ -x "$bin/kube-apiserver" ] || die "no $bin/kube-apiserver: bash scripts/kube.sh build kube-apiserver kubelet"
	port=$(free_port)
	setkv API_PORT "$port"
	run_bg apiserver "$bin/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$(kv ETCD_PORT)" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
		--endpoint-reconciler-type none \
		--cert-dir "$DIR/apiserver" \
		--tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
		--client-ca-file "$DIR/pki/ca.crt" --token-auth-file "$DIR/pki/tokens.csv" \
		--authorization-mode Node,RBAC \
		--kubelet-client-certificate "$DIR/pki/kubelet-client.crt" --kubelet-client-key "$DIR/pki/kubelet-client.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key" \
		--service-cluster-ip-range 10.96.0.0/24
	kubeconfig "$DIR/admin.kubeconfig" "$(kv ADMIN_TOKEN)"
	kubeconfig "$DIR/kubelet.kubeconfig" "$(kv KUBELET_TOKEN)"
	kubeconfig "$DIR/scheduler.kubeconfig" "$(kv SCHEDULER_TOKEN)"
	kubeconfig "$DIR/controller-manager.kubeconfig" "$(kv CM_TOKEN)"
	wait_for kube-apiserver 120 api GET /readyz
}

# start_scheduler: kube-scheduler on loopback with its own identity; its
# secure port (healthz) is a free loopback port, no leader election (one
# replica).
start_scheduler() {
	local bin port
	bin=$(bash "$here/kube.sh" dir)
	[ -x "$bin/kube-scheduler" ] || die "no $bin/kube-scheduler: bash scripts/kube.sh build kube-scheduler"
	port=$(free_port)
	setkv SCHEDULER_PORT "$port"
	run_bg scheduler "$bin/kube-scheduler" \
		--kubeconfig "$DIR/scheduler.kubeconfig" \
		--authentication-kubeconfig "$DIR/scheduler.kubeconfig" \
		--authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$port" --cert-dir "$DIR/scheduler" \
		--leader-elect=false
	wait_for kube-scheduler 60 curl -skf "https://127.0.0.1:$port/healthz"
}

# start_controller-manager: kube-controller-manager with one ServiceAccount
# per controller (--use-service-account-credentials), the cluster CA for
# kube-root-ca.crt and tokens, the service-account key. node-ipam (pod
# CIDRs for a CNI) is off, the cloud controllers are not in this binary
# since 1.31; the node-lifecycle controller stays: the node is NotReady without
# CNI, so it taints it and pods here tolerate everything (operator Exists).
start_controller-manager() {
	local bin port
	bin=$(bash "$here/kube.sh" dir)
	[ -x "$bin/kube-controller-manager" ] || die "no $bin/kube-controller-manager: bash scripts/kube.sh build kube-controller-manager"
	port=$(free_port)
	setkv CM_PORT "$port"
	run_bg controller-manager "$bin/kube-controller-manager" \
		--kubeconfig "$DIR/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$port" --cert-dir "$DIR/controller-manager" \
		--leader-elect=false \
		--use-service-account-credentials \
		--root-ca-file "$DIR/pki/ca.crt" \
		--service-account-private-key-file "$DIR/pki/sa.key" \
		--cluster-signing-cert-file "$DIR/pki/ca.crt" --cluster-signing-key-file "$DIR/pki/ca.key" \
		--service-cluster-ip-range 10.96.0.0/24 \
		--allocate-node-cidrs=false --configure-cloud-routes=false \
		--controllers '*,-node-ipam-controller'
	wait_for kube-controller-manager 60 curl -skf "https://127.0.0.1:$port/healthz"
}

# start_bootstrap: the default ServiceAccount and the kube-root-ca.crt
# ConfigMap pods need. kube-controller-manager creates both; without it (a
# PULLWARDEN_CLUSTER_PARTS subset) they are created here. Idempotent.
start_bootstrap() {
	wait_for "the default namespace" 30 api GET /api/v1/namespaces/default
	if has_part controller-manager; then
		wait_for "the default ServiceAccount (kube-controller-manager)" 60 api GET /api/v1/namespaces/default/serviceaccounts/default
		wait_for "kube-root-ca.crt (kube-controller-manager)" 60 api GET /api/v1/namespaces/default/configmaps/kube-root-ca.crt
		return 0
	fi
	api GET /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1 ||
		api POST /api/v1/namespaces/default/serviceaccounts '{"metadata":{"name":"default"}}' >/dev/null
	local ca
	ca=$(sed ':a;N;$!ba;s/\n/\\n/g' "$DIR/pki/ca.crt")
	api GET /api/v1/namespaces/default/configmaps/kube-root-ca.crt >/dev/null 2>&1 ||
		api POST /api/v1/namespaces/default/configmaps "{\"metadata\":{\"name\":\"kube-root-ca.crt\"},\"data\":{\"ca.crt\":\"$ca\"}}" >/dev/null
}

has_part() { local p; for p in "${PARTS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

start_registry_part() {
	# The pid is recorded even when the start fails, so that down stops it.
	local rc=0
	start_registry "$DIR/registry" || rc=$?
	[ -n "${REG_PID:-}" ] && echo "$REG_PID" >"$DIR/pids/registry"
	[ "$rc" -eq 0 ] || return "$rc"
	setkv REGISTRY "$REG_HOST"
	go build -o "$DIR/pushsample" "$here/internal/pushsample"
	"$DIR/pushsample" -ref "$REG_HOST/pause:3.10" -pause >/dev/null
	"$DIR/pushsample" -ref "$REG_HOST/busybox:1" -layers 0 -busybox >/dev/null
}

# containerd_hosts HOST: plain HTTP to a loopback registry.
containerd_hosts() {
	mkdir -p "$DIR/containerd/certs.d/$1"
	printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$1" "$1" \
		>"$DIR/containerd/certs.d/$1/hosts.toml"
}

start_containerd() {
	local d=$DIR/containerd
	mkdir -p "$d/root" "$d/state" "$d/certs.d"
	containerd_hosts "$(kv REGISTRY)"
	cat >"$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
oom_score = 0

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$(kv REGISTRY)/pause:3.10"
    restrict_oom_score_adj = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$d/cni-bin"
      conf_dir = "$d/cni-conf"
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$d/certs.d"
TOML
	setkv CONTAINERD_SOCK "$d/containerd.sock"
	run_bg containerd containerd --config "$d/config.toml"
	wait_for containerd 30 ctr -a "$d/containerd.sock" version
}

start_kubelet() {
	local bin d=$DIR/kubelet
	bin=$(bash "$here/kube.sh" dir)
	[ -x "$bin/kubelet" ] || die "no $bin/kubelet: bash scripts/kube.sh build kube-apiserver kubelet"
	mkdir -p "$d" "$DIR/pod-logs"
	for s in "${SYSCTLS[@]}"; do
		echo "$s=$(sysctl -n "$s")" >>"$DIR/sysctl.saved"
	done
	cat >"$d/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $(free_port)
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(free_port)
containerRuntimeEndpoint: unix://$DIR/containerd/containerd.sock
imageServiceEndpoint: unix://$DIR/containerd/containerd.sock
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
oomScoreAdj: 0
podLogsDir: $DIR/pod-logs
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $DIR/pki/ca.crt}
authorization: {mode: AlwaysAllow}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
YAML
	run_bg kubelet "$bin/kubelet" --config "$d/config.yaml" --kubeconfig "$DIR/kubelet.kubeconfig" \
		--root-dir "$d" --v 2
	wait_for "node $NODE" 120 api GET "/api/v1/nodes/$NODE"
	setkv NODE "$NODE"
}

# The KUBE-* chains and kubepods cgroups present before up are not ours.
record_machine() {
	{ iptables-save 2>/dev/null; ip6tables-save 2>/dev/null; } | sed -n 's/^:\(KUBE-[A-Z0-9-]*\) .*/\1/p' | sort -u >"$DIR/chains.before"
	find /sys/fs/cgroup -maxdepth 2 -name 'kubepods*' -type d 2>/dev/null | sort >"$DIR/cgroups.before"
}

print_env() {
	echo "export KUBECONFIG=$DIR/admin.kubeconfig"
	echo "export REGISTRY=$(kv REGISTRY)"
	echo "export PULLWARDEN_CLUSTER_DIR=$DIR"
	echo "export PULLWARDEN_CLUSTER_NODE=$(kv NODE)"
	echo "export PULLWARDEN_CLUSTER_CONTAINERD=$(kv CONTAINERD_SOCK)"
	[ -z "$(kv IMAGE)" ] || echo "export PULLWARDEN_IMAGE=$(kv IMAGE)"
}

up() {
	[ "$(id -u)" -eq 0 ] || die "the kubelet needs root"
	if [ -f "$DIR/env" ]; then
		die "a cluster is already set up in $DIR (scripts/cluster.sh down first)"
	fi
	mkdir -p "$DIR"
	: >"$DIR/env"
	trap 'up_failed' EXIT
	record_machine
	local part
	for part in "${PARTS[@]}"; do
		log "starting $part"
		case $part in
		registry) start_registry_part ;;
		*) "start_$part" ;;
		esac
	done
	trap - EXIT
	print_env
}

# up_failed shows the logs of a failed start, then tears down what started.
up_failed() {
	local f
	for f in "$DIR"/logs/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last lines)" >&2
		tail -n 15 "$f" >&2
	done
	down
}

# stop_sandboxes kills every task in containerd's k8s.io namespace (the pod
# sandboxes and containers) and deletes them, before containerd stops.
stop_sandboxes() {
	local sock=$DIR/containerd/containerd.sock id
	[ -S "$sock" ] || return 0
	for id in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
		ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
	done
	sleep 0.5
	for id in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
		ctr -a "$sock" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(ctr -a "$sock" -n k8s.io containers ls -q 2>/dev/null); do
		ctr -a "$sock" -n k8s.io containers delete "$id" >/dev/null 2>&1 || true
	done
}

# kill_shims ends the shims of this cluster's containerd (their command
# line names its socket), by pid.
kill_shims() {
	local sock=$DIR/containerd/containerd.sock f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		{ tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q -- "containerd-shim.*-address $sock " && kill -9 "$pid" 2>/dev/null || true
	done
}

restore_machine() {
	local line m t tool chain
	if [ -f "$DIR/sysctl.saved" ]; then
		while IFS= read -r line; do sysctl -qw "$line" >/dev/null || true; done <"$DIR/sysctl.saved"
	fi
	# Mounts under the cluster directory, deepest first.
	for m in $(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for tool in iptables ip6tables; do
		command -v "$tool" >/dev/null || continue
		for t in filter nat mangle; do
			for chain in $("$tool" -t "$t" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[A-Z0-9-]*\)$/\1/p'); do
				grep -qx "$chain" "$DIR/chains.before" 2>/dev/null && continue
				# Rules that jump to it, then the chain itself.
				{ "$tool" -t "$t" -S 2>/dev/null | grep -- "-j $chain\( \|$\)" || true; } | sed 's/^-A /-D /' |
					while IFS= read -r rule; do eval "$tool -t $t $rule" 2>/dev/null || true; done
				"$tool" -t "$t" -F "$chain" 2>/dev/null || true
				"$tool" -t "$t" -X "$chain" 2>/dev/null || true
			done
		done
	done
	for m in $(find /sys/fs/cgroup -maxdepth 2 -name 'kubepods*' -type d 2>/dev/null); do
		grep -qx "$m" "$DIR/cgroups.before" 2>/dev/null && continue
		find "$m" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

down() {
	[ -d "$DIR" ] || { log "nothing to stop in $DIR"; return 0; }
	local i
	for ((i = ${#PARTS[@]} - 1; i >= 0; i--)); do
		case ${PARTS[$i]} in
		kubelet) stop kubelet 20 ;;
		containerd)
			stop_sandboxes
			stop containerd 10
			kill_shims
			;;
		apiserver) stop apiserver 10 ;; # before etcd: it may hang once etcd is gone
		*) stop "${PARTS[$i]}" 10 ;;
		esac
	done
	restore_machine
	rm -rf --one-file-system "$DIR"
	log "stopped; machine restored"
}

# image: builds pullwarden's container image without a Docker engine
# (scripts/internal/imagebuild: a static CGO_ENABLED=0 binary at /pullwarden,
# CA certificates, tagged by content) and pushes it to $REGISTRY (default:
# this cluster's registry). PULLWARDEN_BINARY=PATH puts a prebuilt static
# binary in instead of building ./cmd/pullwarden. Prints REPO:TAG@DIGEST as
# its last line.
image() {
	local reg=${REGISTRY:-$(kv REGISTRY)}
	[ -n "$reg" ] || die "image: no REGISTRY (set REGISTRY=HOST:PORT, or bring a cluster up)"
	# A subshell, so that its EXIT trap removes the work directory whatever
	# fails.
	(
		work=$(mktemp -d /tmp/pullwarden-image.XXXXXX)
		trap 'rm -rf "$work"' EXIT
		bin=${PULLWARDEN_BINARY:-}
		if [ -z "$bin" ]; then
			bin=$work/pullwarden
			(cd "$here/.." && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w" -o "$bin" ./cmd/pullwarden)
		fi
		(cd "$here/.." && go build -o "$work/imagebuild" ./scripts/internal/imagebuild)
		"$work/imagebuild" -binary "$bin" -repo "$reg/pullwarden"
	) || die "image: building or pushing to $reg failed"
}

# deploy: the image into the cluster's registry, then deploy/ through an
# overlay generated under $DIR/deploy on top of deploy/overlays/loopback
# (the image, the API server's address for in-cluster clients: without
# kube-proxy the kubernetes Service IP does not route; the containerd socket
# and hosts.toml directory of this cluster), applied with the pinned kubectl;
# waits until the controller Deployment and the node DaemonSet are ready.
deploy() {
	[ -f "$DIR/env" ] || die "no cluster in $DIR (scripts/cluster.sh up first)"
	local t0=$SECONDS ref name tag kubectl gen rel
	kubectl=$(bash "$here/kube.sh" dir)/kubectl
	[ -x "$kubectl" ] || die "no $kubectl: bash scripts/kube.sh build kubectl"
	log "building and pushing the image"
	ref=$(REGISTRY=$(kv REGISTRY) image | tail -n 1)
	name=${ref%%@*}
	tag=${name##*:}
	name=${name%:*}
	gen=$DIR/deploy
	mkdir -p "$gen"
	rel=$(realpath --relative-to="$gen" "$here/../deploy/overlays/loopback")
	cat >"$gen/kustomization.yaml" <<YAML
# Generated by scripts/cluster.sh deploy for the cluster in $DIR.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $rel
images:
- name: pullwarden
  newName: $name
  newTag: $tag
patches:
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: pullwarden-controller, namespace: pullwarden-system}
    spec:
      template:
        spec:
          containers:
          - name: controller
            env:
            - {name: KUBERNETES_SERVICE_HOST, value: "127.0.0.1"}
            - {name: KUBERNETES_SERVICE_PORT, value: "$(kv API_PORT)"}
- patch: |
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: pullwarden-node, namespace: pullwarden-system}
    spec:
      template:
        spec:
          containers:
          - name: node
            env:
            - {name: KUBERNETES_SERVICE_HOST, value: "127.0.0.1"}
            - {name: KUBERNETES_SERVICE_PORT, value: "$(kv API_PORT)"}
          volumes:
          - name: containerd-sock
            hostPath: {path: $DIR/containerd/containerd.sock, type: Socket}
          - name: registry-hosts
            hostPath: {path: $DIR/containerd/certs.d, type: Directory}
YAML
	log "applying deploy/ (overlay $gen) with image $name:$tag"
	KUBECONFIG=$DIR/admin.kubeconfig "$kubectl" apply -k "$gen" >"$DIR/logs/deploy.log"
	local ns=(-n pullwarden-system) timeout=${PULLWARDEN_DEPLOY_TIMEOUT:-180}
	if ! KUBECONFIG=$DIR/admin.kubeconfig "$kubectl" "${ns[@]}" rollout status deployment/pullwarden-controller --timeout "${timeout}s" >&2 ||
		! KUBECONFIG=$DIR/admin.kubeconfig "$kubectl" "${ns[@]}" rollout status daemonset/pullwarden-node --timeout "${timeout}s" >&2; then
		KUBECONFIG=$DIR/admin.kubeconfig "$kubectl" "${ns[@]}" get pods -o wide >&2 || true
		KUBECONFIG=$DIR/admin.kubeconfig "$kubectl" "${ns[@]}" logs --all-containers --tail 20 -l app.kubernetes.io/part-of=pullwarden >&2 || true
		die "deploy: pullwarden did not become ready in ${timeout}s"
	fi
	setkv IMAGE "$ref"
	log "deployed $ref in $((SECONDS - t0)) s"
	echo "export PULLWARDEN_IMAGE=$ref"
}

case ${1:-} in
up) up ;;
deploy) deploy ;;
image) image ;;
down) down ;;
env) [ -f "$DIR/env" ] || die "no cluster in $DIR"; print_env ;;
*)
	echo "usage: $0 up|deploy|image|env|down" >&2
	exit 2
	;;
esac
