#!/usr/bin/env bash
# Image-shape benchmark on loopback, in one interleaved run: pullwarden,
# crane, skopeo, containerd (ctr content fetch into a private daemon) and
# parallel curl (the physical limit) pull each shape from a local
# docker-registry:
#
#   small  SMALL_LAYERS x SMALL_SIZE (60 x 100KiB) random data, uncompressed tar
#   gzip   a real gzip image: one layer per directory of this machine
#          (GZIP_DIRS), tar | gzip -6, as image builders make them
#   cuts   CUT_LAYERS x CUT_SIZE (4 x 20MB) random data behind bench/cutproxy,
#          which cuts every blob download twice (at 1/3 and 2/3); curl is
#          the uncut limit here (it does not resume)
#   warm   --policy Always pull of the gzip image already present
#          (crane, skopeo, containerd: the same command into a destination
#          that holds it; curl: one manifest GET)
#
#   RUNS=5 bash bench/shapes.sh        (or: make bench-shapes)
#   SHAPES="small gzip" GZIP_DIRS=/usr/share/doc bash bench/shapes.sh
#
# Rounds interleave shapes and tools (each round starts one tool further
# on). Prints medians and writes the "Image shapes" section of
# docs/benchmarks.md (BENCH_OUT=path to write elsewhere). Not part of
# make test. Everything stays on 127.0.0.1 and is removed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

RUNS=${RUNS:-5}
SMALL_LAYERS=${SMALL_LAYERS:-60}
SMALL_SIZE=${SMALL_SIZE:-100KiB}
CUT_LAYERS=${CUT_LAYERS:-4}
CUT_SIZE=${CUT_SIZE:-20MB}
GZIP_DIRS=${GZIP_DIRS:-/usr/local/go/src /usr/share/doc /usr/share/locale /usr/local/go/pkg}
SHAPES=(${SHAPES:-small gzip cuts warm})
OUT=${BENCH_OUT:-docs/benchmarks.md}
CRANE_VERSION=v0.22.1
TOOLS=(pullwarden crane skopeo containerd curl)

WORK=$(mktemp -d /tmp/pullwarden-shapes.XXXXXX)
CTD_PID=
PROXY_PID=
cleanup() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
	if [ -n "$CTD_PID" ]; then
		kill "$CTD_PID" 2>/dev/null || true
		wait "$CTD_PID" 2>/dev/null || true
	fi
	stop_registry
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_pkgs docker-registry:docker-registry curl:curl skopeo:skopeo containerd:containerd jq:jq
mkdir -p "$WORK/bin"
echo "building pullwarden, pushsample, cutproxy and crane $CRANE_VERSION (not timed)"
go build -o "$WORK/bin/pullwarden" ./cmd/pullwarden
go build -o "$WORK/bin/pushsample" ./scripts/internal/pushsample
go build -o "$WORK/bin/cutproxy" ./bench/cutproxy
GOBIN="$WORK/bin" GOFLAGS= go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
CRANE=$WORK/bin/crane

start_registry "$WORK/registry"

# A private containerd: its own root, state and socket; no CRI; GC right
# after deletions so that content removed between runs leaves the disk.
CTD=$WORK/ctd
mkdir -p "$CTD"
cat >"$CTD/config.toml" <<TOML
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD/ctd.sock"
[plugins."io.containerd.gc.v1.scheduler"]
  deletion_threshold = 1
  schedule_delay = "0ms"
  startup_delay = "0ms"
TOML
containerd --config "$CTD/config.toml" >"$CTD/log" 2>&1 &
CTD_PID=$!
for _ in $(seq 1 100); do
	ctr -a "$CTD/ctd.sock" version >/dev/null 2>&1 && break
	sleep 0.1
done
CTR=(ctr -a "$CTD/ctd.sock")

# blobs_of REF: "DIGEST SIZE" of the config and layers of a manifest.
blobs_of() {
	"$CRANE" manifest --insecure "$1" | jq -r '.config, .layers[] | "\(.digest) \(.size)"'
}

declare -A REF REPO BYTES HOST
echo "pushing the shapes (not timed)"
# small
REPO[small]=bench/small
"$WORK/bin/pushsample" -ref "$REG_HOST/${REPO[small]}:1" -layers "$SMALL_LAYERS" -layer-size "$SMALL_SIZE" -uncompressed
# gzip: one gzip layer per directory
REPO[gzip]=bench/gzip
args=()
i=0
for d in $GZIP_DIRS; do
	[ -d "$d" ] || continue
	i=$((i + 1))
	tar -C / -cf - "${d#/}" 2>/dev/null | gzip -6 >"$WORK/layer$i.tar.gz"
	args+=(-f "$WORK/layer$i.tar.gz")
