package pod

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/runtime"
)

// outcome collects what one sync learned about when to sync again.
type outcome struct {
	// failed: something waits on a retry (pull error, backoff, runtime
	// error): resync after the resync period.
	failed bool
	// pullFailed: a pull was attempted and failed in this sync.
	pullFailed bool
	// changed: the sync created the sandbox or created, started or killed
	// a container. The kubelet's PLEG sees that at its next relist and
	// syncs the pod again a second later, failing or not.
	changed bool
	// keyring is built once per sync; missing names the imagePullSecrets
	// that could not be read.
	keyring credential.Keyring
	missing []string
	// retryAt is the earliest time the smart retry policy lets a failed
	// pull run again (zero: none given).
	retryAt time.Time
}

// sync brings one pod one step closer to its spec. As the kubelet's
// SyncPod, it first writes the status computed from the runtime state and
// from what the previous sync left (waiting reasons), then acts: the status
// of a sync's own actions shows at the next sync. So a new pod shows
// ContainerCreating during its first pull, and a failed pull's ErrImagePull
// shows one sync (10-15 s) later. It returns the delay before the next sync;
// 0 means only on a poke.
func (m *Manager) sync(ctx context.Context, w *worker) time.Duration {
	pod := w.current()
	st := &w.state
	if st.startTime.IsZero() {
		st.startTime = m.cfg.Clock.Now()
		if pod.Status.StartTime != nil {
			st.startTime = pod.Status.StartTime.Time
		}
	}
	var out outcome
	observeErr := m.observe(ctx, pod, st)
	if ctx.Err() != nil {
		return 0
	}
	status := m.status(pod, st)
	m.writeStatus(ctx, pod, st, status)
	if ctx.Err() != nil {
		return 0
	}
	if terminal(status.Phase) {
		m.save()
		return 0
	}
	if m.pastDeadline(pod, st) {
		m.endPastDeadline(ctx, pod, st)
		m.save()
		return RelistPeriod
	}
	out.keyring, out.missing = m.keyring(ctx, pod)
	if err := observeErr; err == nil {
		hadSandbox := st.sandboxID != ""
		err = m.ensureSandbox(ctx, pod, st)
		observeErr = err
		out.changed = !hadSandbox && st.sandboxID != ""
	}
	if observeErr != nil {
		if ctx.Err() != nil {
			return 0
		}
		m.cfg.Recorder.Event(pod, "", reason.TypeWarning, reason.EventFailedCreatePodSandBox,
			fmt.Sprintf("Failed to create pod sandbox: %v", observeErr))
		out.failed = true
	} else if m.syncInit(ctx, pod, st, &out) {
		m.syncRegular(ctx, pod, st, &out)
	}
	if ctx.Err() != nil {
		return 0
	}
	// 1.37 reports unreadable pull secrets after a sync whose pull failed,
	// after its Failed events (1.32: at every sync, before Pulling).
	if out.pullFailed && len(out.missing) > 0 {
		m.cfg.Recorder.Event(pod, "", reason.TypeWarning, reason.EventFailedToRetrieveImagePullSecret,
			reason.FailedToRetrieveImagePullSecret(out.missing))
	}
	m.save()
	delay := RelistPeriod
	if out.failed && !out.changed {
		delay = m.resyncDelay()
		if !out.retryAt.IsZero() {
			delay = min(delay, max(out.retryAt.Sub(m.cfg.Clock.Now()), time.Millisecond))
		}
	}
	return m.capAtDeadline(pod, st, delay)
}

func terminal(p corev1.PodPhase) bool { return p == corev1.PodSucceeded || p == corev1.PodFailed }

// keyring resolves the pod's imagePullSecrets, pod secrets before node
// credentials, and returns the names of the secrets that could not be read.
func (m *Manager) keyring(ctx context.Context, pod *corev1.Pod) (credential.Keyring, []string) {
	var secrets []corev1.Secret
	var missing []string
	for _, ref := range pod.Spec.ImagePullSecrets {
		s, err := m.cfg.Objects.GetSecret(ctx, pod.Namespace, ref.Name)
		if err != nil {
			missing = append(missing, ref.Name)
			continue
		}
		secrets = append(secrets, *s)
	}
	var rings []credential.Keyring
	if len(secrets) > 0 {
		ring, warnings := credential.FromSecrets(secrets)
		for _, w := range warnings {
			m.logger.Warn("unusable image pull secret", "pod", pod.Namespace+"/"+pod.Name, "secret", w.Source, "problem", w.Message)
		}
		rings = append(rings, ring)
	}
	if m.cfg.NodeKeyring != nil {
		rings = append(rings, m.cfg.NodeKeyring)
	}
	return credential.Union(rings...), missing
}

// syncInit runs the init containers in order and reports whether all have
// completed.
func (m *Manager) syncInit(ctx context.Context, pod *corev1.Pod, st *podState, out *outcome) bool {
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cs := st.ctr(c.Name)
		switch {
		case cs.succeeded():
			continue
		case cs.exited():
			if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
				m.restart(ctx, pod, st, c, initPath(c.Name), out)
			}
		case !cs.created():
			m.start(ctx, pod, st, c, initPath(c.Name), out)
		}
		return false
	}
	return true
}

