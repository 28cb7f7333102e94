package credential

// Try applies the kubelet's rule for trying credentials: attempt is called
// with every credential that matches repo (a normalised repository name),
// most specific first, until one is not refused (refused(err) false, success
// included); when credentials matched and all were refused, there is no
// anonymous attempt; when none matched, attempt is called once with nil
// (anonymous). It returns the credential of the last attempt (nil:
// anonymous), the Sources of every credential refused (the last one too
// when it was), and the last attempt's error.
//
// This is the one credential loop: the pull and `auth check` both use it.
func Try(ring Keyring, repo string, refused func(error) bool, attempt func(*Credential) error) (last *Credential, refusedSources []string, err error) {
	var creds []Credential
	if ring != nil {
		creds = ring.Lookup(repo)
	}
	if len(creds) == 0 {
		return nil, nil, attempt(nil)
	}
	for i := range creds {
		c := &creds[i]
		err = attempt(c)
		if err == nil || !refused(err) {
			return c, refusedSources, err
		}
		refusedSources = append(refusedSources, c.Source)
		last = c
	}
	return last, refusedSources, err
}
