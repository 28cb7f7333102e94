package hosts

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/pullwarden/pullwarden/registry"
)

// TLSConfig builds the TLS configuration the entry asks for, as
// containerd's ConfigureHosts does: skip_verify sets InsecureSkipVerify;
// ca files are added to the system pool; client pairs become client
// certificates (the key read from the certificate file when the pair
// names none). It returns nil when the entry sets none of them: the
// default, verified TLS. Errors name the file.
func (e Endpoint) TLSConfig() (*tls.Config, error) {
	if !e.explicitTLS() {
		return nil, nil
	}
	cfg := &tls.Config{}
	if e.SkipVerify != nil {
		cfg.InsecureSkipVerify = *e.SkipVerify
	}
	if e.CA != nil {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("system certificate pool: %w", err)
		}
		for _, f := range e.CA {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("ca of %s: %w", e, err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca of %s: %s holds no PEM certificate", e, f)
			}
		}
		cfg.RootCAs = pool
	}
	for _, p := range e.Client {
		certPEM, err := os.ReadFile(p[0])
		if err != nil {
			return nil, fmt.Errorf("client certificate of %s: %w", e, err)
		}
		keyPEM := certPEM
		if p[1] != "" {
			if keyPEM, err = os.ReadFile(p[1]); err != nil {
				return nil, fmt.Errorf("client key of %s: %w", e, err)
			}
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate of %s (%s): %w", e, p[0], err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	return cfg, nil
}

// Registry returns what the registry client needs to reach the endpoint
// (its host, scheme, API root, TLS settings, dial timeout and headers),
// for registry.WithEndpoint. One deliberate difference: containerd skips
// TLS verification of a loopback registry that no file configures (on a
// port other than 80); pullwarden verifies it unless a file says
// skip_verify.
func (e Endpoint) Registry() (registry.Endpoint, error) {
	r := registry.Endpoint{Host: e.Host, Scheme: e.Scheme, HTTPFallback: e.HTTPFallback, Root: e.Path,
		DialTimeout: e.DialTimeout, Header: e.Header}
	if r.Root == "" {
		r.Root = "/"
	}
	if e.DefaultSkipVerify {
		e.SkipVerify = nil
	}
	cfg, err := e.TLSConfig()
	if err != nil {
		return registry.Endpoint{}, err
	}
	r.TLS = cfg
	return r, nil
}
