package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// textLogs is a LogSource holding fixed log text per container.
type textLogs map[string]string

func (l textLogs) Logs(_ context.Context, ns, pod, container string, _ bool, w io.Writer) error {
	_, err := io.WriteString(w, l[ns+"/"+pod+"/"+container])
	return err
}

// serveUnix runs the API on a unix socket and returns a client for it.
func serveUnix(t *testing.T) (*Client, *objects.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir)
	sock := DefaultSocket(dir)
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, l, New(s, WithLogs(textLogs{"default/web/app": "hello\nworld\n"})))
	c, err := NewClient(sock)
	if err != nil {
		t.Fatal(err)
	}
	return c, s, sock
}

// openStore opens an object store in dir, closed when t ends.
func openStore(t *testing.T, dir string) *objects.Store {
	t.Helper()
	s, err := objects.Open(filepath.Join(dir, "objects.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// serveOn serves h on l until t ends.
func serveOn(t *testing.T, l net.Listener, h http.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func webPod(images ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}}
	names := []string{"app", "side"}
	for i, img := range images {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: names[i], Image: img})
	}
	return p
}

func TestClientGoOverUnixSocket(t *testing.T) {
	t.Parallel()
	c, _, sock := serveUnix(t)
	ctx := t.Context()
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	pods := c.CoreV1().Pods("default")

	w, err := pods.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	created, err := pods.Create(ctx, webPod("nginx"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.UID == "" || created.Spec.Containers[0].ImagePullPolicy != corev1.PullAlways || created.Status.Phase != corev1.PodPending {
		t.Errorf("created: %+v", created)
	}
	_, err = pods.Create(ctx, webPod("nginx"), metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		t.Errorf("duplicate create: %v", err)
	}
	list, err := pods.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.ResourceVersion == "" {
		t.Fatalf("list: %v %+v", err, list)
	}
	all, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "app=none"})
	if err != nil || len(all.Items) != 0 {
		t.Errorf("selector list: %v %d", err, len(all.Items))
	}

	upd := created.DeepCopy()
	upd.Spec.Containers[0].Image = "nginx:2"
	if _, err := pods.Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	stale := created.DeepCopy()
	stale.Spec.Containers[0].Image = "nginx:3"
	_, err = pods.Update(ctx, stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `Operation cannot be fulfilled on pods "web": the object has been modified`) {
		t.Errorf("stale update: %v", err)
	}
	st := upd.DeepCopy()
	st.ResourceVersion = ""
	st.Status.Phase = corev1.PodRunning
	if got, err := pods.UpdateStatus(ctx, st, metav1.UpdateOptions{}); err != nil || got.Status.Phase != corev1.PodRunning {
		t.Errorf("update status: %v", err)
	}

	var buf bytes.Buffer
	if err := c.Logs(ctx, "default", "web", "", false, &buf); err != nil || buf.String() != "hello\nworld\n" {
		t.Errorf("logs: %q %v", buf.String(), err)
	}

	if err := pods.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = pods.Get(ctx, "web", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), `pods "web" not found`) {
		t.Errorf("get after delete: %v", err)
	}

	for _, want := range []watch.EventType{watch.Added, watch.Modified, watch.Modified, watch.Deleted} {
		e, ok := <-w.ResultChan()
		if !ok {
			t.Fatal("watch closed")
		}
		p, isPod := e.Object.(*corev1.Pod)
		if e.Type != want || !isPod || p.Name != "web" {
			t.Errorf("watch: got %s %T, want %s", e.Type, e.Object, want)
		}
	}
}

func TestClientApply(t *testing.T) {
	t.Parallel()
	c, _, _ := serveUnix(t)
	ctx := t.Context()
	docs, err := manifest.Decode("app.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team}\nspec:\n  containers: [{name: app, image: 'nginx:1'}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for round, want := range []string{"created,created", "unchanged,unchanged"} {
		var got []string
		for _, d := range docs {
			_, action, err := c.Apply(ctx, d.Object)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			got = append(got, string(action))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("round %d: %v, want %s", round, got, want)
		}
	}
	docs[1].Object.(*corev1.Pod).Spec.Containers[0].Image = "nginx:2"
	out, action, err := c.Apply(ctx, docs[1].Object)
	if err != nil || action != objects.Configured || out.(*corev1.Pod).Spec.Containers[0].Image != "nginx:2" {
		t.Errorf("configured: %v %s", err, action)
	}
	objs, rv, err := c.List(ctx, manifest.Pod, "")
	if err != nil || len(objs) != 1 || rv == "" {
		t.Errorf("List: %v %d %q", err, len(objs), rv)
	}
	if _, err := c.Delete(ctx, manifest.Namespace, "", "team"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, manifest.Pod, "team", "web"); !apierrors.IsNotFound(err) {
		t.Errorf("pod after namespace delete: %v", err)
	}
}

