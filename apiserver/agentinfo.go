package apiserver

import (
	"context"
	"encoding/json"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// AgentPath is pullwarden's own endpoint (not a Kubernetes API path)
// that describes the node agent serving the API: GET answers an
// AgentInfo; an API without an agent answers NotFound.
const AgentPath = "/pullwarden/v1/agent"

// AgentInfo is what a client may need to know of the node agent.
type AgentInfo struct {
	// RetryPolicy is the agent's retry policy for pods without the
	// pullwarden.io/retry-policy annotation ("smart" or "kubelet").
	RetryPolicy string `json:"retryPolicy"`
	// RegistryConfigPath is the agent's containerd hosts.toml directory
	// (serve --registry-config-path); "" for none.
	RegistryConfigPath string `json:"registryConfigPath,omitempty"`
}

// WithAgentInfo sets what AgentPath answers (default: NotFound).
func WithAgentInfo(i AgentInfo) Option { return func(h *Handler) { h.agentInfo = &i } }

func (h *Handler) serveAgentInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	if h.agentInfo == nil {
		writeError(w, errNoResource)
		return
	}
	writeJSON(w, http.StatusOK, h.agentInfo)
}

// AgentInfo reads the agent's AgentInfo; ok is false when the API has no
// agent behind it (or an agent too old to say).
func (c *Client) AgentInfo(ctx context.Context) (info AgentInfo, ok bool, err error) {
	raw, err := rawResult(c.CoreV1().RESTClient().Get().AbsPath(AgentPath).Do(ctx))
	if apierrors.IsNotFound(err) {
		return AgentInfo{}, false, nil
	}
	if err != nil {
		return AgentInfo{}, false, err
	}
	err = json.Unmarshal(raw, &info)
	return info, err == nil, err
}
