// Package tokenserver is a Docker registry token server for tests, and a
// starter for Debian's docker-registry behind it (or behind htpasswd).
//
// It implements the distribution "token" authentication spec: the
// registry answers 401 with `Bearer realm=...,service=...,scope=...`, the
// client asks GET realm?service=S&scope=repository:NAME:pull,push (scope
// may repeat) with Basic credentials, and gets
// {"token","access_token","expires_in","issued_at"}. The token is a JWT
// signed ES256 by a key whose self-signed certificate (CertFile) is the
// registry's rootcertbundle; its header carries the certificate in x5c.
//
// Users are checked against a table of name -> password; a wrong password
// is 401 (no token), no credentials at all get an anonymous token with the
// anonymous grants (User ""). Each requested action is granted only when
// a Grant for the user (or for everyone, User "*") matches the repository
// (path.Match pattern, "*" matching any depth) and lists the action.
// Issued counts the tokens handed out, so tests can prove token caching.
//
// The realm is http://localhost:PORT/token, not 127.0.0.1: go-containerregistry
// (v0.22) refuses a realm on a private or loopback IP literal unless it is
// the registry's own host:port.
//
// StartRegistry and StartBasicRegistry run /usr/bin/docker-registry on a
// free loopback port; they skip the test when the binary is absent, unless
// PULLWARDEN_REQUIRE_REAL=1, which makes that a failure.
package tokenserver
