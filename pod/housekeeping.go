package pod

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/backoff"
)

// HousekeepingPeriod is how often the agent calls Housekeeping (the
// kubelet's housekeeping period).
const HousekeepingPeriod = 2 * time.Second

// Housekeeping drops expired pull and crash-loop backoff entries, as the
// kubelet's housekeeping does with its backoffs, and persists the result
// when it changed.
func (m *Manager) Housekeeping() {
	m.pulls.GC()
	m.crashes.GC()
	m.save()
}

// forgetCrashes drops the crash-loop entries of a removed pod's containers.
func (m *Manager) forgetCrashes(p *corev1.Pod) {
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			m.crashes.Reset(backoff.CrashLoopKey(p.Name, p.Namespace, string(p.UID), c.Name, c.Image))
		}
	}
}
