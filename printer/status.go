package printer

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// summary is what the pod table derives from a pod's status.
type summary struct {
	status      string
	ready       int
	total       int
	restarts    int
	lastRestart time.Time
}

// PodStatus is the STATUS word kubectl shows for pod: the pod's reason or
// phase, overridden by the first unfinished init container
// (Init:N/M, Init:<reason>, Init:ExitCode:N, Init:Signal:N), then by the
// regular containers (their waiting or terminated reason, ExitCode:N,
// Signal:N; Completed turns back into Running, NotReady or the error reason
// while some container still runs), and finally Terminating (or Unknown for a
// lost node) once a deletion timestamp is set on a pod that has not finished.
func PodStatus(pod *corev1.Pod) string {
	return podSummary(pod).status
}

// isRestartableInit reports whether c is a sidecar: an init container with
// restartPolicy Always.
func isRestartableInit(c *corev1.Container) bool {
	return c != nil && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// podSummary follows the apiserver's printPod step by step.
func podSummary(pod *corev1.Pod) summary {
	s := summary{total: len(pod.Spec.Containers), status: string(pod.Status.Phase)}
	if pod.Status.Reason != "" {
		s.status = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			s.status = corev1.PodReasonSchedulingGated
		}
	}

	inits := make(map[string]*corev1.Container, len(pod.Spec.InitContainers))
	for i := range pod.Spec.InitContainers {
		inits[pod.Spec.InitContainers[i].Name] = &pod.Spec.InitContainers[i]
		if isRestartableInit(&pod.Spec.InitContainers[i]) {
			s.total++
		}
	}

	sidecarRestarts := 0
	var lastSidecarRestart time.Time
	initializing := false
	for i, st := range pod.Status.InitContainerStatuses {
		sidecar := isRestartableInit(inits[st.Name])
		s.restarts += int(st.RestartCount)
		if t := st.LastTerminationState.Terminated; t != nil {
			s.lastRestart = later(s.lastRestart, t.FinishedAt.Time)
			if sidecar {
				lastSidecarRestart = later(lastSidecarRestart, t.FinishedAt.Time)
			}
		}
		if sidecar {
			sidecarRestarts += int(st.RestartCount)
		}
		switch {
		case st.State.Terminated != nil && st.State.Terminated.ExitCode == 0:
			continue
		case sidecar && st.Started != nil && *st.Started:
			if st.Ready {
				s.ready++
			}
			continue
		case st.State.Terminated != nil:
			t := st.State.Terminated
			switch {
			case t.Reason != "":
				s.status = "Init:" + t.Reason
			case t.Signal != 0:
				s.status = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				s.status = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case st.State.Waiting != nil && st.State.Waiting.Reason != "" && st.State.Waiting.Reason != "PodInitializing":
			s.status = "Init:" + st.State.Waiting.Reason
		default:
			s.status = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}

	if !initializing || conditionTrue(pod.Status.Conditions, corev1.PodInitialized) {
		s.restarts = sidecarRestarts
		s.lastRestart = lastSidecarRestart
		s.status = containersStatus(pod, s.status, &s)
	}

	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Reason == nodeUnreachablePodReason:
		s.status = "Unknown"
	case pod.DeletionTimestamp != nil && !terminal:
		s.status = "Terminating"
	}
	return s
}

// containersStatus applies the regular containers, last to first, to the
// status word; it adds their restarts and readiness to s.
func containersStatus(pod *corev1.Pod, status string, s *summary) string {
	hasRunning := false
	errorReason := ""
	for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
		st := pod.Status.ContainerStatuses[i]
		s.restarts += int(st.RestartCount)
		if t := st.LastTerminationState.Terminated; t != nil {
			s.lastRestart = later(s.lastRestart, t.FinishedAt.Time)
		}
		switch {
		case st.State.Waiting != nil && st.State.Waiting.Reason != "":
			status = st.State.Waiting.Reason
		case st.State.Terminated != nil:
			t := st.State.Terminated
			switch {
			case t.Reason != "":
				status = t.Reason
			case t.Signal != 0:
				status = fmt.Sprintf("Signal:%d", t.Signal)
			default:
				status = fmt.Sprintf("ExitCode:%d", t.ExitCode)
			}
			if t.ExitCode != 0 {
				errorReason = status
			}
		case st.Ready && st.State.Running != nil:
			hasRunning = true
			s.ready++
		}
	}
	if status == "Completed" {
		switch {
		case hasRunning && conditionTrue(pod.Status.Conditions, corev1.PodReady):
			status = "Running"
		case errorReason != "":
			status = errorReason
		case hasRunning:
			status = "NotReady"
		}
	}
	return status
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// conditionTrue reports whether the first condition of type t is True. Like
// the apiserver, it only looks at the first condition of that type.
func conditionTrue(conds []corev1.PodCondition, t corev1.PodConditionType) bool {
	for _, c := range conds {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