done
"$CRANE" append --insecure "${args[@]}" -t "$REG_HOST/${REPO[gzip]}:1" >/dev/null
rm -f "$WORK"/layer*.tar.gz
# cuts, behind the cut proxy
REPO[cuts]=bench/cuts
"$WORK/bin/pushsample" -ref "$REG_HOST/${REPO[cuts]}:1" -layers "$CUT_LAYERS" -layer-size "$CUT_SIZE" -uncompressed
blobs_of "$REG_HOST/${REPO[cuts]}:1" >"$WORK/cuts-blobs.txt"
"$WORK/bin/cutproxy" -upstream "http://$REG_HOST" -blobs "$WORK/cuts-blobs.txt" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PROXY_PID=$!
PROXY_HOST=
for _ in $(seq 1 100); do
	PROXY_HOST=$(sed -n 's/^listening on //p' "$WORK/proxy.out")
	[ -n "$PROXY_HOST" ] && break
	sleep 0.1
done
REPO[warm]=${REPO[gzip]}
for s in small gzip cuts warm; do
	HOST[$s]=$REG_HOST
	blobs_of "$REG_HOST/${REPO[$s]}:1" >"$WORK/$s-blobs.txt"
	BYTES[$s]=$(awk '{ n += $2 } END { print n }' "$WORK/$s-blobs.txt")
done
HOST[cuts]=$PROXY_HOST
for s in small gzip cuts warm; do REF[$s]=${HOST[$s]}/${REPO[$s]}:1; done

echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/policy.json"

# pull SHAPE TOOL DEST RUN
pull() {
	local shape=$1 tool=$2 dest=$3 run=$4 ref=${REF[$1]}
	case $tool in
	pullwarden) "$WORK/bin/pullwarden" pull "$ref" --policy Always --quiet --store "$dest" >/dev/null ;;
	crane) "$CRANE" pull --insecure --format=oci "$ref" "$dest" ;;
	skopeo) skopeo --policy "$WORK/policy.json" copy --quiet --src-tls-verify=false "docker://$ref" "oci:$dest" ;;
	containerd) "${CTR[@]}" -n "$(ctd_ns "$shape" "$run")" content fetch --plain-http "$ref" >/dev/null ;;
	curl)
		mkdir -p "$dest"
		if [ "$shape" = warm ]; then
			curl -fsS -o "$dest/manifest" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
				-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG_HOST/v2/${REPO[$shape]}/manifests/1"
		else
			awk -v d="$dest" -v u="http://$REG_HOST/v2/${REPO[$shape]}/blobs/" \
				'{ printf "url = \"%s%s\"\noutput = \"%s/%s\"\n", u, $1, d, $1 }' "$WORK/$shape-blobs.txt" >"$WORK/curl.cfg"
			curl -fsS --parallel --parallel-max 8 -K "$WORK/curl.cfg"
		fi
		;;
	esac
}

ctd_ns() { if [ "$1" = warm ]; then echo "warm-$2"; else echo "b-$1-$2"; fi; }

# ctd_clear NS: removes a namespace's content and waits until GC took it
# off the disk, so that the next fetch downloads again (containerd shares
# content between namespaces).
ctd_clear() {
	local ns=$1
	"${CTR[@]}" -n "$ns" content ls -q 2>/dev/null | xargs -r "${CTR[@]}" -n "$ns" content rm >/dev/null 2>&1 || true
	for _ in $(seq 1 100); do
		[ -z "$(ls -A "$CTD/root/io.containerd.content.v1.content/blobs/sha256" 2>/dev/null)" ] && return 0
		"${CTR[@]}" -n "$ns" content ls -q 2>/dev/null | xargs -r "${CTR[@]}" -n "$ns" content rm >/dev/null 2>&1 || true
		sleep 0.05
	done
	echo "containerd kept content after clearing $ns" >&2
}

# prepare SHAPE TOOL DEST RUN: untimed set-up (warm: an untimed first pull).
prepare() {
	local shape=$1 tool=$2 dest=$3 run=$4
	if [ "$shape" = cuts ]; then kill -HUP "$PROXY_PID"; sleep 0.05; fi
	if [ "$shape" = warm ] && [ "$tool" != curl ]; then
		pull gzip "$tool" "$dest" "$run" 2>/dev/null || true
		if [ "$tool" = containerd ]; then
			"${CTR[@]}" -n "$(ctd_ns gzip "$run")" content ls -q | xargs -r "${CTR[@]}" -n "$(ctd_ns gzip "$run")" content rm >/dev/null 2>&1 || true
			pull warm containerd "$dest" "$run" >/dev/null 2>&1 || true
		fi
	fi
}

