package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/singleflight"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
)

// memoTTL is how long a registry answer serves the other pods of the same
// image and credential: the re-check of a key wakes all its pods within
// milliseconds, so 200 pods on one missing tag cost one manifest HEAD per
// due time, not 200. A fix is seen at most this much later.
const memoTTL = time.Second

// memoRegistry shares the registry's answers (ping, session, manifest
// HEAD, tag list) between the diagnoses of pods that wait on the same
// image with the same credential, for memoTTL. Credentials are keyed by a
// hash, never kept in the clear.
type memoRegistry struct {
	diagnose.Registry
	clock clock.PassiveClock

	flight  singleflight.Group
	mu      sync.Mutex
	answers map[string]memoAnswer
}

type memoAnswer struct {
	at  time.Time
	val any
	err error
}

func newMemoRegistry(r diagnose.Registry, c clock.PassiveClock) *memoRegistry {
	return &memoRegistry{Registry: r, clock: c, answers: map[string]memoAnswer{}}
}

// do returns key's answer younger than memoTTL, else calls f (once for
// all the callers of key at that moment) and keeps its answer.
func (m *memoRegistry) do(key string, f func() (any, error)) (any, error) {
	now := m.clock.Now()
	m.mu.Lock()
	a, ok := m.answers[key]
	m.mu.Unlock()
	if ok && now.Sub(a.at) < memoTTL && !a.at.After(now) {
		return a.val, a.err
	}
	v, err, _ := m.flight.Do(key, func() (any, error) {
		v, err := f()
		m.keep(key, now, v, err)
		return v, err
	})
	return v, err
}

// forget drops every kept answer: after a push or a registry's return the
// next diagnosis asks the registry again.
func (m *memoRegistry) forget() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.answers)
}

func (m *memoRegistry) keep(key string, now time.Time, v any, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, old := range m.answers { // drop the stale ones
		if now.Sub(old.at) >= memoTTL {
			delete(m.answers, k)
		}
	}
	m.answers[key] = memoAnswer{at: now, val: v, err: err}
}

func (m *memoRegistry) Ping(ctx context.Context, host string) (registry.PingResult, error) {
	v, err := m.do("ping\x00"+host, func() (any, error) { return m.Registry.Ping(ctx, host) })
	p, _ := v.(registry.PingResult)
	return p, err
}

func (m *memoRegistry) Open(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (diagnose.Repository, error) {
	key := ref.Name() + "\x00" + authKey(auth)
	v, err := m.do("open\x00"+key, func() (any, error) { return m.Registry.Open(ctx, ref, auth) })
	if err != nil {
		return nil, err
	}
	return memoRepository{Repository: v.(diagnose.Repository), m: m, key: key}, nil
}

// authKey identifies a credential by a hash of its configuration.
func authKey(auth authn.Authenticator) string {
	if auth == nil {
		return "anonymous"
	}
	cfg, err := auth.Authorization()
	if err != nil {
		return "unreadable"
	}
	raw, _ := json.Marshal(cfg)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

type memoRepository struct {
	diagnose.Repository
	m   *memoRegistry
	key string
}

func (r memoRepository) Head(ctx context.Context, locator string) (registry.ManifestHead, error) {
	v, err := r.m.do("head\x00"+r.key+"\x00"+locator, func() (any, error) { return r.Repository.Head(ctx, locator) })
	h, _ := v.(registry.ManifestHead)
	return h, err
}

func (r memoRepository) Tags(ctx context.Context) ([]string, error) {
	v, err := r.m.do("tags\x00"+r.key, func() (any, error) { return r.Repository.Tags(ctx) })
	t, _ := v.([]string)
	return t, err
}

func (r memoRepository) Platform(ctx context.Context, desc v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	return r.Repository.Platform(ctx, desc, want)
}
