package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/recheck"
)

// podState is what the controller last wrote on a pod (or read from it on
// first sight): the cache may lag behind its own writes, this does not.
// A pod's state is touched only by its reconcile (never two at once);
// r.mu guards the map and keys.
type podState struct {
	uid types.UID
	// reason is the condition's reason: a cause, Fixed or Pulled.
	reason string
	// token is the PullRequest written, fixedAt when, for trigger.
	token   string
	fixedAt time.Time
	// answeredAt is when the controller first saw the node's answer to
	// token.
	answeredAt time.Time
	trigger    pull.Trigger
	// timerArmed, escalationArmed: a wake-up is pending for token at the
	// node timeout, and NodeTimeout after that (nudge).
	timerArmed, escalationArmed bool
	// retryHandled is the last RetryRequested value acted on.
	retryHandled string
	// keys are the re-check schedule keys the pod waits on, probeKeys the
	// registry hosts it waits on to answer again.
	keys, probeKeys []string
}

// Reconcile diagnoses one pod and writes what changed.
func (r *reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	nn := req.NamespacedName
	trig := r.takeTrigger(nn)
	pod := &corev1.Pod{}
	if err := r.client.Get(ctx, nn, pod); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(nn)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if pod.DeletionTimestamp != nil {
		r.forget(nn)
		return reconcile.Result{}, nil
	}
	st := r.state(pod)
	if !WaitingOnImage(pod) {
		return reconcile.Result{}, r.settle(ctx, pod, st)
	}
	requested := pod.Annotations[podmeta.RetryRequested]
	if requested == st.retryHandled && r.awaitingNode(pod, st) {
		return reconcile.Result{}, nil
	}
	res, err := kube.Explain(ctx, r.cs, r.ck, pod, kube.Options{Remote: true, Controller: true})
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("diagnosing pod %s: %w", nn, err)
	}
	if !res.Failing {
		return reconcile.Result{}, r.settle(ctx, pod, st)
	}
	r.register(pod, st, res)
	if requested != "" && requested != st.retryHandled {
		return reconcile.Result{}, r.retry(ctx, pod, st, res, pull.TriggerManual, requested)
	}
	pullable := res.Pullable()
	switch {
	case st.reason == reasonFixed && st.token != "" && pullable:
		return reconcile.Result{}, r.nudge(ctx, pod, st, res)
	case !pullable:
		return reconcile.Result{}, r.failing(ctx, pod, st, res)
	}
	if trig == "" {
		trig = triggerAfter(st.reason)
	}
	return reconcile.Result{}, r.retry(ctx, pod, st, res, trig, "")
}

// state returns the pod's state, read from the pod on first sight (or
// when the name now holds another pod).
func (r *reconciler) state(pod *corev1.Pod) *podState {
	nn := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.pods[nn]; st != nil && st.uid == pod.UID {
		return st
	}
	if old := r.pods[nn]; old != nil {
		r.unregisterLocked(nn, old)
	}
	st := &podState{uid: pod.UID}
	if c := findCondition(pod); c != nil {
		st.reason = c.Reason
	}
	st.token = pod.Annotations[podmeta.PullRequest]
	st.fixedAt = tokenTime(st.token)
	// After a restart: a retry request older than the last token was
	// handled by the controller that wrote the token.
	if v := pod.Annotations[podmeta.RetryRequested]; v != "" {
		if at, err := time.Parse(time.RFC3339, v); err == nil && !st.fixedAt.IsZero() && !st.fixedAt.Before(at) {
			st.retryHandled = v
		}
	}
	r.pods[nn] = st
	return st
}

// forget drops a deleted pod.
func (r *reconciler) forget(nn types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.pods[nn]; st != nil {
		r.unregisterLocked(nn, st)
	}
	delete(r.pods, nn)
	delete(r.triggers, nn)
	r.updateWaitingLocked()
}

