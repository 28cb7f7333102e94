package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestPluginName(t *testing.T) {
	for argv0, want := range map[string]bool{"/usr/local/bin/kubectl-pullwarden": true, "kubectl-pullwarden.exe": true,
		"pullwarden": false, "/x/kubectl-pullwarden-old": false} {
		if got := IsPluginName(argv0); got != want {
			t.Errorf("IsPluginName(%q) = %v", argv0, got)
		}
	}
}

// As kubectl plugin, explain pod reads a cluster through the kubeconfig,
// never the agent, even when --server is given.
func TestPluginReadsTheCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	var o, e bytes.Buffer
	code := PluginMain(t.Context(), []string{"explain", "pod", "web", "--server", "/nonexistent.sock"}, nil, &o, &e)
	if code != 2 || !strings.Contains(e.String(), "no cluster configured") {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	kc := writeFile(t, "kubeconfig", "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"+
		"users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: x\n")
	e.Reset()
	code = PluginMain(t.Context(), []string{"explain", "pod", "web", "--kubeconfig", kc}, nil, &o, &e)
	if code != 1 || !strings.Contains(e.String(), "127.0.0.1:1") || !strings.Contains(e.String(), "shop") {
		t.Fatalf("exit %d: %s", code, e.String())
	}
}
