package controller

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pullwarden/pullwarden/metrics"
	"github.com/pullwarden/pullwarden/pull"
)

// The controller's metrics, on controller-runtime's registry (served on
// Options.MetricsListen with the manager's own).
var (
	podsWaiting = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "pullwarden_controller_pods_waiting",
		Help: "Pods waiting on an image, by the cause of their diagnosis (Fixed: retried, not running yet).",
	}, []string{"cause"})
	fixToRunning = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pullwarden_controller_fix_to_running_seconds",
		Help:    "Seconds from the controller's retry (cause fixed) to the pod no longer waiting on an image, by trigger.",
		Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300},
	}, []string{"trigger"})
	retriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pullwarden_controller_retries_total",
		Help: "Retries the controller asked for (new pull-request tokens), by trigger.",
	}, []string{"trigger"})
)

var (
	registerOnce sync.Once
	registerErr  error
)

// registerMetrics adds the metrics to controller-runtime's registry once
// per process.
func registerMetrics() error {
	registerOnce.Do(func() {
		for _, c := range []prometheus.Collector{podsWaiting, fixToRunning, retriesTotal} {
			if err := ctrlmetrics.Registry.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					registerErr = err
				}
			}
		}
	})
	return registerErr
}

// triggerLabel is the metrics label of a trigger (package metrics' names).
func triggerLabel(t pull.Trigger) string {
	switch t {
	case pull.TriggerCredentials:
		return string(metrics.TriggerSecret)
	case pull.TriggerPush:
		return string(metrics.TriggerNotification)
	case pull.TriggerRegistryBack:
		return string(metrics.TriggerRegistryBack)
	case pull.TriggerManual:
		return string(metrics.TriggerRetryCommand)
	}
	return string(metrics.TriggerRecheck)
}

// updateWaiting recounts the waiting pods by cause. Call with r.mu held.
func (r *reconciler) updateWaitingLocked() {
	counts := map[string]float64{}
	for _, st := range r.pods {
		if st.reason != "" && st.reason != reasonPulled {
			counts[st.reason]++
		}
	}
	podsWaiting.Reset()
	for c, n := range counts {
		podsWaiting.WithLabelValues(c).Set(n)
	}
}
