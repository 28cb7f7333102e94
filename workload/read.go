package workload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// MaxBytes bounds one source (file or stdin): 16 MiB.
const MaxBytes = 16 << 20

// Workload is one object with a pod spec.
type Workload struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Source and Document say where it was read (file or STDIN, document
	// number from 1).
	Source   string         `json:"source"`
	Document int            `json:"document"`
	Spec     corev1.PodSpec `json:"-"`
}

// Ref is "Deployment/web" or "Deployment/ns/web" when a namespace is set.
func (w Workload) Ref() string {
	if w.Namespace == "" {
		return w.Kind + "/" + w.Name
	}
	return w.Kind + "/" + w.Namespace + "/" + w.Name
}

// Set is what Read found.
type Set struct {
	Workloads       []Workload
	Secrets         []corev1.Secret
	ServiceAccounts []corev1.ServiceAccount
}

// ParseError is a document that does not parse.
type ParseError struct {
	Source   string
	Document int
	Err      error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: document %d: %v", e.Source, e.Document, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Read reads every path ("-" is stdin; a directory contributes its .yaml,
// .yml and .json files, recursively when recursive).
func Read(paths []string, recursive bool, stdin io.Reader) (*Set, error) {
	s := &Set{}
	for _, p := range paths {
		if p == "-" {
			if stdin == nil {
				return nil, errors.New("no standard input to read")
			}
			if err := s.readSource("STDIN", stdin); err != nil {
				return nil, err
			}
			continue
		}
		files, err := expand(p, recursive)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				return nil, err
			}
			err = s.readSource(f, fh)
			fh.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func expand(p string, recursive bool) ([]string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("the path %q does not exist", p)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != p && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func (s *Set) readSource(name string, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > MaxBytes {
		return fmt.Errorf("%s is larger than %d bytes", name, MaxBytes)
	}
	return s.Decode(name, data)
}

// Decode adds the objects of data, read from source.
func (s *Set) Decode(source string, data []byte) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &ParseError{source, n, err}
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return &ParseError{source, n, fmt.Errorf("not valid YAML or JSON: %v", err)}
		}
		if string(bytes.TrimSpace(j)) == "null" {
			continue
		}
		if err := s.object(j, source, n, 0); err != nil {
			return &ParseError{source, n, err}
		}
	}
}

type header struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// object decodes one object (a List recursively, at most 4 deep).
func (s *Set) object(j []byte, source string, doc, depth int) error {
	var h header
	if err := json.Unmarshal(j, &h); err != nil {
		return fmt.Errorf("not a Kubernetes object: %v", err)
	}
	if h.Kind == "" {
		return errors.New("not a Kubernetes object (no kind)")
	}
	if strings.HasSuffix(h.Kind, "List") && h.Items != nil {
		if depth > 3 {
			return errors.New("lists nested too deeply")
		}
		for i, item := range h.Items {
			if err := s.object(item, source, doc, depth+1); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
		}
		return nil
	}
	switch h.Kind {
	case "Secret":
		var sec corev1.Secret
		if err := json.Unmarshal(j, &sec); err != nil {
			return fmt.Errorf("Secret %q does not decode: %v", h.Metadata.Name, err)
		}
		s.Secrets = append(s.Secrets, sec)
		return nil
	case "ServiceAccount":
		var sa corev1.ServiceAccount
		if err := json.Unmarshal(j, &sa); err != nil {
			return fmt.Errorf("ServiceAccount %q does not decode: %v", h.Metadata.Name, err)
		}
		s.ServiceAccounts = append(s.ServiceAccounts, sa)
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(j, &obj); err != nil {
		return fmt.Errorf("not a Kubernetes object: %v", err)
	}
	raw := podSpecOf(h.Kind, obj)
	if raw == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	w := Workload{Kind: h.Kind, Namespace: h.Metadata.Namespace, Name: h.Metadata.Name, Source: source, Document: doc}
	if err := json.Unmarshal(b, &w.Spec); err != nil {
		return fmt.Errorf("%s %q: the pod spec does not decode: %v", h.Kind, h.Metadata.Name, err)
	}
	s.Workloads = append(s.Workloads, w)
	return nil
}

// podSpecPaths are the known kinds' pod spec paths.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

func podSpecOf(kind string, obj map[string]any) map[string]any {
	if path, ok := podSpecPaths[kind]; ok {
		return at(obj, path)
	}
	return findTemplate(obj, 0)
}

func at(obj map[string]any, path []string) map[string]any {
	cur := obj
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// findTemplate looks for a pod template in an unknown kind: a "template"
// (or "podTemplate") object whose "spec" has a "containers" list.
func findTemplate(obj map[string]any, depth int) map[string]any {
	if depth > 6 {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m, ok := obj[k].(map[string]any)
		if !ok {
			continue
		}
		if k == "template" || k == "podTemplate" {
			if spec, ok := m["spec"].(map[string]any); ok {
				if _, ok := spec["containers"].([]any); ok {
					return spec
				}
			}
		}
		if found := findTemplate(m, depth+1); found != nil {
			return found
		}
	}
	return nil
}
