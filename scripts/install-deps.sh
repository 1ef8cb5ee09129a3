#!/usr/bin/env bash
# scripts/install-deps.sh — install what building, testing (and, with --bench, benchmarking) mailassure needs on
# Debian 12. Idempotent: packages already present are not fetched again, so a warm machine takes about a second.
#   scripts/install-deps.sh            build and test dependencies
#   scripts/install-deps.sh --bench    also the benchmark peers (libspf2's spfquery, Node.js + mailauth)
set -euo pipefail

# Build: compiler, CMake, and the libraries the code links.
BUILD_PKGS=(
	build-essential cmake pkg-config clang libclang-rt-14-dev llvm-14
	libssl-dev libunbound-dev libpsl-dev publicsuffix dns-root-data libjansson-dev libevent-dev
	libxml2-dev libsqlite3-dev libgmime-3.0-dev libarchive-dev libcurl4-openssl-dev libidn2-dev
)
# Tests: cmocka, libyaml (the RFC 7208 suite is YAML), knot (authoritative DNS on loopback), nginx (MTA-STS policies
# over HTTPS), Dovecot (IMAP ingestion), Postfix (the STARTTLS probe's good server), testssl.sh (the probe's peer),
# and tools the shell tests use (openssl makes the test CA, swaks speaks SMTP).
TEST_PKGS=(libcmocka-dev libyaml-dev knot knot-dnsutils nginx-light dovecot-imapd postfix testssl.sh swaks openssl
	sqlite3 jq python3 ca-certificates iproute2 procps)
# Benchmarks: the peers we measure against in the same run. Node.js and npm come from Debian unless a node with npm
# is already installed (a NodeSource nodejs package bundles npm and conflicts with Debian's npm).
BENCH_PKGS=(spfquery dnsperf util-linux bc)
BENCH_NODE_PKGS=(nodejs npm)

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
bench=0
for a in "$@"; do
	case "$a" in
	--bench)
		bench=1
		want+=("${BENCH_PKGS[@]}")
		command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || want+=("${BENCH_NODE_PKGS[@]}")
		;;
	*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	# Postfix asks what kind of mail system this is; the tests write their own main.cf.
	echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# knot's, nginx's, Dovecot's and Postfix's packages start system daemons; the tests start their own on loopback
# ports and need none of them.
if [ ${#missing[@]} -gt 0 ] && command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now knot nginx dovecot postfix >/dev/null 2>&1 || true
fi

if [ $bench = 1 ]; then
	# mailauth (the Node.js peer) goes into bench/.node, never into the repository's history.
	root=$(cd "$(dirname "$0")/.." && pwd)
	if [ ! -d "$root/bench/.node/node_modules/mailauth" ]; then
		mkdir -p "$root/bench/.node"
		# mailauth 4.13 needs Node.js 20.18; Debian 12's is 18, which 4.12 supports.
		spec=mailauth
		[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || spec='mailauth@~4.12'
		(cd "$root/bench/.node" && npm install --silent --no-audit --no-fund "$spec" >/dev/null)
	fi
fi
