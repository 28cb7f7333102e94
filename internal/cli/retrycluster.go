package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/controller"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/podmeta"
)

// retryCluster asks pullwarden controller for a retry of each pod: the
// annotation podmeta.RetryRequested = now (RFC 3339).
func (o *retryOptions) retryCluster(cmd *cobra.Command, names []string) error {
	ctx := cmd.Context()
	t, err := o.target.open(ctx)
	if err != nil {
		return err
	}
	ns := t.namespace
	if o.target.allNamespaces {
		ns = ""
	}
	var pods []corev1.Pod
	if len(names) > 0 {
		for _, n := range names {
			var p *corev1.Pod
			if ns == "" {
				p, err = kube.FindPod(ctx, t.client, n)
			} else {
				p, err = t.client.CoreV1().Pods(ns).Get(ctx, n, metav1.GetOptions{})
			}
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			pods = append(pods, *p)
		}
	} else {
		list, err := t.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: o.selector})
		if err != nil {
			return kubeError(cmd.ErrOrStderr(), err)
		}
		for _, p := range list.Items {
			if controller.WaitingOnImage(&p) {
				pods = append(pods, p)
			}
		}
	}
	if len(pods) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "No pods matched.")
		return nil
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	raw, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{podmeta.RetryRequested: now}}})
	if err != nil {
		return err
	}
	for _, p := range pods {
		if _, err := t.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, raw, metav1.PatchOptions{FieldManager: "pullwarden"}); err != nil {
			return kubeError(cmd.ErrOrStderr(), err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "pod/%s retried\n", podName(p.Namespace+"/"+p.Name, ns == ""))
	}
	return nil
}
