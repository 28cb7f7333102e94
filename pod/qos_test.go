package pod

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestStatusQOS: the class in the pod status is Kubernetes' (a pod with
// only an ephemeral-storage limit is BestEffort).
func TestStatusQOS(t *testing.T) {
	p := newPod("p", corev1.Container{Name: "c", Image: "i", Resources: corev1.ResourceRequirements{
		Limits: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")},
	}})
	if got := qosClass(p); got != corev1.PodQOSBestEffort {
		t.Fatalf("qosClass = %s, want BestEffort", got)
	}
}
