package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pullwarden/pullwarden/controller"
)

const envPodNamespace = "POD_NAMESPACE"

func newControllerCmd(g *globals) *cobra.Command {
	var (
		o               controller.Options
		kubeconfig      string
		logFormat       string
		notifyTokenFile string
	)
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the cluster controller: diagnose pods stuck on their images and retry them once fixed",
		Long: `Run pullwarden's controller on a Kubernetes cluster. It diagnoses every pod
whose containers, init containers or image volumes wait on their image
(ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull) with the
pod's own credentials, writes the cause as the pod condition
pullwarden.io/ImagePull and one Warning event per change of cause, re-checks on
a schedule (2s doubling to 30s) and at once when a Secret or ServiceAccount the
pod uses changes or ` + "`pullwarden retry pod`" + ` asks. Once the cause is fixed it
asks the node DaemonSet to pull (pullwarden.io/pull-request) and pins Always
containers to the verified digest so that the kubelet pulls at once.

In a cluster it uses its ServiceAccount; elsewhere pass --kubeconfig.`,
		Example: `  pullwarden controller --kubeconfig ~/.kube/config --namespace shop
  pullwarden controller --leader-elect   # as deployed by deploy/`,
		Args: exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f := cmd.Flag("log-level"); f != nil && !f.Changed {
				g.logLevel = "info"
			}
			logger, err := g.loggerFormat(cmd.ErrOrStderr(), logFormat)
			if err != nil {
				return &usageError{err}
			}
			if o.RecheckMax < o.RecheckInterval {
				return &usageError{fmt.Errorf("--recheck-max %s is below --recheck-interval %s", o.RecheckMax, o.RecheckInterval)}
			}
			if notifyTokenFile != "" {
				b, err := os.ReadFile(notifyTokenFile)
				if err != nil {
					return &usageError{fmt.Errorf("--notify-token-file: %w", err)}
				}
				o.NotifyToken = strings.TrimSpace(string(b))
			}
			cfg, err := controllerConfig(kubeconfig)
			if err != nil {
				return err
			}
			if o.LeaderElectionNamespace == "" {
				o.LeaderElectionNamespace = os.Getenv(envPodNamespace)
			}
			o.Logger = logger
			return controller.Run(cmd.Context(), cfg, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file of the cluster (default: the in-cluster service account)")
	f.StringVar(&o.Namespace, "namespace", "", "watch only this namespace (default: every namespace)")
	f.BoolVar(&o.LeaderElect, "leader-elect", false, "run only while holding the Lease "+controller.LeaseName+" (set by the Deployment)")
	f.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default $"+envPodNamespace+", else "+controller.DefaultLeaseNamespace+")")
	f.StringVar(&o.MetricsListen, "metrics-listen", controller.DefaultMetricsListen, `address of the Prometheus /metrics endpoint ("0": off)`)
	f.StringVar(&o.HealthListen, "health-listen", controller.DefaultHealthListen, `address of /healthz and /readyz ("0": off)`)
	f.DurationVar(&o.RecheckInterval, "recheck-interval", 2*time.Second, "first re-check of a waiting pod's image; doubles up to --recheck-max")
	f.DurationVar(&o.RecheckMax, "recheck-max", 30*time.Second, "longest interval between re-checks")
	f.DurationVar(&o.NodeTimeout, "node-timeout", controller.DefaultNodeTimeout, "how long to wait for the node DaemonSet's pull-result before nudging without it")
	f.StringVar(&o.NotifyListen, "notify-listen", "", "HOST:PORT of an endpoint for docker-registry push notifications (POST /registry/notifications); a push re-checks the pods waiting on its repository at once")
	f.StringVar(&notifyTokenFile, "notify-token-file", "", "file holding the bearer token the push notifications must carry (the registry's endpoint headers)")
	f.StringVar(&o.RegistryConfigPath, "registry-config-path", "", "containerd hosts.toml directory (certs.d) whose per-registry settings the checks use, as the nodes' containerd would")
	f.StringVar(&logFormat, "log-format", "text", `log records as "text" or "json" (slog)`)
	return cmd
}

// controllerConfig is the cluster's client config: --kubeconfig, else the
// in-cluster service account.
func controllerConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--kubeconfig: %w", err)}
		}
		cfg.UserAgent = "pullwarden-controller"
		return cfg, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		if errors.Is(err, rest.ErrNotInCluster) {
			return nil, &usageError{errors.New("not running in a cluster: pass --kubeconfig")}
		}
		return nil, err
	}
	cfg.UserAgent = "pullwarden-controller"
	return cfg, nil
}
