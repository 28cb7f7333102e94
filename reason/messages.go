package reason

import (
	"fmt"
	"strings"
	"time"
)

// PullingImage is the Normal/Pulling message written before a pull.
func PullingImage(image string) string {
	return fmt.Sprintf("Pulling image %q", image)
}

// SuccessfullyPulled is the Normal/Pulled message after a pull: pull is the
// time the runtime spent pulling, total includes waiting for a pull slot,
// size is the image size in bytes. Durations are truncated to milliseconds
// as the kubelet does.
func SuccessfullyPulled(image string, pull, total time.Duration, size int64) string {
	return fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes.",
		image, pull.Truncate(time.Millisecond), total.Truncate(time.Millisecond), size)
}

// AlreadyPresent is the Normal/Pulled message when no pull is needed.
func AlreadyPresent(image string) string {
	return fmt.Sprintf("Container image %q already present on machine", image)
}

// AlreadyPresentAccessible is the 1.33+ variant of AlreadyPresent used when
// the kubelet has checked that the pod's credentials may use the image.
func AlreadyPresentAccessible(image string) string {
	return fmt.Sprintf("Container image %q already present on machine and can be accessed by the pod", image)
}

// FailedToPull is the Warning/Failed message of a failed pull; err is the
// runtime's error text.
func FailedToPull(image string, err error) string {
	return fmt.Sprintf("Failed to pull image %q: %v", image, err)
}

// ErrorReason is the Warning/Failed message the kubelet writes when a
// container cannot be started: "Error: " followed by the waiting reason
// (ErrImagePull, ImagePullBackOff, ...) or the runtime's error text.
func ErrorReason(reason string) string {
	return "Error: " + reason
}

// BackOffPulling is the Normal/BackOff event message written at each sync
// inside the image pull backoff window.
func BackOffPulling(image string) string {
	return fmt.Sprintf("Back-off pulling image %q", image)
}

// BackOffPullingMessage is the ImagePullBackOff waiting message:
// `Back-off pulling image "X": <last reason>: <last message>`. With no
// remembered failure (lastReason and lastMessage empty, as after a kubelet
// restart) it is just BackOffPulling(image).
func BackOffPullingMessage(image, lastReason, lastMessage string) string {
	msg := BackOffPulling(image)
	if lastReason == "" && lastMessage == "" {
		return msg
	}
	return fmt.Sprintf("%s: %s: %s", msg, lastReason, lastMessage)
}

// NeverPull is the Warning/ErrImageNeverPull message and the
// ErrImageNeverPull waiting message.
func NeverPull(image string) string {
	return fmt.Sprintf("Container image %q is not present with pull policy of Never", image)
}

// InspectFailed is the Warning/InspectFailed message and the
// InvalidImageName waiting message for an image name that cannot be parsed.
func InspectFailed(image string, err error) string {
	return fmt.Sprintf("Failed to apply default image tag %q: %v", image, err)
}

// FailedToInspect is the Warning/InspectFailed message (waiting reason
// ImageInspectError) when the runtime cannot tell whether an image is present.
func FailedToInspect(image string, err error) string {
	return fmt.Sprintf("Failed to inspect image %q: %v", image, err)
}

// RegistryUnavailableMessage is the waiting message when the runtime reports
// RegistryUnavailable. detail is what followed "RegistryUnavailable" in the
// runtime's error (for example ": connection refused"), appended verbatim.
func RegistryUnavailableMessage(image, detail string) string {
	return fmt.Sprintf("image pull failed for %s because the registry is unavailable%s", image, detail)
}

// SignatureValidationFailedMessage is the waiting message when the runtime
// reports SignatureValidationFailed; detail is appended verbatim.
func SignatureValidationFailedMessage(image, detail string) string {
	return fmt.Sprintf("image pull failed for %s because the signature validation failed%s", image, detail)
}

// FailedToRetrieveImagePullSecret is the Warning message written on the pod
// when some of its imagePullSecrets cannot be read; the pull is still tried.
func FailedToRetrieveImagePullSecret(missing []string) string {
	return fmt.Sprintf("Unable to retrieve some image pull secrets (%s); attempting to pull the image may not succeed.",
		strings.Join(missing, ", "))
}

// ContainerCreated is the Normal/Created message after a container is
// created. Kubelets from 1.36 on no longer name the container in it (1.32:
// "Created container: c"); kubectl shows the container through the event's
// fieldPath.
const ContainerCreated = "Container created"

// ContainerStarted is the Normal/Started message after a container is
// started (1.32: "Started container c").
const ContainerStarted = "Container started"

// KillingContainer is the Normal/Killing message when the kubelet stops a
// container without a more specific reason.
func KillingContainer(name string) string {
	return "Stopping container " + name
}

// DefinitionChanged is the Normal/Killing message when a running
// container's spec changed (its image): the kubelet kills it and starts it
// again from the new spec.
func DefinitionChanged(name string) string {
	return fmt.Sprintf("Container %s definition changed, will be restarted", name)
}

// PodDesc formats a pod the kubelet's way: name_namespace(uid).
func PodDesc(name, namespace, uid string) string {
	return fmt.Sprintf("%s_%s(%s)", name, namespace, uid)
}

// BackOffRestarting is the Warning/BackOff event message inside the
// crash-loop backoff window; pod is PodDesc(...).
func BackOffRestarting(container, pod string) string {
	return fmt.Sprintf("Back-off restarting failed container %s in pod %s", container, pod)
}

// CrashLoopMessage is the CrashLoopBackOff waiting message; d is the current
// backoff ("back-off 20s restarting failed container=c pod=p_ns(uid)").
func CrashLoopMessage(d time.Duration, container, pod string) string {
	return fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", d, container, pod)
}

// Scheduled is the scheduler's Normal/Scheduled message.
func Scheduled(namespace, name, node string) string {
	return fmt.Sprintf("Successfully assigned %s/%s to %s", namespace, name, node)
}

// InitStatus is the kubectl STATUS of a pod whose init container is waiting
// or terminated with reason r: "Init:" + r (Init:ErrImagePull, Init:Error).
func InitStatus(r string) string {
	return StatusInitPrefix + r
}

// InitProgress is the kubectl STATUS while init containers run: Init:done/total.
func InitProgress(done, total int) string {
	return fmt.Sprintf("%s%d/%d", StatusInitPrefix, done, total)
}

// WaitingForFix is the ImagePullBackOff waiting message of the smart retry
// policy: the kubelet's `Back-off pulling image "X"` prefix, then the cause,
// the failure, what fixes it and when pullwarden looks again:
// `Back-off pulling image "X": TagNotFound: <message>; fix: <hint>; <next>`.
func WaitingForFix(image, causeReason, message, hint, next string) string {
	return fmt.Sprintf("%s: %s: %s; fix: %s; %s", BackOffPulling(image), causeReason, message, hint, next)
}

// PullRetried is the Normal/PullRetried event message: a pull waiting on a
// fix is retried now because of trigger ("the tag was found by a re-check",
// "retry requested", ...).
func PullRetried(image, trigger string) string {
	return fmt.Sprintf("Retrying image %q now: %s", image, trigger)
}

// PullsRetried is the PullRetried message when no particular image was
// held (`pullwarden retry pod` on a pod in the kubelet's backoff).
func PullsRetried(trigger string) string {
	return "Retrying image pulls now: " + trigger
}

// ServedByMirror is appended to the Pulled event's message when a mirror
// (containerd hosts.toml) served the image: ` (served by mirror HOST)`.
func ServedByMirror(host string) string {
	return fmt.Sprintf(" (served by mirror %s)", host)
}
