package pod

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/runtime"
)

func (m *Manager) sandboxConfig(pod *corev1.Pod) runtime.Sandbox {
	return runtime.Sandbox{
		Name:      pod.Name,
		Namespace: pod.Namespace,
		UID:       string(pod.UID),
		// Pods share the node's network: the agent runs without CNI.
		HostNetwork:  true,
		LogDirectory: filepath.Join(m.cfg.LogDir, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID)),
		Labels:       map[string]string{"io.kubernetes.pod.uid": string(pod.UID)},
	}
}

// imageLabel records on a container the image its pod spec named when it
// was created, so that a restarted agent still sees a changed image.
const imageLabel = "io.pullwarden.container.image"

// observe reads the pod's runtime state, as the kubelet's PLEG does before a
// sync: once, the sandbox and containers a previous agent left (adoption);
// then the state of every current container.
func (m *Manager) observe(ctx context.Context, pod *corev1.Pod, st *podState) error {
	if !st.adopted {
		if err := m.adopt(ctx, pod, st); err != nil {
			return err
		}
		st.adopted = true
	}
	m.refresh(ctx, st)
	return nil
}

// ensureSandbox creates the pod's sandbox when it has none.
func (m *Manager) ensureSandbox(ctx context.Context, pod *corev1.Pod, st *podState) error {
	if st.sandboxID != "" {
		return nil
	}
	id, err := m.cfg.Runtime.RunPodSandbox(ctx, m.sandboxConfig(pod))
	if err != nil {
		return err
	}
	st.sandboxID = id
	return nil
}

// adopt finds the pod's ready sandbox and containers in the runtime.
func (m *Manager) adopt(ctx context.Context, pod *corev1.Pod, st *podState) error {
	boxes, err := m.cfg.Runtime.ListPodSandboxes(ctx)
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if b.UID == string(pod.UID) && b.Ready {
			st.sandboxID = b.ID
		}
	}
	if st.sandboxID == "" {
		return nil
	}
	list, err := m.cfg.Runtime.ListContainers(ctx, runtime.ContainerFilter{SandboxID: st.sandboxID})
	if err != nil {
		return err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Attempt < list[j].Attempt })
	for _, c := range list {
		cs := st.ctr(c.Name)
		if cs.id != "" {
			prev, err := m.cfg.Runtime.ContainerStatus(ctx, cs.id)
			if err == nil {
				cs.status = prev
				cs.last = cs.terminated()
			}
		}
		cs.id, cs.attempt, cs.image = c.ID, c.Attempt, c.Labels[imageLabel]
	}
	return nil
}

// refresh reads the runtime state of every current container.
func (m *Manager) refresh(ctx context.Context, st *podState) {
	for _, cs := range st.containers {
		if cs.id == "" {
			continue
		}
		s, err := m.cfg.Runtime.ContainerStatus(ctx, cs.id)
		switch {
		case errors.Is(err, runtime.ErrNotFound):
			cs.status.State, cs.status.ExitCode = runtime.StateExited, 137
			cs.status.Reason = reason.ContainerStatusUnknown
			cs.status.Message = "The container could not be located when the pod was terminated"
		case err == nil:
			cs.status = s
		}
	}
}

// teardown stops and removes a removed pod's containers and sandbox.
func (m *Manager) teardown(ctx context.Context, w *worker) {
	pod := w.current()
	st := &w.state
	if st.sandboxID == "" && !st.adopted {
		_ = m.adopt(ctx, pod, st)
	}
	grace := gracePeriod(pod)
	for name, cs := range st.containers {
		if cs.running() {
			m.cfg.Recorder.Event(pod, containerFieldPath(pod, name), reason.TypeNormal, reason.EventKilling, reason.KillingContainer(name))
			_ = m.cfg.Runtime.StopContainer(ctx, cs.id, grace)
		}
	}
	if st.sandboxID != "" {
		_ = m.cfg.Runtime.StopPodSandbox(ctx, st.sandboxID)
		_ = m.cfg.Runtime.RemovePodSandbox(ctx, st.sandboxID)
	}
}

func containerFieldPath(pod *corev1.Pod, name string) string {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return initPath(name)
		}
	}
	return containerPath(name)
}
