package qos

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// computeResources are the resources that decide the class.
var computeResources = [...]corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

// Of returns the class in the pod's status, or Class(pod) when the status
// has none (kubectl's GetPodQOS).
func Of(pod *corev1.Pod) corev1.PodQOSClass {
	if pod.Status.QOSClass != "" {
		return pod.Status.QOSClass
	}
	return Class(&pod.Spec)
}

// Class computes the QoS class of a pod spec.
func Class(spec *corev1.PodSpec) corev1.PodQOSClass {
	if r := spec.Resources; r != nil && (podLevel(r.Requests) || podLevel(r.Limits)) {
		return requirements(r)
	}
	var class corev1.PodQOSClass
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			c := requirements(&list[i].Resources)
			switch {
			case c == corev1.PodQOSBurstable:
				return c
			case class == "":
				class = c
			case class != c:
				return corev1.PodQOSBurstable
			}
		}
	}
	if class == "" {
		return corev1.PodQOSBestEffort
	}
	return class
}

// podLevel reports whether l sets a resource that pod-level resources
// support: cpu, memory or hugepages.
func podLevel(l corev1.ResourceList) bool {
	for name := range l {
		if name == corev1.ResourceCPU || name == corev1.ResourceMemory || strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
			return true
		}
	}
	return false
}

// requirements classifies one set of requests and limits.
func requirements(r *corev1.ResourceRequirements) corev1.PodQOSClass {
	var class corev1.PodQOSClass
	for _, name := range computeResources {
		req, lim := r.Requests[name], r.Limits[name]
		var c corev1.PodQOSClass
		switch {
		case !req.Equal(lim):
			return corev1.PodQOSBurstable
		case req.IsZero():
			c = corev1.PodQOSBestEffort
		default:
			c = corev1.PodQOSGuaranteed
		}
		if class == "" {
			class = c
		} else if class != c {
			return corev1.PodQOSBurstable
		}
	}
	return class
}
