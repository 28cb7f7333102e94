package testregistry_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// get does GET url and returns the status and Www-Authenticate header.
func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Www-Authenticate"), nil
}

// headDigest returns the manifest digest the registry serves for ref.
func headDigest(t *testing.T, ref string, auth authn.Authenticator) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r, remote.WithContext(t.Context()), remote.WithAuth(auth))
	if err != nil {
		t.Fatalf("HEAD %s: %v", ref, err)
	}
	return d.Digest.String()
}

// starters are the two kinds, for tests that must hold for both.
var starters = []struct {
	name  string
	start func(testing.TB, ...testregistry.Option) *testregistry.Registry
}{
	{"in-process", testregistry.StartInProcess},
	{"docker-registry", testregistry.Start},
}

func TestServesPushStopRestart(t *testing.T) {
	t.Parallel()
	for _, s := range starters {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			reg := s.start(t)
			if !strings.HasPrefix(reg.Host, "127.0.0.1:") || reg.URL != "http://"+reg.Host {
				t.Fatalf("Host %q URL %q", reg.Host, reg.URL)
			}
			code, _, err := get(t, reg.URL+"/v2/")
			if err != nil || code != http.StatusOK {
				t.Fatalf("GET /v2/: %d %v", code, err)
			}
			ref := reg.Ref("demo/app:1")
			want := testimage.Push(t, testimage.Random(t, 2, 4096), ref, nil).String()
			if got := headDigest(t, ref, authn.Anonymous); got != want {
				t.Fatalf("digest %s, want %s", got, want)
			}

			reg.Stop()
			if reg.Running() {
				t.Fatal("Running after Stop")
			}
			if _, _, err := get(t, reg.URL+"/v2/"); err == nil {
				t.Fatal("GET /v2/ answered after Stop")
			}
			reg.Stop() // a second Stop is a no-op

			host := reg.Host
			reg.Restart()
			if reg.Host != host {
				t.Fatalf("Host changed across Restart: %s -> %s", host, reg.Host)
			}
			if got := headDigest(t, ref, authn.Anonymous); got != want {
				t.Fatalf("after restart digest %s, want %s", got, want)
			}
		})
	}
}

func TestBlobPath(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t)
	img := testimage.Random(t, 1, 10000, testimage.Uncompressed())
	testimage.Push(t, img, reg.Ref("blob/path:1"), nil)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := layers[0].Digest()
	size, _ := layers[0].Size()
	fi, err := os.Stat(reg.BlobPath(d.String()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != size {
		t.Fatalf("blob file has %d bytes, want %d", fi.Size(), size)
	}
	if p := testregistry.StartInProcess(t).BlobPath(d.String()); p != "" {
		t.Fatalf("in-process BlobPath = %q, want empty", p)
	}
}

func TestHtpasswd(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t, testregistry.WithHtpasswd("alice", "s3cret"))
	code, challenge, err := get(t, reg.URL+"/v2/")
	if err != nil || code != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Basic realm=") {
		t.Fatalf("anonymous GET /v2/: %d %q %v", code, challenge, err)
	}
	img := testimage.Random(t, 1, 1024)
	if _, err := testimage.Write(t.Context(), img, reg.Ref("private/app:1"), nil); err == nil {
		t.Fatal("anonymous push succeeded on a protected registry")
	}
	if _, err := testimage.Write(t.Context(), img, reg.Ref("private/app:1"),
		&authn.Basic{Username: "alice", Password: "wrong"}); err == nil {
		t.Fatal("push with a wrong password succeeded")
	}
	want := testimage.Push(t, img, reg.Ref("private/app:1"), reg.Authenticator()).String()
	if got := headDigest(t, reg.Ref("private/app:1"), reg.Authenticator()); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	bundle := filepath.Join(t.TempDir(), "root.pem")
	writeSelfSignedCert(t, bundle)
	reg := testregistry.Start(t, testregistry.WithToken("http://127.0.0.1:1/token", "test-registry", "test-issuer", bundle))
	code, challenge, err := get(t, reg.URL+"/v2/")
	if err != nil || code != http.StatusUnauthorized {
		t.Fatalf("GET /v2/: %d %v", code, err)
	}
	for _, want := range []string{"Bearer ", `realm="http://127.0.0.1:1/token"`, `service="test-registry"`} {
		if !strings.Contains(challenge, want) {
			t.Errorf("challenge %q lacks %q", challenge, want)
		}
	}
}

func TestWithAddr(t *testing.T) {
	t.Parallel()
	for _, s := range starters {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			reg := s.start(t, testregistry.WithAddr("127.0.0.2:0"))
			if !strings.HasPrefix(reg.Host, "127.0.0.2:") {
				t.Fatalf("Host = %s", reg.Host)
			}
			if code, _, err := get(t, reg.URL+"/v2/"); err != nil || code != http.StatusOK {
				t.Fatalf("GET /v2/: %d %v", code, err)
			}
		})
	}
}

func TestDeleteEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []testregistry.Option
		want int
	}{
		{"default refuses", nil, http.StatusMethodNotAllowed},
		{"enabled", []testregistry.Option{testregistry.WithDeleteEnabled()}, http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.Start(t, tc.opts...)
			d := testimage.Push(t, testimage.Random(t, 1, 100), reg.Ref("del/app:1"), nil)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete,
				fmt.Sprintf("%s/v2/del/app/manifests/%s", reg.URL, d), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("DELETE manifest: %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	reg := testregistry.StartInProcess(t, testregistry.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.Path)
			mu.Unlock()
			if strings.Contains(r.URL.Path, "/broken/") {
				http.Error(w, "injected", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	if code, _, err := get(t, reg.URL+"/v2/broken/manifests/x"); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("GET broken: %d %v", code, err)
	}
	if code, _, err := get(t, reg.URL+"/v2/"); err != nil || code != http.StatusOK {
		t.Fatalf("GET /v2/: %d %v", code, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 2 {
		t.Fatalf("middleware saw %v", paths)
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of acting.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder in its own goroutine (Goexit ends only that).
func run(t *testing.T, f func(testing.TB)) *recorder {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	return rec
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("PULLWARDEN_DOCKER_REGISTRY", "/nonexistent/docker-registry")
	t.Setenv(testregistry.EnvRequireReal, "")
	rec := run(t, func(tb testing.TB) { testregistry.Start(tb) })
	if !strings.Contains(rec.skipped, "apt-get install -y docker-registry") || rec.fatal != "" {
		t.Fatalf("without %s: skipped %q fatal %q", testregistry.EnvRequireReal, rec.skipped, rec.fatal)
	}
	t.Setenv(testregistry.EnvRequireReal, "1")
	rec = run(t, func(tb testing.TB) { testregistry.Start(tb) })
	if rec.fatal == "" || rec.skipped != "" {
		t.Fatalf("with %s=1: skipped %q fatal %q", testregistry.EnvRequireReal, rec.skipped, rec.fatal)
	}
}

func TestRejectsNonLoopback(t *testing.T) {
	t.Parallel()
	for _, s := range starters {
		rec := run(t, func(tb testing.TB) { s.start(tb, testregistry.WithAddr("0.0.0.0:0")) })
		if !strings.Contains(rec.fatal, "loopback") {
			t.Errorf("%s: fatal %q, want a loopback complaint", s.name, rec.fatal)
		}
	}
}

func writeSelfSignedCert(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test-issuer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
