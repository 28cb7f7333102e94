package ocilayout

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// The multi-process tests re-execute the test binary as a helper process
// that runs one action named by helperEnv on the store in helperDirEnv.
const (
	helperEnv    = "PULLWARDEN_OCILAYOUT_HELPER"
	helperDirEnv = "PULLWARDEN_OCILAYOUT_DIR"
	helperArgEnv = "PULLWARDEN_OCILAYOUT_ARG"
)

// sharedBlob is content both processes can produce.
func sharedBlob() []byte {
	return bytes.Repeat([]byte("pullwarden shared blob content\n"), 4000)
}

func TestHelperProcess(t *testing.T) {
	action := os.Getenv(helperEnv)
	if action == "" {
		t.Skip("only runs as a helper process")
	}
	if err := helperMain(action); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func helperMain(action string) error {
	ctx := context.Background()
	s, err := Open(os.Getenv(helperDirEnv), WithPollInterval(time.Millisecond))
	if err != nil {
		return err
	}
	data := sharedBlob()
	d := storetest.Descriptor(types.OCILayer, data)
	half := len(data) / 2
	switch action {
	case "hold-ingest": // write half, report, wait for a line, finish and commit
		w, err := s.Writer(ctx, d)
		if err != nil {
			return err
		}
		if _, err := w.Write(data[:half]); err != nil {
			return err
		}
		fmt.Println("holding")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		if _, err := w.Write(data[half:]); err != nil {
			return err
		}
		if err := w.Commit(ctx); err != nil {
			return err
		}
		return w.Close()
	case "write-half-close", "write-half-crash":
		w, err := s.Writer(ctx, d)
		if err != nil {
			return err
		}
		if _, err := w.Write(data[:half]); err != nil {
			return err
		}
		if action == "write-half-crash" {
			os.Exit(0) // no Close: no saved digest state
		}
		return w.Close()
	case "put-images":
		target, err := storetest.WriteBlob(ctx, s, types.OCIManifestSchema1, []byte(`{"schemaVersion":2}`))
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(os.Getenv(helperArgEnv + "_N"))
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("docker.io/library/%s%02d:1", os.Getenv(helperArgEnv), i)
			if err := s.PutImage(ctx, store.Image{Name: name, Target: target}); err != nil {
				return err
			}
		}
		return nil
	}
	if action == "drill" {
		return writeDrillImages(ctx, s)
	}
	if action == "read-only" {
		return checkReadOnlyStore(ctx, s, 1)
	}
	return fmt.Errorf("unknown action %q", action)
}

func helper(t *testing.T, dir, action string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+action, helperDirEnv+"="+dir)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestProcessIngestLock: a writer in another process holds the blob; this
// process's writer waits, and gets ErrAlreadyExists once the other commits.
func TestProcessIngestLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openTest(t, dir)
	cmd := helper(t, dir, "hold-ingest")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "holding\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	d := storetest.Descriptor(types.OCILayer, sharedBlob())

	short, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if w, err := s.Writer(short, d); !errors.Is(err, context.DeadlineExceeded) {
		if w != nil {
			w.Close()
		}
		t.Fatalf("Writer while another process holds the blob = %v, want DeadlineExceeded", err)
	}

	got := make(chan error, 1)
	go func() {
		w, err := s.Writer(t.Context(), d)
		if err == nil {
			w.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Writer returned while another process holds the blob: %v", err)
	default:
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if err := <-got; !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Writer after the other process committed = %v, want ErrAlreadyExists", err)
	}
	if _, err := s.Info(t.Context(), d.Digest); err != nil {
		t.Fatalf("Info: %v", err)
	}
}

// TestProcessResume: another process wrote half a blob and closed its
// writer (digest state saved) or died (state lost); this process resumes.
func TestProcessResume(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"write-half-close", "write-half-crash"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := helper(t, dir, action).Run(); err != nil {
				t.Fatalf("helper: %v", err)
			}
			data := sharedBlob()
			d := storetest.Descriptor(types.OCILayer, data)
			_, stateErr := os.Stat(ingestFile(dir, d, ingestState))
			if saved := stateErr == nil; saved != (action == "write-half-close") {
				t.Fatalf("digest state saved = %v after %s", saved, action)
			}
			s := openTest(t, dir)
			w, err := s.Writer(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if w.Offset() != int64(len(data)/2) {
				t.Fatalf("Offset = %d, want %d", w.Offset(), len(data)/2)
			}
			if _, err := w.Write(data[len(data)/2:]); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(t.Context()); err != nil {
				t.Fatalf("Commit after resume: %v", err)
			}
		})
	}
}

// TestProcessPutImage: two processes record names at once; none is lost.
func TestProcessPutImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openTest(t, dir)
	const n = 15
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, prefix := range []string{"a", "b"} {
		cmd := helper(t, dir, "put-images", helperArgEnv+"="+prefix, helperArgEnv+"_N="+strconv.Itoa(n))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = cmd.Run()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	imgs, err := openTest(t, dir).Images(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2*n {
		t.Fatalf("%d images after two processes recorded %d each", len(imgs), n)
	}
}
