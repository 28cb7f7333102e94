// Package cluster is the end-to-end suite of pullwarden on a real
// Kubernetes cluster: kube-apiserver, kube-scheduler,
// kube-controller-manager and a kubelet v1.37.2 on loopback with Debian's
// containerd (scripts/cluster.sh up), pullwarden's image built without a
// Docker engine and pushed to the cluster's registry, deploy/ applied with
// the pinned kubectl (scripts/cluster.sh deploy).
//
// Run it with
//
//	make cluster-e2e
//
// which brings the cluster up, deploys, runs
// `go test -tags cluster ./e2e/cluster/` and takes the cluster down
// whatever happens. By hand: eval "$(scripts/cluster.sh up)", eval
// "$(scripts/cluster.sh deploy)", then go test -tags cluster. The tests
// read the cluster from the environment cluster.sh exports (KUBECONFIG,
// REGISTRY, PULLWARDEN_CLUSTER_DIR, PULLWARDEN_CLUSTER_NODE,
// PULLWARDEN_CLUSTER_CONTAINERD) and kubectl from $KUBECTL (the Makefile
// sets it to scripts/kube.sh's); without a cluster they skip, unless
// PULLWARDEN_REQUIRE_REAL=1.
//
// What they prove:
//   - smoke_test.go: deploy/ renders and passes a server-side dry run; the
//     controller Deployment and node DaemonSet are Ready on the image just
//     built; `kubectl auth can-i` shows the RBAC is least privilege.
//   - diagnose_test.go: for each cause of the article (a wrong name,
//     missing or wrong credentials, a missing tag, an unreachable
//     registry) a Warning event and the pullwarden.io/ImagePull condition
//     with that cause as reason, one event per cause.
//   - recovery_test.go: a created secret, a pushed tag and a restarted
//     registry bring IfNotPresent and Always pods to Running, timed from
//     the fix; with pullwarden within seconds, without it (the kubelet
//     alone, PULLWARDEN_CLUSTER_SIDE=without, bench/cluster) within the
//     kubelet's backoff window. Lines "recovery fix=... policy=... side=...
//     seconds=..." feed bench/cluster/run.sh.
//   - prepull_test.go: an image listed in the pullwarden-prepull ConfigMap
//     reaches the node's containerd, and a pod using it starts while its
//     registry is down.
//
// Pods here use hostNetwork and tolerate every taint: the cluster has no
// CNI, so its node is NotReady; the scheduler places them.
package cluster
