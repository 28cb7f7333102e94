package apiserver

import (
	"fmt"
	"net/url"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeconfigName is the kubeconfig's file name inside the agent's data dir.
const KubeconfigName = "kubeconfig"

// The names the kubeconfig gives its cluster, user and context.
const kubeconfigName = "pullwarden"

// Kubeconfig returns a kubeconfig for the API at server (https://HOST:PORT)
// that trusts p's CA and authenticates with p's client certificate, with
// the default namespace.
func (p *PKI) Kubeconfig(server string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kubeconfigName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: p.CAPEM}
	cfg.AuthInfos[ClientUser] = &clientcmdapi.AuthInfo{ClientCertificateData: p.ClientCertPEM, ClientKeyData: p.ClientKeyPEM}
	cfg.Contexts[kubeconfigName] = &clientcmdapi.Context{Cluster: kubeconfigName, AuthInfo: ClientUser, Namespace: "default"}
	cfg.CurrentContext = kubeconfigName
	return clientcmd.Write(*cfg)
}

// WriteKubeconfig writes p.Kubeconfig(server) to path with mode 0600.
func (p *PKI) WriteKubeconfig(path, server string) error {
	data, err := p.Kubeconfig(server)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// KubeconfigServer returns the server URL of the current context of the
// kubeconfig at path ("" when there is none or it cannot be read).
func KubeconfigServer(path string) string {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return ""
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return ""
	}
	if c, ok := cfg.Clusters[ctx.Cluster]; ok {
		return c.Server
	}
	return ""
}

// KubeconfigPort returns the port of the kubeconfig's server URL, or "".
func KubeconfigPort(path string) string {
	u, err := url.Parse(KubeconfigServer(path))
	if err != nil {
		return ""
	}
	return u.Port()
}

// NewClientFromKubeconfig returns a client for the API a kubeconfig points
// at (the file the agent writes for its TCP listener).
func NewClientFromKubeconfig(path string) (*Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return newClient(jsonOnly(cfg))
}

// jsonOnly makes cfg speak JSON, as the agent's own commands do.
func jsonOnly(cfg *rest.Config) *rest.Config {
	cfg.QPS = -1
	cfg.UserAgent = "pullwarden"
	cfg.ContentType, cfg.AcceptContentTypes = "application/json", "application/json"
	// The API's warnings (fields the agent does not implement) are printed
	// as kubectl prints them.
	cfg.WarningHandler = rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true})
	return cfg
}
