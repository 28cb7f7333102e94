package testimage

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BusyboxPath is where Debian's busybox-static installs its binary.
const BusyboxPath = "/bin/busybox"

// BusyboxApplets are the commands linked to busybox in the Busybox image.
var BusyboxApplets = []string{
	"sh", "echo", "sleep", "nc", "cat", "ls", "true", "false", "env", "wget",
	"printf", "test", "mkdir", "rm", "touch", "id", "hostname", "kill", "ps",
	"grep", "head", "date", "uname",
}

// NewBusybox builds an image with /bin/busybox (read from BusyboxPath; it
// must be a static binary), symlinks for BusyboxApplets, /tmp, and Cmd
// ["sh"].
func NewBusybox(opts ...Option) (v1.Image, error) {
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return nil, fmt.Errorf("testimage: %w (apt-get install -y busybox-static)", err)
	}
	files := []File{
		{Path: "bin/", Dir: true},
		{Path: "bin/busybox", Mode: 0o755, Data: data},
		{Path: "tmp/", Dir: true, Mode: 0o1777},
		{Path: "etc/", Dir: true},
		{Path: "etc/passwd", Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{Path: "etc/group", Data: []byte("root:x:0:\nnogroup:x:65534:\n")},
	}
	for _, a := range BusyboxApplets {
		files = append(files, File{Path: "bin/" + a, Linkname: "busybox"})
	}
	l, err := NewFilesLayer(files, opts...)
	if err != nil {
		return nil, err
	}
	return build(newOptions(opts), []v1.Layer{l}, v1.Config{Cmd: []string{"sh"}}, "busybox")
}
