package pod

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"

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
func (m *Manager) ensureImage(ctx context.Context, pod *corev1.Pod, c *corev1.Container, fieldPath string, keyring credential.Keyring) (image, why, msg string) {
	res, err := m.cfg.Images.Ensure(ctx, pull.EnsureRequest{
		Image:      c.Image,
		Policy:     policy.Policy(c.ImagePullPolicy),
		Keyring:    keyring,
		BackoffKey: backoff.Key(string(pod.UID), c.Image),
		Observer:   podEvents{m.cfg.Recorder, pod, fieldPath},
	})
	if err != nil {
		var f *pull.Failure
		if errors.As(err, &f) {
			return "", f.Reason, f.Message
		}
		return "", reason.ErrImagePull, err.Error()
	}
	return res.Image, "", ""
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
		event(reason.TypeNormal, reason.EventPulled, reason.SuccessfullyPulled(e.Image, e.Pull, e.Total, e.Result.Size))
	}
}
