package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/printer"
)

func newDescribeCmd(g *globals) *cobra.Command {
	var k kubeFlags
	cmd := &cobra.Command{
		Use:   "describe pod NAME",
		Short: "Show a pod in kubectl's describe layout, with its events",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &usageError{fmt.Errorf("%q needs: pod NAME", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if kind, ok := kindByArg(args[0]); !ok || kind.Resource != "pods" {
				return kubeError(cmd.ErrOrStderr(), fmt.Errorf("describe supports pods, not %q", args[0]))
			}
			c, err := k.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			p, err := c.CoreV1().Pods(k.ns()).Get(ctx, args[1], metav1.GetOptions{})
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			evs, err := c.CoreV1().Events(k.ns()).List(ctx, metav1.ListOptions{})
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			var mine []corev1.Event
			for _, e := range evs.Items {
				if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == p.Name && e.InvolvedObject.UID == p.UID {
					mine = append(mine, e)
				}
			}
			return printer.DescribePod(cmd.OutOrStdout(), p, mine, time.Now())
		},
	}
	k.register(cmd.Flags(), false)
	cmd.ValidArgsFunction = completePodNames(&k, 1, []string{"pod"})
	return cmd
}

func newLogsCmd(g *globals) *cobra.Command {
	var (
		k         kubeFlags
		container string
		follow    bool
	)
	cmd := &cobra.Command{
		Use:   "logs POD [-c CONTAINER] [-f]",
		Short: "Print a container's logs",
		Args:  exactArgs(1, "POD"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := k.client()
			if err != nil {
				return err
			}
			if err := c.Logs(cmd.Context(), k.ns(), args[0], container, follow, cmd.OutOrStdout()); err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			return nil
		},
	}
	k.register(cmd.Flags(), false)
	cmd.Flags().StringVarP(&container, "container", "c", "", "container name (default: the only one)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the container exits")
	cmd.ValidArgsFunction = completePodNames(&k, 0, nil)
	return cmd
}
