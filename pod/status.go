package pod

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/qos"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/runtime"
)

func metaTime(t time.Time) metav1.Time {
	if t.IsZero() {
		return metav1.Time{}
	}
	return metav1.NewTime(t.Truncate(time.Second))
}

// status computes the pod status the kubelet would write.
func (m *Manager) status(pod *corev1.Pod, st *podState) corev1.PodStatus {
	s := corev1.PodStatus{
		ObservedGeneration: pod.Generation,
		HostIP:             m.cfg.NodeIP,
		PodIP:              m.cfg.NodeIP,
		StartTime:          &metav1.Time{Time: st.startTime.Truncate(time.Second)},
		QOSClass:           qosClass(pod),
	}
	if m.cfg.NodeIP != "" {
		s.HostIPs = []corev1.HostIP{{IP: m.cfg.NodeIP}}
		s.PodIPs = []corev1.PodIP{{IP: m.cfg.NodeIP}}
	}
	hasInit := len(pod.Spec.InitContainers) > 0
	for _, c := range pod.Spec.InitContainers {
		cs := m.containerStatus(c, st, hasInit)
		// A completed init container is ready (kubelet 1.37).
		if t := cs.State.Terminated; t != nil && t.ExitCode == 0 {
			cs.Ready = true
		}
		s.InitContainerStatuses = append(s.InitContainerStatuses, cs)
	}
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, m.containerStatus(c, st, hasInit))
	}
	s.Phase = phase(pod, s)
	if st.ended {
		s.Phase, s.Reason, s.Message = corev1.PodFailed, reason.DeadlineExceeded, reason.DeadlineExceededMessage
	}
	s.Conditions = m.conditions(pod, st, s)
	return s
}

// containerStatus reports one container. Before its first container exists
// it waits with ContainerCreating, or PodInitializing in a pod with init
// containers, unless a failure explains the wait.
func (m *Manager) containerStatus(c corev1.Container, st *podState, hasInit bool) corev1.ContainerStatus {
	cs := st.ctr(c.Name)
	out := corev1.ContainerStatus{Name: c.Name, Image: c.Image, RestartCount: int32(cs.attempt)}
	f := false
	out.Started = &f
	if cs.created() {
		// The image the container runs, until a restart picks up a changed one.
		if cs.image != "" {
			out.Image = cs.image
		}
		out.ContainerID = containerID(cs.id)
		out.ImageID = cs.status.ImageRef
		if cs.status.Image != "" && out.ImageID == "" {
			out.ImageID = cs.status.ImageID
		}
	}
	if cs.last != nil {
		out.LastTerminationState = corev1.ContainerState{Terminated: cs.last}
	}
	switch {
	case cs.waiting != nil:
		out.State = corev1.ContainerState{Waiting: cs.waiting.DeepCopy()}
		if cs.exited() {
			out.LastTerminationState = corev1.ContainerState{Terminated: cs.terminated()}
		}
	case !cs.created():
		w := reason.ContainerCreating
		if hasInit {
			w = reason.PodInitializing
		}
		out.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: w}}
	case cs.status.State == runtime.StateRunning:
		t := true
		out.Started, out.Ready = &t, true
		out.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metaTime(cs.status.StartedAt)}}
	case cs.status.State == runtime.StateExited:
		out.State = corev1.ContainerState{Terminated: cs.terminated()}
	default:
		out.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason.ContainerCreating}}
	}
	return out
}

// phase follows the kubelet's getPhase for pods without sidecars.
func phase(pod *corev1.Pod, s corev1.PodStatus) corev1.PodPhase {
	never := pod.Spec.RestartPolicy == corev1.RestartPolicyNever
	pendingInit, failedInit := 0, 0
	for _, c := range s.InitContainerStatuses {
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
		case c.State.Terminated != nil:
			failedInit++
		case c.State.Waiting != nil && c.LastTerminationState.Terminated != nil && c.LastTerminationState.Terminated.ExitCode != 0:
			failedInit++
		default:
			pendingInit++
		}
	}
	if failedInit > 0 && never {
		return corev1.PodFailed
	}
	if pendingInit > 0 || failedInit > 0 {
		return corev1.PodPending
	}
	running, waiting, stopped, succeeded := 0, 0, 0, 0
	for _, c := range s.ContainerStatuses {
		switch {
		case c.State.Running != nil:
			running++
		case c.State.Terminated != nil:
			stopped++
			if c.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case c.State.Waiting != nil && c.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped > 0:
		if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		if never {
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}

func (m *Manager) conditions(pod *corev1.Pod, st *podState, s corev1.PodStatus) []corev1.PodCondition {
	now := metav1.NewTime(m.cfg.Clock.Now().Truncate(time.Second))
	// A condition keeps its lastTransitionTime while its status stays: the
	// previous values are the last status written, or, before the first
	// write, the stored pod's (PodScheduled set by the binding, or the
	// status an earlier agent wrote).
	previous := pod.Status.Conditions
	if st.written != nil {
		previous = st.written.Conditions
	}
	cond := func(t corev1.PodConditionType, ok bool, why, msg string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, ObservedGeneration: pod.Generation, Status: corev1.ConditionTrue, LastTransitionTime: now}
		if !ok {
			c.Status, c.Reason, c.Message = corev1.ConditionFalse, why, msg
		}
		for _, old := range previous {
			if old.Type == t && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		return c
	}
	terminal := s.Phase == corev1.PodSucceeded || s.Phase == corev1.PodFailed
	var notInit, notReady []string
	for _, c := range s.InitContainerStatuses {
		if c.State.Terminated == nil || c.State.Terminated.ExitCode != 0 {
			notInit = append(notInit, c.Name)
		}
	}
	for _, c := range s.ContainerStatuses {
		if !c.Ready {
			notReady = append(notReady, c.Name)
		}
	}
	initWhy, readyWhy := "ContainersNotInitialized", "ContainersNotReady"
	if terminal {
		readyWhy = "PodCompleted"
		if s.Phase == corev1.PodSucceeded {
			initWhy, notInit = "PodCompleted", nil
		}
	}
	list := func(names []string) string { return "[" + strings.Join(names, " ") + "]" }
	readyMsg := fmt.Sprintf("containers with unready status: %s", list(notReady))
	if terminal {
		readyMsg = ""
	}
	return []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, st.sandboxID != "" && !terminal, "", ""),
		cond(corev1.PodInitialized, len(notInit) == 0, initWhy, fmt.Sprintf("containers with incomplete status: %s", list(notInit))),
		cond(corev1.PodReady, len(notReady) == 0 && !terminal, readyWhy, readyMsg),
		cond(corev1.ContainersReady, len(notReady) == 0 && !terminal, readyWhy, readyMsg),
		cond(corev1.PodScheduled, true, "", ""),
	}
}

// qosClass is the pod's QoS class (package qos).
func qosClass(pod *corev1.Pod) corev1.PodQOSClass { return qos.Class(&pod.Spec) }
