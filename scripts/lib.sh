# shellcheck shell=bash
# Helpers shared by scripts/demo.sh and bench/pull.sh. Source it; it sets
# nothing until a function is called.

# go is in /usr/local/go/bin on these machines; make sure it is on PATH.
export PATH="$PATH:/usr/local/go/bin"

# ensure_pkgs CMD:PACKAGE...: installs the Debian packages whose command is
# missing (needs root), quietly.
ensure_pkgs() {
	local missing=() pair
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]} (run as root, or apt-get install -y ${missing[*]})" >&2
		return 1
	fi
	echo "installing ${missing[*]} ..."
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
}

# start_registry DIR [HTPASSWD]: runs docker-registry on a free loopback
# port with its storage and log under DIR, with Basic authentication from
# the htpasswd file when given; sets REG_HOST (127.0.0.1:PORT) and REG_PID.
# The kernel picks the port (addr 127.0.0.1:0) and the registry's log tells
# which one, so no other process can take it in between.
start_registry() {
	local dir=$1 htpasswd=${2:-} i
	mkdir -p "$dir/storage"
	local auth=""
	if [ -n "$htpasswd" ]; then
		auth=$(printf 'auth:\n  htpasswd:\n    realm: pullwarden-demo\n    path: %s' "$htpasswd")
	fi
	cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: pullwarden-local-$$
$auth
YAML
	# The log exists before the registry starts: the loop below reads it
	# while the background shell may not have opened it yet.
	: >"$dir/registry.log"
	docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
	REG_PID=$!
	REG_HOST=
	for i in $(seq 1 200); do
		REG_HOST=$(sed -n 's/.*msg="listening on \(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$dir/registry.log" | tail -n 1)
		if [ -n "$REG_HOST" ] && curl -sS -o /dev/null -w '%{http_code}' "http://$REG_HOST/v2/" 2>/dev/null | grep -qE '^(200|401)$'; then
			return 0
		fi
		if ! kill -0 "$REG_PID" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	echo "docker-registry did not come up; its log:" >&2
	cat "$dir/registry.log" >&2
	return 1
}

# restart_registry DIR: starts the registry of DIR again on the same port.
restart_registry() {
	local dir=$1 host=$REG_HOST i
	sed -i "s/^  addr: .*/  addr: $host/" "$dir/config.yml"
	docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
	REG_PID=$!
	for i in $(seq 1 200); do
		curl -sS -o /dev/null -w '%{http_code}' "http://$host/v2/" 2>/dev/null | grep -qE '^(200|401)$' && return 0
		kill -0 "$REG_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "docker-registry did not come back on $host" >&2
	return 1
}

# stop_registry: stops the registry started last, if it runs.
stop_registry() {
	if [ -n "${REG_PID:-}" ] && kill -0 "$REG_PID" 2>/dev/null; then
		kill "$REG_PID" 2>/dev/null || true
		wait "$REG_PID" 2>/dev/null || true
	fi
	REG_PID=
}

# replace_section FILE NAME TEXT: puts TEXT between the lines
# `<!-- NAME:begin -->` and `<!-- NAME:end -->` of FILE, replacing what was
# there, or appends the markers and TEXT when FILE has none. The benchmark
# scripts each keep their own section of docs/benchmarks.md this way.
replace_section() {
	local file=$1 name=$2 text=$3 tmp
	local begin="<!-- $name:begin -->" end="<!-- $name:end -->"
	touch "$file"
	if grep -qF "$begin" "$file"; then
		tmp=$(mktemp)
		printf '%s\n' "$text" >"$tmp.section"
		awk -v b="$begin" -v e="$end" -v f="$tmp.section" '
			$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip' "$file" >"$tmp"
		cp "$tmp" "$file"
		rm -f "$tmp" "$tmp.section"
	else
		printf '\n%s\n%s\n%s\n' "$begin" "$text" "$end" >>"$file"
	fi
}
