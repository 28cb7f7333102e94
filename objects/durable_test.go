package objects

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestReopenKeepsObjectsAndVersions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := newPod("default", "p", "a")
	if err := s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.PutState("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path)
	got, err := GetAs[*corev1.Pod](ctx, s, "default", "p")
	if err != nil || got.UID != p.UID {
		t.Fatalf("after reopen: %v", err)
	}
	if v, ok, _ := s.GetState("k"); !ok || string(v) != "v" {
		t.Error("state lost")
	}
	q := newPod("default", "q", "a")
	if err := s.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	if rv(t, q) <= rv(t, p) {
		t.Errorf("resourceVersion went back after reopen: %s then %s", p.ResourceVersion, q.ResourceVersion)
	}
}

func TestOpenErrorsNameTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	junk := []byte(strings.Repeat("not a bbolt database ", 2000))
	if err := os.WriteFile(corrupt, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.db")
	if err := os.WriteFile(truncated, []byte{1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.db")
	holder := open(t, locked)
	_ = holder
	for _, tc := range []struct{ path, want string }{
		{corrupt, "corrupt or unreadable"},
		{truncated, "corrupt or unreadable"},
		{dir, "is a directory"},
		{locked, "locked by another process"},
	} {
		_, err := Open(tc.path, WithLockTimeout(50*time.Millisecond))
		if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
}

// TestKillDuringWrites re-runs this test binary as a writer that prints
// "ack N" after each acknowledged Create, kills it with SIGKILL in the middle
// of the stream, and checks that the database opens with every acknowledged
// object in it.
func TestKillDuringWrites(t *testing.T) {
	if path := os.Getenv("PULLWARDEN_OBJECTS_WRITER"); path != "" {
		runWriter(path)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
	cmd.Env = append(os.Environ(), "PULLWARDEN_OBJECTS_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked, _ = strconv.Atoi(n)
			if acked == 40 {
				break
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 40 {
		t.Fatalf("writer acknowledged only %d writes", acked)
	}
	s := open(t, path)
	pods, err := ListAs[*corev1.Pod](t.Context(), s, "default")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range pods {
		have[p.Name] = true
	}
	for i := 0; i <= acked; i++ {
		if !have[fmt.Sprintf("p%d", i)] {
			t.Errorf("acknowledged pod p%d lost", i)
		}
	}
	// The store still takes writes.
	if err := s.Create(t.Context(), newPod("default", "after", "a")); err != nil {
		t.Fatal(err)
	}
}

func runWriter(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: "default"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
		if err := s.Create(bgctx, p); err != nil {
			fmt.Println("create:", err)
			os.Exit(1)
		}
		if i%2 == 0 {
			p.Status.Phase = corev1.PodRunning
			if err := s.UpdateStatus(bgctx, p); err != nil {
				os.Exit(1)
			}
		}
		fmt.Printf("ack %d\n", i)
	}
}
