#!/usr/bin/env bash
# scripts/demo.sh — the README's main-job command: what mailassure does, on local data, with no network needed.
#   1. installs what it needs (scripts/install-deps.sh) and builds mailassure (into build/, or $MA_DEMO_BUILD)
#   2. starts knot on loopback serving the DNSSEC-signed demo zones in demo/zones/ (a TLD "test." with a
#      well-configured domain, a half-way one, an open one, a parked one and a mail provider)
#   3. runs every subcommand against them, through --resolver 127.0.0.1:PORT --trust-anchor FILE
#   4. stops knot, whatever happens
# Exit status 0 when every command answered (0, 1 or 2), 1 when one crashed; scripts/test.sh runs it as a smoke test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${MA_DEMO_BUILD:-build}

if [ -t 1 ]; then bold=$(printf '\033[1m') dim=$(printf '\033[2m') off=$(printf '\033[0m'); else bold= dim= off=; fi
heading() { printf '\n%s==== %s ====%s\n' "$bold" "$*" "$off"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
# show CMD...: print the command as a user would type it, run it, print its exit status (the demo goes on).
quote() { # an argument as a user would type it in a shell
	case "$1" in
	'') printf "''" ;;
	*[!A-Za-z0-9@%_.:/=+,-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
	*) printf '%s' "$1" ;;
	esac
}
show() {
	local line=mailassure a
	for a in "${@:2}"; do line+=" $(quote "$a")"; done
	printf '\n%s$ %s%s\n' "$bold" "$line" "$off"
	local rc=0
	"$@" || rc=$?
	note "(exit status $rc)"
	# 0, 1 and 2 are answers; anything else (a crash, a signal) is a defect the demo must not hide.
	if [ "$rc" -gt 2 ]; then
		echo "demo: '$line' exited with status $rc" >&2
		crashed=$((crashed + 1))
	fi
}
crashed=0

heading "Setting up: dependencies and build"
bash scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target mailassure >/dev/null
ma=$root/$build/mailassure
"$ma" --version

