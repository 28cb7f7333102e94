package pull

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/metrics"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/recheck"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store"
)

// Fetcher transfers images from registries into a store; *registry.Client
// is the implementation.
type Fetcher interface {
	Fetch(ctx context.Context, ref reference.Reference, auth authn.Authenticator, s store.Store, progress func(registry.Progress)) (registry.Result, error)
}

// Request asks for one image.
type Request struct {
	// Image is the reference as written in the pod spec or on the command
	// line.
	Image string
	// Policy is the imagePullPolicy; empty means the API server's default.
	Policy policy.Policy
	// Keyring supplies the credentials that may be tried, in order. Nil
	// means anonymous only.
	Keyring credential.Keyring
	// Progress, when set, receives per-blob progress of the transfer.
	Progress func(registry.Progress)
}

// Result describes what Pull did.
type Result struct {
	// Image is the normalised reference the store records.
	Image string
	// Policy is the policy applied (after defaulting).
	Policy policy.Policy
	// RepoDigest is what the name resolved to at the registry (or, when
	// nothing was pulled, what it resolved to when it was pulled).
	RepoDigest v1.Hash
	// Target is the platform manifest.
	Target v1.Descriptor
	// Size is the image size in bytes: manifest, config and layers.
	Size int64
	// Downloaded is how many bytes this request transferred.
	Downloaded int64
	// Resumed is how many bytes of partial blobs an earlier pull left that
	// this request kept instead of downloading again.
	Resumed int64
	// Pulled is false when the policy used an image already present.
	Pulled bool
	// Credential names the credential the registry accepted ("" when
	// anonymous or not pulled). Never the secret itself.
	Credential string
	// Mirror is the mirror host that served the image ("" when the
	// registry itself did, or nothing was pulled).
	Mirror string
	// Duration is the time the request took, Waited the part of it spent
	// waiting for a transfer another request had started.
	Duration, Waited time.Duration
}

// Puller is the image manager. It is safe for concurrent use.
type Puller struct {
	store   store.Store
	fetcher Fetcher
	logger  *slog.Logger
	clock   clock.PassiveClock
	backoff *backoff.Backoff

	// slots limits the transfers running at once (nil: no limit); queued
	// counts the transfers waiting for one.
	slots  chan struct{}
	queued atomic.Int64

	// Credential verification (KEP-2535).
	verifier    *policy.Verifier
	verifierSet bool
	records     PullRecords
	recordMu    sync.Mutex
	intentMu    sync.Mutex
	intents     map[string]int

	mu       sync.Mutex
	inflight map[string]*flight

	// Retry policy (retry.go).
	retryOpts    RetryOptions
	rechecks     *recheck.Schedule[checkKey]
	probes       *recheck.Schedule[string]
	holdMu       sync.Mutex
	holds        map[checkKey]*hold
	recheckCreds map[checkKey]credential.Credential
	releases     map[string]released
	metrics      *metrics.Metrics

	// Mirrors (mirror.go).
	mirrorRoot string
	health     *hosts.Health
}

// Option configures a Puller.
type Option func(*Puller)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(p *Puller) { p.logger = l } }

// WithClock sets the clock used for timestamps, durations and the backoff
// (default: the wall clock).
func WithClock(c clock.PassiveClock) Option { return func(p *Puller) { p.clock = c } }

// WithBackoff sets the pull backoff that Ensure requests with a BackoffKey
// obey and feed (default: backoff.NewImagePull on the Puller's clock).
func WithBackoff(b *backoff.Backoff) Option { return func(p *Puller) { p.backoff = b } }

