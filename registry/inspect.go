package registry

// Read-only calls for diagnosis (package diagnose): an unauthenticated
// GET /v2/, a repository session, one manifest HEAD with the registry's
// rate-limit headers, the tag list and an index by digest. None of them
// reads a layer or a config blob.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// PingResult is the registry's answer to an unauthenticated GET /v2/.
type PingResult struct {
	// Scheme is "https" or "http" (plain HTTP is tried only for hosts
	// allowed over HTTP, after https failed).
	Scheme string
	// Status is the HTTP status: 200 (open) or 401 (credentials needed).
	Status int
	// Challenge is the WWW-Authenticate scheme and realm, e.g.
	// `Basic realm="Registry"`, shortened to one line.
	Challenge string
	// TLSVersion, CertSubject, CertExpires describe the TLS session when
	// Scheme is https.
	TLSVersion  string
	CertSubject string
	CertExpires time.Time
	// TLSFailed is set when the error is a failed TLS handshake or
	// certificate check.
	TLSFailed bool
}

// AllowsHTTP reports whether host ("host[:port]") may be reached over
// plain HTTP: loopback hosts and Options.Insecure.
func (c *Client) AllowsHTTP(host string) bool { return c.allowHTTP(host) }

// Ping sends one unauthenticated GET /v2/ to host: https first, then plain
// HTTP when AllowsHTTP(host). Any status but 200 and 401 is an error
// (classified); the result is filled as far as known.
func (c *Client) Ping(ctx context.Context, host string) (PingResult, error) {
	t := target{host: host, repo: "", anonymous: true}
	what := "the API root (GET /v2/)"
	hc := &http.Client{Transport: transport.NewUserAgent(&endpointLayer{inner: &schemeGuard{c: c, inner: c.opts.Transport}}, c.opts.UserAgent),
		CheckRedirect: checkRedirect}
	try := func(scheme string) (PingResult, error) {
		res := PingResult{Scheme: scheme}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/v2/", nil)
		if err != nil {
			return res, cause.Wrap(cause.InvalidImageName, err, "invalid registry host %q", host)
		}
		resp, err := hc.Do(req)
		if err != nil {
			res.TLSFailed = isTLS(err)
			return res, t.classify(err, what)
		}
		defer resp.Body.Close()
		res.Status = resp.StatusCode
		if ch := resp.Header.Get("WWW-Authenticate"); ch != "" {
			res.Challenge = sanitize(ch)
		}
		if resp.TLS != nil {
			res.TLSVersion = tlsVersion(resp.TLS.Version)
			if len(resp.TLS.PeerCertificates) > 0 {
				res.CertSubject = resp.TLS.PeerCertificates[0].Subject.String()
				res.CertExpires = resp.TLS.PeerCertificates[0].NotAfter
			}
		}
		if err := checkResponse(resp, c.opts.Clock.Now(), http.StatusOK, http.StatusUnauthorized); err != nil {
			return res, t.classify(err, what)
		}
		return res, nil
	}
	res, err := try("https")
	if err != nil && c.allowHTTPIn(ctx, host) && ctx.Err() == nil {
		if r2, err2 := try("http"); err2 == nil || r2.Status != 0 {
			return r2, err2
		}
	}
	return res, err
}

func tlsVersion(v uint16) string {
	switch v {
	case 0x0304:
		return "TLS 1.3"
	case 0x0303:
		return "TLS 1.2"
	}
	return fmt.Sprintf("TLS 0x%04x", v)
}

// Repository is an authenticated, read-only session with one repository.
type Repository struct{ s *session }

// OpenRepository authenticates to ref's registry for pulling ref's
// repository (ping and, for Bearer registries, the token exchange, which
// is where a registry with token auth rejects bad credentials).
func (c *Client) OpenRepository(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (*Repository, error) {
	s, err := c.open(ctx, ref, auth)
	if err != nil {
		return nil, err
	}
	return &Repository{s: s}, nil
}

// RateLimit is what a registry said about its pull limit: Docker Hub's
// ratelimit-limit and ratelimit-remaining headers ("100;w=21600") and a
// Retry-After.
type RateLimit struct {
	// Known is set when the limit headers were present.
	Known            bool
	Limit, Remaining int
	// Window is the w= part of the limit header.
	Window time.Duration
	// RetryAfter is the wait asked for on a 429 or 503, if any.
	RetryAfter time.Duration
}

// ManifestHead is the answer to one manifest HEAD.
type ManifestHead struct {
	// Descriptor has the digest, size and media type the registry gave
	// (fields the registry left out stay zero).
	Descriptor v1.Descriptor
	RateLimit  RateLimit
}

// Head sends one manifest HEAD for locator (a tag or digest), retrying
// transient failures as Resolve does. The rate-limit headers of the last
// response are returned also on failure. A 404 is cause.TagNotFound (a
// HEAD has no error body, so a missing repository looks the same: ask
// Tags to tell them apart).
func (r *Repository) Head(ctx context.Context, locator string) (ManifestHead, error) {
	s := r.s
	var out ManifestHead
	what := "manifest " + locator
	if !strings.Contains(locator, ":") {
		what = fmt.Sprintf("manifest for tag %q", locator)
	}
	err := s.c.retry(ctx, s.t, what, func(ctx context.Context, _ int) error {
		resp, err := s.manifestRequest(ctx, http.MethodHead, locator)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out.RateLimit = readRateLimit(resp.Header)
		if err := checkResponse(resp, s.c.opts.Clock.Now(), http.StatusOK); err != nil {
			var he *httpError
			if errors.As(err, &he) && he.hasAfter {
				out.RateLimit.RetryAfter = he.retryAfter
			}
			return err
		}
		size, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
		out.Descriptor = v1.Descriptor{Size: size, MediaType: mediaType(resp.Header.Get("Content-Type"), nil)}
		if h, err := v1.NewHash(resp.Header.Get("Docker-Content-Digest")); err == nil {
			out.Descriptor.Digest = h
		}
		return nil
	})
	if err != nil {
		return out, s.t.classify(err, what)
	}
	return out, nil
}

// readRateLimit parses Docker Hub's ratelimit-limit / ratelimit-remaining
// headers ("100;w=21600").
func readRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	limit, window, ok1 := parseLimitHeader(h.Get("RateLimit-Limit"))
	remaining, _, ok2 := parseLimitHeader(h.Get("RateLimit-Remaining"))
	if ok1 && ok2 {
		rl.Known, rl.Limit, rl.Remaining, rl.Window = true, limit, remaining, window
	}
	return rl
}

