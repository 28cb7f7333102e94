package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"path/filepath"

	"github.com/pullwarden/pullwarden/apiserver"
)

// ListenTCPAuto and ListenTCPNone are the special values of
// Config.ListenTCP.
const (
	// ListenTCPAuto listens on 127.0.0.1, on the port the kubeconfig of an
	// earlier run named when it is free, else on a random free port.
	ListenTCPAuto = "auto"
	// ListenTCPNone turns the TCP listener off.
	ListenTCPNone = "none"
)

// KubeconfigPath is the kubeconfig the agent writes for its TCP listener.
func KubeconfigPath(dataDir string) string { return filepath.Join(dataDir, apiserver.KubeconfigName) }

// PKIDir holds the CA, serving certificate and admin credential of the TCP
// listener.
func PKIDir(dataDir string) string { return filepath.Join(dataDir, "pki") }

// tlsListener is the API's TCP listener with its credentials.
type tlsListener struct {
	l   net.Listener
	pki *apiserver.PKI
	url string
}

// listenTLS opens the TCP listener cfg.ListenTCP asks for, ensures the PKI
// under DataDir/pki and writes DataDir/kubeconfig (mode 0600) for it.
func (a *Agent) listenTLS() error {
	addr := a.cfg.ListenTCP
	if addr == ListenTCPNone {
		return nil
	}
	kubeconfig := KubeconfigPath(a.cfg.DataDir)
	var l net.Listener
	var err error
	if addr == ListenTCPAuto {
		if port := apiserver.KubeconfigPort(kubeconfig); port != "" {
			l, _ = apiserver.Listen(net.JoinHostPort("127.0.0.1", port))
		}
		addr = "127.0.0.1:0"
	}
	if l == nil {
		if l, err = apiserver.Listen(addr); err != nil {
			return fmt.Errorf("API TCP listener (--listen-tcp): %w", err)
		}
	}
	pki, err := apiserver.EnsurePKI(PKIDir(a.cfg.DataDir), a.cfg.Clock.Now())
	if err != nil {
		l.Close()
		return err
	}
	url := "https://" + l.Addr().String()
	if err := pki.WriteKubeconfig(kubeconfig, url); err != nil {
		l.Close()
		return fmt.Errorf("writing %s: %w", kubeconfig, err)
	}
	a.tls = &tlsListener{l: tls.NewListener(l, pki.ServerTLS()), pki: pki, url: url}
	a.closers = append(a.closers, func() error { return l.Close() })
	return nil
}

// serveTLS serves h on the TCP listener, for requests with the admin
// credential only, until ctx ends (at once without a listener).
func (a *Agent) serveTLS(ctx context.Context, h http.Handler) error {
	if a.tls == nil {
		<-ctx.Done()
		return nil
	}
	return apiserver.Serve(ctx, a.tls.l, apiserver.RequireCredential(a.tls.pki, h))
}

// URL is the https:// address of the API's TCP listener ("" when off);
// DataDir/kubeconfig points at it.
func (a *Agent) URL() string {
	if a.tls == nil {
		return ""
	}
	return a.tls.url
}

// Kubeconfig is the path of the kubeconfig for the TCP listener ("" when
// off).
func (a *Agent) Kubeconfig() string {
	if a.tls == nil {
		return ""
	}
	return KubeconfigPath(a.cfg.DataDir)
}
