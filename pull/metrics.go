package pull

import (
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/metrics"
)

// WithMetrics records pulls by result and cause, bytes transferred, the
// smart policy's retry delays, the seconds from a trigger to the image
// pulled, and the pods waiting by cause (default: none).
func WithMetrics(m *metrics.Metrics) Option { return func(p *Puller) { p.metrics = m } }

// metricTrigger is the metrics label of a trigger.
func metricTrigger(t Trigger) metrics.Trigger {
	switch t {
	case TriggerRecheck:
		return metrics.TriggerRecheck
	case TriggerPush:
		return metrics.TriggerNotification
	case TriggerCredentials:
		return metrics.TriggerSecret
	case TriggerRegistryBack:
		return metrics.TriggerRegistryBack
	case TriggerManual:
		return metrics.TriggerRetryCommand
	}
	return metrics.TriggerBackoff
}

// released remembers when a trigger released an image, so that the pull
// that follows records the recovery time.
type released struct {
	trigger Trigger
	at      time.Time
}

// recordPullMetrics records a finished pull of image.
func (p *Puller) recordPullMetrics(image string, res Result, err error) {
	if p.metrics == nil {
		return
	}
	if err != nil {
		p.metrics.Pull(metrics.Failure, cause.Of(err).Reason())
		return
	}
	p.metrics.Pull(metrics.Success, "")
	p.metrics.Transferred(res.Downloaded)
	p.metrics.Resumed(res.Resumed)
	p.holdMu.Lock()
	r, ok := p.releases[image]
	delete(p.releases, image)
	p.holdMu.Unlock()
	if ok {
		p.metrics.Recovered(metricTrigger(r.trigger), p.clock.Since(r.at))
	}
}

// waitingLocked refreshes the pods-waiting gauge from the holds; callers
// hold holdMu.
func (p *Puller) waitingLocked() {
	if p.metrics == nil {
		return
	}
	n := map[string]int{}
	for _, h := range p.holds {
		if h.cause != nil {
			n[h.cause.Reason()] += len(h.waiters)
		}
	}
	for _, c := range cause.All() {
		p.metrics.SetPodsWaiting(c.Reason(), n[c.Reason()])
	}
}
