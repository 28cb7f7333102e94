package pod

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestDeletionGracePeriodWins: a grace period the deletion asked for
// (kubectl delete --grace-period) stops the containers within it, not
// within the pod's terminationGracePeriodSeconds.
func TestDeletionGracePeriodWins(t *testing.T) {
	own := int64(60)
	p := &corev1.Pod{Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &own}}
	if got := gracePeriod(p); got != time.Minute {
		t.Fatalf("pod's own: %v", got)
	}
	two := int64(2)
	p.DeletionGracePeriodSeconds = &two
	if got := gracePeriod(p); got != 2*time.Second {
		t.Fatalf("after delete --grace-period=2: %v", got)
	}
	if got := gracePeriod(&corev1.Pod{}); got != 30*time.Second {
		t.Fatalf("default: %v", got)
	}
	w := &worker{pod: &corev1.Pod{Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &own}}}
	w.setDeletionGrace(0)
	if got := gracePeriod(w.current()); got != 0 {
		t.Fatalf("worker after a deletion with grace 0: %v", got)
	}
}
