package tokenserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RegistryBinary is Debian's distribution registry.
const RegistryBinary = "/usr/bin/docker-registry"

// StartRegistry runs docker-registry on a free loopback port, trusting
// tokens from s, until the test ends. It returns the registry's host:port.
func (s *Server) StartRegistry(t testing.TB) string {
	t.Helper()
	return startRegistry(t, s.RegistryAuthConfig())
}

// StartBasicRegistry runs docker-registry with htpasswd (bcrypt) Basic
// authentication for users. It returns the registry's host:port.
func StartBasicRegistry(t testing.TB, users map[string]string) string {
	t.Helper()
	requireRegistry(t)
	htpasswd, err := exec.LookPath("htpasswd")
	if err != nil {
		skipOrFail(t, "htpasswd (apache2-utils) is not installed")
	}
	var lines []string
	for u, p := range users {
		out, err := exec.Command(htpasswd, "-Bbn", u, p).Output()
		if err != nil {
			t.Fatalf("htpasswd for %s: %v", u, err)
		}
		lines = append(lines, strings.TrimSpace(string(out)))
	}
	file := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return startRegistry(t, "auth:\n  htpasswd:\n    realm: pullwarden-test\n    path: "+file+"\n")
}

func requireRegistry(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(RegistryBinary); err != nil {
		skipOrFail(t, RegistryBinary+" is not installed (apt-get install -y docker-registry)")
	}
}

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("PULLWARDEN_REQUIRE_REAL") == "1" {
		t.Fatalf("%s, and PULLWARDEN_REQUIRE_REAL=1", why)
	}
	t.Skip(why)
}

func startRegistry(t testing.TB, authSection string) string {
	t.Helper()
	requireRegistry(t)
	addr := freeAddr(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, filepath.Join(dir, "data"), addr, authSection)
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, RegistryBinary, "serve", cfgFile)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting docker-registry: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	// Wait for its "listening on" log line, bounded.
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var log []string
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "listening on") {
				ready <- nil
				_, _ = io.Copy(io.Discard, out)
				return
			}
			log = append(log, line)
		}
		ready <- fmt.Errorf("docker-registry exited before listening:\n%s", strings.Join(log, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("docker-registry did not start listening within 30s")
	}
	return addr
}

// freeAddr finds a free loopback port.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
