package workload_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/workload"
)

// front starts Debian's docker-registry with htpasswd behind the fault
// proxy, pushes team/app<i>:v1 for i < images, and returns the proxy and
// its host.
func front(t *testing.T, images int) (*faultproxy.Proxy, string) {
	t.Helper()
	reg := testregistry.Start(t, testregistry.WithHtpasswd("ci", "pw"))
	img := testimage.Random(t, 1, 256)
	for i := range images {
		testimage.Push(t, img, reg.Ref(fmt.Sprintf("team/app%d:v1", i)), reg.Authenticator())
	}
	p, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.Close)
	return p, strings.TrimPrefix(srv.URL, "http://")
}

const secretDoc = `apiVersion: v1
kind: Secret
metadata: {name: %s}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"%s": {"username": "ci", "password": "pw"}}}'
`

func deployment(name, image, secret string) string {
	pullSecrets := ""
	if secret != "" {
		pullSecrets = fmt.Sprintf("      imagePullSecrets: [{name: %s}]\n", secret)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  template:
    spec:
%s      containers: [{name: app, image: %s}]
`, name, pullSecrets, image)
}

func newChecker() *diagnose.Checker {
	return diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{}))})
}

func count(p *faultproxy.Proxy, method, pathPart string) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Method == method && strings.Contains(r.Path, pathPart) {
			n++
		}
	}
	return n
}

// TestCheckOneHeadPerImageAndCredential: N workloads sharing M images send
// one manifest HEAD per distinct (image, credential).
func TestCheckOneHeadPerImageAndCredential(t *testing.T) {
	const workloads, images = 120, 5
	p, host := front(t, images)
	var docs []string
	docs = append(docs, fmt.Sprintf(secretDoc, "regcred", host), fmt.Sprintf(secretDoc, "othercred", host),
		"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\nimagePullSecrets: [{name: regcred}]\n")
	for i := range workloads {
		secret := "regcred"
		if i%2 == 1 {
			secret = "" // the service account's regcred: the same credential
		}
		docs = append(docs, deployment(fmt.Sprintf("web%d", i), fmt.Sprintf("%s/team/app%d:v1", host, i%images), secret))
	}
	docs = append(docs, deployment("other", host+"/team/app0:v1", "othercred"), deployment("broken", host+"/team/app0:v2", "missingcred"))
	set := &workload.Set{}
	if err := set.Decode("test.yaml", []byte(strings.Join(docs, "---\n"))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := workload.Check(t.Context(), set, workload.CheckOptions{Checker: newChecker()})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	// images app0..app4 with regcred, app0 with othercred, app0:v2 anonymous.
	const wantChecks = images + 2
	heads := count(p, http.MethodHead, "/manifests/")
	t.Logf("%d workloads, %d images, %d distinct (image, credential): %d requests (%d HEAD, %d GET /v2/, %d tag lists) in %s",
		rep.Workloads, rep.Images, rep.Checks, len(p.Requests()), heads, count(p, http.MethodGet, "/v2/"), count(p, http.MethodGet, "/tags/list"), elapsed.Round(time.Millisecond))
	if rep.Checks != wantChecks || heads != wantChecks {
		t.Fatalf("checks %d, HEADs %d; want %d each", rep.Checks, heads, wantChecks)
	}
	if rep.Pullable || len(rep.Rows) != workloads+2 {
		t.Fatalf("pullable %v with %d rows", rep.Pullable, len(rep.Rows))
	}
	broken := rep.Rows[len(rep.Rows)-1]
	if broken.Result.Reason != "Unauthorized" || strings.Join(broken.MissingSecrets, ",") != "missingcred" || broken.Credential != "anonymous" ||
		!strings.Contains(broken.Result.Message, "missing secret(s): missingcred") {
		t.Fatalf("broken row: %+v", broken)
	}
	for _, r := range rep.Rows[:workloads+1] {
		if !r.Result.Pullable || !strings.HasPrefix(r.Credential, "secret default/") {
			t.Fatalf("row %s: pullable %v credential %q: %s", r.Workload, r.Result.Pullable, r.Credential, r.Result.Message)
		}
	}
}

// fakeTime is a clock whose Sleep advances it.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (f *fakeTime) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeTime) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

func (f *fakeTime) Sleep(_ context.Context, d time.Duration) error {
	f.mu.Lock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return nil
}

func TestCheckHonoursRetryAfter(t *testing.T) {
	p, host := front(t, 1)
	p.Add(faultproxy.Rule{Method: http.MethodHead, Path: `/manifests/`, Times: 1, Fault: faultproxy.Fault{
		Kind: faultproxy.Status, Code: http.StatusTooManyRequests, RetryAfter: "7"}})
	set := &workload.Set{}
	doc := fmt.Sprintf(secretDoc, "regcred", host) + "---\n" + deployment("web", host+"/team/app0:v1", "regcred")
	if err := set.Decode("test.yaml", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	ft := &fakeTime{now: time.Unix(1_800_000_000, 0)}
	rep, err := workload.Check(t.Context(), set, workload.CheckOptions{Checker: newChecker(), Sleep: ft.Sleep, Clock: ft})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pullable || len(ft.slept) != 1 || ft.slept[0] != 7*time.Second {
		t.Fatalf("pullable %v, waits %v; want pullable after one 7s wait (%s)", rep.Pullable, ft.slept, rep.Rows[0].Result.Message)
	}
	if heads := count(p, http.MethodHead, "/manifests/"); heads != 2 {
		t.Fatalf("%d HEADs, want 2 (the 429, then one after the wait)", heads)
	}
}
