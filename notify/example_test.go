package notify_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/pullwarden/pullwarden/notify"
)

func ExampleMux() {
	mux := notify.Mux(notify.Options{OnPush: func(p notify.Push) {
		fmt.Println(p.Host, p.Repository, p.Tag)
	}})
	body := `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",
		"repository":"team/app","tag":"v2","digest":"sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf"},
		"request":{"host":"registry.example:5000"}}]}`
	req := httptest.NewRequest("POST", notify.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", notify.MediaType)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// registry.example:5000 team/app v2
	// 200
}
