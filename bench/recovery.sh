#!/usr/bin/env bash
# Seconds from a fix to Running on the node agent, per trigger, with the
# smart retry policy against the kubelet's, in one run: the e2e scenarios of
# e2e/retry_test.go (a pushed tag announced by a registry notification, a
# pushed tag found by the HEAD re-check, a secret applied, a registry
# restarted, `pullwarden retry pod`), each with one pod in each mode waiting
# for the same fix, on a real containerd and Debian's docker-registry.
# ROUNDS runs (default 3); the medians and ranges replace the section between
# the recovery markers in docs/benchmarks.md (BENCH_OUT=path to write
# elsewhere). Not part of make test; needs root (containerd).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
ROUNDS=${ROUNDS:-3}
OUT=${BENCH_OUT:-docs/benchmarks.md}
WORK=$(mktemp -d /tmp/pullwarden-recovery.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

bash scripts/deps.sh >/dev/null
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r of $ROUNDS"
	PULLWARDEN_REQUIRE_REAL=1 go test -tags e2e -count=1 -v -run '^TestRetryTriggers$' -timeout 20m ./e2e/ >"$WORK/round$r.log" 2>&1 ||
		{ tail -n 40 "$WORK/round$r.log" >&2; exit 1; }
	grep -ho 'recovery trigger=[a-z-]* policy=[a-z]* seconds=[0-9.]*' "$WORK/round$r.log" >>"$WORK/all.txt"
done

# trigger policy seconds, one line each -> a table of medians and ranges.
TABLE=$(sed 's/recovery trigger=\([a-z-]*\) policy=\([a-z]*\) seconds=\([0-9.]*\)/\1 \2 \3/' "$WORK/all.txt" |
	sort -k1,1 -k2,2 -k3,3n |
	awk '
	{ k = $1 " " $2; v[k, ++n[k]] = $3; if (!(k in seen)) { seen[k] = 1; keys[++nk] = k } }
	function med(k,   c) { c = n[k]; return c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
	END {
		for (i = 1; i <= nk; i++) { split(keys[i], p, " "); trig[p[1]] = 1 }
		print "| trigger | smart: median (min-max) | kubelet: median (min-max) | runs |"
		print "|---|---:|---:|---:|"
		for (t in trig) {
			s = t " smart"; k = t " kubelet"
			printf "| %s | %.2f s (%.2f-%.2f) | %.2f s (%.2f-%.2f) | %d |\n", t, med(s), v[s, 1], v[s, n[s]], med(k), v[k, 1], v[k, n[k]], n[s]
		}
	}' | { read -r h1; read -r h2; printf '%s\n%s\n' "$h1" "$h2"; sort; })

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
SECTION="## Recovery: seconds from the fix to Running

Written by \`bench/recovery.sh\` (\`make bench-recovery\`) from $ROUNDS runs of
\`e2e/TestRetryTriggers\` on $(date -u +%Y-%m-%d), pullwarden $(git rev-parse --short HEAD).
Each scenario puts one pod with the smart retry policy (the default) and one
with the kubelet's beside each other, waiting for the same fix; the fix comes
about 15 s after the first failure (the re-check scenario: right after it), so
the kubelet column shows its first backoff windows (10 s, 20 s), not the
5-minute cap a pod reaches after a few failures. Load average at the end:
$LOAD (2 cores).

$TABLE"

replace_section "$OUT" recovery "$SECTION"
echo "$SECTION"
echo "wrote $OUT"
