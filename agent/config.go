package agent

import (
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/clock"
)

// Config configures an Agent. Defaults are filled by Defaults.
type Config struct {
	// DataDir holds the database, the pod logs, the socket and a private
	// containerd. Default DefaultDataDir().
	DataDir string
	// Listen is the API address: a unix socket path or a loopback
	// host:port. Default DataDir/pullwarden.sock.
	Listen string
	// ListenTCP is the API's TCP listener with TLS and a required
	// credential, for kubectl: "auto" (127.0.0.1, the port an earlier run
	// used if free, else a random one), "none", or a loopback HOST:PORT.
	// The CA, serving certificate and admin credential live under
	// DataDir/pki; DataDir/kubeconfig (mode 0600) points at the listener.
	// Default "auto".
	ListenTCP string
	// ContainerdAddress is containerd's socket, or "auto" for a private
	// containerd under DataDir/containerd. Default "auto".
	ContainerdAddress string
	// PauseImage is the pod sandbox image. The agent pulls it (policy
	// IfNotPresent) before the first sandbox; a private containerd is
	// configured with it. Required: no registry outside the machine may be
	// reachable.
	PauseImage string
	// NodeName is the node's name in events and pod specs. Default: the
	// host name.
	NodeName string
	// NodeIP is reported as hostIP and podIP (pods use the node's
	// network). Default 127.0.0.1.
	NodeIP string
	// Insecure lists registries (host[:port]) reachable over plain HTTP
	// besides loopback ones.
	Insecure []string
	// AuthFile is a docker config.json with the node's own registry
	// credentials ("" looks in $DOCKER_CONFIG and ~/.docker).
	AuthFile string
	// DrainOnExit makes Run stop every pod and remove its sandbox before
	// it returns, and Close then kill leftover shims and detach the mounts
	// under the data directory: nothing of the agent keeps running. Default
	// false: containers keep running across a restart and are adopted, as
	// under a kubelet.
	DrainOnExit bool
	// CRITimeout bounds the wait for containerd's CRI at start-up (a
	// containerd that has just started serves its socket before its CRI
	// is ready). Default 60s.
	CRITimeout time.Duration
	// SerializeImagePulls is the kubelet's serializeImagePulls: one image
	// transfer at a time on the node. Nil means true, the kubelet's default.
	SerializeImagePulls *bool
	// MaxParallelImagePulls is the kubelet's maxParallelImagePulls: the
	// cap on concurrent transfers when SerializeImagePulls is false. Nil
	// (the default) means no cap.
	MaxParallelImagePulls *int32
	// ImagePullCredentialsVerificationPolicy is the kubelet's
	// imagePullCredentialsVerificationPolicy (KEP-2535): NeverVerify,
	// NeverVerifyPreloadedImages (the default), NeverVerifyAllowlistedImages
	// or AlwaysVerify. Which credentials pulled what is kept under
	// DataDir/image-pull-records.
	ImagePullCredentialsVerificationPolicy string
	// PreloadedImagesVerificationAllowlist lists the repositories
	// ("registry.example/team/app", or a prefix "registry.example/team/*")
	// that NeverVerifyAllowlistedImages never verifies.
	PreloadedImagesVerificationAllowlist []string
	// RetryPolicy is how failed pulls are retried: "smart" (the default:
	// by cause, held images re-checked with a manifest HEAD and retried at
	// once when a fix is announced) or "kubelet" (the kubelet's backoff
	// exactly). A pod overrides it with the annotation
	// pullwarden.io/retry-policy.
	RetryPolicy string
	// NotifyListen, when set, is the TCP address of the endpoint that
	// receives docker-registry's push notifications at
	// /registry/notifications; a push releases the pulls waiting on its
	// repository.
	NotifyListen string
	// NotifyToken, when set, is the bearer token the notifications must
	// carry.
	NotifyToken string
	// RegistryConfigPath, when set, is a directory in containerd's
	// config_path layout (DIR/<host>/hosts.toml): mirrors tried in order
	// before the registry, a dead one skipped after one failure.
	RegistryConfigPath string
	// MetricsListen, when set, is the TCP address serving Prometheus
	// metrics at /metrics.
	MetricsListen string
	Logger        *slog.Logger
	Clock         clock.Clock
}

// DefaultDataDir is $PULLWARDEN_DATA_DIR, else $XDG_DATA_HOME/pullwarden/agent,
// else ~/.local/share/pullwarden/agent.
func DefaultDataDir() string {
	if d := os.Getenv("PULLWARDEN_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "pullwarden", "agent")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".local", "share", "pullwarden", "agent")
}

// DefaultSocket is the API socket of an agent with the given data dir.
func DefaultSocket(dataDir string) string { return apiserver.DefaultSocket(dataDir) }

// Defaults returns c with every empty field set to its default.
func (c Config) Defaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir()
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	if c.Listen == "" {
		c.Listen = DefaultSocket(c.DataDir)
	}
	if c.ListenTCP == "" {
		c.ListenTCP = ListenTCPAuto
	}
	if c.ContainerdAddress == "" {
		c.ContainerdAddress = "auto"
	}
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	if c.NodeIP == "" {
		c.NodeIP = "127.0.0.1"
	}
	if c.CRITimeout <= 0 {
		c.CRITimeout = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	return c
}
