package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/manifest"
)

const labelled = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web, tier: front}}
spec:
  containers: [{name: app, image: 127.0.0.1:5000/web:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, labels: {app: db}}
spec:
  containers: [{name: app, image: 127.0.0.1:5000/db:1}]
---
apiVersion: v1
kind: Secret
metadata: {name: regcred, labels: {team: a}}
type: kubernetes.io/dockerconfigjson
data: {.dockerconfigjson: e30=}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
imagePullSecrets: [{name: regcred}]
`

// The get and delete flags a kubectl user reaches for, with kubectl's
// output.
func TestGetAndDeleteFlags(t *testing.T) {
	s, server := apiFixture(t)
	file := filepath.Join(t.TempDir(), "objs.yaml")
	if err := os.WriteFile(file, []byte(labelled), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, e, code := run(t, "apply", "-f", file, server); code != 0 {
		t.Fatalf("apply: %s", e)
	}
	ctx := t.Context()
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.1", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web"},
		Reason:         "Pulling", Message: "Pulling image", Type: "Normal", Count: 1,
		FirstTimestamp: metav1.NewTime(time.Now()), LastTimestamp: metav1.NewTime(time.Now()),
	}
	ev2 := ev.DeepCopy()
	ev2.Name, ev2.Reason = "db.1", "Failed"
	for _, e := range []*corev1.Event{ev, ev2} {
		if err := s.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string // lines, each a prefix of the line
	}{
		{[]string{"get", "pods", "-o", "name"}, []string{"pod/db", "pod/web"}},
		{[]string{"get", "pods", "-l", "app=web", "-o", "name"}, []string{"pod/web"}},
		{[]string{"get", "pods", "--field-selector", "metadata.name!=web", "-o", "name"}, []string{"pod/db"}},
		{[]string{"get", "pods", "--show-labels"}, []string{"NAME   READY   STATUS    RESTARTS   AGE   LABELS", "db     0/1     Pending   0          ", "web    0/1     Pending   0          "}},
		{[]string{"get", "secrets"}, []string{"NAME      TYPE                             DATA   AGE", "regcred   kubernetes.io/dockerconfigjson   1      "}},
		{[]string{"get", "sa", "builder"}, []string{"NAME      SECRETS   AGE", "builder   0         "}},
		{[]string{"get", "namespaces", "-o", "name"}, []string{"namespace/default"}},
		{[]string{"get", "events", "db.1", "-o", "name"}, []string{"event/db.1"}},
		{[]string{"get", "secrets", "--show-labels", "--no-headers"}, []string{"regcred   kubernetes.io/dockerconfigjson   1     "}},
	} {
		out, errOut, code := run(t, append(tc.args, server)...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) != len(tc.want) {
			t.Errorf("%v: exit %d, %q %q; want %d lines", tc.args, code, out, errOut, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("%v: line %d %q, want prefix %q", tc.args, i, lines[i], w)
			}
		}
	}
	if out, _, _ := run(t, "get", "pods", "--show-labels", server); !strings.Contains(out, "app=web,tier=front") {
		t.Errorf("--show-labels lacks the sorted labels:\n%s", out)
	}
	if out, _, code := run(t, "get", "pods", "-o", "jsonpath={.items[*].metadata.name}", server); code != 0 || out != "db web" {
		t.Errorf("jsonpath on a list: %d %q", code, out)
	}
	if out, _, code := run(t, "get", "pod", "web", "-o", "jsonpath={.spec.containers[0].image}", server); code != 0 || out != "127.0.0.1:5000/web:1" {
		t.Errorf("jsonpath on one: %d %q", code, out)
	}
	if _, errOut, code := run(t, "get", "events", "nope", server); code != 1 || errOut != "Error from server (NotFound): events \"nope\" not found\n" {
		t.Errorf("get events NAME missing: %d %q", code, errOut)
	}

	// delete -f deletes what the file names; delete --all the rest.
	out, errOut, code := run(t, "delete", "-f", file, server)
	want := "pod \"web\" deleted from default namespace\npod \"db\" deleted from default namespace\nsecret \"regcred\" deleted from default namespace\nserviceaccount \"builder\" deleted from default namespace\n"
	if code != 0 || out != want {
		t.Fatalf("delete -f: %d\n%s\n%s", code, out, errOut)
	}
	if out, _, code := run(t, "delete", "pods", "--all", server); code != 0 || out != "No resources found\n" {
		t.Errorf("delete --all of nothing: %d %q", code, out)
	}
	if _, e, code := run(t, "apply", "-f", file, server); code != 0 {
		t.Fatalf("apply: %s", e)
	}
	if out, _, code := run(t, "delete", "pods", "--all", "--grace-period=0", server); code != 0 ||
		out != "pod \"db\" force deleted from default namespace\npod \"web\" force deleted from default namespace\n" {
		t.Errorf("delete --all: %d %q", code, out)
	}
	if pods, _, _ := s.List(ctx, manifest.Pod, ""); len(pods) != 0 {
		t.Errorf("%d pods left after delete --all", len(pods))
	}
	if _, errOut, code := run(t, "delete", "-f", file, server); code != 1 || !strings.Contains(errOut, `Error from server (NotFound): error when deleting "`+file+`": pods "web" not found`) {
		t.Errorf("delete -f of deleted objects: %d %q", code, errOut)
	}
}