func parseLimitHeader(v string) (n int, window time.Duration, ok bool) {
	num, rest, _ := strings.Cut(strings.TrimSpace(v), ";")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 {
		return 0, 0, false
	}
	if w, found := strings.CutPrefix(strings.TrimSpace(rest), "w="); found {
		if secs, err := strconv.Atoi(w); err == nil && secs > 0 {
			window = time.Duration(min(secs, 366*24*3600)) * time.Second
		}
	}
	return n, window, true
}

// MaxTags bounds how many tags Tags reads (in pages of 1000).
const MaxTags = 10000

// Tags lists the repository's tags (GET /v2/<repo>/tags/list, following
// Link headers up to MaxTags). A 404 is cause.RepositoryNotFound.
func (r *Repository) Tags(ctx context.Context) ([]string, error) {
	s := r.s
	const what = "the tag list"
	next := fmt.Sprintf("https://%s/v2/%s/tags/list?n=1000", s.reg.RegistryStr(), s.repo)
	var tags []string
	for next != "" && len(tags) < MaxTags {
		var page []string
		var link string
		err := s.c.retry(ctx, s.t, what, func(ctx context.Context, _ int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
			if err != nil {
				return err
			}
			resp, err := s.client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if err := checkResponse(resp, s.c.opts.Clock.Now(), http.StatusOK); err != nil {
				return err
			}
			var body struct {
				Tags []string `json:"tags"`
			}
			if err := json.NewDecoder(io.LimitReader(resp.Body, store.MaxManifestSize)).Decode(&body); err != nil {
				return cause.Wrap(cause.ManifestInvalid, err, "registry %s sent a tag list for %q that does not parse", s.t.host, s.repo)
			}
			page, link = body.Tags, nextLink(resp.Request.URL, resp.Header.Get("Link"))
			return nil
		})
		if err != nil {
			var he *httpError
			if errors.As(err, &he) && he.err.StatusCode == http.StatusNotFound {
				return nil, cause.Wrap(cause.RepositoryNotFound, err, "repository %q does not exist on registry %s (the tag list answered %d)",
					s.repo, s.t.host, he.err.StatusCode)
			}
			return nil, s.t.classify(err, what)
		}
		tags = append(tags, page...)
		next = link
	}
	return tags, nil
}

// nextLink reads `<url>; rel="next"`, resolved against base.
func nextLink(base *url.URL, link string) string {
	if link == "" || base == nil {
		return ""
	}
	start, end := strings.Index(link, "<"), strings.Index(link, ">")
	if start < 0 || end <= start || !strings.Contains(link[end:], `rel="next"`) {
		return ""
	}
	u, err := base.Parse(link[start+1 : end])
	if err != nil || u.Host != base.Host {
		return ""
	}
	return u.String()
}

// Platform fetches the index desc (one manifest GET by digest, verified)
// and returns the entry for want, or cause.PlatformNotFound listing the
// platforms the index offers. A desc that is not an index is returned
// unchanged.
func (r *Repository) Platform(ctx context.Context, desc v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	if !isIndex(desc.MediaType) {
		return desc, nil
	}
	s := r.s
	what := "manifest " + desc.Digest.String()
	var body []byte
	err := s.c.retry(ctx, s.t, what, func(ctx context.Context, _ int) error {
		var err error
		body, _, err = s.getManifest(ctx, desc.Digest.String(), &desc.Digest)
		return err
	})
	if err != nil {
		return v1.Descriptor{}, s.t.classify(err, what)
	}
	idx, err := s.parseIndex(body, what)
	if err != nil {
		return v1.Descriptor{}, err
	}
	return s.selectPlatform(idx, want, what)
}

// IsIndex reports whether mt is an OCI image index or a Docker manifest
// list.
func IsIndex(mt string) bool { return isIndex(types.MediaType(mt)) }

// PlatformString formats p as os/arch[/variant].
func PlatformString(p v1.Platform) string { return platformString(p) }
