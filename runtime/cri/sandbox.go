package cri

import (
	"context"
	"fmt"
	"path/filepath"

	criv1 "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/pullwarden/pullwarden/runtime"
)

// The labels the kubelet puts on sandboxes and containers; crictl and
// other tools read them.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

func namespaceOptions(hostNetwork bool) *criv1.NamespaceOption {
	ns := &criv1.NamespaceOption{Network: criv1.NamespaceMode_POD, Pid: criv1.NamespaceMode_CONTAINER, Ipc: criv1.NamespaceMode_POD}
	if hostNetwork {
		ns.Network = criv1.NamespaceMode_NODE
	}
	return ns
}

func podLabels(pod runtime.Sandbox) map[string]string {
	l := make(map[string]string, len(pod.Labels)+3)
	for k, v := range pod.Labels {
		l[k] = v
	}
	l[LabelPodName] = pod.Name
	l[LabelPodNamespace] = pod.Namespace
	l[LabelPodUID] = pod.UID
	return l
}

// sandboxConfig builds the CRI sandbox config. A host-network sandbox gets
// no hostname (the CRI refuses one with the node's network) and no DNS
// config: it uses the node's.
func sandboxConfig(pod runtime.Sandbox) (*criv1.PodSandboxConfig, error) {
	if pod.Name == "" || pod.Namespace == "" || pod.UID == "" {
		return nil, fmt.Errorf("sandbox needs name, namespace and UID (got %q/%q uid %q)", pod.Namespace, pod.Name, pod.UID)
	}
	if pod.LogDirectory != "" && !filepath.IsAbs(pod.LogDirectory) {
		return nil, fmt.Errorf("sandbox log directory %q is not absolute", pod.LogDirectory)
	}
	cfg := &criv1.PodSandboxConfig{
		Metadata:     &criv1.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: pod.UID, Attempt: pod.Attempt},
		LogDirectory: pod.LogDirectory,
		Labels:       podLabels(pod),
		Annotations:  pod.Annotations,
		Linux: &criv1.LinuxPodSandboxConfig{
			SecurityContext: &criv1.LinuxSandboxSecurityContext{NamespaceOptions: namespaceOptions(pod.HostNetwork)},
		},
	}
	if !pod.HostNetwork {
		cfg.Hostname = pod.Name
	}
	return cfg, nil
}

// RunPodSandbox implements runtime.Runtime.
func (r *Runtime) RunPodSandbox(ctx context.Context, pod runtime.Sandbox) (string, error) {
	cfg, err := sandboxConfig(pod)
	if err != nil {
		return "", err
	}
	resp, err := r.rt.RunPodSandbox(ctx, &criv1.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		return "", wrap(err, "run sandbox for pod %s/%s", pod.Namespace, pod.Name)
	}
	r.logger.Debug("sandbox started", "pod", pod.Namespace+"/"+pod.Name, "sandbox", resp.PodSandboxId)
	return resp.PodSandboxId, nil
}

// StopPodSandbox implements runtime.Runtime.
func (r *Runtime) StopPodSandbox(ctx context.Context, id string) error {
	_, err := r.rt.StopPodSandbox(ctx, &criv1.StopPodSandboxRequest{PodSandboxId: id})
	if err = ignoreNotFound(err); err != nil {
		return wrap(err, "stop sandbox %s", id)
	}
	return nil
}

// RemovePodSandbox implements runtime.Runtime.
func (r *Runtime) RemovePodSandbox(ctx context.Context, id string) error {
	_, err := r.rt.RemovePodSandbox(ctx, &criv1.RemovePodSandboxRequest{PodSandboxId: id})
	if err = ignoreNotFound(err); err != nil {
		return wrap(err, "remove sandbox %s", id)
	}
	return nil
}

// ListPodSandboxes implements runtime.Runtime.
func (r *Runtime) ListPodSandboxes(ctx context.Context) ([]runtime.SandboxInfo, error) {
	resp, err := r.rt.ListPodSandbox(ctx, &criv1.ListPodSandboxRequest{})
	if err != nil {
		return nil, wrap(err, "list sandboxes")
	}
	out := make([]runtime.SandboxInfo, 0, len(resp.Items))
	for _, s := range resp.Items {
		info := runtime.SandboxInfo{
			ID:        s.Id,
			Ready:     s.State == criv1.PodSandboxState_SANDBOX_READY,
			CreatedAt: unixNano(s.CreatedAt),
			Labels:    s.Labels,
		}
		if m := s.Metadata; m != nil {
			info.Name, info.Namespace, info.UID, info.Attempt = m.Name, m.Namespace, m.Uid, m.Attempt
		}
		out = append(out, info)
	}
	return out, nil
}
