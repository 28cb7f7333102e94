// Package faultproxy is a fault-injecting reverse proxy for tests: an
// http.Handler placed in front of a registry that breaks chosen requests in
// the ways real networks and registries do.
//
// Rules match requests by method and path regexp; each rule applies to its
// first Times matching requests (0: all), and the first rule that matches
// and has uses left wins. Faults: cut the connection after N body bytes
// (hijack and close), a clean but truncated body, a status code answered by
// the proxy itself (with Retry-After and a body), a slow trickle, a stall
// until the client gives up (after the headers, or before them: Hang), a
// raw (possibly malformed) response, corrupted body bytes, a 307 redirect to
// another base URL, and forwarding without the Range header (a registry
// that ignores Range).
//
// The proxy records every request (method, path, Range header and whether
// an Authorization header was present, never its value) and counts the
// body bytes it served per path. It is safe for concurrent use.
package faultproxy
