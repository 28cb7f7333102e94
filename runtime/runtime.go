package runtime

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (matched with errors.Is) when a sandbox,
// container or image does not exist.
var ErrNotFound = errors.New("not found")

// Runtime runs pod sandboxes and their containers.
type Runtime interface {
	// RunPodSandbox creates and starts the sandbox of a pod and returns
	// its ID.
	RunPodSandbox(ctx context.Context, pod Sandbox) (string, error)
	// StopPodSandbox stops the sandbox and every container in it. Stopping
	// a stopped sandbox succeeds.
	StopPodSandbox(ctx context.Context, sandboxID string) error
	// RemovePodSandbox removes a sandbox and its containers. Removing a
	// sandbox that does not exist succeeds.
	RemovePodSandbox(ctx context.Context, sandboxID string) error
	// ListPodSandboxes lists the sandboxes (all states).
	ListPodSandboxes(ctx context.Context) ([]SandboxInfo, error)

	// CreateContainer creates a container in a running sandbox; pod must
	// be the Sandbox the sandbox was started with.
	CreateContainer(ctx context.Context, sandboxID string, pod Sandbox, spec ContainerSpec) (string, error)
	// StartContainer starts a created container.
	StartContainer(ctx context.Context, containerID string) error
	// StopContainer sends SIGTERM, then SIGKILL after timeout.
	StopContainer(ctx context.Context, containerID string, timeout time.Duration) error
	// RemoveContainer removes a container (it is stopped first).
	RemoveContainer(ctx context.Context, containerID string) error
	// ContainerStatus returns a container's state, or ErrNotFound.
	ContainerStatus(ctx context.Context, containerID string) (ContainerStatus, error)
	// ListContainers lists containers, those of one sandbox when
	// filter.SandboxID is set.
	ListContainers(ctx context.Context, filter ContainerFilter) ([]Container, error)

	// ImageStatus reports whether the runtime can use an image (a
	// reference or an image ID) and what it knows of it; ErrNotFound when
	// absent.
	ImageStatus(ctx context.Context, image string) (Image, error)
}

// Sandbox is what the runtime needs of a pod to make its sandbox.
type Sandbox struct {
	Name      string
	Namespace string
	UID       string
	// Attempt counts sandboxes made for this pod, from 0.
	Attempt uint32
	// HostNetwork shares the node's network namespace (no CNI needed).
	HostNetwork bool
	// LogDirectory is the absolute directory where container logs go;
	// ContainerSpec.LogPath is relative to it.
	LogDirectory string
	Labels       map[string]string
	Annotations  map[string]string
}

// ContainerSpec is one container to create.
type ContainerSpec struct {
	Name    string
	Attempt uint32
	// Image is the image reference or image ID; the image must be present.
	Image      string
	Command    []string
	Args       []string
	Env        []EnvVar
	WorkingDir string
	// LogPath is relative to Sandbox.LogDirectory, e.g. "app/0.log".
	LogPath     string
	Labels      map[string]string
	Annotations map[string]string
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name, Value string
}

// ContainerState is the state of a container.
type ContainerState string

// The container states.
const (
	StateCreated ContainerState = "Created"
	StateRunning ContainerState = "Running"
	StateExited  ContainerState = "Exited"
	StateUnknown ContainerState = "Unknown"
)

// ContainerStatus is the runtime's view of one container.
type ContainerStatus struct {
	ID       string
	Name     string
	Attempt  uint32
	State    ContainerState
	ExitCode int32
	// Reason and Message explain an exit ("Completed", "Error",
	// "OOMKilled").
	Reason, Message string
	CreatedAt       time.Time
	StartedAt       time.Time // zero until started
	FinishedAt      time.Time // zero until exited
	// Image is the image as asked for; ImageRef is the runtime's image
	// reference (a repo digest or image ID); ImageID is the image ID.
	Image, ImageRef, ImageID string
	// LogPath is the absolute path of the container's log file.
	LogPath string
}

// Container is one entry of ListContainers.
type Container struct {
	ID        string
	SandboxID string
	Name      string
	Attempt   uint32
	State     ContainerState
	Image     string
	ImageRef  string
	CreatedAt time.Time
	Labels    map[string]string
}

// ContainerFilter narrows ListContainers; zero fields match everything.
type ContainerFilter struct {
	SandboxID string
}

// SandboxInfo is one entry of ListPodSandboxes.
type SandboxInfo struct {
	ID        string
	Name      string
	Namespace string
	UID       string
	Attempt   uint32
	Ready     bool
	CreatedAt time.Time
	Labels    map[string]string
}

// Image is what the runtime knows of an image.
type Image struct {
	// ID is the image ID (the config digest, "sha256:...").
	ID          string
	RepoTags    []string
	RepoDigests []string
	Size        uint64
}
