package testimage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// pauseImportPath is the package of the pause program.
const pauseImportPath = "github.com/pullwarden/pullwarden/internal/testimage/pause"

var pauseCache struct {
	sync.Mutex
	bins map[string][]byte // by GOOS/GOARCH
}

// NewPause builds an image whose entrypoint /pause sleeps until SIGTERM or
// SIGINT. The program is compiled once per process and platform with
// `go build -trimpath` and CGO_ENABLED=0 (cross-compiled for WithPlatform),
// so it needs the go tool and must run inside this module's tree.
func NewPause(ctx context.Context, opts ...Option) (v1.Image, error) {
	o := newOptions(opts)
	bin, err := pauseBinary(ctx, o.platform)
	if err != nil {
		return nil, err
	}
	l, err := NewFilesLayer([]File{{Path: "pause", Mode: 0o755, Data: bin}}, opts...)
	if err != nil {
		return nil, err
	}
	return build(o, []v1.Layer{l}, v1.Config{Entrypoint: []string{"/pause"}}, "pause")
}

// GoTool finds the go command: $PATH, then $GOROOT/bin, then /usr/local/go/bin.
func GoTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	for _, root := range []string{os.Getenv("GOROOT"), "/usr/local/go"} {
		if root == "" {
			continue
		}
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("testimage: the go tool is not on PATH nor in GOROOT")
}

func pauseBinary(ctx context.Context, p v1.Platform) ([]byte, error) {
	key := p.OS + "/" + p.Architecture + "/" + p.Variant
	pauseCache.Lock()
	defer pauseCache.Unlock()
	if b, ok := pauseCache.bins[key]; ok {
		return b, nil
	}
	gotool, err := GoTool()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "pullwarden-pause-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "pause")
	target := pauseImportPath
	cmd := exec.CommandContext(ctx, gotool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, target)
	if _, file, _, ok := runtime.Caller(0); ok {
		if dir := filepath.Join(filepath.Dir(file), "pause"); isDir(dir) {
			cmd.Dir, cmd.Args[len(cmd.Args)-1] = dir, "."
		}
	}
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	if p.Architecture == "arm" && len(p.Variant) == 2 && p.Variant[0] == 'v' {
		cmd.Env = append(cmd.Env, "GOARM="+p.Variant[1:])
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("testimage: go build pause for %s: %v: %s", key, err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	if pauseCache.bins == nil {
		pauseCache.bins = map[string][]byte{}
	}
	pauseCache.bins[key] = b
	return b, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
