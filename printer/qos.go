package printer

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/qos"
)

// podQOS is the QoS class kubectl shows: the one in the pod's status, or,
// when the status has none, the one computed (package qos).
func podQOS(pod *corev1.Pod) corev1.PodQOSClass { return qos.Of(pod) }

// itoa64 formats n in base 10.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
