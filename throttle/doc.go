// Package throttle admits requests to registry hosts for the whole node:
// one Throttle, shared by every pull, decides when a request may leave.
//
// Three limits apply per registry host (filed under Key: the lower-cased
// host[:port] of the request's URL, default ports removed; a blob that a
// registry redirects to a CDN or a token fetched from an auth host is
// admitted under that other host's name):
//
//  1. A shared wait. When any response from the host is a 429, or a 503
//     with Retry-After, no request to that host is sent before the wait
//     has passed: every caller blocks (cancellable through its context).
//     The wait is, in order: Retry-After (delay seconds or an HTTP date);
//     on a 429 without it, the quota headers (below) when they say the
//     quota is used up; else NoHintWait (5s), doubling with each
//     consecutive hintless 429 from the host. Every wait is capped at
//     MaxWait (6h). A new wait only ever extends the one in force.
//
//  2. Quota headers, read at run time from every response. Docker Hub
//     sends "ratelimit-limit: 100;w=21600" and "ratelimit-remaining:
//     76;w=21600" (a limit, what is left, and the window in seconds) on
//     manifest requests; the IETF draft's "ratelimit-reset: SECONDS" is
//     read too. Only manifest GETs count against Docker Hub's quota
//     (HEADs and blobs do not), so an answer saying "remaining: 0" holds
//     manifest GETs only, for ratelimit-reset if given, else one slot of
//     the rolling window (window / limit: 216s for 100;w=21600), while
//     HEAD re-checks and blob downloads go on; the first later answer
//     with room left releases the held GETs at once. State reports the
//     last quota seen (for explain's rate-limit headroom).
//
//  3. Admission limits (Limits, per host or Default): a token bucket of
//     QPS (5) and Burst (10), the kubelet's registryPullQPS and
//     registryBurst defaults, charged one token per manifest request
//     (HEAD or GET of a manifest, tag list), which is about one per pull
//     and one per re-check. Where the kubelet fails a pull that finds the
//     bucket empty ("pull QPS exceeded", kubernetes #17118, #112044), a
//     Throttle makes it wait for its token. And a cap of Transfers (8)
//     concurrent blob downloads per host, held from the request until the
//     body is closed or read to its end.
//
// Use it as an http.RoundTripper wrapper (Transport), which applies all
// three and learns from every response, or call Wait, Acquire, Observe
// and Hold directly. OnHold reports each new or longer shared wait (for
// metrics and events). Time comes from an injected clock (package clock),
// so tests step time instead of sleeping.
package throttle
