package agent

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
)

// tlsAgent is an Agent with only its TCP listener opened (no containerd).
func tlsAgent(t *testing.T, dir, listen string) *Agent {
	t.Helper()
	a := &Agent{cfg: Config{DataDir: dir, ListenTCP: listen}.Defaults()}
	if err := a.listenTLS(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestTCPListenerAndKubeconfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := tlsAgent(t, dir, "")
	if !strings.HasPrefix(a.URL(), "https://127.0.0.1:") || a.Kubeconfig() != KubeconfigPath(dir) {
		t.Fatalf("URL %q kubeconfig %q", a.URL(), a.Kubeconfig())
	}
	if fi, err := os.Stat(a.Kubeconfig()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig: %v %v", fi, err)
	}
	if got := apiserver.KubeconfigServer(a.Kubeconfig()); got != a.URL() {
		t.Errorf("kubeconfig server %q, want %q", got, a.URL())
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- a.serveTLS(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`))
		}))
	}()
	c, err := apiserver.NewClientFromKubeconfig(a.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Errorf("list through the kubeconfig: %v", err)
	}
	resp, err := http.Get(a.URL() + "/api")
	if err == nil {
		resp.Body.Close()
		t.Error("a client without the agent's CA was served")
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serveTLS: %v", err)
	}
	port := a.URL()[strings.LastIndex(a.URL(), ":"):]
	a.Close()

	// auto reuses the previous run's port when it is free, so an exported
	// KUBECONFIG keeps working across restarts.
	again := tlsAgent(t, dir, ListenTCPAuto)
	if !strings.HasSuffix(again.URL(), port) {
		t.Errorf("restart on %s, want port %s", again.URL(), port)
	}
	// ... and picks another one when it is taken.
	other := tlsAgent(t, dir, ListenTCPAuto)
	if other.URL() == again.URL() {
		t.Errorf("two listeners on %s", other.URL())
	}
	if off := tlsAgent(t, t.TempDir(), ListenTCPNone); off.URL() != "" || off.Kubeconfig() != "" {
		t.Errorf("none: %q %q", off.URL(), off.Kubeconfig())
	}
}

func TestTCPListenerRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	a := &Agent{cfg: Config{DataDir: t.TempDir(), ListenTCP: "0.0.0.0:0"}.Defaults()}
	err := a.listenTLS()
	if err == nil {
		a.Close()
		t.Fatal("listening on 0.0.0.0 accepted")
	}
	if !strings.Contains(err.Error(), "--listen-tcp") {
		t.Errorf("error does not name the flag: %v", err)
	}
}
