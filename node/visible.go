package node

import (
	"context"
	"errors"
	"time"

	"github.com/pullwarden/pullwarden/runtime"
)

// imageStatuser is the part of the CRI the node needs: whether the
// kubelet's runtime sees an image.
type imageStatuser interface {
	ImageStatus(ctx context.Context, image string) (runtime.Image, error)
}

// visibleWithin bounds the wait for the CRI to see a pulled image.
const visibleWithin = 5 * time.Second

// waitVisible returns once the CRI (what the kubelet asks) sees image.
// containerd's CRI plugin learns of an image from containerd's event
// stream, a little after the image record exists; an answer written
// before that nudges the kubelet into a sync that still misses the image
// and falls back into its image backoff. It waits in real time (this is
// containerd catching up, not a schedule) and gives up after
// visibleWithin.
func (n *Node) waitVisible(ctx context.Context, image string) {
	if n.cri == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, visibleWithin)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := n.cri.ImageStatus(ctx, image)
		if err == nil {
			return
		}
		if !errors.Is(err, runtime.ErrNotFound) && ctx.Err() == nil {
			n.cfg.Logger.Warn("CRI image status", "image", image, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			n.cfg.Logger.Warn("the CRI does not see a pulled image yet; answering anyway", "image", image, "waited", visibleWithin)
			return
		case <-tick.C:
		}
	}
}
