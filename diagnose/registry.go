package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
)

// attempt is one credential's (or the anonymous) try at the manifest.
type attempt struct {
	source string
	repo   Repository
	head   registry.ManifestHead
	err    error
}

func (c *Checker) registrySteps(ctx context.Context, r *run, req Request, ref reference.Reference, creds []credential.Credential, hc *hostCheck) {
	tries := []credential.Credential{{}}
	if len(creds) > 0 {
		tries = creds
	}
	var refused []string
	var a attempt
	for _, cr := range tries {
		a = attempt{source: cr.Source}
		var auth authn.Authenticator = authn.Anonymous
		if cr.Source != "" {
			auth = cr.Authenticator()
		}
		a.repo, a.err = c.opts.Registry.Open(ctx, ref, auth)
		if a.err == nil {
			a.head, a.err = a.repo.Head(ctx, ref.Locator())
		}
		if cr.Source != "" && (errors.Is(a.err, cause.Unauthorized) || errors.Is(a.err, cause.Denied)) {
			refused = append(refused, cr.Source)
			continue
		}
		break
	}
	c.rateLimit(r, a.head.RateLimit, a.err)
	switch {
	case errors.Is(a.err, cause.Unauthorized), errors.Is(a.err, cause.Denied):
		r.fail(StepAuth, authError(a.err, refused, hc, ref, req))
		r.skipRest("not checked: the registry refused access")
		return
	case errors.Is(a.err, cause.RateLimited):
		r.skipRest("not checked: the registry rate-limited the request")
		return
	case a.err != nil && !errors.Is(a.err, cause.TagNotFound):
		r.fail(StepManifest, a.err)
		r.skipRest("not checked: the manifest request failed")
		return
	}
	r.res.Credential = a.source
	if a.source == "" {
		r.pass(StepAuth, "anonymous access accepted")
	} else {
		ev := "accepted " + a.source
		if len(refused) > 0 {
			ev += "; refused before it: " + strings.Join(refused, "; ")
		}
		r.pass(StepAuth, ev)
	}
	if a.err != nil {
		c.missing(ctx, r, ref, a)
		return
	}
	d := a.head.Descriptor
	r.res.Digest = d.Digest.String()
	r.pass(StepRepository, "the manifest HEAD answered")
	r.pass(StepManifest, fmt.Sprintf("%s is %s (%s, %d bytes)", ref.Locator(), d.Digest, d.MediaType, d.Size))
	c.platform(ctx, r, req, ref, a)
}

// authError explains refused access with what is known.
func authError(err error, refused []string, hc *hostCheck, ref reference.Reference, req Request) error {
	e := &cause.Error{Cause: cause.Of(err), Message: err.Error(), Err: err}
	switch {
	case len(refused) > 0:
		e.Message += fmt.Sprintf(" (credentials refused: %s)", strings.Join(refused, "; "))
	case hc.ping.Status == 401:
		e.Message = fmt.Sprintf("registry %s requires credentials and none matches it", ref.Registry())
		if len(req.MissingSecrets) > 0 {
			e.Message += fmt.Sprintf("; the pod names missing secret(s) %s", strings.Join(req.MissingSecrets, ", "))
		}
	}
	return e
}

// missing handles a manifest 404: is it the repository or the tag?
func (c *Checker) missing(ctx context.Context, r *run, ref reference.Reference, a attempt) {
	tags, err := a.repo.Tags(ctx)
	switch {
	case errors.Is(err, cause.RepositoryNotFound):
		r.fail(StepRepository, err)
		r.skipRest("not checked: the repository does not exist")
		return
	case err != nil:
		r.skip(StepRepository, "the tag list could not be read: "+err.Error())
	default:
		r.pass(StepRepository, fmt.Sprintf("%d tag(s)", len(tags)))
	}
	e := &cause.Error{Cause: cause.Of(a.err), Message: a.err.Error(), Err: a.err}
	if ref.Digest() == "" && err == nil {
		near := Nearest(ref.Tag(), tags, 3)
		r.res.NearestTags = near
		if len(near) > 0 {
			e.Message += fmt.Sprintf("; nearest existing tags: %s", strings.Join(near, ", "))
		} else {
			e.Message += "; the repository has no tags"
		}
	}
	r.fail(StepManifest, e)
	r.skipRest("not checked: the manifest does not exist")
}

func (c *Checker) platform(ctx context.Context, r *run, req Request, ref reference.Reference, a attempt) {
	want := registry.HostPlatform()
	if req.Platform != nil {
		want = req.Platform
	}
	d := a.head.Descriptor
	switch {
	case !registry.IsIndex(string(d.MediaType)):
		r.skip(StepPlatform, "a single-platform image: its platform is in the config blob, which is not read here")
	case ref.Registry() == "docker.io":
		r.skip(StepPlatform, "an index; reading it is a manifest GET, which Docker Hub counts as a pull: not read")
	default:
		got, err := a.repo.Platform(ctx, d, *want)
		if err != nil {
			r.fail(StepPlatform, err)
			return
		}
		r.pass(StepPlatform, fmt.Sprintf("%s is %s", registry.PlatformString(*want), got.Digest))
	}
}

func (c *Checker) rateLimit(r *run, rl registry.RateLimit, err error) {
	switch {
	case errors.Is(err, cause.RateLimited):
		r.fail(StepRateLimit, err)
	case rl.Known && rl.Remaining == 0:
		r.fail(StepRateLimit, cause.New(cause.RateLimited, "no pulls left: 0 of %d remaining in the %s window", rl.Limit, rl.Window))
	case rl.Known:
		r.pass(StepRateLimit, fmt.Sprintf("%d of %d pulls left in the %s window", rl.Remaining, rl.Limit, rl.Window))
	case err == nil || errors.Is(err, cause.TagNotFound):
		r.pass(StepRateLimit, "no rate-limit headers and no 429")
	}
}
