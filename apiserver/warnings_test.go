package apiserver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestWarningsForUnsupportedFields(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	pods := srv.URL + "/api/v1/namespaces/default/pods"
	body := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"v"},"spec":{"volumes":[{"name":"d","emptyDir":{}}],` +
		`"containers":[{"name":"app","image":"a","readinessProbe":{"exec":{"command":["true"]}}}]}}`)
	want := []string{
		`299 - "spec.volumes: not supported by the pullwarden agent: stored, but has no effect"`,
		`299 - "spec.containers[0].readinessProbe: not supported by the pullwarden agent: stored, but has no effect"`,
	}
	send := func(method, url, ctype string, body []byte) http.Header {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", method, url, resp.StatusCode)
		}
		return resp.Header
	}
	for _, tc := range []struct {
		name, method, url, ctype string
		body                     []byte
		want                     []string
	}{
		{"create", "POST", pods, "application/json", body, want},
		{"apply", "PATCH", pods + "/v", "application/apply-patch+yaml", body, want},
		{"strategic merge patch", "PATCH", pods + "/v", "application/strategic-merge-patch+json", []byte(`{"metadata":{"labels":{"a":"b"}}}`), want},
		{"status", "PATCH", pods + "/v/status", "application/merge-patch+json", []byte(`{"status":{"phase":"Running"}}`), nil},
		{"plain pod", "POST", pods, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain"},"spec":{"containers":[{"name":"app","image":"a"}]}}`), nil},
	} {
		got := send(tc.method, tc.url, tc.ctype, tc.body).Values("Warning")
		if len(got) != len(tc.want) {
			t.Errorf("%s: warnings %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: warning %d: %q, want %q", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestFieldValidation(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	pods := srv.URL + "/api/v1/namespaces/default/pods"
	body := func(name string) []byte {
		return []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"app","image":"a","imagee":"b"}]}}`)
	}
	for _, tc := range []struct {
		query   string
		code    int
		warning string
	}{
		{"", 400, ""},
		{"?fieldValidation=Strict", 400, ""},
		{"?fieldValidation=Ignore", 201, ""},
		{"?fieldValidation=Warn", 201, `299 - "unknown field \"spec.containers[0].imagee\""`},
		{"?fieldValidation=Maybe", 400, ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", pods+tc.query, bytes.NewReader(body("p"+strings.ToLower(strings.TrimPrefix(tc.query, "?fieldValidation=")))))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code || resp.Header.Get("Warning") != tc.warning {
			t.Errorf("%q: %d %q, want %d %q", tc.query, resp.StatusCode, resp.Header.Get("Warning"), tc.code, tc.warning)
		}
	}
}

// A JSON patch that makes the patch library panic gets a 422, and the
// server keeps serving.
func TestJSONPatchThatPanicsTheLibrary(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	pods := srv.URL + "/api/v1/namespaces/default/pods"
	if code, _, body := do(t, "POST", pods, "application/json", []byte(`{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"a"}]}}`)); code != 201 {
		t.Fatalf("create: %s", body)
	}
	code, st, body := do(t, "PATCH", pods+"/p", "application/json-patch+json", []byte(`[{"op":"replace","path":""}]`))
	if code != 422 || st.Kind != "Status" {
		t.Errorf("patch: %d %s", code, body)
	}
	if code, _, _ := do(t, "GET", pods+"/p", "", nil); code != 200 {
		t.Errorf("after the patch: %d", code)
	}
}
