package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
)

// Registry is the read-only registry access the checklist needs.
// FromClient adapts a *registry.Client.
type Registry interface {
	AllowsHTTP(host string) bool
	Ping(ctx context.Context, host string) (registry.PingResult, error)
	Open(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (Repository, error)
}

// Repository is one authenticated repository session.
type Repository interface {
	Head(ctx context.Context, locator string) (registry.ManifestHead, error)
	Tags(ctx context.Context) ([]string, error)
	Platform(ctx context.Context, desc v1.Descriptor, want v1.Platform) (v1.Descriptor, error)
}

// FromClient adapts c to Registry.
func FromClient(c *registry.Client) Registry { return clientAdapter{c} }

type clientAdapter struct{ c *registry.Client }

func (a clientAdapter) AllowsHTTP(host string) bool { return a.c.AllowsHTTP(host) }

func (a clientAdapter) Ping(ctx context.Context, host string) (registry.PingResult, error) {
	return a.c.Ping(ctx, host)
}

func (a clientAdapter) Open(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (Repository, error) {
	r, err := a.c.OpenRepository(ctx, ref, auth)
	if err != nil {
		return nil, tidy(err)
	}
	return repoAdapter{r}, nil
}

type repoAdapter struct{ *registry.Repository }

func (r repoAdapter) Head(ctx context.Context, locator string) (registry.ManifestHead, error) {
	h, err := r.Repository.Head(ctx, locator)
	return h, tidy(err)
}

// noWait is what the registry client adds to a Retry-After longer than
// the wait it allows within one call: NewRegistryClient allows none, so
// the remark says nothing here.
var noWait = fmt.Sprintf(" (longer than the %s pullwarden waits within one pull)", time.Nanosecond)

func tidy(err error) error {
	var ce *cause.Error
	if errors.As(err, &ce) && strings.HasSuffix(ce.Message, noWait) {
		cp := *ce
		cp.Message = strings.TrimSuffix(cp.Message, noWait)
		return &cp
	}
	return err
}

// NewRegistryClient returns the registry client the checklist is meant to
// use: the caller's options with transient failures retried briefly
// (3 attempts from 200ms) and any Retry-After reported at once as
// cause.RateLimited instead of waited for, so a diagnosis never sleeps on
// a registry's behalf.
func NewRegistryClient(o registry.Options) *registry.Client {
	if o.Retry.Attempts == 0 {
		o.Retry = registry.RetryPolicy{Attempts: 3, Initial: 200 * time.Millisecond, Max: time.Second}
	}
	if o.MaxRetryAfter == 0 {
		o.MaxRetryAfter = time.Nanosecond
	}
	return registry.New(o)
}

// Resolver looks host names up; *net.Resolver is one.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// DialFunc opens a TCP connection (net.Dialer.DialContext).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)
