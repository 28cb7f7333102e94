package apiserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The PKI's files inside its directory (all mode 0600, the directory 0700).
const (
	caCertFile      = "ca.crt"
	caKeyFile       = "ca.key"
	servingCertFile = "apiserver.crt"
	servingKeyFile  = "apiserver.key"
	clientCertFile  = "admin.crt"
	clientKeyFile   = "admin.key"
	tokenFile       = "token"
)

// Validity of what EnsurePKI generates. A serving or client certificate
// that expires within renewBefore is generated again (with the CA kept).
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
)

// ClientUser is the user name (certificate CN) of the admin credential.
const ClientUser = "pullwarden-admin"

// PKI is the TLS material of the API's TCP listener: a private CA, a
// serving certificate for 127.0.0.1, ::1 and localhost signed by it, and
// the admin credential (a client certificate signed by the CA, and a
// bearer token) that RequireCredential accepts.
type PKI struct {
	// Dir is the directory the files live in.
	Dir string
	// CAPEM is the CA certificate (PEM), for a client's trust.
	CAPEM []byte
	// ClientCertPEM and ClientKeyPEM are the admin client certificate and
	// its key (PEM).
	ClientCertPEM, ClientKeyPEM []byte
	// Token is the admin bearer token.
	Token string

	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	serving tls.Certificate
}

// EnsurePKI loads the PKI from dir, generating what is missing, unreadable
// or about to expire: a missing or broken CA regenerates everything (a
// kubeconfig written earlier then stops working and must be re-read).
func EnsurePKI(dir string, now time.Time) (*PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &PKI{Dir: dir}
	if err := p.loadCA(now); err != nil {
		if err := p.newCA(now); err != nil {
			return nil, fmt.Errorf("generating the API's CA in %s: %w", dir, err)
		}
	}
	serving, err := p.leaf(servingCertFile, servingKeyFile, now, func(t *x509.Certificate) {
		t.Subject = pkix.Name{CommonName: "pullwarden-apiserver"}
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		t.DNSNames = []string{"localhost"}
		t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	})
	if err != nil {
		return nil, err
	}
	if p.serving, err = tls.X509KeyPair(serving.cert, serving.key); err != nil {
		return nil, err
	}
	client, err := p.leaf(clientCertFile, clientKeyFile, now, func(t *x509.Certificate) {
		t.Subject = pkix.Name{CommonName: ClientUser, Organization: []string{"system:masters"}}
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	if err != nil {
		return nil, err
	}
	p.ClientCertPEM, p.ClientKeyPEM = client.cert, client.key
	if p.Token, err = p.ensureToken(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PKI) path(name string) string { return filepath.Join(p.Dir, name) }

// loadCA reads the CA; an error means it must be generated again.
func (p *PKI) loadCA(now time.Time) error {
	pair, err := readPair(p.path(caCertFile), p.path(caKeyFile))
	if err != nil {
		return err
	}
	if !pair.x509.IsCA || now.After(pair.x509.NotAfter.Add(-renewBefore)) {
		return errors.New("CA unusable or expiring")
	}
	p.ca, p.caKey, p.CAPEM = pair.x509, pair.priv, pair.cert
	return nil
}

func (p *PKI) newCA(now time.Time) error {
	// A new CA invalidates every certificate it signed before.
	for _, f := range []string{servingCertFile, servingKeyFile, clientCertFile, clientKeyFile} {
		_ = os.Remove(p.path(f))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "pullwarden-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	pair, err := sign(tmpl, key, nil, nil)
	if err != nil {
		return err
	}
	if err := pair.write(p.path(caCertFile), p.path(caKeyFile)); err != nil {
		return err
	}
	p.ca, p.caKey, p.CAPEM = pair.x509, key, pair.cert
	return nil
}

// leaf loads a certificate signed by the CA, or signs a new one shaped by
// fill.
func (p *PKI) leaf(certFile, keyFile string, now time.Time, fill func(*x509.Certificate)) (*keyPair, error) {
	if pair, err := readPair(p.path(certFile), p.path(keyFile)); err == nil &&
		pair.x509.CheckSignatureFrom(p.ca) == nil && now.Before(pair.x509.NotAfter.Add(-renewBefore)) {
		return pair, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(leafValidity),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	fill(tmpl)
	pair, err := sign(tmpl, key, p.ca, p.caKey)
	if err != nil {
		return nil, err
	}
	return pair, pair.write(p.path(certFile), p.path(keyFile))
}

// ensureToken reads the bearer token, or writes a new random one.
func (p *PKI) ensureToken() (string, error) {
	if b, err := os.ReadFile(p.path(tokenFile)); err == nil {
		if t := strings.TrimSpace(string(b)); len(t) >= 32 {
			return t, nil
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	t := hex.EncodeToString(buf)
	return t, writeFileAtomic(p.path(tokenFile), []byte(t+"\n"))
}

// ServerTLS is the listener's TLS configuration. Client certificates are
// requested but checked by RequireCredential, so that a request without a
// valid one gets the API server's 401 instead of a failed handshake.
func (p *PKI) ServerTLS() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{p.serving},
		ClientAuth:   tls.RequestClientCert,
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// authenticated tells whether r carries the admin credential: a client
// certificate chaining to the CA, or the bearer token.
func (p *PKI) authenticated(r *http.Request) bool {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		pool := x509.NewCertPool()
		pool.AddCert(p.ca)
		inter := x509.NewCertPool()
		for _, c := range r.TLS.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := r.TLS.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err == nil {
			return true
		}
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(p.Token)) == 1
}

// keyPair is a certificate with its key, parsed and as PEM.
type keyPair struct {
	x509      *x509.Certificate
	priv      *ecdsa.PrivateKey
	cert, key []byte
}

func sign(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*keyPair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &keyPair{x509: cert, priv: key,
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})}, nil
}

func (k *keyPair) write(certPath, keyPath string) error {
	if err := writeFileAtomic(keyPath, k.key); err != nil {
		return err
	}
	return writeFileAtomic(certPath, k.cert)
}

func readPair(certPath, keyPath string) (*keyPair, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("key does not match certificate")
	}
	return &keyPair{x509: cert, priv: key, cert: certPEM, key: keyPEM}, nil
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file, so a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
