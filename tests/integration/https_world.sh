#!/usr/bin/env bash
# tests/integration/https_world.sh DIR PORT — the HTTPS world of test_https.c: a test CA made now, certificates
# for the situations the fetch must tell apart, and Debian's nginx serving them on 127.0.0.1.
#   PORT      TLS, one virtual host per name (SNI picks the certificate):
#             mta-sts.good.test   CA-signed, serves /.well-known/mta-sts.txt, /big (10 MiB), /slow (1 byte/s),
#                                 /redirect (301), anything else 404
#             wrong.test          a CA-signed certificate for another name
#             expired.test        a CA-signed certificate that expired in 2020
#             self.test           a self-signed certificate
#   PORT+1    plain HTTP (a TLS client gets no handshake)
# Writes DIR/ca.pem and DIR/nginx.pid; nginx runs in the foreground of a background job, single process, and is
# stopped by killing that pid.
set -euo pipefail
dir=$1 port=$2
mkdir -p "$dir/www/.well-known" "$dir/tmp" "$dir/ca/newcerts"
cd "$dir"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=mailassure test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
leaf() { # NAME SAN [STARTDATE ENDDATE]
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
	printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$1.ext"
	if [ $# -ge 4 ]; then
		: > ca/index.txt
		printf '[ca]\ndefault_ca=d\n[d]\ndir=ca\ndatabase=ca/index.txt\nnew_certs_dir=ca/newcerts\nserial=ca/serial\n' > ca.cnf
		printf 'default_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n' >> ca.cnf
		echo 01 > ca/serial
		ossl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in "$1.csr" -out "$1.pem" -startdate "$3" \
			-enddate "$4" -extfile "$1.ext" -notext
	else
		ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 7 -extfile "$1.ext"
	fi
}
leaf good mta-sts.good.test
leaf wrong mta-sts.other.test
leaf expired expired.test 20200101000000Z 20200201000000Z
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem -days 7 \
	-subj "/CN=self.test" -addext "subjectAltName=DNS:self.test"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmax_age: 604800\r\n' > www/.well-known/mta-sts.txt
head -c 10485760 /dev/zero | tr '\0' 'x' > www/big
head -c 4096 /dev/zero | tr '\0' 'y' > www/slow
vhost() { # NAME CERT
	cat <<EOV
  server {
    listen 127.0.0.1:$port ssl;
    server_name $1;
    ssl_certificate $dir/$2.pem;
    ssl_certificate_key $dir/$2.key;
    root $dir/www;
    location = /redirect { return 301 https://elsewhere.test/.well-known/mta-sts.txt; }
    location = /slow { limit_rate 1; }
    location /.well-known/ { default_type text/plain; }
  }
EOV
}
{
	cat <<EOC
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  sendfile on;
  server { listen 127.0.0.1:$((port + 1)); root $dir/www; }
EOC
	vhost mta-sts.good.test good
	vhost wrong.test wrong
	vhost expired.test expired
	vhost self.test self
	echo "}"
} > nginx.conf
/usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" </dev/null >"$dir/nginx.out" 2>&1 &
for _ in $(seq 100); do
	if [ -s nginx.pid ] && (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
	sleep 0.05
done
echo "nginx did not start:" >&2
cat "$dir/error.log" "$dir/nginx.out" >&2 || true
exit 1
