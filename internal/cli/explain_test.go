package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/workload"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExplainImageExitStatus(t *testing.T) {
	reg := testregistry.Start(t, testregistry.WithHtpasswd("ci", "pw"))
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v2.0"), reg.Authenticator())
	secret := writeFile(t, "regcred.yaml", `apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"`+reg.Host+`": {"username": "ci", "password": "pw"}}}'
`)
	out, _, code := run(t, "explain", "image", reg.Ref("team/app:v2.0"), "--secret", secret)
	if code != 0 || !strings.Contains(out, "Verdict:  can be pulled with secret regcred") {
		t.Fatalf("pullable: exit %d\n%s", code, out)
	}
	out, _, code = run(t, "explain", "image", reg.Ref("team/app:v2"), "--secret", secret, "-o", "json")
	var res diagnose.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
		t.Fatalf("missing tag: exit %d, %v\n%s", code, err, out)
	}
	if res.Reason != "TagNotFound" || strings.Join(res.NearestTags, ",") != "v2.0" || strings.Contains(out, `"pw"`) {
		t.Fatalf("missing tag: %+v", res)
	}
	if _, errOut, code := run(t, "explain", "image", reg.Ref("team/app:v2"), "--secret", "/nonexistent.yaml"); code != 2 {
		t.Fatalf("bad --secret: exit %d: %s", code, errOut)
	}
	if _, _, code := run(t, "explain", "image", reg.Ref("team/app:v2"), "--policy", "Sometimes"); code != 2 {
		t.Fatalf("bad --policy: exit %d", code)
	}
}

func TestCheckCommand(t *testing.T) {
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v1"), reg.Authenticator())
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: web, image: `+reg.Ref("team/app:v1")+`}]}}}
`), 0o600)
	out, errOut, code := run(t, "check", "-f", dir)
	if code != 0 || !strings.Contains(out, "Deployment/web") || !strings.HasPrefix(out, "WORKLOAD ") {
		t.Fatalf("all pullable: exit %d\n%s%s", code, out, errOut)
	}
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(`apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec: {jobTemplate: {spec: {template: {spec: {initContainers: [{name: init, image: `+reg.Ref("team/app:v9")+`}], containers: [{name: job, image: `+reg.Ref("team/app:v1")+`}]}}}}}
`), 0o600)
	out, _, code = run(t, "check", "-f", dir, "-o", "json")
	var rep workload.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("a missing tag: exit %d, %v\n%s", code, err, out)
	}
	if rep.Workloads != 2 || rep.Checks != 2 || rep.Rows[0].Result.Reason != "TagNotFound" || rep.Rows[0].Type != workload.InitContainer {
		t.Fatalf("report: %+v", rep)
	}
	os.WriteFile(filepath.Join(dir, "zz.yaml"), []byte("kind: Pod\nmetadata: {name: a}\n---\nkind: [\n"), 0o600)
	_, errOut, code = run(t, "check", "-f", dir)
	if code != 2 || !strings.Contains(errOut, "zz.yaml: document 2") {
		t.Fatalf("parse error: exit %d: %s", code, errOut)
	}
}

func TestShortCredential(t *testing.T) {
	for in, want := range map[string]string{
		`secret ns/regcred (.dockerconfigjson) entry "reg:5000" (refused)`: "secret ns/regcred (refused)",
		`secret ns/regcred (.dockercfg) entry "reg"`:                       "secret ns/regcred",
		"anonymous": "anonymous",
	} {
		if got := shortCredential(in); got != want {
			t.Errorf("shortCredential(%q) = %q, want %q", in, got, want)
		}
	}
}
