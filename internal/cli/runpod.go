package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/agent"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/printer"
)

func newRunPodCmd(g *globals) *cobra.Command {
	a := &agentFlags{}
	var files []string
	cmd := &cobra.Command{
		Use:   "run-pod -f pod.yaml",
		Short: "Run one pod to completion with an in-process agent, showing its status live",
		Long: `Run one pod without a separate agent: start the agent in this process (with a
private containerd unless --containerd-address is given), apply the file (one
Pod, plus any Secrets, ServiceAccounts and Namespaces it needs), show the pod's
status as it changes, and stop when the pod succeeds or fails, or on Ctrl-C.
The pod and its containers are removed on the way out. Exit status: 0 when the
pod succeeded, 1 when it failed.`,
		Args: exactArgs(0, "none (use -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return &usageError{errors.New("must specify -f")}
			}
			if err := a.check(); err != nil {
				return err
			}
			docs, err := manifest.Read(files, cmd.InOrStdin())
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			var objs []manifest.Object
			var pod *corev1.Pod
			for _, d := range docs {
				if p, ok := d.Object.(*corev1.Pod); ok {
					if pod != nil {
						return &usageError{fmt.Errorf("%s: run-pod runs one pod; found a second, %q", d.Source, p.Name)}
					}
					pod = p
				}
				objs = append(objs, d.Object)
			}
			if pod == nil {
				return &usageError{errors.New("no Pod in the input")}
			}
			return runPod(cmd, g, a, objs, pod)
		},
	}
	a.register(cmd.Flags())
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file, directory or - for stdin")
	return cmd
}

func runPod(cmd *cobra.Command, g *globals, a *agentFlags, objs []manifest.Object, pod *corev1.Pod) error {
	ctx := cmd.Context()
	cfg := a.cfg
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "pw-run-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	cfg.Listen = filepath.Join(cfg.DataDir, "pullwarden.sock")
	cfg.Logger = g.logger(cmd.ErrOrStderr())
	ag, err := agent.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer ag.Close()
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan error, 1)
	go func() { ran <- ag.Run(runCtx) }()
	defer func() { stop(); <-ran }()

	if _, err := ag.Objects().Apply(ctx, objs...); err != nil {
		return kubeError(cmd.ErrOrStderr(), err)
	}
	ns := pod.Namespace
	if ns == "" {
		ns = "default"
	}
	phase, werr := watchPod(ctx, cmd, ag, ns, pod.Name)

	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := ag.DeletePod(cleanup, ns, pod.Name); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: removing pod %s: %v\n", pod.Name, err)
	}
	switch {
	case werr != nil:
		return werr
	case phase == corev1.PodSucceeded:
		return nil
	case phase == corev1.PodFailed:
		return &reportedError{fmt.Errorf("pod %s failed", pod.Name)}
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "interrupted: pod removed")
	return &reportedError{ctx.Err()}
}

// watchPod prints the pod's row on every change until it succeeds, fails
// or ctx ends, and returns its last phase.
func watchPod(ctx context.Context, cmd *cobra.Command, ag *agent.Agent, ns, name string) (corev1.PodPhase, error) {
	ch, err := ag.Objects().Watch(ctx, manifest.Pod, ns)
	if err != nil {
		return "", err
	}
	pw := printer.NewPodWatch(cmd.OutOrStdout(), printer.PodOptions{})
	last := ""
	for ev := range ch {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || p.Name != name {
			continue
		}
		if row := printer.PodStatus(p) + fmt.Sprint(p.Status.ContainerStatuses); row != last {
			last = row
			if err := pw.Print(time.Now(), *p); err != nil {
				return "", err
			}
		}
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			return p.Status.Phase, nil
		}
	}
	return "", nil
}
