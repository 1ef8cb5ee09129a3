#!/usr/bin/env bash
# tests/cli/test_record_cli.sh — 'mailassure record' as a user runs it: the zone-file line of every kind, every option,
# exit codes (0 written, 1 written with an error finding, 2 bad usage or value), findings on stderr, splitting into
# 255-byte strings, the MTA-STS policy file with CRLF, --help; and 'mailassure lint' accepts what 'record' printed
# (exact warning/error IDs when jq is installed).
set -u
bin="$MA_BINARY"
tmp="${MA_TEST_TMP:-/tmp}/record-cli.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
have_jq=0
command -v jq >/dev/null && have_jq=1

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run WANT_RC ARGS... : run 'mailassure record ARGS', keep stdout/stderr, compare the exit status
run() {
	local want=$1
	shift
	"$bin" record "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "record $* -> exit $got, want $want ($(head -c 300 "$tmp/err"))"; fi
}

# out_is TEXT : stdout is exactly TEXT plus a newline
out_is() {
	if [ "$(cat "$tmp/out")" = "$1" ] && [ "$(tail -c1 "$tmp/out" | od -An -c | tr -d ' ')" = '\n' ]; then
		ok
	else
		bad "stdout: '$(cat "$tmp/out")', want '$1'"
	fi
}

err_has() { if grep -qF -- "$1" "$tmp/err"; then ok; else bad "stderr lacks '$1': $(head -c 400 "$tmp/err")"; fi; }
err_lacks() { if grep -qF -- "$1" "$tmp/err"; then bad "stderr has '$1'"; else ok; fi; }
out_empty() { if [ -s "$tmp/out" ]; then bad "stdout not empty: $(head -c 200 "$tmp/out")"; else ok; fi; }

# The TXT data of the printed zone line, strings re-joined (generated data has no quotes or backslashes).
joined() {
	sed -e 's/^[^"]*"//' -e 's/"$//' -e 's/" "//g' "$tmp/out"
}

