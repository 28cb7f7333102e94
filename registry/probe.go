package registry

import (
	"context"
	"net/http"
	"time"
)

// probeTimeout bounds one probe.
const probeTimeout = 3 * time.Second

// Probe asks host whether it answers again: one GET of /v2/ through the
// client's transport (its hosts.toml settings, deadlines and scheme rules:
// plain HTTP for loopback and insecure hosts, else verified HTTPS), with
// no credentials and no redirect followed. Any HTTP answer, 401 included,
// means the registry is back; it is light enough to send every second
// while the registry is down.
func (c *Client) Probe(ctx context.Context, host string) error {
	scheme := "https"
	if c.allowHTTP(host) {
		scheme = "http"
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/v2/", nil)
	if err != nil {
		return err
	}
	hc := &http.Client{
		Transport:     c.challenges.inner,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
