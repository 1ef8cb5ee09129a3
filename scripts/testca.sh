#!/usr/bin/env bash
# scripts/testca.sh — a test certificate authority for shell tests, with the openssl CLI (the C version is
# tests/support/testca.c). Makes a CA and leaf certificates for given names into a directory, as PEM files.
#
# Usage:
#   scripts/testca.sh ca DIR [--rsa]
#       DIR/ca.crt (the trust anchor to hand the client: mailassure --ca-file, curl --cacert) and DIR/ca.key.
#       EC P-256 keys by default; --rsa for RSA 2048. Valid from a day ago for ten years.
#   scripts/testca.sh leaf DIR BASENAME [options] NAME...
#       DIR/BASENAME.crt (the leaf), DIR/BASENAME.chain.crt (leaf then CA: give this to nginx's ssl_certificate)
#       and DIR/BASENAME.key, for the NAMEs (subjectAltName DNS:, or IP: for address literals; the first is the
#       CN). Makes the CA first when DIR has none. Options:
#         --rsa             RSA 2048 key (default EC P-256)
#         --expired         valid from 10 days ago until yesterday
#         --not-yet-valid   valid from tomorrow for 10 days
#         --self-signed     signed by its own key, not the CA's
#         --days N          valid from an hour ago for N days (default 30)
#
# Example (an MTA-STS policy host for nginx, see tests/support/nginx.h for the C runner):
#   scripts/testca.sh leaf "$tmp/ca" policy mta-sts.good.test
#   ssl_certificate $tmp/ca/policy.chain.crt; ssl_certificate_key $tmp/ca/policy.key;
#   mailassure scan good.test --ca-file "$tmp/ca/ca.crt" ...
#
# Exit 0 on success, 2 on bad usage, 1 when openssl fails (its messages on stderr).
set -euo pipefail

