// Package testapiserver runs a real Kubernetes control plane for tests,
// envtest-style: Debian's etcd (/usr/bin/etcd) and kube-apiserver built
// from the pinned k8s.io/kubernetes module by scripts/kube.sh (directory
// $PULLWARDEN_KUBEBIN, else ~/.cache/pullwarden/kube/v1.37.2/bin), both on
// loopback with free ports, under t.TempDir(), stopped in t.Cleanup
// (the API server first: it may hang once etcd is gone).
//
// The API server serves TLS with a certificate for 127.0.0.1 from a CA
// generated here, authenticates an admin through a token file (group
// system:masters), signs service-account tokens with a generated key
// pair, and runs with --endpoint-reconciler-type=none (1.37 refuses a
// loopback advertise address otherwise). There is no controller manager
// or scheduler: Start creates the "default" namespace's ServiceAccount
// so pods can be admitted, and pods stay where their creator puts them;
// their status is written through the status subresource.
//
// Missing binaries skip the test, or fail it when PULLWARDEN_REQUIRE_REAL=1.
package testapiserver
