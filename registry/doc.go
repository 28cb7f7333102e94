// Package registry pulls images from container registries into a
// store.Store, on top of go-containerregistry's transport (auth ping,
// Basic and Bearer token auth with a pull scope per repository, registry
// error bodies).
//
// Resolve asks what a reference points to with a manifest HEAD (which does
// not count against Docker Hub's pull limit) and sends a GET only when the
// HEAD gives no digest, size or media type, or fails without an error body
// (a 404 is final: TagNotFound, whose message says the repository may be
// missing too, since a HEAD cannot tell).
//
// Fetch resolves the reference, reads the index and the platform manifest
// from the store when present (so a present image costs one HEAD and no
// GET), else GETs them by digest and verifies them; selects the
// Options.Platform entry of an index (cause.PlatformNotFound lists what the
// index offers); then downloads the config and layers the store lacks,
// Options.Parallel (default 4) at a time, the largest first (so the
// longest transfer never starts last). Blobs are written through
// store.Writer: a partial blob resumes at Writer.Offset with a Range
// request (bytes=offset-end), a registry that ignores Range (200) makes the
// writer start over, and Writer.Commit verifies the digest, so nothing
// unverified lands in the store. A registry whose answer gives a blob
// another size than the manifest (the total of a Content-Range, a 416 to
// a resume) is cause.ProtocolError at once. Manifests are committed
// last, platform manifest before index. Manifests over 4 MiB, Docker
// schema 1 and unknown media types are cause.ManifestInvalid.
//
// Retries: within one call, every failure whose cause is retryable
// (cause.Retryable, the one rule: broken or refused connections, timeouts,
// stalls, 5xx, 408, 429, digest mismatches) is retried, up to
// Retry.Attempts attempts (default 5), with jittered exponential backoff
// (default 500ms doubling to 30s), waiting through Options.Sleep. A
// Retry-After on a 429 or 503 of any request of the protocol (the /v2/
// ping and the token exchange included) replaces the backoff when it is
// at most Options.MaxRetryAfter (default 60s); a longer one fails at once
// with cause.RateLimited and RetryAfter set, for the caller to schedule.
// What cannot succeed unchanged (401, 403, 404, a redirect loop, a
// malformed answer: cause.ProtocolError) is not retried. An attempt that
// stored at least Options.MinProgress bytes of a blob before it broke is
// followed by the next at once, resuming, without a backoff wait, and the
// count of attempts starts over: a connection cut again and again while
// bytes flow costs no sleep, and only attempts that make no progress use
// up the attempts.
//
// Deadlines: every request (ping, token exchange, manifests, blobs,
// redirects) must bring its response headers within Options.HeaderTimeout
// (default 30s, connection and TLS included; else cause.RegistryUnreachable,
// retried), and every body must bring a byte at least every
// Options.StallTimeout (default 30s) and at least Options.MinProgress
// bytes per Options.ProgressWindow (default 16 KiB per minute), else the
// attempt is a cause.NetworkError and a blob resumes where it stopped.
// The watchdogs run on Options.Clock.
//
// Challenges: a Client remembers each registry's answer to the /v2/ ping
// (scheme and WWW-Authenticate challenge) for its whole life, so later
// calls skip the ping: keep one Client per process. The answer is
// forgotten when a call to that host fails Unauthorized,
// RegistryUnreachable or ProtocolError, and a call that failed
// Unauthorized on a remembered challenge is run once more with a fresh
// ping. Tokens are not kept: a Bearer registry gets a token request per
// call.
//
// Every failure is a *cause.Error whose one-line message names the registry
// host and repository and never holds a credential or a URL query.
// Classification lives in classify.go. Where a registry cannot tell causes
// apart (a 401 to an anonymous request may mean a missing repository or a
// private one) the message says so instead of guessing.
//
// Endpoints: a call whose context carries an Endpoint (WithEndpoint, built
// from a containerd hosts.toml entry by package hosts) reaches that host
// with the Endpoint's scheme, API root (Root replaces /v2 in the paths the
// client builds, at the bottom of DefaultTransport so that wrappers such
// as the agent's throttle see the API's paths; redirects are followed as
// sent), headers, TLS
// configuration and dial timeout, and the "ns" query parameter naming the
// image's registry when the host is a mirror. They apply to requests to
// Endpoint.Host only: a token server or a redirect target on another
// host sees none of them, and a TLS configuration gets connections of its
// own (DefaultTransport keeps one clone per distinct configuration), so a
// client certificate or skip_verify never reaches another host. An
// "https" Endpoint is https only, loopback hosts included.
//
// Security: plain HTTP is used only for loopback hosts (localhost,
// 127.0.0.0/8, [::1]), hosts listed in Options.Insecure and an Endpoint
// whose scheme is http; every other
// request, including pings, token requests and followed redirects, must be
// https, enforced by a RoundTripper under ggcr's (ggcr alone would also try
// http for RFC 1918 addresses). Credentials go only to the registry host:
// ggcr's transports add them per request for that host, so a blob redirect
// to storage elsewhere carries no Authorization header.
package registry
