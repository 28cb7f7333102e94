package tokenserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Grant allows a user actions on repositories.
type Grant struct {
	// User is a user name, "*" for every authenticated user, or "" for
	// anonymous requests.
	User string
	// Repository is a path.Match pattern; "*" alone matches every
	// repository.
	Repository string
	// Actions are "pull", "push", "delete" or "*".
	Actions []string
}

// Server is a running token server.
type Server struct {
	// URL is the token endpoint (the realm): http://localhost:PORT/token.
	URL string
	// CertFile is the PEM certificate of the signing key: the registry's
	// rootcertbundle.
	CertFile string
	// Issuer and Service are what the registry config must name.
	Issuer, Service string
	// Expiry is the lifetime of issued tokens (default 5 minutes).
	Expiry time.Duration

	issued atomic.Int64
	mu     sync.Mutex
	byUser map[string]int64
	failed atomic.Int64
	users  map[string]string
	grants []Grant
	key    *ecdsa.PrivateKey
	cert   []byte // DER
	now    func() time.Time
	logf   func(format string, args ...any)
}

// Issued is the number of tokens handed out so far.
func (s *Server) Issued() int64 { return s.issued.Load() }

// IssuedTo is the number of tokens handed out to user ("" for anonymous).
// Count a client's tokens with it rather than with Issued: a request that
// an earlier client canceled (an errgroup of uploads that failed) may still
// be served, and counted, after that client returned.
func (s *Server) IssuedTo(user string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUser[user]
}

// Rejected is the number of requests refused for bad credentials.
func (s *Server) Rejected() int64 { return s.failed.Load() }

// Start runs a token server on loopback for the length of the test.
func Start(t testing.TB, users map[string]string, grants ...Grant) *Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pullwarden test token signer"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "token-signer.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{
		CertFile: certFile,
		Issuer:   "pullwarden-test-issuer",
		Service:  "pullwarden-test-registry",
		Expiry:   5 * time.Minute,
		users:    users,
		grants:   grants,
		key:      key,
		cert:     der,
		now:      time.Now,
		logf:     t.Logf,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", s.serveToken)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	// go-containerregistry refuses realms on private or loopback IP
	// literals unless they are the registry's own host:port; a host name
	// is allowed.
	s.URL = strings.Replace(hs.URL, "127.0.0.1", "localhost", 1) + "/token"
	return s
}

// RegistryAuthConfig is the `auth:` section of a docker-registry config
// that trusts this server.
func (s *Server) RegistryAuthConfig() string {
	return "auth:\n  token:\n    realm: " + s.URL + "\n    service: " + s.Service +
		"\n    issuer: " + s.Issuer + "\n    rootcertbundle: " + s.CertFile + "\n"
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	user := ""
	if u, p, ok := r.BasicAuth(); ok {
		want, known := s.users[u]
		if !known || want != p {
			s.failed.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="pullwarden-test"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]string{{"code": "UNAUTHORIZED", "message": "authentication required"}}})
			return
		}
		user = u
	}
	q := r.URL.Query()
	if svc := q.Get("service"); svc != "" && svc != s.Service {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"code": "DENIED", "message": "unknown service"}}})
		return
	}
	granted := []access{}
	for _, scope := range q["scope"] {
		if a, ok := s.grant(user, scope); ok {
			granted = append(granted, a)
		}
	}
	now := s.now()
	token, err := s.sign(user, granted, now)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	s.issued.Add(1)
	s.mu.Lock()
	if s.byUser == nil {
		s.byUser = map[string]int64{}
	}
	s.byUser[user]++
	s.mu.Unlock()
	s.logf("tokenserver: token %d for user %q, scopes %q", s.issued.Load(), user, q["scope"])
	writeJSON(w, http.StatusOK, map[string]any{
		"token":        token,
		"access_token": token,
		"expires_in":   int(s.Expiry / time.Second),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}

// grant intersects one requested scope (type:name:actions) with the grants.
func (s *Server) grant(user, scope string) (access, bool) {
	// The name may contain a port-free path with ':'? Repository names do
	// not, so split at the first and last colon.
	first := strings.Index(scope, ":")
	last := strings.LastIndex(scope, ":")
	if first < 0 || first == last {
		return access{}, false
	}
	a := access{Type: scope[:first], Name: scope[first+1 : last]}
	if a.Type != "repository" {
		return access{}, false
	}
	for _, want := range strings.Split(scope[last+1:], ",") {
		if s.allowed(user, a.Name, want) {
			a.Actions = append(a.Actions, want)
		}
	}
	return a, len(a.Actions) > 0
}

func (s *Server) allowed(user, repo, action string) bool {
	for _, g := range s.grants {
		switch {
		case g.User == user:
		case g.User == "*" && user != "":
		default:
			continue
		}
		if g.Repository != "*" {
			if ok, _ := path.Match(g.Repository, repo); !ok {
				continue
			}
		}
		for _, a := range g.Actions {
			if a == action || a == "*" {
				return true
			}
		}
	}
	return false
}

// sign makes an ES256 JWT whose header carries the certificate (x5c), as
// distribution's token verifier accepts.
func (s *Server) sign(user string, granted []access, now time.Time) (string, error) {
	header, err := json.Marshal(map[string]any{
		"typ": "JWT",
		"alg": "ES256",
		"x5c": []string{base64.StdEncoding.EncodeToString(s.cert)},
	})
	if err != nil {
		return "", err
	}
	var jti [12]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss":    s.Issuer,
		"sub":    user,
		"aud":    s.Service,
		"exp":    now.Add(s.Expiry).Unix(),
		"nbf":    now.Add(-time.Minute).Unix(),
		"iat":    now.Unix(),
		"jti":    base64.RawURLEncoding.EncodeToString(jti[:]),
		"access": granted,
	})
	if err != nil {
		return "", err
	}
	signing := b64url(header) + "." + b64url(claims)
	digest := sha256.Sum256([]byte(signing))
	r, sig, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", err
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sig.FillBytes(raw[32:])
	return signing + "." + b64url(raw), nil
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