: >"$WORK/times.txt"
for run in $(seq 1 "$RUNS"); do
	for shape in "${SHAPES[@]}"; do
		for i in "${!TOOLS[@]}"; do
			tool=${TOOLS[$(((i + run - 1) % ${#TOOLS[@]}))]}
			dest=$WORK/dest/$shape-$tool-$run
			prepare "$shape" "$tool" "$dest" "$run"
			sync
			start=$(date +%s%N)
			if pull "$shape" "$tool" "$dest" "$run" 2>"$WORK/err"; then
				ms=$((($(date +%s%N) - start) / 1000000))
				echo "$shape $tool $ms" >>"$WORK/times.txt"
				printf 'run %d/%d %-6s %-10s %6d ms\n' "$run" "$RUNS" "$shape" "$tool" "$ms"
			else
				echo "$shape $tool FAIL" >>"$WORK/times.txt"
				printf 'run %d/%d %-6s %-10s FAILED: %s\n' "$run" "$RUNS" "$shape" "$tool" "$(head -c 200 "$WORK/err")"
			fi
			rm -rf "$dest"
			if [ "$tool" = containerd ]; then
				ctd_clear "$(ctd_ns "$shape" "$run")"
				[ "$shape" = warm ] && ctd_clear "$(ctd_ns gzip "$run")"
			fi
		done
	done
done

median_ms() { # SHAPE TOOL
	awk -v s="$1" -v t="$2" '$1 == s && $2 == t && $3 != "FAIL" { print $3 }' "$WORK/times.txt" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}
fails() { awk -v s="$1" -v t="$2" '$1 == s && $2 == t && $3 == "FAIL"' "$WORK/times.txt" | wc -l; }
ratio() { if [ -z "$1" ] || [ -z "$2" ]; then echo "-"; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; fi; }

LOAD_NOTE=
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > 2 * n) }'; then
	LOAD_NOTE="
The machine was loaded by other work during this run (load average above
twice the cores): times are several times a quiet machine's and the ratios
only indicative; run it again on a quiet machine.
"
fi
SECTION="## Image shapes

Written by \`bench/shapes.sh\` (\`make bench-shapes\`), $(date -u +%Y-%m-%dT%H:%M:%SZ), pullwarden
$(git rev-parse --short HEAD 2>/dev/null || echo unknown), crane $CRANE_VERSION, skopeo
$(skopeo --version | cut -d' ' -f3-), containerd $(containerd --version | cut -d' ' -f3), $(nproc) cores
(shared with other work; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)). $RUNS runs per
shape and tool, interleaved; medians of wall-clock times in ms, failed runs not
counted. Shapes:

- small: $SMALL_LAYERS layers of $SMALL_SIZE random data, uncompressed ($(printf %s "${BYTES[small]}") bytes of blobs)
- gzip: one gzip layer per directory of $GZIP_DIRS ($(printf %s "${BYTES[gzip]}") bytes of blobs)
- cuts: $CUT_LAYERS x $CUT_SIZE random data, every blob download cut twice by
  \`bench/cutproxy\` ($(printf %s "${BYTES[cuts]}") bytes of blobs); curl: the same blobs uncut
- warm: \`--policy Always\` pull of the gzip image already present; curl: one manifest GET

Tools: \`pullwarden pull --policy Always\`, \`crane pull --format=oci\`, \`skopeo copy
docker:// oci:\`, \`ctr content fetch --plain-http\` (a private containerd), one curl
process with \`--parallel --parallel-max 8\` (the blobs only, no verification, no store).
$LOAD_NOTE
| shape | tool | median ms | failed | x crane | x curl |
| --- | --- | ---: | ---: | ---: | ---: |"
for shape in "${SHAPES[@]}"; do
	c=$(median_ms "$shape" crane)
	u=$(median_ms "$shape" curl)
	for tool in "${TOOLS[@]}"; do
		m=$(median_ms "$shape" "$tool")
		SECTION+=$'\n'"| $shape | $tool | ${m:--} | $(fails "$shape" "$tool") | $(ratio "$m" "$c") | $(ratio "$m" "$u") |"
	done
done

replace_section "$OUT" shapes "$SECTION"
echo
echo "$SECTION"
echo
echo "wrote $OUT"
