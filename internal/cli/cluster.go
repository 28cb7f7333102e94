package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pullwarden/pullwarden/agent"
)

// pluginKey marks a context run as the kubectl plugin (kubectl-pullwarden).
type pluginKey struct{}

func withPlugin(ctx context.Context) context.Context {
	return context.WithValue(ctx, pluginKey{}, true)
}

func isPlugin(ctx context.Context) bool { v, _ := ctx.Value(pluginKey{}).(bool); return v }

// targetFlags choose the API to read from: the node agent (--server) or a
// cluster through kubectl's loading rules (--kubeconfig, --context,
// $KUBECONFIG, ~/.kube/config).
type targetFlags struct {
	kubeFlags
	kubeconfig  string
	kubeContext string
}

func (t *targetFlags) register(f *pflag.FlagSet, all bool) {
	t.kubeFlags.register(f, all)
	f.StringVar(&t.kubeconfig, "kubeconfig", "", "path to the kubeconfig file of a cluster (kubectl's loading rules: $KUBECONFIG, ~/.kube/config)")
	f.StringVar(&t.kubeContext, "context", "", "the kubeconfig context to use")
}

// apiTarget is an API to read pods and secrets from.
type apiTarget struct {
	client    kubernetes.Interface
	namespace string
	// remote: a cluster, whose pulls happen on its nodes, not here.
	remote bool
	// where names the API for messages.
	where string
}

// agentSocketExists reports whether the agent's default socket is there.
func agentSocketExists() bool {
	_, err := os.Stat(agent.DefaultSocket(agent.DefaultDataDir()))
	return err == nil
}

func kubeconfigExists() bool {
	if os.Getenv(clientcmd.RecommendedConfigPathEnvVar) != "" {
		return true
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(home, ".kube", "config"))
	return err == nil
}

// wantCluster decides between the agent and a cluster: a cluster when run
// as kubectl plugin or with --kubeconfig/--context, the agent with
// --server or $PULLWARDEN_SERVER or a running agent, else a cluster when a
// kubeconfig exists.
func (t *targetFlags) wantCluster(ctx context.Context) bool {
	switch {
	case isPlugin(ctx), t.kubeconfig != "", t.kubeContext != "":
		return true
	case t.server != "", os.Getenv(envServer) != "", agentSocketExists():
		return false
	}
	return kubeconfigExists()
}

func (t *targetFlags) open(ctx context.Context) (*apiTarget, error) {
	if !t.wantCluster(ctx) {
		c, err := t.client()
		if err != nil {
			return nil, err
		}
		return &apiTarget{client: c, namespace: t.ns(), where: "the node agent"}, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = t.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: t.kubeContext})
	rc, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, &usageError{errors.New("no cluster configured: pass --kubeconfig, set $KUBECONFIG, or use --server for the node agent")}
		}
		return nil, &usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	rc.UserAgent = "pullwarden"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	ns := t.namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil || ns == "" {
			ns = "default"
		}
	}
	return &apiTarget{client: cs, namespace: ns, remote: true, where: "cluster " + rc.Host}, nil
}
