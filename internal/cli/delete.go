package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/manifest"
)

type deleteOptions struct {
	k     kubeFlags
	files []string
	all   bool
	grace int
}

func newDeleteCmd(g *globals) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete (KIND NAME... | KIND --all | -f FILE)",
		Short: "Delete objects; a deleted pod's pulls are canceled and its containers stopped",
		Example: `  pullwarden delete pod web
  pullwarden delete -f pods.yaml
  pullwarden delete pods --all --grace-period=5`,
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := o.targets(cmd, args)
			if err != nil {
				return err
			}
			c, err := o.k.client()
			if err != nil {
				return err
			}
			return o.run(cmd, c, targets)
		},
	}
	o.k.register(cmd.Flags(), false)
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "delete the objects in a file, directory or - for stdin; repeatable")
	cmd.Flags().BoolVar(&o.all, "all", false, "delete every object of KIND in the namespace")
	cmd.Flags().IntVar(&o.grace, "grace-period", -1, "seconds a pod's containers get to stop (default: the pod's terminationGracePeriodSeconds); 0 force-deletes")
	cmd.ValidArgsFunction = completeKindThenNames(&o.k, completeKinds)
	return cmd
}

// target is one object to delete; source names the file it came from.
type target struct {
	kind            manifest.Kind
	namespace, name string
	source          string
}

// targets turns the arguments into objects to delete; --all is resolved
// in run.
func (o *deleteOptions) targets(cmd *cobra.Command, args []string) ([]target, error) {
	switch {
	case len(o.files) > 0 && len(args) > 0:
		return nil, &usageError{errors.New("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'pullwarden delete -f FILE' or 'pullwarden delete KIND NAME')")}
	case len(o.files) > 0:
		if o.all {
			return nil, &usageError{errors.New("--all cannot be combined with -f")}
		}
		docs, err := manifest.Read(o.files, cmd.InOrStdin())
		if err != nil {
			return nil, kubeError(cmd.ErrOrStderr(), err)
		}
		if len(docs) == 0 {
			return nil, kubeError(cmd.ErrOrStderr(), errors.New("no objects passed to delete"))
		}
		var out []target
		for _, d := range docs {
			k, err := manifest.KindOf(d.Object)
			if err != nil {
				return nil, kubeError(cmd.ErrOrStderr(), err)
			}
			ns := d.Object.GetNamespace()
			if ns == "" {
				ns = o.k.ns()
			}
			out = append(out, target{kind: k, namespace: ns, name: d.Object.GetName(), source: d.Source})
		}
		return out, nil
	case len(args) == 0:
		return nil, &usageError{errors.New("you must provide one or more resources by argument or filename")}
	}
	kind, ok := kindByArg(args[0])
	if !ok {
		return nil, kubeError(cmd.ErrOrStderr(), fmt.Errorf("the server doesn't have a resource type %q", args[0]))
	}
	switch {
	case o.all && len(args) > 1:
		return nil, &usageError{errors.New("names cannot be provided when --all is specified")}
	case !o.all && len(args) == 1:
		return nil, &usageError{errors.New("resource(s) were provided, but no name was specified")}
	}
	var out []target
	for _, name := range args[1:] {
		out = append(out, target{kind: kind, namespace: o.k.ns(), name: name})
	}
	if o.all {
		out = append(out, target{kind: kind, namespace: o.k.ns()})
	}
	return out, nil
}

func (o *deleteOptions) run(cmd *cobra.Command, c *apiserver.Client, targets []target) error {
	ctx := cmd.Context()
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var failed error
	for _, t := range targets {
		names := []string{t.name}
		if t.name == "" { // --all
			objs, _, err := c.List(ctx, t.kind, t.namespace)
			if err != nil {
				return kubeError(errOut, err)
			}
			if len(objs) == 0 {
				fmt.Fprintln(out, "No resources found")
				continue
			}
			names = names[:0]
			for _, obj := range objs {
				names = append(names, obj.GetName())
			}
		}
		for _, name := range names {
			if err := o.deleteOne(ctx, c, t.kind, t.namespace, name); err != nil {
				if t.source != "" {
					err = fromFile(t.source, err)
				}
				failed = kubeError(errOut, err)
				continue
			}
			fmt.Fprintf(out, "%s %q %s\n", strings.ToLower(t.kind.Name), name, o.operation(t))
		}
	}
	return failed
}

// operation is kubectl 1.37's word for a deletion.
func (o *deleteOptions) operation(t target) string {
	op := "deleted"
	if o.grace == 0 {
		op = "force deleted"
	}
	if t.kind.Namespaced {
		op += " from " + t.namespace + " namespace"
	}
	return op
}

func (o *deleteOptions) deleteOne(ctx context.Context, c *apiserver.Client, kind manifest.Kind, namespace, name string) error {
	opts := metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{Kind: "DeleteOptions", APIVersion: "v1"}}
	if o.grace >= 0 {
		g := int64(o.grace)
		opts.GracePeriodSeconds = &g
	}
	body, err := json.Marshal(opts)
	if err != nil {
		return err
	}
	return c.CoreV1().RESTClient().Delete().NamespaceIfScoped(namespace, kind.Namespaced).
		Resource(kind.Resource).Name(name).SetHeader("Content-Type", "application/json").Body(body).Do(ctx).Error()
}

// fromFile names the file of a failed deletion, as kubectl does inside the
// server's message.
func fromFile(source string, err error) error {
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		st := se.Status()
		st.Message = fmt.Sprintf("error when deleting %q: %s", source, st.Message)
		return &apierrors.StatusError{ErrStatus: st}
	}
	return fmt.Errorf("error when deleting %q: %w", source, err)
}
