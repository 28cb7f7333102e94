// Package cause is the closed set of reasons an image pull can fail.
//
// Every failure that pullwarden reports carries exactly one Cause. A Cause has
// a stable CamelCase reason (the word users, scripts and status fields match
// on), whether retrying can help, and a one-line hint that tells a person what
// to do. Callers match causes with errors.Is against the exported sentinels:
//
//	if errors.Is(err, cause.TagNotFound) { ... }
//
// and read the details (message, the wait a registry asked for) with
// errors.As into *Error. Messages never contain credentials.
//
// Retryable(err) is the one rule for whether trying again, unchanged, can
// help: the registry client's retry loop consults it and nothing else.
//
// This file set is the single source of truth for cause reasons and hints.
package cause
