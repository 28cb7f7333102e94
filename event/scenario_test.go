package event_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/reason"
)

// TestLongFailureSilencesRecovery replays KUBELET_SEMANTICS §10: a pod whose
// image is missing for 20 minutes, synced every 10-15 s, emits events until
// its Normal bucket (25) is empty after about 5 minutes; when the image
// appears, the Pulled/Created/Started events are dropped.
func TestLongFailureSilencesRecovery(t *testing.T) {
	t.Parallel()
	r, m, c := newRecorder(t)
	rng := rand.New(rand.NewPCG(7, 11))
	bo := backoff.NewImagePull(c)
	const image = "registry.local/app:v2"
	pod := event.PodRef("default", "app", "a1b2")
	ctr := pod.Container("app")
	key := backoff.Key("a1b2", image)
	pullErr := errors.New(`rpc error: code = NotFound desc = failed to pull and unpack image "registry.local/app:v2": not found`)

	var firstDropped time.Duration
	normal := func(rsn, msg string) *corev1.Event {
		ev := record(t, r, ctr, reason.TypeNormal, rsn, msg)
		if ev == nil && firstDropped == 0 {
			firstDropped = c.Since(epoch)
		}
		return ev
	}
	warning := func(msg string) { record(t, r, ctr, reason.TypeWarning, reason.EventFailed, msg) }

	for c.Since(epoch) < 20*time.Minute {
		if bo.InBackOff(key) {
			normal(reason.EventBackOff, reason.BackOffPulling(image))
			warning(reason.ErrorReason(reason.ImagePullBackOff))
		} else {
			normal(reason.EventPulling, reason.PullingImage(image))
			warning(reason.FailedToPull(image, pullErr))
			warning(reason.ErrorReason(reason.ErrImagePull))
			bo.Fail(key, reason.ErrImagePull, pullErr.Error())
		}
		c.Step(10*time.Second + time.Duration(rng.Float64()*5*float64(time.Second)))
	}
	if firstDropped < 4*time.Minute || firstDropped > 7*time.Minute {
		t.Fatalf("first Normal event dropped after %v, want about 5 minutes", firstDropped)
	}

	// The image is pushed; wait for the window, then the pull succeeds.
	for bo.InBackOff(key) {
		normal(reason.EventBackOff, reason.BackOffPulling(image))
		c.Step(10*time.Second + time.Duration(rng.Float64()*5*float64(time.Second)))
	}
	normal(reason.EventPulling, reason.PullingImage(image))
	for _, e := range []struct{ rsn, msg string }{
		{reason.EventPulled, reason.SuccessfullyPulled(image, 900*time.Millisecond, 900*time.Millisecond, 1145986)},
		{reason.EventCreated, reason.ContainerCreated},
		{reason.EventStarted, reason.ContainerStarted},
	} {
		if ev := normal(e.rsn, e.msg); ev != nil {
			t.Fatalf("%s event written after a long failure; the kubelet's filter drops it", e.rsn)
		}
	}

	// What kubectl would show: one BackOff event with a large count, its
	// Warning companions, and no Pulled event.
	var backOff, pulled int32
	for _, ev := range m.List() {
		switch ev.Reason {
		case reason.EventBackOff:
			backOff = ev.Count
		case reason.EventPulled:
			pulled++
		}
	}
	if backOff < 20 || pulled != 0 {
		t.Fatalf("stored BackOff count %d, Pulled events %d", backOff, pulled)
	}
	t.Logf("first dropped Normal event at %v; stored BackOff count %d", firstDropped, backOff)
}
