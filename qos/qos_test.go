package qos

import (
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	kubectlqos "k8s.io/kubectl/pkg/util/qos"
)

func res(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

func podWith(rs ...corev1.ResourceRequirements) *corev1.Pod {
	p := &corev1.Pod{}
	for _, r := range rs {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Resources: r})
	}
	return p
}

// TestKnownCases includes the two cases the earlier copies got wrong.
func TestKnownCases(t *testing.T) {
	for name, tc := range map[string]struct {
		pod  *corev1.Pod
		want corev1.PodQOSClass
	}{
		"nothing":                   {podWith(corev1.ResourceRequirements{}), corev1.PodQOSBestEffort},
		"ephemeral-storage only":    {podWith(corev1.ResourceRequirements{Limits: res("ephemeral-storage", "1Gi")}), corev1.PodQOSBestEffort},
		"zero cpu request":          {podWith(corev1.ResourceRequirements{Requests: res("cpu", "0")}), corev1.PodQOSBestEffort},
		"equal cpu and memory":      {podWith(corev1.ResourceRequirements{Requests: res("cpu", "1", "memory", "1Gi"), Limits: res("cpu", "1", "memory", "1Gi")}), corev1.PodQOSGuaranteed},
		"cpu only":                  {podWith(corev1.ResourceRequirements{Requests: res("cpu", "1"), Limits: res("cpu", "1")}), corev1.PodQOSBurstable},
		"guaranteed and besteffort": {podWith(corev1.ResourceRequirements{Requests: res("cpu", "1", "memory", "1Gi"), Limits: res("cpu", "1", "memory", "1Gi")}, corev1.ResourceRequirements{}), corev1.PodQOSBurstable},
	} {
		if got, k := Class(&tc.pod.Spec), kubectlqos.ComputePodQOS(tc.pod); got != tc.want || k != tc.want {
			t.Errorf("%s: Class %s, kubectl %s, want %s", name, got, k, tc.want)
		}
	}
}

// TestAgreesWithKubectl compares Class with kubectl's util/qos on random
// pods: containers, init containers and pod-level resources drawn from
// cpu, memory, ephemeral-storage and an extended resource, with zero,
// equal and different quantities.
func TestAgreesWithKubectl(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	names := []string{"cpu", "memory", "ephemeral-storage", "example.com/gpu", "hugepages-2Mi"}
	qty := []string{"0", "1", "2", "100m", "1Gi"}
	list := func() corev1.ResourceList {
		if rng.IntN(3) == 0 {
			return nil
		}
		l := corev1.ResourceList{}
		for _, n := range names {
			if rng.IntN(2) == 0 {
				l[corev1.ResourceName(n)] = resource.MustParse(qty[rng.IntN(len(qty))])
			}
		}
		return l
	}
	reqs := func() corev1.ResourceRequirements {
		r := corev1.ResourceRequirements{Requests: list(), Limits: list()}
		if rng.IntN(3) == 0 { // requests equal to limits, as defaulting makes them
			r.Requests = r.Limits.DeepCopy()
		}
		return r
	}
	for i := range 20000 {
		p := &corev1.Pod{}
		for range rng.IntN(3) {
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Resources: reqs()})
		}
		for range rng.IntN(3) + 1 {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Resources: reqs()})
		}
		if rng.IntN(5) == 0 {
			r := reqs()
			p.Spec.Resources = &r
		}
		if got, want := Class(&p.Spec), kubectlqos.ComputePodQOS(p); got != want {
			t.Fatalf("case %d: Class %s, kubectl %s for %+v", i, got, want, p.Spec)
		}
	}
}
