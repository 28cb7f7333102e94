package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spf13/pflag"

	"github.com/pullwarden/pullwarden/agent"
	"github.com/pullwarden/pullwarden/apiserver"
)

const envServer = "PULLWARDEN_SERVER"

// kubeFlags select the agent and the namespace, as kubectl's do.
type kubeFlags struct {
	server        string
	namespace     string
	allNamespaces bool
}

func (k *kubeFlags) register(f *pflag.FlagSet, all bool) {
	f.StringVar(&k.server, "server", "", "agent API: a unix socket or http://127.0.0.1:PORT (default $"+envServer+", else the default data dir's socket)")
	f.StringVarP(&k.namespace, "namespace", "n", "", "namespace (default \"default\")")
	if all {
		f.BoolVarP(&k.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	}
}

func (k *kubeFlags) ns() string {
	if k.namespace == "" {
		return "default"
	}
	return k.namespace
}

func (k *kubeFlags) client() (*apiserver.Client, error) {
	addr := k.server
	if addr == "" {
		addr = os.Getenv(envServer)
	}
	if addr == "" {
		addr = agent.DefaultSocket(agent.DefaultDataDir())
		if _, err := os.Stat(addr); err != nil {
			return nil, fmt.Errorf("no agent at %s: start one with `pullwarden serve`, or point --server (or $%s) at it", addr, envServer)
		}
	}
	return apiserver.NewClient(addr)
}

// kubeError prints an error the way kubectl does and marks it reported.
func kubeError(w io.Writer, err error) error {
	fmt.Fprintln(w, kubeMessage(err))
	return &reportedError{err}
}

func kubeMessage(err error) string {
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		return "error: " + err.Error()
	}
	st := se.Status()
	if st.Reason == metav1.StatusReasonInvalid && st.Details != nil {
		var causes []string
		for _, c := range st.Details.Causes {
			causes = append(causes, strings.TrimSpace(c.Field+": "+c.Message))
		}
		head := fmt.Sprintf("The %s %q is invalid", st.Details.Kind, st.Details.Name)
		switch len(causes) {
		case 0:
			return head
		case 1:
			return head + ": " + causes[0]
		}
		return head + ": \n* " + strings.Join(causes, "\n* ")
	}
	if st.Reason != "" {
		return fmt.Sprintf("Error from server (%s): %s", st.Reason, st.Message)
	}
	return "Error from server: " + st.Message
}
