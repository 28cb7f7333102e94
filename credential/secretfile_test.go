package credential

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadSecretFiles(t *testing.T) {
	t.Parallel()
	cfg := `{"auths":{"reg.example.com":{"username":"u","password":"` + pw + `"}}}`
	multi := writeTemp(t, "multi.yaml", `# leading comment
---
apiVersion: v1
kind: Secret
metadata:
  name: one
  namespace: team
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: `+b64(cfg)+`
---
# an empty document
---
apiVersion: v1
kind: Secret
metadata: {name: two}
type: kubernetes.io/dockercfg
data:
  .dockercfg: `+b64(`{"other.example.com":{"auth":"`+b64("x:y")+`"}}`)+`
stringData:
  extra: plain
---
`)
	asJSON := writeTemp(t, "s.json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"three"},
"type":"kubernetes.io/dockerconfigjson","stringData":{".dockerconfigjson":`+jsonString(cfg)+`}}`)
	list := writeTemp(t, "list.yaml", `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: four}
  type: kubernetes.io/dockerconfigjson
  data: {.dockerconfigjson: `+b64(cfg)+`}
`)
	secretList := writeTemp(t, "slist.json", `{"apiVersion":"v1","kind":"SecretList","items":[{"metadata":{"name":"five"},"type":"Opaque"}]}`)
	got, _, err := ReadSecretFiles([]string{multi, asJSON, list, secretList})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Namespace+"/"+s.Name)
	}
	if strings.Join(names, ",") != "team/one,/two,/three,/four,/five" {
		t.Fatalf("names %v", names)
	}
	if string(got[1].Data["extra"]) != "plain" || got[1].StringData != nil {
		t.Errorf("stringData not merged: %+v", got[1])
	}
	if string(got[2].Data[".dockerconfigjson"]) != cfg {
		t.Errorf("stringData-only secret: %q", got[2].Data)
	}
	kr, warns := FromSecrets(got)
	if len(warns) != 1 || warns[0].Source != "secret five" {
		t.Errorf("warnings %v, want one for the Opaque secret", warns)
	}
	if n := len(kr.Lookup("reg.example.com/app")); n != 3 {
		t.Errorf("%d credentials for reg.example.com, want 3", n)
	}
	if c := kr.Lookup("other.example.com/app"); len(c) != 1 || c[0].Username != "x" {
		t.Errorf("dockercfg secret: %v", c)
	}
}

func jsonString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func TestReadSecretFilesErrors(t *testing.T) {
	t.Parallel()
	okDoc := "apiVersion: v1\nkind: Secret\nmetadata: {name: ok}\n"
	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"not a secret", okDoc + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
			[]string{"document 2", `kind "ConfigMap" is not a Secret`}},
		{"no kind", "foo: bar\n", []string{"document 1", "no kind"}},
		{"wrong apiVersion", "apiVersion: v2\nkind: Secret\n", []string{"document 1", `apiVersion "v2"`}},
		{"not YAML", "a: [\n", []string{"document 1", "not valid YAML or JSON"}},
		{"bad JSON", `{"apiVersion":"v1","kind":"Secret","data":{"k":"` + pw + `"}`, []string{"document 1", "not valid YAML or JSON"}},
		{"list with a pod", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod}\n", []string{"item 1", `kind "Pod" is not a Secret`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, "f.yaml", tc.content)
			_, _, err := ReadSecretFiles([]string{p})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range append(tc.want, p) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, pw) {
				t.Errorf("error reveals the secret: %q", msg)
			}
		})
	}
}

func TestReadSecretFilesUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing.yaml"), dir} {
		_, _, err := ReadSecretFiles([]string{p})
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("ReadSecretFiles(%q) error %v, want one naming the file", p, err)
		}
	}
}

// TestReadSecretFilesSharesTheManifestReader: a Secret file is read by the
// same multi-document reader as apply -f, so a stream of JSON objects (as
// kubectl get -o json prints them one after another) holds two secrets, and
// the document count skips blank documents as apply's does.
func TestReadSecretFilesSharesTheManifestReader(t *testing.T) {
	t.Parallel()
	one := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"one"},"stringData":{"k":"v"}}`
	two := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"two"},"stringData":{"k":"v"}}`
	p := writeTemp(t, "stream.json", one+"\n"+two+"\n")
	got, _, err := ReadSecretFiles([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "one" || got[1].Name != "two" {
		t.Fatalf("read %d secrets from a JSON stream: %+v", len(got), got)
	}
	p = writeTemp(t, "blank.yaml", "# only a comment\n---\n---\napiVersion: v1\nkind: ConfigMap\n")
	if _, _, err := ReadSecretFiles([]string{p}); err == nil || !strings.Contains(err.Error(), "document 1") {
		t.Fatalf("error %v: want the ConfigMap counted as document 1, as apply counts it", err)
	}
}

// TestUnusableSecretsAreSkippedWithAWarning: a Secret whose data is not
// base64 (or not a map) is skipped with a warning naming it, its file and
// document, never its value; the other secrets of the file and of other
// files are read, as the README promises and as FromSecrets treats bad
// JSON.
func TestUnusableSecretsAreSkippedWithAWarning(t *testing.T) {
	t.Parallel()
	good := "apiVersion: v1\nkind: Secret\nmetadata: {name: good, namespace: ns}\nstringData: {k: v}\n"
	for _, tc := range []struct {
		name, bad string
		want      []string
	}{
		{"bad base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: bad, namespace: ns}\ndata:\n  .dockerconfigjson: " + pw + "%%\n",
			[]string{"secret ns/bad", "document 1", `data key ".dockerconfigjson" is not valid base64`}},
		{"unnamed", `{"apiVersion":"v1","kind":"Secret","data":{"k":"` + pw + `"}}`, []string{"unnamed secret", `data key "k"`}},
		{"data of wrong shape", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: [" + pw + "]\n", []string{"secret s", "data must map keys to base64 strings"}},
		{"in a list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: bad}, data: {k: \"" + pw + "%\"}}\n", []string{"secret bad", `data key "k"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := writeTemp(t, "bad.yaml", tc.bad)
			other := writeTemp(t, "good.yaml", good)
			got, warns, err := ReadSecretFiles([]string{bad, other})
			if err != nil {
				t.Fatalf("error %v: an unusable secret must not stop the others", err)
			}
			if len(got) != 1 || got[0].Name != "good" {
				t.Fatalf("secrets read: %+v", got)
			}
			if len(warns) != 1 {
				t.Fatalf("warnings %v, want one", warns)
			}
			msg := warns[0].String()
			for _, w := range append(tc.want, bad) {
				if !strings.Contains(msg, w) {
					t.Errorf("warning %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, pw) {
				t.Errorf("warning reveals the secret: %q", msg)
			}
		})
	}
}
