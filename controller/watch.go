package controller

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/workload"
)

// trigger is why a pod is reconciled besides its own change.
type trigger = pull.Trigger

// imageReasons are the waiting reasons of a container stuck on its image.
var imageReasons = map[string]bool{
	reason.ErrImagePull: true, reason.ImagePullBackOff: true,
	reason.InvalidImageName: true, reason.ErrImageNeverPull: true,
}

// WaitingOnImage is the cheap test of a pod that may wait on an image: a
// container or init container waiting with an image reason, or a pending
// pod with image volumes (their failures show in events only; Explain
// reads them).
func WaitingOnImage(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp != nil {
		return false
	}
	for _, sts := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, s := range sts {
			if s.State.Waiting != nil && imageReasons[s.State.Waiting.Reason] {
				return true
			}
		}
	}
	if pod.Status.Phase == corev1.PodPending {
		for _, v := range pod.Spec.Volumes {
			if v.Image != nil {
				return true
			}
		}
	}
	return false
}

// hasCondition reports whether the pod carries the controller's condition.
func hasCondition(pod *corev1.Pod) bool { return findCondition(pod) != nil }

func findCondition(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == podmeta.ConditionImagePull {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// podPredicate lets through the pods the controller has business with.
func podPredicate() predicate.Predicate {
	relevant := func(o client.Object) bool {
		pod, ok := o.(*corev1.Pod)
		return ok && (WaitingOnImage(pod) || hasCondition(pod))
	}
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return relevant(e.Object) },
		UpdateFunc:  func(e event.UpdateEvent) bool { return relevant(e.ObjectNew) || relevant(e.ObjectOld) },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return true },
	}
}

// changedPredicate passes creations and updates (Secrets, ServiceAccounts).
func changedPredicate() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetResourceVersion() != e.ObjectNew.GetResourceVersion()
		},
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// secretPods maps a Secret to the waiting pods of its namespace that use
// it: named in the pod's imagePullSecrets or, when the pod names none, in
// its service account's.
func (r *reconciler) secretPods(ctx context.Context, o client.Object) []reconcile.Request {
	return r.waitingPodsUsing(ctx, o.GetNamespace(), func(pod *corev1.Pod) bool {
		if len(pod.Spec.ImagePullSecrets) > 0 {
			return slices.ContainsFunc(pod.Spec.ImagePullSecrets, func(l corev1.LocalObjectReference) bool { return l.Name == o.GetName() })
		}
		sa := &corev1.ServiceAccount{}
		key := types.NamespacedName{Namespace: pod.Namespace, Name: workload.ServiceAccountName(&pod.Spec)}
		if err := r.client.Get(ctx, key, sa); err != nil {
			return false
		}
		return slices.ContainsFunc(sa.ImagePullSecrets, func(l corev1.LocalObjectReference) bool { return l.Name == o.GetName() })
	})
}

// serviceAccountPods maps a ServiceAccount to the waiting pods running
// as it.
func (r *reconciler) serviceAccountPods(ctx context.Context, o client.Object) []reconcile.Request {
	return r.waitingPodsUsing(ctx, o.GetNamespace(), func(pod *corev1.Pod) bool {
		return workload.ServiceAccountName(&pod.Spec) == o.GetName()
	})
}

func (r *reconciler) waitingPodsUsing(ctx context.Context, ns string, uses func(*corev1.Pod) bool) []reconcile.Request {
	var list corev1.PodList
	if err := r.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		r.opts.Logger.Warn("listing pods for a credential change", "namespace", ns, "err", err)
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		pod := &list.Items[i]
		if !WaitingOnImage(pod) || !uses(pod) {
			continue
		}
		nn := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
		r.setTrigger(nn, pull.TriggerCredentials)
		r.resetPod(nn)
		out = append(out, reconcile.Request{NamespacedName: nn})
	}
	return out
}

func (r *reconciler) setTrigger(nn types.NamespacedName, t trigger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.triggers[nn] = t
}

func (r *reconciler) takeTrigger(nn types.NamespacedName) trigger {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.triggers[nn]
	delete(r.triggers, nn)
	return t
}

// recheckKey is the schedule key of one waiting image: the namespace, the
// image and the credential it is pulled with (the pod's pull secrets, or
// its service account's), so that the pods waiting on the same image with
// the same credential share one schedule.
func recheckKey(pod *corev1.Pod, image string) string {
	var names []string
	for _, s := range pod.Spec.ImagePullSecrets {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	cred := "secrets=" + strings.Join(names, ",")
	if len(names) == 0 {
		cred = "serviceAccount=" + workload.ServiceAccountName(&pod.Spec)
	}
	return pod.Namespace + "\x00" + cred + "\x00" + image
}

// resetPod makes the re-checks of nn's images due at once.
func (r *reconciler) resetPod(nn types.NamespacedName) {
	r.mu.Lock()
	var keys []string
	if st := r.pods[nn]; st != nil {
		keys = slices.Clone(st.keys)
	}
	r.mu.Unlock()
	for _, k := range keys {
		r.sched.Reset(k)
	}
}

// recheck is the schedule's check: it wakes every pod waiting on the key.
func (r *reconciler) recheck(ctx context.Context, _ string, waiters []string) {
	for _, w := range waiters {
		ns, name, _ := strings.Cut(w, "/")
		nn := types.NamespacedName{Namespace: ns, Name: name}
		r.mu.Lock()
		if _, ok := r.triggers[nn]; !ok {
			r.triggers[nn] = pull.TriggerRecheck
		}
		r.mu.Unlock()
		r.enqueue(ctx, nn)
	}
}

// enqueue makes the controller reconcile nn.
func (r *reconciler) enqueue(ctx context.Context, nn types.NamespacedName) {
	ev := event.GenericEvent{Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: nn.Namespace, Name: nn.Name}}}
	select {
	case r.wake <- ev:
	case <-ctx.Done():
	}
}

// enqueueAfter reconciles nn after d on the controller's clock.
func (r *reconciler) enqueueAfter(nn types.NamespacedName, d time.Duration) {
	r.mu.Lock()
	ctx := r.runCtx
	r.mu.Unlock()
	if ctx == nil {
		return
	}
	t := r.opts.Clock.NewTimer(d)
	go func() {
		defer t.Stop()
		select {
		case <-t.C():
			r.enqueue(ctx, nn)
		case <-ctx.Done():
		}
	}()
}
