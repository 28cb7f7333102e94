// Package notify receives docker-registry's push notifications, so that a
// pod waiting for a tag retries the moment the tag is pushed.
//
// A registry (distribution 2.x/3.x, Harbor and others that speak its
// format) configured with
//
//	notifications:
//	  endpoints:
//	    - name: pullwarden
//	      url: http://ADDR/registry/notifications
//	      headers:
//	        Authorization: [Bearer TOKEN]   # when Options.Token is set
//
// POSTs envelopes of content type application/vnd.docker.distribution.
// events.v1+json: {"events": [{"action": "push", "target": {"mediaType",
// "repository", "digest", "tag", "url"}, "request": {"host"}, ...}]}.
// Handler accepts them at Path and calls OnPush once per manifest push
// with the registry host (request.host, the name the pusher used, or
// Options.Host), the repository, the tag ("" for a push by digest) and
// the digest. Blob pushes, pulls, deletes and mounts are left out; a
// push is a manifest push when its media type is a Docker or OCI manifest
// or index, or when its URL addresses /manifests/.
//
// Only POST is served (405), with the events media type or
// application/json (415), a body of at most MaxBody (1 MiB; 413) and,
// when Token is set, "Authorization: Bearer TOKEN" (401; compared in
// constant time, never logged). A malformed envelope is 400: the
// registry retries it up to its endpoint's threshold. OnPush runs before
// the 200 is written, so a registry's retry after a crash of the agent
// is not lost; keep it short. Parse is the envelope parser on its own
// (fuzzed: FuzzParse).
package notify
