package diagnose

import "sort"

// Nearest returns up to n of tags most like missing: the longest common
// prefix first, then the smallest edit distance, then the later tag in
// reverse lexical order (v1.10 before v1.9 is not attempted: the order is
// only a hint). For "v2" among v2.0, v1.9 and latest it gives v2.0, v1.9.
func Nearest(missing string, tags []string, n int) []string {
	type cand struct {
		tag          string
		prefix, dist int
	}
	var cs []cand
	for _, t := range tags {
		if t == missing {
			continue
		}
		cs = append(cs, cand{t, commonPrefix(missing, t), distance(missing, t)})
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.prefix != b.prefix {
			return a.prefix > b.prefix
		}
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		return a.tag > b.tag
	})
	var out []string
	for _, c := range cs {
		if len(out) == n {
			break
		}
		// A tag sharing nothing and needing a full rewrite is no hint.
		if c.prefix == 0 && c.dist >= max(len(missing), len(c.tag)) {
			continue
		}
		out = append(out, c.tag)
	}
	return out
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// distance is the Levenshtein distance of a and b (bytes), bounded in
// cost by the 128-byte tag limit.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