work=$(mktemp -d /tmp/mailassure-demo.XXXXXX)
cleanup() {
	bash scripts/knotctl.sh stop "$work/knot" || true
	rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
anchor=$(bash scripts/knotctl.sh start "$work/knot" "$port" --sign demo/zones/*.zone)
net=(--resolver "127.0.0.1:$port" --trust-anchor "$anchor")

heading "The demo's DNS"
note "knot is serving these zones on 127.0.0.1 port $port, DNSSEC-signed; the trust anchor is the DS of test.:"
sed 's/^/  /' "$anchor"
note "Every command below sends its queries there (--resolver 127.0.0.1:$port --trust-anchor $anchor);"
note "on a real network, leave both options out: mailassure resolves from the root and validates with the root key."
for z in demo/zones/*.zone; do printf '  %s\n' "$(basename "$z" .zone)."; done

# txt NAME: the TXT record at NAME from the demo server, strings joined as receivers join them.
txt() {
	kdig +short +timeout=2 @127.0.0.1 -p "$port" TXT "$1" | head -n 1 | sed -e 's/" "//g' -e 's/^"//' -e 's/"$//'
}

heading "1. lint: check a record's text (no DNS)"
note "Each finding has a stable ID, a severity and advice; exit status 1 means an error finding."
for d in good.test weak.test open.test parked.test; do
	show "$ma" lint spf "$(txt "$d")"
done
show "$ma" lint dmarc "$(txt _dmarc.open.test)"
show "$ma" lint dkim "$(txt sel1._domainkey.good.test)"
show "$ma" lint dkim "$(txt x._domainkey.parked.test)"
show "$ma" lint mta-sts "$(txt _mta-sts.good.test)"
note "An MTA-STS policy file is read from standard input with '-'. good.test's policy (enforce, CRLF line ends):"
show "$ma" lint mta-sts-policy - < demo/mta-sts-policy.txt
note "A first policy in testing mode, written with a Unix editor (LF line ends) and a one-hour max_age:"
show "$ma" lint mta-sts-policy - < demo/mta-sts-policy-testing.txt
show "$ma" lint tls-rpt "$(txt _smtp._tls.good.test)"
note "--json gives the same as data:"
show "$ma" lint spf --json "v=spf1 ip4:192.0.2.1/16 include:_spf.mailhost.test +all"

heading "2. spf: would this IP address be allowed to send as this sender? (RFC 7208 check_host)"
show "$ma" spf 192.0.2.10 alice@good.test "${net[@]}"
note "Sent through the mail provider that good.test includes:"
show "$ma" spf 198.51.100.20 newsletter@good.test "${net[@]}"
note "From an address good.test does not list: fail (its policy ends in -all):"
show "$ma" spf 203.0.113.5 alice@good.test "${net[@]}"
note "weak.test's policy passes its own MX, but a CRM server's mail needs more than 10 DNS lookups: permerror."
show "$ma" spf 192.0.2.40 bob@weak.test "${net[@]}"
show "$ma" spf 203.0.113.70 bob@weak.test "${net[@]}"
note "open.test publishes +all: any host on the Internet passes."
show "$ma" spf 203.0.113.5 ceo@open.test "${net[@]}"
note "The null reverse-path (a bounce) checks the HELO name; --json for data:"
show "$ma" spf 192.0.2.25 "" --helo good.test "${net[@]}" --json

heading "3. dmarc: which DMARC policy applies to a domain (RFC 7489 and RFC 9989)"
note "Both discovery methods are run (Public Suffix List and the DNS tree walk); disagreements are findings."
for d in good.test weak.test open.test parked.test; do
	show "$ma" dmarc "$d" "${net[@]}"
done
note "A subdomain without its own record inherits its organisational domain's policy:"
show "$ma" dmarc shop.good.test "${net[@]}"
note "A domain with no DMARC at all:"
show "$ma" dmarc mailhost.test "${net[@]}"
note "Every answer is DNSSEC-validated. With a wrong trust anchor the answers are bogus, and mailassure says the"
note "result is inconclusive (exit status 2) rather than guessing:"
awk '{$NF = "00" substr($NF, 3); print}' "$anchor" > "$work/wrong-anchor.ds"
show "$ma" dmarc good.test --resolver "127.0.0.1:$port" --trust-anchor "$work/wrong-anchor.ds"
show "$ma" spf 192.0.2.10 alice@good.test --resolver "127.0.0.1:$port" --trust-anchor "$work/wrong-anchor.ds"

heading "4. record: write a correct record to publish"
note "Zone-file lines for good.test's records, built from options and checked before they are printed:"
show "$ma" record dmarc --domain good.test --p reject --rua mailto:dmarc-reports@good.test
show "$ma" record spf --domain good.test --mx --ip4 192.0.2.0/28 --include _spf.mailhost.test
show "$ma" record mta-sts --domain good.test --id 20250101T000000
note "--policy writes the MTA-STS policy file to serve over HTTPS, with the CRLF line ends RFC 8461 asks for:"
show "$ma" record mta-sts --domain good.test --policy --mode enforce --mx mx1.good.test
show "$ma" record tls-rpt --domain good.test --rua mailto:tls-reports@good.test
note "A record that would not work is still printed, with the error finding, and exit status 1:"
spf_args=()
for i in 1 2 3 4 5 6 7 8 9 10 11; do spf_args+=(--include "_spf$i.mailhost.test"); done
show "$ma" record spf --domain weak.test "${spf_args[@]}"

heading "5. findings: every finding ID mailassure can report"
"$ma" findings | sed -n 1,15p
note "... $("$ma" findings | wc -l) lines in all: 'mailassure findings --markdown' writes docs/findings.md."

if [ "$crashed" != 0 ]; then
	echo "demo: $crashed command(s) crashed" >&2
	exit 1
fi
heading "Done"
note "Coming next: scans of every domain an organisation owns (MX, DKIM, MTA-STS, TLS-RPT, DNSSEC/DANE, MX TLS),"
note "'is mail from A to B secure?', report ingestion (DMARC aggregate/failure, SMTP TLS) and a web dashboard."
