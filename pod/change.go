package pod

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/reason"
)

// What the API server lets a user change on a running pod, and what the
// kubelet does about it:
//   - a container's image: the container is killed ("Container app
//     definition changed, will be restarted") and started from the new image
//     (restart count + 1, the pull events), whatever the restart policy
//     (syncRegular). A completed or running regular init container is not
//     run again, as in the kubelet; its status keeps the image it ran.
//   - activeDeadlineSeconds: once the pod has been active that long (from
//     status.startTime), every container is killed and the pod is Failed
//     with reason DeadlineExceeded.
//   - tolerations (additions), terminationGracePeriodSeconds and labels or
//     annotations: nothing to do on the node; the grace period is read when
//     a container is stopped.

// gracePeriod is the grace period the deletion asked for
// (deletionGracePeriodSeconds, kubectl delete --grace-period), else the pod's
// terminationGracePeriodSeconds (default 30 s).
func gracePeriod(pod *corev1.Pod) time.Duration {
	if pod.DeletionGracePeriodSeconds != nil {
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

// kill stops a running container with a Killing event and reads its final
// state.
func (m *Manager) kill(ctx context.Context, pod *corev1.Pod, cs *ctr, fieldPath, message string) {
	m.cfg.Recorder.Event(pod, fieldPath, reason.TypeNormal, reason.EventKilling, message)
	if err := m.cfg.Runtime.StopContainer(ctx, cs.id, gracePeriod(pod)); err != nil {
		m.logger.Warn("stopping container", "pod", pod.Namespace+"/"+pod.Name, "container", cs.id, "error", err)
	}
	if s, err := m.cfg.Runtime.ContainerStatus(ctx, cs.id); err == nil {
		cs.status = s
	}
}

// deadline is when the pod's activeDeadlineSeconds ends; zero without one.
func deadline(pod *corev1.Pod, st *podState) time.Time {
	if pod.Spec.ActiveDeadlineSeconds == nil {
		return time.Time{}
	}
	return st.startTime.Add(time.Duration(*pod.Spec.ActiveDeadlineSeconds) * time.Second)
}

// pastDeadline reports whether the pod must be ended for its deadline.
func (m *Manager) pastDeadline(pod *corev1.Pod, st *podState) bool {
	d := deadline(pod, st)
	return !st.ended && !d.IsZero() && !m.cfg.Clock.Now().Before(d)
}

// endPastDeadline kills every running container of a pod that ran past its
// deadline; the next status is Failed with reason DeadlineExceeded.
func (m *Manager) endPastDeadline(ctx context.Context, pod *corev1.Pod, st *podState) {
	m.cfg.Recorder.Event(pod, "", reason.TypeNormal, reason.EventDeadlineExceeded, reason.DeadlineExceededMessage)
	st.ended = true
	for name, cs := range st.containers {
		cs.waiting = nil
		if cs.running() {
			m.kill(ctx, pod, cs, containerFieldPath(pod, name), reason.KillingContainer(name))
		}
	}
}

// capAtDeadline shortens delay so that the sync after the pod's deadline
// comes at most a relist period late (the kubelet checks deadlines at every
// one-second sync-loop tick).
func (m *Manager) capAtDeadline(pod *corev1.Pod, st *podState, delay time.Duration) time.Duration {
	d := deadline(pod, st)
	if d.IsZero() || st.ended {
		return delay
	}
	if left := d.Sub(m.cfg.Clock.Now()); left < delay {
		return max(left, 0) + RelistPeriod/10
	}
	return delay
}
