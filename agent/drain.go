package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/runtime"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// defaultGrace is a pod's termination grace period when its spec has none
// (the API server's default).
const defaultGrace = 30 * time.Second

// TeardownReport says what a drain or a reset removed.
type TeardownReport struct {
	// Sandboxes is the number of pod sandboxes stopped and removed.
	Sandboxes int
	// Containerd is the pid of the private containerd that was stopped (0
	// when none ran).
	Containerd int
	// Shims is the number of containerd-shim processes that outlived the
	// sandboxes and were killed.
	Shims int
	// Mounts is the number of mounts under the data directory detached.
	Mounts int
}

// sandboxRuntime is the part of the runtime a teardown needs.
type sandboxRuntime interface {
	ListPodSandboxes(ctx context.Context) ([]runtime.SandboxInfo, error)
	ListContainers(ctx context.Context, filter runtime.ContainerFilter) ([]runtime.Container, error)
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	StopPodSandbox(ctx context.Context, id string) error
	RemovePodSandbox(ctx context.Context, id string) error
}

// teardownSandboxes stops the containers of every sandbox (with the grace
// period of their pod, when the pod is stored), then stops and removes the
// sandbox, all pods at once. With all false only sandboxes of stored pods
// are touched (a containerd shared with others).
func teardownSandboxes(ctx context.Context, rt sandboxRuntime, store *objects.Store, all bool) (int, error) {
	grace := map[string]time.Duration{}
	if store != nil {
		pods, _, err := store.List(ctx, manifest.Pod, "")
		if err != nil && !all {
			return 0, err
		}
		for _, o := range pods {
			g := defaultGrace
			if p, ok := o.(*corev1.Pod); ok && p.Spec.TerminationGracePeriodSeconds != nil {
				g = time.Duration(*p.Spec.TerminationGracePeriodSeconds) * time.Second
			}
			grace[string(o.GetUID())] = g
		}
	}
	boxes, err := rt.ListPodSandboxes(ctx)
	if err != nil {
		return 0, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		n    int
		errs []error
	)
	for _, b := range boxes {
		g, stored := grace[b.UID]
		if !stored && !all {
			continue
		}
		if !stored {
			g = defaultGrace
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := teardownSandbox(ctx, rt, b.ID, g)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("pod %s/%s: %w", b.Namespace, b.Name, err))
				return
			}
			n++
		}()
	}
	wg.Wait()
	return n, errors.Join(errs...)
}

func teardownSandbox(ctx context.Context, rt sandboxRuntime, id string, grace time.Duration) error {
	ctrs, err := rt.ListContainers(ctx, runtime.ContainerFilter{SandboxID: id})
	if err != nil {
		return err
	}
	for _, c := range ctrs {
		if c.State == runtime.StateRunning {
			if err := rt.StopContainer(ctx, c.ID, grace); err != nil {
				return err
			}
		}
	}
	if err := rt.StopPodSandbox(ctx, id); err != nil {
		return err
	}
	return rt.RemovePodSandbox(ctx, id)
}

// drain stops every pod of this agent and removes its sandbox (serve
// --drain-on-exit). The objects stay: a restarted agent starts the pods
// again.
func (a *Agent) drain(ctx context.Context) (int, error) {
	return teardownSandboxes(ctx, a.runtime, a.objects, a.private())
}

// private reports whether the agent runs its own containerd.
func (a *Agent) private() bool { return a.cfg.ContainerdAddress == "auto" }

// sweep kills the shims that outlived a private containerd and detaches
// the mounts left under its directory; run after it stopped.
func (a *Agent) sweep(r *TeardownReport) error {
	dir := filepath.Join(a.cfg.DataDir, "containerd")
	r.Shims += cri.KillShims(cri.PathsFor(dir).Socket)
	n, err := cri.UnmountUnder(a.cfg.DataDir)
	r.Mounts += n
	return err
}

// Reset tears a node down as kubeadm reset does: with no agent running on
// cfg.DataDir (else AlreadyRunningError), it stops every pod and removes
// its sandbox, stops the private containerd (starting it first when an
// earlier run left sandboxes behind), kills shims that outlived it and
// detaches the mounts under the data directory. With an external
// containerd (ContainerdAddress not "auto") only the sandboxes of the
// agent's stored pods are removed and containerd keeps running. The
// database (objects, backoff) and the images stay unless removeData, which
// deletes the whole data directory at the end.
func Reset(ctx context.Context, cfg Config, removeData bool) (TeardownReport, error) {
	cfg = cfg.Defaults()
	var r TeardownReport
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return r, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	a := &Agent{cfg: cfg}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return r, err
	}
	a.unlock = release
	defer a.Close()
	if a.objects, err = objects.Open(filepath.Join(cfg.DataDir, "state.db"), objects.WithLogger(cfg.Logger)); err == nil {
		a.closers = append(a.closers, a.objects.Close)
	} else if !a.private() {
		return r, err
	}
	var errs []error
	if !a.private() || hasContainerd(cfg.DataDir) {
		address, err := a.containerd(ctx)
		if err != nil {
			return r, err
		}
		wait, cancel := context.WithTimeout(ctx, cfg.CRITimeout)
		rt, err := cri.Dial(wait, address, cri.WithLogger(cfg.Logger))
		cancel()
		if err != nil {
			return r, fmt.Errorf("containerd at %s: %w", address, err)
		}
		r.Sandboxes, err = teardownSandboxes(ctx, rt, a.objects, a.private())
		rt.Close()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if a.private() {
		r.Containerd = a.containerdPid()
		a.stopContainerd()
		if err := a.sweep(&r); err != nil {
			errs = append(errs, err)
		}
	}
	a.Close()
	if removeData && len(errs) == 0 {
		if err := os.RemoveAll(cfg.DataDir); err != nil {
			errs = append(errs, err)
		}
	}
	return r, errors.Join(errs...)
}

// hasContainerd reports whether a private containerd was ever configured
// under dataDir.
func hasContainerd(dataDir string) bool {
	_, err := os.Stat(cri.PathsFor(filepath.Join(dataDir, "containerd")).Config)
	return err == nil
}

// containerdPid is the pid of the private containerd in use (0 if none).
func (a *Agent) containerdPid() int {
	if a.daemon != nil {
		return a.daemon.Pid()
	}
	return a.adopted
}
