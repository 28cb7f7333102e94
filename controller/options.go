package controller

import (
	"context"
	"log/slog"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/recheck"
	"github.com/pullwarden/pullwarden/registry"
)

// Defaults of Options.
const (
	DefaultMetricsListen = ":9471"
	DefaultHealthListen  = ":9472"
	DefaultNodeTimeout   = 10 * time.Second
	// LeaseName is the leader election Lease.
	LeaseName = "pullwarden-controller"
	// DefaultLeaseNamespace is the Lease's namespace when neither
	// Options.LeaderElectionNamespace nor $POD_NAMESPACE says.
	DefaultLeaseNamespace = "pullwarden-system"
)

// Options configure Run. Zero fields take the defaults named on each.
type Options struct {
	// Namespace restricts the controller (and its cache) to one
	// namespace; "" watches every namespace.
	Namespace string
	// LeaderElect runs only while holding the Lease LeaseName in
	// LeaderElectionNamespace (default DefaultLeaseNamespace).
	LeaderElect             bool
	LeaderElectionNamespace string
	// MetricsListen serves Prometheus /metrics; default ":9471", "0"
	// turns it off.
	MetricsListen string
	// HealthListen serves /healthz and /readyz; default ":9472", "0"
	// turns it off.
	HealthListen string
	// RecheckInterval and RecheckMax bound the re-check schedule of a
	// waiting pod's images: default 2s doubling to 30s (package recheck).
	RecheckInterval time.Duration
	RecheckMax      time.Duration
	// NodeTimeout is how long to wait for the node DaemonSet's PullResult
	// before nudging without it; default 10s.
	NodeTimeout time.Duration
	// Checker runs the diagnosis; default one over a registry client with
	// the default options (plain HTTP only for loopback registries) whose
	// answers serve every pod of the same image and credential for a
	// second.
	Checker *diagnose.Checker
	// RegistryConfigPath is a containerd hosts.toml directory (certs.d)
	// whose per-registry settings (ca, client certificates, headers) the
	// default Checker's requests use, as the nodes' containerd would.
	RegistryConfigPath string
	// Clock tells time for the schedules, tokens and metrics; default the
	// wall clock.
	Clock clock.Clock
	// Probe asks a registry host whether it answers again; the hosts of
	// images waiting with RegistryUnreachable are probed on
	// recheck.Probe()'s schedule (500ms to 1s) and the first answer
	// re-checks every pod waiting on them. Default: a /v2/ GET
	// (registry.Client.Probe).
	Probe func(ctx context.Context, host string) error
	// NotifyListen, when set, serves docker-registry push notifications
	// (POST http://ADDR/registry/notifications): a push of a repository
	// re-checks the pods waiting on it at once. NotifyToken, when set, is
	// the bearer token they must carry.
	NotifyListen string
	NotifyToken  string
	// Logger receives the controller's records; default discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MetricsListen == "" {
		o.MetricsListen = DefaultMetricsListen
	}
	if o.HealthListen == "" {
		o.HealthListen = DefaultHealthListen
	}
	if o.LeaderElectionNamespace == "" {
		o.LeaderElectionNamespace = DefaultLeaseNamespace
	}
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = recheck.DefaultInitial
	}
	if o.RecheckMax <= 0 {
		o.RecheckMax = recheck.DefaultMax
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = DefaultNodeTimeout
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Probe == nil {
		o.Probe = diagnose.NewRegistryClient(registry.Options{Logger: o.Logger}).Probe
	}
	return o
}
