package cri

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	criv1 "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/pullwarden/pullwarden/runtime"
)

func containerConfig(pod runtime.Sandbox, spec runtime.ContainerSpec) (*criv1.ContainerConfig, error) {
	if spec.Name == "" || spec.Image == "" {
		return nil, fmt.Errorf("container needs a name and an image (got %q, %q)", spec.Name, spec.Image)
	}
	labels := make(map[string]string, len(spec.Labels)+4)
	for k, v := range spec.Labels {
		labels[k] = v
	}
	for k, v := range podLabels(pod) {
		if k == LabelPodName || k == LabelPodNamespace || k == LabelPodUID {
			labels[k] = v
		}
	}
	labels[LabelContainerName] = spec.Name
	envs := make([]*criv1.KeyValue, 0, len(spec.Env))
	for _, e := range spec.Env {
		envs = append(envs, &criv1.KeyValue{Key: e.Name, Value: []byte(e.Value)})
	}
	return &criv1.ContainerConfig{
		Metadata:    &criv1.ContainerMetadata{Name: spec.Name, Attempt: spec.Attempt},
		Image:       &criv1.ImageSpec{Image: spec.Image},
		Command:     spec.Command,
		Args:        spec.Args,
		WorkingDir:  spec.WorkingDir,
		Envs:        envs,
		LogPath:     spec.LogPath,
		Labels:      labels,
		Annotations: spec.Annotations,
		Linux: &criv1.LinuxContainerConfig{
			SecurityContext: &criv1.LinuxContainerSecurityContext{NamespaceOptions: namespaceOptions(pod.HostNetwork)},
		},
	}, nil
}

// CreateContainer implements runtime.Runtime.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, pod runtime.Sandbox, spec runtime.ContainerSpec) (string, error) {
	scfg, err := sandboxConfig(pod)
	if err != nil {
		return "", err
	}
	ccfg, err := containerConfig(pod, spec)
	if err != nil {
		return "", err
	}
	if pod.LogDirectory != "" && spec.LogPath != "" {
		// The CRI opens the log file but does not make its directory.
		if err := os.MkdirAll(filepath.Dir(filepath.Join(pod.LogDirectory, spec.LogPath)), 0o755); err != nil {
			return "", fmt.Errorf("container log directory: %w", err)
		}
	}
	resp, err := r.rt.CreateContainer(ctx, &criv1.CreateContainerRequest{PodSandboxId: sandboxID, Config: ccfg, SandboxConfig: scfg})
	if err != nil {
		return "", wrap(err, "create container %s in sandbox %s", spec.Name, sandboxID)
	}
	return resp.ContainerId, nil
}

// StartContainer implements runtime.Runtime.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	if _, err := r.rt.StartContainer(ctx, &criv1.StartContainerRequest{ContainerId: id}); err != nil {
		return wrap(err, "start container %s", id)
	}
	return nil
}

// StopContainer implements runtime.Runtime. The timeout is rounded up to
// whole seconds, as the CRI counts them.
func (r *Runtime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	secs := int64((timeout + time.Second - 1) / time.Second)
	_, err := r.rt.StopContainer(ctx, &criv1.StopContainerRequest{ContainerId: id, Timeout: secs})
	if err = ignoreNotFound(err); err != nil {
		return wrap(err, "stop container %s", id)
	}
	return nil
}

// RemoveContainer implements runtime.Runtime.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	_, err := r.rt.RemoveContainer(ctx, &criv1.RemoveContainerRequest{ContainerId: id})
	if err = ignoreNotFound(err); err != nil {
		return wrap(err, "remove container %s", id)
	}
	return nil
}

// ContainerStatus implements runtime.Runtime.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	resp, err := r.rt.ContainerStatus(ctx, &criv1.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		return runtime.ContainerStatus{}, wrap(err, "status of container %s", id)
	}
	s := resp.Status
	if s == nil {
		return runtime.ContainerStatus{}, fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	out := runtime.ContainerStatus{
		ID:         s.Id,
		State:      state(s.State),
		ExitCode:   s.ExitCode,
		Reason:     s.Reason,
		Message:    s.Message,
		CreatedAt:  unixNano(s.CreatedAt),
		StartedAt:  unixNano(s.StartedAt),
		FinishedAt: unixNano(s.FinishedAt),
		ImageRef:   s.ImageRef,
		ImageID:    s.ImageId,
		LogPath:    s.LogPath,
	}
	if s.Metadata != nil {
		out.Name, out.Attempt = s.Metadata.Name, s.Metadata.Attempt
	}
	if s.Image != nil {
		out.Image = s.Image.Image
	}
	return out, nil
}

// ListContainers implements runtime.Runtime.
func (r *Runtime) ListContainers(ctx context.Context, filter runtime.ContainerFilter) ([]runtime.Container, error) {
	req := &criv1.ListContainersRequest{}
	if filter.SandboxID != "" {
		req.Filter = &criv1.ContainerFilter{PodSandboxId: filter.SandboxID}
	}
	resp, err := r.rt.ListContainers(ctx, req)
	if err != nil {
		return nil, wrap(err, "list containers")
	}
	out := make([]runtime.Container, 0, len(resp.Containers))
	for _, c := range resp.Containers {
		e := runtime.Container{
			ID:        c.Id,
			SandboxID: c.PodSandboxId,
			State:     state(c.State),
			ImageRef:  c.ImageRef,
			CreatedAt: unixNano(c.CreatedAt),
			Labels:    c.Labels,
		}
		if c.Metadata != nil {
			e.Name, e.Attempt = c.Metadata.Name, c.Metadata.Attempt
		}
		if c.Image != nil {
			e.Image = c.Image.Image
		}
		out = append(out, e)
	}
	return out, nil
}

func state(s criv1.ContainerState) runtime.ContainerState {
	switch s {
	case criv1.ContainerState_CONTAINER_CREATED:
		return runtime.StateCreated
	case criv1.ContainerState_CONTAINER_RUNNING:
		return runtime.StateRunning
	case criv1.ContainerState_CONTAINER_EXITED:
		return runtime.StateExited
	default:
		return runtime.StateUnknown
	}
}
