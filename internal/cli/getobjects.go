package cli

import (
	"context"
	"fmt"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/printer"
)

// objects lists secrets, service accounts or namespaces.
func (o *getOptions) objects(ctx context.Context, c *apiserver.Client, kind manifest.Kind, name string) error {
	out, errOut := o.command.OutOrStdout(), o.command.ErrOrStderr()
	if o.watch {
		return &usageError{fmt.Errorf("get -w watches pods and events, not %s", kind.Resource)}
	}
	opts := o.listOptions(name)
	ns := o.namespace()
	popts := printer.ObjectOptions{AllNamespaces: o.k.allNamespaces, NoHeaders: o.noHead, ShowLabels: o.showLabels, Now: o.getNow()}
	var (
		items []any
		print func() error
	)
	switch kind.Resource {
	case "secrets":
		list, err := c.CoreV1().Secrets(ns).List(ctx, opts)
		if err != nil {
			return kubeError(errOut, err)
		}
		for i := range list.Items {
			items = append(items, withKind(&list.Items[i], kind.Name))
		}
		print = func() error { return printer.Secrets(out, list.Items, popts) }
	case "serviceaccounts":
		list, err := c.CoreV1().ServiceAccounts(ns).List(ctx, opts)
		if err != nil {
			return kubeError(errOut, err)
		}
		for i := range list.Items {
			items = append(items, withKind(&list.Items[i], kind.Name))
		}
		print = func() error { return printer.ServiceAccounts(out, list.Items, popts) }
	case "namespaces":
		list, err := c.CoreV1().Namespaces().List(ctx, opts)
		if err != nil {
			return kubeError(errOut, err)
		}
		for i := range list.Items {
			items = append(items, withKind(&list.Items[i], kind.Name))
		}
		print = func() error { return printer.Namespaces(out, list.Items, popts) }
	default:
		return kubeError(errOut, fmt.Errorf("the server doesn't have a resource type %q", kind.Resource))
	}
	if name != "" && len(items) == 0 {
		return kubeError(errOut, notFound(kind, name))
	}
	if o.format.structured() {
		return o.format.print(out, kind, name != "", items)
	}
	if o.format.kind == "wide" {
		// These kinds have no wide columns.
		o.format.kind = ""
	}
	if len(items) == 0 {
		if kind.Namespaced {
			fmt.Fprintln(errOut, printer.NoResources(ns, o.k.allNamespaces))
		} else {
			fmt.Fprintln(errOut, printer.NoResources("", true))
		}
		return nil
	}
	return print()
}
