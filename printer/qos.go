package printer

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// podQOS is the QoS class kubectl shows: the one in the pod's status, or,
// when the status has none, the one computed from requests and limits
// (pod-level resources when set, else every init and regular container).
func podQOS(pod *corev1.Pod) corev1.PodQOSClass {
	if pod.Status.QOSClass != "" {
		return pod.Status.QOSClass
	}
	if r := pod.Spec.Resources; r != nil && (hasCompute(r.Requests) || hasCompute(r.Limits)) {
		return requirementsQOS(r)
	}
	var class corev1.PodQOSClass
	all := append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
	for i := range all {
		c := requirementsQOS(&all[i].Resources)
		switch {
		case c == corev1.PodQOSBurstable:
			return c
		case class == "":
			class = c
		case class != c:
			return corev1.PodQOSBurstable
		}
	}
	if class == "" {
		return corev1.PodQOSBestEffort
	}
	return class
}

// hasCompute reports whether l sets cpu or memory.
func hasCompute(l corev1.ResourceList) bool {
	_, cpu := l[corev1.ResourceCPU]
	_, mem := l[corev1.ResourceMemory]
	return cpu || mem
}

// requirementsQOS classifies one set of requirements by cpu and memory.
func requirementsQOS(r *corev1.ResourceRequirements) corev1.PodQOSClass {
	if len(r.Requests) == 0 && len(r.Limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	var class corev1.PodQOSClass
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
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

// itoa64 formats n in base 10.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
