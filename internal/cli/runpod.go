package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/agent"
	"github.com/pullwarden/pullwarden/manifest"
)

func newRunPodCmd(g *globals) *cobra.Command {
	a := &agentFlags{}
	var files []string
	cmd := &cobra.Command{
		Use:   "run-pod -f pod.yaml",
		Short: "Run one pod to completion with an in-process agent, showing its status live",
		Long: `Run one pod without a separate agent: start the agent in this process (with a
private containerd unless --containerd-address is given), apply the file (one
Pod, plus any Secrets, ServiceAccounts and Namespaces it needs) and show the pod
as it runs: its status row when it changes, each container's waiting message
when it changes (why a pull failed), the pod's events as they arrive, and the
containers' output (as kubectl run --attach; prefixed with [CONTAINER] when
the pod has several). Stop when the pod succeeds or fails, or on Ctrl-C. The pod
and its containers are removed on the way out. Exit status: 0 when the pod
succeeded, else the exit code of the first container that failed (1 when none
has one, or on Ctrl-C).`,
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
	v := newPodView(cmd.OutOrStdout(), ag, ns, pod)
	final, werr := v.watch(ctx)
	v.wait()

	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := ag.DeletePod(cleanup, ns, pod.Name); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: removing pod %s: %v\n", pod.Name, err)
	}
	switch {
	case werr != nil:
		return werr
	case final == nil:
		fmt.Fprintln(cmd.ErrOrStderr(), "interrupted: pod removed")
		return &reportedError{ctx.Err()}
	}
	if code := exitCode(final); code != 0 {
		return &exitError{code: code, err: fmt.Errorf("pod %s %s", pod.Name, strings.ToLower(string(final.Status.Phase)))}
	}
	return nil
}

// exitCode is what run-pod exits with for a finished pod, as kubectl run
// --attach: the exit code of the first container that failed (init
// containers first), 0 when the pod succeeded, 1 for a pod that failed
// without one.
func exitCode(p *corev1.Pod) int {
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				return int(t.ExitCode)
			}
		}
	}
	if p.Status.Phase == corev1.PodSucceeded {
		return 0
	}
	return 1
}
