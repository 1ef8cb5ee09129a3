#!/usr/bin/env bash
# scripts/knotctl.sh — start and stop a knot authoritative server on loopback for the demo and the benchmarks.
#
#   scripts/knotctl.sh start WORKDIR PORT [--addr ADDR] [--sign] ZONEFILE...
#       Serve each ZONEFILE (named <origin>.zone; root.zone for the root) on ADDR (default 127.0.0.1) port PORT.
#       With --sign every zone is DNSSEC-signed (ECDSA P-256); a zone whose parent is also served gets its
#       delegation and DS in the parent, the others' DS records go to WORKDIR/trust-anchor.ds, whose path is
#       printed on stdout. A zone file without an SOA gets one. Returns once every zone answers; exits 2 with a
#       message on stderr (and the log in WORKDIR/knotd.log) when it cannot.
#   scripts/knotctl.sh stop WORKDIR
set -euo pipefail

die() { echo "knotctl: $*" >&2; exit 2; }
knotd=$(command -v knotd || echo /usr/sbin/knotd)
keymgr=$(command -v keymgr || echo /usr/sbin/keymgr)
kdig=$(command -v kdig || echo /usr/bin/kdig)

origin_of() { # file name -> canonical origin with trailing dot
	local b; b=$(basename "$1" .zone)
	if [ "$b" = root ]; then echo .; else echo "${b%.}."; fi
}

is_below() { # child parent
	[ "$2" = . ] && [ "$1" != . ] && return 0
	case "$1" in *".$2") return 0 ;; esac
	return 1
}

cmd_start() {
	[ $# -ge 3 ] || die "usage: knotctl.sh start WORKDIR PORT [--addr ADDR] [--sign] ZONEFILE..."
	local dir=$1 port=$2; shift 2
	local addr=127.0.0.1 sign=0 files=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--sign) sign=1 ;;
		--addr) addr=$2; shift ;;
		*) files+=("$1") ;;
		esac
		shift
	done
	[ -x "$knotd" ] || die "knotd not installed (apt-get install knot)"
	[ ${#files[@]} -gt 0 ] || die "no zone files"
	case "$port" in ''|*[!0-9]*) die "PORT must be a number, not '$port'" ;; esac
	[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "PORT must be 1-65535, not $port"
	local f
	for f in "${files[@]}"; do
		[ -r "$f" ] || die "cannot read zone file $f"
		case "$(basename "$f")" in *.zone) ;; *) die "zone file $f must be named <origin>.zone" ;; esac
	done
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/knot.pid" ] && knotd_alive "$(cat "$dir/knot.pid")"; then
		die "a knotd is already running in $dir (pid $(cat "$dir/knot.pid")); stop it first"
	fi
	# A fresh server: keys, journal and timers of an earlier run would add keys and stale state.
	rm -rf "$dir/keys" "$dir/journal" "$dir/timers" "$dir/catalog" "$dir"/zone*.zone "$dir/trust-anchor.ds" \
		"$dir/knot.pid"
	local conf="$dir/knot.conf"
	{
		printf 'server:\n    rundir: "%s"\n    listen: %s@%s\n' "$dir" "$addr" "$port"
		printf 'database:\n    storage: "%s"\n' "$dir"
		printf 'log:\n  - target: "%s/knotd.log"\n    any: info\n' "$dir"
		printf 'policy:\n  - id: manual\n    manual: on\n'
		printf 'template:\n  - id: default\n    storage: "%s"\n    zonefile-sync: -1\n    journal-content: none\n' "$dir"
		printf 'zone:\n'
		local i=0
		for f in "${files[@]}"; do
			printf '  - domain: "%s"\n    file: "%s/zone%d.zone"\n' "$(origin_of "$f")" "$dir" "$i"
			[ $sign = 1 ] && printf '    dnssec-signing: on\n    dnssec-policy: manual\n'
			i=$((i + 1))
		done
	} > "$conf"
	local origins=() ds=() i f
	for f in "${files[@]}"; do origins+=("$(origin_of "$f")"); done
	for i in "${!files[@]}"; do
		{
			printf '$ORIGIN %s\n$TTL 300\n' "${origins[$i]}"
			# knot serves no zone without an SOA (RFC 1035 5.2): add one when the file has none.
			if ! sed -e 's/;.*//' -e 's/"[^"]*"//g' "${files[$i]}" | grep -qiE '(^|[[:space:]])SOA([[:space:]]|$)'; then
				printf '@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60\n@ NS ns.invalid.\n'
			fi
			cat "${files[$i]}"
			echo
		} > "$dir/zone$i.zone"
		ds[$i]=
		if [ $sign = 1 ]; then
			"$keymgr" -c "$conf" "${origins[$i]}" generate algorithm=ecdsap256sha256 ksk=yes zsk=yes >/dev/null
			ds[$i]=$("$keymgr" -c "$conf" "${origins[$i]}" ds | awk '$2 == "DS" && $5 == 2')
		fi
	done
	: > "$dir/trust-anchor.ds"
	local j parent
	for i in "${!files[@]}"; do
		parent=
		for j in "${!files[@]}"; do
			[ "$i" = "$j" ] && continue
			if is_below "${origins[$i]}" "${origins[$j]}"; then
				if [ -z "$parent" ] || [ ${#origins[$j]} -gt ${#origins[$parent]} ]; then parent=$j; fi
			fi
		done
		if [ -n "$parent" ]; then
			printf '$ORIGIN %s\n%s 300 IN NS ns.invalid.\n' "${origins[$parent]}" "${origins[$i]}" >> "$dir/zone$parent.zone"
			[ $sign = 1 ] && echo "${ds[$i]}" >> "$dir/zone$parent.zone"
		elif [ $sign = 1 ]; then
			echo "${ds[$i]}" >> "$dir/trust-anchor.ds"
		fi
	done
	"$knotd" -c "$conf" -d 2>>"$dir/knotd.log" || die "knotd failed to start; see $dir/knotd.log"
	local o tries=0 ready
	while :; do
		ready=1
		for o in "${origins[@]}"; do
			"$kdig" +short +timeout=1 +retry=0 @"$addr" -p "$port" SOA "$o" 2>/dev/null | grep -q . || ready=0
		done
		[ $ready = 1 ] && break
		tries=$((tries + 1))
		[ $tries -lt 100 ] || die "knotd did not answer; see $dir/knotd.log"
		sleep 0.1
	done
	[ $sign = 1 ] && echo "$dir/trust-anchor.ds"
	return 0
}

# True while PID is a live knotd (a zombie waiting for its reaper has stopped serving; a reused PID is not ours).
knotd_alive() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$state" in Z*) return 1 ;; esac
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = knotd ]
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: knotctl.sh stop WORKDIR"
	local pidfile="$1/knot.pid"
	[ -f "$pidfile" ] || return 0
	local pid; pid=$(cat "$pidfile")
	case "$pid" in ''|*[!0-9]*) die "bad pid file $pidfile" ;; esac
	knotd_alive "$pid" || { rm -f "$pidfile"; return 0; }
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do knotd_alive "$pid" || { rm -f "$pidfile"; return 0; }; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

case "${1:-}" in
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
*) die "usage: knotctl.sh start WORKDIR PORT [--addr ADDR] [--sign] ZONEFILE... | stop WORKDIR" ;;
esac
