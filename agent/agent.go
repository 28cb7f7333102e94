package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/metrics"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/pod"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/runtime/cri"
	cstore "github.com/pullwarden/pullwarden/store/containerd"
	"github.com/pullwarden/pullwarden/throttle"
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
	// drained is set when Run stopped every pod on its way out.
	drained bool
	// removals are the pod removals under way (Run waits for them).
	removals sync.WaitGroup
	// unlock releases the data directory's lock, last of all.
	unlock func() error
	// slots and verifier are the image manager's settings, checked in Start.
	slots    int
	verifier *policy.Verifier
	// notifyListener is the push-notification endpoint's (nil: none),
	// metricsListener the metrics endpoint's.
	notifyListener, metricsListener net.Listener
	metrics                         *metrics.Metrics
	// nodeCreds are the node's docker config credentials, reloaded when
	// the file changes.
	nodeCreds *nodeCredentials

	// retryPolicy is the default retry policy (Config.RetryPolicy).
	retryPolicy pull.RetryPolicy
}

// Start locks the data directory, opens the database, connects to (or
// starts) containerd and waits for its CRI, pulls the pause image and
// starts listening. Run then runs the pods. On error everything Start
// acquired is released again: the lock, the database and a private
// containerd it started.
func Start(ctx context.Context, cfg Config) (*Agent, error) {
	cfg = cfg.Defaults()
	if cfg.PauseImage == "" {
		return nil, ErrNoPauseImage
	}
	slots, err := pull.PullConcurrency(cfg.SerializeImagePulls == nil || *cfg.SerializeImagePulls, cfg.MaxParallelImagePulls)
	if err != nil {
		return nil, err
	}
	verifier, err := policy.NewVerifier(policy.Verification(cfg.ImagePullCredentialsVerificationPolicy), cfg.PreloadedImagesVerificationAllowlist)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, slots: slots, verifier: verifier}
	if err := a.start(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// ErrNoPauseImage is Start's error for a Config without PauseImage.
var ErrNoPauseImage = errors.New("agent: a pause image is required (--pause-image): the CRI needs one for pod sandboxes")

func (a *Agent) start(ctx context.Context) error {
	cfg := a.cfg
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	a.unlock = release
	if a.objects, err = objects.Open(filepath.Join(cfg.DataDir, "state.db"), objects.WithClock(cfg.Clock), objects.WithLogger(cfg.Logger), objects.WithNodeName(cfg.NodeName)); err != nil {
		return err
	}
	a.closers = append(a.closers, a.objects.Close)
	address, err := a.containerd(ctx)
	if err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, cfg.CRITimeout)
	a.runtime, err = cri.Dial(wait, address, cri.WithLogger(cfg.Logger))
	cancel()
	if err != nil {
		return fmt.Errorf("containerd at %s: %w", address, err)
	}
	a.closers = append(a.closers, a.runtime.Close)
	if a.store, err = cstore.Open(ctx, address, cstore.WithLogger(cfg.Logger)); err != nil {
		return fmt.Errorf("containerd at %s: %w", address, err)
	}
	a.closers = append(a.closers, a.store.Close)
	records, err := pull.NewFileRecords(filepath.Join(cfg.DataDir, "image-pull-records"))
	if err != nil {
		return err
	}
	a.metrics = metrics.New()
	// One throttle for the node: shared Retry-After and quota waits, a
	// request token bucket per registry that waits instead of failing,
	// and a cap on concurrent blob transfers per registry.
	thr := throttle.New(throttle.Options{Clock: cfg.Clock, Logger: cfg.Logger, OnHold: func(host string, _ time.Time, why throttle.Reason) {
		a.metrics.RegistryWait(host, string(why))
	}})
	client := registry.New(registry.Options{Insecure: cfg.Insecure, Logger: cfg.Logger, Transport: thr.Transport(registry.DefaultTransport())})
	retryPolicy, err := pull.ParseRetryPolicy(cfg.RetryPolicy)
	if err != nil {
		return err
	}
	a.retryPolicy = retryPolicy
	a.puller = pull.New(a.store, client, pull.WithLogger(cfg.Logger), pull.WithClock(cfg.Clock), pull.WithMaxParallelPulls(a.slots),
		pull.WithCredentialVerification(a.verifier), pull.WithPullRecords(records),
		pull.WithRetry(pull.RetryOptions{Policy: retryPolicy, OnRetry: a.retried, Probe: client.Probe}),
		pull.WithMetrics(a.metrics), pull.WithMirrors(cfg.RegistryConfigPath, hosts.NewHealth(hosts.HealthOptions{Clock: cfg.Clock})))
	if _, err := a.puller.Pull(ctx, pull.Request{Image: cfg.PauseImage, Policy: policy.IfNotPresent}); err != nil {
		return fmt.Errorf("pause image %s: %w", cfg.PauseImage, err)
	}
	if a.nodeCreds, err = loadNodeCredentials(ctx, cfg.AuthFile, cfg.Logger); err != nil {
		return err
	}
	recorder := event.NewRecorder(event.Options{Sink: eventSink{a.objects}, Host: cfg.NodeName, Clock: cfg.Clock, Logger: cfg.Logger})
	a.scheduler = event.NewRecorder(event.Options{Sink: eventSink{a.objects}, Component: "default-scheduler", Clock: cfg.Clock, Logger: cfg.Logger})
	objs := podObjects{a.objects}
	if a.pods, err = pod.New(pod.Config{
		NodeName: cfg.NodeName, NodeIP: cfg.NodeIP,
		Runtime: a.runtime, Images: a.puller, Objects: objs, Recorder: podRecorder{recorder},
		Clock: cfg.Clock, LogDir: filepath.Join(cfg.DataDir, "pods"), NodeKeyring: a.nodeCreds,
		State: objs, Logger: cfg.Logger,
	}); err != nil {
		return err
	}
	if a.notifyListener, err = a.listenTCP(cfg.NotifyListen); err != nil {
		return fmt.Errorf("push notifications: %w", err)
	}
	if a.metricsListener, err = a.listenTCP(cfg.MetricsListen); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if a.listener, err = apiserver.Listen(cfg.Listen); err != nil {
		return err
	}
	a.closers = append(a.closers, a.closeListener)
	return a.listenTLS()
}