usage() {
	sed -n '4,25p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

keyargs() { # KIND -> openssl req -newkey arguments
	if [ "$1" = rsa ]; then
		printf '%s\n' -newkey rsa:2048
	else
		printf '%s\n' -newkey ec -pkeyopt ec_paramgen_curve:P-256
	fi
}

make_ca() { # DIR KIND
	local dir=$1 kind=$2
	mkdir -p "$dir"
	chmod 700 "$dir"
	local args
	mapfile -t args < <(keyargs "$kind")
	local start end
	start=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
	end=$(date -u -d '+3650 days' +%Y%m%d%H%M%SZ)
	# req -x509 cannot set a start date before OpenSSL 3.4; make a request and self-sign it with `ca -selfsign`.
	openssl req -new "${args[@]}" -nodes -keyout "$dir/ca.key" -out "$dir/ca.csr" \
		-subj "/O=mailassure tests/CN=mailassure test CA" 2>/dev/null
	init_db "$dir"
	cat > "$dir/ca.ext" <<-EOF
		basicConstraints = critical, CA:TRUE
		keyUsage = critical, keyCertSign, cRLSign
		subjectKeyIdentifier = hash
	EOF
	openssl ca -batch -notext -config "$dir/openssl-ca.cnf" -selfsign -keyfile "$dir/ca.key" \
		-in "$dir/ca.csr" -out "$dir/ca.crt" -startdate "$start" -enddate "$end" -extfile "$dir/ca.ext" \
		2>"$dir/ca.log" || { cat "$dir/ca.log" >&2; exit 1; }
	rm -f "$dir/ca.csr" "$dir/ca.log"
}

init_db() { # DIR: the state `openssl ca` needs, kept in DIR/db
	local dir=$1
	mkdir -p "$dir/db/new"
	[ -f "$dir/db/index.txt" ] || : > "$dir/db/index.txt"
	# Random serials (RFC 5280 4.1.2.2: positive, at most 20 octets): no clash between runs or directories.
	[ -f "$dir/db/serial" ] || printf '%s\n' "$(openssl rand -hex 16 | sed 's/^./4/')" > "$dir/db/serial"
	cat > "$dir/openssl-ca.cnf" <<-EOF
		[ca]
		default_ca = testca
		[testca]
		dir = $dir/db
		database = $dir/db/index.txt
		new_certs_dir = $dir/db/new
		serial = $dir/db/serial
		default_md = sha256
		policy = anything
		unique_subject = no
		copy_extensions = none
		[anything]
		organizationName = optional
		commonName = supplied
	EOF
}

make_leaf() { # DIR BASENAME KIND VALIDITY DAYS SELF NAME...
	local dir=$1 base=$2 kind=$3 validity=$4 days=$5 self=$6
	shift 6
	[ -f "$dir/ca.crt" ] || make_ca "$dir" "$kind"
	local san="" n
	for n in "$@"; do
		case $n in
		*[!0-9a-fA-F.:]* | "") san+="${san:+,}DNS:$n" ;;
		*.*.*.* | *:*) san+="${san:+,}IP:$n" ;;
		*) san+="${san:+,}DNS:$n" ;;
		esac
	done
	local start end
	case $validity in
	expired)
		start=$(date -u -d '-10 days' +%Y%m%d%H%M%SZ)
		end=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
		;;
	notyet)
		start=$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)
		end=$(date -u -d '+11 days' +%Y%m%d%H%M%SZ)
		;;
	*)
		start=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)
		end=$(date -u -d "+$days days" +%Y%m%d%H%M%SZ)
		;;
	esac
	local ku="critical, digitalSignature"
	[ "$kind" = rsa ] && ku+=", keyEncipherment"
	{
		printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = %s\nextendedKeyUsage = serverAuth\n' "$ku"
		printf 'subjectKeyIdentifier = hash\nsubjectAltName = %s\n' "$san"
		[ "$self" = yes ] || printf 'authorityKeyIdentifier = keyid:always\n'
	} > "$dir/$base.ext"
	local args
	mapfile -t args < <(keyargs "$kind")
	openssl req -new "${args[@]}" -nodes -keyout "$dir/$base.key" -out "$dir/$base.csr" \
		-subj "/O=mailassure tests/CN=$1" 2>/dev/null
	init_db "$dir"
	local signer=(-cert "$dir/ca.crt" -keyfile "$dir/ca.key")
	[ "$self" = yes ] && signer=(-selfsign -keyfile "$dir/$base.key")
	openssl ca -batch -notext -config "$dir/openssl-ca.cnf" "${signer[@]}" -in "$dir/$base.csr" \
		-out "$dir/$base.crt" -startdate "$start" -enddate "$end" -extfile "$dir/$base.ext" \
		2>"$dir/$base.log" || { cat "$dir/$base.log" >&2; exit 1; }
	if [ "$self" = yes ]; then
		cp "$dir/$base.crt" "$dir/$base.chain.crt"
	else
		cat "$dir/$base.crt" "$dir/ca.crt" > "$dir/$base.chain.crt"
	fi
	chmod 600 "$dir/$base.key"
	rm -f "$dir/$base.csr" "$dir/$base.log"
}

[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
case $cmd in
ca)
	kind=ec
	for a in "$@"; do
		case $a in --rsa) kind=rsa ;; *) usage ;; esac
	done
	make_ca "$dir" "$kind"
	;;
leaf)
	[ $# -ge 1 ] || usage
	base=$1
	shift
	case $base in "" | */* | -*) usage ;; esac
	kind=ec validity=normal days=30 self=no names=()
	while [ $# -gt 0 ]; do
		case $1 in
		--rsa) kind=rsa ;;
		--expired) validity=expired ;;
		--not-yet-valid) validity=notyet ;;
		--self-signed) self=yes ;;
		--days)
			[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage
			days=$2
			shift
			;;
		-*) usage ;;
		*) names+=("$1") ;;
		esac
		shift
	done
	[ ${#names[@]} -ge 1 ] || usage
	make_leaf "$dir" "$base" "$kind" "$validity" "$days" "$self" "${names[@]}"
	;;
*) usage ;;
esac
