package testregistry

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Binary is the docker-registry executable Start runs. Overridable through
// the environment variable PULLWARDEN_DOCKER_REGISTRY.
const Binary = "/usr/bin/docker-registry"

// startAttempts bounds the retries when the free port picked was taken by
// someone else between picking and binding.
const startAttempts = 3

// Start runs Debian's docker-registry on loopback with storage under
// t.TempDir() and stops it in t.Cleanup. Applicable options: WithAddr,
// WithHtpasswd, WithToken, WithDeleteEnabled.
func Start(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	c := newConfig(opts)
	bin := os.Getenv("PULLWARDEN_DOCKER_REGISTRY")
	if bin == "" {
		bin = Binary
	}
	if _, err := os.Stat(bin); err != nil {
		missing(t, "docker-registry not found at %s (apt-get install -y docker-registry)", bin)
		return nil
	}
	if c.htUser != "" && c.token != nil {
		t.Fatalf("testregistry: WithHtpasswd and WithToken exclude each other")
	}
	dir := t.TempDir()
	r := &Registry{
		t:          t,
		Dir:        dir,
		StorageDir: filepath.Join(dir, "storage"),
		LogPath:    filepath.Join(dir, "registry.log"),
		Username:   c.htUser,
		Password:   c.htPassword,
	}
	htpasswdPath := ""
	if c.htUser != "" {
		htpasswdPath = filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(t, htpasswdPath, c.htUser, c.htPassword); err != nil {
			t.Fatalf("testregistry: %v", err)
		}
	}
	host, port, err := splitLoopback(c.addr)
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	b := &external{bin: bin, configPath: filepath.Join(dir, "config.yml"), logPath: r.LogPath}
	r.backend = b
	t.Cleanup(func() {
		r.mu.Lock()
		if b.running() {
			_ = b.stop()
		}
		r.mu.Unlock()
		if t.Failed() {
			t.Logf("testregistry: docker-registry log (%s), last lines:\n%s", r.LogPath, Tail(r.LogPath, 60))
		}
	})
	for attempt := 1; ; attempt++ {
		p := port
		if p == 0 {
			if p, err = freePort(host); err != nil {
				t.Fatalf("testregistry: %v", err)
			}
		}
		b.addr = net.JoinHostPort(host, strconv.Itoa(p))
		cfg := renderConfig(c, b.addr, r.StorageDir, htpasswdPath)
		if err := os.WriteFile(b.configPath, []byte(cfg), 0o600); err != nil {
			t.Fatalf("testregistry: %v", err)
		}
		err = b.start()
		if err == nil {
			break
		}
		// Only a race on a port we picked ourselves is worth another try.
		if port != 0 || attempt == startAttempts || !errors.Is(err, errAddrInUse) {
			t.Fatalf("testregistry: start docker-registry on %s: %v\nlog:\n%s", b.addr, err, Tail(r.LogPath, 40))
		}
	}
	r.Host = b.addr
	r.URL = "http://" + b.addr
	return r
}

// splitLoopback checks that addr is a loopback host:port.
func splitLoopback(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("address %q: host must be a loopback IP", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: bad port", addr)
	}
	return host, port, nil
}

// freePort asks the kernel for a port that is free on host right now.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("pick a free port on %s: %w", host, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeHtpasswd writes a bcrypt entry made by htpasswd -Bbn.
func writeHtpasswd(t testing.TB, path, user, password string) error {
	t.Helper()
	bin, err := exec.LookPath("htpasswd")
	if err != nil {
		missing(t, "htpasswd not found (apt-get install -y apache2-utils)")
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-Bbn", user, password)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// The password is an argument; do not repeat the command line.
		return fmt.Errorf("htpasswd -Bbn %s: %v: %s", user, err, strings.TrimSpace(stderr.String()))
	}
	return os.WriteFile(path, out, 0o600)
}

// renderConfig writes distribution's YAML config. Strings are quoted with
// strconv.Quote, which YAML accepts for double-quoted scalars.
func renderConfig(c *config, addr, storage, htpasswdPath string) string {
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("version: 0.1\n")
	b.WriteString("log:\n  level: info\n  formatter: text\n")
	b.WriteString("storage:\n")
	fmt.Fprintf(&b, "  filesystem:\n    rootdirectory: %s\n", q(storage))
	fmt.Fprintf(&b, "  delete:\n    enabled: %t\n", c.deleteEnabled)
	b.WriteString("  maintenance:\n    uploadpurging:\n      enabled: false\n")
	fmt.Fprintf(&b, "http:\n  addr: %s\n  secret: %s\n", q(addr), q("pullwarden-test-secret"))
	b.WriteString("  headers:\n    X-Content-Type-Options: [nosniff]\n")
	switch {
	case htpasswdPath != "":
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: %s\n    path: %s\n", q("pullwarden-test"), q(htpasswdPath))
	case c.token != nil:
		fmt.Fprintf(&b, "auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			q(c.token.realm), q(c.token.service), q(c.token.issuer), q(c.token.rootCertBundle))
	}
	for _, y := range c.extraYAML {
		b.WriteString(y)
	}
	return b.String()
}

// Tail returns the last n lines of a file (a daemon's log), or a note why
// it cannot; for test failure messages.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
