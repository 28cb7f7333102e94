//go:build cluster

package cluster

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/podmeta"
)

// diagnoseLimit bounds the wait for the controller's diagnosis: the kubelet
// reports ErrImagePull within seconds of the pod's start, the controller
// diagnoses at once.
const diagnoseLimit = 90 * time.Second

// TestDiagnosisPerCause: for each cause of the article, a stuck pod gets a
// Warning event from pullwarden-controller and the pullwarden.io/ImagePull
// condition (status False), both with the cause as reason, the message
// naming the container and image with a fix; one event per cause, not one
// per re-check.
func TestDiagnosisPerCause(t *testing.T) {
	c := clusterFromEnv(t)
	c.requireDeployed(t)
	open := c.newRegistry(t)
	pushBusybox(t, open, open.Ref("team/app:1"))
	private := c.newRegistry(t, testregistry.WithHtpasswd("puller", "s3cret"))
	pushBusybox(t, private, private.Ref("team/app:1"))
	down := c.newRegistry(t)
	down.Stop()

	cases := []struct {
		name, reason, image string
		secret              string // "wrong": a secret with a wrong password
	}{
		{name: "typo", reason: "RepositoryNotFound", image: open.Ref("team/ap:1")},
		{name: "missing-credentials", reason: "Unauthorized", image: private.Ref("team/app:1")},
		{name: "wrong-credentials", reason: "Unauthorized", image: private.Ref("team/app:1"), secret: "wrong"},
		{name: "missing-tag", reason: "TagNotFound", image: open.Ref("team/app:2")},
		{name: "unreachable", reason: "RegistryUnreachable", image: down.Ref("team/app:1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := c.namespace(t, "pw-diag")
			var secrets []string
			if tc.secret == "wrong" {
				c.pullSecret(t, ns, "creds", private.Host, "puller", "not-the-password")
				secrets = append(secrets, "creds")
			}
			pod := c.createPod(t, appPod(ns, "app", tc.image, corev1.PullIfNotPresent, secrets...))
			var cond *corev1.PodCondition
			waitFor(t, diagnoseLimit, "condition "+podmeta.ConditionImagePull+" with reason "+tc.reason, func() (bool, error) {
				p, err := c.pod(ns, pod.Name)
				if err != nil {
					return false, err
				}
				cond = condition(p, podmeta.ConditionImagePull)
				return cond != nil && cond.Reason == tc.reason, nil
			})
			if cond.Status != corev1.ConditionFalse {
				t.Errorf("condition status %s, want False", cond.Status)
			}
			if !strings.Contains(cond.Message, "container app") || !strings.Contains(cond.Message, tc.image) || !strings.Contains(cond.Message, "fix:") {
				t.Errorf("condition message %q: want the container, the image and a fix", cond.Message)
			}
			if tc.secret != "" && strings.Contains(cond.Message, "not-the-password") {
				t.Errorf("condition message %q shows the password", cond.Message)
			}
			var warning *corev1.Event
			waitFor(t, 30*time.Second, "a Warning event "+tc.reason+" from "+podmeta.ControllerComponent, func() (bool, error) {
				evs, err := c.events(ns, string(pod.UID))
				if err != nil {
					return false, err
				}
				warning = controllerEvent(evs, tc.reason)
				return warning != nil, nil
			})
			if warning.Type != corev1.EventTypeWarning || warning.Message != cond.Message {
				t.Errorf("event %s %q, want Warning with the condition's message %q", warning.Type, warning.Message, cond.Message)
			}
			// Re-checks (2 s doubling) go on; the event must not repeat.
			time.Sleep(12 * time.Second)
			evs, err := c.events(ns, string(pod.UID))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range evs {
				if e.Reason == tc.reason && fromController(e) {
					n += int(max(e.Count, 1))
					if e.Series != nil {
						n += int(e.Series.Count) - 1
					}
				}
			}
			if n != 1 {
				t.Errorf("%d %s events after 12 s of re-checks, want 1 (one per change of cause)", n, tc.reason)
			}
		})
	}
}

// controllerEvent is the event with reason written by the controller.
func controllerEvent(evs []corev1.Event, reason string) *corev1.Event {
	for i, e := range evs {
		if e.Reason == reason && fromController(e) {
			return &evs[i]
		}
	}
	return nil
}

// fromController: the event was written by pullwarden's controller (core
// events name it as source, events.k8s.io ones as reporting controller).
func fromController(e corev1.Event) bool {
	return e.Source.Component == podmeta.ControllerComponent || e.ReportingController == podmeta.ControllerComponent
}
