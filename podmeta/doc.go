// Package podmeta names what pullwarden reads and writes on Kubernetes
// objects on a real cluster: the annotations that carry requests between
// the kubectl plugin, the controller and the node DaemonSet, the pod
// condition of the controller's diagnosis and the components that sign
// events and field managers. It is the one source of these strings; it
// imports no Kubernetes client.
//
// The protocol, all on the pod object (no CRD, no RPC between pods):
//
//  1. The controller diagnoses a pod whose containers wait on their image
//     (ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull)
//     with the pod's own credentials and writes the ConditionImagePull
//     condition (status False, reason the cause) and one Warning event per
//     change of cause.
//  2. When the cause is fixed (or RetryRequested changes) the controller
//     writes a new token into PullRequest.
//  3. The node DaemonSet on the pod's node sees the token, pulls the pod's
//     waiting images into the node's containerd with the pod's credentials
//     and answers in PullResult (a JSON PullResultValue). That pod update
//     makes the kubelet sync the pod at once: an IfNotPresent container
//     finds its image and starts.
//  4. For an Always container (the kubelet pulls anyway, and keys its
//     backoff by pod UID and image string) the controller then pins the
//     container's image to the verified digest (name:tag@sha256:...),
//     recording the images as written in OriginalImages. An IfNotPresent
//     container still waiting shortly after the node's answer (a kubelet
//     that verifies the pod's credentials pulls anyway) is pinned too, as
//     is any container when the node did not answer.
//  5. Once the pod's images are pulled the condition turns True.
package podmeta
