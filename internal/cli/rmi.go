package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

func newRmiCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rmi IMAGE...",
		Short: "Remove image names from the local store (blobs go at the next gc)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("%q needs at least one IMAGE", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openStore()
			if err != nil {
				return err
			}
			var errs []error
			for _, a := range args {
				ref, err := reference.Parse(a)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				err = s.DeleteImage(cmd.Context(), ref.String())
				if errors.Is(err, store.ErrNotFound) {
					err = fmt.Errorf("no such image: %s", ref)
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Untagged: %s\n", ref)
			}
			return errors.Join(errs...)
		},
	}
}
