package pod

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
)

// ensureImage is the kubelet's image manager step for one container: one
// call to the image manager, whose steps become the kubelet's events. It
// returns the image to create the container from, or the waiting reason and
// message that keep the container from starting.
func (m *Manager) ensureImage(ctx context.Context, pod *corev1.Pod, c *corev1.Container, fieldPath string, keyring credential.Keyring) (image, why, msg string, retryAt time.Time) {
	res, err := m.cfg.Images.Ensure(ctx, pull.EnsureRequest{
		Image:      c.Image,
		Policy:     policy.Policy(c.ImagePullPolicy),
		Keyring:    keyring,
		BackoffKey: backoff.Key(string(pod.UID), c.Image),
		Observer:   podEvents{m.cfg.Recorder, pod, fieldPath},
		Retry:      retryPolicy(pod),
		Waiter:     string(pod.UID),
	})
	if err != nil {
		var f *pull.Failure
		if errors.As(err, &f) {
			return "", f.Reason, f.Message, f.RetryAt
		}
		return "", reason.ErrImagePull, err.Error(), time.Time{}
	}
	return res.Image, "", "", time.Time{}
}

// retryPolicy is the pod's annotation pullwarden.io/retry-policy, when it
// names a policy; "" (the agent's) otherwise.
func retryPolicy(pod *corev1.Pod) pull.RetryPolicy {
	v, ok := pod.Annotations[pull.RetryPolicyAnnotation]
	if !ok {
		return ""
	}
	p, err := pull.ParseRetryPolicy(v)
	if err != nil {
		return ""
	}
	return p
}

// Retried is told by the image manager that the pulls of some pods may run
// now (a re-check found the image, a secret changed, `pullwarden retry`):
// each pod gets a Normal PullRetried event naming the trigger and syncs at
// once.
func (m *Manager) Retried(r pull.Retried) {
	for _, uid := range r.Waiters {
		m.mu.Lock()
		w, ok := m.workers[types.UID(uid)]
		m.mu.Unlock()
		if !ok {
			continue
		}
		msg := reason.PullRetried(r.Image, string(r.Trigger))
		if r.Image == "" {
			msg = reason.PullsRetried(string(r.Trigger))
		}
		m.cfg.Recorder.Event(w.current(), "", reason.TypeNormal, reason.EventPullRetried, msg)
		w.poke()
	}
}

// podEvents turns the image manager's steps into the kubelet's events on a
// container.
type podEvents struct {
	r         Recorder
	pod       *corev1.Pod
	fieldPath string
}

func (o podEvents) Observe(e pull.Event) {
	event := func(eventtype, why, message string) { o.r.Event(o.pod, o.fieldPath, eventtype, why, message) }
	switch e.Kind {
	case pull.EventInvalidName:
		event(reason.TypeWarning, reason.EventInspectFailed, reason.InspectFailed(e.Image, e.Err))
	case pull.EventInspectFailed:
		event(reason.TypeWarning, reason.EventInspectFailed, reason.FailedToInspect(e.Image, e.Err))
	case pull.EventNeverPull:
		event(reason.TypeWarning, reason.EventErrImageNeverPull, reason.NeverPull(e.Image))
	case pull.EventPresent:
		if e.Verified {
			event(reason.TypeNormal, reason.EventPulled, reason.AlreadyPresentAccessible(e.Image))
		} else {
			event(reason.TypeNormal, reason.EventPulled, reason.AlreadyPresent(e.Image))
		}
	case pull.EventBackOff:
		event(reason.TypeNormal, reason.EventBackOff, reason.BackOffPulling(e.Image))
	case pull.EventPulling:
		event(reason.TypeNormal, reason.EventPulling, reason.PullingImage(e.Image))
	case pull.EventPullFailed:
		event(reason.TypeWarning, reason.EventFailed, reason.FailedToPull(e.Image, errors.New(e.Message)))
	case pull.EventPulled:
		msg := reason.SuccessfullyPulled(e.Image, e.Pull, e.Total, e.Result.Size)
		if e.Result.Mirror != "" {
			msg += reason.ServedByMirror(e.Result.Mirror)
		}
		event(reason.TypeNormal, reason.EventPulled, msg)
	}
}
