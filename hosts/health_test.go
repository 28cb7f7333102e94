package hosts_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// blackhole accepts connections and never answers: a mirror that times out.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// refused is a loopback address where nothing listens.
func refused(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) get(e hosts.Endpoint) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[e.Host]
}

// fetch GETs the manifest of app:v1 from e with a 300 ms budget per
// attempt, counting attempts per host.
func (c *counter) fetch(ctx context.Context, e hosts.Endpoint) error {
	c.mu.Lock()
	c.n[e.Host]++
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.String()+"/app/manifests/v1", nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", e, resp.Status)
	}
	return nil
}

// A mirror that times out and one that refuses each cost one attempt;
// every later pull goes straight to the next host (containerd #10624
// gives up on the remaining hosts after a timeout); a mirror that lacks
// the image (404) is passed over without being marked down; once its down
// time has passed a dead mirror gets exactly one probe.
func TestDeadMirrorCostsOneAttempt(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	empty := testregistry.StartInProcess(t) // a mirror without the image
	img, err := testimage.NewRandom(1, 256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testimage.Write(t.Context(), img, reg.Ref("app:v1"), nil); err != nil {
		t.Fatal(err)
	}
	hole, closed := blackhole(t), refused(t)
	root := t.TempDir()
	dir := filepath.Join(root, "docker.io")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "hosts.toml"), fmt.Appendf(nil, `
server = "http://%s"
[host."http://%s"]
[host."http://%s"]
[host."http://%s"]
`, reg.Host, hole, closed, empty.Host), 0o644)
	eps, err := hosts.Endpoints(root, "docker.io")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	h := hosts.NewHealth(hosts.HealthOptions{Clock: clk})
	c := &counter{n: map[string]int{}}
	start := time.Now()
	for i := range 10 {
		got, err := h.Try(t.Context(), eps, hosts.Pull, c.fetch)
		if err != nil || got.Host != reg.Host {
			t.Fatalf("pull %d: served by %v, err %v", i, got, err)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("10 pulls took %v: the dead mirror cost more than one timeout", took)
	}
	for _, w := range []struct {
		host string
		n    int
	}{{hole, 1}, {closed, 1}, {empty.Host, 10}, {reg.Host, 10}} {
		if got := c.n[w.host]; got != w.n {
			t.Errorf("%s: %d attempts, want %d", w.host, got, w.n)
		}
	}
	if s := h.Status(eps[0]); !s.Down || s.Failures != 1 || s.LastError == "" {
		t.Errorf("black hole status %+v", s)
	}
	if s := h.Status(eps[2]); s.Down {
		t.Errorf("a mirror answering 404 was marked down: %+v", s)
	}

	clk.Step(hosts.DefaultDownInitial)
	order := h.Order(eps, hosts.Pull)
	if len(order) != 4 {
		t.Fatalf("after the down time every host is tried once: %v", order)
	}
	if again := h.Order(eps, hosts.Pull); len(again) != 2 {
		t.Fatalf("a second caller must not probe the same dead hosts: %v", again)
	}
	// The probes fail again: the down time doubles.
	h.Failure(eps[0], context.DeadlineExceeded)
	if s := h.Status(eps[0]); s.Failures != 2 || !s.DownUntil.Equal(clk.Now().Add(2*hosts.DefaultDownInitial)) {
		t.Errorf("after a second failure: %+v", s)
	}
}

// With every capable host down, all are still tried, in order; with none
// capable, Try says so.
func TestAllDownAndCapabilities(t *testing.T) {
	t.Parallel()
	a := hosts.Endpoint{Scheme: "http", Host: refused(t), Path: "/v2", Capabilities: hosts.Pull}
	b := hosts.Endpoint{Scheme: "http", Host: refused(t), Path: "/v2", Capabilities: hosts.All}
	h := hosts.NewHealth(hosts.HealthOptions{})
	c := &counter{n: map[string]int{}}
	if _, err := h.Try(t.Context(), []hosts.Endpoint{a, b}, hosts.Pull, c.fetch); err == nil {
		t.Fatal("no host answers, yet Try succeeded")
	}
	if _, err := h.Try(t.Context(), []hosts.Endpoint{a, b}, hosts.Pull, c.fetch); err == nil {
		t.Fatal("no host answers, yet Try succeeded")
	}
	if c.get(a) != 2 || c.get(b) != 2 {
		t.Fatalf("attempts %v, want both tried twice (all down: try them all)", c.n)
	}
	if got := h.Order([]hosts.Endpoint{a, b}, hosts.Resolve); len(got) != 1 || got[0].Host != b.Host {
		t.Fatalf("Order for resolve: %v, want only b", got)
	}
	if _, err := h.Try(t.Context(), []hosts.Endpoint{a}, hosts.Resolve, c.fetch); err == nil {
		t.Fatal("Try with no capable endpoint succeeded")
	}
}
