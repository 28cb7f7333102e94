package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/printer"
)

type getOptions struct {
	k          kubeFlags
	output     string
	format     outputFormat
	watch      bool
	noHead     bool
	showLabels bool
	labels     string
	fields     string
	getNow     func() time.Time
	command    *cobra.Command
}

func newGetCmd(g *globals) *cobra.Command {
	o := &getOptions{getNow: time.Now}
	cmd := &cobra.Command{
		Use:   "get pods|events|secrets|serviceaccounts|namespaces [NAME]",
		Short: "List objects, with kubectl's columns and STATUS words",
		Example: `  pullwarden get pods -w
  pullwarden get pods -A -o wide
  pullwarden get events`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return &usageError{fmt.Errorf("%q needs a resource type (pods, events, secrets, serviceaccounts, namespaces) and at most one NAME", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.command = cmd
			kind, ok := kindByArg(args[0])
			if !ok {
				return kubeError(cmd.ErrOrStderr(), fmt.Errorf("the server doesn't have a resource type %q", args[0]))
			}
			f, err := parseOutput(o.output)
			if err != nil {
				return &usageError{err}
			}
			o.format = f
			if o.watch && f.structured() {
				return &usageError{fmt.Errorf("--watch prints tables only, not -o %s", f.kind)}
			}
			c, err := o.k.client()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			switch kind.Resource {
			case "pods":
				return o.pods(cmd.Context(), c, name)
			case "events":
				return o.events(cmd.Context(), c, name)
			}
			return o.objects(cmd.Context(), c, kind, name)
		},
	}
	o.k.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "output format: wide, yaml, json, name or jsonpath=TEMPLATE")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "after listing, watch for changes")
	cmd.Flags().BoolVar(&o.noHead, "no-headers", false, "print no header line")
	cmd.Flags().BoolVar(&o.showLabels, "show-labels", false, "add a LABELS column")
	cmd.Flags().StringVarP(&o.labels, "selector", "l", "", "label selector, e.g. -l app=web,tier!=db")
	cmd.Flags().StringVar(&o.fields, "field-selector", "", "field selector, e.g. --field-selector status.phase=Running")
	cmd.ValidArgsFunction = completeKindThenNames(&o.k, completeKinds)
	return cmd
}

// listOptions are the selectors of the command line, and the name.
func (o *getOptions) listOptions(name string) metav1.ListOptions {
	opts := metav1.ListOptions{LabelSelector: o.labels, FieldSelector: o.fields}
	if name != "" {
		sel := fields.OneTermEqualSelector("metadata.name", name).String()
		if opts.FieldSelector != "" {
			sel += "," + opts.FieldSelector
		}
		opts.FieldSelector = sel
	}
	return opts
}

// notFound is the answer for a NAME that the list did not return.
func notFound(kind manifest.Kind, name string) error {
	return apierrors.NewNotFound(kind.GroupResource(), name)
}

func (o *getOptions) namespace() string {
	if o.k.allNamespaces {
		return ""
	}
	return o.k.ns()
}

func (o *getOptions) pods(ctx context.Context, c *apiserver.Client, name string) error {
	out, errOut := o.command.OutOrStdout(), o.command.ErrOrStderr()
	opts := o.listOptions(name)
	list, err := c.CoreV1().Pods(o.namespace()).List(ctx, opts)
	if err != nil {
		return kubeError(errOut, err)
	}
	if name != "" && len(list.Items) == 0 {
		return kubeError(errOut, notFound(manifest.Pod, name))
	}
	popts := printer.PodOptions{Wide: o.format.kind == "wide", AllNamespaces: o.k.allNamespaces, NoHeaders: o.noHead, ShowLabels: o.showLabels, Now: o.getNow()}
	if o.format.structured() {
		return o.format.print(out, manifest.Pod, name != "", podItems(list.Items))
	}
	if !o.watch {
		if len(list.Items) == 0 {
			fmt.Fprintln(errOut, printer.NoResources(o.namespace(), o.k.allNamespaces))
			return nil
		}
		return printer.Pods(out, list.Items, popts)
	}
	pw := printer.NewPodWatch(out, popts)
	if len(list.Items) > 0 {
		if err := pw.Print(o.getNow(), list.Items...); err != nil {
			return err
		}
	}
	opts.ResourceVersion = list.ResourceVersion
	w, err := c.CoreV1().Pods(o.namespace()).Watch(ctx, opts)
	if err != nil {
		return kubeError(errOut, err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || ev.Type == watch.Error {
			continue
		}
		if err := pw.Print(o.getNow(), *p); err != nil {
			return err
		}
	}
	return nil
}

func (o *getOptions) events(ctx context.Context, c *apiserver.Client, name string) error {
	out, errOut := o.command.OutOrStdout(), o.command.ErrOrStderr()
	opts := o.listOptions(name)
	list, err := c.CoreV1().Events(o.namespace()).List(ctx, opts)
	if err != nil {
		return kubeError(errOut, err)
	}
	if name != "" && len(list.Items) == 0 {
		return kubeError(errOut, notFound(manifest.Event, name))
	}
	eopts := printer.EventOptions{Wide: o.format.kind == "wide", AllNamespaces: o.k.allNamespaces, NoHeaders: o.noHead, Now: o.getNow()}
	if o.format.structured() {
		items := make([]any, len(list.Items))
		for i := range list.Items {
			items[i] = withKind(&list.Items[i], "Event")
		}
		return o.format.print(out, manifest.Event, name != "", items)
	}
	if len(list.Items) == 0 && !o.watch {
		fmt.Fprintln(errOut, printer.NoResources(o.namespace(), o.k.allNamespaces))
		return nil
	}
	if err := printer.Events(out, list.Items, eopts); err != nil {
		return err
	}
	if !o.watch {
		return nil
	}
	opts.ResourceVersion = list.ResourceVersion
	w, err := c.CoreV1().Events(o.namespace()).Watch(ctx, opts)
	if err != nil {
		return kubeError(errOut, err)
	}
	defer w.Stop()
	eopts.NoHeaders = true
	for ev := range w.ResultChan() {
		if e, ok := ev.Object.(*corev1.Event); ok {
			if err := printer.Events(out, []corev1.Event{*e}, eopts); err != nil {
				return err
			}
		}
	}
	return nil
}

func podItems(pods []corev1.Pod) []any {
	items := make([]any, len(pods))
	for i := range pods {
		items[i] = withKind(&pods[i], "Pod")
	}
	return items
}

// withKind sets the type meta that list items lack.
func withKind(obj runtime.Object, kind string) any {
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: kind})
	return obj
}

// printObjects prints one object, or a v1 List of them, as kubectl -o
// yaml|json does.
func printObjects(w io.Writer, format string, single bool, items []any) error {
	var obj any = map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]any{"resourceVersion": ""}}
	if single && len(items) == 1 {
		obj = items[0]
	}
	b, err := printer.Marshal(obj, format)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
