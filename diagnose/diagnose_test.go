package diagnose_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/registry"
)

const user, pass = "ci", "s3cret-pass"

// privateRegistry is Debian's docker-registry with htpasswd, holding
// app:v2.0, app:v1.9 and app:latest.
func privateRegistry(t *testing.T) *testregistry.Registry {
	t.Helper()
	reg := testregistry.Start(t, testregistry.WithHtpasswd(user, pass))
	img := testimage.Random(t, 1, 512)
	for _, tag := range []string{"v2.0", "v1.9", "latest"} {
		testimage.Push(t, img, reg.Ref("team/app:"+tag), reg.Authenticator())
	}
	return reg
}

func secret(t *testing.T, name, server, u, p string) credential.Keyring {
	t.Helper()
	s, err := credential.NewDockerRegistrySecret(credential.DockerRegistryOptions{Name: name, Namespace: "default", Server: server, Username: u, Password: p})
	if err != nil {
		t.Fatal(err)
	}
	ring, warns := credential.FromSecrets([]corev1.Secret{*s})
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	return ring
}

func checker() *diagnose.Checker {
	return diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{}))})
}

// expectFailure asserts the first failed step and its reason.
func expectFailure(t *testing.T, res diagnose.Result, step, reason string) {
	t.Helper()
	f := res.FailedStep()
	if f == nil {
		t.Fatalf("no failed step; want %s %s: %+v", step, reason, res)
	}
	if f.Name != step || f.Reason != reason || res.Pullable || res.Reason != reason {
		t.Fatalf("failed step %s (%s: %s), pullable %v; want %s %s", f.Name, f.Reason, f.Evidence, res.Pullable, step, reason)
	}
	if f.Hint == "" {
		t.Fatalf("failed step %s has no hint", f.Name)
	}
}

func TestCheckArticleCauses(t *testing.T) {
	reg := privateRegistry(t)
	good := secret(t, "regcred", reg.Host, user, pass)
	bad := secret(t, "oldcred", reg.Host, user, "expired")
	cases := []struct {
		name, image  string
		ring         credential.Keyring
		step, reason string
		evidence     string
	}{
		{"typo in the reference", reg.Ref("team/App:v2.0"), good, diagnose.StepReference, "InvalidImageName", "must be lowercase"},
		{"typo in the repository", reg.Ref("team/apq:v2.0"), good, diagnose.StepRepository, "RepositoryNotFound", "team/apq"},
		{"missing credentials", reg.Ref("team/app:v2.0"), nil, diagnose.StepAuth, "Unauthorized", "requires credentials and none matches"},
		{"wrong credentials", reg.Ref("team/app:v2.0"), bad, diagnose.StepAuth, "Unauthorized", `secret default/oldcred`},
		{"missing tag", reg.Ref("team/app:v2"), good, diagnose.StepManifest, "TagNotFound", "nearest existing tags: v2.0, v1.9"},
		{"registry unreachable", "127.0.0.1:1/team/app:v2.0", good, diagnose.StepTCP, "RegistryUnreachable", "refused"},
	}
	c := checker()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Check(t.Context(), diagnose.Request{Image: tc.image, Keyring: tc.ring})
			expectFailure(t, res, tc.step, tc.reason)
			if ev := res.FailedStep().Evidence; !strings.Contains(ev, tc.evidence) {
				t.Errorf("evidence %q lacks %q", ev, tc.evidence)
			}
			if strings.Contains(strings.Join(stepsText(res), "\n"), pass) || strings.Contains(res.Message, "expired") {
				t.Fatal("a password appears in the result")
			}
		})
	}
	t.Run("pullable", func(t *testing.T) {
		res := c.Check(t.Context(), diagnose.Request{Image: reg.Ref("team/app:v2.0"), Keyring: credential.Union(bad, good)})
		if !res.Pullable || res.FailedStep() != nil {
			t.Fatalf("not pullable: %+v", res)
		}
		if res.Credential != `secret default/regcred (.dockerconfigjson) entry "`+reg.Host+`"` {
			t.Errorf("credential %q", res.Credential)
		}
		if ev := res.Step(diagnose.StepAuth).Evidence; !strings.Contains(ev, "refused before it: secret default/oldcred") {
			t.Errorf("auth evidence %q", ev)
		}
		if !strings.HasPrefix(res.Digest, "sha256:") {
			t.Errorf("digest %q", res.Digest)
		}
	})
}

func stepsText(res diagnose.Result) []string {
	var out []string
	for _, s := range res.Steps {
		out = append(out, s.Evidence)
	}
	return out
}

func TestCheckUnresolvableHost(t *testing.T) {
	c := diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{})),
		Resolver: resolverFunc(func(context.Context, string) ([]string, error) {
			return nil, errors.New("no such host")
		})})
	res := c.Check(t.Context(), diagnose.Request{Image: "registry.invalid/team/app:v1"})
	expectFailure(t, res, diagnose.StepDNS, "RegistryUnreachable")
	if s := res.Step(diagnose.StepManifest); s.Status != diagnose.Skipped {
		t.Errorf("manifest step %s after a DNS failure", s.Status)
	}
}

type resolverFunc func(ctx context.Context, host string) ([]string, error)

