package printer

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file runs the real kubectl (/usr/bin/kubectl, or $KUBECTL) against a
// minimal fake kube-apiserver on loopback. kubectl describe renders pods
// and events on the client, so it is compared live. kubectl get renders a
// metav1.Table that the apiserver computes; the tables served here were made
// by the apiserver's own printers (k8s.io/kubernetes pkg/printers, see
// TestRegenerateGolden) and are kept in testdata.

// kubectlPath returns the kubectl binary, or skips the test: $KUBECTL, or
// the v1.37.2 kubectl that scripts/kube.sh builds into its cache. (Not the
// distribution's /usr/bin/kubectl: its version is not the target's.)
func kubectlPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KUBECTL")
	if p == "" {
		cache := os.Getenv("PULLWARDEN_KUBE_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "pullwarden", "kube")
		}
		p = filepath.Join(cache, "v1.37.2", "bin", "kubectl")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("kubectl not available at %s", p)
	}
	return p
}

// fakeAPI serves pods and events the way kube-apiserver does, for kubectl.
type fakeAPI struct {
	pods       []corev1.Pod
	events     []corev1.Event
	podTable   *metav1.Table
	eventTable *metav1.Table
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/api":
		writeJSON(w, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
	case r.URL.Path == "/apis":
		writeJSON(w, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
	case r.URL.Path == "/api/v1":
		writeJSON(w, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1",
			APIResources: []metav1.APIResource{
				{Name: "pods", SingularName: "pod", Namespaced: true, Kind: "Pod", ShortNames: []string{"po"}, Verbs: []string{"get", "list", "watch"}},
				{Name: "events", SingularName: "event", Namespaced: true, Kind: "Event", ShortNames: []string{"ev"}, Verbs: []string{"get", "list", "watch"}},
			}})
	case len(parts) >= 3 && parts[0] == "api" && parts[1] == "v1":
		ns, rest := "", parts[2:]
		if rest[0] == "namespaces" && len(rest) >= 3 {
			ns, rest = rest[1], rest[2:]
		}
		f.serveResource(w, r, ns, rest)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) serveResource(w http.ResponseWriter, r *http.Request, ns string, rest []string) {
	wantTable := strings.Contains(r.Header.Get("Accept"), "as=Table")
	switch {
	case rest[0] == "pods" && len(rest) == 2:
		for _, p := range f.pods {
			if p.Namespace == ns && p.Name == rest[1] {
				writeJSON(w, p)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		writeJSON(w, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure", Reason: metav1.StatusReasonNotFound, Code: 404,
			Message: `pods "` + rest[1] + `" not found`})
	case rest[0] == "pods" && wantTable && f.podTable != nil:
		writeJSON(w, filterTable(f.podTable, ns))
	case rest[0] == "events" && wantTable && f.eventTable != nil:
		writeJSON(w, filterTable(f.eventTable, ns))
	case rest[0] == "events":
		name := ""
		for _, sel := range strings.Split(r.URL.Query().Get("fieldSelector"), ",") {
			if v, ok := strings.CutPrefix(sel, "involvedObject.name="); ok {
				name = v
			}
		}
		list := corev1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "v1"}}
		for _, e := range f.events {
			if (ns == "" || e.Namespace == ns) && (name == "" || e.InvolvedObject.Name == name) {
				list.Items = append(list.Items, e)
			}
		}
		writeJSON(w, list)
	default:
		http.NotFound(w, r)
	}
}

// filterTable keeps the rows of objects in namespace ns ("" keeps all).
func filterTable(t *metav1.Table, ns string) *metav1.Table {
	out := *t
	out.Rows = nil
	for _, row := range t.Rows {
		var m metav1.PartialObjectMetadata
		_ = json.Unmarshal(row.Object.Raw, &m)
		if ns == "" || m.Namespace == ns {
			out.Rows = append(out.Rows, row)
		}
	}
	return &out
}

// runKubectl runs kubectl with args against api and returns its stdout.
func runKubectl(t *testing.T, api http.Handler, args ...string) string {
	t.Helper()
	bin := kubectlPath(t)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "config")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: " + srv.URL +
		"\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\ncurrent-context: fake\nusers:\n- name: fake\n  user: {}\n"
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(dir, "cache")}, args...)...)
	cmd.Env = []string{"HOME=" + dir, "TZ=UTC", "PATH=/usr/bin:/bin"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

// shiftTimes returns a deep copy of v (marshalled as JSON) with every
// timestamp moved by d, so that ages measured from the wall clock by
// kubectl equal the ages measured from fixtureNow.
func shiftTimes[T any](t *testing.T, v T, d time.Duration) T {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				x[k] = walk(v)
			}
		case []any:
			for i, v := range x {
				x[i] = walk(v)
			}
		case string:
			layout := time.RFC3339
			if strings.Contains(x, ".") {
				layout = "2006-01-02T15:04:05.000000Z07:00"
			}
			if ts, err := time.Parse(layout, x); err == nil && len(x) >= 20 {
				return ts.Add(d).UTC().Format(layout)
			}
		}
		return x
	}
	raw, err = json.Marshal(walk(generic))
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// readTable loads a table made by TestRegenerateGolden.
func readTable(t *testing.T, name string) *metav1.Table {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Table metav1.Table `json:"table"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc.Table
}

// golden reads testdata/name.
func golden(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// diff reports the first differing line of want and got.
func diff(t *testing.T, what, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("%s: line %d differs\nwant %q\ngot  %q\n--- want\n%s--- got\n%s", what, i+1, w, g, want, got)
			return
		}
	}
}
