#!/usr/bin/env bash
# tests/cli/test_spf_knot.sh — 'mailassure spf' end to end against a real knot server on loopback: each result,
# the exp= explanation, the null reverse-path (HELO identity), --json, exit codes and usage errors. Skips (77)
# without knotd.
set -u
bin="$MA_BINARY"
tmp="${MA_TEST_TMP:-/tmp}/spf-knot.$$"
knotd=$(command -v knotd || echo /usr/sbin/knotd)
[ -x "$knotd" ] || { echo "knotd not installed: skipped"; exit 77; }
mkdir -p "$tmp"
pass=0 fail=0
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/test.zone" <<'EOF'
$ORIGIN test.
$TTL 60
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@ NS ns.test.
ns A 127.0.0.1
pass TXT "v=spf1 ip4:192.0.2.0/24 " "-all"
fail TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.fail.test"
why.fail TXT "%{i} is not allowed to send for %{d}"
soft TXT "v=spf1 ~all"
neutral TXT "v=spf1 ?all"
perm TXT "v=spf1 foo:bar"
helo TXT "v=spf1 a -all"
helo A 192.0.2.9
broken TXT "v=spf1 include:x.fail.test -all"
EOF
cat > "$tmp/fail.zone" <<'EOF'
EOF
cat > "$tmp/knot.conf" <<EOF
server:
    rundir: "$tmp"
    listen: 127.0.0.1@$port
database:
    storage: "$tmp"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$tmp"
    file: "%s.zone"
zone:
  - domain: test
  - domain: x.fail.test
    file: "$tmp/missing.zone"
EOF
"$knotd" -c "$tmp/knot.conf" 2> "$tmp/knotd.log" &
pid=$!
for _ in $(seq 1 50); do
	kdig +short +timeout=1 +retry=0 @127.0.0.1 -p "$port" SOA test. 2>/dev/null | grep -q hostmaster && break
	sleep 0.2
done
net=(--resolver "127.0.0.1@$port" --no-validate --timeout 3)

# expect EXIT FIRSTLINE ARGS...
expect() {
	local want_rc=$1 want_line=$2
	shift 2
	local out rc
	out=$("$bin" spf "$@" 2>"$tmp/err")
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(printf '%s\n' "$out" | head -n1)" = "$want_line" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: spf $*: rc=$rc (want $want_rc), first line '$(printf '%s\n' "$out" | head -n1)' (want '$want_line')"
		cat "$tmp/err"
	fi
}
expect 0 pass 192.0.2.1 user@pass.test "${net[@]}"
expect 1 fail 198.51.100.1 user@fail.test "${net[@]}"
expect 1 softfail 192.0.2.1 user@soft.test "${net[@]}"
expect 0 neutral 192.0.2.1 user@neutral.test "${net[@]}"
expect 1 permerror 192.0.2.1 user@perm.test "${net[@]}"
expect 0 none 192.0.2.1 user@nothing.test "${net[@]}"
expect 2 temperror 192.0.2.1 user@broken.test "${net[@]}"
expect 0 pass 192.0.2.9 "" --helo helo.test "${net[@]}"
expect 1 fail 192.0.2.8 "" --helo helo.test "${net[@]}"

# the explanation follows the result
out=$("$bin" spf 198.51.100.1 user@fail.test "${net[@]}")
if printf '%s\n' "$out" | sed -n 2p | grep -qx "explanation: 198.51.100.1 is not allowed to send for fail.test"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: explanation: $out"
fi
# --json
out=$("$bin" spf 198.51.100.1 user@fail.test "${net[@]}" --json)
if printf '%s' "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["result"]=="fail" and j["explanation"].startswith("198.51.100.1") and j["lookups"]==0 and j["void_lookups"]==0 and "dnssec" in j'; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: json: $out"
fi
# usage errors: exit 2, message on stderr
for args in "" "192.0.2.1" "notanip a@b.test" "192.0.2.1 '' " "192.0.2.1 a@b.test --bogus"; do
	eval "set -- $args"
	"$bin" spf "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && [ -s "$tmp/err" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: usage '$args' rc=$rc"; fi
done
"$bin" spf --help | grep -q "usage: mailassure spf" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --help"; }
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
