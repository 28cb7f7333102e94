package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"
)

// PluginName is the name kubectl finds the plugin under.
const PluginName = "kubectl-pullwarden"

// IsPluginName reports whether argv0 is the kubectl plugin's name.
func IsPluginName(argv0 string) bool {
	return strings.TrimSuffix(filepath.Base(argv0), ".exe") == PluginName
}

// PluginMain runs the command line as `kubectl pullwarden`: explain pod and
// check read a cluster through kubectl's loading rules (--kubeconfig,
// --context, -n, $KUBECONFIG), never the node agent.
func PluginMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Main(withPlugin(ctx), args, stdin, stdout, stderr)
}
