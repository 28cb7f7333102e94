package pull

import (
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// secretRing is the keyring of a pod with one dockerconfigjson secret.
func secretRing(t *testing.T, ns, name, uid, server, user, pass string) credential.Keyring {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	js := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, server, auth)
	ring, warns := credential.FromSecrets([]corev1.Secret{{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(js)},
	}})
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	return ring
}

// TestPresentPrivateImageNeedsThePodsCredentials is KEP-2535 with the
// kubelet's default policy: pod A pulls a private image with its secret;
// pod B, without the secret, must not run it from the node's store
// (IfNotPresent pulls, and the registry refuses; Never fails); pod C with
// a secret of the same credentials may; an image pulled anonymously is open
// to every pod. The records survive a restart (a new Puller on the same
// directory).
func TestPresentPrivateImageNeedsThePodsCredentials(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t, testregistry.WithMiddleware(basicOnly("u", "right")))
	image := reg.Ref("team/private:1")
	testimage.Push(t, testimage.Random(t, 1, 100), image, &authn.Basic{Username: "u", Password: "right"})
	server := reg.Host
	dir := t.TempDir()
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	newPuller := func(opts ...Option) *Puller {
		recs, err := NewFileRecords(dir)
		if err != nil {
			t.Fatal(err)
		}
		return New(s, registry.New(registry.Options{}), append([]Option{WithPullRecords(recs)}, opts...)...)
	}
	pl := newPuller()
	podA := secretRing(t, "a", "regcred", "uid-a", server, "u", "right")
	podC := secretRing(t, "c", "other", "uid-c", server, "u", "right")
	if r, err := pl.Ensure(t.Context(), EnsureRequest{Image: image, Keyring: podA}); err != nil || !r.Pulled {
		t.Fatalf("pod A: %+v %v", r, err)
	}
	check := func(pl *Puller, who string, ring credential.Keyring, pol policy.Policy, wantPulled bool, want error) {
		t.Helper()
		var got kinds
		r, err := pl.Ensure(t.Context(), EnsureRequest{Image: image, Policy: pol, Keyring: ring, Observer: &got})
		switch {
		case want == nil && err != nil:
			t.Errorf("%s: %v", who, err)
		case want != nil && !errors.Is(err, want):
			t.Errorf("%s: %v (steps %v), want %v", who, err, got, want)
		case want == nil && r.Pulled != wantPulled:
			t.Errorf("%s: pulled %v, want %v (steps %v)", who, r.Pulled, wantPulled, got)
		}
	}
	check(pl, "pod B without the secret", nil, policy.IfNotPresent, false, cause.Unauthorized)
	check(pl, "pod B, Never", nil, policy.Never, false, cause.ErrImageNeverPull)
	check(pl, "pod A again", podA, policy.IfNotPresent, false, nil)
	check(pl, "pod C, another secret with the same credentials", podC, policy.IfNotPresent, false, nil)

	restarted := newPuller()
	check(restarted, "pod B after a restart", nil, policy.IfNotPresent, false, cause.Unauthorized)
	check(restarted, "pod A after a restart", podA, policy.Never, false, nil)

	open := newPuller(WithCredentialVerification(mustVerifier(t, policy.NeverVerify)))
	check(open, "pod B, NeverVerify", nil, policy.IfNotPresent, false, nil)
	allow := newPuller(WithCredentialVerification(mustVerifier(t, policy.NeverVerifyAllowlistedImages, server+"/team/*")))
	check(allow, "pod B, allowlisted", nil, policy.IfNotPresent, false, nil)

	// A preloaded image (in the store, never pulled here) is open under the
	// default policy and closed under AlwaysVerify.
	pre := reg.Ref("team/preloaded:1")
	testimage.Push(t, testimage.Random(t, 1, 100), pre, &authn.Basic{Username: "u", Password: "right"})
	loader := New(s, registry.New(registry.Options{}), WithCredentialVerification(nil))
	if _, err := loader.Pull(t.Context(), Request{Image: pre, Keyring: podA}); err != nil {
		t.Fatal(err)
	}
	var got kinds
	if r, err := pl.Ensure(t.Context(), EnsureRequest{Image: pre, Policy: policy.Never, Observer: &got}); err != nil || r.Pulled {
		t.Errorf("preloaded, default policy: %+v %v %v", r, err, got)
	}
	strict := newPuller(WithCredentialVerification(mustVerifier(t, policy.AlwaysVerify)))
	if _, err := strict.Ensure(t.Context(), EnsureRequest{Image: pre, Policy: policy.Never}); !errors.Is(err, cause.ErrImageNeverPull) {
		t.Errorf("preloaded, AlwaysVerify, Never: %v", err)
	}
}

func mustVerifier(t *testing.T, p policy.Verification, allow ...string) *policy.Verifier {
	t.Helper()
	v, err := policy.NewVerifier(p, allow)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
