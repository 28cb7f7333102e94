package hosts_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	ctrconfig "github.com/containerd/containerd/v2/core/remotes/docker/config"

	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/internal/testpki"
)

// applied is what an endpoint's settings turn into for the requests: the
// TLS configuration and whether plain HTTP is the fallback.
type applied struct {
	URL      string
	Skip     bool
	Certs    [][]byte // leaf certificates of the client pairs
	Fallback bool
	Header   http.Header
	tls      *tls.Config
}

func appliedOf(t *testing.T, cfg *tls.Config, url string, fallback bool, h http.Header) applied {
	t.Helper()
	a := applied{URL: url, Fallback: fallback, Header: norm(h), tls: cfg}
	if cfg != nil {
		a.Skip = cfg.InsecureSkipVerify
		for _, c := range cfg.Certificates {
			a.Certs = append(a.Certs, c.Certificate[0])
		}
	}
	return a
}

func oursApplied(t *testing.T, root, host string) []applied {
	t.Helper()
	eps, err := hosts.Endpoints(root, host)
	if err != nil {
		t.Fatal(err)
	}
	var out []applied
	for _, e := range eps {
		cfg, err := e.TLSConfig()
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		out = append(out, appliedOf(t, cfg, e.String(), e.HTTPFallback, e.Header))
	}
	return out
}

// theirsApplied reads the TLS configuration off the clients containerd's
// ConfigureHosts builds (through its HTTP fallback wrapper when there is
// one).
func theirsApplied(t *testing.T, root, host string) []applied {
	t.Helper()
	rh, err := ctrconfig.ConfigureHosts(t.Context(), ctrconfig.HostOptions{HostDir: ctrconfig.HostDirFromRoot(root)})(host)
	if err != nil {
		t.Fatal(err)
	}
	var out []applied
	for _, h := range rh {
		rt, fallback := h.Client.Transport, false
		if _, ok := rt.(*http.Transport); !ok {
			v := reflect.ValueOf(rt).Elem().FieldByName("super")
			rt = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().Interface().(http.RoundTripper)
			fallback = true
		}
		cfg := rt.(*http.Transport).TLSClientConfig
		if cfg != nil && !cfg.InsecureSkipVerify && cfg.RootCAs == nil && len(cfg.Certificates) == 0 {
			cfg = nil // containerd's default: an empty configuration
		}
		out = append(out, appliedOf(t, cfg, h.Scheme+"://"+h.Host+h.Path, fallback, h.Header))
	}
	return out
}

// The TLS settings (ca added to the system pool, client pairs, one file
// holding both, skip_verify), the http-with-TLS fallback and headers are
// what containerd applies, on hosts.toml files and on Docker's certs.d
// layout.
func TestAppliedSettingsMatchContainerd(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	pki := t.TempDir()
	caA, caB := testpki.NewCA(t, pki, "a"), testpki.NewCA(t, pki, "b")
	c1, c2 := caA.Client(t, "c1"), caB.Client(t, "c2")
	both := filepath.Join(pki, "both.pem")
	cert, _ := os.ReadFile(c2.CertFile)
	key, _ := os.ReadFile(c2.KeyFile)
	if err := os.WriteFile(both, append(cert, key...), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "tls.example")
	os.MkdirAll(dir, 0o755)
	rel, _ := filepath.Rel(dir, caA.File)
	toml := fmt.Sprintf(`server = "https://tls.example"
ca = %q

[host."https://m1.example"]
  ca = [%q, %q]
  client = [[%q, %q]]
  skip_verify = true

[host."http://m2.example:5000"]
  client = %q

[host."https://m3.example/root"]
  override_path = true
  [host."https://m3.example/root".header]
    authorization-hint = "mirror-only"
`, rel, caA.File, caB.File, c1.CertFile, c1.KeyFile, both)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	certsD := filepath.Join(root, "certsd.example_5000_")
	os.MkdirAll(certsD, 0o755)
	b, _ := os.ReadFile(caB.File)
	os.WriteFile(filepath.Join(certsD, "ca.crt"), b, 0o644)
	b, _ = os.ReadFile(c1.CertFile)
	os.WriteFile(filepath.Join(certsD, "client.cert"), b, 0o644)
	b, _ = os.ReadFile(c1.KeyFile)
	os.WriteFile(filepath.Join(certsD, "client.key"), b, 0o644)

	for _, host := range []string{"tls.example", "certsd.example:5000", "localhost:5000", "127.0.0.1:80"} {
		got, want := oursApplied(t, root, host), theirsApplied(t, root, host)
		if len(got) != len(want) {
			t.Fatalf("%s: %d endpoints, containerd %d", host, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if (g.tls == nil) != (w.tls == nil) {
				t.Errorf("%s %s: TLS configured %v, containerd %v", host, g.URL, g.tls != nil, w.tls != nil)
				continue
			}
			if g.tls != nil && ((g.tls.RootCAs == nil) != (w.tls.RootCAs == nil) ||
				(g.tls.RootCAs != nil && !g.tls.RootCAs.Equal(w.tls.RootCAs))) {
				t.Errorf("%s %s: CA pool differs from containerd's", host, g.URL)
			}
			g.tls, w.tls = nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s:\n got  %+v\n want %+v (containerd)", host, g, w)
			}
		}
	}
	// The mirror's CA pool trusts its two CAs, the server's only the first.
	eps, _ := hosts.Endpoints(root, "tls.example")
	m1, _ := eps[0].TLSConfig()
	srv, _ := eps[3].TLSConfig()
	if !verifies(m1, caA, t) || !verifies(m1, caB, t) || !verifies(srv, caA, t) || verifies(srv, caB, t) {
		t.Error("CA pools do not hold what the file names")
	}
}

func verifies(cfg *tls.Config, ca *testpki.CA, t *testing.T) bool {
	leaf := ca.Server(t, "leaf-"+strings.ReplaceAll(ca.Cert.Subject.CommonName, " ", ""))
	_, err := leaf.TLS.Leaf.Verify(x509VerifyOptions(cfg))
	return err == nil
}

// Registry drops only containerd's loopback default skip_verify: a file's
// skip_verify and the TLS files are kept.
func TestRegistryKeepsTLSVerifiedByDefault(t *testing.T) {
	t.Parallel()
	eps, err := hosts.Endpoints(t.TempDir(), "localhost:5000")
	if err != nil || len(eps) != 1 || eps[0].SkipVerify == nil || !*eps[0].SkipVerify {
		t.Fatalf("containerd's default for localhost:5000: %+v %v", eps, err)
	}
	r, err := eps[0].Registry()
	if err != nil || r.TLS != nil || r.Scheme != "https" || !r.HTTPFallback {
		t.Fatalf("default loopback registry: %+v %v, want verified https falling back to http", r, err)
	}
	skip := true
	r, err = hosts.Endpoint{Scheme: "https", Host: "m.example", Path: "/v2", SkipVerify: &skip}.Registry()
	if err != nil || r.TLS == nil || !r.TLS.InsecureSkipVerify {
		t.Fatalf("a file's skip_verify: %+v %v", r, err)
	}
	_, err = hosts.Endpoint{Scheme: "https", Host: "m.example", CA: []string{"/nonexistent/ca.pem"}}.Registry()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Fatalf("missing ca file: %v, want an error naming it", err)
	}
}

func x509VerifyOptions(cfg *tls.Config) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: cfg.RootCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
}
