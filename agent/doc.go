// Package agent is pullwarden's node agent: it keeps Pods, Secrets,
// ServiceAccounts, Namespaces and Events in an embedded database, serves
// them over an HTTP API that follows the Kubernetes API (on a unix socket
// by default), and runs the pods on containerd with the kubelet's pull
// behaviour (package pod).
//
// The API is also served on loopback TCP with TLS for kubectl
// (Config.ListenTCP): the CA, serving certificate and admin credential are
// kept under DataDir/pki and DataDir/kubeconfig points at the listener;
// requests without the credential get 401.
//
// Images are transferred by pullwarden's own engine (package pull) straight
// into containerd's content store in the "k8s.io" namespace, where the CRI
// finds them: resume, digest verification, classified failures and retries
// apply, and there is no second copy of the image on disk.
//
// The runtime is containerd, spoken to through the CRI for pod sandboxes and
// containers. With ContainerdAddress "auto" the agent starts a private
// containerd with a generated configuration under its data directory, or
// reuses the one an earlier run left behind (after a kill -9 the daemon and
// the containers keep running, and the restarted agent adopts them).
//
// Lifecycle: Start locks the data directory (DATA_DIR/agent.pid, a flock
// holding the agent's pid: a second agent gets AlreadyRunningError), waits
// for containerd's CRI (Config.CRITimeout), and releases everything it
// acquired when it fails. Run feeds the pod manager with an informer's
// semantics (list, watch from the list's version, relist when the watch
// ends, so pods deleted in between are removed), collects expired backoff
// entries every pod.HousekeepingPeriod, and before it returns waits for the
// removals under way. Containers keep running after Run unless
// Config.DrainOnExit; Reset tears down what a stopped agent left.
//
// Retries (Config.RetryPolicy, default smart): Run also runs the image
// manager's shared re-checks and registry probes, watches Secrets and
// ServiceAccounts (a change releases the held pulls of the pods that use
// them), serves docker-registry's push notifications at
// Config.NotifyListen and Prometheus metrics at Config.MetricsListen, and
// the API's /pullwarden/v1/retry (`pullwarden retry pod`). Every registry
// request goes through one node-wide throttle (package throttle).
//
// Pods run in the node's network namespace: the agent configures no CNI.
//
// The state (objects and the pull and crash-loop backoff) lives in a bbolt
// database under the data directory and survives restarts: pods keep their
// UIDs and their backoff.
package agent
