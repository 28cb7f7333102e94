package apiserver

import (
	"net/http"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/manifest"
)

// resourceInfo is what discovery says about one served resource.
type resourceInfo struct {
	kind         manifest.Kind
	shortNames   []string
	categories   []string
	subresources []subresourceInfo
}

type subresourceInfo struct {
	name  string
	kind  string
	verbs []string
}

var (
	allVerbs    = []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	statusVerbs = []string{"get", "patch", "update"}
)

// served lists the resources as the API server's discovery names them.
var served = []resourceInfo{
	{kind: manifest.Event, shortNames: []string{"ev"}},
	{kind: manifest.Namespace, shortNames: []string{"ns"}, subresources: []subresourceInfo{{"status", "Namespace", statusVerbs}}},
	{kind: manifest.Pod, shortNames: []string{"po"}, categories: []string{"all"}, subresources: []subresourceInfo{
		{"log", "Pod", []string{"get"}}, {"status", "Pod", statusVerbs}}},
	{kind: manifest.Secret},
	{kind: manifest.ServiceAccount, shortNames: []string{"sa"}},
}

// resourceList is /api/v1 (legacy discovery).
func resourceList() metav1.APIResourceList {
	l := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1"}
	for _, r := range served {
		k := r.kind
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: k.Resource, SingularName: strings.ToLower(k.Name),
			Namespaced: k.Namespaced, Kind: k.Name, Verbs: allVerbs, ShortNames: r.shortNames, Categories: r.categories})
		for _, s := range r.subresources {
			l.APIResources = append(l.APIResources, metav1.APIResource{Name: k.Resource + "/" + s.name,
				Namespaced: k.Namespaced, Kind: s.kind, Verbs: s.verbs})
		}
	}
	return l
}

// groupDiscovery is aggregated discovery for /api (the core group; core is
// true) or /apis (no groups).
func groupDiscovery(core bool) apidiscoveryv2.APIGroupDiscoveryList {
	l := apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"},
		Items: []apidiscoveryv2.APIGroupDiscovery{}}
	if !core {
		return l
	}
	v := apidiscoveryv2.APIVersionDiscovery{Version: "v1", Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
	for _, r := range served {
		k := r.kind
		scope := apidiscoveryv2.ScopeCluster
		if k.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		d := apidiscoveryv2.APIResourceDiscovery{Resource: k.Resource, SingularResource: strings.ToLower(k.Name), Scope: scope,
			ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: k.Name}, Verbs: allVerbs, ShortNames: r.shortNames, Categories: r.categories}
		for _, s := range r.subresources {
			d.Subresources = append(d.Subresources, apidiscoveryv2.APISubresourceDiscovery{Subresource: s.name,
				ResponseKind: &metav1.GroupVersionKind{Version: "v1", Kind: s.kind}, Verbs: s.verbs})
		}
		v.Resources = append(v.Resources, d)
	}
	l.Items = append(l.Items, apidiscoveryv2.APIGroupDiscovery{Versions: []apidiscoveryv2.APIVersionDiscovery{v}})
	return l
}

// serveDiscovery answers /api and /apis: aggregated discovery when the
// client asks for it (kubectl does), else the legacy APIVersions or
// APIGroupList.
func serveDiscovery(w http.ResponseWriter, r *http.Request, core bool) {
	a, err := negotiate(r, mediaDiscovery, mediaJSON)
	if err != nil {
		writeError(w, err)
		return
	}
	if a.media == mediaDiscovery {
		w.Header().Set("Content-Type", contentTypeDiscovery)
		w.Header().Set("Vary", "Accept")
		writeJSONAs(w, http.StatusOK, groupDiscovery(core))
		return
	}
	if core {
		writeJSON(w, http.StatusOK, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}}})
		return
	}
	writeJSON(w, http.StatusOK, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}})
}
