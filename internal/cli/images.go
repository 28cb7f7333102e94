package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

type imageRow struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"`
	Manifest   string `json:"manifest"`
	Size       int64  `json:"size"`
	Created    string `json:"created"`
	Incomplete bool   `json:"incomplete,omitempty"`
}

func newImagesCmd(g *globals) *cobra.Command {
	var (
		output string
		verify bool
		repair bool
	)
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images in the local store",
		Args:  exactArgs(0, "none"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := g.openStore()
			if err != nil {
				return err
			}
			if repair && !verify {
				return &usageError{fmt.Errorf("--repair needs --verify")}
			}
			if verify {
				if err := verifyStore(cmd, s, repair); err != nil {
					return err
				}
			}
			imgs, err := s.Images(ctx)
			if err != nil {
				return err
			}
			rows := make([]imageRow, 0, len(imgs))
			for _, img := range imgs {
				row := imageRow{Name: img.Name, Digest: img.RepoDigest.String(), Manifest: img.Target.Digest.String(),
					Created: img.Created.UTC().Format("2006-01-02T15:04:05Z")}
				size, err := store.Size(ctx, s, img.Target)
				row.Size, row.Incomplete = size, err != nil
				if !row.Incomplete {
					complete, err := store.Complete(ctx, s, img)
					row.Incomplete = err != nil || !complete
				}
				rows = append(rows, row)
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			if output != "" {
				return &usageError{fmt.Errorf("unknown output format %q: supported: json", output)}
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "IMAGE\tTAG\tDIGEST\tSIZE")
			for _, r := range rows {
				name, tag := splitName(r.Name)
				size := humanBytes(r.Size)
				if r.Incomplete {
					size = "incomplete"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, tag, shortDigest(r.Digest), size)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json")
	cmd.Flags().BoolVar(&verify, "verify", false, "re-hash every blob and check every image is complete; problems go to stderr and the exit status is 1")
	cmd.Flags().BoolVar(&repair, "repair", false, "with --verify: delete corrupt blobs, so that the next pull of their images fetches them again")
	return cmd
}

// verifyStore runs images --verify [--repair]: problems go to stderr; with
// repair, corrupt blobs are deleted (their images become incomplete and
// the next pull fetches them). The exit status is 1 when a problem is left.
func verifyStore(cmd *cobra.Command, s *ocilayout.Store, repair bool) error {
	ctx := cmd.Context()
	problems, err := s.Verify(ctx)
	if err != nil {
		return err
	}
	left := 0
	for _, p := range problems {
		fmt.Fprintf(cmd.ErrOrStderr(), "Problem: %v\n", p.Err)
		if repair && p.Digest.Hex != "" {
			removed, err := s.RemoveDamagedBlob(ctx, p.Digest)
			if err != nil {
				return err
			}
			if removed {
				fmt.Fprintf(cmd.ErrOrStderr(), "Removed: %s (pull its images again to fetch it)\n", p.Path)
				continue
			}
		}
		left++
	}
	if left > 0 {
		return &reportedError{fmt.Errorf("%d problems in the store", left)}
	}
	return nil
}

func splitName(s string) (string, string) {
	r, err := reference.Parse(s)
	if err != nil {
		return s, "<none>"
	}
	tag := r.Tag()
	if tag == "" {
		tag = "<none>"
	}
	return r.Name(), tag
}

func shortDigest(d string) string {
	_, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) < 13 {
		return d
	}
	return hex[:13]
}
