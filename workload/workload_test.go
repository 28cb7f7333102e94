package workload_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/workload"
)

func labels(s *workload.Set) []string {
	var out []string
	for _, w := range s.Workloads {
		for _, im := range workload.FromPodSpec(&w.Spec) {
			out = append(out, w.Ref()+" "+im.Label()+" "+im.Image+" "+string(im.Policy))
		}
	}
	return out
}

func TestReadDirectory(t *testing.T) {
	flat, err := workload.Read([]string{"testdata/manifests"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(flat.Workloads) != 2 {
		t.Fatalf("without -R: %d workloads, want 2", len(flat.Workloads))
	}
	s, err := workload.Read([]string{"testdata/manifests"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Deployment/shop/web initContainer migrate reg.example.com/shop/migrate:v1 ",
		"Deployment/shop/web container web reg.example.com/shop/web:v2 Always",
		"Deployment/shop/web imageVolume assets reg.example.com/shop/assets:v1 IfNotPresent",
		"CronJob/nightly container job busybox ",
		"Rollout/canary container app ghcr.io/acme/app:1.2 ",
		"Rollout/canary ephemeralContainer debug busybox:1.36 ",
	}
	if got := labels(s); !slices.Equal(got, want) {
		t.Fatalf("images:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(s.ServiceAccounts) != 1 || s.Workloads[0].Document != 1 || s.Workloads[1].Document != 2 {
		t.Fatalf("service accounts %d, documents %d %d", len(s.ServiceAccounts), s.Workloads[0].Document, s.Workloads[1].Document)
	}
	names, from := workload.PullSecrets(&s.Workloads[1].Spec, &s.ServiceAccounts[0])
	if !slices.Equal(names, []string{"batchcred"}) || !strings.Contains(from, "service account batch") {
		t.Fatalf("cronjob pull secrets %v from %q", names, from)
	}
	names, from = workload.PullSecrets(&s.Workloads[0].Spec, &s.ServiceAccounts[0])
	if !slices.Equal(names, []string{"regcred"}) || from != "the pod's imagePullSecrets" {
		t.Fatalf("deployment pull secrets %v from %q", names, from)
	}
}

func TestReadBadDocument(t *testing.T) {
	f := t.TempDir() + "/bad.yaml"
	os.WriteFile(f, []byte("kind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n---\nkind: Pod\nspec: [unclosed\n"), 0o644)
	_, err := workload.Read([]string{f}, false, nil)
	var pe *workload.ParseError
	if !errors.As(err, &pe) || pe.Source != f || pe.Document != 2 {
		t.Fatalf("error %v, want a ParseError for %s document 2", err, f)
	}
	_, err = workload.Read([]string{"-"}, false, strings.NewReader("kind: Pod\nspec: {containers: 3}\n"))
	if !errors.As(err, &pe) || pe.Source != "STDIN" || pe.Document != 1 || !strings.Contains(err.Error(), "pod spec does not decode") {
		t.Fatalf("stdin error %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []string{"testdata/manifests/apps.yaml", "testdata/manifests/sub/rollout.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &workload.Set{}
		if err := s.Decode("fuzz", data); err != nil {
			var pe *workload.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error without document: %v", err)
			}
			return
		}
		for _, w := range s.Workloads {
			workload.FromPodSpec(&w.Spec)
		}
	})
}
