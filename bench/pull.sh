#!/usr/bin/env bash
# Cold-pull benchmark on loopback: a ~400 MB image (8 layers of incompressible
# random data, stored as uncompressed tar so the bytes that travel are the
# data) on a local docker-registry, pulled into a fresh destination each run
# by pullwarden, crane (pull --format=oci), skopeo (copy to oci:) and, as the
# physical limit, 8 parallel curl downloads of the layer blobs.
#
#   RUNS=5 LAYERS=8 LAYER_SIZE=50MB bash bench/pull.sh     (or: make bench)
#   BASELINE=HEAD bash bench/pull.sh   also times pullwarden built from that
#                                      git revision (git archive, no checkout)
#
# After the timed rounds it pulls PROFILE_RUNS (default 3) more times with
# bench/fetchprof (registry.Fetch into an OCI layout, as the CLI does) to
# break the time down into phases and CPU (pprof).
#
# Prints medians and ratios and writes docs/benchmarks.md (BENCH_OUT=path to
# write elsewhere), with bench/where-the-time-goes.md appended. Everything
# stays on 127.0.0.1 and is removed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

RUNS=${RUNS:-5}
LAYERS=${LAYERS:-8}
LAYER_SIZE=${LAYER_SIZE:-50MB}
OUT=${BENCH_OUT:-docs/benchmarks.md}
CRANE_VERSION=v0.22.1
PROFILE_RUNS=${PROFILE_RUNS:-3}
BASELINE=${BASELINE:-}
TOOLS=(pullwarden crane skopeo curl)
if [ -n "$BASELINE" ]; then TOOLS=(pullwarden baseline crane skopeo curl); fi

WORK=$(mktemp -d /tmp/pullwarden-bench.XXXXXX)
cleanup() {
	stop_registry
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_pkgs docker-registry:docker-registry curl:curl skopeo:skopeo
mkdir -p "$WORK/bin"

echo "building pullwarden, pushsample and crane $CRANE_VERSION (not timed)"
go build -o "$WORK/bin/pullwarden" ./cmd/pullwarden
go build -o "$WORK/bin/pushsample" ./scripts/internal/pushsample
go build -o "$WORK/bin/fetchprof" ./bench/fetchprof
if [ -n "$BASELINE" ]; then
	BASE_REV=$(git rev-parse --short "$BASELINE")
	echo "building pullwarden $BASE_REV as baseline (not timed)"
	mkdir -p "$WORK/base"
	git archive "$BASELINE" | tar -x -C "$WORK/base"
	(cd "$WORK/base" && go build -o "$WORK/bin/pullwarden-base" ./cmd/pullwarden)
fi
GOBIN="$WORK/bin" GOFLAGS= go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"

start_registry "$WORK/registry"
REPO=bench/big
IMAGE=$REG_HOST/$REPO:1
echo "pushing $LAYERS x $LAYER_SIZE to $IMAGE"
"$WORK/bin/pushsample" -ref "$IMAGE" -layers "$LAYERS" -layer-size "$LAYER_SIZE" -uncompressed -layers-out "$WORK/layers.txt"
BYTES=$(du -sb "$WORK/registry/storage/docker/registry/v2/blobs" | cut -f1)

# A permissive signature policy for skopeo, whatever /etc/containers holds.
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/policy.json"

pull() { # TOOL DEST
	local tool=$1 dest=$2
	case $tool in
	pullwarden) "$WORK/bin/pullwarden" pull "$IMAGE" --policy Always --quiet --store "$dest" >/dev/null ;;
	baseline) "$WORK/bin/pullwarden-base" pull "$IMAGE" --policy Always --quiet --store "$dest" >/dev/null ;;
	crane) "$WORK/bin/crane" pull --insecure --format=oci "$IMAGE" "$dest" ;;
	skopeo) skopeo --policy "$WORK/policy.json" copy --quiet --src-tls-verify=false "docker://$IMAGE" "oci:$dest" ;;
	curl)
		mkdir -p "$dest"
		xargs -P "$LAYERS" -I{} curl -fsS -o "$dest/{}" "http://$REG_HOST/v2/$REPO/blobs/{}" <"$WORK/layers.txt"
		;;
	esac
}

