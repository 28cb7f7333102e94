package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/apiserver"
)

type retryOptions struct {
	target   targetFlags
	all      bool
	selector string
}

func newRetryCmd(_ *globals) *cobra.Command {
	o := &retryOptions{}
	cmd := &cobra.Command{
		Use:   "retry pod (NAME... | --all | -l SELECTOR)",
		Short: "Retry the image pulls of waiting pods now, for a fix pullwarden cannot see",
		Long: `Retry the image pulls of pods now. A pod held by the smart retry policy
(a missing tag, refused credentials, ...) pulls at once, and so does every other
pod waiting on the same image; a pod in the kubelet's backoff forgets it and
pulls at once. Each pod gets a Normal PullRetried event naming the trigger.

On a cluster (--kubeconfig, --context, or as kubectl pullwarden) it writes the
annotation pullwarden.io/retry-requested (the time now) on each pod; pullwarden
controller retries each pod once per new value. With --all or -l only the pods
waiting on an image are annotated.`,
		Example: `  pullwarden retry pod web
  pullwarden retry pod --all
  pullwarden retry pod -l app=web -n shop`,
		ValidArgs: []string{"pod", "pods"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || (args[0] != "pod" && args[0] != "pods" && args[0] != "po") {
				return &usageError{errors.New(`retry takes the kind "pod": pullwarden retry pod NAME... | --all | -l SELECTOR`)}
			}
			names := args[1:]
			if len(names) > 0 && (o.all || o.selector != "") {
				return &usageError{errors.New("name pods, or use --all or -l, not both")}
			}
			if len(names) == 0 && !o.all && o.selector == "" {
				return &usageError{errors.New("no pods selected: name pods, or use --all or -l SELECTOR")}
			}
			if o.target.wantCluster(cmd.Context()) {
				return o.retryCluster(cmd, names)
			}
			c, err := o.target.client()
			if err != nil {
				return err
			}
			req := apiserver.RetryRequest{Namespace: o.target.ns(), Names: names, All: o.all, Selector: o.selector}
			if o.target.allNamespaces {
				req.Namespace = ""
			}
			res, err := c.Retry(cmd.Context(), req)
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			if len(res.Pods) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No pods matched.")
			}
			for _, p := range res.Pods {
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s retried\n", podName(p, req.Namespace == ""))
			}
			return nil
		},
	}
	o.target.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&o.all, "all", false, "retry every pod in the namespace")
	cmd.Flags().StringVarP(&o.selector, "selector", "l", "", "retry the pods whose labels match (app=web,tier!=db)")
	return cmd
}

// podName is "ns/name" as printed: the name alone within one namespace.
func podName(nsName string, withNamespace bool) string {
	if withNamespace {
		return nsName
	}
	for i := range len(nsName) {
		if nsName[i] == '/' {
			return nsName[i+1:]
		}
	}
	return nsName
}
