package cli

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/pflag"

	"github.com/pullwarden/pullwarden/agent"
	cstore "github.com/pullwarden/pullwarden/store/containerd"
)

// nodeFlags select the node agent's containerd as the image store (pull
// --node, load --node): where the agent's pods find their images.
type nodeFlags struct {
	node       bool
	dataDir    string
	containerd string
}

func (n *nodeFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&n.node, "node", false, "put the image into the node agent's containerd (where its pods find images, e.g. for imagePullPolicy: Never) instead of the OCI store")
	f.StringVar(&n.dataDir, "data-dir", "", "with --node: the agent's data directory (default $PULLWARDEN_DATA_DIR, else $XDG_DATA_HOME/pullwarden/agent)")
	f.StringVar(&n.containerd, "containerd-address", "", "with --node: the containerd socket the agent uses (default: its private one, DATA_DIR/containerd/containerd.sock)")
}

// open connects to the agent's containerd.
func (n *nodeFlags) open(ctx context.Context) (*cstore.Store, error) {
	addr := n.containerd
	if addr == "" {
		dir := n.dataDir
		if dir == "" {
			dir = agent.DefaultDataDir()
		}
		addr = agent.ContainerdSocket(dir)
	}
	if c, err := net.DialTimeout("unix", addr, 2*time.Second); err != nil {
		return nil, fmt.Errorf("no containerd answers at %s: start the node agent (pullwarden serve) first, or point --data-dir or --containerd-address at it", addr)
	} else {
		c.Close()
	}
	return cstore.Open(ctx, addr)
}
