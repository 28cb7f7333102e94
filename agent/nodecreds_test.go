package agent

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNodeCredentialsReloadWhenTheFileChanges: `docker login` on the node
// (a changed config.json) takes effect without a restart; an unreadable
// change keeps the credentials loaded before.
func TestNodeCredentialsReloadWhenTheFileChanges(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "config.json")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := loadNodeCredentials(ctx, path, log)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Lookup("reg.example/app"); len(got) != 0 {
		t.Fatalf("no file yet, got %d credentials", len(got))
	}
	if n.reload(ctx) {
		t.Fatal("reloaded although nothing changed")
	}
	write := func(body string, mod time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour)
	write(`{"auths":{"reg.example":{"auth":"dXNlcjpwYXNz"}}}`, base)
	if !n.reload(ctx) {
		t.Fatal("a new config.json was not loaded")
	}
	if got := n.Lookup("reg.example/app"); len(got) != 1 {
		t.Fatalf("after docker login: %d credentials, want 1", len(got))
	}
	write(`{"auths":`, base.Add(time.Minute))
	if n.reload(ctx) {
		t.Fatal("a broken config.json replaced the credentials")
	}
	if got := n.Lookup("reg.example/app"); len(got) != 1 {
		t.Fatalf("after a broken change: %d credentials, want the 1 loaded before", len(got))
	}
}
