package controller

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/notify"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reference"
)

// The triggers besides the re-check schedule and the credential watches:
// the probe of a registry that stopped answering and the registry's push
// notifications. Both wake the waiting pods they concern with a trigger
// and make their re-checks due at once.

// registerProbesLocked puts the registry hosts of the pod's images that wait
// with RegistryUnreachable on the probe schedule (and takes the pod off
// the hosts it no longer waits on). Called with r.mu held.
func (r *reconciler) registerProbesLocked(nn types.NamespacedName, st *podState, res *kube.PodResult) {
	hosts := map[string]bool{}
	for _, c := range res.Containers {
		if c.Result.Reason != cause.RegistryUnreachable.Reason() {
			continue
		}
		if ref, err := reference.Parse(c.Image); err == nil {
			hosts[ref.Registry()] = true
		}
	}
	st.probeKeys = subscribe(r.probes, nn.String(), st.probeKeys, hosts)
}

// unregisterLocked takes the pod off both schedules. Called with r.mu held.
func (r *reconciler) unregisterLocked(nn types.NamespacedName, st *podState) {
	for _, k := range st.keys {
		r.sched.Unregister(k, nn.String())
	}
	for _, h := range st.probeKeys {
		r.probes.Unregister(h, nn.String())
	}
	st.keys, st.probeKeys = nil, nil
}

// probe is the probe schedule's check: a host that answers wakes every
// pod waiting on it.
func (r *reconciler) probe(ctx context.Context, host string, waiters []string) {
	if err := r.opts.Probe(ctx, host); err != nil {
		r.opts.Logger.Debug("registry still does not answer", "registry", host, "err", err)
		return
	}
	r.opts.Logger.Info("registry answers again", "registry", host, "pods", len(waiters))
	r.wakeAll(ctx, waiters, pull.TriggerRegistryBack)
}

// pushed wakes the pods waiting on an image of the pushed repository.
func (r *reconciler) pushed(ctx context.Context, p notify.Push) {
	repo := p.Host + "/" + p.Repository
	if ref, err := reference.Parse(repo); err == nil {
		repo = ref.Name()
	}
	var waiters []string
	r.mu.Lock()
	for nn, st := range r.pods {
		if slices.ContainsFunc(st.keys, func(k string) bool { return keyRepository(k) == repo }) {
			waiters = append(waiters, nn.String())
		}
	}
	r.mu.Unlock()
	r.opts.Logger.Info("push notification", "repository", repo, "tag", p.Tag, "pods", len(waiters))
	r.wakeAll(ctx, waiters, pull.TriggerPush)
}

// keyRepository is the repository of a re-check key's image.
func keyRepository(key string) string {
	i := strings.LastIndexByte(key, 0)
	ref, err := reference.Parse(key[i+1:])
	if err != nil {
		return ""
	}
	return ref.Name()
}

// wakeAll re-checks the waiters ("ns/name") at once for trig, with fresh
// registry answers.
func (r *reconciler) wakeAll(ctx context.Context, waiters []string, trig pull.Trigger) {
	r.ck.Forget()
	r.memo.forget()
	for _, w := range waiters {
		ns, name, _ := strings.Cut(w, "/")
		nn := types.NamespacedName{Namespace: ns, Name: name}
		r.setTrigger(nn, trig)
		r.resetPod(nn)
		r.enqueue(ctx, nn)
	}
}

// serveNotify serves the push notification endpoint until ctx ends.
func (r *reconciler) serveNotify(ctx context.Context) error {
	l, err := net.Listen("tcp", r.opts.NotifyListen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: notify.Mux(notify.Options{Logger: r.opts.Logger, Token: r.opts.NotifyToken,
			OnPush: func(p notify.Push) { r.pushed(ctx, p) }}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
