#!/usr/bin/env bash
# tests/cli/test_dmarc_knot.sh — 'mailassure dmarc' end to end: a real knot server on loopback serves the discovery
# cases (exact, tree walk + PSL, psd=y, psd=n disagreement, multiple records, no record, NXDOMAIN author with np=,
# SERVFAIL) and the real resolver (libunbound, forwarding to knot) asks it. Skips (77) without knotd.
set -u
bin="$MA_BINARY"
tmp="${MA_TEST_TMP:-/tmp}/dmarc-knot.$$"
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
exact A 192.0.2.1
_dmarc.exact TXT "v=DMARC1; p=reject; " "rua=mailto:d@exact.test"
org A 192.0.2.2
mail.org A 192.0.2.3
_dmarc.org TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@org.test"
a.mail.pn A 192.0.2.4
_dmarc.mail.pn TXT "v=DMARC1; p=quarantine; psd=n; rua=mailto:d@pn.test"
_dmarc.pn TXT "v=DMARC1; p=reject; rua=mailto:d@pn.test"
multi A 192.0.2.5
_dmarc.multi TXT "v=DMARC1; p=reject"
_dmarc.multi TXT "v=DMARC1; p=none"
none A 192.0.2.6
EOF
cat > "$tmp/psdtld.zone" <<'EOF'
$ORIGIN psdtld.
$TTL 60
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@ NS ns.test.
_dmarc TXT "v=DMARC1; p=reject; psd=y; rua=mailto:d@psdtld"
a.example A 192.0.2.7
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
  - domain: psdtld
  - domain: fail.test
    file: "$tmp/missing.zone"
EOF
"$knotd" -c "$tmp/knot.conf" 2> "$tmp/knotd.log" &
pid=$!
for _ in $(seq 1 50); do
	kdig +short +timeout=1 +retry=0 @127.0.0.1 -p "$port" SOA test. 2>/dev/null | grep -q hostmaster && break
	sleep 0.2
done
if ! kdig +short +timeout=1 +retry=0 @127.0.0.1 -p "$port" SOA test. 2>/dev/null | grep -q hostmaster; then
	echo "knotd did not start:"; cat "$tmp/knotd.log"
	echo "0 passed, 1 failed"; exit 1
fi

net=(--resolver "127.0.0.1@$port" --no-validate --timeout 3)
# check NAME WANT_EXIT PATTERN...: run 'mailassure dmarc NAME --json', check the exit code and grep each pattern.
check() {
	local name=$1 want=$2; shift 2
	local out rc
	out=$("$bin" dmarc "$name" "${net[@]}" --json 2>"$tmp/err"); rc=$?
	local ok=1
	[ "$rc" = "$want" ] || { echo "FAIL $name: exit $rc, want $want"; ok=0; }
	for pat in "$@"; do
		echo "$out" | grep -qE -- "$pat" || { echo "FAIL $name: no /$pat/"; ok=0; }
	done
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "$out"; cat "$tmp/err"; fi
}

check exact.test 0 '"how": "exact"' '"dmarc.discovery.exact"' '"disagree": false' '"dnssec_validation": false'
check mail.org.test 0 '"how": "tree-walk"' '"policy": "quarantine"' '"dmarc.discovery.inherited"' \
	'"tree_walk": "org.test"'
check a.mail.pn.test 0 '"disagree": true' '"dmarc.discovery.disagree"' '"tree_walk": "mail.pn.test"' \
	'"psl": "pn.test"'
check a.example.psdtld 0 '"from_psd": true' '"dmarc.discovery.psd"' '"tree_walk": "example.psdtld"'
check multi.test 1 '"dmarc.discovery.multiple"' '"outcome": "none"'
check none.test 1 '"dmarc.discovery.none"'
check nope.org.test 0 '"dmarc.discovery.nxdomain"' '"author_exists": false' '"policy": "reject"'
check x.fail.test 2 '"outcome": "inconclusive"' '"dmarc.discovery.temperror"'

# text output says how it was found and that validation is off
out=$("$bin" dmarc mail.org.test "${net[@]}" 2>&1)
if echo "$out" | grep -q 'DNSSEC validation off' && echo "$out" | grep -q 'org.test (PSL), org.test (tree walk)'; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL text output:"; echo "$out"
fi
"$bin" dmarc --help | grep -q -- '--no-validate' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL --help"; }
"$bin" dmarc 2>/dev/null; [ $? = 2 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL no domain: exit"; }

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
