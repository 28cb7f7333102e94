package manifest

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestCreatedPodQOS: the class stored at creation is Kubernetes' for the
// cases an earlier copy got wrong (only an ephemeral-storage limit, a zero
// cpu request: BestEffort).
func TestCreatedPodQOS(t *testing.T) {
	for name, r := range map[string]corev1.ResourceRequirements{
		"ephemeral-storage limit": {Limits: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")}},
		"zero cpu request":        {Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0")}},
	} {
		p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i", Resources: r}}}}
		PrepareForCreate(p)
		if p.Status.QOSClass != corev1.PodQOSBestEffort {
			t.Errorf("%s: stored %s, want BestEffort", name, p.Status.QOSClass)
		}
	}
}
