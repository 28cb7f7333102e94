package throttle

import (
	"log/slog"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

// Defaults applied by New to zero fields of Options and Limits.
//
// DefaultQPS and DefaultBurst are the kubelet's registryPullQPS and
// registryBurst defaults (5 and 10); the kubelet fails a pull that finds
// the bucket empty ("pull QPS exceeded", into backoff), a Throttle makes it
// wait for its token instead. DefaultTransfers caps concurrent blob
// downloads per registry host (Docker and containerd download 3 layers per
// pull; 8 lets two or three pulls share a registry at full speed).
// DefaultNoHintWait is the first shared wait after a 429 that says
// nothing about how long to wait; it doubles with every further such
// answer up to DefaultMaxWait, which also caps any wait a registry asks for.
const (
	DefaultQPS        = 5.0
	DefaultBurst      = 10
	DefaultTransfers  = 8
	DefaultNoHintWait = 5 * time.Second
	DefaultMaxWait    = 6 * time.Hour
)

// Limits are the admission limits of one registry host.
type Limits struct {
	// QPS is the rate at which tokens refill; default 5 (DefaultQPS).
	// Negative: no token bucket (requests need no token).
	QPS float64
	// Burst is the bucket's size; default 10 (DefaultBurst).
	Burst int
	// Transfers caps concurrent blob downloads; default 8
	// (DefaultTransfers). Negative: no cap.
	Transfers int
}

func (l Limits) withDefaults() Limits {
	if l.QPS == 0 {
		l.QPS = DefaultQPS
	}
	if l.Burst <= 0 {
		l.Burst = DefaultBurst
	}
	if l.Transfers == 0 {
		l.Transfers = DefaultTransfers
	}
	return l
}

// Options configure a Throttle. Zero fields take the defaults documented
// on each field; New applies them in one place (withDefaults).
type Options struct {
	// Default are the limits of every host not in PerHost; zero fields
	// take DefaultQPS, DefaultBurst and DefaultTransfers.
	Default Limits
	// PerHost overrides Default for the hosts named ("host" or
	// "host:port", as Key spells them); zero fields take the defaults.
	PerHost map[string]Limits
	// NoHintWait is the first shared wait after a 429 without
	// Retry-After or quota headers; it doubles with each consecutive such
	// answer from the host. Default 5s (DefaultNoHintWait).
	NoHintWait time.Duration
	// MaxWait caps every shared wait, whatever the registry asked;
	// default 6h (DefaultMaxWait, Docker Hub's quota window).
	MaxWait time.Duration
	// Clock tells time and arms the timers waiters sleep on; default the
	// wall clock.
	Clock clock.Clock
	// OnHold, when set, is called (without locks held) each time a host's
	// shared wait is set or extended, with the host, the end of the wait
	// and why. Use it for metrics, logs and events.
	OnHold func(host string, until time.Time, why Reason)
	// Logger receives debug records; default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Default = o.Default.withDefaults()
	if o.NoHintWait <= 0 {
		o.NoHintWait = DefaultNoHintWait
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
