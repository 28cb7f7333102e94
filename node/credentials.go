package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/recheck"
	"github.com/pullwarden/pullwarden/workload"
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
	var sa *corev1.ServiceAccount
	if len(pod.Spec.ImagePullSecrets) == 0 {
		name := workload.ServiceAccountName(&pod.Spec)
		got, err := n.cfg.Client.CoreV1().ServiceAccounts(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			sa = got
		case !apierrors.IsNotFound(err):
			return nil, nil, fmt.Errorf("reading service account %s/%s: %w", pod.Namespace, name, err)
		}
	}
	names, _ := workload.PullSecrets(&pod.Spec, sa)
	return n.secretsKeyring(ctx, pod.Namespace, names)
}

// secretsKeyring reads the named docker-registry secrets of ns into a
// keyring followed by the node's credentials.
func (n *Node) secretsKeyring(ctx context.Context, ns string, names []string) (credential.Keyring, []string, error) {
	var secrets []corev1.Secret
	var missing []string
	for _, name := range names {
		s, err := n.cfg.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			secrets = append(secrets, *s)
		case apierrors.IsNotFound(err):
			missing = append(missing, name)
		default:
			return nil, nil, fmt.Errorf("reading secret %s/%s: %w", ns, name, err)
		}
	}
	ring, warns := credential.FromSecrets(secrets)
	for _, w := range warns {
		n.cfg.Logger.Warn("pull secret", "source", w.Source, "problem", w.Message)
	}
	return credential.Union(ring, n.nodeRing), missing, nil
}

// probeRegistry asks a host whether it answers again: a GET of /v2/ (plain
// HTTP for loopback and insecure hosts, else verified HTTPS); any HTTP
// answer, 401 included, means it is back.
func probeRegistry(insecure []string) func(ctx context.Context, host string) error {
	return func(ctx context.Context, host string) error {
		scheme := "https"
		if loopback(host) || slices.Contains(insecure, host) {
			scheme = "http"
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/v2/", nil)
		if err != nil {
			return err
		}
		resp, err := probeClient.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

// registryProbes is the schedule of the /v2/ probe of a registry that
// stopped answering: 500ms growing to 1s, jittered, as the single-machine
// agent's, so a pre-pull resumes within about a second of its return.
var registryProbes = recheck.Options{Initial: 500 * time.Millisecond, Max: time.Second}

var probeClient = &http.Client{
	// A redirect or token endpoint is not needed to know the host answers.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func loopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
