package agent

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/metrics"
	"github.com/pullwarden/pullwarden/notify"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reference"
)

// runRetry runs what retries held pulls the moment their cause is fixed,
// until ctx ends: the shared re-checks, the watch of Secrets and
// ServiceAccounts and of the node's docker config, and the push-notification
// endpoint when configured.
func (a *Agent) runRetry(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.puller.RunRechecks(ctx) })
	wg.Go(func() { a.watchCredentials(ctx, manifest.Secret) })
	wg.Go(func() { a.watchCredentials(ctx, manifest.ServiceAccount) })
	wg.Go(func() { a.watchNodeCredentials(ctx) })
	if a.notifyListener != nil {
		wg.Go(func() { a.serveNotify(ctx) })
	}
	if a.metricsListener != nil {
		wg.Go(func() { a.serveMetrics(ctx) })
	}
	wg.Wait()
}

// watchCredentials retries, at once, the held pulls of the pods that use a
// Secret or ServiceAccount (kind) that is created or changed.
func (a *Agent) watchCredentials(ctx context.Context, kind manifest.Kind) {
	for ctx.Err() == nil {
		_, rv, err := a.objects.List(ctx, kind, "")
		var ch <-chan objects.Event
		if err == nil {
			ch, err = a.objects.Watch(ctx, kind, "", objects.FromResourceVersion(rv))
		}
		if err == nil {
			for ev := range ch {
				if ev.Type == watch.Added || ev.Type == watch.Modified {
					a.credentialChanged(ctx, ev.Object)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// credentialChanged releases the holds of the pods that use o.
func (a *Agent) credentialChanged(ctx context.Context, o manifest.Object) {
	var ns string
	var uses func(p *corev1.Pod) bool
	switch o := o.(type) {
	case *corev1.Secret:
		ns = o.Namespace
		uses = func(p *corev1.Pod) bool {
			return slices.ContainsFunc(p.Spec.ImagePullSecrets, func(r corev1.LocalObjectReference) bool { return r.Name == o.Name })
		}
	case *corev1.ServiceAccount:
		ns = o.Namespace
		uses = func(p *corev1.Pod) bool { return serviceAccountOf(p) == o.Name }
	default:
		return
	}
	pods, _, err := a.objects.List(ctx, manifest.Pod, ns)
	if err != nil {
		return
	}
	for _, po := range pods {
		if p, ok := po.(*corev1.Pod); ok && uses(p) {
			a.puller.RetryHeld(string(p.UID), pull.TriggerCredentials)
		}
	}
}

func serviceAccountOf(p *corev1.Pod) string {
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName
	}
	return "default"
}

// serveNotify serves docker-registry's push notifications: a push of a
// repository releases the pulls held on it.
func (a *Agent) serveNotify(ctx context.Context) {
	a.serveHTTP(ctx, "push notification endpoint", a.notifyListener, notify.Mux(notify.Options{Logger: a.cfg.Logger, Token: a.cfg.NotifyToken, OnPush: func(p notify.Push) {
		a.puller.RetryRepository(repositoryName(p.Host, p.Repository), pull.TriggerPush)
	}}))
}

// repositoryName normalises a pushed repository the way image references
// are ("127.0.0.1:5000/team/app").
func repositoryName(host, repo string) string {
	if ref, err := reference.Parse(host + "/" + repo); err == nil {
		return ref.Name()
	}
	return host + "/" + repo
}

// listenTCP opens an endpoint's listener in Start, so that a taken
// address fails the start; "" is none.
func (a *Agent) listenTCP(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() error {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	return l, nil
}

// serveMetrics serves Prometheus metrics at /metrics.
func (a *Agent) serveMetrics(ctx context.Context) {
	mux := http.NewServeMux()
	mux.Handle(metrics.Path, a.metrics.Handler())
	a.serveHTTP(ctx, "metrics endpoint", a.metricsListener, mux)
}

// serveHTTP serves h on l until ctx ends.
func (a *Agent) serveHTTP(ctx context.Context, what string, l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.cfg.Logger.Warn(what, "error", err)
	}
}

// MetricsAddress is the address of the metrics endpoint ("" when not
// configured).
func (a *Agent) MetricsAddress() string {
	if a.metricsListener == nil {
		return ""
	}
	return a.metricsListener.Addr().String()
}

// NotifyAddress is the address of the push-notification endpoint ("" when
// not configured).
func (a *Agent) NotifyAddress() string {
	if a.notifyListener == nil {
		return ""
	}
	return a.notifyListener.Addr().String()
}

// podRetrier is the API's `retry` over the image manager.
type podRetrier struct{ p *pull.Puller }

func (r podRetrier) RetryPod(uid string) { r.p.RetryWaiter(uid, pull.TriggerManual) }
