package agent

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestScheduledOnlyForBoundPods: the Scheduled event is for pods the store
// bound (PodScheduled alone, no node status yet), not for pods whose
// manifest set nodeName, nor for pods a node already reported on.
func TestScheduledOnlyForBoundPods(t *testing.T) {
	t.Parallel()
	scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}
	ready := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse}
	for _, tc := range []struct {
		name string
		st   corev1.PodStatus
		want bool
	}{
		{"bound by the store", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{scheduled}}, true},
		{"nodeName in the manifest", corev1.PodStatus{Phase: corev1.PodPending}, false},
		{"already synced", corev1.PodStatus{Conditions: []corev1.PodCondition{ready, scheduled}}, false},
		{"containers reported", corev1.PodStatus{Conditions: []corev1.PodCondition{scheduled}, ContainerStatuses: []corev1.ContainerStatus{{Name: "c"}}}, false},
	} {
		if got := justBound(&corev1.Pod{Status: tc.st}); got != tc.want {
			t.Errorf("%s: justBound = %v, want %v", tc.name, got, tc.want)
		}
	}
}
