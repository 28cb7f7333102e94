package cri

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteConfig(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "pwcfg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path, err := WriteConfig(dir, DaemonOptions{
		SandboxImage: "127.0.0.1:5000/pause:1",
		Registries:   map[string]string{"127.0.0.1:5000": "http://127.0.0.1:5000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"version = 2",
		`address = "` + dir + `/containerd.sock"`,
		"restrict_oom_score_adj = true",
		`sandbox_image = "127.0.0.1:5000/pause:1"`,
		"SystemdCgroup = false",
		`snapshotter = "overlayfs"`,
		`config_path = "` + dir + `/certs.d"`,
		`stream_server_port = "0"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	hosts, err := os.ReadFile(filepath.Join(dir, "certs.d", "127.0.0.1:5000", "hosts.toml"))
	if err != nil || !strings.Contains(string(hosts), `server = "http://127.0.0.1:5000"`) {
		t.Errorf("hosts.toml = %q, %v", hosts, err)
	}
}

func TestWriteConfigRejects(t *testing.T) {
	t.Parallel()
	long := "/tmp/" + strings.Repeat("d", 100)
	tests := []struct {
		name string
		dir  string
		opts DaemonOptions
	}{
		{"relative dir", "relative/dir", DaemonOptions{}},
		{"socket path too long", long, DaemonOptions{}},
		{"registry host with a slash", "", DaemonOptions{Registries: map[string]string{"../x": "http://x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if dir == "" {
				dir = t.TempDir()
			}
			if _, err := WriteConfig(dir, tc.opts); err == nil {
				t.Fatal("WriteConfig succeeded")
			}
		})
	}
}
