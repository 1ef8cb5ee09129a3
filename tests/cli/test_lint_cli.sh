#!/usr/bin/env bash
# tests/cli/test_lint_cli.sh — 'mailassure lint' as a user runs it: every kind, exit codes (0 clean, 1 an error
# finding, 2 usage or operational error), the exact --json shape, standard input (NUL bytes kept, 1 MiB cap),
# terminal escaping of hostile bytes, --help. Skips (77) without jq.
set -u
bin="$MA_BINARY"
command -v jq >/dev/null || { echo "jq not installed: skipped"; exit 77; }
tmp="${MA_TEST_TMP:-/tmp}/lint-cli.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_rc WANT ARGS... : run the binary, compare the exit status
expect_rc() {
	local want=$1
	shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "lint $* -> exit $got, want $want ($(head -c 300 "$tmp/err"))"; fi
}

# expect_jq FILTER : the last --json output satisfies a jq boolean filter
expect_jq() {
	if jq -e "$1" "$tmp/out" >/dev/null 2>&1; then ok; else bad "jq '$1' on $(head -c 400 "$tmp/out")"; fi
}

# ---- exit codes per kind ----------------------------------------------------------------------------------------
expect_rc 0 lint spf "v=spf1 ip4:192.0.2.0/24 -all"
expect_rc 1 lint spf "v=spf1 ip4:192.0.2.0/33 -all"
expect_rc 0 lint dmarc "v=DMARC1; p=reject; rua=mailto:d@example.com"
expect_rc 1 lint dmarc "v=DMARC2; p=reject"
expect_rc 0 lint dkim "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
expect_rc 0 lint dkim "v=DKIM1; p="
expect_rc 1 lint dkim "v=DKIM1; h=sha1; p="
expect_rc 0 lint mta-sts "v=STSv1; id=20260101T000000"
expect_rc 1 lint mta-sts "v=STSv1; id=2026-01-01"
expect_rc 0 lint tls-rpt "v=TLSRPTv1; rua=mailto:tls-rua@mailcheck.service.ncsc.gov.uk"
expect_rc 1 lint tls-rpt "v=TLSRPTv1; rua=http://r.example/x"
# a warning alone does not fail
expect_rc 0 lint dkim "v=DKIM1; t=y; p="

# ---- RSA key sizes made here with openssl -------------------------------------------------------------------------
if command -v openssl >/dev/null; then
	for bits in 1024 2048; do
		key=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits 2>/dev/null |
			openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0)
		expect_rc 0 lint dkim "v=DKIM1; k=rsa; p=$key" --json
		expect_jq ".parsed.bits == $bits and .parsed.key_type == \"rsa\" and .valid == true"
	done
	expect_jq '[.findings[].id] == ["dkim.key.rsa-strong"]'
	key=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 2>/dev/null |
		openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0)
	expect_rc 1 lint dkim --json "v=DKIM1; p=$key"
	expect_jq '.valid == false and any(.findings[]; .id == "dkim.key.rsa-weak" and .severity == "error")'
	# ed25519: the raw 32 bytes are what RFC 8463 4 publishes; the SubjectPublicKeyInfo that `openssl pkey
	# -pubout` prints is the common mistake, and verifiers fail every signature with it
	openssl genpkey -algorithm ED25519 -out "$tmp/ed.pem" 2>/dev/null
	openssl pkey -in "$tmp/ed.pem" -pubout -outform DER -out "$tmp/ed.der" 2>/dev/null
	expect_rc 0 lint dkim --json "v=DKIM1; k=ed25519; p=$(tail -c 32 "$tmp/ed.der" | base64 -w0)"
	expect_jq '.valid == true and .parsed.key_type == "ed25519" and [.findings[].id] == ["dkim.key.ed25519"]'
	expect_rc 1 lint dkim --json "v=DKIM1; k=ed25519; p=$(base64 -w0 <"$tmp/ed.der")"
	expect_jq '.valid == false and [.findings[].id] == ["dkim.key.invalid"]'
fi

