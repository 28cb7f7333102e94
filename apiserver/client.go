package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// FieldManager is the field manager name the client applies with.
const FieldManager = "pullwarden"

// Client talks to the agent's API. It embeds client-go's typed clientset
// (CoreV1().Pods(ns).Get/List/Watch/Create/Update/Delete...) and adds the
// few calls the commands need on top.
type Client struct {
	kubernetes.Interface
	// Config is the rest.Config the clientset was built from.
	Config *rest.Config
}

// RESTConfig returns a client-go config for socketOrURL: a unix socket path
// (or unix://PATH), or an http(s):// URL.
func RESTConfig(socketOrURL string) (*rest.Config, error) {
	// JSON only: the agent does not speak protobuf or CBOR.
	cfg := jsonOnly(&rest.Config{})
	switch {
	case strings.HasPrefix(socketOrURL, "http://"), strings.HasPrefix(socketOrURL, "https://"):
		cfg.Host = socketOrURL
	case socketOrURL != "":
		path := strings.TrimPrefix(socketOrURL, "unix://")
		cfg.Host = "http://localhost"
		cfg.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
	default:
		return nil, fmt.Errorf("no API address given")
	}
	return cfg, nil
}

// NewClient returns a client for the API at socketOrURL.
func NewClient(socketOrURL string) (*Client, error) {
	cfg, err := RESTConfig(socketOrURL)
	if err != nil {
		return nil, err
	}
	return newClient(cfg)
}

func newClient(cfg *rest.Config) (*Client, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{Interface: cs, Config: cfg}, nil
}

// Apply creates or replaces obj with server-side apply and reports what
// happened in kubectl's words. obj is not modified; the stored object is
// returned.
func (c *Client) Apply(ctx context.Context, obj manifest.Object) (manifest.Object, objects.Action, error) {
	k, err := manifest.KindOf(obj)
	if err != nil {
		return nil, "", err
	}
	ns := obj.GetNamespace()
	if k.Namespaced && ns == "" {
		ns = manifest.DefaultNamespace
	}
	rc := c.CoreV1().RESTClient()
	before := ""
	if cur, err := c.Get(ctx, k, ns, obj.GetName()); err == nil {
		before = cur.GetResourceVersion()
	} else if !apierrors.IsNotFound(err) {
		return nil, "", err
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, "", err
	}
	res := rc.Patch(types.ApplyYAMLPatchType).NamespaceIfScoped(ns, k.Namespaced).Resource(k.Resource).Name(obj.GetName()).
		Param("fieldManager", FieldManager).Body(body).Do(ctx)
	raw, err := rawResult(res)
	if err != nil {
		return nil, "", err
	}
	var code int
	res.StatusCode(&code)
	out, err := manifest.DecodeObject(raw)
	if err != nil {
		return nil, "", err
	}
	switch {
	case code == http.StatusCreated:
		return out, objects.Created, nil
	case out.GetResourceVersion() == before:
		return out, objects.Unchanged, nil
	}
	return out, objects.Configured, nil
}

// Get returns one object of kind k.
func (c *Client) Get(ctx context.Context, k manifest.Kind, namespace, name string) (manifest.Object, error) {
	raw, err := rawResult(c.CoreV1().RESTClient().Get().NamespaceIfScoped(namespace, k.Namespaced).Resource(k.Resource).Name(name).Do(ctx))
	if err != nil {
		return nil, err
	}
	return manifest.DecodeObject(raw)
}

// List returns the objects of kind k in namespace ("" for all) and the
// list's resourceVersion.
func (c *Client) List(ctx context.Context, k manifest.Kind, namespace string) ([]manifest.Object, string, error) {
	raw, err := rawResult(c.CoreV1().RESTClient().Get().NamespaceIfScoped(namespace, k.Namespaced && namespace != "").Resource(k.Resource).Do(ctx))
	if err != nil {
		return nil, "", err
	}
	var list struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, "", err
	}
	out := make([]manifest.Object, 0, len(list.Items))
	for _, item := range list.Items {
		obj, err := manifest.DecodeAs(k, item)
		if err != nil {
			return nil, "", err
		}
		out = append(out, obj)
	}
	return out, list.Metadata.ResourceVersion, nil
}

// Delete deletes one object of kind k and returns it.
func (c *Client) Delete(ctx context.Context, k manifest.Kind, namespace, name string) (manifest.Object, error) {
	raw, err := rawResult(c.CoreV1().RESTClient().Delete().NamespaceIfScoped(namespace, k.Namespaced).Resource(k.Resource).Name(name).Do(ctx))
	if err != nil {
		return nil, err
	}
	return manifest.DecodeObject(raw)
}

// Logs copies a container's log to w; follow keeps streaming until ctx ends
// or the container's log ends.
func (c *Client) Logs(ctx context.Context, namespace, pod, container string, follow bool, w io.Writer) error {
	rc, err := c.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: follow}).Stream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

// rawResult is the body of a successful response, or the API server's
// error decoded from the Status it sent (Result.Raw alone would give a
// generic error for any non-2xx answer).
func rawResult(res rest.Result) ([]byte, error) {
	if err := res.Error(); err != nil {
		return nil, err
	}
	return res.Raw()
}
