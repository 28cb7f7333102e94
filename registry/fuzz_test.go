package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
)

// fuzzClient backs the parsers' session; it never connects.
var fuzzClient = New(Options{})

// fuzzSession is a session for the parsers, with no connection.
func fuzzSession() *session {
	return &session{c: fuzzClient, repo: "app/web", t: target{host: "registry.test", repo: "app/web"}}
}

// checkMessage asserts what every failure message promises: one line, no
// control characters, bounded length.
func checkMessage(t *testing.T, err error) {
	t.Helper()
	var ce *cause.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *cause.Error", err, err)
	}
	if ce.Cause == nil {
		t.Fatal("no cause")
	}
	for _, r := range ce.Message {
		if r < 0x20 || r == 0x7f {
			t.Fatalf("message %q has a control character", ce.Message)
		}
	}
	if len(ce.Message) > 2000 {
		t.Fatalf("message of %d bytes", len(ce.Message))
	}
}

// FuzzManifest feeds a manifest body and Content-Type through what Fetch
// does with them: media type, its check, index or manifest parsing, the
// platform choice. Every failure is ManifestInvalid or PlatformNotFound.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:`+strings.Repeat("a", 64)+`","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:`+strings.Repeat("b", 64)+`","size":10}]}`), "")
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:`+strings.Repeat("c", 64)+`","size":5,"platform":{"os":"linux","architecture":"amd64"}}]}`), "application/vnd.oci.image.index.v1+json")
	f.Add([]byte(`{"schemaVersion":1,"fsLayers":[]}`), "application/vnd.docker.distribution.manifest.v1+prettyjws")
	f.Add([]byte(`{"config":{"digest":"md5:00","size":-1}}`), "application/vnd.docker.distribution.manifest.v2+json")
	f.Add([]byte("not json"), "text/plain; charset=utf-8")
	f.Add([]byte{}, "application/vnd.docker.distribution.manifest.list.v2+json")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		s := fuzzSession()
		mt := mediaType(contentType, body)
		if err := s.checkMediaType(mt, "manifest"); err != nil {
			if !errors.Is(err, cause.ManifestInvalid) {
				t.Fatalf("media type %q: %v", mt, err)
			}
			checkMessage(t, err)
			return
		}
		if isIndex(mt) {
			idx, err := s.parseIndex(body, "manifest")
			if err != nil {
				checkMessage(t, err)
				return
			}
			d, err := s.selectPlatform(idx, v1.Platform{OS: "linux", Architecture: "amd64"}, "manifest")
			if err != nil {
				if !errors.Is(err, cause.PlatformNotFound) {
					t.Fatal(err)
				}
				checkMessage(t, err)
				return
			}
			if !isManifest(d.MediaType) || d.Platform == nil || d.Platform.OS != "linux" {
				t.Fatalf("selected %+v", d)
			}
			return
		}
		blobs, err := s.parseManifest(body, "manifest")
		if err != nil {
			if !errors.Is(err, cause.ManifestInvalid) {
				t.Fatal(err)
			}
			checkMessage(t, err)
			return
		}
		seen := map[v1.Hash]bool{}
		for _, b := range blobs {
			if b.Digest.Algorithm != "sha256" || b.Size < 0 || seen[b.Digest] {
				t.Fatalf("blob %+v accepted", b)
			}
			seen[b.Digest] = true
		}
	})
}

