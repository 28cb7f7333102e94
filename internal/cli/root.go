package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	envStoreDir = "PULLWARDEN_STORE"
)

// globals are the flags every command shares.
type globals struct {
	store    string
	logLevel string
	stdin    io.Reader
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	var reported *reportedError
	if errors.As(err, &reported) {
		return exitFailed
	}
	printFailure(stderr, err)
	var usage *usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitFailed
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "pullwarden",
		Short: "Reliable, explainable container image pulls for Kubernetes pods",
		Long: `pullwarden pulls container images the way the kubelet does (pull policies,
registry credentials, backoff, reasons) and explains every failure with a cause
a person can act on.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.PersistentFlags().StringVar(&g.store, "store", "", "image store directory (default $"+envStoreDir+", else $XDG_DATA_HOME/pullwarden/store)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		newPullCmd(g),
		newLoadCmd(g),
		newImagesCmd(g),
		newRmiCmd(g),
		newGCCmd(g),
		newCreateCmd(g),
		newAuthCmd(g),
		newServeCmd(g),
		newApplyCmd(g),
		newGetCmd(g),
		newDescribeCmd(g),
		newDeleteCmd(g),
		newLogsCmd(g),
		newRunPodCmd(g),
		newResetCmd(g),
		newExplainCmd(g), newCheckCmd(g),
		newRetryCmd(g),
		newControllerCmd(g), newNodeAgentCmd(g),
	)
	return root
}

func (g *globals) storeDir() string {
	if g.store != "" {
		return g.store
	}
	return ocilayout.DefaultDir()
}

// openStore opens the store for a command that reads it (images, rmi,
// gc): an explicit --store that does not exist is an error, not a new
// empty store.
func (g *globals) openStore() (*ocilayout.Store, error) {
	if g.store != "" {
		if _, err := os.Stat(g.store); err != nil {
			return nil, &usageError{fmt.Errorf("--store %s: %w (pull or load creates a store)", g.store, unwrapPathError(err))}
		}
	}
	return ocilayout.Open(g.storeDir())
}

// openStoreForWrite opens the store for a command that writes images into
// it (pull, load), creating it when needed.
func (g *globals) openStoreForWrite() (*ocilayout.Store, error) {
	return ocilayout.Open(g.storeDir())
}

func (g *globals) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// loggerFormat is logger with records as "text" or "json".
func (g *globals) loggerFormat(w io.Writer, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// reportedError is a failure the command has already printed.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// exitError ends the command with a given exit status and no message
// (run-pod exits with its container's exit code).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// printFailure prints an error as "reason: message" and its hint.
func printFailure(w io.Writer, err error) {
	var ce *cause.Error
	if errors.As(err, &ce) {
		fmt.Fprintf(w, "Error: %s: %s\n", ce.Cause.Reason(), ce.Message)
		if h := ce.Cause.Hint(); h != "" {
			fmt.Fprintf(w, "Hint: %s\n", h)
		}
		return
	}
	fmt.Fprintf(w, "Error: %v\n", err)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminalFd(f.Fd())
}