# warm_memory writes and deletes a scratch file a little larger than the
# image, so that the page cache the next pull fills comes from memory just
# freed. On a VM that reports free memory to its host (virtio-balloon free
# page reporting, as on the machine these figures were first taken on),
# memory left free for a few seconds is taken back and every later first
# touch faults in the host: writing 400 MB into the page cache took 0.83 s
# after 5 s idle and 0.09 s right after such a warm-up, and which tool met
# that memory was chance. Not timed.
warm_memory() {
	dd if=/dev/zero of="$WORK/warm" bs=1M count=$((BYTES / 1048576 + 128)) status=none
	rm -f "$WORK/warm"
}

# Rounds interleave the tools so that drifts of the machine hit all alike,
# and each round starts one tool further on, so that no tool always runs
# in the same place.
for run in $(seq 1 "$RUNS"); do
	for i in "${!TOOLS[@]}"; do
		tool=${TOOLS[$(((i + run - 1) % ${#TOOLS[@]}))]}
		dest=$WORK/dest/$tool-$run
		warm_memory
		sync
		start=$(date +%s%N)
		pull "$tool" "$dest"
		end=$(date +%s%N)
		got=$(du -sb "$dest" | cut -f1)
		if [ "$got" -lt $((BYTES * 9 / 10)) ]; then
			echo "$tool run $run wrote only $got bytes of $BYTES" >&2
			exit 1
		fi
		echo "$tool $(((end - start) / 1000000))" >>"$WORK/times.txt"
		printf 'run %d/%d %-10s %6d ms\n' "$run" "$RUNS" "$tool" $(((end - start) / 1000000))
		rm -rf "$dest"
	done
done

# median_ms TOOL
median_ms() {
	awk -v t="$1" '$1 == t { print $2 }' "$WORK/times.txt" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}
minmax_ms() {
	awk -v t="$1" '$1 == t { print $2 }' "$WORK/times.txt" | sort -n | sed -n '1p;$p' | paste -sd/ -
}

declare -A MED
fastest=
for tool in "${TOOLS[@]}"; do
	MED[$tool]=$(median_ms "$tool")
	if [ -z "$fastest" ] || [ "${MED[$tool]}" -lt "${MED[$fastest]}" ]; then fastest=$tool; fi
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mbps() { awk -v ms="$1" -v b="$BYTES" 'BEGIN { printf "%.0f", (ms > 0 ? b / 1e6 / (ms / 1000) : 0) }'; }

TABLE="| tool | median | min / max (ms) | MB/s | x fastest | x curl |
| --- | ---: | ---: | ---: | ---: | ---: |"
for tool in "${TOOLS[@]}"; do
	m=${MED[$tool]}
	TABLE+=$'\n'"| $tool | $(awk -v m="$m" 'BEGIN { printf "%.2f s", m / 1000 }') | $(minmax_ms "$tool") | $(mbps "$m") | $(ratio "$m" "${MED[$fastest]}") | $(ratio "$m" "${MED[curl]}") |"
done

# Profile: phases from fetchprof's progress reports, CPU by activity from
# pprof. cpu_ms PROFILE [REGEX]: CPU milliseconds in all stacks, or in the
# stacks matching REGEX.
cpu_ms() {
	local args=(-top)
	[ -n "${2:-}" ] && args+=(-focus="$2")
	go tool pprof "${args[@]}" "$WORK/bin/fetchprof" "$1" 2>/dev/null | awk -v all="${2:-}" '
		function ms(v) { if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 } sub(/s$/, "", v); return v * 1000 }
		all == "" && /Total samples =/ { for (i = 1; i < NF; i++) if ($i == "=") { print ms($(i + 1)); exit } }
		all != "" && /^Showing nodes accounting for/ { v = $5; sub(/,$/, "", v); print ms(v); found = 1; exit }
		END { if (all != "" && !found) print 0 }'
}
PROFILE="| run | total | setup: open, auth, resolve, manifest | transfer: first GET to last byte | last byte to last commit | CPU | sha256 | write(2) to ingest | read(2) from sockets | fsync, writeback |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for run in $(seq 1 "$PROFILE_RUNS"); do
	dest=$WORK/dest/profile-$run
	prof=$WORK/cpu-$run.out
	warm_memory
	sync
	"$WORK/bin/fetchprof" -ref "$IMAGE" -store "$dest" -cpuprofile "$prof" >"$WORK/phases-$run.txt"
	rm -rf "$dest"
	ph() { sed -n "s/^$1  *\([0-9.]*\) ms.*/\1/p" "$WORK/phases-$run.txt" | head -n 1; }
	PROFILE+=$'\n'"| $run | $(ph total) ms | $(ph 'first blob GET after') ms | $(ph 'transfer (first start..last byte)') ms"
	PROFILE+=" | $(ph 'after last byte until last commit') ms | $(cpu_ms "$prof") ms | $(cpu_ms "$prof" sha256) ms"
	PROFILE+=" | $(cpu_ms "$prof" 'poll.*FD.*Write$') ms | $(cpu_ms "$prof" 'poll.*FD.*Read$') ms"
	PROFILE+=" | $(cpu_ms "$prof" 'Fsync|startWriteback') ms |"
	echo "profile run $run/$PROFILE_RUNS: $(ph total) ms"
done

BASE_NOTE=
if [ -n "$BASELINE" ]; then
	BASE_NOTE=$'\n'"- baseline: the same command, pullwarden built from $BASE_REV (\`BASELINE=$BASELINE\`, before the changes under test)"
fi
PW_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null | head -n 1)" ]; then PW_REV="$PW_REV (with uncommitted changes)"; fi
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mkdir -p "$(dirname "$OUT")"
# Keep the sections bench/shapes.sh and bench/recovery.sh wrote (between
# their markers).
SHAPES_SECTION=
if [ -f "$OUT" ]; then
	SHAPES_SECTION=$(sed -n '/^<!-- [a-z]*:begin -->$/,/^<!-- [a-z]*:end -->$/p' "$OUT")
fi
cat >"$OUT" <<MD
# Pull benchmark

Cold pulls of one image from a local \`docker-registry\` over loopback
(127.0.0.1), each run into a fresh destination, $RUNS runs per tool in
interleaved rounds (each round starting with the next tool); times are
wall-clock from start to exit of the command. Before each run (untimed) a
scratch file the size of the image is written and deleted and the page
cache synced, so that every tool fills memory in the same state (see
\`warm_memory\` in the script).
Written by \`bench/pull.sh\` (\`make bench\`); run it again to refresh.

Image: $LAYERS layers of $LAYER_SIZE incompressible random data each, stored
as uncompressed tar (\`application/vnd.oci.image.layer.v1.tar\`), $BYTES bytes
of blobs in all, so the bytes that travel are the data.

$TABLE

- pullwarden: \`pullwarden pull IMAGE --policy Always --quiet --store DIR\` (fresh store each run)$BASE_NOTE
- crane: \`crane pull --insecure --format=oci IMAGE DIR\`
- skopeo: \`skopeo copy --src-tls-verify=false docker://IMAGE oci:DIR\`
- curl: the physical limit: the $LAYERS layer blobs only, $LAYERS curl processes in parallel
  (\`xargs -P $LAYERS\`), no manifest, no verification, no store

## Machine

| fact | value |
| --- | --- |
| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |
| CPU | ${CPU:-unknown}, $(nproc) cores (shared with other work) |
| memory | $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) |
| kernel | $(uname -sr) |
| OS | $(. /etc/os-release && echo "$PRETTY_NAME") |
| go | $(go version | cut -d' ' -f3-) |
| pullwarden | $PW_REV |
| crane | $("$WORK/bin/crane" version 2>/dev/null || echo "$CRANE_VERSION") |
| skopeo | $(skopeo --version | cut -d' ' -f3-) |
| curl | $(curl --version | head -n 1 | cut -d' ' -f2) |
| registry | $(docker-registry --version | cut -d' ' -f2-) |

## Profile of this run

$PROFILE_RUNS more cold pulls of the same image with \`bench/fetchprof\`
(\`registry.Fetch\` into a fresh OCI layout with default options, as
\`pullwarden pull\` does), each with a CPU profile. The phases come from the
progress reports; CPU is pprof's samples (user and kernel time of the
process, both cores together), in all and in the stacks under sha256, under
the write(2) of blob data into the ingest files, under the read(2) from the
registry's connections, and under fsync and sync_file_range.

$PROFILE
MD
if [ -n "$SHAPES_SECTION" ]; then
	printf '\n%s\n' "$SHAPES_SECTION" >>"$OUT"
fi
if [ -f bench/where-the-time-goes.md ]; then
	{
		echo
		cat bench/where-the-time-goes.md
	} >>"$OUT"
fi

echo
echo "$TABLE"
echo
echo "fastest: $fastest; wrote $OUT"
