package registry

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/pullwarden/pullwarden/clock"
)

// Defaults applied by New to zero fields of Options.
//
// DefaultParallel stays 4, measured rather than assumed: on the 8-layer,
// 400 MB loopback benchmark (docs/benchmarks.md, 2 cores), since the store
// writes blobs back while they download, 4 and 8 parallel downloads take
// the same time (medians 0.445 s and 0.46 s over 12 interleaved rounds,
// minimum 0.41 s for both): the pull is CPU-bound on sha256 and copies.
// (Before that change the figures were mixed, with the same 0.49 s minimum
// for 4 and 8.) crane fetched 4 layers at a time in the same benchmark;
// Docker and containerd default to 3. Raise Options.Parallel where one
// connection is the limit (long round trips, per-connection caps of a CDN).
const (
	DefaultParallel       = 4
	DefaultAttempts       = 5
	DefaultInitial        = 500 * time.Millisecond
	DefaultMax            = 30 * time.Second
	DefaultHeaderTimeout  = 30 * time.Second
	DefaultStallTimeout   = 30 * time.Second
	DefaultMinProgress    = 16 << 10
	DefaultProgressWindow = time.Minute
	DefaultMaxRetryAfter  = 60 * time.Second
	DefaultUserAgent      = "pullwarden"
)

// Options configure a Client. Zero fields take the defaults documented on
// each field; New applies them in one place (withDefaults).
type Options struct {
	// Transport is the base transport; default: a clone of
	// http.DefaultTransport that keeps Parallel idle connections per host
	// (instead of 2, so the next pull reuses them), does not ask for gzip
	// (layers are compressed already or, uncompressed, not worth the
	// registry's CPU) and reads through 64 KiB buffers. TLS verification
	// is whatever it configures (verified for the default). Per-host TLS
	// settings of an Endpoint need DefaultTransport at the bottom.
	Transport http.RoundTripper
	// Insecure lists "host[:port]" registries allowed over plain HTTP
	// besides loopback hosts (localhost, 127.0.0.0/8, [::1]), which are
	// always allowed. Every other host is https only.
	Insecure []string
	// Platform selects the manifest from an image index; default: the
	// host's (runtime.GOOS, runtime.GOARCH, and the arm variant).
	Platform *v1.Platform
	// Parallel is the number of concurrent blob downloads per Fetch;
	// default 4 (DefaultParallel).
	Parallel int
	// Retry bounds the attempts in a row without progress for retryable
	// failures within one Fetch or Resolve (an attempt that stored at
	// least MinProgress bytes of a blob is followed by the next at once
	// and starts the count over); default 5 attempts, 500ms initial, 30s
	// maximum backoff.
	Retry RetryPolicy
	// HeaderTimeout bounds the wait for the response headers of every
	// request (the /v2/ ping, the token exchange, manifests, blobs,
	// redirects), counted from the start of the request, connection and
	// TLS handshake included; default 30s. A registry that accepts the
	// connection and never answers fails the attempt as
	// cause.RegistryUnreachable, retried like any transient failure.
	HeaderTimeout time.Duration
	// StallTimeout aborts a response body that brings no byte for this
	// long (every body: blobs, manifests, pings, tokens); the attempt is a
	// cause.NetworkError and a blob resumes where it stopped. Default 30s.
	StallTimeout time.Duration
	// MinProgress and ProgressWindow are the minimum-progress rule: a
	// body that brings fewer than MinProgress bytes in a ProgressWindow is
	// aborted like a stall (a trickle of a byte every few seconds never
	// trips StallTimeout). Defaults 16 KiB per minute, about 270 B/s: far
	// below any working link, so only a registry or proxy that trickles
	// is cut. Like containerd's image pull progress timeout (5m, no byte
	// at all), it guards against transfers that would never end.
	MinProgress    int64
	ProgressWindow time.Duration
	// MaxRetryAfter caps the wait a registry may ask for with Retry-After
	// on 429 and 503; a longer request fails the call at once with
	// cause.RateLimited carrying RetryAfter. Default 60s.
	MaxRetryAfter time.Duration
	// Sleep waits between attempts; default: a timer of Clock that
	// returns ctx.Err() when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	// Clock reads the time (Retry-After dates) and times the watchdogs of
	// HeaderTimeout, StallTimeout and ProgressWindow; default the wall
	// clock.
	Clock clock.Clock
	// Logger receives debug and warning records; default: discard.
	Logger *slog.Logger
	// UserAgent is sent with every request; default "pullwarden".
	UserAgent string
}

// RetryPolicy is a jittered exponential backoff: attempt n (from 1) waits
// a random duration in [d/2, d] with d = min(Initial * 2^(n-1), Max).
type RetryPolicy struct {
	Attempts     int
	Initial, Max time.Duration
}

// Client talks to registries. It is safe for concurrent use, and meant to
// live as long as the process: it remembers each registry's answer to the
// /v2/ ping (the authentication challenge), so that later pulls from that
// registry skip the ping.
type Client struct {
	opts     Options
	insecure map[string]bool
	// challenges remembers each registry's ping answer (see challenges).
	challenges *challenges
	// base is what ggcr's transports send through.
	base http.RoundTripper
}

// New returns a Client with opts' zero fields set to their defaults.
func New(opts Options) *Client {
	o := withDefaults(opts)
	c := &Client{opts: o, insecure: map[string]bool{}}
	for _, h := range o.Insecure {
		c.insecure[h] = true
	}
	c.challenges = &challenges{inner: &endpointLayer{inner: &schemeGuard{c: c, inner: &deadlineGuard{o: &c.opts, inner: o.Transport}}},
		known: map[string]challenge{}}
	c.base = transport.NewUserAgent(c.challenges, o.UserAgent)
	return c
}

func withDefaults(o Options) Options {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Transport == nil {
		o.Transport = &hostTransport{base: defaultTransport(o.Parallel)}
	}
	if o.Platform == nil {
		o.Platform = HostPlatform()
	}
	if o.Retry.Attempts <= 0 {
		o.Retry.Attempts = DefaultAttempts
	}
	if o.Retry.Initial <= 0 {
		o.Retry.Initial = DefaultInitial
	}
	if o.Retry.Max <= 0 {
		o.Retry.Max = DefaultMax
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.MinProgress <= 0 {
		o.MinProgress = DefaultMinProgress
	}
	if o.ProgressWindow <= 0 {
		o.ProgressWindow = DefaultProgressWindow
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Sleep == nil {
		clk := o.Clock
		o.Sleep = func(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, clk, d) }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// defaultTransport is http.DefaultTransport tuned for parallel blob
// downloads (see Options.Transport).
func defaultTransport(parallel int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(parallel, http.DefaultMaxIdleConnsPerHost)
	t.DisableCompression = true
	t.ReadBufferSize = 64 << 10
	return t
}

// HostPlatform is the platform this binary runs on. On 32-bit arm the
// variant comes from the GOARM the binary was built with (default v7).
func HostPlatform() *v1.Platform {
	p := &v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm" {
		p.Variant = "v7"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "GOARM" && s.Value != "" {
					p.Variant = "v" + s.Value[:1]
				}
			}
		}
	}
	return p
}

// DefaultTransport is the transport a Client uses when Options.Transport
// is nil, for callers that wrap it (the node agent's throttle). It applies
// the TLS settings and dial timeout of an Endpoint (WithEndpoint) to the
// requests to that Endpoint's host, with connections of their own.
func DefaultTransport() http.RoundTripper {
	return &hostTransport{base: defaultTransport(DefaultParallel)}
}