// FuzzHeadDescriptor: whatever a manifest HEAD's headers say, the
// descriptor has a sha256 digest or none, a positive size or none.
func FuzzHeadDescriptor(f *testing.F) {
	f.Add("sha256:"+strings.Repeat("a", 64), "528", "application/vnd.oci.image.manifest.v1+json")
	f.Add("sha512:00", "-1", "")
	f.Add("", "12x", "application/json; charset=utf-8")
	f.Add("sha256:ABC", "99999999999999999999", "text/html;;")
	f.Fuzz(func(t *testing.T, digest, length, contentType string) {
		h := http.Header{}
		h.Set("Docker-Content-Digest", digest)
		h.Set("Content-Length", length)
		h.Set("Content-Type", contentType)
		d := headDescriptor(h)
		if d.Digest != (v1.Hash{}) && (d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64) {
			t.Fatalf("digest %v from %q", d.Digest, digest)
		}
		if d.Size < 0 {
			t.Fatalf("size %d from %q", d.Size, length)
		}
		if d.Size > 0 && strconv.FormatInt(d.Size, 10) != strings.TrimLeft(strings.TrimSpace(length), "0") {
			t.Fatalf("size %d from %q", d.Size, length)
		}
	})
}

// FuzzParseContentRange: an accepted Content-Range is consistent and
// prints back to what was parsed.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 10-19/*", "bytes 5-4/10", "bytes -1-3/4", "bytes 0-9/9", "items 0-1/2", "bytes 1-2/3/4", "bytes 99999999999999999999-1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cr, ok := parseContentRange(s)
		if !ok {
			return
		}
		if cr.start < 0 || cr.end < cr.start || (cr.total != -1 && cr.total <= cr.end) {
			t.Fatalf("%q parsed to %+v", s, cr)
		}
		total := "*"
		if cr.total >= 0 {
			total = strconv.FormatInt(cr.total, 10)
		}
		again, ok := parseContentRange(fmt.Sprintf("bytes %d-%d/%s", cr.start, cr.end, total))
		if !ok || again != cr {
			t.Fatalf("%q parsed to %+v, which does not print back", s, cr)
		}
	})
}

// FuzzErrorResponse: any status, error body and Retry-After a registry
// sends classifies into a cause with a safe one-line message that holds
// at most a sanitised, capped part of the body.
func FuzzErrorResponse(f *testing.F) {
	f.Add(404, []byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`), "")
	f.Add(429, []byte(`{"errors":[{"code":"TOOMANYREQUESTS","message":"slow\r\ndown\x00"}]}`), "7")
	f.Add(401, []byte(`{"errors":[{"code":"UNAUTHORIZED","message":"`+strings.Repeat("x", 5000)+`"}]}`), "")
	f.Add(503, []byte("<html>\n<b>down</b></html>"), "Wed, 02 Jan 2030 03:04:35 GMT")
	f.Add(418, []byte(`{"errors":null}`), "")
	f.Add(999, []byte(nil), "-5")
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		if status < 100 || status > 999 || status == http.StatusOK {
			return
		}
		req, _ := http.NewRequest(http.MethodGet, "https://registry.test/v2/app/web/manifests/v1?token=hunter2", nil)
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
		resp.Header.Set("Retry-After", retryAfter)
		err := checkResponse(resp, now, http.StatusOK)
		if err == nil {
			t.Fatal("no error for a failed status")
		}
		e := target{host: "registry.test", repo: "app/web"}.classify(err, "manifest for tag \"v1\"")
		checkMessage(t, e)
		if strings.Contains(e.Message, "hunter2") {
			t.Fatalf("message %q holds the URL query", e.Message)
		}
		if !utf8.ValidString(e.Message) && utf8.Valid(body) {
			t.Fatalf("message %q is not UTF-8", e.Message)
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("RetryAfter %v", e.RetryAfter)
		}
	})
}

// FuzzParsePlatform: an accepted --platform has non-empty parts and prints
// back to itself.
func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm64/v8", "windows/amd64:10.0.17763.1879", "linux", "linux//v7", "linux/amd64/v8/x", " linux/amd64", "linux/amd64:", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if p.OS == "" || p.Architecture == "" {
			t.Fatalf("%q parsed to %+v", s, p)
		}
		back := platformString(*p)
		if p.OSVersion != "" {
			back += ":" + p.OSVersion
		}
		if back != s {
			t.Fatalf("%q parsed to %+v, which prints as %q", s, p, back)
		}
	})
}
