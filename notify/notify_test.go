package notify_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/notify"
)

// collector gathers pushes and signals each.
type collector struct {
	mu     sync.Mutex
	pushes []notify.Push
	ch     chan notify.Push
}

func newCollector() *collector { return &collector{ch: make(chan notify.Push, 64)} }

func (c *collector) OnPush(p notify.Push) {
	c.mu.Lock()
	c.pushes = append(c.pushes, p)
	c.mu.Unlock()
	c.ch <- p
}

// Debian's docker-registry, configured with notifications.endpoints at the
// handler and a bearer token in the endpoint's headers, announces a push:
// the callback gets the registry host, repository, tag and digest.
func TestRealRegistryAnnouncesPushes(t *testing.T) {
	t.Parallel()
	c := newCollector()
	srv := httptest.NewServer(notify.Mux(notify.Options{OnPush: c.OnPush, Token: "s3cret"}))
	defer srv.Close()
	reg := testregistry.Start(t, testregistry.WithNotifications(srv.URL+notify.Path,
		http.Header{"Authorization": {"Bearer s3cret"}}))
	if reg == nil {
		return
	}
	img, err := testimage.NewRandom(2, 512)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"v2", "latest"} {
		d, err := testimage.Write(t.Context(), img, reg.Ref("team/app:"+tag), nil)
		if err != nil {
			t.Fatal(err)
		}
		p := waitPush(t, c, tag)
		if p.Host != reg.Host || p.Repository != "team/app" || p.Digest != d.String() ||
			!strings.Contains(p.MediaType, "manifest") || p.Time.IsZero() {
			t.Fatalf("push of %s: %+v, want host %s, team/app, %s", tag, p, reg.Host, d)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pushes {
		if p.Tag != "v2" && p.Tag != "latest" {
			t.Errorf("unexpected push %+v (blobs must not be reported)", p)
		}
	}
}

func waitPush(t *testing.T, c *collector, tag string) notify.Push {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case p := <-c.ch:
			if p.Tag == tag {
				return p
			}
		case <-timeout:
			t.Fatalf("no notification for tag %s within 20s", tag)
		}
	}
}

// Requests that are not a registry's envelope are refused and call nothing.
func TestHandlerRefuses(t *testing.T) {
	t.Parallel()
	env, err := os.ReadFile("testdata/envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	h := notify.Handler(notify.Options{OnPush: c.OnPush, Token: "tok", MaxBody: 4096})
	for _, tc := range []struct {
		name, method, ctype, auth, body string
		want                            int
	}{
		{"GET", "GET", notify.MediaType, "Bearer tok", "", 405},
		{"PUT", "PUT", notify.MediaType, "Bearer tok", string(env), 405},
		{"no token", "POST", notify.MediaType, "", string(env), 401},
		{"wrong token", "POST", notify.MediaType, "Bearer to", string(env), 401},
		{"basic auth", "POST", notify.MediaType, "Basic dG9r", string(env), 401},
		{"text", "POST", "text/plain", "Bearer tok", string(env), 415},
		{"too large", "POST", notify.MediaType, "Bearer tok", string(env) + strings.Repeat(" ", 4096), 413},
		{"not JSON", "POST", notify.MediaType, "Bearer tok", "{events", 400},
		{"no repository", "POST", notify.MediaType, "Bearer tok", `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json"}}]}`, 400},
		{"bad digest", "POST", notify.MediaType, "Bearer tok", `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"a","digest":"sha256"}}]}`, 400},
	} {
		req := httptest.NewRequest(tc.method, notify.Path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, rec.Code, tc.want, rec.Body)
		}
	}
	if len(c.pushes) != 0 {
		t.Fatalf("refused requests called OnPush: %+v", c.pushes)
	}
	req := httptest.NewRequest("POST", notify.Path, strings.NewReader(string(env)))
	req.Header.Set("Content-Type", notify.MediaType+"; charset=utf-8")
	req.Header.Set("Authorization", "bearer tok")
	rec := httptest.NewRecorder()
	notify.Handler(notify.Options{OnPush: c.OnPush, Token: "tok", Host: "registry.example"}).ServeHTTP(rec, req)
	if rec.Code != 200 || len(c.pushes) != 1 || c.pushes[0].Host != "registry.example" || c.pushes[0].Tag != "v2" {
		t.Fatalf("valid envelope: %d, pushes %+v", rec.Code, c.pushes)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	env, _ := os.ReadFile("testdata/envelope.json")
	ps, err := notify.Parse(env)
	if err != nil || len(ps) != 1 {
		t.Fatalf("%+v %v, want the manifest push only", ps, err)
	}
	if p := ps[0]; p.Host != "127.0.0.1:5000" || p.Repository != "team/app" || p.Tag != "v2" ||
		p.Digest != "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf" {
		t.Fatalf("%+v", p)
	}
	for body, want := range map[string]int{
		`{"events":[{"action":"pull","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"a"}}]}`:          0,
		`{"events":[{"action":"delete","target":{"repository":"a","digest":"sha256:ab"}}]}`:                                            0,
		`{"events":[{"action":"push","target":{"mediaType":"application/x-new","repository":"a","url":"http://r/v2/a/manifests/t"}}]}`: 1,
		`{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json","repository":"a"}}]}`:             1,
		`{}`: 0,
	} {
		ps, err := notify.Parse([]byte(body))
		if err != nil || len(ps) != want {
			t.Errorf("%s: %d pushes (%v), want %d", body, len(ps), err, want)
		}
	}
}

// FuzzParse: any input gives pushes with a repository and a well-formed
// digest or none, or an error; never a panic.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := notify.Parse(data)
		if err != nil {
			if len(ps) != 0 {
				t.Fatal("pushes returned with an error")
			}
			return
		}
		for _, p := range ps {
			if p.Repository == "" {
				t.Fatalf("push without repository: %+v", p)
			}
			if p.Digest != "" && !strings.Contains(p.Digest, ":") {
				t.Fatalf("malformed digest accepted: %+v", p)
			}
		}
	})
}
