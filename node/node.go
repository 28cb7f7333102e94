package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/workqueue"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/metrics"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/runtime/cri"
	cstore "github.com/pullwarden/pullwarden/store/containerd"
	"github.com/pullwarden/pullwarden/throttle"
)

// Defaults of Config.
const (
	DefaultContainerdSocket    = "/run/containerd/containerd.sock"
	DefaultContainerdNamespace = "k8s.io"
	DefaultNamespace           = "pullwarden-system"
	DefaultPrepullConfigMap    = "pullwarden-prepull"
	DefaultPrepullResync       = time.Minute
	DefaultWorkers             = 4
)

// Config configures a Node. Zero fields take the defaults named on each.
type Config struct {
	// NodeName is the node whose pods are served; required.
	NodeName string
	// Client reaches the API server; required.
	Client kubernetes.Interface
	// ContainerdAddress is the node's containerd socket (default
	// DefaultContainerdSocket); ContainerdNamespace its namespace (default
	// "k8s.io", the CRI's).
	ContainerdAddress   string
	ContainerdNamespace string
	// Namespace holds the pre-pull ConfigMap and its secrets (default
	// pullwarden-system); PrepullConfigMap is its name (default
	// pullwarden-prepull).
	Namespace        string
	PrepullConfigMap string
	// PrepullResync is how often every pre-pull image is looked at again,
	// so that one the kubelet's image GC removed comes back (default 1m).
	PrepullResync time.Duration
	// RegistryConfigPath is containerd's hosts.toml directory (mirrors);
	// "" is none.
	RegistryConfigPath string
	// DockerConfig is the node's own credentials file (a docker
	// config.json), tried after a pod's secrets; "" is none.
	DockerConfig string
	// Registry are the registry client's options (Transport is wrapped in
	// the node's throttle; Clock defaults to Clock).
	Registry registry.Options
	// Workers is how many pods' pull requests are answered at once
	// (default 4). Pulls of one image with one credential share a
	// transfer whatever the number.
	Workers int
	// Clock drives the pre-pull retries, re-checks and timestamps
	// (default the wall clock).
	Clock clock.Clock
	// Logger receives the node's records (default: discard).
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.NodeName == "" {
		return errors.New("node: the node name is required (--node-name or $NODE_NAME)")
	}
	if c.Client == nil {
		return errors.New("node: a Kubernetes client is required")
	}
	if c.ContainerdAddress == "" {
		c.ContainerdAddress = DefaultContainerdSocket
	}
	if c.ContainerdNamespace == "" {
		c.ContainerdNamespace = DefaultContainerdNamespace
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.PrepullConfigMap == "" {
		c.PrepullConfigMap = DefaultPrepullConfigMap
	}
	if c.PrepullResync <= 0 {
		c.PrepullResync = DefaultPrepullResync
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Registry.Logger == nil {
		c.Registry.Logger = c.Logger
	}
	return nil
}

// Node is the node DaemonSet's work: answers to pull requests, pre-pulls
// and the HTTP endpoints. Start with New, then Run; Close at the end.
type Node struct {
	cfg   Config
	store *cstore.Store
	// cri is the kubelet's view of the node's images (nil when the CRI
	// does not answer on the containerd socket).
	cri      imageStatuser
	puller   *pull.Puller
	metrics  *metrics.Metrics
	gauges   *gauges
	nodeRing credential.Keyring
	queue    workqueue.TypedRateLimitingInterface[string]
	prepull  *prepull
	// podLister reads the node's pods from the informer's cache.
	podLister corelisters.PodLister

	mu       sync.Mutex
	answered map[string]answer // by pod UID: the last token answered
}

// New connects to the node's containerd and builds the engine: one
// throttle and one registry client for the node, the pull engine with the
// smart retry policy, hosts.toml mirrors and Prometheus metrics.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, answered: map[string]answer{}, metrics: metrics.New()}
	n.gauges = newGauges(n.metrics.Registerer())
	ring, err := nodeKeyring(ctx, cfg.DockerConfig, cfg.Logger)
	if err != nil {
		return nil, err
	}
	n.nodeRing = ring
	st, err := cstore.Open(ctx, cfg.ContainerdAddress, cstore.WithNamespace(cfg.ContainerdNamespace), cstore.WithLogger(cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("containerd at %s: %w", cfg.ContainerdAddress, err)
	}
	n.store = st
	if rt, err := cri.New(ctx, cfg.ContainerdAddress); err == nil {
		n.cri = rt
	} else {
		cfg.Logger.Warn("no CRI on the containerd socket: answers do not wait for the kubelet's runtime to see an image", "err", err)
	}
	thr := throttle.New(throttle.Options{Clock: cfg.Clock, Logger: cfg.Logger, OnHold: func(host string, _ time.Time, why throttle.Reason) {
		n.metrics.RegistryWait(host, string(why))
	}})
	ro := cfg.Registry
	base := ro.Transport
	if base == nil {
		base = registry.DefaultTransport()
	}
	ro.Transport = thr.Transport(base)
	client := registry.New(ro)
	n.prepull = newPrepull(cfg.Clock)
	n.puller = pull.New(st, client, pull.WithLogger(cfg.Logger), pull.WithClock(cfg.Clock), pull.WithMetrics(n.metrics),
		pull.WithRetry(pull.RetryOptions{Policy: pull.RetrySmart, OnRetry: n.retried, Probe: client.Probe}),
		pull.WithMirrors(cfg.RegistryConfigPath, hosts.NewHealth(hosts.HealthOptions{Clock: cfg.Clock})))
	n.queue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "pullwarden-node"})
	return n, nil
}

// Close releases the containerd connection.
func (n *Node) Close() error {
	n.queue.ShutDown()
	if c, ok := n.cri.(interface{ Close() error }); ok {
		c.Close()
	}
	return n.store.Close()
}

// Run watches the node's pods and the pre-pull ConfigMap and answers
// until ctx ends.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait() // last: after the context is canceled
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer n.queue.ShutDown()
	wg.Go(func() { _ = n.puller.RunRechecks(ctx) })
	wg.Go(func() { n.runPrepull(ctx) })
	if err := n.watch(ctx, &wg); err != nil {
		return err
	}
	for range n.cfg.Workers {
		wg.Go(func() {
			for n.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	return nil
}

// retried is the engine's OnRetry: a held pre-pull may run now.
func (n *Node) retried(r pull.Retried) {
	n.cfg.Logger.Info("retrying a held pull", "image", r.Image, "trigger", string(r.Trigger))
	n.prepull.wake()
}
