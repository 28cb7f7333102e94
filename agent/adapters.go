package agent

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/objects"
)

// podObjects gives the pod manager the objects it reads and writes.
type podObjects struct{ s *objects.Store }

func (o podObjects) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return objects.GetAs[*corev1.Secret](ctx, o.s, namespace, name)
}

// UpdatePodStatus writes the status onto the stored pod of the same UID,
// retrying on conflicts with concurrent spec updates. A pod that is gone or
// was replaced (another UID) is left alone.
func (o podObjects) UpdatePodStatus(ctx context.Context, pod *corev1.Pod) error {
	for range 5 {
		cur, err := objects.GetAs[*corev1.Pod](ctx, o.s, pod.Namespace, pod.Name)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.UID != pod.UID {
			return nil
		}
		cur.Status = pod.Status
		err = o.s.UpdateStatus(ctx, cur)
		if !apierrors.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("pod %s/%s: status update kept conflicting", pod.Namespace, pod.Name)
}

// PutState and GetState persist the pod manager's backoff.
func (o podObjects) PutState(key string, v []byte) error { return o.s.PutState(key, v) }

func (o podObjects) GetState(key string) ([]byte, error) {
	b, _, err := o.s.GetState(key)
	return b, err
}

// eventSink stores events as objects.
type eventSink struct{ s *objects.Store }

func (e eventSink) Create(ctx context.Context, ev *corev1.Event) error { return e.s.Create(ctx, ev) }

func (e eventSink) Update(ctx context.Context, ev *corev1.Event) error {
	err := e.s.Update(ctx, ev)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%w: %v", event.ErrNotFound, err)
	}
	if apierrors.IsConflict(err) {
		// Another writer changed it: take its version and write again.
		cur, gerr := objects.GetAs[*corev1.Event](ctx, e.s, ev.Namespace, ev.Name)
		if gerr != nil {
			return errors.Join(err, gerr)
		}
		ev.ResourceVersion = cur.ResourceVersion
		return e.s.Update(ctx, ev)
	}
	return err
}

// podRecorder adapts event.Recorder to the pod manager's Recorder.
type podRecorder struct{ r *event.Recorder }

func (a podRecorder) Event(pod *corev1.Pod, fieldPath, eventtype, reason, message string) {
	ref := event.PodRef(pod.Namespace, pod.Name, string(pod.UID))
	ref.FieldPath = fieldPath
	a.r.Event(ref, eventtype, reason, message)
}
