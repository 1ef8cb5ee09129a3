#!/usr/bin/env bash
# tests/cli/test_netopts.sh — the shared network options (src/cli/netopts.c) as a user meets them through
# 'mailassure dmarc' and 'mailassure spf': bad values are refused up front with a message naming the option (exit 2),
# good ones reach the resolver (a silent server on loopback turns into a timeout within --timeout, never into
# "no record"), and the default trust anchor is Debian's root anchor.
set -u
bin="$MA_BINARY"
tmp="${MA_TEST_TMP:-/tmp}/netopts.$$"
mkdir -p "$tmp"
pass=0 fail=0
pypid=
cleanup() {
	[ -n "$pypid" ] && kill "$pypid" 2>/dev/null && wait "$pypid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# A UDP port on loopback where a socket is bound and never answers.
python3 - "$tmp/port" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(600)
EOF
pypid=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")

# refuse WANT_IN_STDERR ARGS... : exit 2, nothing on stdout, the message names the problem.
refuse() {
	local want=$1 rc
	shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -qF -- "$want" "$tmp/err"; then ok; else
		bad "$* -> rc=$rc, stderr '$(head -c 300 "$tmp/err")' (want exit 2 and '$want')"
	fi
}
for cmd in dmarc spf; do
	if [ $cmd = dmarc ]; then args=(dmarc example.test); else args=(spf 192.0.2.1 user@example.test); fi
	refuse "--resolver needs" "${args[@]}" --resolver
	refuse "--resolver needs" "${args[@]}" --resolver=
	refuse "--resolver 'ns.example.net'" "${args[@]}" --resolver ns.example.net
	refuse "--resolver '127.0.0.1:0'" "${args[@]}" --resolver 127.0.0.1:0
	refuse "--resolver '127.0.0.1:65536'" "${args[@]}" --resolver=127.0.0.1:65536
	refuse "--resolver '[::1'" "${args[@]}" --resolver '[::1'
	refuse "--timeout needs" "${args[@]}" --timeout
	refuse "--timeout needs" "${args[@]}" --timeout 0
	refuse "--timeout needs" "${args[@]}" --timeout=-1
	refuse "--timeout needs" "${args[@]}" --timeout 5s
	refuse "--timeout needs" "${args[@]}" --timeout nan
	refuse "--timeout needs" "${args[@]}" --timeout 3601
	refuse "--trust-anchor needs" "${args[@]}" --trust-anchor
	refuse "$tmp/missing.key" "${args[@]}" --trust-anchor "$tmp/missing.key"
	: > "$tmp/empty.key"
	refuse "no DS or DNSKEY" "${args[@]}" --trust-anchor="$tmp/empty.key"

	# Good options reach the resolver: a timeout against the silent port, reported as such, within bounds.
	for form in "--resolver 127.0.0.1:$port" "--resolver=127.0.0.1@$port" "--resolver [127.0.0.1]:$port"; do
		start=$(date +%s%N)
		# shellcheck disable=SC2086
		"$bin" "${args[@]}" $form --timeout 0.3 --no-validate >"$tmp/out" 2>"$tmp/err"
		rc=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		# At most a handful of queries, each cut at 300 ms; unbound's own retries would take many seconds.
		if [ "$rc" != 0 ] && grep -qi "timeout\|temporar\|inconclusive" "$tmp/out" "$tmp/err" && [ "$ms" -lt 4000 ] &&
			! grep -q -- "--resolver\|--timeout" "$tmp/err"; then ok; else
			bad "$cmd $form --timeout 0.3: rc=$rc in ${ms} ms, out '$(head -c 300 "$tmp/out")' err '$(head -c 300 "$tmp/err")'"
		fi
	done
	# The trust anchor is read when validating: a good one is accepted (same silent server).
	if [ -r /usr/share/dns/root.key ]; then
		"$bin" "${args[@]}" --resolver "127.0.0.1:$port" --timeout=0.3 --trust-anchor /usr/share/dns/root.key \
			>"$tmp/out" 2>"$tmp/err"
		if grep -qi "timeout\|temporar\|inconclusive" "$tmp/out" "$tmp/err" && ! grep -q "trust anchor" "$tmp/err"; then
			ok
		else
			bad "$cmd --trust-anchor root.key: out '$(head -c 300 "$tmp/out")' err '$(head -c 300 "$tmp/err")'"
		fi
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
