package node

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/diagnose/kube"
)

// nodeKeyring reads the node's own credentials file; "" is none.
func nodeKeyring(ctx context.Context, path string, log *slog.Logger) (credential.Keyring, error) {
	if path == "" {
		return credential.Union(), nil
	}
	ring, warns, err := credential.LoadDockerConfig(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("node credentials %s: %w", path, err)
	}
	for _, w := range warns {
		log.Warn("node credentials", "source", w.Source, "problem", w.Message)
	}
	return ring, nil
}

// podKeyring is the keyring the kubelet would use for pod: its
// imagePullSecrets (else its service account's, as the admission plugin
// copies them), then the node's credentials. Missing secrets are skipped
// as the kubelet skips them; their names are returned.
func (n *Node) podKeyring(ctx context.Context, pod *corev1.Pod) (credential.Keyring, []string, error) {
	ps, err := kube.ReadPodSecrets(ctx, n.cfg.Client, pod)
	if err != nil {
		return nil, nil, err
	}
	return n.keyring(ps.Secrets), ps.Missing, nil
}

// secretsKeyring reads the named docker-registry secrets of ns into a
// keyring followed by the node's credentials.
func (n *Node) secretsKeyring(ctx context.Context, ns string, names []string) (credential.Keyring, []string, error) {
	secrets, missing, err := kube.ReadSecrets(ctx, n.cfg.Client, ns, names)
	if err != nil {
		return nil, nil, err
	}
	return n.keyring(secrets), missing, nil
}

// keyring is secrets' keyring followed by the node's credentials.
func (n *Node) keyring(secrets []corev1.Secret) credential.Keyring {
	ring, warns := credential.FromSecrets(secrets)
	for _, w := range warns {
		n.cfg.Logger.Warn("pull secret", "source", w.Source, "problem", w.Message)
	}
	return credential.Union(ring, n.nodeRing)
}
