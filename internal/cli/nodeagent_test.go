package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestNodeAgentFlags(t *testing.T) {
	t.Setenv("NODE_NAME", "")
	missing := filepath.Join(t.TempDir(), "kubeconfig")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no node name", []string{"node"}, exitUsage, "--node-name is required"},
		{"bad log format", []string{"node", "--node-name", "n1", "--log-format", "xml"}, exitUsage, `--log-format "xml"`},
		{"missing kubeconfig", []string{"node", "--node-name", "n1", "--kubeconfig", missing}, exitFailed, missing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := run(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
}
