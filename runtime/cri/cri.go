package cri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	criv1 "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/pullwarden/pullwarden/runtime"
)

// Runtime implements runtime.Runtime over the CRI v1 gRPC API.
type Runtime struct {
	conn   *grpc.ClientConn
	rt     criv1.RuntimeServiceClient
	img    criv1.ImageServiceClient
	logger *slog.Logger
}

var _ runtime.Runtime = (*Runtime)(nil)

// Option configures New.
type Option func(*Runtime)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Runtime) { r.logger = l } }

// maxMsgSize is the largest CRI message accepted (as the kubelet: 16 MiB).
const maxMsgSize = 16 << 20

// New connects to the CRI endpoint at address, a unix socket path (with or
// without "unix://"), and checks it answers Version. ctx bounds only that
// check.
func New(ctx context.Context, address string, opts ...Option) (*Runtime, error) {
	r := &Runtime{logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(r)
	}
	target := address
	if !strings.HasPrefix(target, "unix://") {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize), grpc.MaxCallSendMsgSize(maxMsgSize)))
	if err != nil {
		return nil, fmt.Errorf("CRI endpoint %s: %w", address, err)
	}
	r.conn = conn
	r.rt = criv1.NewRuntimeServiceClient(conn)
	r.img = criv1.NewImageServiceClient(conn)
	if _, err := r.rt.Version(ctx, &criv1.VersionRequest{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("CRI endpoint %s: %w", address, err)
	}
	return r, nil
}

// Close closes the connection.
func (r *Runtime) Close() error { return r.conn.Close() }

// Version returns the runtime's name and version ("containerd", "1.6.20").
func (r *Runtime) Version(ctx context.Context) (name, version string, err error) {
	v, err := r.rt.Version(ctx, &criv1.VersionRequest{})
	if err != nil {
		return "", "", wrap(err, "version")
	}
	return v.RuntimeName, v.RuntimeVersion, nil
}

// ImageStatus implements runtime.Runtime.
func (r *Runtime) ImageStatus(ctx context.Context, image string) (runtime.Image, error) {
	resp, err := r.img.ImageStatus(ctx, &criv1.ImageStatusRequest{Image: &criv1.ImageSpec{Image: image}})
	if err != nil {
		return runtime.Image{}, wrap(err, "image status of %s", image)
	}
	if resp.Image == nil {
		return runtime.Image{}, fmt.Errorf("image %s: %w", image, runtime.ErrNotFound)
	}
	return runtime.Image{
		ID:          resp.Image.Id,
		RepoTags:    resp.Image.RepoTags,
		RepoDigests: resp.Image.RepoDigests,
		Size:        resp.Image.Size,
	}, nil
}

// wrap adds context to a CRI error and maps NotFound to runtime.ErrNotFound.
func wrap(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%s: %w: %w", msg, runtime.ErrNotFound, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// ignoreNotFound treats "already gone" as success for stop and remove.
func ignoreNotFound(err error) error {
	if errors.Is(err, runtime.ErrNotFound) || status.Code(err) == codes.NotFound {
		return nil
	}
	return err
}

func unixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
