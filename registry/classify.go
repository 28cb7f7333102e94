package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/pullwarden/pullwarden/cause"
)

// target names what the requests of one call are about, for messages.
type target struct {
	host, repo string
	// anonymous: no credentials were offered, so a 401 cannot tell a
	// missing repository from a private one.
	anonymous bool
}

// httpError is a registry response with an unexpected status, parsed by
// ggcr's transport.CheckError, plus the Retry-After the registry asked for.
type httpError struct {
	err        *transport.Error
	retryAfter time.Duration
	hasAfter   bool
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// checkResponse returns nil when resp's status is one of codes, else an
// *httpError (the body is read, capped by ggcr, and closed).
func checkResponse(resp *http.Response, now time.Time, codes ...int) error {
	err := transport.CheckError(resp, codes...)
	if err == nil {
		return nil
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		return err // reading the error body failed
	}
	he := &httpError{err: te}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		he.retryAfter, he.hasAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return he
}

// Errors of the transfer itself.
var (
	errShortBody = errors.New("the registry ended the body early")
	errTooLarge  = errors.New("manifest larger than 4 MiB")
	// errRedirectLoop: more than maxRedirects redirects.
	errRedirectLoop = errors.New("too many redirects")
)

// malformedHTTP lists the texts of net/http's errors for responses that
// break HTTP itself. net/http exports no type for them, so this is the one
// place that matches error text.
var malformedHTTP = []string{
	"malformed HTTP", "bad Content-Length", "invalid Content-Length", "malformed MIME header",
	"unsupported transfer encoding", "too many transfer encodings", "invalid header field",
	"Content-Length and Transfer-Encoding",
}

func isMalformedHTTP(err error) bool {
	s := err.Error()
	for _, m := range malformedHTTP {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// classify turns any failure of a request about what ("manifest latest",
// "blob sha256:...") into a *cause.Error naming the host and repository.
// An error that already is a *cause.Error is returned unchanged.
func (t target) classify(err error, what string) *cause.Error {
	var ce *cause.Error
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return cause.Wrap(cause.Canceled, err, "pulling %s from %s/%s was canceled", what, t.host, t.repo)
	}
	if isTLS(err) {
		return t.classifyNet(err, what)
	}
	var he *httpError
	if errors.As(err, &he) {
		return t.classifyHTTP(he, what)
	}
	var te *transport.Error // from ggcr's ping or token exchange
	if errors.As(err, &te) {
		return t.classifyHTTP(&httpError{err: te}, what)
	}
	return t.classifyNet(err, what)
}

func (t target) classifyHTTP(he *httpError, what string) *cause.Error {
	st := he.err.StatusCode
	status := fmt.Sprintf("%d %s", st, http.StatusText(st))
	code := ""
	detail := ""
	if len(he.err.Errors) > 0 {
		d := he.err.Errors[0]
		code = string(d.Code)
		detail = sanitize(d.Message)
		if detail != "" {
			detail = ": " + detail
		}
	}
	where := fmt.Sprintf("repository %q on registry %s", t.repo, t.host)
	wrap := func(c *cause.Cause, format string, args ...any) *cause.Error {
		e := cause.Wrap(c, he, format, args...)
		e.RetryAfter = he.retryAfter
		return e
	}
	switch {
	case code == string(transport.UnauthorizedErrorCode) || (code == "" && st == http.StatusUnauthorized):
		if t.anonymous {
			return wrap(cause.Unauthorized, "registry %s answered %s for %s of repository %q and no credentials were sent: the repository may not exist or may need credentials; the registry does not say which", t.host, status, what, t.repo)
		}
		return wrap(cause.Unauthorized, "registry %s rejected the credentials for repository %q (%s)%s", t.host, t.repo, status, detail)
	case code == string(transport.DeniedErrorCode) || (code == "" && st == http.StatusForbidden):
		return wrap(cause.Denied, "registry %s denied access to repository %q (%s)%s", t.host, t.repo, status, detail)
	case code == string(transport.NameUnknownErrorCode):
		return wrap(cause.RepositoryNotFound, "%s does not exist (NAME_UNKNOWN)%s", where, detail)
	case code == string(transport.NameInvalidErrorCode):
		return wrap(cause.InvalidImageName, "registry %s rejected the repository name %q (NAME_INVALID)%s", t.host, t.repo, detail)
	case code == string(transport.ManifestUnknownErrorCode):
		return wrap(cause.TagNotFound, "%s not found in %s (%s)", what, where, status)
	case strings.HasPrefix(what, "manifest") && st == http.StatusNotFound:
		return wrap(cause.TagNotFound, "%s not found in %s (%s; the registry does not say whether the repository exists)", what, where, status)
	case code == string(transport.BlobUnknownErrorCode) || st == http.StatusNotFound:
		return wrap(cause.ManifestInvalid, "%s referenced by the image is missing in %s (%s)", what, where, status)
	case code == string(transport.TooManyRequestsErrorCode) || st == http.StatusTooManyRequests:
		return wrap(cause.RateLimited, "registry %s rate-limited the request for %s of repository %q (%s)%s", t.host, what, t.repo, status, afterText(he))
	case st == http.StatusRequestTimeout:
		return wrap(cause.NetworkError, "registry %s timed out reading the request for %s of repository %q (%s)", t.host, what, t.repo, status)
	case st >= 500:
		return wrap(cause.ServerError, "registry %s failed on %s of repository %q (%s)%s%s", t.host, what, t.repo, status, detail, afterText(he))
	case code == string(transport.ManifestInvalidErrorCode):
		return wrap(cause.ManifestInvalid, "registry %s reports %s of repository %q invalid%s", t.host, what, t.repo, detail)
	}
	if st >= 400 && st < 500 {
		return wrap(cause.ProtocolError, "registry %s refused %s of repository %q with %s%s", t.host, what, t.repo, status, detail)
	}
	return wrap(cause.Unknown, "registry %s answered %s for %s of repository %q%s", t.host, status, what, t.repo, detail)
}

func afterText(he *httpError) string {
	if !he.hasAfter {
		return ""
	}
	return fmt.Sprintf(", asked to retry after %s", he.retryAfter)
}

// isTLS reports a failed TLS handshake or certificate check.
func isTLS(err error) bool {
	var (
		cert *tls.CertificateVerificationError
		unk  x509.UnknownAuthorityError
		host x509.HostnameError
		rec  tls.RecordHeaderError
	)
	return errors.As(err, &cert) || errors.As(err, &unk) || errors.As(err, &host) || errors.As(err, &rec)
}

func (t target) classifyNet(err error, what string) *cause.Error {
	var (
		dns     *net.DNSError
		plain   *errPlainHTTP
		ne      net.Error
		op      *net.OpError
		watched *watchError
	)
	msg := describe(err)
	for_ := fmt.Sprintf("(asking for %s of repository %q)", what, t.repo)
	switch {
	case errors.Is(err, errRedirectLoop):
		return cause.Wrap(cause.ProtocolError, err, "registry %s sent more than %d redirects %s: a redirect loop", t.host, maxRedirects, for_)
	case isTLS(err):
		// Before the plain-HTTP refusal: when ggcr tried both schemes,
		// the https failure is the story.
		return cause.Wrap(cause.RegistryUnreachable, err, "TLS with registry %s failed %s: %s", t.host, for_, msg)
	case errors.As(err, &plain):
		return cause.Wrap(cause.RegistryUnreachable, err, "registry %s %s: %s", t.host, for_, plain.Error())
	case errors.As(err, &dns):
		return cause.Wrap(cause.RegistryUnreachable, err, "cannot resolve the host of registry %s %s: %s", t.host, for_, msg)
	case errors.Is(err, syscall.ECONNREFUSED):
		return cause.Wrap(cause.RegistryUnreachable, err, "registry %s refused the connection %s: %s", t.host, for_, msg)
	case errors.As(err, &op) && op.Op == "dial":
		return cause.Wrap(cause.RegistryUnreachable, err, "cannot connect to registry %s %s: %s", t.host, for_, msg)
	case errors.As(err, &watched) && errors.Is(watched, errNoHeaders):
		return cause.Wrap(cause.RegistryUnreachable, err, "registry %s did not answer %s: %s", t.host, for_, watched.Error())
	case errors.Is(err, errStalled):
		return cause.Wrap(cause.NetworkError, err, "the transfer of %s from %s/%s stalled: %s", what, t.host, t.repo, msg)
	case errors.Is(err, errTooSlow):
		return cause.Wrap(cause.NetworkError, err, "the transfer of %s from %s/%s was too slow: %s", what, t.host, t.repo, msg)
	case isMalformedHTTP(err):
		return cause.Wrap(cause.ProtocolError, err, "registry %s sent a malformed HTTP response %s: %s", t.host, for_, msg)
	case errors.Is(err, errTooLarge):
		return cause.Wrap(cause.ManifestInvalid, err, "%s of %s/%s is larger than 4 MiB", what, t.host, t.repo)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, errShortBody),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed),
		errors.As(err, &ne) && ne.Timeout(), errors.As(err, &op):
		return cause.Wrap(cause.NetworkError, err, "the connection to registry %s broke during %s of %s: %s", t.host, what, t.repo, msg)
	}
	return cause.Wrap(cause.Unknown, err, "%s of %s/%s failed: %s", what, t.host, t.repo, msg)
}

// describe is err's text without URLs: *url.Error's operation and URL
// (which may carry a query with a token) are dropped.
func describe(err error) string {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) {
			break
		}
		err = ue.Err
	}
	return sanitize(err.Error())
}

// sanitize keeps untrusted text to one short line.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
