#!/usr/bin/env bash
# tests/cli/test_knotctl.sh — scripts/knotctl.sh as the demo and the benchmarks use it: start a (signed) knot on
# loopback from <origin>.zone files, print the trust anchor, put each child's DS in its served parent so a validating
# resolver (mailassure through libunbound) finds a real chain of trust, refuse bad usage, and stop cleanly.
# Skips (77) without knotd.
set -u
bin="$MA_BINARY"
ctl="$MA_SOURCE_DIR/scripts/knotctl.sh"
tmp="${MA_TEST_TMP:-/tmp}/knotctl.$$"
knotd=$(command -v knotd || echo /usr/sbin/knotd)
[ -x "$knotd" ] || { echo "knotd not installed: skipped"; exit 77; }
command -v kdig >/dev/null || { echo "kdig not installed: skipped"; exit 77; }
mkdir -p "$tmp/z"
pass=0 fail=0
cleanup() {
	for w in "$tmp"/w*; do [ -d "$w" ] && bash "$ctl" stop "$w" >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # DESCRIPTION CONDITION: the shell condition (a string, evaluated here) must hold
	if eval "$2"; then ok; else bad "$1"; fi
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat > "$tmp/z/root.zone" <<'EOF'
@ SOA a.root.invalid. hostmaster.invalid. 1 3600 600 86400 60
@ NS a.root.invalid.
EOF
cat > "$tmp/z/test.zone" <<'EOF'
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60 ; the SOA is in the file
@ NS ns.test.
ns A 192.0.2.53
EOF
# No SOA here: knotctl.sh adds one. The word SOA inside quotes and comments does not count.
cat > "$tmp/z/good.test.zone" <<'EOF'
@ TXT "mentions SOA in text" ; and SOA in a comment
_dmarc TXT "v=DMARC1; p=reject"
EOF

# Usage errors: exit 2, a message, no server left behind.
usage_err() {
	local want=$1 rc
	shift
	bash "$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -qF -- "$want" "$tmp/err"; then ok; else bad "knotctl $* -> rc=$rc '$(cat "$tmp/err")'"; fi
}
usage_err "usage" 
usage_err "usage" start "$tmp/wx"
usage_err "PORT must be" start "$tmp/wx" 53x "$tmp/z/test.zone"
usage_err "PORT must be" start "$tmp/wx" 70000 "$tmp/z/test.zone"
usage_err "cannot read zone file" start "$tmp/wx" "$port" "$tmp/z/missing.zone"
cp "$tmp/z/test.zone" "$tmp/z/test.txt"
usage_err "<origin>.zone" start "$tmp/wx" "$port" "$tmp/z/test.txt"
usage_err "usage" stop

# Signed: test. is the top, good.test.'s DS goes into test.
w1="$tmp/w1"
start=$(date +%s%N)
ta=$(bash "$ctl" start "$w1" "$port" --sign "$tmp/z/test.zone" "$tmp/z/good.test.zone" 2>"$tmp/err")
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "signed start: rc=$rc, stdout '$ta', $(cat "$tmp/err")" '[ "$rc" = 0 ] && [ "$ta" = "$w1/trust-anchor.ds" ]'
check "signed start took ${ms} ms" '[ "$ms" -lt 5000 ]'
check "trust anchor: one DS, for test. only: $(cat "$ta" 2>/dev/null)" \
	'[ "$(grep -c . "$ta")" = 1 ] && grep -qE "^test\. DS [0-9]+ 13 2 [0-9a-fA-F]{64}\$" "$ta"'
dig() { kdig +timeout=2 +retry=0 @127.0.0.1 -p "$port" "$@"; }
check "good.test. DS served from test." 'dig +short DS good.test. | grep -qE '\''^[0-9]+ 13 2 '\'''
check "test. SOA signed" 'dig +dnssec SOA test. | grep -q '\''RRSIG.*SOA'\'''
check "good.test. got an SOA" 'dig +short SOA good.test. | grep -q invalid'

# A validating resolver accepts the chain with the printed anchor ...
"$bin" dmarc good.test --resolver "127.0.0.1:$port" --trust-anchor "$ta" --timeout 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "validated dmarc through the chain: rc=$rc $(cat "$tmp/out" "$tmp/err")" '[ "$rc" = 0 ] && grep -q "policy: reject" "$tmp/out"'
# ... and refuses it when the anchor's digest is wrong (bogus is never an answer).
sed -E 's/[0-9a-fA-F]$/0/; t; s/$//' "$ta" > "$tmp/wrong.ds"
if cmp -s "$ta" "$tmp/wrong.ds"; then sed -i -E 's/0$/1/' "$tmp/wrong.ds"; fi
"$bin" dmarc good.test --resolver "127.0.0.1:$port" --trust-anchor "$tmp/wrong.ds" --timeout 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "wrong anchor must not validate: rc=$rc $(cat "$tmp/out")" '[ "$rc" != 0 ] && ! grep -q "policy: reject" "$tmp/out"'

usage_err "already running" start "$w1" "$port" --sign "$tmp/z/test.zone"
pid=$(cat "$w1/knot.pid")
check "stop" 'bash "$ctl" stop "$w1"'
# Gone, or a zombie waiting for its reaper (knotd -d is reparented to PID 1, which reaps when it gets to it).
check "knotd $pid gone after stop" 'case "$(ps -o stat= -p "$pid")" in ""|Z*) true ;; *) false ;; esac'
check "nothing answers after stop" '! kdig +short +timeout=1 +retry=0 @127.0.0.1 -p "$port" SOA test. 2>/dev/null | grep -q .'
check "stop twice is fine" 'bash "$ctl" stop "$w1"'

# Three levels from the root: only the root's DS is an anchor, the rest is delegated with DS records.
w2="$tmp/w2"
ta=$(bash "$ctl" start "$w2" "$port" --sign "$tmp/z/root.zone" "$tmp/z/good.test.zone" "$tmp/z/test.zone" 2>"$tmp/err")
check "root start: $(cat "$tmp/err")" '[ -n "$ta" ]'
check "root anchor only: $(cat "$ta" 2>/dev/null)" '[ "$(grep -c . "$ta")" = 1 ] && grep -q "^\. DS " "$ta"'
check "test. DS in the root" 'dig +short DS test. | grep -q .'
"$bin" dmarc good.test --resolver "127.0.0.1:$port" --trust-anchor "$ta" --timeout 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "validated from the root: rc=$rc $(cat "$tmp/out" "$tmp/err")" '[ "$rc" = 0 ] && grep -q "policy: reject" "$tmp/out"'
bash "$ctl" stop "$w2"

# Unsigned: nothing printed, data served as is.
w3="$tmp/w3"
out=$(bash "$ctl" start "$w3" "$port" "$tmp/z/test.zone" "$tmp/z/good.test.zone" 2>"$tmp/err")
rc=$?
check "unsigned start: rc=$rc out='$out' $(cat "$tmp/err")" '[ "$rc" = 0 ] && [ -z "$out" ]'
check "unsigned: no RRSIG" '! dig +dnssec SOA test. | grep -q RRSIG'
"$bin" dmarc good.test --resolver "127.0.0.1:$port" --no-validate --timeout 3 >"$tmp/out" 2>"$tmp/err"
check "unsigned dmarc: $(cat "$tmp/out" "$tmp/err")" 'grep -q "policy: reject" "$tmp/out"'
bash "$ctl" stop "$w3"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
