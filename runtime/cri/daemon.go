package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// DefaultContainerdBinary is the containerd executable StartDaemon runs
// unless DaemonOptions.Binary says otherwise (Debian's package path).
const DefaultContainerdBinary = "/usr/bin/containerd"

// DefaultSandboxImage is the pause image the CRI plugin uses for pod
// sandboxes unless DaemonOptions.SandboxImage says otherwise.
const DefaultSandboxImage = "registry.k8s.io/pause:3.6"

// maxSocketPath is the usable length of a unix socket path on Linux
// (sun_path is 108 bytes including the terminating NUL; containerd also
// listens on "<socket>.ttrpc").
const maxSocketPath = 100

// DaemonOptions describes a private containerd. The zero value is usable:
// every field has the default its comment states.
type DaemonOptions struct {
	// Binary is the containerd executable. Default DefaultContainerdBinary.
	Binary string
	// SandboxImage is the CRI pause image. Default DefaultSandboxImage.
	SandboxImage string
	// Registries maps a registry host ("127.0.0.1:5000") to the server URL
	// containerd must use for it ("http://127.0.0.1:5000"): written as
	// certs.d/HOST/hosts.toml under the daemon's directory, the CRI's
	// registry config_path. Plain-HTTP loopback registries need an entry.
	Registries map[string]string
	// Snapshotter is the CRI's snapshotter. Default "overlayfs".
	Snapshotter string
	// SystemdCgroup makes runc use the systemd cgroup driver. Default false
	// (cgroupfs), right for cgroup v1 hybrid machines without systemd
	// managing the containers.
	SystemdCgroup bool
	// CNIConfDir and CNIBinDir locate CNI; defaults DIR/cni/net.d (empty:
	// only host-network sandboxes work) and /usr/lib/cni (Debian).
	CNIConfDir, CNIBinDir string
	// Logger receives the daemon's lifecycle messages. Default: discard.
	Logger *slog.Logger
	// StartTimeout bounds the wait for the socket. Default 30s.
	StartTimeout time.Duration
	// KillWithParent makes the kernel SIGKILL the daemon when the process
	// that started it dies (Linux Pdeathsig), as tests want: a test binary
	// killed by its timeout must not leave daemons behind. Default false.
	KillWithParent bool
}

func (o DaemonOptions) withDefaults(dir string) DaemonOptions {
	if o.Binary == "" {
		o.Binary = DefaultContainerdBinary
	}
	if o.SandboxImage == "" {
		o.SandboxImage = DefaultSandboxImage
	}
	if o.Snapshotter == "" {
		o.Snapshotter = "overlayfs"
	}
	if o.CNIConfDir == "" {
		o.CNIConfDir = filepath.Join(dir, "cni", "net.d")
	}
	if o.CNIBinDir == "" {
		o.CNIBinDir = "/usr/lib/cni"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	return o
}

// DaemonPaths are the files and directories of a daemon living in one
// directory DIR.
type DaemonPaths struct {
	Config  string // DIR/config.toml
	Root    string // DIR/root: content, snapshots, metadata
	State   string // DIR/state: sockets, runtime state, mounts
	Socket  string // DIR/containerd.sock: the gRPC (and CRI) address
	CertsD  string // DIR/certs.d: registry hosts.toml files
	LogFile string // DIR/containerd.log: the daemon's stdout and stderr
}

// PathsFor returns where a daemon in dir keeps its files.
func PathsFor(dir string) DaemonPaths {
	return DaemonPaths{
		Config:  filepath.Join(dir, "config.toml"),
		Root:    filepath.Join(dir, "root"),
		State:   filepath.Join(dir, "state"),
		Socket:  filepath.Join(dir, "containerd.sock"),
		CertsD:  filepath.Join(dir, "certs.d"),
		LogFile: filepath.Join(dir, "containerd.log"),
	}
}

// WriteConfig writes a containerd (config version 2) configuration for a
// private daemon living in dir, with the registry hosts files it refers to,
// and returns the config's path. dir must be absolute and short enough for
// the unix socket DIR/containerd.sock (at most 100 bytes).
func WriteConfig(dir string, opts DaemonOptions) (string, error) {
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("containerd directory %q is not absolute", dir)
	}
	opts = opts.withDefaults(dir)
	p := PathsFor(dir)
	if len(p.Socket)+len(".ttrpc") > maxSocketPath {
		return "", fmt.Errorf("containerd socket path %q is too long for a unix socket: use a shorter directory", p.Socket)
	}
	for _, d := range []string{p.Root, p.State, p.CertsD, opts.CNIConfDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", err
		}
	}
	if err := writeHosts(p.CertsD, opts.Registries); err != nil {
		return "", err
	}
	if err := os.WriteFile(p.Config, []byte(renderConfig(p, opts)), 0o600); err != nil {
		return "", err
	}
	return p.Config, nil
}

