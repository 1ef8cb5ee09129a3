/* tests/support/nginx.h — run Debian's nginx (/usr/sbin/nginx, nginx-light) on loopback for a test: TLS virtual
 * hosts, one per host name, with certificates from the test CA (testca.h), serving files from a directory.
 *
 * nginx runs in the foreground as a child of the test (daemon off, master_process off), with its config, pid file,
 * logs and temp paths in a work directory; it dies with the test (PR_SET_PDEATHSIG) and nginx_stop() ends it.
 * nginx_start() returns once nginx has bound its ports and written its pid file (a listener left by another
 * process on the same port is never mistaken for ours; with port 0 another free port is tried). Skips are the caller's
 * business: nginx_available(). */
#ifndef MA_TEST_NGINX_H
#define MA_TEST_NGINX_H

#include <stdbool.h>
#include <stddef.h>

struct nginx_vhost {
	const char *name; /* server_name (SNI); the first vhost is also the default for unknown names */
	const char *cert; /* PEM chain (testca_leaf.chain) */
	const char *key;
	const char *root; /* directory served; NULL: the work directory's empty "www" */
	const char *conf; /* extra directives inside this server { }, e.g. "location = /r { return 301 /x; }" */
};

struct nginx_opts {
	const char *addr;  /* listen address; default "127.0.0.1" */
	const char *addr6; /* also listen on this IPv6 address (e.g. "::1") when set */
	int port;          /* 0: a free port on addr, from [port_lo, port_hi] when set, else the kernel's choice */
	int port_lo, port_hi;
	const char *workdir; /* default: a fresh directory under $MA_TEST_TMP or /tmp (removed by nginx_stop) */
	const struct nginx_vhost *vhosts;
	size_t nvhosts;        /* at least 1 */
	const char *http_conf; /* extra directives at http { } level */
};

struct nginx_server;

bool nginx_available(void);
/* NULL (and why on stderr, with the error log's tail) on failure. */
struct nginx_server *nginx_start(const struct nginx_opts *opts);
int nginx_port(const struct nginx_server *n);
const char *nginx_workdir(const struct nginx_server *n);
/* Requests logged so far whose request line contains `needle` ("GET /x "), from the access log. */
int nginx_requests(const struct nginx_server *n, const char *needle);
/* Distinct client connections that carried a logged request so far. */
int nginx_connections(const struct nginx_server *n);
void nginx_stop(struct nginx_server *n);

#endif
