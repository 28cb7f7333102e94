package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/manifest"
)

func newApplyCmd(g *globals) *cobra.Command {
	var (
		k     kubeFlags
		files []string
	)
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update Pods, Secrets, ServiceAccounts and Namespaces in the agent",
		Long: `Create or update objects from files, directories or stdin (multi-document
YAML or JSON). Every document is decoded, defaulted and validated before any is
sent, and the agent applies them all in one transaction: a bad document, or a
failure on the server's side for any of them, changes nothing.`,
		Args: exactArgs(0, "none (use -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return &usageError{errors.New("must specify one of -f and -k")}
			}
			docs, err := manifest.Read(files, cmd.InOrStdin())
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			if len(docs) == 0 {
				return kubeError(cmd.ErrOrStderr(), errors.New("no objects passed to apply"))
			}
			for _, d := range docs {
				obj := d.Object
				if k.namespace != "" && obj.GetNamespace() == "" {
					obj.SetNamespace(k.namespace)
				}
				check := obj.DeepCopyObject().(manifest.Object)
				manifest.Default(check)
				if err := manifest.Validate(check); err != nil {
					return kubeError(cmd.ErrOrStderr(), err)
				}
			}
			c, err := k.client()
			if err != nil {
				return err
			}
			objs := make([]manifest.Object, len(docs))
			for i, d := range docs {
				objs[i] = d.Object
			}
			res, err := c.ApplyAll(cmd.Context(), objs...)
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			for _, r := range res {
				kind, _ := manifest.KindOf(r.Object)
				fmt.Fprintf(cmd.OutOrStdout(), "%s/%s %s\n", strings.ToLower(kind.Name), r.Object.GetName(), r.Action)
			}
			return nil
		},
	}
	k.register(cmd.Flags(), false)
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file, directory or - for stdin; repeatable")
	return cmd
}

// kindByArg accepts kubectl's spellings: pod, pods, po, Pod.
func kindByArg(s string) (manifest.Kind, bool) {
	short := map[string]string{"po": "pods", "sa": "serviceaccounts", "ns": "namespaces", "ev": "events"}
	s = strings.ToLower(s)
	if r, ok := short[s]; ok {
		s = r
	}
	if k, ok := manifest.KindByResource(s); ok {
		return k, true
	}
	if k, ok := manifest.KindByResource(s + "s"); ok {
		return k, true
	}
	return manifest.Kind{}, false
}
