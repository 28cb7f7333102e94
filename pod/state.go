package pod

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/runtime"
)

// podState is what a worker knows of its pod's runtime objects.
type podState struct {
	sandboxID string
	adopted   bool
	startTime time.Time
	// written is the last status written; nil before the first write.
	written *corev1.PodStatus
	// ended is set once the pod was killed for running past its
	// activeDeadlineSeconds: it is Failed with reason DeadlineExceeded.
	ended bool
	// containers by name (init and regular names are unique in a pod).
	containers map[string]*ctr
}

// ctr is one container of the spec and its runtime incarnations.
type ctr struct {
	// id is the current runtime container, "" before the first create.
	id string
	// image is the spec image (as written in the pod) the current container
	// was created from; a different spec image restarts it.
	image string
	// attempt of the current container; the restart count.
	attempt uint32
	// status is the runtime's last report on id.
	status runtime.ContainerStatus
	// waiting, when set, explains why the container is not running (pull
	// failures, backoff, create errors). It overrides the runtime state.
	waiting *corev1.ContainerStateWaiting
	// last is the termination of the previous incarnation.
	last *corev1.ContainerStateTerminated
}

func (s *podState) ctr(name string) *ctr {
	c, ok := s.containers[name]
	if !ok {
		c = &ctr{}
		s.containers[name] = c
	}
	return c
}

func (c *ctr) created() bool { return c.id != "" }

func (c *ctr) exited() bool { return c.created() && c.status.State == runtime.StateExited }

func (c *ctr) running() bool { return c.created() && c.status.State == runtime.StateRunning }

func (c *ctr) succeeded() bool { return c.exited() && c.status.ExitCode == 0 }

func (c *ctr) terminated() *corev1.ContainerStateTerminated {
	s := c.status
	return &corev1.ContainerStateTerminated{
		ExitCode:    s.ExitCode,
		Reason:      s.Reason,
		Message:     s.Message,
		StartedAt:   metaTime(s.StartedAt),
		FinishedAt:  metaTime(s.FinishedAt),
		ContainerID: containerID(c.id),
	}
}

func containerID(id string) string {
	if id == "" {
		return ""
	}
	return "containerd://" + id
}
