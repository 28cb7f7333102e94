package manifest

import (
	"strings"
	"testing"
)

func TestUnsupportedFields(t *testing.T) {
	t.Parallel()
	plain := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: a, env: [{name: A, value: b}], ports: [{containerPort: 80}]}]\n"
	full := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes: [{name: data, emptyDir: {}}]
  nodeSelector: {disk: ssd}
  securityContext: {runAsUser: 1000}
  initContainers:
  - name: init
    image: a
    restartPolicy: Always
  containers:
  - name: app
    image: a
    livenessProbe: {exec: {command: ["true"]}}
    resources: {limits: {memory: 64Mi}}
    env:
    - {name: A, value: b}
    - name: B
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    volumeMounts: [{name: data, mountPath: /data}]
`
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"plain pod", plain, nil},
		{"full pod", full, []string{"spec.volumes", "spec.nodeSelector", "spec.securityContext", "spec.initContainers[0].restartPolicy",
			"spec.containers[0].livenessProbe", "spec.containers[0].resources", "spec.containers[0].env[1].valueFrom", "spec.containers[0].volumeMounts"}},
		{"secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Decode("p.yaml", []byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			obj := docs[0].Object
			Default(obj) // defaulted fields are not reported
			got := Unsupported(obj)
			if len(got) != len(tc.want) {
				t.Fatalf("got %q\nwant fields %q", got, tc.want)
			}
			for i, w := range tc.want {
				if got[i] != w+": not supported by the pullwarden agent: stored, but has no effect" {
					t.Errorf("warning %d: %q, want field %s", i, got[i], w)
				}
			}
			if strings.Join(got, "") != strings.Join(Unsupported(obj), "") {
				t.Error("not deterministic")
			}
		})
	}
}
