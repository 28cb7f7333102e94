package agent

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/pull"
)

// NodeCredentialsPeriod is how often the agent looks at the node's docker
// config file for a change.
const NodeCredentialsPeriod = 2 * time.Second

// nodeCredentials are the node's own registry credentials (its docker
// config.json), tried after a pod's secrets. The file is read again when it
// changes (size, modification time or existence), so that `docker login` on
// the node, or a mounted config that is updated, takes effect without a
// restart; a file that cannot be read then keeps the credentials loaded
// before.
type nodeCredentials struct {
	authFile string // as configured ("" is the default place)
	path     string // the file that is read
	log      *slog.Logger
	ring     atomic.Pointer[credential.Keyring]
	stamp    fileStamp
}

type fileStamp struct {
	exists bool
	size   int64
	mod    time.Time
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{exists: true, size: fi.Size(), mod: fi.ModTime()}
}

func loadNodeCredentials(ctx context.Context, authFile string, log *slog.Logger) (*nodeCredentials, error) {
	n := &nodeCredentials{authFile: authFile, path: credential.DockerConfigPath(authFile), log: log}
	n.stamp = stampOf(n.path)
	ring, warnings, err := credential.LoadDockerConfig(ctx, authFile)
	if err != nil {
		return nil, err
	}
	n.warn(warnings)
	n.ring.Store(&ring)
	return n, nil
}

func (n *nodeCredentials) warn(warnings []credential.Warning) {
	for _, w := range warnings {
		n.log.Warn("node credentials", "source", w.Source, "problem", w.Message)
	}
}

// Lookup implements credential.Keyring with the credentials loaded last.
func (n *nodeCredentials) Lookup(image string) []credential.Credential {
	return (*n.ring.Load()).Lookup(image)
}

// reload reads the file again when it changed since it was last read and
// reports whether new credentials are in use.
func (n *nodeCredentials) reload(ctx context.Context) bool {
	if n.path == "" {
		return false
	}
	st := stampOf(n.path)
	if st == n.stamp {
		return false
	}
	n.stamp = st
	ring, warnings, err := credential.LoadDockerConfig(ctx, n.authFile)
	if err != nil {
		n.log.Warn("node credentials changed but cannot be read; keeping the ones loaded before", "path", n.path, "error", err)
		return false
	}
	n.warn(warnings)
	n.ring.Store(&ring)
	n.log.Info("node credentials reloaded", "path", n.path)
	return true
}

// watchNodeCredentials reloads the node's docker config when it changes and
// then retries, at once, the held pulls of every pod: any of them may have
// waited for the node's credentials.
func (a *Agent) watchNodeCredentials(ctx context.Context) {
	for {
		t := a.cfg.Clock.NewTimer(NodeCredentialsPeriod)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if !a.nodeCreds.reload(ctx) {
			continue
		}
		pods, _, err := a.objects.List(ctx, manifest.Pod, "")
		if err != nil {
			continue
		}
		for _, o := range pods {
			if p, ok := o.(*corev1.Pod); ok {
				a.puller.RetryHeld(string(p.UID), pull.TriggerCredentials)
			}
		}
	}
}
