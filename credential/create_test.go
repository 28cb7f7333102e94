package credential

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/pullwarden/pullwarden/internal/testkube"
	"github.com/pullwarden/pullwarden/printer"
)

// kubectl runs the real kubectl; it needs no cluster for --dry-run=client.
func kubectl(t *testing.T, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	bin := testkube.Kubectl(t)
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

func TestNewDockerRegistrySecretMatchesKubectl(t *testing.T) {
	t.Parallel()
	cfgFile := writeTemp(t, "config.json", `{"auths":{"r.example.com":{"auth":"`+b64("a:b")+`"}}}`)
	for _, tc := range []struct {
		name  string
		opts  DockerRegistryOptions
		flags []string
	}{
		{"all flags", DockerRegistryOptions{Name: "regcred", Server: "reg.example.com", Username: "u", Password: "p", Email: "e@x.org"},
			[]string{"regcred", "--docker-server=reg.example.com", "--docker-username=u", "--docker-password=p", "--docker-email=e@x.org"}},
		{"default server, no email", DockerRegistryOptions{Name: "hub", Username: "user", Password: "pass"},
			[]string{"hub", "--docker-username=user", "--docker-password=pass"}},
		{"namespace and odd characters", DockerRegistryOptions{Name: "odd", Namespace: "team-a", Server: "http://127.0.0.1:5000/v2/",
			Username: "ü:ser", Password: `p<&>"é:x`, Email: "a&b@example.com"},
			[]string{"odd", "-n", "team-a", "--docker-server=http://127.0.0.1:5000/v2/", "--docker-username=ü:ser", `--docker-password=p<&>"é:x`, "--docker-email=a&b@example.com"}},
		{"from file", DockerRegistryOptions{Name: "ff", FromFiles: map[string]string{".dockerconfigjson": cfgFile}},
			[]string{"ff", "--from-file=.dockerconfigjson=" + cfgFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewDockerRegistrySecret(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"yaml", "json"} {
				args := append([]string{"create", "secret", "docker-registry"}, tc.flags...)
				want, stderr, err := kubectl(t, append(args, "--dry-run=client", "-o", format)...)
				if err != nil {
					t.Fatalf("kubectl: %v: %s", err, stderr)
				}
				got, err := printer.Marshal(s, format)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("-o %s differs\n got: %s\nwant: %s", format, got, want)
				}
				var parsed corev1.Secret
				if err := yaml.Unmarshal(want, &parsed); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(&parsed, s) {
					t.Errorf("objects differ:\n got %#v\nwant %#v", s, &parsed)
				}
			}
		})
	}
}

func TestNewDockerRegistrySecretErrorsMatchKubectl(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  DockerRegistryOptions
		flags []string
	}{
		{"missing username", DockerRegistryOptions{Name: "x", Password: "p"}, []string{"x", "--docker-password=p"}},
		{"missing password", DockerRegistryOptions{Name: "x", Username: "u", Server: "r"}, []string{"x", "--docker-username=u", "--docker-server=r"}},
		{"unreadable file", DockerRegistryOptions{Name: "x", FromFiles: map[string]string{".dockerconfigjson": "/nonexistent/cfg"}},
			[]string{"x", "--from-file=.dockerconfigjson=/nonexistent/cfg"}},
		{"bad key", DockerRegistryOptions{Name: "x", FromFiles: map[string]string{"bad/key": "/dev/null"}},
			[]string{"x", "--from-file=bad/key=/dev/null"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewDockerRegistrySecret(tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			args := append([]string{"create", "secret", "docker-registry"}, tc.flags...)
			_, stderr, kerr := kubectl(t, append(args, "--dry-run=client", "-o", "yaml")...)
			var ee *exec.ExitError
			if !errors.As(kerr, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("kubectl did not fail with exit 1: %v", kerr)
			}
			if want := "error: " + err.Error() + "\n"; string(stderr) != want {
				t.Errorf("kubectl says %q, we say %q", stderr, want)
			}
		})
	}
	if _, err := NewDockerRegistrySecret(DockerRegistryOptions{Username: "u", Password: "p"}); err == nil {
		t.Error("no error for a missing name")
	}
}

func TestMarshalRejectsUnknownFormat(t *testing.T) {
	t.Parallel()
	if _, err := printer.Marshal(&corev1.Secret{}, "wide"); err == nil {
		t.Fatal("no error")
	}
}

func TestWriteFileIs0600AndAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "secret" {
		t.Errorf("content %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir"), nil); err == nil {
		t.Error("no error for a missing directory")
	}
}
