package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/pod"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/runtime/cri"
	cstore "github.com/pullwarden/pullwarden/store/containerd"
)

// Agent is a running node agent.
type Agent struct {
	cfg     Config
	objects *objects.Store
	daemon  *cri.Daemon
	// adopted is the pid of a private containerd an earlier run started
	// and this one reuses (0 if none); Close stops it like its own.
	adopted  int
	store    *cstore.Store
	runtime  *cri.Runtime
	puller   *pull.Puller
	pods     *pod.Manager
	listener net.Listener
	tls      *tlsListener
	// scheduler records the Scheduled events of the one-node "scheduler"
	// that binds new pods to this node.
	scheduler *event.Recorder
	closers   []func() error
}

// Start opens the database, connects to (or starts) containerd, pulls the
// pause image and starts serving the API. Run then runs the pods.
func Start(ctx context.Context, cfg Config) (a *Agent, err error) {
	cfg = cfg.Defaults()
	if cfg.PauseImage == "" {
		return nil, errors.New("agent: a pause image is required (--pause-image): the CRI needs one for pod sandboxes")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	a = &Agent{cfg: cfg}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.objects, err = objects.Open(filepath.Join(cfg.DataDir, "state.db"), objects.WithClock(cfg.Clock.Now), objects.WithLogger(cfg.Logger), objects.WithNodeName(cfg.NodeName)); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.objects.Close)
	address, err := a.containerd(ctx)
	if err != nil {
		return nil, err
	}
	if a.store, err = cstore.Open(ctx, address, cstore.WithLogger(cfg.Logger)); err != nil {
		return nil, fmt.Errorf("containerd at %s: %w", address, err)
	}
	a.closers = append(a.closers, a.store.Close)
	if a.runtime, err = cri.New(ctx, address, cri.WithLogger(cfg.Logger)); err != nil {
		return nil, fmt.Errorf("containerd CRI at %s: %w", address, err)
	}
	a.closers = append(a.closers, a.runtime.Close)
	client := registry.New(registry.Options{Insecure: cfg.Insecure, Logger: cfg.Logger})
	a.puller = pull.New(a.store, client, pull.WithLogger(cfg.Logger), pull.WithNow(cfg.Clock.Now))
	if _, err := a.puller.Pull(ctx, pull.Request{Image: cfg.PauseImage, Policy: policy.IfNotPresent}); err != nil {
		return nil, fmt.Errorf("pause image %s: %w", cfg.PauseImage, err)
	}
	node, warnings, err := credential.LoadDockerConfig(ctx, cfg.AuthFile)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		cfg.Logger.Warn("node credentials", "source", w.Source, "problem", w.Message)
	}
	recorder := event.NewRecorder(event.Options{Sink: eventSink{a.objects}, Host: cfg.NodeName, Clock: cfg.Clock, Logger: cfg.Logger})
	a.scheduler = event.NewRecorder(event.Options{Sink: eventSink{a.objects}, Component: "default-scheduler", Clock: cfg.Clock, Logger: cfg.Logger})
	objs := podObjects{a.objects}
	if a.pods, err = pod.New(pod.Config{
		NodeName: cfg.NodeName, NodeIP: cfg.NodeIP,
		Runtime: a.runtime, Images: a.puller, Objects: objs, Recorder: podRecorder{recorder},
		Clock: cfg.Clock, LogDir: filepath.Join(cfg.DataDir, "pods"), NodeKeyring: node,
		State: objs, Logger: cfg.Logger,
	}); err != nil {
		return nil, err
	}
	if a.listener, err = apiserver.Listen(cfg.Listen); err != nil {
		return nil, err
	}
	if err := a.listenTLS(); err != nil {
		return nil, err
	}
	return a, nil
}

// Address is where the API listens.
func (a *Agent) Address() string { return a.cfg.Listen }

// Objects is the agent's object store.
func (a *Agent) Objects() *objects.Store { return a.objects }

// Run serves the API and runs the pods until ctx ends. Containers keep
// running when it returns: a restarted agent adopts them.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := apiserver.New(a.objects, apiserver.WithLogs(logSource{a}), apiserver.WithLogger(a.cfg.Logger))
	served := make(chan error, 2)
	go func() { served <- apiserver.Serve(ctx, a.listener, h) }()
	go func() { served <- a.serveTLS(ctx, h) }()
	if err := a.removeOrphans(ctx); err != nil {
		a.cfg.Logger.Warn("removing sandboxes of deleted pods", "error", err)
	}
	watched := make(chan error, 1)
	go func() { watched <- a.watchPods(ctx) }()
	var err error
	select {
	case err = <-served:
	case err = <-watched:
	case <-ctx.Done():
	}
	cancel()
	a.pods.Stop()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Close releases the database and connections and stops a private
// containerd the agent started (containers keep running under their shims).
func (a *Agent) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		_ = a.closers[i]()
	}
	a.closers = nil
	a.stopContainerd()
}

// DeletePod deletes a pod and waits until its containers are stopped and
// its sandbox removed.
func (a *Agent) DeletePod(ctx context.Context, namespace, name string) error {
	obj, err := a.objects.Delete(ctx, manifest.Pod, namespace, name)
	if err != nil {
		return err
	}
	a.pods.Remove(ctx, obj.GetUID())
	return nil
}
