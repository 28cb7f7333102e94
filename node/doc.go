// Package node is `pullwarden node`, the node DaemonSet of a real
// cluster: it pulls into the node's containerd what the controller asks
// for, pre-pulls a list of images, and explains pulls from the node.
//
// Engine. New connects to the node's containerd (store/containerd,
// namespace "k8s.io", images unpacked into the snapshotter so the
// kubelet's CRI starts them at once) and builds one pull engine for the
// node (package pull): one registry client behind one throttle (shared
// Retry-After and quota waits), resumable blob writes, hosts.toml mirrors
// from Config.RegistryConfigPath, and the smart retry policy. Pulls of one
// image with one credential share one transfer, whichever pods ask.
//
// Pull requests (podmeta's protocol). Run watches the pods of its node
// (client-go informer, field selector spec.nodeName=NODE). A pod whose
// podmeta.PullRequest token is not yet answered in podmeta.PullResult is
// queued; a worker pulls the images of the containers that wait on their
// image (WaitingImages: init, regular and ephemeral containers waiting
// with ErrImagePull, ImagePullBackOff, InvalidImageName or
// RegistryUnavailable; imagePullPolicy Never skipped) with the pod's own
// credentials: its imagePullSecrets, else its ServiceAccount's, then the
// node's (Config.DockerConfig). Each request makes one attempt per image
// (no backoff: the controller asked because the cause is fixed). The
// answer, a JSON podmeta.PullResultValue (digest per image, or the cause's
// reason and message), is merge-patched into the pull-result annotation
// with the pod's UID as precondition: that update makes the kubelet sync
// the pod. A failed image also gets a Warning event on the pod (source
// pullwarden-node, reason the cause, message EventMessage). A token is
// answered once: the annotation and an in-memory record both say so.
// Messages never hold a credential (package cause).
//
// Pre-pull. The ConfigMap Config.PrepullConfigMap in Config.Namespace
// (default pullwarden-system/pullwarden-prepull) is watched: key "images"
// holds one image per line (blank lines and # comments ignored), optional
// key "imagePullSecrets" comma-separated docker-registry secret names of
// the same namespace. Every listed image is ensured (IfNotPresent) at
// start, on every change of the ConfigMap, when the engine releases a held
// image (a re-check found it, the registry answers a probe again), when a
// transient backoff ends, and every Config.PrepullResync (default 1m, so
// an image the kubelet's GC removed comes back). Retries follow the
// engine's smart policy on Config.Clock: a registry that is down at deploy
// time costs nothing but the wait for it.
//
// HTTP (Handler): /healthz; /metrics (Prometheus: the engine's
// pullwarden_pulls_total{result,cause}, pullwarden_transferred_bytes_total,
// pullwarden_registry_waits_total, and the node's
// pullwarden_prepull_images{state,cause} and
// pullwarden_node_pull_requests_total{result}); /images (JSON Images: the
// pre-pull list and the answered requests: image, digest, state, last
// cause); /explain/pod/NS/NAME and /explain/image?ref=REF (JSON: the
// diagnose checklist run from the node, with the node's credentials and
// network path, diagnose/kube.Explain with Remote false).
package node
