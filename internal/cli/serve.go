package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pullwarden/pullwarden/agent"
	"github.com/pullwarden/pullwarden/pull"
)

// agentFlags configure an in-process agent (serve, run-pod).
type agentFlags struct{ cfg agent.Config }

func (a *agentFlags) register(f *pflag.FlagSet) {
	f.StringVar(&a.cfg.DataDir, "data-dir", "", "agent state, pod logs, socket and private containerd (default $PULLWARDEN_DATA_DIR, else $XDG_DATA_HOME/pullwarden/agent)")
	f.StringVar(&a.cfg.ContainerdAddress, "containerd-address", "auto", `containerd socket, or "auto" for a private containerd under the data dir`)
	f.StringVar(&a.cfg.PauseImage, "pause-image", "", "pod sandbox (pause) image, pulled before the first pod (required)")
	f.StringVar(&a.cfg.NodeName, "node-name", "", "node name in events and pod specs (default: the host name)")
	f.StringArrayVar(&a.cfg.Insecure, "insecure-registry", nil, "registry HOST[:PORT] to reach over plain HTTP (loopback always is); repeatable")
	f.StringVar(&a.cfg.AuthFile, "authfile", "", "docker config.json with the node's registry credentials")
	f.Var(&boolPtr{p: &a.cfg.SerializeImagePulls, def: true}, "serialize-image-pulls", "pull one image at a time (the kubelet's serializeImagePulls)")
	f.Lookup("serialize-image-pulls").NoOptDefVal = "true"
	f.StringVar(&a.cfg.ImagePullCredentialsVerificationPolicy, "image-pull-credentials-verification-policy", "NeverVerifyPreloadedImages",
		"when a pod must prove its credentials for an image already on the node: NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages or AlwaysVerify (the kubelet's imagePullCredentialsVerificationPolicy)")
	f.StringArrayVar(&a.cfg.PreloadedImagesVerificationAllowlist, "preloaded-images-verification-allowlist", nil,
		"repository (REGISTRY/PATH) or prefix (REGISTRY/PATH/*) that NeverVerifyAllowlistedImages never verifies; repeatable")
	f.Var(&int32Ptr{p: &a.cfg.MaxParallelImagePulls}, "max-parallel-image-pulls", "with --serialize-image-pulls=false, the most image pulls at once (the kubelet's maxParallelImagePulls; default: no limit)")
	f.StringVar(&a.cfg.RetryPolicy, "retry-policy", "smart", `how failed pulls are retried: "smart" (by cause; held images re-checked with a manifest HEAD and retried at once when the fix is announced) or "kubelet" (the kubelet's 10s-to-5m backoff exactly); a pod overrides it with the annotation pullwarden.io/retry-policy`)
	f.StringVar(&a.cfg.RegistryConfigPath, "registry-config-path", "", "directory of containerd hosts.toml files (DIR/HOST[:PORT]/hosts.toml, containerd's config_path): mirrors tried in order before the registry")
	f.StringVar(&a.cfg.MetricsListen, "metrics-listen", "", "HOST:PORT serving Prometheus metrics at /metrics (pulls by result and cause, bytes, retry delays, recovery seconds by trigger, pods waiting by cause)")
	f.StringVar(&a.cfg.NotifyListen, "notify-listen", "", "HOST:PORT of an endpoint for docker-registry push notifications (POST /registry/notifications); a push retries the pods waiting on its repository at once")
}

// check reports a missing or bad flag as a usage error.
func (a *agentFlags) check() error {
	if a.cfg.PauseImage == "" {
		return &usageError{errors.New("--pause-image is required: the CRI needs a pod sandbox (pause) image from a registry this machine can reach")}
	}
	if err := checkRegistryHosts("insecure-registry", a.cfg.Insecure); err != nil {
		return err
	}
	if _, err := pull.ParseRetryPolicy(a.cfg.RetryPolicy); err != nil {
		return &usageError{fmt.Errorf("--retry-policy: %w", err)}
	}
	return checkFileFlag("authfile", a.cfg.AuthFile)
}

func newServeCmd(g *globals) *cobra.Command {
	a := &agentFlags{}
	var listen, logFormat string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the node agent: pods on containerd with the kubelet's pull behaviour",
		Long: `Run the node agent. It keeps Pods, Secrets, ServiceAccounts, Namespaces and
Events in a database under the data directory, serves them over an HTTP API that
follows the Kubernetes API (a unix socket by default), and runs the pods on
containerd: images are pulled one container at a time right before the
container starts, with the kubelet's pull policies, credentials, backoff,
status reasons and events.

On SIGTERM or Ctrl-C the agent stops; its containers keep running (as under a
kubelet) and the next serve adopts them. --drain-on-exit stops every pod on the
way out instead; pullwarden reset tears down what a stopped agent left.

kubectl talks to the agent over a second listener on loopback TCP with TLS
(--listen-tcp): the agent generates a CA, a serving certificate and an admin
client certificate under DATA_DIR/pki and writes DATA_DIR/kubeconfig (mode
0600) for them; requests without that credential get 401.`,
		Example: `  pullwarden serve --pause-image 127.0.0.1:5000/pause:1
  pullwarden apply -f pod.yaml && pullwarden get pods -w
  export KUBECONFIG=$PULLWARDEN_DATA_DIR/kubeconfig; kubectl get pods`,
		Args: exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.check(); err != nil {
				return err
			}
			a.cfg.Listen = listen
			logger, err := g.loggerFormat(cmd.ErrOrStderr(), logFormat)
			if err != nil {
				return &usageError{err}
			}
			a.cfg.Logger = logger
			ag, err := agent.Start(cmd.Context(), a.cfg)
			if err != nil {
				return err
			}
			defer ag.Close()
			fmt.Fprintf(cmd.ErrOrStderr(), "pullwarden agent serving on %s\n", ag.Address())
			if u := ag.URL(); u != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "kubectl: export KUBECONFIG=%s (%s)\n", ag.Kubeconfig(), u)
			}
			return ag.Run(cmd.Context())
		},
	}
	a.register(cmd.Flags())
	cmd.Flags().BoolVar(&a.cfg.DrainOnExit, "drain-on-exit", false, "on exit stop every pod, remove its sandbox and mounts, and stop the private containerd (default: containers keep running and a restarted agent adopts them)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", `log records as "text" or "json" (slog)`)
	cmd.Flags().StringVar(&listen, "listen", "", "API address: a unix socket path or 127.0.0.1:PORT (default DATA_DIR/pullwarden.sock)")
	cmd.Flags().StringVar(&a.cfg.ListenTCP, "listen-tcp", agent.ListenTCPAuto, `API listener with TLS and a required credential, for kubectl: "auto" (127.0.0.1, the previous run's port if free, else a random one), "none", or 127.0.0.1:PORT; DATA_DIR/kubeconfig points at it`)
	return cmd
}
