package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/reference"
)

// ensureImage is the kubelet's image manager step for one container. It
// returns the image to create the container from, or the waiting reason and
// message that keep the container from starting.
func (m *Manager) ensureImage(ctx context.Context, pod *corev1.Pod, c *corev1.Container, fieldPath string, keyring credential.Keyring) (image, why, msg string) {
	event := func(eventtype, r, message string) { m.cfg.Recorder.Event(pod, fieldPath, eventtype, r, message) }

	ref, err := reference.Parse(c.Image)
	if err != nil {
		msg := reason.InspectFailed(c.Image, err)
		event(reason.TypeWarning, reason.EventInspectFailed, msg)
		return "", reason.InvalidImageName, msg
	}
	_, present, err := m.cfg.Images.Present(ctx, ref)
	if err != nil {
		msg := reason.FailedToInspect(c.Image, err)
		event(reason.TypeWarning, reason.EventInspectFailed, msg)
		return "", reason.ImageInspectError, msg
	}
	pol := policy.Policy(c.ImagePullPolicy).Or(c.Image)
	decision, err := policy.Decide(pol, c.Image, present)
	if err != nil {
		msg := reason.NeverPull(c.Image)
		event(reason.TypeWarning, reason.EventErrImageNeverPull, msg)
		return "", reason.ErrImageNeverPull, msg
	}
	if decision == policy.UsePresent {
		event(reason.TypeNormal, reason.EventPulled, reason.AlreadyPresent(c.Image))
		return ref.String(), "", ""
	}

	key := backoff.Key(string(pod.UID), c.Image)
	now := m.cfg.Clock.Now()
	if m.pulls.IsInBackOffSinceUpdate(key, now) {
		event(reason.TypeNormal, reason.EventBackOff, reason.BackOffPulling(c.Image))
		lastReason, lastMsg, _ := m.pulls.Last(key)
		return "", reason.ImagePullBackOff, reason.BackOffPullingMessage(c.Image, lastReason, lastMsg)
	}

	event(reason.TypeNormal, reason.EventPulling, reason.PullingImage(c.Image))
	start := m.cfg.Clock.Now()
	res, err := m.cfg.Images.Pull(ctx, pull.Request{Image: c.Image, Policy: pol, Keyring: keyring})
	if err != nil {
		if ctx.Err() != nil {
			return "", reason.ErrImagePull, err.Error()
		}
		text := pullError(err)
		event(reason.TypeWarning, reason.EventFailed, fmt.Sprintf("Failed to pull image %q: %s", c.Image, text))
		m.pulls.Fail(key, reason.ErrImagePull, text)
		return "", reason.ErrImagePull, text
	}
	total := m.cfg.Clock.Since(start)
	event(reason.TypeNormal, reason.EventPulled,
		reason.SuccessfullyPulled(c.Image, total-res.Waited, total, res.Size))
	m.pulls.GC()
	return ref.String(), "", ""
}

// pullError is the error text shown in events and waiting messages: the
// classified cause first, so that a person sees what to act on.
func pullError(err error) string {
	c := cause.Of(err)
	return fmt.Sprintf("%s: %s", c.Reason(), err.Error())
}
