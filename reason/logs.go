package reason

import "fmt"

// The kubelet's answers to a log request for a container that has no log
// (kubelet validateContainerLogStatus); kubectl prints them after
// "Error from server (BadRequest): ".

// LogsNotAvailable is the answer for a container without status yet.
func LogsNotAvailable(container, pod string) string {
	return fmt.Sprintf("container %q in pod %q is not available", container, pod)
}

// LogsWaiting is the answer for a waiting container that never ran, by its
// waiting reason.
func LogsWaiting(container, pod, waitingReason string) string {
	switch waitingReason {
	case ErrImagePull:
		return fmt.Sprintf("container %q in pod %q is waiting to start: image can't be pulled", container, pod)
	case ImagePullBackOff:
		return fmt.Sprintf("container %q in pod %q is waiting to start: trying and failing to pull image", container, pod)
	}
	return fmt.Sprintf("container %q in pod %q is waiting to start: %v", container, pod, waitingReason)
}

// LogsNoneYet is the answer for a container in no recognised state.
func LogsNoneYet(container, pod string) string {
	return fmt.Sprintf("container %q in pod %q is waiting to start - no logs yet", container, pod)
}

// LogsTerminated is the answer for a terminated container whose log is
// gone.
func LogsTerminated(container, pod string) string {
	return fmt.Sprintf("container %q in pod %q is terminated", container, pod)
}
