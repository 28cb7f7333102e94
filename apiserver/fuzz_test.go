package apiserver

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/manifest"
)

// FuzzParsePath: any URL path maps to a served target or to the API
// server's NotFound, never a panic; a target names a served kind, at most
// one namespace and a name without a slash.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/api/v1/pods", "/api/v1/namespaces/default/pods/web", "/api/v1/namespaces/default/pods/web/log",
		"/api/v1/namespaces/default/pods/web/status", "/api/v1/watch/namespaces/default/events", "/api/v1/namespaces",
		"/api/v1/namespaces/team/status", "/api/v1/namespaces/default/deployments", "/api/v1/", "/api/v1//pods",
		"/api/v1/namespaces/default/secrets/s/log", "/api/v1/namespaces/x/pods/y/z/w", "/api/v2/pods",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tg, err := parsePath(p)
		if err != nil {
			st := toStatus(err)
			if st.Code != 404 || st.Reason != metav1.StatusReasonNotFound {
				t.Fatalf("%q: %d %s", p, st.Code, st.Reason)
			}
			return
		}
		if _, ok := manifest.KindByResource(tg.kind.Resource); !ok {
			t.Fatalf("%q: kind %q not served", p, tg.kind.Name)
		}
		if strings.Contains(tg.name, "/") || strings.Contains(tg.namespace, "/") {
			t.Fatalf("%q: name %q namespace %q", p, tg.name, tg.namespace)
		}
		if !tg.kind.Namespaced && tg.namespace != "" {
			t.Fatalf("%q: cluster-scoped %s with namespace %q", p, tg.kind.Name, tg.namespace)
		}
		switch tg.sub {
		case "", "status":
		case "log":
			if tg.kind.Name != manifest.Pod.Name || tg.name == "" {
				t.Fatalf("%q: log of %s %q", p, tg.kind.Name, tg.name)
			}
		default:
			t.Fatalf("%q: subresource %q", p, tg.sub)
		}
	})
}

// FuzzSelectors: any labelSelector and fieldSelector is parsed or refused
// with a BadRequest, and a parsed one can be matched against every kind.
func FuzzSelectors(f *testing.F) {
	for _, s := range [][2]string{
		{"app=web", ""}, {"app in (a,b),!tier", "metadata.name=web"}, {"", "involvedObject.name=web,involvedObject.uid!=x"},
		{"a==b", "status.phase=Running"}, {"a=", "=="}, {"x,y notin (z)", "spec.nodeName=n"}, {"a=b=c", "a=b,,"},
	} {
		f.Add(s[0], s[1])
	}
	objs := []manifest.Object{
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}}},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"}, InvolvedObject: corev1.ObjectReference{Name: "web"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
	}
	f.Fuzz(func(t *testing.T, ls, fs string) {
		sel, err := parseSelectors(url.Values{"labelSelector": {ls}, "fieldSelector": {fs}})
		if err != nil {
			if st := toStatus(err); st.Code != 400 {
				t.Fatalf("%q %q: %d %s", ls, fs, st.Code, st.Message)
			}
			return
		}
		for _, o := range objs {
			sel.matches(o)
		}
	})
}

// FuzzPatch: any body of each PATCH type applied to a stored pod gives a
// document or an API error (never a panic, never a non-Status error).
func FuzzPatch(f *testing.F) {
	for _, s := range []struct {
		pt    byte
		patch string
	}{
		{0, `{"metadata":{"labels":{"a":"b"}}}`},
		{1, `{"spec":{"containers":[{"name":"app","image":"nginx:2"}]}}`},
		{1, `{"spec":{"containers":[{"$patch":"delete","name":"app"}]}}`},
		{1, `{"spec":{"$setElementOrder/containers":[{"name":"app"}]}}`},
		{2, `[{"op":"replace","path":"/spec/containers/0/image","value":"x"}]`},
		{2, `[{"op":"test","path":"/metadata/name","value":"nope"}]`},
		{2, `[{"op":"move","from":"/a","path":"/b"}]`},
		{0, `null`}, {1, `[]`}, {2, `{}`},
	} {
		f.Add(s.pt, []byte(s.patch))
	}
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}, {Name: "side", Image: "busybox"}}}}
	orig, err := json.Marshal(pod)
	if err != nil {
		f.Fatal(err)
	}
	types := []types.PatchType{types.MergePatchType, types.StrategicMergePatchType, types.JSONPatchType}
	f.Fuzz(func(t *testing.T, pt byte, patch []byte) {
		out, err := applyPatch(types[int(pt)%len(types)], orig, patch, manifest.Pod)
		if err != nil {
			if st := toStatus(err); st.Code == 500 || st.Code == 0 {
				t.Fatalf("%s: not an API error: %v", patch, err)
			}
			return
		}
		_, _ = manifest.DecodeAs(manifest.Pod, out)
	})
}
