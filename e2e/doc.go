//go:build e2e

// Package e2e is the end-to-end suite of the node agent: the real
// pullwarden binary (built once by TestMain with go build ./cmd/pullwarden)
// runs `serve` as a subprocess with its own private containerd, Debian's
// docker-registry serves images built by internal/testimage, and the tests
// drive the agent as a user would (apply -f, get pods, describe pod, get
// events, create secret, delete pod, run-pod) and read status through the
// Go client of the agent's API.
//
// Run it with
//
//	PULLWARDEN_REQUIRE_REAL=1 go test -tags e2e -timeout 40m ./e2e/...
//
// (make e2e). It needs root, containerd, runc, docker-registry, htpasswd
// and busybox-static; without them the tests skip, unless
// PULLWARDEN_REQUIRE_REAL=1, which turns a missing part into a failure.
//
// The agent runs in its faithful (kubelet) mode: pull backoff windows of
// 10 s, 20 s, 40 s... and a resync of 10-15 s, so a recovery after a fix
// takes 10-50 s. Tests poll with deadlines (waitFor, WaitStatus,
// WaitEvent), never assert on fixed sleeps, and run independent scenarios
// as parallel pods in one agent. The suite takes about 2.5 minutes.
//
// The files compare_*_test.go (build tags e2e and kubelet; make compare)
// are the kubelet comparison suite: the same scenarios on the agent and on a
// real kubelet v1.37.2 that scripts/cluster.sh brings up on loopback, diffed
// on STATUS sequences, waiting reasons and messages, events and pull attempt
// times. The differences it ignores are listed in one place,
// compare_deliberate_test.go. It takes about 2.5 minutes (the scenarios run
// in parallel; the longest waits out two backoff windows).
//
// Each agent lives in a short directory from os.MkdirTemp("", "pwe")
// (unix socket paths are limited to about 100 bytes). Cleanup deletes the
// pods, stops the agent with SIGTERM, then makes sure that the private
// containerd (the process listening on DATA/containerd/containerd.sock)
// and its shims are gone and that no mount is left under the directory.
package e2e