func (f resolverFunc) LookupHost(ctx context.Context, host string) ([]string, error) {
	return f(ctx, host)
}

// proxied puts the fault proxy in front of an in-process registry holding
// app:v1 and returns the proxy and the host to use.
func proxied(t *testing.T, wrap func(http.Handler) http.Handler) (*faultproxy.Proxy, string, *testregistry.Registry) {
	t.Helper()
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v1"), reg.Authenticator())
	p, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = p
	if wrap != nil {
		h = wrap(p)
	}
	front := httptest.NewServer(h)
	t.Cleanup(front.Close)
	t.Cleanup(p.Close)
	return p, strings.TrimPrefix(front.URL, "http://"), reg
}

func TestCheckRateLimited(t *testing.T) {
	p, host, _ := proxied(t, nil)
	p.Add(faultproxy.Rule{Method: http.MethodHead, Path: `/manifests/`, Fault: faultproxy.Fault{
		Kind: faultproxy.Status, Code: http.StatusTooManyRequests, RetryAfter: "30",
		Body: `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`}})
	res := checker().Check(t.Context(), diagnose.Request{Image: host + "/team/app:v1"})
	expectFailure(t, res, diagnose.StepRateLimit, "RateLimited")
	if res.RetryAfter != 30 || !strings.HasSuffix(res.Message, "asked to retry after 30s") {
		t.Errorf("retryAfter %v, message %q", res.RetryAfter, res.Message)
	}
	heads := 0
	for _, r := range p.Requests() {
		if r.Method == http.MethodHead {
			heads++
		}
	}
	if heads != 1 {
		t.Errorf("%d HEADs, want 1: a diagnosis does not wait out a Retry-After", heads)
	}
}

func TestCheckRateLimitHeadroom(t *testing.T) {
	remaining := "76;w=21600"
	_, host, _ := proxied(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("RateLimit-Limit", "100;w=21600")
			w.Header().Set("RateLimit-Remaining", remaining)
			h.ServeHTTP(w, r)
		})
	})
	c := checker()
	res := c.Check(t.Context(), diagnose.Request{Image: host + "/team/app:v1"})
	if s := res.Step(diagnose.StepRateLimit); s.Status != diagnose.Passed || !strings.Contains(s.Evidence, "76 of 100 pulls left in the 6h0m0s window") {
		t.Fatalf("rate-limit step %+v", s)
	}
	remaining = "0;w=21600"
	res = c.Check(t.Context(), diagnose.Request{Image: host + "/team/app:v1"})
	expectFailure(t, res, diagnose.StepRateLimit, "RateLimited")
}

func TestCheckPlatform(t *testing.T) {
	_, host, reg := proxied(t, nil)
	idx := testimage.Index(t, map[string]v1.Image{
		"linux/s390x": testimage.Random(t, 1, 128, testimage.WithPlatform(v1.Platform{OS: "linux", Architecture: "s390x"})),
	})
	testimage.Push(t, idx, reg.Ref("team/multi:v1"), reg.Authenticator())
	c := checker()
	res := c.Check(t.Context(), diagnose.Request{Image: host + "/team/multi:v1", Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}})
	expectFailure(t, res, diagnose.StepPlatform, "PlatformNotFound")
	res = c.Check(t.Context(), diagnose.Request{Image: host + "/team/multi:v1", Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}})
	if !res.Pullable || res.Step(diagnose.StepPlatform).Status != diagnose.Passed {
		t.Fatalf("s390x: %+v", res.Step(diagnose.StepPlatform))
	}
}

func TestCheckPolicyAndKubelet(t *testing.T) {
	no, yes := false, true
	c := checker()
	res := c.Check(t.Context(), diagnose.Request{Image: "127.0.0.1:1/app:v1", Policy: "Never", Present: &no,
		Kubelet: &diagnose.KubeletState{Waiting: "ErrImageNeverPull"}})
	expectFailure(t, res, diagnose.StepPolicy, "ErrImageNeverPull")
	if s := res.Step(diagnose.StepNext); !strings.Contains(s.Evidence, "does not retry until the pod's spec changes") {
		t.Errorf("next: %q", s.Evidence)
	}
	res = c.Check(t.Context(), diagnose.Request{Image: "127.0.0.1:1/app:v1", Policy: "Never", Present: &yes})
	if !res.Pullable {
		t.Errorf("Never + present: %+v", res)
	}
}

func TestNearest(t *testing.T) {
	got := diagnose.Nearest("v2", []string{"latest", "v1.9", "v2.0", "v3"}, 3)
	if want := []string{"v2.0", "v3", "v1.9"}; !slices.Equal(got, want) {
		t.Fatalf("Nearest = %v, want %v", got, want)
	}
	if got := diagnose.Nearest("abc", []string{"xyz"}, 3); len(got) != 0 {
		t.Fatalf("unrelated tag suggested: %v", got)
	}
}

func TestWindow(t *testing.T) {
	for n, want := range map[int]string{1: "10s", 2: "20s", 4: "1m20s", 6: "5m0s", 20: "5m0s"} {
		if got := diagnose.Window(n).String(); got != want {
			t.Errorf("Window(%d) = %s, want %s", n, got, want)
		}
	}
	_ = metav1.Now
}
