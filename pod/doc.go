// Package pod runs pods on one node the way the kubelet does: sandbox,
// init containers in order, then the regular containers, each image pulled
// right before its container is created, with the kubelet's pull policy,
// credentials, image pull backoff, crash-loop backoff, container states,
// pod phase, conditions and events.
//
// A Manager keeps one worker per pod. A worker syncs its pod when the pod
// changes, when one of its containers changes state (containers are polled
// every second, as the kubelet's PLEG relists), and, while the pod is
// failing, at the kubelet's resync period of 10 s plus up to 50 % jitter.
// Under the kubelet retry policy there is no timer on the image pull
// backoff: the retry happens at the first sync after the backoff window
// ends, exactly as in the kubelet. Under the smart policy (the image
// manager's default; a pod chooses with the annotation
// pullwarden.io/retry-policy) a transient failure's Failure.RetryAt brings
// the next sync forward, and Manager.Retried, called when the image
// manager releases a held pull (a re-check, a changed secret, a push, the
// registry back, `pullwarden retry`), writes a Normal PullRetried event
// naming the trigger and syncs the pod at once. A removed pod is dropped
// from the pulls it waited on.
//
// As the 1.37 kubelet's SyncPod, a sync first writes the status computed
// from the runtime state and the waiting reasons the previous sync left,
// then acts. So a new pod shows ContainerCreating during its first pull,
// PodInitializing while the app image is pulled after the init containers,
// and a failed pull shows ErrImagePull one sync (10-15 s) later, flipping
// with ImagePullBackOff at each sync. The status is written only when it
// changed, and a condition's lastTransitionTime moves only when its status
// does. Status and conditions carry observedGeneration; a completed init
// container is ready. Missing imagePullSecrets are reported (names only)
// after a sync whose pull failed.
//
// Spec changes the API server allows are acted on as the kubelet does (see
// change.go): a changed image restarts its running container from the new
// image; activeDeadlineSeconds ends the pod (Failed, DeadlineExceeded).
//
// The package knows nothing of HTTP, bbolt or cobra: it gets the objects it
// needs, a container runtime, an image service, an event recorder and a clock
// through small interfaces.
package pod
