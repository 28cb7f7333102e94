package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// writeStatus writes s as the pod's status unless it equals the last status
// written, as the kubelet's status manager does: an unchanged pod gets no
// new resourceVersion and watchers see no event.
func (m *Manager) writeStatus(ctx context.Context, pod *corev1.Pod, st *podState, s corev1.PodStatus) {
	if st.written != nil && equality.Semantic.DeepEqual(*st.written, s) {
		return
	}
	pod.Status = s
	if err := m.cfg.Objects.UpdatePodStatus(ctx, pod); err != nil {
		if ctx.Err() == nil {
			m.logger.Warn("updating pod status", "pod", pod.Namespace+"/"+pod.Name, "error", err)
		}
		return
	}
	st.written = s.DeepCopy()
}
