package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrreg "github.com/google/go-containerregistry/pkg/registry"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/reference"
)

// basicAuth puts HTTP Basic authentication in front of h, as a registry
// configured with htpasswd does.
func basicAuth(h http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		h.ServeHTTP(w, r)
	})
}

const manifests, blobs = `/manifests/`, `/blobs/sha256:`

func errBody(code string) string {
	return fmt.Sprintf(`{"errors":[{"code":%q,"message":"registry says %s"}]}`, code, strings.ToLower(code))
}

func TestClassification(t *testing.T) {
	t.Parallel()
	type setup struct {
		ref  reference.Reference
		auth authn.Authenticator
		mod  func(*Options)
		ctx  context.Context
	}
	cases := []struct {
		name    string
		rules   []faultproxy.Rule
		auth    bool // registry requires user/pass
		prep    func(t *testing.T, e *env, s *setup)
		want    *cause.Cause
		msg     string // substring of the message
		after   time.Duration
		waits   int // backoff sleeps expected
		noStore bool
	}{
		{name: "tag not found", prep: func(t *testing.T, e *env, s *setup) { s.ref = mustRef(t, s.ref.Name()+":nope") },
			want: cause.TagNotFound, msg: `manifest for tag "nope" not found`},
		{name: "repository not found", prep: func(t *testing.T, e *env, s *setup) { s.ref = mustRef(t, e.host+"/no/such:v1") },
			want: cause.TagNotFound, msg: "does not say whether the repository exists"},
		{name: "repository not found by digest", prep: func(t *testing.T, e *env, s *setup) {
			s.ref = mustRef(t, e.host+"/no/such@sha256:"+strings.Repeat("ab", 32))
			e.proxy.Add(faultproxy.Rule{Method: "HEAD", Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 400}})
		}, want: cause.RepositoryNotFound, msg: "NAME_UNKNOWN"},
		{name: "unauthorized anonymous", auth: true, want: cause.Unauthorized,
			msg: "no credentials were sent: the repository may not exist or may need credentials; the registry does not say which"},
		{name: "unauthorized bad credentials", auth: true,
			prep: func(t *testing.T, e *env, s *setup) {
				s.auth = &authn.Basic{Username: "user", Password: "wrong"}
			},
			want: cause.Unauthorized, msg: "rejected the credentials"},
		{name: "denied", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 403, Body: errBody("DENIED")}}},
			want: cause.Denied, msg: "denied access"},
		{name: "rate limited beyond cap", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 429, RetryAfter: "3600", Body: errBody("TOOMANYREQUESTS")}}},
			want: cause.RateLimited, after: time.Hour, msg: "rate-limited"},
		{name: "rate limited exhausted", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 429}}},
			want: cause.RateLimited, waits: 3, msg: "gave up after 4 attempts"},
		{name: "server error", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 502}}},
			want: cause.ServerError, waits: 3, msg: "502 Bad Gateway"},
		{name: "503 asks too long", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 503, RetryAfter: "600"}}},
			want: cause.RateLimited, after: 10 * time.Minute, msg: "503"},
		{name: "connection cut", rules: []faultproxy.Rule{{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 100}}},
			want: cause.NetworkError, waits: 3, msg: "broke", noStore: true},
		{name: "digest mismatch", rules: []faultproxy.Rule{{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Corrupt}}},
			want: cause.DigestMismatch, waits: 3, msg: "does not match its digest", noStore: true},
		{name: "blob missing", rules: []faultproxy.Rule{{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 404, Body: errBody("BLOB_UNKNOWN")}}},
			want: cause.ManifestInvalid, msg: "missing", noStore: true},
		{name: "schema 1", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 200,
			Body: `{"schemaVersion":1,"name":"app/web","tag":"v1","fsLayers":[]}`}}},
			want: cause.ManifestInvalid, msg: "schema 1"},
		{name: "unknown media type", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 200,
			Body: `{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}`}}},
			want: cause.ManifestInvalid, msg: "unsupported media type"},
		{name: "manifest too large", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 200,
			Body: "{" + strings.Repeat(" ", 5<<20) + "}"}}},
			want: cause.ManifestInvalid, msg: "larger than 4 MiB"},
		{name: "name invalid", rules: []faultproxy.Rule{{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 400, Body: errBody("NAME_INVALID")}}},
			want: cause.InvalidImageName, msg: "NAME_INVALID"},
		{name: "connection refused", want: cause.RegistryUnreachable, msg: "refused", waits: 0, // nobody there: the attempt ends at once, as containerd's
			prep: func(t *testing.T, e *env, s *setup) {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := l.Addr().String()
				l.Close()
				s.ref = mustRef(t, addr+"/app/web:v1")
			}},
		{name: "untrusted certificate", want: cause.RegistryUnreachable, msg: "TLS", waits: 3,
			prep: func(t *testing.T, e *env, s *setup) {
				srv := httptest.NewUnstartedServer(ggcrreg.New(quiet()))
				srv.Config.ErrorLog = log.New(io.Discard, "", 0)
				srv.StartTLS()
				t.Cleanup(srv.Close)
				addr := strings.TrimPrefix(srv.URL, "https://")
				s.ref = mustRef(t, "registry.test/app/web:v1")
				s.mod = func(o *Options) { o.Transport = dialOnly(addr) }
			}},
		{name: "canceled", want: cause.Canceled,
			prep: func(t *testing.T, e *env, s *setup) {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				s.ctx = ctx
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var e *env
			if tc.auth {
				h := ggcrreg.New(quiet())
				e = newEnvWith(t, h, basicAuth(h, "user", "secret"))
			} else {
				e = newEnv(t)
			}
			img := randomImage(t)
			s := &setup{ref: e.push(t, "app/web:v1", img), ctx: t.Context()}
			for _, r := range tc.rules {
				e.proxy.Add(r)
			}
			if tc.prep != nil {
				tc.prep(t, e, s)
			}
			clk := newFakeClock()
			mods := []func(*Options){func(o *Options) { o.Parallel = 1 }}
			if s.mod != nil {
				mods = append(mods, s.mod)
			}
			st := newMemStore()
			_, err := testClient(clk, mods...).Fetch(s.ctx, s.ref, s.auth, st, nil)
			var ce *cause.Error
			if !errors.As(err, &ce) || ce.Cause != tc.want {
				t.Fatalf("err = %v (%T), want cause %s", err, err, tc.want.Reason())
			}
			if !strings.Contains(ce.Message, tc.msg) {
				t.Errorf("message %q lacks %q", ce.Message, tc.msg)
			}
			if tc.want != cause.Canceled && (!strings.Contains(ce.Message, s.ref.Registry()) || !strings.Contains(ce.Message, s.ref.Repository())) {
				t.Errorf("message %q does not name the host %s and the repository", ce.Message, s.ref.Registry())
			}
			if strings.ContainsAny(ce.Message, "\n\r") || strings.Contains(ce.Message, "secret") || strings.Contains(ce.Message, "wrong") {
				t.Errorf("message %q is not one safe line", ce.Message)
			}
			if ce.RetryAfter != tc.after {
				t.Errorf("RetryAfter = %v, want %v", ce.RetryAfter, tc.after)
			}
			if got := len(clk.Waits()); got != tc.waits {
				t.Errorf("%d backoff waits %v, want %d", got, clk.Waits(), tc.waits)
			}
			if tc.noStore {
				mf, _ := img.Manifest()
				for _, h := range append(layerDigests(mf), mf.Config.Digest) {
					if st.has(h) {
						t.Errorf("blob %s landed in the store", h)
					}
				}
				d, _ := img.Digest()
				if st.has(d) {
					t.Error("the manifest was committed although its blobs failed")
				}
			}
		})
	}
}

// dialOnly is a transport that dials addr whatever the host, so a
// non-loopback name can reach a loopback test server without DNS.
func dialOnly(addr string) http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return tr
}
