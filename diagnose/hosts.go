package diagnose

import (
	"context"
	"fmt"
	"strings"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reference"
)

// configured is what Options.RegistryConfigPath says of a registry.
type configured struct {
	// key tells host checks with different settings apart ("" without a
	// configuration).
	key string
	// scheme is the registry entry's scheme ("" without a configuration).
	scheme string
	// mirrors names the mirrors tried before the registry, for the
	// evidence ("" when none).
	mirrors string
}

// endpoint applies the registry's own hosts.toml entry under
// Options.RegistryConfigPath: it returns ctx carrying its settings for the
// registry client and the reference to check (on the entry's server).
func (c *Checker) endpoint(ctx context.Context, ref reference.Reference) (context.Context, reference.Reference, configured, error) {
	if c.opts.RegistryConfigPath == "" {
		return ctx, ref, configured{}, nil
	}
	eps, err := hosts.Endpoints(c.opts.RegistryConfigPath, ref.Registry())
	if err != nil {
		return ctx, ref, configured{}, cause.Wrap(cause.RegistryUnreachable, err, "registry host configuration for %s: %v", ref.Registry(), err)
	}
	server := eps[len(eps)-1]
	var mirrors []string
	for _, e := range eps[:len(eps)-1] {
		if e.Capabilities.Has(hosts.Pull | hosts.Resolve) {
			mirrors = append(mirrors, e.String())
		}
	}
	ctx, target, err := pull.EndpointContext(ctx, ref, server)
	if err != nil {
		return ctx, ref, configured{}, err
	}
	skip := server.SkipVerify != nil && *server.SkipVerify && !server.DefaultSkipVerify
	conf := configured{key: fmt.Sprint(server.String(), server.HTTPFallback, skip, server.CA, server.Client, server.Header, server.DialTimeout),
		scheme: server.Scheme}
	if len(mirrors) > 0 {
		conf.mirrors = fmt.Sprintf("the agent tries mirror(s) %s first (not checked here)", strings.Join(mirrors, ", "))
	}
	return ctx, target, conf, nil
}
