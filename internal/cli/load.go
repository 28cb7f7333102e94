package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/archive"
	"github.com/pullwarden/pullwarden/store"
)

func newLoadCmd(g *globals) *cobra.Command {
	var (
		n        nodeFlags
		ref      string
		platform string
	)
	cmd := &cobra.Command{
		Use:   "load ARCHIVE",
		Short: "Load images from an OCI layout, an OCI archive or a docker save tar into the store or the node",
		Long: `Load images without a registry: from an OCI image layout directory (skopeo
copy oci:DIR, crane, pullwarden's own store), an OCI layout packed in a tar, or
a docker save tar. With --node they go into the node agent's containerd, where
its pods find them: the way to fix a pod with imagePullPolicy: Never whose
image is not on the node. Without --node they go into the OCI store.

Each image is named by the archive (the org.opencontainers.image.ref.name
annotation, or docker's RepoTags); --name names a single image instead.`,
		Example: `  pullwarden load app.tar --node
  pullwarden load ./layout --name 127.0.0.1:5000/app:1 --node`,
		Args: exactArgs(1, "ARCHIVE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := optionalPlatform(platform)
			if err != nil {
				return err
			}
			a, err := archive.Read(args[0], p)
			if err != nil {
				return err
			}
			defer a.Close()
			if ref != "" && len(a.Entries) != 1 {
				return &usageError{fmt.Errorf("--name: %s holds %d images; --name names exactly one", args[0], len(a.Entries))}
			}
			var s store.Store
			if n.node {
				cs, err := n.open(ctx)
				if err != nil {
					return err
				}
				defer cs.Close()
				s = cs
			} else {
				ls, err := g.openStoreForWrite()
				if err != nil {
					return err
				}
				s = ls
			}
			for _, e := range a.Entries {
				name := e.Name
				if ref != "" {
					name = ref
				}
				if name == "" {
					return errors.New(args[0] + ": an image has no name: give it one with --name")
				}
				rec, err := archive.Load(ctx, s, name, e.Image)
				if err != nil {
					return fmt.Errorf("load %s: %w", name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Loaded image: %s\nDigest: %s\n", rec.Name, rec.RepoDigest)
			}
			return nil
		},
	}
	n.register(cmd.Flags())
	cmd.Flags().StringVar(&ref, "name", "", "name (reference) of the image, when the archive holds one image")
	cmd.Flags().StringVar(&platform, "platform", "", "platform to pick from an image index, os/arch[/variant] (default: this host's)")
	return cmd
}
