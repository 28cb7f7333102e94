package ocilayout

import (
	"github.com/pullwarden/pullwarden/clock"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Default option values.
const (
	// DefaultIngestExpiry is how long an untouched partial download is kept.
	DefaultIngestExpiry = 24 * time.Hour
	// DefaultPollInterval is how often a waiting writer retries a held lock.
	DefaultPollInterval = 20 * time.Millisecond
)

// Option configures a Store.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	now          func() time.Time
	ingestExpiry time.Duration
	pollInterval time.Duration
	readOnly     bool
}

func defaults() options {
	return options{
		logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		now:          time.Now,
		ingestExpiry: DefaultIngestExpiry,
		pollInterval: DefaultPollInterval,
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithClock sets the clock used for image creation times, lease starts,
// blob commit times and ingest expiry (default: time.Now).
func WithClock(c clock.PassiveClock) Option {
	return func(o *options) {
		if c != nil {
			o.now = c.Now
		}
	}
}

// WithIngestExpiry sets how long GC keeps a partial download whose data has
// not been written (default DefaultIngestExpiry, 24h). Zero or less keeps
// the default.
func WithIngestExpiry(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.ingestExpiry = d
		}
	}
}

// WithPollInterval sets how often a writer waiting for a held ingest, or an
// index update waiting for the index lock, retries (default
// DefaultPollInterval, 20ms).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.pollInterval = d
		}
	}
}

// WithReadOnly opens the store for reading only: Open writes nothing and
// every write fails with cause.StoreFailed (default: read-write unless the
// file system is read-only).
func WithReadOnly() Option {
	return func(o *options) { o.readOnly = true }
}

// DefaultDir is the store directory used when none is given:
// $PULLWARDEN_STORE if set, else $XDG_DATA_HOME/pullwarden/store, else
// ~/.local/share/pullwarden/store.
func DefaultDir() string {
	if d := os.Getenv("PULLWARDEN_STORE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "pullwarden", "store")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "."
	}
	return filepath.Join(home, ".local", "share", "pullwarden", "store")
}