// rawServer runs the handler under httptest for byte-level checks.
func rawServer(t *testing.T) *httptest.Server {
	t.Helper()
	s, err := objects.Open(filepath.Join(t.TempDir(), "objects.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(s, WithLogs(textLogs{})))
	t.Cleanup(func() { srv.Close(); s.Close() })
	return srv
}

func do(t *testing.T, method, url, ctype string, body []byte) (int, metav1.Status, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var st metav1.Status
	_ = json.Unmarshal(data, &st)
	return resp.StatusCode, st, data
}

func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	pods := srv.URL + "/api/v1/namespaces/default/pods"
	podJSON := func(spec string) []byte {
		return []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":` + spec + `}`)
	}
	if code, _, _ := do(t, "POST", pods, "application/json", podJSON(`{"containers":[{"name":"app","image":"a"},{"name":"side","image":"b"}]}`)); code != 201 {
		t.Fatalf("create: %d", code)
	}
	tests := []struct {
		name, method, url, ctype string
		body                     []byte
		code                     int
		reason                   metav1.StatusReason
		message                  string
		field                    string
	}{
		{"not found", "GET", pods + "/nope", "", nil, 404, metav1.StatusReasonNotFound, `pods "nope" not found`, ""},
		{"already exists", "POST", pods, "application/json", podJSON(`{"containers":[{"name":"a","image":"a"}]}`), 409, metav1.StatusReasonAlreadyExists, `pods "x" already exists`, ""},
		{"no containers", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"},"spec":{}}`), 422, metav1.StatusReasonInvalid, `Pod "y" is invalid: spec.containers: Required value`, "spec.containers"},
		{"duplicate name", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"},"spec":{"containers":[{"name":"app","image":"a"},{"name":"app","image":"b"}]}}`), 422, metav1.StatusReasonInvalid, `spec.containers[1].name: Duplicate value: "app"`, "spec.containers[1].name"},
		{"bad policy", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"},"spec":{"containers":[{"name":"app","image":"a","imagePullPolicy":"Sometimes"}]}}`), 422, metav1.StatusReasonInvalid, `Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`, "spec.containers[0].imagePullPolicy"},
		{"bad name", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"app","image":"a"}]}}`), 422, metav1.StatusReasonInvalid, `metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain`, "metadata.name"},
		{"unknown field", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"},"spec":{"containers":[{"name":"app","imagee":"a"}]}}`), 400, metav1.StatusReasonBadRequest, `strict decoding error: unknown field "spec.containers[0].imagee"`, ""},
		{"wrong kind", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"y"}}`), 400, metav1.StatusReasonBadRequest, `cannot be handled as a Pod`, ""},
		{"namespace mismatch", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y","namespace":"other"},"spec":{"containers":[{"name":"a","image":"a"}]}}`), 400, metav1.StatusReasonBadRequest, `the namespace of the provided object does not match`, ""},
		{"missing namespace", "POST", srv.URL + "/api/v1/namespaces/ghost/secrets", "application/json", []byte(`{"metadata":{"name":"s"}}`), 404, metav1.StatusReasonNotFound, `namespaces "ghost" not found`, ""},
		{"stale update", "PUT", pods + "/x", "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","resourceVersion":"1"},"spec":{"containers":[{"name":"app","image":"a"},{"name":"side","image":"b"}]}}`), 409, metav1.StatusReasonConflict, `Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again`, ""},
		{"name mismatch", "PUT", pods + "/x", "application/json", []byte(`{"metadata":{"name":"z"}}`), 400, metav1.StatusReasonBadRequest, `the name of the object (z) does not match the name on the URL (x)`, ""},
		{"too large", "POST", pods, "application/json", bytes.Repeat([]byte(" "), manifest.MaxBytes+1), 413, metav1.StatusReasonRequestEntityTooLarge, "limit is 3145728", ""},
		{"bad patch type", "PATCH", pods + "/x", "application/json", []byte(`{}`), 415, metav1.StatusReasonUnsupportedMediaType, "unknown format", ""},
		{"log needs a container", "GET", pods + "/x/log", "", nil, 400, metav1.StatusReasonBadRequest, "a container name must be specified for pod x, choose one of: [app side]", ""},
		{"log of unknown container", "GET", pods + "/x/log?container=nope", "", nil, 400, metav1.StatusReasonBadRequest, "container nope is not valid for pod x", ""},
		{"bad selector", "GET", pods + "?labelSelector=a%3D%3D%3Db", "", nil, 400, metav1.StatusReasonBadRequest, "", ""},
		{"unknown resource", "GET", srv.URL + "/api/v1/namespaces/default/deployments", "", nil, 404, metav1.StatusReasonNotFound, "", ""},
		{"delete default namespace", "DELETE", srv.URL + "/api/v1/namespaces/default", "", nil, 403, metav1.StatusReasonForbidden, `namespaces "default" is forbidden`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, st, raw := do(t, tc.method, tc.url, tc.ctype, tc.body)
			if code != tc.code || st.Reason != tc.reason || st.Kind != "Status" || int(st.Code) != tc.code || !strings.Contains(st.Message, tc.message) {
				t.Fatalf("got %d %s\n%s", code, st.Reason, raw)
			}
			if tc.field != "" {
				found := false
				for _, c := range st.Details.Causes {
					found = found || c.Field == tc.field
				}
				if !found {
					t.Errorf("no cause for %s in %s", tc.field, raw)
				}
			}
		})
	}
}

func TestRawWatchStreamAndMisc(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/secrets?watch=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if code, _, raw := do(t, "POST", srv.URL+"/api/v1/namespaces/default/secrets", "application/json", []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"k":"v"}}`)); code != 201 {
		t.Fatalf("create secret: %s", raw)
	}
	line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Type   string        `json:"type"`
		Object corev1.Secret `json:"object"`
	}
	if err := json.Unmarshal(line, &ev); err != nil || ev.Type != "ADDED" || ev.Object.Kind != "Secret" || string(ev.Object.Data["k"]) != "v" {
		t.Errorf("watch line %s: %v", line, err)
	}

	code, _, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/secrets", "", nil)
	var list corev1.SecretList
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || list.Kind != "SecretList" || list.APIVersion != "v1" || list.ResourceVersion == "" || len(list.Items) != 1 {
		t.Errorf("list: %d %s", code, body)
	}
	code, _, body = do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/secrets/s", "", nil)
	if code != 200 || !strings.Contains(string(body), `"kind":"Secret"`) {
		t.Errorf("delete: %d %s", code, body)
	}
	// A too old resourceVersion: an ERROR event with the 410 Status.
	code, _, body = do(t, "GET", srv.URL+"/api/v1/pods?watch=1&resourceVersion=1", "", nil)
	if code != 200 || !strings.Contains(string(body), `"type":"ERROR"`) || !strings.Contains(string(body), `"code":410`) {
		t.Errorf("expired watch: %d %s", code, body)
	}
	if code, _, body := do(t, "GET", srv.URL+"/healthz", "", nil); code != 200 || string(body) != "ok" {
		t.Errorf("healthz: %d %s", code, body)
	}
	if code, _, body := do(t, "GET", srv.URL+"/version", "", nil); code != 200 || !strings.Contains(string(body), `"gitVersion":"`+DefaultVersion+`"`) {
		t.Errorf("version: %d %s", code, body)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:80", "tcp://192.168.1.1:1"} {
		if l, err := Listen(addr); err == nil {
			l.Close()
			t.Errorf("%s accepted", addr)
		}
	}
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	c, err := NewClient(fmt.Sprintf("http://%s", l.Addr()))
	if err != nil || c.Config.Host == "" {
		t.Errorf("client for URL: %v", err)
	}
}
