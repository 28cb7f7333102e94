package testcontainerd

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/runtime/cri"
)

// EnvRequireReal turns a missing containerd or missing root into a test
// failure instead of a skip.
const EnvRequireReal = "PULLWARDEN_REQUIRE_REAL"

// Containerd is a running private daemon.
type Containerd struct {
	// Address is the daemon's socket: containerd gRPC and CRI.
	Address string
	// Dir holds config, root, state, socket and log.
	Dir string
	// Options are the daemon options it was started with.
	Options cri.DaemonOptions

	t      testing.TB
	daemon *cri.Daemon
}

// Option configures Start.
type Option func(*cri.DaemonOptions)

// WithSandboxImage sets the CRI pause image reference.
func WithSandboxImage(ref string) Option {
	return func(o *cri.DaemonOptions) { o.SandboxImage = ref }
}

// WithRegistry makes containerd reach registry host ("127.0.0.1:5000") at
// server ("http://127.0.0.1:5000").
func WithRegistry(host, server string) Option {
	return func(o *cri.DaemonOptions) {
		if o.Registries == nil {
			o.Registries = map[string]string{}
		}
		o.Registries[host] = server
	}
}

// WithHTTPRegistry is WithRegistry(host, "http://"+host).
func WithHTTPRegistry(host string) Option { return WithRegistry(host, "http://"+host) }

// Start runs a private containerd for t and stops it in t.Cleanup.
func Start(t testing.TB, opts ...Option) *Containerd {
	t.Helper()
	if _, err := os.Stat(cri.DefaultContainerdBinary); err != nil {
		missing(t, "%s not found (apt-get install -y containerd runc)", cri.DefaultContainerdBinary)
	}
	if os.Geteuid() != 0 {
		missing(t, "containerd needs root")
	}
	o := cri.DaemonOptions{KillWithParent: true}
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := os.MkdirTemp("", "pwctd")
	if err != nil {
		t.Fatal(err)
	}
	c := &Containerd{Dir: dir, Options: o, t: t}
	t.Cleanup(c.cleanup)
	c.start()
	return c
}

func (c *Containerd) start() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := cri.StartDaemon(ctx, c.Dir, c.Options)
	if err != nil {
		c.logTail()
		c.t.Fatalf("testcontainerd: %v", err)
	}
	c.daemon = d
	c.Address = d.Address
}

// Restart stops the daemon (containers keep running) and starts it again
// on the same directory: its state, content and images survive.
func (c *Containerd) Restart() {
	c.t.Helper()
	c.stopDaemon()
	c.start()
}

// LogPath is the daemon's log file.
func (c *Containerd) LogPath() string { return cri.PathsFor(c.Dir).LogFile }

func (c *Containerd) stopDaemon() {
	if c.daemon == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.daemon.Stop(ctx); err != nil {
		c.t.Logf("testcontainerd: stop: %v", err)
	}
	c.daemon = nil
}

func (c *Containerd) cleanup() {
	if c.t.Failed() {
		c.logTail()
	}
	if c.daemon != nil {
		c.removeSandboxes()
	}
	c.stopDaemon()
	KillShims(c.t, cri.PathsFor(c.Dir).Socket)
	UnmountUnder(c.t, c.Dir)
	if err := os.RemoveAll(c.Dir); err != nil {
		c.t.Logf("testcontainerd: remove %s: %v", c.Dir, err)
	}
}

// removeSandboxes stops and removes every CRI sandbox, which ends their
// containers and shims.
func (c *Containerd) removeSandboxes() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt, err := cri.New(ctx, c.Address)
	if err != nil {
		c.t.Logf("testcontainerd: CRI for cleanup: %v", err)
		return
	}
	defer rt.Close()
	sbs, err := rt.ListPodSandboxes(ctx)
	if err != nil {
		c.t.Logf("testcontainerd: list sandboxes: %v", err)
		return
	}
	for _, sb := range sbs {
		if err := rt.StopPodSandbox(ctx, sb.ID); err != nil {
			c.t.Logf("testcontainerd: stop sandbox %s: %v", sb.ID, err)
		}
		if err := rt.RemovePodSandbox(ctx, sb.ID); err != nil {
			c.t.Logf("testcontainerd: remove sandbox %s: %v", sb.ID, err)
		}
	}
}

func (c *Containerd) logTail() {
	b, err := os.ReadFile(c.LogPath())
	if err != nil {
		return
	}
	if len(b) > 8192 {
		b = b[len(b)-8192:]
	}
	c.t.Logf("testcontainerd: tail of %s:\n%s", c.LogPath(), b)
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(EnvRequireReal) == "1" {
		t.Fatalf("testcontainerd: %s (%s=1)", msg, EnvRequireReal)
	}
	t.Skipf("testcontainerd: %s", msg)
}
