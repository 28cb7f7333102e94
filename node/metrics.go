package node

import "github.com/prometheus/client_golang/prometheus"

// gauges are the node's own metrics, besides the engine's (package
// metrics: pulls by result and cause, bytes, registry waits).
type gauges struct {
	prepullImages *prometheus.GaugeVec
	requests      *prometheus.CounterVec
}

func newGauges(r prometheus.Registerer) *gauges {
	g := &gauges{
		prepullImages: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pullwarden_prepull_images",
			Help: "Images of the pre-pull ConfigMap by state: Present, Failing (by the cause of the last failure), Pending.",
		}, []string{"state", "cause"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pullwarden_node_pull_requests_total",
			Help: "Pull requests of the controller answered, by result (success: every image pulled; failure).",
		}, []string{"result"}),
	}
	r.MustRegister(g.prepullImages, g.requests)
	return g
}

// prepull sets the pre-pull gauges from the current states.
func (g *gauges) prepull(states []ImageState) {
	g.prepullImages.Reset()
	for _, s := range []string{StatePresent, StatePending} {
		g.prepullImages.WithLabelValues(s, "")
	}
	for _, s := range states {
		g.prepullImages.WithLabelValues(s.State, s.Reason).Inc()
	}
}

func (g *gauges) request(ok bool) {
	if ok {
		g.requests.WithLabelValues("success").Inc()
	} else {
		g.requests.WithLabelValues("failure").Inc()
	}
}
