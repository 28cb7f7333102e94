package controller

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	ctrlcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/recheck"
	"github.com/pullwarden/pullwarden/registry"
)

var setLoggerOnce sync.Once

// Run runs the controller against the cluster of cfg until ctx ends (then
// it returns nil), or until it fails: losing the Lease with LeaderElect is
// an error, and the process should exit.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	o = o.withDefaults()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	logger := logr.FromSlogHandler(o.Logger.Handler())
	// controller-runtime's packages log through a global delegating logger.
	setLoggerOnce.Do(func() { ctrllog.SetLogger(logger) })
	mo := manager.Options{
		Scheme:                        scheme.Scheme,
		Logger:                        logger,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              LeaseName,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsListen},
		HealthProbeBindAddress:        o.HealthListen,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if o.Namespace != "" {
		mo.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{o.Namespace: {}}}
	}
	mgr, err := ctrl.NewManager(cfg, mo)
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	if o.HealthListen != "0" {
		if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
			return err
		}
		if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
			return err
		}
	}
	r := newReconciler(mgr.GetClient(), cs, o)
	if err := r.setup(mgr); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	o.Logger.Info("controller starting", "namespace", o.Namespace, "leaderElect", o.LeaderElect)
	err = mgr.Start(ctx)
	if ctx.Err() != nil {
		// Stopped on purpose: errors of the way out (a Lease released
		// while a renewal was under way) are not the caller's concern.
		if err != nil {
			o.Logger.Debug("controller stopped", "err", err)
		}
		return nil
	}
	return err
}

// reconciler holds the controller's state: what it last wrote on each
// pod (so that a stale cache never makes it write twice), the re-check
// schedule and the triggers waiting for a pod's next reconcile.
type reconciler struct {
	client client.Client
	cs     kubernetes.Interface
	ck     *diagnose.Checker
	// memo shares registry answers between pods (nil with Options.Checker).
	memo   *memoRegistry
	opts   Options
	sched  *recheck.Schedule[string]
	probes *recheck.Schedule[string]
	wake   chan event.GenericEvent

	mu       sync.Mutex
	pods     map[types.NamespacedName]*podState
	triggers map[types.NamespacedName]trigger
	runCtx   context.Context
}

func newReconciler(c client.Client, cs kubernetes.Interface, o Options) *reconciler {
	ck := o.Checker
	var memo *memoRegistry
	if ck == nil {
		rc := diagnose.NewRegistryClient(registry.Options{Logger: o.Logger})
		memo = newMemoRegistry(diagnose.FromClient(rc), o.Clock)
		ck = diagnose.New(diagnose.Options{Registry: memo,
			RegistryConfigPath: o.RegistryConfigPath, Clock: o.Clock, HostTTL: memoTTL})
	}
	return &reconciler{
		client: c, cs: cs, ck: ck, memo: memo, opts: o,
		sched:    recheck.New[string](recheck.Options{Initial: o.RecheckInterval, Max: o.RecheckMax, Clock: o.Clock}),
		probes:   recheck.New[string](recheck.Options{Initial: recheck.DefaultProbeInitial, Max: recheck.DefaultProbeMax, Clock: o.Clock}),
		wake:     make(chan event.GenericEvent, 1024),
		pods:     map[types.NamespacedName]*podState{},
		triggers: map[types.NamespacedName]trigger{},
	}
}

// setup registers the controller, its watches and the re-check loop.
func (r *reconciler) setup(mgr manager.Manager) error {
	if err := registerMetrics(); err != nil {
		return err
	}
	if err := mgr.Add(manager.RunnableFunc(r.runSchedule)); err != nil {
		return err
	}
	if r.opts.NotifyListen != "" {
		if err := mgr.Add(manager.RunnableFunc(r.serveNotify)); err != nil {
			return err
		}
	}
	return builder.ControllerManagedBy(mgr).
		Named("pullwarden-pods").
		For(&corev1.Pod{}, builder.WithPredicates(podPredicate())).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretPods), builder.WithPredicates(changedPredicate())).
		Watches(&corev1.ServiceAccount{}, handler.EnqueueRequestsFromMapFunc(r.serviceAccountPods), builder.WithPredicates(changedPredicate())).
		WatchesRawSource(source.Channel(r.wake, &handler.EnqueueRequestForObject{})).
		WithOptions(ctrlcontroller.Options{MaxConcurrentReconciles: 4}).
		Complete(r)
}

// runSchedule runs the re-checks while the manager runs (as leader).
func (r *reconciler) runSchedule(ctx context.Context) error {
	r.mu.Lock()
	r.runCtx = ctx
	r.mu.Unlock()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	probes := make(chan error, 1)
	go func() { probes <- r.probes.Run(sctx, r.probe) }()
	err := r.sched.Run(sctx, r.recheck)
	cancel()
	if perr := <-probes; err == nil {
		err = perr
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}
