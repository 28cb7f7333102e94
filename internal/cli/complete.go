package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/manifest"
)

// completeKinds are the resource types the agent's commands take.
var completeKinds = []string{"pods", "events", "secrets", "serviceaccounts", "namespaces"}

// objectNames lists the names of kind in the namespace the flags select,
// for shell completion; nothing when the agent does not answer.
func objectNames(ctx context.Context, k *kubeFlags, kind manifest.Kind, prefix string) []string {
	c, err := k.client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	objs, _, err := c.List(ctx, kind, k.ns())
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range objs {
		if strings.HasPrefix(o.GetName(), prefix) {
			out = append(out, o.GetName())
		}
	}
	return out
}

// completeKindThenNames completes a resource type first, then names of it
// (get, delete).
func completeKindThenNames(k *kubeFlags, kinds []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return kinds, cobra.ShellCompDirectiveNoFileComp
		}
		kind, ok := kindByArg(args[0])
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return objectNames(cmd.Context(), k, kind, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completePodNames completes pod names at the given argument position
// (logs: 0, describe pod: 1 after the fixed "pod").
func completePodNames(k *kubeFlags, pos int, before []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch {
		case len(args) < pos:
			return before, cobra.ShellCompDirectiveNoFileComp
		case len(args) == pos:
			return objectNames(cmd.Context(), k, manifest.Pod, toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}
