package recheck

import (
	"math/rand/v2"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

// Defaults. A re-check of an (image, credential) that needs a person
// (TagNotFound, Unauthorized, ...) starts 2s after the failure and backs
// off to one every 30s; the probe of a registry that stopped answering
// starts at 500ms and backs off to one every 5s. Each interval is
// shortened by up to 20% at random, so that keys registered together
// drift apart, and never exceeds the cap.
const (
	DefaultInitial      = 2 * time.Second
	DefaultMax          = 30 * time.Second
	DefaultFactor       = 2.0
	DefaultJitter       = 0.2
	DefaultProbeInitial = 500 * time.Millisecond
	DefaultProbeMax     = time.Second
)

// Options configure a Schedule. Zero fields take the defaults.
type Options struct {
	// Initial is the first interval, after Register or Reset; default 2s.
	Initial time.Duration
	// Max caps the interval; default 30s.
	Max time.Duration
	// Factor multiplies the interval after each check; default 2.
	Factor float64
	// Jitter shortens each interval by a random fraction in [0, Jitter);
	// default 0.2. Negative: no jitter.
	Jitter float64
	// Clock tells time and arms the timers Run sleeps on; default the
	// wall clock.
	Clock clock.Clock
	// Rand returns numbers in [0, 1) for the jitter; default
	// math/rand/v2.Float64.
	Rand func() float64
}

// Probe returns the options of the registry-back probe: 500ms growing
// to 1s, jittered. One light GET a second per registry while it is down
// buys a recovery within about a second of its return.
func Probe() Options {
	return Options{Initial: DefaultProbeInitial, Max: DefaultProbeMax}
}

func (o Options) withDefaults() Options {
	if o.Initial <= 0 {
		o.Initial = DefaultInitial
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Max < o.Initial {
		o.Max = o.Initial
	}
	if o.Factor < 1 {
		o.Factor = DefaultFactor
	}
	switch {
	case o.Jitter == 0:
		o.Jitter = DefaultJitter
	case o.Jitter < 0:
		o.Jitter = 0
	case o.Jitter > 1:
		o.Jitter = 1
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// Interval returns the n-th interval (n from 0) before jitter:
// Initial * Factor^n, capped at Max.
func (o Options) Interval(n int) time.Duration {
	o = o.withDefaults()
	d := float64(o.Initial)
	for i := 0; i < n && d < float64(o.Max); i++ {
		d *= o.Factor
	}
	return min(time.Duration(d), o.Max)
}

// jittered shortens d by a random fraction in [0, Jitter).
func (o Options) jittered(d time.Duration) time.Duration {
	return d - time.Duration(float64(d)*o.Jitter*o.Rand())
}
