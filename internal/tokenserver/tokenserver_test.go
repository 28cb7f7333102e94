package tokenserver_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/pullwarden/pullwarden/internal/tokenserver"
)

func statusOf(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

func TestTokenAuthWithDockerRegistry(t *testing.T) {
	t.Parallel()
	ts := tokenserver.Start(t, map[string]string{"writer": "wpass", "reader": "rpass", "outsider": "opass"},
		tokenserver.Grant{User: "writer", Repository: "team/*", Actions: []string{"pull", "push"}},
		tokenserver.Grant{User: "reader", Repository: "team/app", Actions: []string{"pull"}},
	)
	host := ts.StartRegistry(t)
	ref, err := name.ParseReference(host+"/team/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	ctx := t.Context()

	// Anonymous push: the registry refuses.
	if err := remote.Write(ref, img, remote.WithContext(ctx)); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("anonymous push: %v, want 401", err)
	}
	// The reader may not push.
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "reader", Password: "rpass"})); err == nil {
		t.Fatal("reader could push")
	}
	// Count the writer's tokens only: the reader's failed push may still
	// have a canceled token request in flight that the server serves now.
	before := ts.IssuedTo("writer")
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "writer", Password: "wpass"})); err != nil {
		t.Fatalf("writer push: %v", err)
	}
	n := ts.IssuedTo("writer") - before
	t.Logf("tokens issued for one push (2 layers, config, manifest): %d", n)
	if n != 1 {
		t.Errorf("a push of 3 blobs and a manifest took %d tokens; one token should serve the whole push", n)
	}

	got, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "reader", Password: "rpass"}))
	if err != nil {
		t.Fatalf("reader pull: %v", err)
	}
	if d, _ := got.Digest(); d != want {
		t.Fatalf("pulled %v, pushed %v", d, want)
	}
	if _, err := got.RawConfigFile(); err != nil {
		t.Fatalf("reader pull config: %v", err)
	}

	rejected := ts.Rejected()
	_, err = remote.Image(ref, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "reader", Password: "wrong"}))
	if statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v, want 401", err)
	}
	if ts.Rejected() <= rejected {
		t.Error("the token server did not see the wrong password")
	}
	// A valid user without a grant gets a token without access: 401.
	if _, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "outsider", Password: "opass"})); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("outsider: %v, want 401", err)
	}
}

func TestBasicAuthWithDockerRegistry(t *testing.T) {
	t.Parallel()
	host := tokenserver.StartBasicRegistry(t, map[string]string{"alice": "apass"})
	ref, err := name.ParseReference(host+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := remote.Write(ref, img, remote.WithContext(ctx)); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("anonymous push: %v, want 401", err)
	}
	alice := remote.WithAuth(&authn.Basic{Username: "alice", Password: "apass"})
	if err := remote.Write(ref, img, remote.WithContext(ctx), alice); err != nil {
		t.Fatalf("push: %v", err)
	}
	if _, err := remote.Image(ref, remote.WithContext(ctx), alice); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if _, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "alice", Password: "nope"})); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v, want 401", err)
	}
}
