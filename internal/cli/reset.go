package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/agent"
)

func newResetCmd(g *globals) *cobra.Command {
	var (
		cfg        agent.Config
		removeData bool
	)
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Tear down what a stopped node agent left running: pods, sandboxes, mounts, containerd",
		Long: `Tear down the node agent's pods as kubeadm reset does for a node. With no agent
running on the data directory, stop every pod's containers (with the pod's
grace period) and remove its sandbox, stop the private containerd, kill
containerd shims that outlived it and detach the mounts left under the data
directory. The objects (pods, secrets, ...) and the images stay, so the next
serve starts the pods again; --remove-data deletes the whole data directory.
With --containerd-address SOCKET (an external containerd) only the sandboxes of
the agent's pods are removed and containerd keeps running.`,
		Example: `  pullwarden reset
  pullwarden reset --data-dir /var/lib/pullwarden --remove-data`,
		Args: exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Logger = g.logger(cmd.ErrOrStderr())
			r, err := agent.Reset(cmd.Context(), cfg, removeData)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "pod sandboxes removed: %d\n", r.Sandboxes)
			if r.Containerd > 0 {
				fmt.Fprintf(out, "containerd stopped (pid %d)\n", r.Containerd)
			}
			if r.Shims > 0 {
				fmt.Fprintf(out, "leftover containerd shims killed: %d\n", r.Shims)
			}
			if r.Mounts > 0 {
				fmt.Fprintf(out, "mounts detached: %d\n", r.Mounts)
			}
			if err == nil && removeData {
				fmt.Fprintf(out, "data directory removed: %s\n", cfg.Defaults().DataDir)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&cfg.DataDir, "data-dir", "", "the agent's data directory (default $PULLWARDEN_DATA_DIR, else $XDG_DATA_HOME/pullwarden/agent)")
	cmd.Flags().StringVar(&cfg.ContainerdAddress, "containerd-address", "auto", `containerd socket the agent used, or "auto" for its private containerd`)
	cmd.Flags().BoolVar(&removeData, "remove-data", false, "also delete the data directory (objects, backoff, images, logs)")
	return cmd
}
