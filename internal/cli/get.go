package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/printer"
)

type getOptions struct {
	k       kubeFlags
	output  string
	watch   bool
	noHead  bool
	getNow  func() time.Time
	command *cobra.Command
}

func newGetCmd(g *globals) *cobra.Command {
	o := &getOptions{getNow: time.Now}
	cmd := &cobra.Command{
		Use:   "get pods|events [NAME]",
		Short: "List pods or events, with kubectl's columns and STATUS words",
		Example: `  pullwarden get pods -w
  pullwarden get pods -A -o wide
  pullwarden get events`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return &usageError{fmt.Errorf("%q needs a resource type (pods or events) and at most one NAME", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.command = cmd
			kind, ok := kindByArg(args[0])
			if !ok || (kind.Resource != "pods" && kind.Resource != "events") {
				return kubeError(cmd.ErrOrStderr(), fmt.Errorf("the server doesn't have a resource type %q (get supports pods and events)", args[0]))
			}
			switch o.output {
			case "", "wide", "yaml", "json":
			default:
				return &usageError{fmt.Errorf("unknown output format %q: supported: wide, yaml, json", o.output)}
			}
			c, err := o.k.client()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			if kind.Resource == "pods" {
				return o.pods(cmd.Context(), c, name)
			}
			return o.events(cmd.Context(), c)
		},
	}
	o.k.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "output format: wide, yaml or json")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "after listing, watch for changes")
	cmd.Flags().BoolVar(&o.noHead, "no-headers", false, "print no header line")
	cmd.ValidArgsFunction = completeKindThenNames(&o.k, completeKinds)
	return cmd
}

func (o *getOptions) namespace() string {
	if o.k.allNamespaces {
		return ""
	}
	return o.k.ns()
}

func (o *getOptions) pods(ctx context.Context, c *apiserver.Client, name string) error {
	out, errOut := o.command.OutOrStdout(), o.command.ErrOrStderr()
	opts := metav1.ListOptions{}
	if name != "" {
		opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	}
	list, err := c.CoreV1().Pods(o.namespace()).List(ctx, opts)
	if err != nil {
		return kubeError(errOut, err)
	}
	if name != "" && len(list.Items) == 0 {
		return kubeError(errOut, fmt.Errorf("pods %q not found", name))
	}
	popts := printer.PodOptions{Wide: o.output == "wide", AllNamespaces: o.k.allNamespaces, NoHeaders: o.noHead, Now: o.getNow()}
	switch o.output {
	case "yaml", "json":
		return printObjects(out, o.output, name != "", podItems(list.Items))
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

func (o *getOptions) events(ctx context.Context, c *apiserver.Client) error {
	out, errOut := o.command.OutOrStdout(), o.command.ErrOrStderr()
	list, err := c.CoreV1().Events(o.namespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return kubeError(errOut, err)
	}
	eopts := printer.EventOptions{Wide: o.output == "wide", AllNamespaces: o.k.allNamespaces, NoHeaders: o.noHead, Now: o.getNow()}
	switch o.output {
	case "yaml", "json":
		items := make([]any, len(list.Items))
		for i := range list.Items {
			items[i] = withKind(&list.Items[i], "Event")
		}
		return printObjects(out, o.output, false, items)
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
	w, err := c.CoreV1().Events(o.namespace()).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
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
