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
// that health records as down (default: no mirrors). Each host is reached
// with its own settings (scheme, API root with override_path, ca,
// skip_verify, client certificates, headers, dial_timeout), applied only
// to requests to that host (hosts.Endpoint.Registry). Mirrors are asked
// anonymously: the pod's credentials match the registry's host, not the
// mirror's; the registry's own entry ("server") gets them. Result.Mirror
// names the mirror that served an image.
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
		ectx, mref, err := EndpointContext(ctx, ref, e)
		if err != nil {
			return err
		}
		a := authn.Anonymous
		if !e.Mirror {
			a = auth
		}
		// The image is named as the pod wrote it, not after the host.
		res, err = p.fetch(ectx, ref, mref, a, progress)
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

// EndpointContext returns ctx carrying e's settings for the registry
// client (registry.WithEndpoint) and the reference to ask e for: ref's
// repository and tag or digest on e's host. The registry's own entry
// keeps ref when it names ref's host (docker.io's registry-1.docker.io
// included); another host is asked for the image with the "ns" query
// parameter naming ref's registry, as containerd asks a mirror. A TLS file that cannot be read is cause.RegistryUnreachable
// naming the file.
func EndpointContext(ctx context.Context, ref reference.Reference, e hosts.Endpoint) (context.Context, reference.Reference, error) {
	re, err := e.Registry()
	if err != nil {
		return ctx, ref, cause.Wrap(cause.RegistryUnreachable, err, "registry host configuration for %s: %v", ref.Registry(), err)
	}
	if !e.Mirror && (e.Host == ref.Registry() || (ref.Registry() == "docker.io" && e.Host == "registry-1.docker.io")) {
		if e.Host == "registry-1.docker.io" {
			re.Host = "index.docker.io" // the host the client reaches for docker.io
		}
		return registry.WithEndpoint(ctx, re), ref, nil
	}
	loc := ":" + ref.Tag()
	if ref.Digest() != "" {
		loc = "@" + ref.Digest()
	}
	mref, err := reference.Parse(e.Host + "/" + ref.Repository() + loc)
	if err != nil {
		return ctx, ref, cause.Wrap(cause.InvalidImageName, err, "host %s of registry %s: %v", e.Host, ref.Registry(), err)
	}
	re.Namespace = ref.Registry()
	return registry.WithEndpoint(ctx, re), mref, nil
}
