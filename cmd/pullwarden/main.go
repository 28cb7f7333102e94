// Command pullwarden pulls container images for pods the way the kubelet
// does, explains every failure and retries in a way that fits its cause.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pullwarden/pullwarden/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	run := cli.Main
	if cli.IsPluginName(os.Args[0]) { // installed as kubectl-pullwarden
		run = cli.PluginMain
	}
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
