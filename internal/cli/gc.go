package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newGCCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Delete blobs no image refers to, and stale partial downloads",
		Args:  exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.openStore()
			if err != nil {
				return err
			}
			r, err := s.GC(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted %d blobs and %d partial downloads, %s freed\n", r.Blobs, r.Ingests, humanBytes(r.Bytes))
			return nil
		},
	}
}
