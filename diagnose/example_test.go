package diagnose_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/registry"
)

// A tag that does not exist: the failing step, its cause and the nearest
// existing tags.
func ExampleChecker_Check() {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, _ := random.Image(256, 1)
	for _, tag := range []string{"v2.0", "v1.9", "latest"} {
		ref, _ := name.ParseReference(host + "/team/app:" + tag)
		if err := remote.Write(ref, img); err != nil {
			panic(err)
		}
	}

	ck := diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{}))})
	res := ck.Check(context.Background(), diagnose.Request{Image: host + "/team/app:v2"})
	failed := res.FailedStep()
	fmt.Println("pullable:", res.Pullable)
	fmt.Println("failed step:", failed.Name, failed.Reason)
	fmt.Println("nearest tags:", res.NearestTags)
	// Output:
	// pullable: false
	// failed step: manifest TagNotFound
	// nearest tags: [v2.0 v1.9]
}
