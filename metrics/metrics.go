package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "pullwarden"

// Result is the outcome of a pull.
type Result string

// The results.
const (
	Success Result = "success"
	Failure Result = "failure"
)

// Trigger is what made a waiting pull try again.
type Trigger string

// The triggers of issue "Retry beyond the kubelet".
const (
	// TriggerSecret: a Secret, ServiceAccount or the node's docker
	// config that a waiting pod uses was created or changed.
	TriggerSecret Trigger = "secret"
	// TriggerNotification: the registry announced a push of the
	// repository (package notify).
	TriggerNotification Trigger = "notification"
	// TriggerRecheck: a scheduled manifest HEAD found the image.
	TriggerRecheck Trigger = "recheck"
	// TriggerRegistryBack: the /v2/ probe found the registry back.
	TriggerRegistryBack Trigger = "registry_back"
	// TriggerRetryCommand: `pullwarden retry pod`.
	TriggerRetryCommand Trigger = "retry_command"
	// TriggerBackoff: the kubelet-style backoff ran out (policy kubelet,
	// or a transient cause).
	TriggerBackoff Trigger = "backoff"
)

// Buckets of the duration histograms, in seconds: from a fast retry to
// the kubelet's 5-minute backoff cap and beyond.
var (
	RetryDelayBuckets = []float64{0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 300, 600}
	RecoveryBuckets   = []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600}
)

// Metrics are the agent's Prometheus collectors, in their own registry
// (with the Go runtime and process collectors). The zero value is not
// usable; a nil *Metrics records nothing, so libraries can take one
// optionally. Safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	pulls       *prometheus.CounterVec
	transferred prometheus.Counter
	resumed     prometheus.Counter
	retryDelay  *prometheus.HistogramVec
	recovery    *prometheus.HistogramVec
	waiting     *prometheus.GaugeVec
	holds       *prometheus.CounterVec
}

// New returns the collectors, registered in a new registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		pulls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "pulls_total",
			Help: "Image pulls that ended, by result and cause (the cause is empty on success).",
		}, []string{"result", "cause"}),
		transferred: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "transferred_bytes_total",
			Help: "Bytes received from registries.",
		}),
		resumed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "resumed_bytes_total",
			Help: "Bytes of partial transfers kept and not downloaded again (resumed with Range).",
		}),
		retryDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "retry_delay_seconds", Buckets: RetryDelayBuckets,
			Help: "Delays before a failed pull is tried again, by cause.",
		}, []string{"cause"}),
		recovery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "recovery_seconds", Buckets: RecoveryBuckets,
			Help: "Seconds from the fix of a pull failure (its trigger) to the container running, by trigger.",
		}, []string{"trigger"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "pods_waiting",
			Help: "Pods waiting for an image, by the cause of the last failure.",
		}, []string{"cause"}),
		holds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "registry_waits_total",
			Help: "Shared waits imposed on every request to a registry (429, 503 with Retry-After, quota used up), by registry and reason.",
		}, []string{"registry", "reason"}),
	}
	m.reg.MustRegister(m.pulls, m.transferred, m.resumed, m.retryDelay, m.recovery, m.waiting, m.holds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Pull records a pull that ended; cause is the cause's Reason
// ("TagNotFound", ...) on failure and is ignored on success.
func (m *Metrics) Pull(r Result, cause string) {
	if m == nil {
		return
	}
	if r == Success {
		cause = ""
	}
	m.pulls.WithLabelValues(string(r), cause).Inc()
}

// Transferred adds n bytes received from a registry.
func (m *Metrics) Transferred(n int64) {
	if m != nil && n > 0 {
		m.transferred.Add(float64(n))
	}
}

// Resumed adds n bytes a resumed transfer did not download again.
func (m *Metrics) Resumed(n int64) {
	if m != nil && n > 0 {
		m.resumed.Add(float64(n))
	}
}

// RetryDelay records that a pull failed for cause waits d before its next
// attempt.
func (m *Metrics) RetryDelay(cause string, d time.Duration) {
	if m != nil {
		m.retryDelay.WithLabelValues(cause).Observe(d.Seconds())
	}
}

// Recovered records d from the fix (the moment trigger fired) to the
// container running.
func (m *Metrics) Recovered(t Trigger, d time.Duration) {
	if m != nil {
		m.recovery.WithLabelValues(string(t)).Observe(max(d, 0).Seconds())
	}
}

// SetPodsWaiting sets the number of pods waiting for an image because of
// cause (0 keeps the series, at 0).
func (m *Metrics) SetPodsWaiting(cause string, n int) {
	if m != nil {
		m.waiting.WithLabelValues(cause).Set(float64(n))
	}
}

// RegistryWait records a shared wait on every request to registry; its
// signature fits throttle.Options.OnHold through a one-line adapter.
func (m *Metrics) RegistryWait(registry, reason string) {
	if m != nil {
		m.holds.WithLabelValues(registry, reason).Inc()
	}
}

// Gatherer is the registry the collectors are in (for tests and for
// adding collectors).
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Registerer lets other packages add their collectors to the registry.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats, for
// GET /metrics (`serve --metrics-listen ADDR`).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Path is where Handler is mounted.
const Path = "/metrics"
