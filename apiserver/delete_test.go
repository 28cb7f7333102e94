package apiserver

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/objects"
)

// TestDeleteOptionsGracePeriod: the grace period of a DELETE comes from the
// DeleteOptions body (kubectl delete --grace-period) or the query, and ends
// up on the deleted object as deletionGracePeriodSeconds.
func TestDeleteOptionsGracePeriod(t *testing.T) {
	cases := []struct {
		name, url, body string
		want            int64 // -1: none
		bad             bool
	}{
		{"none", "/api/v1/namespaces/default/pods/p", "", -1, false},
		{"query", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=5", "", 5, false},
		{"body", "/api/v1/namespaces/default/pods/p", `{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0}`, 0, false},
		{"body wins", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=5", `{"gracePeriodSeconds":1}`, 1, false},
		{"not a number", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=x", "", 0, true},
		{"negative", "/api/v1/namespaces/default/pods/p", `{"gracePeriodSeconds":-2}`, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("DELETE", c.url, strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			opts, err := deleteOptions(r)
			if c.bad {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pod := &corev1.Pod{}
			for _, o := range opts {
				o(pod, time.Unix(1000, 0))
			}
			got := int64(-1)
			if pod.DeletionGracePeriodSeconds != nil {
				got = *pod.DeletionGracePeriodSeconds
				if pod.DeletionTimestamp == nil || pod.DeletionTimestamp.Unix() != 1000+got {
					t.Fatalf("deletionTimestamp %v", pod.DeletionTimestamp)
				}
			}
			if got != c.want {
				t.Fatalf("grace %d, want %d", got, c.want)
			}
		})
	}
	var _ objects.DeleteOption = objects.WithGracePeriod(0)
}
