package objects

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/manifest"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, WithClock(clock.NewFake(epoch)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPod(ns, name string, images ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	for i, img := range images {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c" + strconv.Itoa(i), Image: img})
	}
	return p
}

func TestCreateGetUpdateDelete(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "db"))

	pod := newPod("", "web", "nginx:1")
	if err := s.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Namespace != "default" || pod.UID == "" || pod.ResourceVersion == "" || !pod.CreationTimestamp.Time.Equal(epoch) {
		t.Fatalf("create did not fill the object: %+v", pod.ObjectMeta)
	}
	if pod.Status.Phase != corev1.PodPending || pod.Spec.ServiceAccountName != "default" {
		t.Errorf("status %q sa %q", pod.Status.Phase, pod.Spec.ServiceAccountName)
	}
	err := s.Create(ctx, newPod("default", "web", "nginx:1"))
	if !apierrors.IsAlreadyExists(err) || err.Error() != `pods "web" already exists` {
		t.Errorf("second create: %v", err)
	}

	got, err := GetAs[*corev1.Pod](ctx, s, "default", "web")
	if err != nil || got.UID != pod.UID || got.Kind != "Pod" || got.APIVersion != "v1" {
		t.Fatalf("get: %v %+v", err, got)
	}

	// Update with the current version works and bumps it.
	got.Spec.Containers[0].Image = "nginx:2"
	got.Status.Phase = corev1.PodRunning // ignored by Update
	if err := s.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	if rv(t, got) <= rv(t, pod) || got.Status.Phase != corev1.PodPending {
		t.Errorf("update: rv %s -> %s, phase %s", pod.ResourceVersion, got.ResourceVersion, got.Status.Phase)
	}
	// A stale version conflicts, with the API server's message.
	stale := pod.DeepCopy()
	stale.Spec.Containers[0].Image = "nginx:3"
	err = s.Update(ctx, stale)
	want := `Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again`
	if !apierrors.IsConflict(err) || err.Error() != want {
		t.Errorf("stale update: %v", err)
	}
	// UpdateStatus changes only the status.
	st := got.DeepCopy()
	st.Status.Phase = corev1.PodRunning
	st.Spec.Containers[0].Image = "ignored"
	if err := s.UpdateStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	if st.Status.Phase != corev1.PodRunning || st.Spec.Containers[0].Image != "nginx:2" {
		t.Errorf("status update: phase %s image %s", st.Status.Phase, st.Spec.Containers[0].Image)
	}
	// An update that changes nothing keeps the version.
	before := st.ResourceVersion
	if err := s.UpdateStatus(ctx, st); err != nil || st.ResourceVersion != before {
		t.Errorf("no-op update: %v rv %s -> %s", err, before, st.ResourceVersion)
	}

	deleted, err := s.Delete(ctx, manifest.Pod, "default", "web")
	if err != nil || deleted.GetUID() != pod.UID {
		t.Fatalf("delete: %v", err)
	}
	_, err = s.Get(ctx, manifest.Pod, "default", "web")
	if !apierrors.IsNotFound(err) || err.Error() != `pods "web" not found` {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := s.Delete(ctx, manifest.Pod, "default", "web"); !apierrors.IsNotFound(err) {
		t.Errorf("second delete: %v", err)
	}
}

func rv(t *testing.T, o manifest.Object) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAdmission(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "db"))

	err := s.Create(ctx, newPod("nowhere", "p", "a"))
	if !apierrors.IsNotFound(err) || err.Error() != `namespaces "nowhere" not found` {
		t.Errorf("pod in a missing namespace: %v", err)
	}
	if err := s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}); err != nil {
		t.Fatal(err)
	}
	// The namespace got its default ServiceAccount; give it a pull secret.
	sa, err := GetAs[*corev1.ServiceAccount](ctx, s, "team", "default")
	if err != nil {
		t.Fatal(err)
	}
	sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	if err := s.Update(ctx, sa); err != nil {
		t.Fatal(err)
	}
	p := newPod("team", "p", "a")
	if err := s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.ImagePullSecrets) != 1 || p.Spec.ImagePullSecrets[0].Name != "regcred" {
		t.Errorf("pull secrets not copied: %v", p.Spec.ImagePullSecrets)
	}
	// Later edits of the ServiceAccount never reach the existing pod.
	sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "other"}}
	if err := s.Update(ctx, sa); err != nil {
		t.Fatal(err)
	}
	stored, _ := GetAs[*corev1.Pod](ctx, s, "team", "p")
	if stored.Spec.ImagePullSecrets[0].Name != "regcred" {
		t.Errorf("existing pod changed: %v", stored.Spec.ImagePullSecrets)
	}
	missing := newPod("team", "q", "a")
	missing.Spec.ServiceAccountName = "builder"
	err = s.Create(ctx, missing)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `pods "q" is forbidden: error looking up service account team/builder: serviceaccount "builder" not found`) {
		t.Errorf("missing service account: %v", err)
	}
	// Deleting the namespace deletes what is in it; "default" stays.
	if _, err := s.Delete(ctx, manifest.Namespace, "", "team"); err != nil {
		t.Fatal(err)
	}
	if pods, _ := ListAs[*corev1.Pod](ctx, s, "team"); len(pods) != 0 {
		t.Errorf("pods left in a deleted namespace: %d", len(pods))
	}
	if _, err := s.Delete(ctx, manifest.Namespace, "", "default"); !apierrors.IsForbidden(err) {
		t.Errorf("delete default namespace: %v", err)
	}
}

func TestApplyAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "db"))

	docs, err := manifest.Decode("app.yaml", []byte(`apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: app}
stringData: {token: abc}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app}
spec:
  containers: [{name: c, image: "nginx:1"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	objs := objectsOf(docs)
	res, err := s.Apply(ctx, objs...)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(res); got != "created,created,created" {
		t.Errorf("first apply: %s", got)
	}
	pod := res[2].Object.(*corev1.Pod)
	pod.Status.Phase = corev1.PodRunning
	if err := s.UpdateStatus(ctx, pod); err != nil {
		t.Fatal(err)
	}
	rvBefore, _ := s.ResourceVersion()

	// The same manifests again: nothing changes.
	res, err = s.Apply(ctx, objs...)
	if err != nil || actions(res) != "unchanged,unchanged,unchanged" {
		t.Fatalf("re-apply: %v %s", err, actions(res))
	}
	if rvNow, _ := s.ResourceVersion(); rvNow != rvBefore {
		t.Errorf("unchanged apply wrote: %s -> %s", rvBefore, rvNow)
	}

	// A new image is configured, keeping uid and status.
	objs[2].(*corev1.Pod).Spec.Containers[0].Image = "nginx:2"
	res, err = s.Apply(ctx, objs...)
	if err != nil || actions(res) != "unchanged,unchanged,configured" {
		t.Fatalf("image change: %v %s", err, actions(res))
	}
	got := res[2].Object.(*corev1.Pod)
	if got.UID != pod.UID || got.Status.Phase != corev1.PodRunning {
		t.Errorf("apply lost uid or status: %s %s", got.UID, got.Status.Phase)
	}

	// Failing applies change nothing already stored: one caught before the
	// write (invalid document), one inside the transaction (a forbidden pod
	// spec change after a valid secret change).
	rvBefore, _ = s.ResourceVersion()
	for _, tc := range []struct {
		name  string
		objs  func() []manifest.Object
		index int
	}{
		{"invalid third document", func() []manifest.Object {
			o := cloneAll(objs)
			o[1].(*corev1.Secret).StringData = map[string]string{"token": "changed"}
			o[2].(*corev1.Pod).Spec.Containers[0].Image = ""
			return o
		}, 2},
		{"forbidden pod update", func() []manifest.Object {
			o := cloneAll(objs)
			o[1].(*corev1.Secret).StringData = map[string]string{"token": "changed"}
			o[2].(*corev1.Pod).Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "b"}}
			return o
		}, 2},
		{"new object in a missing namespace", func() []manifest.Object {
			o := cloneAll(objs)
			o[1].(*corev1.Secret).StringData = map[string]string{"token": "changed"}
			extra := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "missing"}}
			return append(o, extra)
		}, 3},
	} {
		_, err := s.Apply(ctx, tc.objs()...)
		if idx, ok := IsObjectError(err); !ok || idx != tc.index {
			t.Errorf("%s: error %v index %d", tc.name, err, idx)
		}
		if rvNow, _ := s.ResourceVersion(); rvNow != rvBefore {
			t.Errorf("%s: store changed: %s -> %s", tc.name, rvBefore, rvNow)
		}
		sec, _ := GetAs[*corev1.Secret](ctx, s, "app", "creds")
		if string(sec.Data["token"]) != "abc" {
			t.Errorf("%s: secret changed to %q", tc.name, sec.Data["token"])
		}
	}
}

func objectsOf(docs []manifest.Document) []manifest.Object {
	out := make([]manifest.Object, len(docs))
	for i, d := range docs {
		out[i] = d.Object
	}
	return out
}

func cloneAll(objs []manifest.Object) []manifest.Object {
	out := make([]manifest.Object, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopyObject().(manifest.Object)
	}
	return out
}

func actions(res []ApplyResult) string {
	var a []string
	for _, r := range res {
		a = append(a, string(r.Action))
	}
	return strings.Join(a, ",")
}

func TestEventsAndState(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.1", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web"},
		Reason:         "BackOff", Message: `Back-off pulling image "x"`, Type: corev1.EventTypeNormal, Count: 1,
	}
	if err := s.Create(ctx, ev); err != nil {
		t.Fatal(err)
	}
	ev.Count++
	if err := s.Update(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got, _ := GetAs[*corev1.Event](ctx, s, "default", "web.1")
	if got.Count != 2 || got.InvolvedObject.Namespace != "default" {
		t.Errorf("event: count %d ns %q", got.Count, got.InvolvedObject.Namespace)
	}

	if err := s.PutState("backoff/uid_a", []byte("10s")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutState("other", []byte("x")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.GetState("backoff/uid_a")
	if err != nil || !ok || string(v) != "10s" {
		t.Errorf("GetState: %q %v %v", v, ok, err)
	}
	if m, _ := s.ListState("backoff/"); len(m) != 1 {
		t.Errorf("ListState: %v", m)
	}
	if err := s.DeleteState("backoff/uid_a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetState("backoff/uid_a"); ok {
		t.Error("deleted state still there")
	}
}