// closeListener closes the API listener unless Run served (and closed) it.
func (a *Agent) closeListener() error {
	if a.listener == nil {
		return nil
	}
	err := a.listener.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Address is where the API listens.
func (a *Agent) Address() string { return a.cfg.Listen }

// Objects is the agent's object store.
func (a *Agent) Objects() *objects.Store { return a.objects }

// Run serves the API and runs the pods until ctx ends. Containers keep
// running when it returns: a restarted agent adopts them. Before it
// returns, the removals of deleted pods under way have finished and the
// workers have stopped, so that Close can release the database and
// containerd under nobody's feet.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := apiserver.New(a.objects, apiserver.WithLogs(logSource{a}), apiserver.WithLogger(a.cfg.Logger), apiserver.WithRetrier(podRetrier{a.puller}),
		apiserver.WithAgentInfo(apiserver.AgentInfo{RetryPolicy: string(a.retryPolicy), RegistryConfigPath: a.cfg.RegistryConfigPath}))
	served := make(chan error, 2)
	go func() { served <- apiserver.Serve(ctx, a.listener, h) }()
	go func() { served <- a.serveTLS(ctx, h) }()
	if err := a.removeOrphans(ctx); err != nil {
		a.cfg.Logger.Warn("removing sandboxes of deleted pods", "error", err)
	}
	watched := make(chan error, 1)
	go func() { watched <- a.watchPods(ctx) }()
	housekept := make(chan error, 1)
	go func() { housekept <- a.housekeeping(ctx) }()
	retrying := make(chan struct{})
	go func() { a.runRetry(ctx); close(retrying) }()
	defer func() { <-retrying }()
	var err error
	pending := 3
	select {
	case err = <-served:
	case err = <-watched:
	case err = <-housekept:
	case <-ctx.Done():
		pending++
	}
	cancel()
	for range pending - 1 {
		select {
		case <-served:
		case <-watched:
		case <-housekept:
		}
	}
	a.removals.Wait()
	a.pods.Stop()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if a.cfg.DrainOnExit {
		// ctx has ended: the drain gets its own deadline.
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), defaultGrace+30*time.Second)
		n, derr := a.drain(dctx)
		dcancel()
		a.drained = true
		a.cfg.Logger.Info("drained: pods stopped and their sandboxes removed", "sandboxes", n)
		err = errors.Join(err, derr)
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
	if a.drained && a.private() {
		var r TeardownReport
		if err := a.sweep(&r); err != nil {
			a.cfg.Logger.Warn("detaching mounts after the drain", "error", err)
		}
	}
	if a.unlock != nil {
		_ = a.unlock()
		a.unlock = nil
	}
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

// retried hands the image manager's releases to the pod manager (which
// may not exist yet while the pause image is pulled).
func (a *Agent) retried(r pull.Retried) {
	if a.pods != nil {
		a.pods.Retried(r)
	}
}
