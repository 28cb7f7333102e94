package manifest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// prepare runs what the store runs on create.
func prepare(t *testing.T, y string) (Object, error) {
	t.Helper()
	docs, err := Decode("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	obj := docs[0].Object
	Default(obj)
	PrepareForCreate(obj)
	if p, ok := obj.(*corev1.Pod); ok {
		AdmitPod(p, nil)
	}
	return obj, Validate(obj)
}

const podHead = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"

func TestValidateMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		field          string // a field path in details.causes
	}{
		{"no containers", podHead + "spec: {}\n", `Pod "x" is invalid: spec.containers: Required value`, "spec.containers"},
		{"duplicate container", podHead + "spec:\n  containers:\n  - {name: app, image: a}\n  - {name: app, image: b}\n",
			`Pod "x" is invalid: spec.containers[1].name: Duplicate value: "app"`, "spec.containers[1].name"},
		{"init clashes with regular", podHead + "spec:\n  initContainers:\n  - {name: app, image: a}\n  containers:\n  - {name: app, image: b}\n",
			`Pod "x" is invalid: spec.initContainers[0].name: Duplicate value: "app"`, "spec.initContainers[0].name"},
		{"no image", podHead + "spec:\n  containers:\n  - {name: app}\n", `Pod "x" is invalid: spec.containers[0].image: Required value`, "spec.containers[0].image"},
		{"image with whitespace", podHead + "spec:\n  containers:\n  - {name: app, image: ' nginx'}\n",
			`spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace`, "spec.containers[0].image"},
		{"bad name", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n  - {name: app, image: a}\n",
			`Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`, "metadata.name"},
		{"bad pull policy", podHead + "spec:\n  containers:\n  - {name: app, image: a, imagePullPolicy: Sometimes}\n",
			`Pod "x" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`, "spec.containers[0].imagePullPolicy"},
		{"bad restart policy", podHead + "spec:\n  restartPolicy: Sometimes\n  containers:\n  - {name: app, image: a}\n",
			`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`, "spec.restartPolicy"},
		{"bad container name", podHead + "spec:\n  containers:\n  - {name: App, image: a}\n", `spec.containers[0].name: Invalid value: "App"`, "spec.containers[0].name"},
		{"several errors", podHead + "spec:\n  containers:\n  - {name: app}\n  - {name: app, image: b}\n",
			`Pod "x" is invalid: [spec.containers[0].image: Required value, spec.containers[1].name: Duplicate value: "app"]`, "spec.containers[1].name"},
		{"bad label value", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n  labels: {a: 'not ok'}\n",
			`ServiceAccount "s" is invalid: metadata.labels: Invalid value: "not ok"`, "metadata.labels"},
		{"namespace name is a label", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a.b\n", `Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b"`, "metadata.name"},
		{"dockerconfigjson without key", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\n",
			`Secret "s" is invalid: data[.dockerconfigjson]: Required value`, "data[.dockerconfigjson]"},
		{"dockerconfigjson not JSON", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: 'hunter2 {'\n",
			`data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character`, "data[.dockerconfigjson]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := prepare(t, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("secret contents in the error")
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("not an Invalid status error: %T", err)
			}
			st := err.(apierrors.APIStatus).Status()
			found := false
			for _, c := range st.Details.Causes {
				found = found || c.Field == tc.field
			}
			if st.Code != 422 || !found {
				t.Errorf("status %d causes %+v, want 422 and field %s", st.Code, st.Details.Causes, tc.field)
			}
		})
	}
}

func TestInvalidImageNameIsNotTheAPIServersJob(t *testing.T) {
	t.Parallel()
	// The API server accepts it; the kubelet reports InvalidImageName.
	if _, err := prepare(t, podHead+"spec:\n  containers:\n  - {name: app, image: 'UPPER/Case::bad'}\n"); err != nil {
		t.Fatal(err)
	}
}

func TestPodDefaults(t *testing.T) {
	t.Parallel()
	obj, err := prepare(t, podHead+`spec:
  initContainers:
  - {name: init, image: busybox:1.36}
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 80}]
    resources: {limits: {cpu: "1", memory: 1Gi}}
  - {name: pinned, image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", imagePullPolicy: Never}
`)
	if err != nil {
		t.Fatal(err)
	}
	p := obj.(*corev1.Pod)
	s := p.Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"namespace", p.Namespace, "default"},
		{"restartPolicy", s.RestartPolicy, corev1.RestartPolicyAlways},
		{"dnsPolicy", s.DNSPolicy, corev1.DNSClusterFirst},
		{"schedulerName", s.SchedulerName, "default-scheduler"},
		{"enableServiceLinks", *s.EnableServiceLinks, true},
		{"terminationGracePeriodSeconds", *s.TerminationGracePeriodSeconds, int64(30)},
		{"serviceAccountName", s.ServiceAccountName, "default"},
		{"latest pulls Always", s.Containers[0].ImagePullPolicy, corev1.PullAlways},
		{"tagged pulls IfNotPresent", s.InitContainers[0].ImagePullPolicy, corev1.PullIfNotPresent},
		{"explicit kept", s.Containers[1].ImagePullPolicy, corev1.PullNever},
		{"terminationMessagePath", s.Containers[1].TerminationMessagePath, "/dev/termination-log"},
		{"terminationMessagePolicy", s.InitContainers[0].TerminationMessagePolicy, corev1.TerminationMessageReadFile},
		{"port protocol", s.Containers[0].Ports[0].Protocol, corev1.ProtocolTCP},
		{"requests from limits", s.Containers[0].Resources.Requests.Cpu().String(), "1"},
		{"phase", p.Status.Phase, corev1.PodPending},
		{"qos", p.Status.QOSClass, corev1.PodQOSBurstable},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestAdmitPod(t *testing.T) {
	t.Parallel()
	sa := &corev1.ServiceAccount{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "sa-secret"}}}
	tests := []struct {
		name string
		pod  corev1.Pod
		sa   *corev1.ServiceAccount
		want []string
	}{
		{"copied when the pod lists none", corev1.Pod{}, sa, []string{"sa-secret"}},
		{"the pod's own win", corev1.Pod{Spec: corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "own"}}}}, sa, []string{"own"}},
		{"no service account", corev1.Pod{}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			AdmitPod(&tc.pod, tc.sa)
			var got []string
			for _, r := range tc.pod.Spec.ImagePullSecrets {
				got = append(got, r.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || tc.pod.Spec.ServiceAccountName != "default" {
				t.Errorf("got %v sa %q", got, tc.pod.Spec.ServiceAccountName)
			}
		})
	}
	// A copy, not shared: editing the ServiceAccount later does not reach the pod.
	var p corev1.Pod
	AdmitPod(&p, sa)
	sa.ImagePullSecrets[0].Name = "changed"
	if p.Spec.ImagePullSecrets[0].Name != "sa-secret" {
		t.Error("pod shares the ServiceAccount's slice")
	}
}

func TestValidatePodUpdate(t *testing.T) {
	t.Parallel()
	oldObj, err := prepare(t, podHead+"spec:\n  containers:\n  - {name: app, image: 'nginx:1'}\n")
	if err != nil {
		t.Fatal(err)
	}
	old := oldObj.(*corev1.Pod)
	old.ResourceVersion = "7"
	img := old.DeepCopy()
	img.Spec.Containers[0].Image = "nginx:2"
	if err := ValidateUpdate(img, old); err != nil {
		t.Errorf("image change refused: %v", err)
	}
	env := old.DeepCopy()
	env.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "b"}}
	if err := ValidateUpdate(env, old); err == nil || !strings.Contains(err.Error(), "spec: Forbidden: pod updates may not change fields other than") {
		t.Errorf("env change: %v", err)
	}
	renamed := old.DeepCopy()
	renamed.Namespace = "other"
	if err := ValidateUpdate(renamed, old); err == nil || !strings.Contains(err.Error(), "metadata.namespace") {
		t.Errorf("namespace change: %v", err)
	}
}

// TestAdmitPodPriority: the Priority admission gives a pod without a
// PriorityClass priority 0 (kubectl describe: "Priority: 0").
func TestAdmitPodPriority(t *testing.T) {
	t.Parallel()
	var p corev1.Pod
	AdmitPod(&p, nil)
	if p.Spec.Priority == nil || *p.Spec.Priority != 0 || p.Spec.PreemptionPolicy == nil || *p.Spec.PreemptionPolicy != corev1.PreemptLowerPriority {
		t.Fatalf("priority %v preemption %v", p.Spec.Priority, p.Spec.PreemptionPolicy)
	}
	q := corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: "high"}}
	AdmitPod(&q, nil)
	if q.Spec.Priority != nil {
		t.Fatalf("a pod with a PriorityClass got priority %d", *q.Spec.Priority)
	}
}
