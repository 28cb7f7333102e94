package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/podmeta"
)

const (
	reasonPulled = podmeta.ReasonPulled
	reasonFixed  = podmeta.ReasonFixed
	// msgPulled is the message of the True condition.
	msgPulled = "no container of the pod waits on its image"
)

// conditionMessage is the condition's and the Warning event's message:
// "container C: image I: <message>; fix: <hint>".
func conditionMessage(c kube.ContainerResult) string {
	msg := fmt.Sprintf("container %s: image %s: %s", c.Name, c.Image, c.Result.Message)
	if c.Result.Hint != "" {
		msg += "; fix: " + c.Result.Hint
	}
	return msg
}

// setCondition writes the controller's condition on pods/status with a
// strategic merge patch of that condition alone, so that the kubelet's
// conditions are left as they are. The transition time moves only when
// the status changes.
func (r *reconciler) setCondition(ctx context.Context, pod *corev1.Pod, status corev1.ConditionStatus, why, msg string) error {
	now := r.opts.Clock.Now()
	transition := metav1.NewTime(now)
	if old := findCondition(pod); old != nil && old.Status == status && !old.LastTransitionTime.IsZero() {
		transition = old.LastTransitionTime
	}
	cond := corev1.PodCondition{Type: podmeta.ConditionImagePull, Status: status, Reason: why, Message: msg, LastTransitionTime: transition}
	raw, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.PodCondition{cond}}})
	if err != nil {
		return err
	}
	if err := r.client.Status().Patch(ctx, pod, client.RawPatch(types.StrategicMergePatchType, raw)); err != nil {
		return fmt.Errorf("writing condition %s on pod %s/%s: %w", podmeta.ConditionImagePull, pod.Namespace, pod.Name, err)
	}
	return nil
}

// annotate merges annotations into the pod's.
func (r *reconciler) annotate(ctx context.Context, pod *corev1.Pod, kv map[string]string) error {
	raw, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": kv}})
	if err != nil {
		return err
	}
	if err := r.client.Patch(ctx, pod, client.RawPatch(types.MergePatchType, raw)); err != nil {
		return fmt.Errorf("annotating pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// event writes one core/v1 event on the pod, signed by the controller.
// Events are written directly (not through an aggregating recorder) so
// that one change of cause is one event.
func (r *reconciler) event(ctx context.Context, pod *corev1.Pod, typ, why, msg string) error {
	now := metav1.NewTime(r.opts.Clock.Now().Truncate(time.Second))
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: pod.UID, ResourceVersion: pod.ResourceVersion},
		Reason: why, Message: msg, Type: typ,
		Source:         corev1.EventSource{Component: podmeta.ControllerComponent, Host: pod.Spec.NodeName},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := r.cs.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("writing event %s on pod %s/%s: %w", why, pod.Namespace, pod.Name, err)
	}
	return nil
}