# nstrings : how many character-strings the printed line has; every one at most 255 bytes
nstrings() {
	local n=0 s
	while IFS= read -r s; do
		[ ${#s} -le 255 ] || bad "a string of ${#s} bytes"
		n=$((n + 1))
	done < <(sed -e 's/^[^"]*"//' -e 's/"$//' -e 's/" "/\n/g' "$tmp/out")
	echo "$n"
}

# lints KIND WANT_IDS : 'mailassure lint KIND' accepts the re-joined record (exit 0, or 1 when WANT_IDS has an error
# finding), and with jq its warning and error IDs are exactly WANT_IDS (space-separated, in order)
lints() {
	local kind=$1 want=$2 rec want_rc=0
	rec=$(joined)
	case " $want " in *" spf.lookups.over-limit "* | *" spf.all.pass "*) want_rc=1 ;; esac
	"$bin" lint "$kind" --json -- "$rec" >"$tmp/lint" 2>"$tmp/linterr"
	local got=$?
	if [ "$got" != "$want_rc" ]; then
		bad "lint $kind '$rec' -> exit $got, want $want_rc ($(head -c 300 "$tmp/linterr"))"
		return
	fi
	ok
	if [ $have_jq = 1 ]; then
		local ids
		ids=$(jq -r '[.findings[] | select(.severity == "warning" or .severity == "error") | .id] | join(" ")' "$tmp/lint")
		if [ "$ids" = "$want" ] && jq -e '.valid' "$tmp/lint" >/dev/null; then ok; else bad "lint $kind '$rec': [$ids], want [$want]"; fi
	fi
}

# ---- help and usage errors ----------------------------------------------------------------------------------------
run 0 --help
grep -q "usage: mailassure record {dmarc|spf|mta-sts|tls-rpt}" "$tmp/out" && ok || bad "record --help"
run 0 dmarc --help
grep -q -- "--generation 7489|9989|both" "$tmp/out" && ok || bad "record dmarc --help"
run 0 spf -h
grep -q -- "--redirect DOMAIN" "$tmp/out" && ok || bad "record spf --help"
run 0 mta-sts --help
grep -q -- "--policy" "$tmp/out" && ok || bad "record mta-sts --help"
run 0 tls-rpt --help
grep -q -- "--rua URI" "$tmp/out" && ok || bad "record tls-rpt --help"
run 2
run 2 caa --domain example.com
err_has "unknown kind 'caa'"
run 2 dmarc --p reject
err_has "--domain is required"
out_empty
run 2 dmarc --domain example.com --p reject --bogus x
err_has "unknown option '--bogus'"
run 2 dmarc --domain example.com --p
err_has "--p needs a value"
run 2 dmarc --domain example.com --p reject --p none
err_has "--p given twice"
run 2 dmarc --domain example.com --p reject extra
err_has "unexpected argument 'extra'"
run 2 spf --domain example.com --ip4 192.0.2.0/24 --policy
err_has "unknown option '--policy'"
run 2 tls-rpt --domain example.com --rua mailto:t@example.com --p reject
err_has "unknown option '--p'"
run 2 dmarc --domain example.com --p reject --ttl abc
err_has "--ttl: 'abc' is not a number of seconds"
run 2 dmarc --domain example.com --p reject --ttl 2147483648
run 2 mta-sts --domain example.com --policy=yes --mx mx.example.com
err_has "--policy takes no value"
# hostile bytes in a value are escaped in the message
run 2 dmarc --domain $'ex\x1bample.com' --p reject
err_has 'ex\x1bample.com'
if grep -q $'\x1b' "$tmp/err"; then bad "raw ESC on stderr"; else ok; fi

# ---- DMARC --------------------------------------------------------------------------------------------------------
run 0 dmarc --domain example.com --p reject --rua mailto:d@example.com
out_is '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:d@example.com"'
lints dmarc ""
run 0 dmarc --domain=example.com --p=none --rua=mailto:d@example.com --ttl=300
out_is '_dmarc.example.com. 300 IN TXT "v=DMARC1; p=none; rua=mailto:d@example.com"'
lints dmarc "dmarc.policy.none"
# every option, both generations
run 0 dmarc --domain example.com --p reject --sp quarantine --np reject --adkim s --aspf r --pct 100 --t n \
	--psd n --fo 1:d --rf afrf --ri 3600 --rua mailto:a@example.com --rua mailto:b@example.com \
	--ruf mailto:f@example.com --generation both
out_is '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; t=n; psd=n; fo=1:d; rf=afrf; ri=3600; rua=mailto:a@example.com,mailto:b@example.com; ruf=mailto:f@example.com"'
lints dmarc "dmarc.sp.weaker"
# a partial rollout: pct and t=y for the two generations, and an info finding that says so
run 0 dmarc --domain example.com --p quarantine --pct 50 --rua mailto:d@example.com
out_is '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=quarantine; pct=50; t=y; rua=mailto:d@example.com"'
err_has "[info] record.dmarc.testing-both"
lints dmarc "dmarc.pct.partial dmarc.testing"
run 0 dmarc --domain example.com --p reject --t y --rua mailto:d@example.com
out_is '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject; pct=0; t=y; rua=mailto:d@example.com"'
run 0 dmarc --domain example.com --p reject --pct 20 --generation 7489 --rua mailto:d@example.com
out_is '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject; pct=20; rua=mailto:d@example.com"'
err_lacks "record.dmarc.testing-both"
lints dmarc "dmarc.pct.partial"
run 0 dmarc --domain example.com --p reject --t y --generation 9989 --rua mailto:d@example.com
out_is '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject; t=y; rua=mailto:d@example.com"'
lints dmarc "dmarc.testing"
run 2 dmarc --domain example.com --p reject --pct 50 --generation 9989
err_has "use t=y for testing mode"
out_empty
run 2 dmarc --domain example.com --p reject --rf afrf --generation 9989
run 2 dmarc --domain example.com --p reject --np none --generation 7489
run 2 dmarc --domain example.com --p reject --generation 2020
err_has "generation: not 7489, 9989 or both"
run 2 dmarc --domain example.com --p block
err_has "p: 'block' is not none, quarantine or reject"
run 2 dmarc --domain example.com --p reject --pct 150
run 2 dmarc --domain example.com --p reject --rua d@example.com
err_has "did you mean mailto:d@example.com?"
run 2 dmarc --domain example.com
err_has "p: required"
# many rua: split into two strings, joined back it still lints
run 0 dmarc --domain example.com --p reject \
	--rua mailto:aggregate-reports-one@reports.dmarc-provider.example.net \
	--rua mailto:aggregate-reports-two@reports.dmarc-provider.example.net \
	--rua mailto:aggregate-reports-three@reports.dmarc-provider.example.net \
	--rua mailto:aggregate-reports-four@reports.dmarc-provider.example.net
[ "$(nstrings)" = 2 ] && ok || bad "dmarc with four long rua: $(nstrings) strings"
err_has "record.txt.split"
lints dmarc "dmarc.rua.too-many"

# ---- SPF ----------------------------------------------------------------------------------------------------------
run 0 spf --domain example.com
out_is 'example.com. 3600 IN TXT "v=spf1 -all"'
lints spf ""
run 0 spf --domain example.com --ip4 192.0.2.0/24 --ip4 198.51.100.1 --ip6 2001:DB8::/32 --a --a=web.example.com \
	--mx --mx=example.net/24 --include _spf.example.net --exists '%{i}._spf.example.com' --all '~'
out_is 'example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.1 ip6:2001:db8::/32 a a:web.example.com mx mx:example.net/24 include:_spf.example.net exists:%{i}._spf.example.com ~all"'
lints spf ""
run 0 spf --domain example.com --ip4 192.0.2.1 --redirect _spf.example.net
out_is 'example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net"'
lints spf ""
run 2 spf --domain example.com --redirect _spf.example.net --all -
err_has "RFC 7208 6.1"
run 2 spf --domain example.com --ip4 192.0.2.1/24
err_has "did you mean 192.0.2.0/24?"
run 2 spf --domain example.com --include "example.net -all"
out_empty
run 2 spf --domain example.com --all x
# +all: printed, but an error finding and exit 1
run 1 spf --domain example.com --all +
out_is 'example.com. 3600 IN TXT "v=spf1 +all"'
err_has "[error] record.spf.all-pass"
lints spf "spf.all.pass"
# 11 DNS-querying terms: printed, error finding, exit 1 (RFC 7208 4.6.4)
args=()
for i in $(seq 1 11); do args+=(--include "i$i.example.com"); done
run 1 spf --domain example.com "${args[@]}"
err_has "[error] record.spf.lookups-over-limit: The generated SPF record has more than 10 DNS-querying terms: 11 DNS-querying terms"
lints spf "spf.lookups.over-limit"
run 0 spf --domain example.com "${args[@]:0:20}"
err_lacks "record.spf.lookups-over-limit"
lints spf "spf.lookups.high"
# 450 bytes exactly: no warning; 464: warning, two strings, exit 0
args=()
for i in $(seq 1 32); do args+=(--ip4 "10.0.0.$i"); done
run 0 spf --domain example.com "${args[@]}"
[ "$(joined | tr -d '\n' | wc -c)" = 450 ] && ok || bad "32 ip4 terms: $(joined | tr -d '\n' | wc -c) bytes"
err_lacks "record.spf.long"
run 0 spf --domain example.com "${args[@]}" --ip4 10.0.0.33
err_has "[warning] record.spf.long: The generated SPF record is over 450 bytes: 464 bytes"
err_has "[info] record.txt.split"
[ "$(nstrings)" = 2 ] && ok || bad "464-byte SPF: $(nstrings) strings"
lints spf "spf.record.long"

# ---- MTA-STS ------------------------------------------------------------------------------------------------------
run 0 mta-sts --domain example.com --id 20260101abc
out_is '_mta-sts.example.com. 3600 IN TXT "v=STSv1; id=20260101abc"'
lints mta-sts ""
before=$(date -u +%Y%m%d%H%M%S)
run 0 mta-sts --domain example.com
after=$(date -u +%Y%m%d%H%M%S)
id=$(sed -n 's/.*id=\([0-9]*\)"$/\1/p' "$tmp/out")
if [[ "$id" =~ ^[0-9]{14}$ ]] && [ "$id" -ge "$before" ] && [ "$id" -le "$after" ]; then ok; else bad "default id '$id' not between $before and $after"; fi
lints mta-sts ""
run 2 mta-sts --domain example.com --id 2026-01-01
err_has "id: '2026-01-01' is not 1 to 32 letters and digits"
run 2 mta-sts --domain example.com --mx mx.example.com
err_has "add --policy"
run 0 mta-sts --domain example.com --policy --mode enforce --mx mx1.example.com --mx '*.example.net' --max-age 1209600
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 1209600\r\n' >"$tmp/want"
cmp -s "$tmp/out" "$tmp/want" && ok || bad "policy file: $(od -c "$tmp/out" | head -5)"
err_has "serve this file at https://mta-sts.example.com/.well-known/mta-sts.txt"
"$bin" lint mta-sts-policy - <"$tmp/out" >"$tmp/lint" 2>&1 && ok || bad "lint mta-sts-policy: $(cat "$tmp/lint")"
if [ $have_jq = 1 ]; then
	"$bin" lint mta-sts-policy --json - <"$tmp/out" >"$tmp/lint"
	jq -e '.valid and ([.findings[] | select(.severity == "warning" or .severity == "error")] | length == 0)' \
		"$tmp/lint" >/dev/null && ok || bad "policy lint: $(cat "$tmp/lint")"
fi
run 0 mta-sts --domain example.com --policy --mx mx1.example.com
printf 'version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n' >"$tmp/want"
cmp -s "$tmp/out" "$tmp/want" && ok || bad "testing policy file: $(od -c "$tmp/out" | head -5)"
run 2 mta-sts --domain example.com --policy --mode enforce
err_has "at least one pattern is required in enforce mode"
run 2 mta-sts --domain example.com --policy --mx mx.example.com --id 1
run 2 mta-sts --domain example.com --policy --mx mx.example.com --max-age 31557601

# ---- TLS-RPT ------------------------------------------------------------------------------------------------------
run 0 tls-rpt --domain example.com --rua mailto:tls-rua@mailcheck.service.ncsc.gov.uk --rua https://r.example.net/tls
out_is '_smtp._tls.example.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tls-rua@mailcheck.service.ncsc.gov.uk,https://r.example.net/tls"'
lints tls-rpt ""
run 2 tls-rpt --domain example.com
err_has "rua: at least one"
run 2 tls-rpt --domain example.com --rua http://r.example.net/tls
out_empty

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