# ---- the exact --json shape ---------------------------------------------------------------------------------------
expect_rc 1 lint tls-rpt --json "v=TLSRPTv1; rua=http://r.example/x, mailto:a@b.example"
expect_jq 'keys_unsorted == ["kind", "valid", "parsed", "findings"]'
expect_jq '.kind == "tls-rpt" and .valid == true and (.parsed | type) == "object"'
expect_jq '.parsed.rua == ["mailto:a@b.example"]'
expect_jq 'all(.findings[]; keys_unsorted == ["id", "severity", "message", "advice"])'
expect_jq 'all(.findings[]; (.severity | IN("error", "warning", "info", "ok")) and (.advice | length) > 0)'
expect_jq '[.findings[].id] == ["tlsrpt.rua.http", "tlsrpt.rua.ok"]'
expect_rc 1 lint mta-sts "v=STSv1" --json
expect_jq '.parsed == {} and .valid == false and .findings[0].id == "mta-sts.txt.id-missing"'
for kind in spf dmarc dkim mta-sts mta-sts-policy tls-rpt; do
	expect_rc 1 lint "$kind" --json ""
	expect_jq ".kind == \"$kind\" and .valid == false and (.parsed | type) == \"object\" and (.findings | length) > 0"
done

# ---- MTA-STS policy from standard input ---------------------------------------------------------------------------
printf 'version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 1209600\r\n' >"$tmp/policy"
expect_rc 0 lint mta-sts-policy - --json <"$tmp/policy"
expect_jq '.parsed.mode == "enforce" and .parsed.max_age == 1209600 and .parsed.mx == ["*.example.com"]'
expect_jq '.parsed.crlf == true and ([.findings[].id] == ["mta-sts.policy.mode-enforce"])'
printf 'version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 3600\n' >"$tmp/policy"
expect_rc 0 lint mta-sts-policy - --json <"$tmp/policy"
expect_jq '[.findings[].id] | contains(["mta-sts.policy.lf", "mta-sts.policy.max-age-short"])'
# a TXT record from `dig +short`-like input: the trailing newline is not part of it
printf 'v=STSv1; id=abc\n' | "$bin" lint mta-sts - --json >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && ok || bad "TXT from stdin with a newline"
expect_jq '.parsed.id == "abc"'
# a NUL on stdin stays a byte of the record (an error), it does not cut the record short (which would be valid)
printf 'v=STSv1; id=abc\0def' | "$bin" lint mta-sts - >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && ok || bad "NUL on stdin should be an error"
# over 1 MiB on stdin: a clean operational error
head -c $((1024 * 1024 + 10)) /dev/zero | "$bin" lint mta-sts-policy - >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && grep -q "1 MiB" "$tmp/err" && ok || bad "over 1 MiB on stdin"
# exactly the cap is accepted (and judged too big by the policy's own cap, an error finding)
head -c $((1024 * 1024)) /dev/zero | "$bin" lint mta-sts-policy - --json >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && ok || bad "1 MiB on stdin"
expect_jq '.findings[0].id == "mta-sts.policy.too-big"'

# ---- hostile bytes never reach the terminal raw -----------------------------------------------------------------
"$bin" lint tls-rpt $'v=TLSRPTv1; rua=mailto:a\x1b]0;pwned\x07@b.example' >"$tmp/out" 2>&1
[ $? = 1 ] && ok || bad "escape sequence record exit status"
if grep -q $'\x1b' "$tmp/out" || grep -q $'\x07' "$tmp/out"; then bad "raw control bytes in human output"; else ok; fi
"$bin" lint $'sp\x1bf' x >"$tmp/out" 2>&1
if grep -q $'\x1b' "$tmp/out"; then bad "raw control bytes in a usage error"; else ok; fi
# human output: verdict line and findings with severity and advice
"$bin" lint dkim "v=DKIM1; h=sha1; p=" >"$tmp/out" 2>&1
head -1 "$tmp/out" | grep -q '^dkim record: valid, with errors$\|^dkim record: INVALID$' && ok || bad "verdict line: $(head -1 "$tmp/out")"
grep -q '\[error\] dkim.hash.sha1-only' "$tmp/out" && grep -q 'advice: .*RFC 8301' "$tmp/out" && ok ||
	bad "human finding lines"

# ---- usage ----------------------------------------------------------------------------------------------------
expect_rc 0 lint --help
grep -q "mta-sts-policy" "$tmp/out" && ok || bad "--help text"
expect_rc 2 lint
expect_rc 2 lint dkim
expect_rc 2 lint nosuchkind "v=DKIM1; p="
expect_rc 2 lint dkim "v=DKIM1; p=" extra
expect_rc 2 lint dkim --jsn "v=DKIM1; p="
expect_rc 1 lint spf -- "-all"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
