package pull

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
)

// WithMirrors makes transfers read containerd's hosts.toml layout under
// root (config_path: root/<host>/hosts.toml) and try the configured hosts
// in order, mirrors first and the registry itself last, skipping hosts
// that health records as down (default: no mirrors). Mirrors are asked
// anonymously: the pod's credentials match the registry's host, not the
// mirror's. A mirror with override_path is skipped (not supported yet).
// Result.Mirror names the mirror that served an image.
func WithMirrors(root string, health *hosts.Health) Option {
	return func(p *Puller) {
		p.mirrorRoot = root
		p.health = health
		if p.health == nil {
			p.health = hosts.NewHealth(hosts.HealthOptions{})
		}
	}
}

// fetchMirrored is fetch through the configured hosts of ref's registry.
func (p *Puller) fetchMirrored(ctx context.Context, ref reference.Reference, auth authn.Authenticator, progress func(registry.Progress)) (Result, error) {
	if p.mirrorRoot == "" {
		return p.fetch(ctx, ref, ref, auth, progress)
	}
	eps, err := hosts.Endpoints(p.mirrorRoot, ref.Registry())
	if err != nil {
		return Result{}, cause.Wrap(cause.RegistryUnreachable, err, "registry host configuration for %s: %v", ref.Registry(), err)
	}
	var res Result
	served, err := p.health.Try(ctx, eps, hosts.Pull|hosts.Resolve, func(ctx context.Context, e hosts.Endpoint) error {
		if !e.Mirror {
			var err error
			res, err = p.fetch(ctx, ref, ref, auth, progress)
			return err
		}
		if e.Path != "/v2" {
			return cause.New(cause.ProtocolError, "mirror %s: override_path is not supported", e.Host)
		}
		loc := ":" + ref.Tag()
		if ref.Digest() != "" {
			loc = "@" + ref.Digest()
		}
		mref, err := reference.Parse(e.Host + "/" + ref.Repository() + loc)
		if err != nil {
			return err
		}
		// The image is named as the pod wrote it, not after the mirror.
		res, err = p.fetch(ctx, ref, mref, authn.Anonymous, progress)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	if served.Mirror {
		res.Mirror = served.Host
	}
	return res, nil
}
