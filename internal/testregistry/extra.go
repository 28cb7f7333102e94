package testregistry

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// WithNotifications makes docker-registry POST its event envelopes
// (application/vnd.docker.distribution.events.v1+json) to url, sending
// header with every request (for example an Authorization header), with
// a 100ms retry backoff so tests see redeliveries quickly.
// docker-registry only.
func WithNotifications(url string, header http.Header) Option {
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("notifications:\n  endpoints:\n")
	fmt.Fprintf(&b, "    - name: %s\n      url: %s\n      timeout: 2s\n      threshold: 5\n      backoff: 100ms\n", q("pullwarden-test"), q(url))
	if len(header) > 0 {
		b.WriteString("      headers:\n")
		keys := make([]string, 0, len(header))
		for k := range header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "        %s: [", q(k))
			for i, v := range header[k] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(q(v))
			}
			b.WriteString("]\n")
		}
	}
	return WithExtraConfig(b.String())
}

// WithExtraConfig appends top-level sections (YAML, ending in a newline)
// to docker-registry's configuration. docker-registry only.
func WithExtraConfig(yaml string) Option {
	return func(c *config) { c.extraYAML = append(c.extraYAML, yaml) }
}
