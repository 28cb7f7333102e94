//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testkube"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// kubectl runs the real kubectl against the agent's TCP listener through
// the kubeconfig serve wrote.
func (a *Agent) kubectl(t *testing.T, stdin string, args ...string) cmdResult {
	t.Helper()
	bin := testkube.Kubectl(t)
	home := filepath.Join(a.Dir, "kubectl-home")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", filepath.Join(a.Dir, "kubeconfig"), "--cache-dir", filepath.Join(home, "cache")}, args...)...)
	cmd.Env = []string{"HOME=" + home, "TZ=UTC", "PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cmdResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kubectl %v: %v", args, err)
	}
	return res
}

// ageRE matches an age cell: 5s, 2m3s, 10m, 3h4m, 2d, <invalid>, <unknown>.
var ageRE = regexp.MustCompile(`^(\d+[smhdy])+$|^<(invalid|unknown)>$`)

// withoutAges returns a table with every age cell replaced by "AGE" and
// runs of spaces collapsed (an age of another width moves the columns).
func withoutAges(table string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(table, "\n"), "\n") {
		fields := strings.Fields(line)
		for i, f := range fields {
			if ageRE.MatchString(f) {
				fields[i] = "AGE"
			}
		}
		out = append(out, strings.Join(fields, " "))
	}
	return strings.Join(out, "\n")
}

// TestKubectlChecklist walks the article's manual checklist with the real
// kubectl against the agent (TLS, the generated kubeconfig): create secret
// docker-registry for a registry with basic auth, apply -f of a pod using
// it, get pods, describe pod, get events, logs and delete; the tables equal
// pullwarden's own byte for byte except ages.
func TestKubectlChecklist(t *testing.T) {
	requireReal(t)
	testkube.Kubectl(t)
	b := startBase(t)
	a := startAgent(t, b.pauseRef)
	if fi, err := os.Stat(filepath.Join(a.Dir, "kubeconfig")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("DATA_DIR/kubeconfig: %v %v", fi, err)
	}

	_, busybox := testImages(t)
	reg := testregistry.Start(t, testregistry.WithHtpasswd("e2e", "s3cret-pw"))
	image := reg.Ref("private/app:1")
	testimage.Push(t, busybox, image, reg.Authenticator())

	res := a.kubectl(t, "", "create", "secret", "docker-registry", "regcred", "--docker-server="+reg.Host, "--docker-username=e2e", "--docker-password=s3cret-pw")
	if res.Code != 0 || res.Stdout != "secret/regcred created\n" {
		t.Fatalf("kubectl create secret docker-registry: %s", res)
	}
	pod := podManifest{Name: "web", Image: image, PullSecret: "regcred", Command: []string{"sh", "-c", "echo hello from web; exec sleep 3600"}}.YAML()
	if res := a.kubectl(t, pod, "apply", "-f", "-"); res.Code != 0 || res.Stdout != "pod/web created\n" {
		t.Fatalf("kubectl apply -f: %s", res)
	}
	a.WaitStatus(t, "web", "Running", 2*time.Minute)
	waitFor(t, 30*time.Second, "the container's log", func() bool {
		return a.kubectl(t, "", "logs", "web").Stdout == "hello from web\n"
	})
	if res := a.kubectl(t, pod, "apply", "-f", "-"); res.Code != 0 || res.Stdout != "pod/web unchanged\n" {
		t.Errorf("second kubectl apply -f: %s", res)
	}

	for _, args := range [][]string{{"get", "pods"}, {"get", "pods", "-o", "wide"}, {"get", "events"}} {
		kc := a.kubectl(t, "", args...)
		pw := a.CLIT(t, args...)
		if kc.Code != 0 || withoutAges(kc.Stdout) != withoutAges(pw.Stdout) {
			t.Errorf("%v differs:\nkubectl:\n%s\npullwarden:\n%s", args, kc, pw)
		}
	}
	desc := a.kubectl(t, "", "describe", "pod", "web")
	for _, want := range []string{"Name:             web\n", "Status:           Running\n", "Image:         " + image + "\n",
		"Successfully pulled image \"" + image + "\"", "Started"} {
		if !strings.Contains(desc.Stdout, want) {
			t.Errorf("kubectl describe pod web lacks %q:\n%s", want, desc)
		}
	}
	if res := a.kubectl(t, "", "get", "pods", "nope"); res.Code != 1 || res.Stderr != "Error from server (NotFound): pods \"nope\" not found\n" {
		t.Errorf("kubectl get pods nope: %s", res)
	}
	if res := a.kubectl(t, "", "delete", "pod", "web"); res.Code != 0 || res.Stdout != "pod \"web\" deleted from default namespace\n" {
		t.Errorf("kubectl delete pod web: %s", res)
	}
	if res := a.CLIT(t, "get", "pods"); res.Stdout != "" {
		t.Errorf("pods left after kubectl delete:\n%s", res)
	}

	// A field the agent does not implement: accepted, with the API server's
	// warning, printed by kubectl and by pullwarden apply alike.
	withVolume := podManifest{Name: "vol", Image: image, PullSecret: "regcred", Command: []string{"sleep", "3600"}}.YAML() +
		"  volumes: [{name: data, emptyDir: {}}]\n"
	const warning = "Warning: spec.volumes: not supported by the pullwarden agent: stored, but has no effect\n"
	if res := a.kubectl(t, withVolume, "apply", "-f", "-"); res.Code != 0 || res.Stdout != "pod/vol created\n" || !strings.Contains(res.Stderr, warning) {
		t.Errorf("kubectl apply of a pod with a volume: %s", res)
	}
	res = runBinary(t, time.Minute, a.env(), strings.Replace(withVolume, "name: vol", "name: vol2", 1), "apply", "-f", "-")
	if res.Code != 0 || !strings.Contains(res.Stderr, warning) {
		t.Errorf("pullwarden apply of a pod with a volume: %s", res)
	}
}
