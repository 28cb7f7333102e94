// Package controller is `pullwarden controller`: a Kubernetes controller
// (controller-runtime) that makes pods stuck on their images recover the
// moment the cause is fixed, on a real cluster, without replacing the
// kubelet. It speaks the protocol of package podmeta, all on the pod.
//
// What it watches: pods whose containers or init containers wait with
// ErrImagePull, ImagePullBackOff, InvalidImageName or ErrImageNeverPull,
// and pending pods whose image volumes failed to pull. Each is diagnosed
// with the pod's own credentials (its imagePullSecrets, else its service
// account's) through diagnose/kube.Explain with Remote set: the checks run
// from the controller's pod, so node-side steps are reported as not
// checked.
//
// What it writes:
//   - the pod condition podmeta.ConditionImagePull on pods/status (a
//     strategic merge patch of that condition alone: the kubelet keeps
//     conditions it does not own): status False with the cause's reason
//     (TagNotFound, Unauthorized, ...) and the message "container C:
//     image I: <message>; fix: <hint>"; reason Fixed once the diagnosis
//     passes; status True, reason Pulled, once nothing waits on an image;
//   - one Warning event per change of cause (reason the cause, same
//     message, source pullwarden-controller); the same cause found again
//     writes nothing;
//   - on a passing diagnosis (or a new podmeta.RetryRequested value): a
//     Normal PullRetried event per waiting image naming the trigger
//     (pull.Trigger*), and a new token in podmeta.PullRequest for the node
//     DaemonSet;
//   - once the node answers that token in podmeta.PullResult (or after
//     Options.NodeTimeout without an answer): containers and init
//     containers with imagePullPolicy Always (IfNotPresent too when the
//     node failed or did not answer) are pinned in place to
//     name:tag@<verified digest>, the images as written being recorded
//     first in podmeta.OriginalImages, since the kubelet keys its backoff
//     by pod UID and image string. A pod still waiting NodeTimeout after
//     the node's successful pull is treated as if the node had failed. The node's pull is the nudge of an
//     IfNotPresent image volume; what cannot be nudged in place (an Always
//     image volume, one the node could not pull, an image already pinned
//     by digest) is recreated only when a
//     controller owns the pod (ownerReference controller=true) and the pod
//     or its namespace carries podmeta.RecreateOnFix "true"; a bare pod is
//     never deleted.
//
// When it diagnoses again: on the package recheck schedule (Options
// RecheckInterval 2s doubling to RecheckMax 30s, jittered), one schedule
// per image and credential (namespace, image, pull secret names or
// service account) shared by every pod waiting on it, the registry's
// answers (ping, manifest HEAD, tags) serving them all for a second, so
// that a re-check of 200 pods on one missing tag is one HEAD; at once when a
// Secret or ServiceAccount the pod uses is created or changed in its
// namespace, and on a new podmeta.RetryRequested value (written by
// `pullwarden retry pod` against a cluster), which retries whether or not
// the diagnosis passes.
//
// Run starts a manager with leader election (Lease
// "pullwarden-controller"), an informer cache restricted to
// Options.Namespace when set (Secrets watched as metadata only: their
// values are read only through diagnose/kube to build the keyring), health
// and readiness probes, and Prometheus metrics on controller-runtime's
// registry: pullwarden_controller_pods_waiting{cause},
// pullwarden_controller_fix_to_running_seconds{trigger} and
// pullwarden_controller_retries_total{trigger}.
//
// ClusterRules and LeaderRules are the RBAC the controller needs; the
// tests run it as a service account bound to exactly those.
//
// Time comes from Options.Clock (package clock): tests step a fake.
package controller
