package apiserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/objects"
)

// serveTLS runs the API on a loopback TCP listener with TLS and the
// credential check, as the agent does, and returns the kubeconfig written
// for it, the PKI and the server URL.
func serveTLS(t *testing.T, opts ...Option) (kubeconfig string, pki *PKI, url string, store *objects.Store) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir)
	pki, err := EnsurePKI(filepath.Join(dir, "pki"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url = "https://" + l.Addr().String()
	kubeconfig = filepath.Join(dir, KubeconfigName)
	if err := pki.WriteKubeconfig(kubeconfig, url); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]Option{WithLogs(textLogs{"default/web/app": "hello\nworld\n"})}, opts...)
	go func() {
		done <- Serve(ctx, tls.NewListener(l, pki.ServerTLS()), RequireCredential(pki, New(s, opts...)))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return kubeconfig, pki, url, s
}

// httpsClient trusts pki's CA and presents cert when given.
func httpsClient(pki *PKI, cert *tls.Certificate) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki.CAPEM)
	cfg := &tls.Config{RootCAs: pool}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

func TestTLSListenerRequiresCredential(t *testing.T) {
	t.Parallel()
	kubeconfig, pki, url, _ := serveTLS(t)
	if fi, err := os.Stat(kubeconfig); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig mode: %v %v", fi, err)
	}
	other, err := EnsurePKI(filepath.Join(t.TempDir(), "other"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	otherCert, err := tls.X509KeyPair(other.ClientCertPEM, other.ClientKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ownCert, err := tls.X509KeyPair(pki.ClientCertPEM, pki.ClientKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cert   *tls.Certificate
		bearer string
		code   int
	}{
		{"no credential", nil, "", 401},
		{"wrong token", nil, "x" + pki.Token[1:], 401},
		{"certificate of another CA", &otherCert, "", 401},
		{"token of another agent", nil, other.Token, 401},
		{"token", nil, pki.Token, 200},
		{"client certificate", &ownCert, "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/api/v1/namespaces/default/pods", nil)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := httpsClient(pki, tc.cert).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.code == 401 {
				var st metav1.Status
				if err := json.Unmarshal(body, &st); err != nil || st.Reason != metav1.StatusReasonUnauthorized || st.Message != "Unauthorized" || st.Kind != "Status" {
					t.Errorf("401 body: %s", body)
				}
			}
		})
	}
	// TLS is verified: a client that does not trust the agent's CA fails.
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("a client without the agent's CA connected")
	}
	// The kubeconfig is enough for client-go.
	c, err := NewClientFromKubeconfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Pods("default").Create(t.Context(), webPod("nginx"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create over the kubeconfig: %v", err)
	}
}

func TestEnsurePKIKeepsAndRenews(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	first, err := EnsurePKI(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsurePKI(dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(again.CAPEM) != string(first.CAPEM) || string(again.ClientCertPEM) != string(first.ClientCertPEM) || again.Token != first.Token {
		t.Error("a second start changed the credentials: an existing kubeconfig would stop working")
	}
	for _, f := range []string{caKeyFile, servingKeyFile, clientKeyFile, tokenFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	// Near the end of the client certificate's validity it is renewed under
	// the same CA.
	later, err := EnsurePKI(dir, now.Add(leafValidity-renewBefore/2))
	if err != nil {
		t.Fatal(err)
	}
	if string(later.CAPEM) != string(first.CAPEM) || string(later.ClientCertPEM) == string(first.ClientCertPEM) {
		t.Error("client certificate not renewed under the same CA")
	}
	// A broken CA is replaced, with everything it signed.
	if err := os.WriteFile(filepath.Join(dir, caCertFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh, err := EnsurePKI(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(fresh.CAPEM) == string(first.CAPEM) || string(fresh.ClientCertPEM) == string(later.ClientCertPEM) {
		t.Error("broken CA not regenerated")
	}
}
