package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/liggitt/tabwriter"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/workload"
)

type checkOptions struct {
	files     []string
	recursive bool
	target    targetFlags
	creds     credentialFlags
	insecure  []string
	output    string
}

func newCheckCmd(g *globals) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check -f FILE|DIR|-",
		Short: "Check before deploying that every image of the manifests would pull",
		Long: `Find every image in the manifests (Pods, Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs, CronJobs and any kind with a pod template; init and
ephemeral containers and image volumes included), resolve each workload's pull
credentials the kubelet's way (its imagePullSecrets, else its service
account's, from Secrets and ServiceAccounts in the same input, or from the
cluster with --kubeconfig/--context, then the node's docker config and
--secret files), and check each distinct image and credential once with
manifest HEADs and tag lists only, in parallel within per-registry limits,
waiting out a registry's Retry-After.

Exit status: 0 when every image would pull, 1 when any would fail, 2 on bad
input (a file that does not parse is named with its document number).`,
		Example: `  helm template ./chart | pullwarden check -f -
  pullwarden check -f k8s/ -R --kubeconfig ~/.kube/config -o json
  kubectl pullwarden check -f deploy.yaml -n shop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "filename", "f", nil, "manifest file, directory or - for stdin; repeatable")
	f.BoolVarP(&o.recursive, "recursive", "R", false, "read directories recursively")
	o.target.register(f, false)
	o.creds.register(f)
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry HOST[:PORT] to reach over plain HTTP (loopback always is); repeatable")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

func runCheck(cmd *cobra.Command, g *globals, o *checkOptions) error {
	ctx := cmd.Context()
	if len(o.files) == 0 {
		return &usageError{errors.New("check needs -f FILE|DIR|- (see check --help)")}
	}
	if err := checkOutput(o.output, "table", "json"); err != nil {
		return err
	}
	set, err := workload.Read(o.files, o.recursive, cmd.InOrStdin())
	if err != nil {
		return &usageError{err}
	}
	node, err := o.creds.keyring(ctx, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	co := workload.CheckOptions{Checker: newChecker(g, cmd.ErrOrStderr(), o.insecure), Node: node,
		NodeSource: strings.Join(o.creds.sources(), "; "), Namespace: o.target.namespace}
	if o.target.kubeconfig != "" || o.target.kubeContext != "" || o.target.server != "" || isPlugin(ctx) {
		t, err := o.target.open(ctx)
		if err != nil {
			return err
		}
		co.Namespace = t.namespace
		co.Lookup = workload.Chain(workload.SetLookup(set), clusterLookup{t.client})
	}
	rep, err := workload.Check(ctx, set, co)
	if err != nil {
		return kubeError(cmd.ErrOrStderr(), err)
	}
	if o.output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	} else {
		renderCheck(cmd.OutOrStdout(), rep)
	}
	if !rep.Pullable {
		return &reportedError{errors.New("some images would not pull")}
	}
	return nil
}

// clusterLookup reads secrets and service accounts from an API.
type clusterLookup struct{ cs kubernetes.Interface }

func (c clusterLookup) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	s, err := c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return s, err
}

func (c clusterLookup) ServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	s, err := c.cs.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return s, err
}

// renderCheck prints the table and a summary line.
func renderCheck(w io.Writer, rep *workload.Report) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', tabwriter.RememberWidths)
	fmt.Fprintln(tw, "WORKLOAD\tCONTAINER\tIMAGE\tPOLICY\tCREDENTIAL\tRESULT\tCAUSE\tHINT")
	failed := 0
	for _, r := range rep.Rows {
		result, reason, hint := "ok", "", ""
		switch {
		case !r.Result.Pullable:
			result, reason, hint = "FAIL", r.Result.Reason, r.Result.Hint
			failed++
		case r.Result.Step(diagnose.StepPolicy).Status == diagnose.Skipped:
			result = "not pulled"
		}
		cred := shortCredential(r.Credential)
		if len(r.MissingSecrets) > 0 {
			cred += " (missing: " + strings.Join(r.MissingSecrets, ",") + ")"
		}
		name := r.Name
		if r.Type != workload.Container {
			name = r.Type + ":" + r.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Workload, name, r.Image.Image, orDash(r.Result.Policy),
			cred, result, orDash(reason), orDash(hint))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d workload(s), %d image(s), %d check(s): %d row(s) would fail\n", rep.Workloads, rep.Images, rep.Checks, failed)
	for _, r := range rep.Rows {
		if !r.Result.Pullable {
			fmt.Fprintf(w, "%s %s (%s, document %d): %s: %s\n", r.Workload, r.Name, r.Source, r.Document, r.Result.Reason, r.Result.Message)
		}
	}
}

// shortCredential drops the key and entry of a secret credential's
// source: `secret ns/name (.dockerconfigjson) entry "host" (refused)`
// becomes `secret ns/name (refused)`.
func shortCredential(s string) string {
	i := strings.Index(s, " (.docker")
	if i < 0 {
		return s
	}
	suffix := ""
	if j := strings.Index(s[i:], `" `); j >= 0 {
		suffix = s[i+j+1:]
	}
	return s[:i] + suffix
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
