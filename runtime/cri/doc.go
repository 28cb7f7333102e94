// Package cri implements runtime.Runtime over the Kubernetes CRI v1 gRPC
// API (k8s.io/cri-api), as served by containerd's CRI plugin, and runs
// private containerd daemons.
//
// New(ctx, address) dials the CRI unix socket and checks Version; Dial
// waits (until ctx ends) for a containerd that has just started to serve
// the CRI and report RuntimeReady. Sandboxes
// carry the kubelet's labels (io.kubernetes.pod.name, .namespace, .uid;
// io.kubernetes.container.name on containers). A host-network sandbox
// (runtime.Sandbox.HostNetwork) uses the node's network namespace, needs no
// CNI and gets no hostname (the CRI refuses one there). Container logs go to
// Sandbox.LogDirectory/ContainerSpec.LogPath; CreateContainer makes the log
// file's directory. gRPC NotFound becomes runtime.ErrNotFound; stopping or
// removing what is gone succeeds.
//
// Logs: ReadLog reads the CRI log format ("2024-01-01T00:00:00.000000000Z
// stdout F text", "P" marking a partial record) into whole lines, optionally
// following the file until the container is done; ParseLogLine parses one
// record.
//
// Daemons: WriteConfig writes a containerd config (version 2) for a daemon
// living in one directory: root, state, socket DIR/containerd.sock, CRI
// with restrict_oom_score_adj = true (the machines lack CAP_SYS_RESOURCE),
// the sandbox (pause) image, registry hosts.toml files under DIR/certs.d
// (plain-HTTP loopback registries), runc with cgroupfs (SystemdCgroup
// false), overlayfs, streaming server on a free loopback port, CNI config
// directory DIR/cni/net.d. StartDaemon writes it, starts containerd and
// waits for its socket; Daemon.Stop sends SIGTERM, then SIGKILL when ctx
// ends. The node agent's "--containerd auto" uses these. ShimPids,
// KillShims, MountsUnder and UnmountUnder find and remove what a daemon's
// containers leave when the daemon is gone (pullwarden reset).
package cri