// New returns a Puller that records images in s and transfers them with f.
func New(s store.Store, f Fetcher, opts ...Option) *Puller {
	p := &Puller{
		store:    s,
		fetcher:  f,
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		clock:    clock.Real(),
		inflight: map[string]*flight{},
	}
	for _, o := range opts {
		o(p)
	}
	if p.backoff == nil {
		p.backoff = backoff.NewImagePull(p.clock)
	}
	if !p.verifierSet {
		p.verifier, _ = policy.NewVerifier(policy.NeverVerifyPreloadedImages, nil)
	}
	if p.records == nil {
		p.records = NewMemoryRecords()
	}
	p.intents = map[string]int{}
	if p.retryOpts.Policy == "" {
		p.retryOpts.Policy = RetrySmart
	}
	ro := p.retryOpts.Recheck
	if c, ok := p.clock.(clock.Clock); ok && ro.Clock == nil {
		ro.Clock = c
	}
	p.rechecks = recheck.New[checkKey](ro)
	po := p.retryOpts.Probes
	if po.Initial == 0 && po.Max == 0 {
		po = recheck.Probe()
	}
	if c, ok := p.clock.(clock.Clock); ok && po.Clock == nil {
		po.Clock = c
	}
	p.probes = recheck.New[string](po)
	p.holds = map[checkKey]*hold{}
	p.recheckCreds = map[checkKey]credential.Credential{}
	p.releases = map[string]released{}
	return p
}

// Backoff is the pull backoff (to persist it, or to forget a pod's keys).
func (p *Puller) Backoff() *backoff.Backoff { return p.backoff }

// Pull makes req.Image available in the store according to its policy,
// without backoff or observer: Ensure for the CLI. Errors are *cause.Error.
func (p *Puller) Pull(ctx context.Context, req Request) (Result, error) {
	res, f := p.ensure(ctx, EnsureRequest{Image: req.Image, Policy: req.Policy, Keyring: req.Keyring, Progress: req.Progress})
	if f != nil {
		return res, f.Err
	}
	if !res.Pulled {
		size, err := store.Size(ctx, p.store, res.Target)
		if err != nil {
			return res, storeErr(err)
		}
		res.Size = size
	}
	return res, nil
}

// Present reports whether the store holds ref completely (every blob of its
// manifest committed), and its record.
func (p *Puller) Present(ctx context.Context, ref reference.Reference) (store.Image, bool, error) {
	img, err := p.store.Image(ctx, ref.String())
	if errors.Is(err, store.ErrNotFound) {
		return store.Image{}, false, nil
	}
	if err != nil {
		return store.Image{}, false, storeErr(err)
	}
	ok, err := store.Complete(ctx, p.store, img)
	if err != nil {
		return img, false, storeErr(err)
	}
	return img, ok, nil
}

func storeErr(err error) error {
	if cause.Of(err) != cause.Unknown {
		return err
	}
	return cause.Wrap(cause.StoreFailed, err, "image store: %v", err)
}

// tryCredentials applies the kubelet's credential rule: every matching
// credential in order, the first accepted wins; no anonymous attempt after
// refused credentials; one anonymous attempt when none matched. It returns
// the credential used (nil: anonymous).
func (p *Puller) tryCredentials(ctx context.Context, ref reference.Reference, ring credential.Keyring, progress func(registry.Progress)) (Result, *credential.Credential, error) {
	var res Result
	used, refused, err := credential.Try(ring, ref.Name(), Refused, func(c *credential.Credential) error {
		var err error
		res, err = p.fetchShared(ctx, ref, c, progress)
		if c != nil && err != nil && Refused(err) {
			p.logger.LogAttrs(ctx, slog.LevelDebug, "credential refused",
				slog.String("image", ref.String()), slog.String("credential", c.String()))
		}
		return err
	})
	switch {
	case err == nil:
		if used != nil {
			res.Credential = used.Source
		}
		return res, used, nil
	case len(refused) > 0 && Refused(err):
		return Result{}, nil, refusedAll(err, refused)
	}
	return res, nil, err
}

// Refused reports whether err means the registry refused a credential
// (cause.Unauthorized or cause.Denied): the next one is tried.
func Refused(err error) bool {
	return errors.Is(err, cause.Unauthorized) || errors.Is(err, cause.Denied)
}

func refusedAll(last error, sources []string) error {
	c := cause.Of(last)
	msg := last.Error()
	if len(sources) > 1 {
		msg = fmt.Sprintf("%s (all %d matching credentials were refused: %s)", msg, len(sources), strings.Join(sources, "; "))
	} else {
		msg = fmt.Sprintf("%s (credential tried: %s)", msg, sources[0])
	}
	return &cause.Error{Cause: c, Message: msg, Err: last}
}
