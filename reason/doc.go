// Package reason is the one place for the strings the kubelet shows users:
// container waiting and terminated reasons, event reasons and types, event
// and waiting messages, and the kubectl STATUS words built from them.
//
// Every string here is byte-for-byte what a v1.37 kubelet (with containerd)
// writes, checked against the kubelet's source (pkg/kubelet/images,
// pkg/kubelet/events, pkg/kubelet/kuberuntime, pkg/kubelet/kubelet_pods.go,
// k8s.io/cri-api/pkg/errors) and against /work/shared/KUBELET_SEMANTICS.md.
// Tests pin each one; change a string only with a source reference.
//
// Naming: a bare name is a container state reason (ErrImagePull,
// CrashLoopBackOff, Completed); an Event prefix marks an event reason
// (EventPulling, EventFailed, EventBackOff) because several event reasons
// reuse the same word for different things ("Failed", "BackOff"). The
// message constructors are named after the situation (PullingImage,
// SuccessfullyPulled, BackOffPullingMessage, ...).
//
// Version notes:
//   - The target is the 1.37 kubelet. ContainerCreated / ContainerStarted
//     are its texts ("Container created", "Container started"); 1.32 wrote
//     "Created container: c" and "Started container c".
//     FailedToRetrieveImagePullSecret names the secrets without their
//     namespace.
//   - AlreadyPresentAccessible is the 1.33+ text used when the kubelet
//     verifies pull credentials for present images
//     (KubeletEnsureSecretPulledImages); the default is AlreadyPresent.
//
// Durations in event texts are formatted the kubelet's way: truncated to the
// millisecond, then time.Duration.String ("22ms", "1.594s", "1m2.5s").
package reason
