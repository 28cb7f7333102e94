package apiserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SocketName is the API socket's file name inside the agent's data dir.
const SocketName = "pullwarden.sock"

// DefaultSocket is the default API socket path for a data dir.
func DefaultSocket(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// Listen opens the API listener. addr is a unix socket path (or
// unix://PATH), or a TCP address on the loopback interface
// (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, optionally tcp://). A stale
// socket file is replaced; the socket is made mode 0600.
func Listen(addr string) (net.Listener, error) {
	if p, ok := unixPath(addr); ok {
		if fi, err := os.Lstat(p); err == nil {
			if fi.Mode()&fs.ModeSocket == 0 {
				return nil, fmt.Errorf("listen on %s: exists and is not a socket", p)
			}
			if c, err := net.Dial("unix", p); err == nil {
				c.Close()
				return nil, fmt.Errorf("listen on %s: another server is listening there", p)
			}
			_ = os.Remove(p)
		}
		l, err := net.Listen("unix", p)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(p, 0o600); err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	}
	hostport := strings.TrimPrefix(addr, "tcp://")
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("listen on %q: the API is served only on a unix socket or a loopback address", addr)
		}
	}
	return net.Listen("tcp", hostport)
}

// unixPath tells whether addr names a unix socket.
func unixPath(addr string) (string, bool) {
	if p, ok := strings.CutPrefix(addr, "unix://"); ok {
		return p, true
	}
	if strings.Contains(addr, "://") {
		return "", false
	}
	return addr, strings.Contains(addr, "/")
}

// Serve serves h on l until ctx ends, then shuts down; open watches and log
// streams end with ctx. It returns nil after a shutdown caused by ctx.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
