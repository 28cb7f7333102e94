package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pullwarden/pullwarden/node"
)

// defaultCertsDir is containerd's hosts.toml directory on a node.
const defaultCertsDir = "/etc/containerd/certs.d"

// newNodeAgentCmd is `pullwarden node`, the node DaemonSet.
func newNodeAgentCmd(g *globals) *cobra.Command {
	var (
		kubeconfig, listen, logFormat, prepull string
		cfg                                    node.Config
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run the node DaemonSet: pull for the controller into the node's containerd, pre-pull, explain from the node",
		Long: `Run on every node of a cluster (DaemonSet pullwarden-node). It answers the
controller's pull requests (annotation pullwarden.io/pull-request on the node's pods)
by pulling the pods' waiting images into the node's containerd with the pods' own
credentials, pre-pulls the images of the ConfigMap pullwarden-prepull (retried by
cause until present), and serves /healthz, /metrics, /images, /explain/pod/NS/NAME
and /explain/image?ref=IMAGE on --listen.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.loggerFormat(cmd.ErrOrStderr(), logFormat)
			if err != nil {
				return &usageError{err}
			}
			if cfg.NodeName == "" {
				return &usageError{errors.New("--node-name is required (or $NODE_NAME, from the downward API spec.nodeName)")}
			}
			rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return fmt.Errorf("kubernetes client: %w", err)
			}
			if cfg.Client, err = kubernetes.NewForConfig(rc); err != nil {
				return fmt.Errorf("kubernetes client: %w", err)
			}
			if !cmd.Flags().Changed("registry-config-path") {
				if fi, err := os.Stat(defaultCertsDir); err == nil && fi.IsDir() {
					cfg.RegistryConfigPath = defaultCertsDir
				}
			}
			cfg.PrepullConfigMap, cfg.Logger = prepull, logger
			return runNodeAgent(cmd.Context(), cfg, listen)
		},
	}
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = node.DefaultNamespace
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: the in-cluster service account)")
	f.StringVar(&cfg.NodeName, "node-name", os.Getenv("NODE_NAME"), "the node whose pods are served (default $NODE_NAME)")
	f.StringVar(&cfg.ContainerdAddress, "containerd-socket", node.DefaultContainerdSocket, "the node's containerd socket")
	f.StringVar(&cfg.ContainerdNamespace, "containerd-namespace", node.DefaultContainerdNamespace, "containerd namespace of the kubelet's CRI")
	f.StringVar(&prepull, "prepull-configmap", node.DefaultPrepullConfigMap, "ConfigMap listing the images to pre-pull (in $POD_NAMESPACE, else "+node.DefaultNamespace+")")
	f.StringVar(&listen, "listen", ":9473", "HTTP address of /metrics, /healthz, /images, /explain/pod/NS/NAME, /explain/image?ref=IMAGE")
	f.StringVar(&cfg.RegistryConfigPath, "registry-config-path", "", "containerd hosts.toml directory for mirrors (default "+defaultCertsDir+" when it exists)")
	f.StringVar(&cfg.DockerConfig, "docker-config", "", "the node's own credentials (a docker config.json), tried after the pods' secrets")
	f.StringVar(&logFormat, "log-format", "text", `log records as "text" or "json" (slog)`)
	cfg.Namespace = ns
	return cmd
}

// runNodeAgent connects, serves HTTP on listen and runs until ctx ends.
func runNodeAgent(ctx context.Context, cfg node.Config, listen string) error {
	n, err := node.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", listen, err)
	}
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	cfg.Logger.Info("pullwarden node serving", "node", cfg.NodeName, "listen", l.Addr().String(), "containerd", cfg.ContainerdAddress)
	return n.Run(ctx)
}
