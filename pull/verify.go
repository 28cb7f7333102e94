package pull

import (
	"context"
	"log/slog"
	"slices"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// WithCredentialVerification sets the imagePullCredentialsVerificationPolicy
// (KEP-2535) that decides whether a caller must prove, by a pull with its
// own credentials, its access to an image already present. Default:
// policy.NeverVerifyPreloadedImages, the kubelet's. Nil turns the check
// off (the kubelet without the KubeletEnsureSecretPulledImages feature).
func WithCredentialVerification(v *policy.Verifier) Option {
	return func(p *Puller) { p.verifier, p.verifierSet = v, true }
}

// WithPullRecords sets where the records of which credentials pulled which
// image are kept (default: in memory). The node agent keeps them on disk so
// that a restart does not open every private image to every pod.
func WithPullRecords(r PullRecords) Option { return func(p *Puller) { p.records = r } }

// mustAttemptPull applies the kubelet's MustAttemptImagePull to a present
// image: must the caller pull it to prove its access? verified says the
// check ran (verification is on).
func (p *Puller) mustAttemptPull(ctx context.Context, req EnsureRequest, ref reference.Reference, img store.Image) (mustPull, verified bool) {
	if p.verifier == nil {
		return false, false
	}
	imageRef := img.Target.Digest.String()
	rec, found, err := p.records.PulledRecord(ctx, imageRef)
	if err != nil {
		p.logger.Warn("image pull records unreadable: the pod must prove its access", "image", ref.String(), "error", err)
		return true, true
	}
	pulledByNode := found || p.intentCount(ref.String()) > 0
	if !pulledByNode {
		if ok, err := p.records.IntentExists(ctx, ref.String()); err != nil || ok {
			pulledByNode = true
		}
	}
	repo := ref.Name()
	if !p.verifier.Require(repo, pulledByNode) {
		return false, true
	}
	if !found {
		return true, true
	}
	cached, ok := rec.Credentials[repo]
	switch {
	case !ok:
		return true, true
	case cached.NodeAccessible:
		return false, true
	case len(cached.Secrets) == 0:
		return true, true
	}
	for _, c := range podSecrets(req.Keyring, repo) {
		for _, s := range cached.Secrets {
			hashes := s.CredentialHash != "" && s.CredentialHash == c.CredentialHash
			coords := s.UID == c.UID && s.Namespace == c.Namespace && s.Name == c.Name
			if hashes || coords {
				if hashes != coords {
					// Remember this secret (or its new content) as well.
					p.mergeRecord(ctx, imageRef, repo, PullCredentials{Secrets: []SecretCredential{c}})
				}
				return false, true
			}
		}
	}
	return true, true
}

// podSecrets are the caller's own (secret) credentials that match repo.
func podSecrets(ring credential.Keyring, repo string) []SecretCredential {
	if ring == nil {
		return nil
	}
	var out []SecretCredential
	for _, c := range ring.Lookup(repo) {
		if c.Secret != nil {
			out = append(out, secretCredential(c))
		}
	}
	return out
}

func secretCredential(c credential.Credential) SecretCredential {
	return SecretCredential{UID: c.Secret.UID, Namespace: c.Secret.Namespace, Name: c.Secret.Name, CredentialHash: c.Hash()}
}

// recordIntent notes that a pull of ref starts (an ImagePullIntent).
func (p *Puller) recordIntent(ctx context.Context, ref reference.Reference) {
	if p.verifier == nil {
		return
	}
	image := ref.String()
	p.intentMu.Lock()
	defer p.intentMu.Unlock()
	if err := p.records.WriteIntent(ctx, image); err != nil {
		p.logger.Warn("recording an image pull intent", "image", image, "error", err)
	}
	p.intents[image]++
}

// recordFailed ends an intent without a record.
func (p *Puller) recordFailed(ctx context.Context, ref reference.Reference) {
	if p.verifier == nil {
		return
	}
	p.endIntent(ctx, ref.String())
}

// recordPulled records which credential pulled ref (a pod's secret, or
// node-accessible for anonymous and node credentials), then ends the intent.
func (p *Puller) recordPulled(ctx context.Context, ref reference.Reference, res Result, used *credential.Credential) {
	if p.verifier == nil {
		return
	}
	creds := PullCredentials{NodeAccessible: true}
	if used != nil && used.Secret != nil {
		creds = PullCredentials{Secrets: []SecretCredential{secretCredential(*used)}}
	}
	p.mergeRecord(ctx, res.Target.Digest.String(), ref.Name(), creds)
	p.endIntent(ctx, ref.String())
}

func (p *Puller) endIntent(ctx context.Context, image string) {
	p.intentMu.Lock()
	defer p.intentMu.Unlock()
	if p.intents[image] > 1 {
		p.intents[image]--
		return
	}
	delete(p.intents, image)
	if err := p.records.DeleteIntent(ctx, image); err != nil {
		p.logger.Warn("removing an image pull intent", "image", image, "error", err)
	}
}

func (p *Puller) intentCount(image string) int {
	p.intentMu.Lock()
	defer p.intentMu.Unlock()
	return p.intents[image]
}

// mergeRecord adds creds for repo to the record of imageRef.
func (p *Puller) mergeRecord(ctx context.Context, imageRef, repo string, creds PullCredentials) {
	p.recordMu.Lock()
	defer p.recordMu.Unlock()
	rec, found, err := p.records.PulledRecord(ctx, imageRef)
	if err != nil || !found {
		rec = PulledRecord{ImageRef: imageRef}
	}
	if rec.Credentials == nil {
		rec.Credentials = map[string]PullCredentials{}
	}
	cur, changed := mergeCredentials(rec.Credentials[repo], creds)
	if found && !changed {
		return
	}
	rec.Credentials[repo] = cur
	rec.LastUpdated = p.clock.Now()
	if err := p.records.WritePulledRecord(ctx, rec); err != nil {
		p.logger.LogAttrs(ctx, slog.LevelWarn, "recording which credentials pulled an image",
			slog.String("image", imageRef), slog.String("error", err.Error()))
	}
}

// mergeCredentials adds add to cur: node access sticks, a secret with the
// same coordinates takes the new hash, another secret is appended.
func mergeCredentials(cur, add PullCredentials) (PullCredentials, bool) {
	changed := false
	if add.NodeAccessible && !cur.NodeAccessible {
		cur.NodeAccessible, changed = true, true
	}
	for _, s := range add.Secrets {
		i := slices.IndexFunc(cur.Secrets, func(c SecretCredential) bool {
			return c.UID == s.UID && c.Namespace == s.Namespace && c.Name == s.Name
		})
		switch {
		case i < 0:
			cur.Secrets = append(slices.Clone(cur.Secrets), s)
			changed = true
		case cur.Secrets[i].CredentialHash != s.CredentialHash:
			cur.Secrets = slices.Clone(cur.Secrets)
			cur.Secrets[i] = s
			changed = true
		}
	}
	return cur, changed
}
