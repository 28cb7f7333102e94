package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// watchWriter is a buffer that cancels when it has seen a string.
type watchWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	want   string
	cancel func()
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if w.want != "" && strings.Contains(w.buf.String(), w.want) {
		w.cancel()
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// runPodDir is a short data dir for run-pod's private containerd, cleaned
// up with anything left under it.
func runPodDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pwrp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testcontainerd.KillShims(t, cri.PathsFor(filepath.Join(dir, "containerd")).Socket)
		testcontainerd.UnmountUnder(t, dir)
		os.RemoveAll(dir)
	})
	return dir
}

// run-pod shows why a pull fails (the waiting message with its cause, the
// events), the container's output, and exits with its exit code.
func TestRunPodShowsWhyAndOutput(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for containerd")
	}
	reg := testregistry.Start(t)
	pause, busybox := reg.Ref("pullwarden/pause:1"), reg.Ref("pullwarden/busybox:1")
	testimage.Push(t, testimage.Pause(t), pause, nil)
	testimage.Push(t, testimage.Busybox(t), busybox, nil)
	dir := t.TempDir()

	exits := filepath.Join(dir, "exits.yaml")
	if err := os.WriteFile(exits, []byte(`apiVersion: v1
kind: Pod
metadata: {name: exits}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: `+busybox+`
    command: ["sh", "-c", "echo hello from app; exit 3"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"run-pod", "-f", exits, "--pause-image", pause, "--data-dir", runPodDir(t)}, strings.NewReader(""), &out, &errOut)
	if code != 3 {
		t.Errorf("exit code %d, want the container's 3\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"hello from app\n", "event: Normal Pulled spec.containers{app}: ", "exits   0/1     Error"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	missing := filepath.Join(dir, "missing.yaml")
	if err := os.WriteFile(missing, []byte(`apiVersion: v1
kind: Pod
metadata: {name: missing}
spec:
  initContainers:
  - name: init
    image: `+reg.Ref("pullwarden/busybox:nope")+`
  containers:
  - name: app
    image: `+busybox+`
`), 0o600); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer wcancel()
	w := &watchWriter{want: `container "init" waiting: ErrImagePull: TagNotFound: `, cancel: wcancel}
	errOut.Reset()
	code = Main(wctx, []string{"run-pod", "-f", missing, "--pause-image", pause, "--data-dir", runPodDir(t)}, strings.NewReader(""), w, &errOut)
	got := w.String()
	if !strings.Contains(got, w.want) {
		t.Fatalf("run-pod never showed the pull's cause (exit %d):\n%s\n%s", code, got, errOut.String())
	}
	if !strings.Contains(got, "event: Warning Failed spec.initContainers{init}: Failed to pull image ") {
		t.Errorf("no Failed event in the output:\n%s", got)
	}
	if code != 1 {
		t.Errorf("interrupted run-pod exit code %d, want 1", code)
	}
}
