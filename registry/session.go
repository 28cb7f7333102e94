package registry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
)

// session is one authenticated conversation with a repository: ggcr's
// transport (ping, Basic or Bearer with a pull-scoped token) over the
// Client's base: the remembered challenges, the scheme guard, the
// deadlines, then Options.Transport.
type session struct {
	c      *Client
	reg    name.Registry
	repo   string
	t      target
	client *http.Client
	// downloaded counts body bytes received (manifests and blobs).
	downloaded counter
	// resumed counts the bytes of partial blobs an earlier call (or
	// process) left that this call kept instead of downloading again.
	resumed counter
}

// sessionRef is what a session is opened for.
type sessionRef struct {
	ref  reference.Reference
	auth authn.Authenticator
}

// open authenticates to ref's registry for pulling ref's repository,
// retrying retryable failures of the ping and token exchange.
func (c *Client) open(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (*session, error) {
	if auth == nil {
		auth = authn.Anonymous
	}
	t := target{host: ref.Registry(), repo: ref.Repository(), anonymous: auth == authn.Anonymous}
	reg, err := c.registryName(ctx, ref.Registry())
	if err != nil {
		return nil, cause.Wrap(cause.InvalidImageName, err, "invalid registry host %q", ref.Registry())
	}
	repo := reg.Repo(ref.Repository())
	if repo.RepositoryStr() != ref.Repository() {
		return nil, cause.New(cause.InvalidImageName, "invalid repository %q", ref.Repository())
	}
	var rt http.RoundTripper
	err = c.retry(ctx, t, "the authentication challenge (GET /v2/)", func(ctx context.Context, _ int) error {
		var err error
		rt, err = transport.NewWithContext(ctx, reg, auth, c.base, []string{repo.Scope(transport.PullScope)})
		return err
	})
	if err != nil {
		return nil, err
	}
	s := &session{c: c, reg: reg, repo: ref.Repository(), t: t}
	s.client = &http.Client{Transport: rt, CheckRedirect: checkRedirect}
	return s, nil
}

// checkRedirect follows at most 10 redirects. Credentials never follow a
// redirect to another host: ggcr's transports add them per request only
// for the registry host, and the scheme guard still applies.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects", errRedirectLoop, len(via))
	}
	return nil
}

const maxRedirects = 10

// url is the https URL of a registry API path; ggcr's transport switches
// it to http when the ping found a plain-HTTP (allowed) registry.
func (s *session) url(kind, id string) string {
	return fmt.Sprintf("https://%s/v2/%s/%s/%s", s.reg.RegistryStr(), s.repo, kind, id)
}
