package apiserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// get does a GET with an Accept header and returns code, content type and
// body.
func get(t *testing.T, url, accept string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func TestNegotiation(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	pods := srv.URL + "/api/v1/namespaces/default/pods"

	// A protobuf body, as client-go's typed clients send it.
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}}}}
	var pb bytes.Buffer
	if err := protobufCodec.Encode(pod, &pb); err != nil {
		t.Fatal(err)
	}
	if code, _, body := do(t, "POST", pods, contentTypeKubeProtobuf, pb.Bytes()); code != 201 || !strings.Contains(string(body), `"image":"nginx:1"`) {
		t.Fatalf("protobuf create: %d %s", code, body)
	}
	if code, st, _ := do(t, "POST", pods, "application/cbor", []byte{0xa0}); code != 415 || st.Reason != metav1.StatusReasonUnsupportedMediaType {
		t.Errorf("cbor body: %d %+v", code, st)
	}

	tableAccept := "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
	code, ct, body := get(t, pods, tableAccept)
	var tbl metav1.Table
	if err := json.Unmarshal(body, &tbl); code != 200 || ct != "application/json" || err != nil || tbl.Kind != "Table" ||
		tbl.APIVersion != "meta.k8s.io/v1" || len(tbl.ColumnDefinitions) != 9 || len(tbl.Rows) != 1 || tbl.ResourceVersion == "" {
		t.Fatalf("table: %d %s %s", code, ct, body)
	}
	if got := tbl.Rows[0].Cells; len(got) != 9 || got[0] != "web" || got[1] != "0/1" || got[2] != "Pending" {
		t.Errorf("row cells: %v", got)
	}
	var meta metav1.PartialObjectMetadata
	if err := json.Unmarshal(tbl.Rows[0].Object.Raw, &meta); err != nil || meta.Kind != "PartialObjectMetadata" || meta.Name != "web" {
		t.Errorf("row object: %s", tbl.Rows[0].Object.Raw)
	}
	_, _, body = get(t, pods+"/web?includeObject=Object", tableAccept)
	if err := json.Unmarshal(body, &tbl); err != nil || len(tbl.Rows) != 1 || !strings.Contains(string(tbl.Rows[0].Object.Raw), `"kind":"Pod"`) {
		t.Errorf("one object with includeObject=Object: %s", body)
	}
	if code, _, _ := get(t, pods+"?includeObject=All", tableAccept); code != 400 {
		t.Errorf("bad includeObject: %d", code)
	}
	for _, accept := range []string{contentTypeKubeProtobuf, "application/cbor", "text/html"} {
		code, _, body := get(t, pods, accept)
		var st metav1.Status
		_ = json.Unmarshal(body, &st)
		if code != 406 || st.Reason != "NotAcceptable" {
			t.Errorf("Accept %s: %d %s", accept, code, body)
		}
	}
	if code, _, body := get(t, pods, contentTypeKubeProtobuf+",application/json"); code != 200 || !strings.Contains(string(body), `"kind":"PodList"`) {
		t.Errorf("protobuf then json: %d %s", code, body)
	}
	if code, ct, body := get(t, pods+"/web", "application/yaml"); code != 200 || ct != "application/yaml" || !strings.Contains(string(body), "kind: Pod\n") {
		t.Errorf("yaml: %d %s %s", code, ct, body)
	}

	discoveryAccept := "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
	code, ct, body = get(t, srv.URL+"/api", discoveryAccept)
	var disc apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(body, &disc); code != 200 || ct != contentTypeDiscovery || err != nil || len(disc.Items) != 1 || len(disc.Items[0].Versions[0].Resources) != 5 {
		t.Errorf("aggregated discovery: %d %s %s", code, ct, body)
	}
	if code, ct, body := get(t, srv.URL+"/api", "application/json"); code != 200 || ct != "application/json" || !strings.Contains(string(body), `"kind":"APIVersions"`) {
		t.Errorf("legacy discovery: %d %s %s", code, ct, body)
	}

	code, ct, body = get(t, srv.URL+"/openapi/v2", contentTypeOpenAPIv2Proto)
	var doc openapiv2.Document
	if err := proto.Unmarshal(body, &doc); code != 200 || ct != contentTypeOpenAPIv2Proto || err != nil || doc.Definitions == nil {
		t.Fatalf("openapi v2 protobuf: %d %s %v", code, ct, err)
	}
	found := false
	for _, d := range doc.Definitions.AdditionalProperties {
		found = found || d.Name == "io.k8s.api.core.v1.Pod"
	}
	if !found {
		t.Error("no io.k8s.api.core.v1.Pod schema in OpenAPI v2")
	}
	_, _, body = get(t, srv.URL+"/openapi/v3", "application/json")
	var index struct {
		Paths map[string]struct {
			URL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &index); err != nil || !strings.HasPrefix(index.Paths["api/v1"].URL, "/openapi/v3/api/v1?hash=") {
		t.Fatalf("openapi v3 index: %s", body)
	}
	code, _, body = get(t, srv.URL+index.Paths["api/v1"].URL, "application/json")
	var v3 struct {
		Components struct {
			Schemas map[string]runtime.RawExtension `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &v3); code != 200 || err != nil || v3.Components.Schemas["io.k8s.api.core.v1.Secret"].Raw == nil {
		t.Errorf("openapi v3 api/v1: %d %v", code, err)
	}

	for _, tc := range []struct{ path, want string }{
		{"/apis/apps/v1/namespaces/default/deployments", `"message":"the server could not find the requested resource"`},
		{"/api/v1/namespaces/default/deployments", `"message":"the server could not find the requested resource"`},
		{"/api/v1/namespaces/default/pods/web/exec", `"reason":"NotFound"`},
		{"/metrics", "404 page not found\n"},
	} {
		code, _, body := get(t, srv.URL+tc.path, "")
		if code != 404 || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s", tc.path, code, body)
		}
	}
	if code, st, _ := do(t, "DELETE", pods+"/web?dryRun=All", "", nil); code != 400 || !strings.Contains(st.Message, "dryRun") {
		t.Errorf("dry run: %d %+v", code, st)
	}
	if code, _, _ := get(t, pods+"/web", ""); code != 200 {
		t.Error("a dry-run delete deleted the pod")
	}
}

func TestWatchListAndTableWatch(t *testing.T) {
	t.Parallel()
	srv := rawServer(t)
	pods := srv.URL + "/api/v1/namespaces/default/pods"
	for _, name := range []string{"a", "b"} {
		if code, _, body := do(t, "POST", pods, "application/json", []byte(`{"metadata":{"name":"`+name+`"},"spec":{"containers":[{"name":"app","image":"x"}]}}`)); code != 201 {
			t.Fatalf("create: %s", body)
		}
	}
	// client-go's watch-list: the objects, then the bookmark ending them.
	_, _, body := get(t, pods+"?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1", "application/json")
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"ADDED"`) || !strings.Contains(lines[2], `"type":"BOOKMARK"`) ||
		!strings.Contains(lines[2], `"k8s.io/initial-events-end":"true"`) {
		t.Errorf("watch-list:\n%s", body)
	}
	// kubectl get -w: one-row tables, column definitions only in the first.
	_, _, body = get(t, pods+"?watch=1&timeoutSeconds=1", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	lines = strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"columnDefinitions":[{"name":"Name"`) || strings.Contains(lines[1], `"columnDefinitions":[{`) ||
		!strings.Contains(lines[1], `"kind":"Table"`) || !strings.Contains(lines[1], `"cells":["b"`) {
		t.Errorf("table watch:\n%s", body)
	}
}
