package pull

import (
	"context"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// mustAttemptPull decides whether a present image must be pulled again to
// prove the caller's access (KEP-2535). verified says the check ran.
func (p *Puller) mustAttemptPull(ctx context.Context, req EnsureRequest, ref reference.Reference, img store.Image) (mustPull, verified bool) {
	return false, false
}

func (p *Puller) recordIntent(ctx context.Context, ref reference.Reference) {}

func (p *Puller) recordFailed(ctx context.Context, ref reference.Reference) {}

func (p *Puller) recordPulled(ctx context.Context, ref reference.Reference, res Result, used *credential.Credential) {
}