// syncRegular starts every regular container that is not running and
// restarts exited ones as the restart policy says. A container whose image
// cannot be pulled does not hold up the others.
func (m *Manager) syncRegular(ctx context.Context, pod *corev1.Pod, st *podState, out *outcome) {
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs := st.ctr(c.Name)
		switch {
		case !cs.created():
			m.start(ctx, pod, st, c, containerPath(c.Name), out)
		case cs.running() && cs.image != c.Image:
			// The kubelet's containerChanged: a running container whose
			// image changed is killed and started again from the new image,
			// whatever the restart policy.
			m.kill(ctx, pod, cs, containerPath(c.Name), reason.DefinitionChanged(c.Name))
			out.changed = true
			m.restart(ctx, pod, st, c, containerPath(c.Name), out)
		case cs.exited() && shouldRestart(pod.Spec.RestartPolicy, cs.status.ExitCode):
			m.restart(ctx, pod, st, c, containerPath(c.Name), out)
		}
	}
}

func shouldRestart(p corev1.RestartPolicy, exitCode int32) bool {
	switch p {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

var (
	initPath      = event.InitContainerFieldPath
	containerPath = event.ContainerFieldPath
)

// restart starts a new incarnation of an exited container unless the
// crash-loop backoff says to wait.
func (m *Manager) restart(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, fieldPath string, out *outcome) {
	cs := st.ctr(c.Name)
	key := backoff.CrashLoopKey(pod.Name, pod.Namespace, string(pod.UID), c.Name, c.Image)
	desc := reason.PodDesc(pod.Name, pod.Namespace, string(pod.UID))
	if m.crashes.InBackOff(key, cs.status.FinishedAt) {
		m.cfg.Recorder.Event(pod, fieldPath, reason.TypeWarning, reason.EventBackOff, reason.BackOffRestarting(c.Name, desc))
		cs.waiting = &corev1.ContainerStateWaiting{
			Reason:  reason.CrashLoopBackOff,
			Message: reason.CrashLoopMessage(m.crashes.Get(key), c.Name, desc),
		}
		out.failed = true
		return
	}
	m.crashes.Next(key, cs.status.FinishedAt)
	m.start(ctx, pod, st, c, fieldPath, out)
}

// start pulls the container's image if the policy says so, then creates and
// starts the container. Failures become the container's waiting state.
func (m *Manager) start(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, fieldPath string, out *outcome) {
	cs := st.ctr(c.Name)
	image, why, msg, retryAt := m.ensureImage(ctx, pod, c, fieldPath, out.keyring)
	if why != "" {
		if ctx.Err() != nil {
			return
		}
		if !retryAt.IsZero() && (out.retryAt.IsZero() || retryAt.Before(out.retryAt)) {
			out.retryAt = retryAt
		}
		cs.waiting = &corev1.ContainerStateWaiting{Reason: why, Message: msg}
		m.cfg.Recorder.Event(pod, fieldPath, reason.TypeWarning, reason.EventFailed, reason.ErrorReason(why))
		out.failed = true
		// The kubelet counts only ErrImagePull results as pull failures.
		out.pullFailed = out.pullFailed || why == reason.ErrImagePull
		return
	}
	attempt := uint32(0)
	if cs.created() {
		attempt = cs.attempt + 1
	}
	id, err := m.cfg.Runtime.CreateContainer(ctx, st.sandboxID, m.sandboxConfig(pod), m.containerSpec(pod, c, image, attempt))
	if err != nil {
		m.startFailed(pod, cs, fieldPath, reason.CreateContainerError, err, out)
		return
	}
	if cs.created() {
		cs.last = cs.terminated()
	}
	cs.id, cs.attempt, cs.waiting, cs.image = id, attempt, nil, c.Image
	out.changed = true
	cs.status = runtime.ContainerStatus{ID: id, State: runtime.StateCreated}
	m.cfg.Recorder.Event(pod, fieldPath, reason.TypeNormal, reason.EventCreated, reason.ContainerCreated)
	if err := m.cfg.Runtime.StartContainer(ctx, id); err != nil {
		m.startFailed(pod, cs, fieldPath, reason.RunContainerError, err, out)
		return
	}
	m.cfg.Recorder.Event(pod, fieldPath, reason.TypeNormal, reason.EventStarted, reason.ContainerStarted)
	if s, err := m.cfg.Runtime.ContainerStatus(ctx, id); err == nil {
		cs.status = s
	}
}

func (m *Manager) startFailed(pod *corev1.Pod, cs *ctr, fieldPath, why string, err error, out *outcome) {
	cs.waiting = &corev1.ContainerStateWaiting{Reason: why, Message: err.Error()}
	m.cfg.Recorder.Event(pod, fieldPath, reason.TypeWarning, reason.EventFailed, reason.ErrorReason(err.Error()))
	out.failed = true
}

func (m *Manager) containerSpec(pod *corev1.Pod, c *corev1.Container, image string, attempt uint32) runtime.ContainerSpec {
	spec := runtime.ContainerSpec{
		Name:       c.Name,
		Attempt:    attempt,
		Image:      image,
		Command:    c.Command,
		Args:       c.Args,
		WorkingDir: c.WorkingDir,
		LogPath:    filepath.Join(c.Name, fmt.Sprintf("%d.log", attempt)),
		Labels: map[string]string{
			"io.kubernetes.pod.uid":        string(pod.UID),
			"io.kubernetes.pod.name":       pod.Name,
			"io.kubernetes.pod.namespace":  pod.Namespace,
			"io.kubernetes.container.name": c.Name,
			imageLabel:                     c.Image,
		},
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			spec.Env = append(spec.Env, runtime.EnvVar{Name: e.Name, Value: e.Value})
		}
	}
	return spec
}
