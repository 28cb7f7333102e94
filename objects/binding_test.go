package objects

import (
	"github.com/pullwarden/pullwarden/clock"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestBindingSetsPodScheduled: a pod without nodeName is bound to the
// store's node with the binding's PodScheduled condition; a pod whose
// manifest names its node is not bound and gets no condition (so the agent
// writes no Scheduled event for it, as in a real cluster).
func TestBindingSetsPodScheduled(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "db"), WithClock(clock.NewFake(epoch)), WithNodeName("node1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	bound := newPod("default", "bound", "a")
	if err := s.Create(ctx, bound); err != nil {
		t.Fatal(err)
	}
	c := bound.Status.Conditions
	if bound.Spec.NodeName != "node1" || len(c) != 1 || c[0].Type != corev1.PodScheduled || c[0].Status != corev1.ConditionTrue ||
		!c[0].LastTransitionTime.Time.Equal(epoch) {
		t.Fatalf("bound pod: node %q conditions %+v", bound.Spec.NodeName, c)
	}

	pinned := newPod("default", "pinned", "a")
	pinned.Spec.NodeName = "node1"
	if err := s.Create(ctx, pinned); err != nil {
		t.Fatal(err)
	}
	if len(pinned.Status.Conditions) != 0 {
		t.Fatalf("pod with nodeName in its manifest got conditions %+v", pinned.Status.Conditions)
	}
}
