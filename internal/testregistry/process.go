package testregistry

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds how long start waits for GET /v2/ to answer.
	readyTimeout = 15 * time.Second
	// readyPoll is the pause between readiness probes.
	readyPoll = 20 * time.Millisecond
	// stopTimeout bounds the wait after SIGTERM before SIGKILL.
	stopTimeout = 10 * time.Second
)

var errAddrInUse = errors.New("address already in use")

// external is a docker-registry child process.
type external struct {
	bin, configPath, logPath, addr string

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait returned
}

func (b *external) running() bool { return b.cmd != nil }

func (b *external) start() error {
	logf, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child keeps its own descriptor
	fmt.Fprintf(logf, "=== testregistry: starting %s serve %s on %s at %s\n",
		b.bin, b.configPath, b.addr, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(b.bin, "serve", b.configPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	b.cmd, b.done = cmd, done
	if err := b.waitReady(); err != nil {
		if b.running() {
			_ = b.stop()
		}
		return err
	}
	return nil
}

// waitReady polls GET /v2/ until any HTTP answer, the process exits, or the
// deadline passes.
func (b *external) waitReady() error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	url := "http://" + b.addr + "/v2/"
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		select {
		case <-b.done:
			b.cmd, b.done = nil, nil
			if strings.Contains(Tail(b.logPath, 20), "address already in use") {
				return fmt.Errorf("docker-registry exited: %w", errAddrInUse)
			}
			return errors.New("docker-registry exited before answering (see its log)")
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-b.done:
			// handled at the top of the loop
		case <-deadline.C:
			return fmt.Errorf("docker-registry did not answer %s within %v", url, readyTimeout)
		case <-time.After(readyPoll):
		}
	}
}

// stop sends SIGTERM, then SIGKILL after stopTimeout, and waits for exit.
func (b *external) stop() error {
	cmd, done := b.cmd, b.done
	b.cmd, b.done = nil, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := cmd.Process.Kill(); err != nil {
		return err
	}
	<-done
	return nil
}
