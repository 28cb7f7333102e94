// Package pod runs pods on one node the way the kubelet does: sandbox,
// init containers in order, then the regular containers, each image pulled
// right before its container is created, with the kubelet's pull policy,
// credentials, image pull backoff, crash-loop backoff, container states,
// pod phase, conditions and events.
//
// A Manager keeps one worker per pod. A worker syncs its pod when the pod
// changes, when one of its containers changes state (containers are polled
// every second, as the kubelet's PLEG relists), and, while the pod is
// failing, at the kubelet's resync period of 10 s plus up to 50 % jitter.
// There is no timer on the image pull backoff: the retry happens at the
// first sync after the backoff window ends, exactly as in the kubelet.
//
// The package knows nothing of HTTP, bbolt or cobra: it gets the objects it
// needs, a container runtime, an image service, an event recorder and a clock
// through small interfaces.
package pod
