package cause

import (
	"errors"
	"fmt"
	"time"
)

// Cause is one member of the closed set of failure causes. Causes are
// compared by identity: use the exported sentinels.
type Cause struct {
	reason    string
	retryable bool
	hint      string
}

// Reason is the stable CamelCase name of the cause.
func (c *Cause) Reason() string { return c.reason }

// Retryable reports whether trying again, unchanged, can succeed.
func (c *Cause) Retryable() bool { return c.retryable }

// Hint is a one-line suggestion for the person who reads the failure.
func (c *Cause) Hint() string { return c.hint }

// Error makes a Cause usable as an errors.Is target; it returns the reason.
func (c *Cause) Error() string { return c.reason }

func define(reason string, retryable bool, hint string) *Cause {
	c := &Cause{reason: reason, retryable: retryable, hint: hint}
	all = append(all, c)
	return c
}

var all []*Cause

// The causes. Reasons are stable: they are part of pullwarden's output.
var (
	InvalidImageName    = define("InvalidImageName", false, "fix the image reference: name[:tag][@sha256:digest], lower-case repository")
	ErrImageNeverPull   = define("ErrImageNeverPull", false, "the pull policy is Never and the image is not there: put it there first (for the node agent's pods: pullwarden pull IMAGE --node, or pullwarden load ARCHIVE --node) or change imagePullPolicy")
	RegistryUnreachable = define("RegistryUnreachable", true, "check the registry host name, port, network path and TLS settings")
	Unauthorized        = define("Unauthorized", false, "provide credentials for this registry (an image pull secret or docker login) or check the repository name")
	Denied              = define("Denied", false, "the credentials were accepted but lack access to this repository: grant pull rights or use another account")
	RepositoryNotFound  = define("RepositoryNotFound", false, "check the repository name and the registry host")
	TagNotFound         = define("TagNotFound", false, "check the tag or digest; if the image is still being built, push it and retry")
	PlatformNotFound    = define("PlatformNotFound", false, "the image has no variant for this platform: choose another image or pass --platform")
	RateLimited         = define("RateLimited", true, "the registry limits pulls: wait, authenticate for a higher limit, or use a mirror")
	ServerError         = define("ServerError", true, "the registry failed; it usually recovers, retry later")
	NetworkError        = define("NetworkError", true, "the connection broke during the transfer; retrying resumes where it stopped")
	DigestMismatch      = define("DigestMismatch", true, "the registry sent content that does not match its digest: a broken mirror or proxy is likely")
	ManifestInvalid     = define("ManifestInvalid", false, "the registry returned a manifest pullwarden cannot use: the image may be corrupt or of an unsupported type")
	ProtocolError       = define("ProtocolError", false, "the registry, or a proxy in front of it, broke the registry protocol (a redirect loop, a malformed answer, content that contradicts the manifest): retrying will not help; tell its operator")
	StoreFailed         = define("StoreFailed", false, "the local image store could not be read or written: check the path, permissions and free space")
	Canceled            = define("Canceled", false, "the pull was canceled")
	Unknown             = define("Unknown", true, "an unexpected failure; the message has the details")
)

// All returns every cause, in declaration order.
func All() []*Cause { return append([]*Cause(nil), all...) }

// ByReason returns the cause with the given reason, or nil.
func ByReason(reason string) *Cause {
	for _, c := range all {
		if c.reason == reason {
			return c
		}
	}
	return nil
}

// Error is a failure with its cause. Message is for people and never holds a
// credential; Err, when set, is the underlying error for errors.Is/As.
type Error struct {
	Cause   *Cause
	Message string
	// RetryAfter is the wait the registry asked for (Retry-After), if any.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes both the cause sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Cause}
	}
	return []error{e.Cause, e.Err}
}

// New returns an *Error with the given cause and a formatted message.
func New(c *Cause, format string, args ...any) *Error {
	return &Error{Cause: c, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given cause and message wrapping err. The
// message is used as is: err's text is not appended, so callers decide what
// a person sees.
func Wrap(c *Cause, err error, format string, args ...any) *Error {
	return &Error{Cause: c, Message: fmt.Sprintf(format, args...), Err: err}
}

// Of returns the cause of err: the cause of the outermost *Error in its chain,
// Canceled for context cancellation, and Unknown otherwise. Of(nil) is nil.
func Of(err error) *Cause {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e.Cause != nil {
		return e.Cause
	}
	for _, c := range all {
		if errors.Is(err, c) {
			return c
		}
	}
	if isCanceled(err) {
		return Canceled
	}
	return Unknown
}

// Retryable reports whether trying err again, unchanged, can succeed: the
// retryability of its cause (Of). It is the one rule retry loops consult.
// Retryable(nil) is false.
func Retryable(err error) bool {
	c := Of(err)
	return c != nil && c.Retryable()
}

// RetryAfterOf returns the wait a registry asked for, found in err's chain.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