// register puts the pod's waiting images on the re-check schedule (and
// takes it off the keys it no longer waits on).
func (r *reconciler) register(pod *corev1.Pod, st *podState, res *kube.PodResult) {
	nn := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	keys := map[string]bool{}
	for _, c := range res.Containers {
		keys[recheckKey(pod, c.Image)] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st.keys = subscribe(r.sched, nn.String(), st.keys, keys)
	r.registerProbesLocked(nn, st, res)
}

// subscribe makes waiter wait on exactly the keys of want in s, given
// the keys it waits on now (had), and returns them.
func subscribe(s *recheck.Schedule[string], waiter string, had []string, want map[string]bool) []string {
	var kept []string
	for _, k := range had {
		if want[k] {
			kept = append(kept, k)
			delete(want, k)
			continue
		}
		s.Unregister(k, waiter)
	}
	for k := range want {
		s.Register(k, waiter)
		kept = append(kept, k)
	}
	return kept
}

// settle ends the wait of a pod no longer waiting on an image: condition
// True/Pulled (only on pods the controller wrote a condition on) and the
// fix-to-running time.
func (r *reconciler) settle(ctx context.Context, pod *corev1.Pod, st *podState) error {
	nn := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	r.mu.Lock()
	r.unregisterLocked(nn, st)
	// A retry asked for a pod that does not wait is done with.
	st.retryHandled = pod.Annotations[podmeta.RetryRequested]
	r.mu.Unlock()
	if st.reason == "" || st.reason == reasonPulled {
		return nil
	}
	if err := r.setCondition(ctx, pod, corev1.ConditionTrue, reasonPulled, msgPulled); err != nil {
		return err
	}
	if st.reason == reasonFixed && !st.fixedAt.IsZero() {
		fixToRunning.WithLabelValues(triggerLabel(st.trigger)).Observe(r.opts.Clock.Since(st.fixedAt).Seconds())
	}
	r.setReason(st, reasonPulled)
	r.opts.Logger.Info("pod no longer waits on images", "pod", nn.String())
	return nil
}

func (r *reconciler) setReason(st *podState, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.reason = why
	r.updateWaitingLocked()
}

// failing writes a cause that changed: the condition, then one Warning
// event. The same cause found again writes nothing.
func (r *reconciler) failing(ctx context.Context, pod *corev1.Pod, st *podState, res *kube.PodResult) error {
	var first kube.ContainerResult
	for _, c := range res.Containers {
		if !c.Result.Pullable {
			first = c
			break
		}
	}
	why := first.Result.Reason
	if why == "" {
		why = cause.Unknown.Reason()
	}
	if st.reason == why {
		return nil
	}
	msg := conditionMessage(first)
	if err := r.setCondition(ctx, pod, corev1.ConditionFalse, why, msg); err != nil {
		return err
	}
	r.setReason(st, why)
	if err := r.event(ctx, pod, corev1.EventTypeWarning, why, msg); err != nil {
		r.opts.Logger.Warn("event not written", "err", err)
	}
	r.opts.Logger.Info("pod waits on an image", "pod", pod.Namespace+"/"+pod.Name, "cause", why)
	return nil
}

// retry asks for a pull now: condition Fixed, a PullRetried event per
// waiting image naming the trigger, and a new PullRequest token for the
// node DaemonSet. requested is the RetryRequested value it answers.
func (r *reconciler) retry(ctx context.Context, pod *corev1.Pod, st *podState, res *kube.PodResult, trig pull.Trigger, requested string) error {
	now := r.opts.Clock.Now()
	token := newToken(now)
	// The condition first: it is the state a restarted controller reads.
	if err := r.setCondition(ctx, pod, corev1.ConditionFalse, reasonFixed, reason.PullRetried(res.Containers[0].Image, string(trig))); err != nil {
		return err
	}
	if err := r.annotate(ctx, pod, map[string]string{podmeta.PullRequest: token}); err != nil {
		return err
	}
	r.mu.Lock()
	st.token, st.fixedAt, st.trigger, st.timerArmed, st.escalationArmed = token, now, trig, false, false
	st.answeredAt = time.Time{}
	if requested != "" {
		st.retryHandled = requested
	}
	r.mu.Unlock()
	r.setReason(st, reasonFixed)
	retriesTotal.WithLabelValues(triggerLabel(trig)).Inc()
	for _, c := range res.Containers {
		if err := r.event(ctx, pod, corev1.EventTypeNormal, reason.EventPullRetried, reason.PullRetried(c.Image, string(trig))); err != nil {
			r.opts.Logger.Warn("event not written", "err", err)
		}
	}
	r.opts.Logger.Info("retry requested from the node", "pod", pod.Namespace+"/"+pod.Name, "trigger", string(trig), "token", token)
	r.armNodeTimeout(pod, st)
	return nil
}

// awaitingNode reports whether the pod's retry waits for the node's
// answer: a token not answered yet, within NodeTimeout (a wake-up is
// armed for its end). The diagnosis waits too: the node may be pulling.
func (r *reconciler) awaitingNode(pod *corev1.Pod, st *podState) bool {
	if st.reason != reasonFixed || st.token == "" {
		return false
	}
	if _, answered := pullResult(pod, st.token); answered || r.opts.Clock.Since(st.fixedAt) >= r.opts.NodeTimeout {
		return false
	}
	r.armNodeTimeout(pod, st)
	return true
}

// armNodeTimeout wakes the pod once the node had NodeTimeout to answer.
func (r *reconciler) armNodeTimeout(pod *corev1.Pod, st *podState) {
	if st.timerArmed {
		return
	}
	st.timerArmed = true
	wait := r.opts.NodeTimeout - r.opts.Clock.Since(st.fixedAt)
	r.enqueueAfter(types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, max(wait, 0))
}

// armEscalation wakes the pod after wait, once per token.
func (r *reconciler) armEscalation(pod *corev1.Pod, st *podState, wait time.Duration) {
	if st.escalationArmed {
		return
	}
	st.escalationArmed = true
	r.enqueueAfter(types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, wait)
}

// triggerAfter names the trigger of a diagnosis that passes again after
// the cause prev, when no event said what changed.
func triggerAfter(prev string) pull.Trigger {
	c := cause.ByReason(prev)
	switch {
	case c == cause.Unauthorized || c == cause.Denied:
		return pull.TriggerCredentials
	case c != nil && c.Retryable():
		return pull.TriggerRegistryBack
	}
	return pull.TriggerRecheck
}

// newToken is a PullRequest token: the time it was written and a random
// suffix.
func newToken(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return now.UTC().Format(time.RFC3339Nano) + "-" + hex.EncodeToString(b)
}

// tokenTime is the time of a token written by newToken (zero otherwise).
func tokenTime(token string) time.Time {
	i := strings.LastIndex(token, "-")
	if i < 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, token[:i])
	if err != nil {
		return time.Time{}
	}
	return t
}
