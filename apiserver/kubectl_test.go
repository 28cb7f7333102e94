package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"github.com/pullwarden/pullwarden/clock"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/internal/testkube"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/printer"
)

// kubectlRunner runs the real kubectl against one kubeconfig.
type kubectlRunner struct {
	bin, kubeconfig, home string
}

func newKubectl(t *testing.T, kubeconfig string) *kubectlRunner {
	t.Helper()
	return &kubectlRunner{bin: testkube.Kubectl(t), kubeconfig: kubeconfig, home: t.TempDir()}
}

func (k *kubectlRunner) cmd(ctx context.Context, stdin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, k.bin, append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", filepath.Join(k.home, "cache")}, args...)...)
	cmd.Env = []string{"HOME=" + k.home, "TZ=UTC", "PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs kubectl and returns stdout and stderr; it fails t when kubectl
// exits with an error unless wantErr.
func (k *kubectlRunner) run(t *testing.T, stdin string, wantErr bool, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := k.cmd(ctx, stdin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	t.Logf("kubectl %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if (err != nil) != wantErr {
		t.Fatalf("kubectl %s: err %v (want error: %v)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, wantErr, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

const kubectlPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: 127.0.0.1:5000/app:1
`

// TestRealKubectl drives the real kubectl through the TLS listener and the
// kubeconfig: discovery, server-side tables (compared byte for byte with
// the printer the commands use), create secret (a protobuf body), apply
// (client-side with the last-applied annotation and a strategic merge
// patch, and server-side), describe, logs, get -w, delete and the API
// server's errors.
func TestRealKubectl(t *testing.T) {
	t.Parallel()
	now := time.Now().Add(time.Hour).Truncate(time.Second) // ages of 60m
	kubeconfig, pki, url, store := serveTLS(t, WithClock(clock.NewFake(now)))
	k := newKubectl(t, kubeconfig)
	ctx := t.Context()

	// Without the client certificate, with a wrong token: the API server's
	// 401, as kubectl says it. (With no credential at all kubectl would
	// prompt for a password.)
	anonymous := filepath.Join(t.TempDir(), "anonymous")
	cfg, err := (&PKI{CAPEM: pki.CAPEM}).Kubeconfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("user: {}"), []byte("user: {token: not-the-token}"), 1)
	if err := os.WriteFile(anonymous, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr := newKubectl(t, anonymous).run(t, "", true, "get", "pods"); !strings.Contains(stderr, "error: You must be logged in to the server (the server has asked for the client to provide credentials)") {
		t.Errorf("kubectl without a credential: %q", stderr)
	}

	_, stderr := k.run(t, "", false, "get", "pods")
	if strings.TrimSpace(stderr) != "No resources found in default namespace." {
		t.Errorf("empty get pods: %q", stderr)
	}
	out, _ := k.run(t, "", false, "create", "secret", "docker-registry", "regcred", "--docker-server=127.0.0.1:5000", "--docker-username=u", "--docker-password=p")
	if out != "secret/regcred created\n" {
		t.Errorf("create secret: %q", out)
	}
	sec, err := store.Get(ctx, manifest.Secret, "default", "regcred")
	if err != nil || sec.(*corev1.Secret).Type != corev1.SecretTypeDockerConfigJson {
		t.Fatalf("secret: %v %+v", err, sec)
	}

	for i, want := range []string{"pod/web created\n", "pod/web unchanged\n"} {
		if out, _ := k.run(t, kubectlPod, false, "apply", "-f", "-"); out != want {
			t.Errorf("apply %d: %q, want %q", i, out, want)
		}
	}
	if out, _ := k.run(t, strings.Replace(kubectlPod, "app:1", "app:2", 1), false, "apply", "-f", "-"); out != "pod/web configured\n" {
		t.Errorf("apply of a new image: %q", out)
	}
	obj, err := store.Get(ctx, manifest.Pod, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	pod := obj.(*corev1.Pod)
	if pod.Spec.Containers[0].Image != "127.0.0.1:5000/app:2" || !strings.Contains(pod.Annotations[corev1.LastAppliedConfigAnnotation], "app:2") {
		t.Errorf("applied pod: image %s, annotations %v", pod.Spec.Containers[0].Image, pod.Annotations)
	}
	withVolume := strings.NewReplacer("name: web", "name: vol", "app: web", "app: vol").Replace(kubectlPod) +
		"    volumeMounts: [{name: data, mountPath: /data}]\n  volumes: [{name: data, emptyDir: {}}]\n"
	if out, stderr := k.run(t, withVolume, false, "apply", "-f", "-"); out != "pod/vol created\n" ||
		!strings.Contains(stderr, "Warning: spec.volumes: not supported by the pullwarden agent: stored, but has no effect\n") ||
		!strings.Contains(stderr, "Warning: spec.containers[0].volumeMounts: not supported") {
		t.Errorf("apply of a pod with a volume: %q\n%s", out, stderr)
	}
	if out, _ := k.run(t, "", false, "delete", "pod", "vol"); out != `pod "vol" deleted from default namespace`+"\n" {
		t.Errorf("delete: %q", out)
	}
	ssa := strings.NewReplacer("name: web", "name: web2", "app: web", "app: web2").Replace(kubectlPod)
	if out, _ := k.run(t, ssa, false, "apply", "--server-side", "-f", "-"); out != "pod/web2 serverside-applied\n" {
		t.Errorf("server-side apply: %q", out)
	}

	// A status, so the table has more than Pending in it.
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP, pod.Status.PodIPs = "127.0.0.1", []corev1.PodIP{{IP: "127.0.0.1"}}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Ready: true, RestartCount: 2,
		State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-time.Minute))}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: metav1.NewTime(now.Add(-70 * time.Second))}}}}
	if err := store.UpdateStatus(ctx, pod); err != nil {
		t.Fatal(err)
	}
	pods, err := objectsOf[corev1.Pod](t, store, manifest.Pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, wide := range []bool{false, true} {
		args := []string{"get", "pods"}
		if wide {
			args = append(args, "-o", "wide")
		}
		got, _ := k.run(t, "", false, args...)
		var want bytes.Buffer
		if err := printer.Pods(&want, pods, printer.PodOptions{Wide: wide, Now: now}); err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Errorf("kubectl %v differs from pullwarden's table\nkubectl:\n%s\npullwarden:\n%s", args, got, want.String())
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "secrets"}, "NAME      TYPE                             DATA   AGE\nregcred   kubernetes.io/dockerconfigjson   1      "},
		{[]string{"get", "ns", "default"}, "NAME      STATUS   AGE\ndefault   Active   "},
		{[]string{"get", "po", "web2", "--show-labels"}, "LABELS"},
		{[]string{"get", "pods", "-l", "app=web2", "-o", "name"}, "pod/web2\n"},
		{[]string{"get", "pod", "web", "-o", "jsonpath={.spec.containers[0].image}"}, "127.0.0.1:5000/app:2"},
		{[]string{"describe", "pod", "web"}, "Name:             web\nNamespace:        default\n"},
		{[]string{"logs", "web"}, "hello\nworld\n"},
		{[]string{"logs", "-f", "web"}, "hello\nworld\n"},
		{[]string{"explain", "pod.spec.containers.image"}, "FIELD: image <string>"},
	} {
		got, _ := k.run(t, "", false, tc.args...)
		if !strings.Contains(got, tc.want) {
			t.Errorf("kubectl %v:\n%s\nwant it to contain %q", tc.args, got, tc.want)
		}
	}

	// The API server's errors, as kubectl shows them.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "pods", "nope"}, `Error from server (NotFound): pods "nope" not found`},
		{[]string{"get", "deployments"}, `error: the server doesn't have a resource type "deployments"`},
		{[]string{"apply", "-f", "-"}, `unknown field "spec.containers[0].imagee"`},
	} {
		stdin := ""
		if tc.args[0] == "apply" {
			stdin = strings.Replace(kubectlPod, "image:", "imagee:", 1)
		}
		_, stderr := k.run(t, stdin, true, tc.args...)
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("kubectl %v: stderr %q, want %q", tc.args, stderr, tc.want)
		}
	}

	// --validate=warn: the typo is dropped with the API server's warning.
	typo := strings.NewReplacer("name: web", "name: typo", "image:", "imagee: x\n    image:").Replace(kubectlPod)
	if out, stderr := k.run(t, typo, false, "apply", "--validate=warn", "-f", "-"); out != "pod/typo created\n" ||
		!strings.Contains(stderr, `Warning: unknown field "spec.containers[0].imagee"`) {
		t.Errorf("apply --validate=warn: %q %q", out, stderr)
	}

	// get -w: the table, then a line per change.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	watch := k.cmd(wctx, "", "get", "pods", "-w")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var watchErr bytes.Buffer
	watch.Stderr = &watchErr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("get -w ended: %s", watchErr.String())
			}
			return l
		case <-time.After(20 * time.Second):
			t.Fatalf("get -w printed nothing for 20 s: %s", watchErr.String())
		}
		return ""
	}
	for i := 0; i < 4; i++ { // header, typo, web, web2
		t.Logf("get -w: %s", next())
	}
	pod.Labels["tier"] = "front"
	if err := store.Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if l := next(); !strings.HasPrefix(l, "web ") {
		t.Errorf("get -w after an update: %q", l)
	}
	cancel()
	_ = watch.Wait()

	if out, _ := k.run(t, "", false, "delete", "pod", "web"); out != `pod "web" deleted from default namespace`+"\n" {
		t.Errorf("delete: %q", out)
	}
	if _, err := store.Get(ctx, manifest.Pod, "default", "web"); err == nil {
		t.Error("pod still there after kubectl delete")
	}
}

// objectsOf lists the objects of kind k in the default namespace as T.
func objectsOf[T any](t *testing.T, s interface {
	List(context.Context, manifest.Kind, string) ([]manifest.Object, string, error)
}, k manifest.Kind) ([]T, error) {
	t.Helper()
	items, _, err := s.List(t.Context(), k, "default")
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, o := range items {
		out = append(out, *any(o).(*T))
	}
	return out, nil
}