func renderConfig(p DaemonPaths, o DaemonOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version = 2\n")
	fmt.Fprintf(&b, "root = %q\nstate = %q\n", p.Root, p.State)
	fmt.Fprintf(&b, "oom_score = 0\n\n")
	fmt.Fprintf(&b, "[grpc]\n  address = %q\n\n", p.Socket)
	fmt.Fprintf(&b, "[ttrpc]\n  address = %q\n\n", p.Socket+".ttrpc")
	// No debug or metrics listener: several daemons share this machine.
	fmt.Fprintf(&b, "[plugins]\n")
	fmt.Fprintf(&b, "  [plugins.\"io.containerd.grpc.v1.cri\"]\n")
	fmt.Fprintf(&b, "    sandbox_image = %q\n", o.SandboxImage)
	// The machine lacks CAP_SYS_RESOURCE: without this runc cannot start
	// sandboxes ("can't get final child's PID from pipe: EOF").
	fmt.Fprintf(&b, "    restrict_oom_score_adj = true\n")
	// Port 0: several daemons on one host must not fight over 10010.
	fmt.Fprintf(&b, "    stream_server_address = \"127.0.0.1\"\n    stream_server_port = \"0\"\n")
	fmt.Fprintf(&b, "    enable_selinux = false\n")
	fmt.Fprintf(&b, "    [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n")
	fmt.Fprintf(&b, "      snapshotter = %q\n", o.Snapshotter)
	fmt.Fprintf(&b, "      default_runtime_name = \"runc\"\n")
	fmt.Fprintf(&b, "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n")
	fmt.Fprintf(&b, "        runtime_type = \"io.containerd.runc.v2\"\n")
	fmt.Fprintf(&b, "        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n")
	fmt.Fprintf(&b, "          SystemdCgroup = %t\n", o.SystemdCgroup)
	fmt.Fprintf(&b, "    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n")
	fmt.Fprintf(&b, "      bin_dir = %q\n      conf_dir = %q\n", o.CNIBinDir, o.CNIConfDir)
	fmt.Fprintf(&b, "    [plugins.\"io.containerd.grpc.v1.cri\".registry]\n")
	fmt.Fprintf(&b, "      config_path = %q\n", p.CertsD)
	return b.String()
}

// writeHosts writes certs.d/HOST/hosts.toml for each registry.
func writeHosts(certsD string, registries map[string]string) error {
	hosts := make([]string, 0, len(registries))
	for h := range registries {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		server := registries[h]
		if strings.ContainsAny(h, "/\\") || h == "" || h == "." || h == ".." {
			return fmt.Errorf("invalid registry host %q", h)
		}
		d := filepath.Join(certsD, h)
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		body := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", server, server)
		if strings.HasPrefix(server, "https://") {
			body += "  skip_verify = false\n"
		}
		if err := os.WriteFile(filepath.Join(d, "hosts.toml"), []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Daemon is a containerd process started by StartDaemon.
type Daemon struct {
	// Address is the daemon's unix socket path (gRPC and CRI).
	Address string
	// Paths are its files.
	Paths DaemonPaths

	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	logger *slog.Logger
	log    io.Closer
}

// StartDaemon writes the configuration for dir (WriteConfig), starts
// containerd with it and waits until its socket accepts connections. The
// daemon runs until Stop; it is not tied to ctx, which bounds only the
// start. The daemon's output goes to DaemonPaths.LogFile.
func StartDaemon(ctx context.Context, dir string, opts DaemonOptions) (*Daemon, error) {
	opts = opts.withDefaults(dir)
	if _, err := os.Stat(opts.Binary); err != nil {
		return nil, fmt.Errorf("containerd binary: %w", err)
	}
	cfg, err := WriteConfig(dir, opts)
	if err != nil {
		return nil, err
	}
	p := PathsFor(dir)
	_ = os.Remove(p.Socket) // a stale socket from an earlier run
	logf, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(opts.Binary, "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C to the parent is not the daemon's.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if opts.KillWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start containerd: %w", err)
	}
	d := &Daemon{Address: p.Socket, Paths: p, cmd: cmd, done: make(chan struct{}), logger: opts.Logger, log: logf}
	go func() {
		d.err = cmd.Wait()
		close(d.done)
	}()
	opts.Logger.Info("containerd started", "pid", cmd.Process.Pid, "address", p.Socket)
	wctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := d.waitSocket(wctx); err != nil {
		_ = d.Stop(context.Background())
		return nil, fmt.Errorf("containerd did not come up (log: %s): %w", p.LogFile, err)
	}
	return d, nil
}

func (d *Daemon) waitSocket(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.Dial("unix", d.Address); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-d.done:
			return fmt.Errorf("containerd exited: %v", d.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Pid is the daemon's process ID.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Done is closed when the daemon has exited.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Stop sends SIGTERM, waits until the daemon exits or ctx ends, then sends
// SIGKILL. Containers and their shims keep running: stop the sandboxes
// first if they must go too. Stopping a stopped daemon is a no-op.
func (d *Daemon) Stop(ctx context.Context) error {
	defer d.log.Close()
	select {
	case <-d.done:
		return nil
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-ctx.Done():
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	d.logger.Info("containerd stopped", "pid", d.cmd.Process.Pid)
	var ee *exec.ExitError
	if d.err != nil && !errors.As(d.err, &ee) {
		return d.err
	}
	return nil
}
