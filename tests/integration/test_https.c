/* tests/integration/test_https.c — the bounded HTTPS fetch (net/https.h) against real servers on loopback: nginx
 * with certificates from a test CA made at start, and hostile servers (slowtls.h) that trickle, flood, stall or
 * speak plain text. Every outcome the MTA-STS policy fetch relies on (RFC 8461 3.3): the body and content type, no
 * redirect followed, certificate failures, dead addresses, size and time caps, the parallel limit, cancellation.
 *
 * Address 127.0.25.1 (and ::1) belong to this test, with ports from 25000-25899 picked free at start, so two runs
 * at once (two build trees) do not collide. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/err.h"
#include "net/https.h"
#include "nginx.h"
#include "slowtls.h"
#include "testca.h"

#define ADDR "127.0.25.1"
#define DEAD_ADDR "127.0.25.2" /* nothing listens here */
#define SLOW_LO 25400          /* the hostile servers */
#define SLOW_HI 25799
#define IDLE_LO 25800 /* a port nobody listens on */
#define IDLE_HI 25899

static const char policy[] = "version: STSv1\r\nmode: enforce\r\nmx: mail.good.test\r\nmax_age: 86400\r\n";

static char tmpdir[400];
static struct testca *ca;
static struct testca_leaf good_leaf; /* for the slowtls servers */
static struct nginx_server *nginx;
static bool have_ipv6;
static uint16_t nginx_port_g, idle_port;

/* ---- helpers ---- */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

struct got {
	int calls;
	enum ma_https_status status;
	int http_status;
	char content_type[128];
	bool have_ct;
	char *body;
	size_t len;
	char why[512];
	double at_ms;            /* when the callback ran */
	struct event_base *stop; /* loopbreak this base after the callback, when set */
	bool *in_get;            /* set while ma_https_get runs: the callback must never see it true */
};

static void on_done(void *arg, const struct ma_https_result *res)
{
	struct got *g = arg;
	if (g->in_get)
		assert_false(*g->in_get);
	g->calls++;
	g->at_ms = now_ms();
	g->status = res->status;
	g->http_status = res->http_status;
	g->have_ct = res->content_type != NULL;
	snprintf(g->content_type, sizeof g->content_type, "%s", res->content_type ? res->content_type : "");
	snprintf(g->why, sizeof g->why, "%s", res->why ? res->why : "");
	free(g->body);
	g->body = NULL;
	g->len = res->len;
	if (res->len) {
		g->body = malloc(res->len);
		assert_non_null(g->body);
		memcpy(g->body, res->body, res->len);
	}
	if (g->stop)
		event_base_loopbreak(g->stop);
}

struct fetch_opts {
	const char *ca_file; /* default: the test CA */
	bool system_store;   /* ca_file NULL */
	uint16_t port;       /* default: nginx's */
	unsigned timeout_ms;
	size_t body_max;
};

/* One fetch on a fresh loop, run to its callback; the result lands in *g. Returns the elapsed milliseconds. */
static double fetch_one(const struct fetch_opts *fo, const char *host, const char *path, const char *const *addrs,
                        size_t naddrs, struct got *g)
{
	struct event_base *base = event_base_new();
	assert_non_null(base);
	struct ma_https_opts o = {
	    .base = base,
	    .ca_file = fo->system_store ? NULL : (fo->ca_file ? fo->ca_file : testca_ca_file(ca)),
	    .port = fo->port ? fo->port : nginx_port_g,
	    .timeout_ms = fo->timeout_ms,
	    .body_max = fo->body_max,
	};
	struct ma_https *h = NULL;
	char *why = NULL;
	assert_int_equal(ma_https_new(&o, &h, &why), MA_OK);
	memset(g, 0, sizeof *g);
	bool in_get = true;
	g->in_get = &in_get;
	double t0 = now_ms();
	assert_int_equal(ma_https_get(h, host, path, addrs, naddrs, on_done, g), MA_OK);
	in_get = false;
	assert_int_equal(g->calls, 0); /* never from inside ma_https_get */
	assert_int_not_equal(event_base_dispatch(base), -1);
	double elapsed = now_ms() - t0;
	assert_int_equal(g->calls, 1);
	assert_int_equal(ma_https_fetches(h), 1);
	ma_https_free(h);
	assert_int_equal(g->calls, 1); /* nothing was pending: no second call */
	g->in_get = NULL;
	event_base_free(base);
	return elapsed;
}

static void got_free(struct got *g)
{
	free(g->body);
	g->body = NULL;
}

static const char *const addr1[] = {ADDR};

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* ---- setup ---- */

static void make_leaf(const char *base, const char *name, long nb, long na, bool self, enum testca_key key,
                      struct testca_leaf *out)
{
	const char *names[] = {name};
	struct testca_leaf_opts lo = {.names = names,
	                              .nnames = 1,
	                              .basename = base,
	                              .not_before = nb,
	                              .not_after = na,
	                              .self_signed = self,
	                              .key = key};
	if (testca_leaf(ca, &lo, out) != 0) {
		fprintf(stderr, "cannot make the %s certificate\n", base);
		exit(1);
	}
}

static int setup(void **state)
{
	(void)state;
	if (!nginx_available()) {
		fprintf(stderr, "nginx not installed: skipped\n");
		exit(77);
	}
	const char *base = getenv("MA_TEST_TMP");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(tmpdir, sizeof tmpdir, "%s/https-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	char dir[600];
	snprintf(dir, sizeof dir, "%s/ca", tmpdir);
	ca = testca_new(dir, TESTCA_EC);
	if (ca == NULL)
		return -1;

	struct testca_leaf wrong, expired, self, rsa, notyet, ipv6, wildcard;
	make_leaf("good", "mta-sts.good.test", 0, 0, false, TESTCA_EC, &good_leaf);
	make_leaf("wrong", "mta-sts.other.test", 0, 0, false, TESTCA_EC, &wrong);
	make_leaf("expired", "mta-sts.expired.test", -10L * 86400, -86400, false, TESTCA_EC, &expired);
	make_leaf("notyet", "mta-sts.notyet.test", 86400, 10L * 86400, false, TESTCA_EC, &notyet);
	make_leaf("self", "mta-sts.self.test", 0, 0, true, TESTCA_EC, &self);
	make_leaf("rsa", "mta-sts.rsa.test", 0, 0, false, TESTCA_RSA, &rsa);
	make_leaf("ipv6", "mta-sts.v6.test", 0, 0, false, TESTCA_EC, &ipv6);
	make_leaf("wildcard", "*.many.test", 0, 0, false, TESTCA_EC, &wildcard);

	/* The web root: the policy, a 10 MB file, and a target the redirect points at. */
	char www[600], path[700];
	snprintf(www, sizeof www, "%s/www", tmpdir);
	mkdir(www, 0700);
	snprintf(path, sizeof path, "%s/.well-known", www);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/.well-known/mta-sts.txt", www);
	write_file(path, policy, sizeof policy - 1);
	snprintf(path, sizeof path, "%s/moved.txt", www);
	write_file(path, "moved\n", 6);
	size_t big = 10u << 20;
	char *bigbuf = malloc(big);
	if (bigbuf == NULL)
		return -1;
	memset(bigbuf, 'b', big);
	snprintf(path, sizeof path, "%s/big.bin", www);
	write_file(path, bigbuf, big);
	free(bigbuf);

	static const char redirect[] = "location = /.well-known/redirect { return 301 /moved.txt; }";
	struct nginx_vhost vh[] = {
	    {.name = "mta-sts.good.test", .cert = good_leaf.chain, .key = good_leaf.key, .root = www, .conf = redirect},
	    {.name = "mta-sts.wrong.test", .cert = wrong.chain, .key = wrong.key, .root = www},
	    {.name = "mta-sts.expired.test", .cert = expired.chain, .key = expired.key, .root = www},
	    {.name = "mta-sts.notyet.test", .cert = notyet.chain, .key = notyet.key, .root = www},
	    {.name = "mta-sts.self.test", .cert = self.chain, .key = self.key, .root = www},
	    {.name = "mta-sts.rsa.test", .cert = rsa.chain, .key = rsa.key, .root = www},
	    {.name = "mta-sts.v6.test", .cert = ipv6.chain, .key = ipv6.key, .root = www},
	    {.name = "*.many.test", .cert = wildcard.chain, .key = wildcard.key, .root = www},
	};
	have_ipv6 = access("/proc/net/if_inet6", R_OK) == 0;
	char ngdir[600];
	snprintf(ngdir, sizeof ngdir, "%s/nginx", tmpdir);
	struct nginx_opts no = {.addr = ADDR,
	                        .addr6 = have_ipv6 ? "::1" : NULL,
	                        .port_lo = 25000,
	                        .port_hi = 25399,
	                        .workdir = ngdir,
	                        .vhosts = vh,
	                        .nvhosts = sizeof vh / sizeof vh[0]};
	nginx = nginx_start(&no);
	if (nginx == NULL)
		return -1;
	nginx_port_g = (uint16_t)nginx_port(nginx);
	/* A port in this test's range with no listener: bound for a moment to be sure, then closed. */
	for (int p = IDLE_LO + (int)(getpid() % 100); idle_port == 0 && p <= IDLE_HI + 100; p++) {
		int port = IDLE_LO + (p - IDLE_LO) % (IDLE_HI - IDLE_LO + 1);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		inet_pton(AF_INET, ADDR, &sa.sin_addr);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			idle_port = (uint16_t)port;
		if (fd >= 0)
			close(fd);
	}
	return idle_port ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	nginx_stop(nginx);
	testca_free(ca);
	const char *keep = getenv("MA_KEEP_TMP");
	if (tmpdir[0] && (keep == NULL || *keep == '\0')) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return 0;
}

/* nginx logs a request after sending its response, so a client can see the answer before the log line exists:
 * wait (up to 3 s) for the count to reach want, then a little longer for any request beyond it. */
static int requests_settled(const char *needle, int want)
{
	for (int i = 0; i < 300 && nginx_requests(nginx, needle) < want; i++)
		usleep(10 * 1000);
	usleep(50 * 1000);
	return nginx_requests(nginx, needle);
}

/* ---- responses ---- */

static void test_ok_body_and_type(void **state)
{
	(void)state;
	struct got g;
	fetch_one(&(struct fetch_opts){0}, "mta-sts.good.test", "/.well-known/mta-sts.txt", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
	assert_true(g.have_ct);
	assert_string_equal(g.content_type, "text/plain");
	assert_int_equal(g.len, sizeof policy - 1);
	assert_memory_equal(g.body, policy, sizeof policy - 1);
	got_free(&g);
}

static void test_rsa_leaf(void **state)
{
	(void)state;
	struct got g;
	fetch_one(&(struct fetch_opts){0}, "mta-sts.rsa.test", "/.well-known/mta-sts.txt", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
	got_free(&g);
}

static void test_not_found(void **state)
{
	(void)state;
	struct got g;
	fetch_one(&(struct fetch_opts){0}, "mta-sts.good.test", "/.well-known/nothing.txt", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 404);
	got_free(&g);
}

static void test_redirect_not_followed(void **state)
{
	(void)state;
	struct got g;
	int before = nginx_requests(nginx, "GET /moved.txt ");
	fetch_one(&(struct fetch_opts){0}, "mta-sts.good.test", "/.well-known/redirect", addr1, 1, &g);
	/* RFC 8461 3.3: "HTTP 3xx redirects MUST NOT be followed" — the 301 itself is the answer. */
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 301);
	assert_int_equal(requests_settled("GET /.well-known/redirect ", 1), 1);
	assert_int_equal(nginx_requests(nginx, "GET /moved.txt "), before);
	got_free(&g);
}

/* ---- certificates ---- */

static void test_tls_failures(void **state)
{
	(void)state;
	static const struct {
		const char *host;
		bool system_store;
		const char *why; /* a fragment of curl's reason */
	} cases[] = {
	    {"mta-sts.wrong.test", false, "mta-sts.wrong.test"}, /* SAN is mta-sts.other.test */
	    {"mta-sts.expired.test", false, "expired"},
	    {"mta-sts.notyet.test", false, "not yet valid"},
	    {"mta-sts.self.test", false, "self-signed"},
	    {"mta-sts.good.test", true, "certificate"}, /* our CA is in no system store */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct got g;
		fetch_one(&(struct fetch_opts){.system_store = cases[i].system_store}, cases[i].host,
		          "/.well-known/mta-sts.txt", addr1, 1, &g);
		if (g.status != MA_HTTPS_TLS || strstr(g.why, cases[i].why) == NULL)
			fail_msg("%s: got status %d why '%s', want MA_HTTPS_TLS with '%s'", cases[i].host,
			         (int)g.status, g.why, cases[i].why);
		assert_int_equal(g.len, 0);
		got_free(&g);
	}
}

/* ---- addresses ---- */

static void test_no_listener(void **state)
{
	(void)state;
	struct got g;
	double ms = fetch_one(&(struct fetch_opts){.port = idle_port}, "mta-sts.good.test", "/", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_CONNECT);
	assert_true(g.why[0] != '\0');
	assert_true(ms < 2000); /* refused is immediate, not a deadline */
	got_free(&g);
}

static void test_first_dead_second_alive(void **state)
{
	(void)state;
	static const char *const addrs[] = {DEAD_ADDR, ADDR};
	struct got g;
	fetch_one(&(struct fetch_opts){0}, "mta-sts.good.test", "/.well-known/mta-sts.txt", addrs, 2, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
	got_free(&g);
	/* All dead: CONNECT. */
	static const char *const dead[] = {DEAD_ADDR, "127.0.25.3"};
	fetch_one(&(struct fetch_opts){0}, "mta-sts.good.test", "/.well-known/mta-sts.txt", dead, 2, &g);
	assert_int_equal(g.status, MA_HTTPS_CONNECT);
	got_free(&g);
}

/* curl reuses cached connections by host and port alone: a fetch pinned elsewhere must not ride on one. */
static void step(struct ma_https *h, struct event_base *base, const char *const *addrs, struct got *g)
{
	memset(g, 0, sizeof *g);
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", "/.well-known/mta-sts.txt", addrs, 1, on_done, g), MA_OK);
	assert_int_not_equal(event_base_dispatch(base), -1);
	assert_int_equal(g->calls, 1);
}

static void test_pin_survives_connection_reuse(void **state)
{
	(void)state;
	static const char *const dead[] = {DEAD_ADDR};
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	assert_int_equal(
	    ma_https_new(&(struct ma_https_opts){.base = base, .ca_file = testca_ca_file(ca), .port = nginx_port_g}, &h,
	                 NULL),
	    MA_OK);
	struct got g;
	int conns = nginx_connections(nginx);
	int reqs = nginx_requests(nginx, "GET /.well-known/mta-sts.txt ");
	step(h, base, addr1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	got_free(&g);
	step(h, base, dead, &g); /* a live connection to ADDR is cached, but this fetch may only use DEAD_ADDR */
	assert_int_equal(g.status, MA_HTTPS_CONNECT);
	got_free(&g);
	step(h, base, addr1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	got_free(&g);
	step(h, base, addr1, &g); /* same pins again: the connection is reused */
	assert_int_equal(g.status, MA_HTTPS_OK);
	got_free(&g);
	assert_int_equal(requests_settled("GET /.well-known/mta-sts.txt ", reqs + 3), reqs + 3);
	assert_int_equal(nginx_connections(nginx) - conns, 2);
	ma_https_free(h);
	event_base_free(base);
}

static void test_ipv6(void **state)
{
	(void)state;
	if (!have_ipv6)
		skip();
	static const char *const v6[] = {"::1"};
	static const char *const mixed[] = {DEAD_ADDR, "::1"};
	struct got g;
	fetch_one(&(struct fetch_opts){0}, "mta-sts.v6.test", "/.well-known/mta-sts.txt", v6, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
	got_free(&g);
	fetch_one(&(struct fetch_opts){0}, "mta-sts.v6.test", "/.well-known/mta-sts.txt", mixed, 2, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
	got_free(&g);
}

/* ---- bad arguments ---- */

static void test_invalid_arguments(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	assert_int_equal(ma_https_new(&(struct ma_https_opts){.base = base}, &h, NULL), MA_OK);
	static const char *const bad_addr[] = {"mta-sts.good.test"};
	static const char *const null_addr[] = {NULL};
	static const struct {
		const char *host, *path;
		const char *const *addrs;
		size_t naddrs;
	} cases[] = {
	    {"", "/x", addr1, 1},
	    {"mta-sts.good.test", "x", addr1, 1},
	    {"mta-sts.good.test", "", addr1, 1},
	    {"mta-sts.good.test", "/x", addr1, 0},
	    {"mta-sts.good.test", "/x", bad_addr, 1},
	    {"mta-sts.good.test", "/x", null_addr, 1},
	    {"evil.test@mta-sts.good.test", "/x", addr1, 1},
	    {"mta-sts.good.test:444", "/x", addr1, 1},
	    {"mta-sts.good.test", "/x y", addr1, 1},
	    {"mta-sts.good.test", "/x\r\nHost: other", addr1, 1},
	};
	struct got g = {0};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(
		    ma_https_get(h, cases[i].host, cases[i].path, cases[i].addrs, cases[i].naddrs, on_done, &g),
		    MA_ERR_INVAL);
	assert_int_equal(ma_https_get(h, "a.test", "/", addr1, 1, NULL, &g), MA_ERR_INVAL);
	assert_int_equal(ma_https_fetches(h), 0);
	event_base_dispatch(base);
	assert_int_equal(g.calls, 0); /* a refused start never calls back */
	ma_https_free(h);
	assert_int_equal(g.calls, 0);
	assert_int_equal(ma_https_new(&(struct ma_https_opts){0}, &h, NULL), MA_ERR_INVAL);
	event_base_free(base);
}

/* ---- size and time caps ---- */

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void test_big_body_announced(void **state)
{
	(void)state;
	/* nginx announces 10 MiB in Content-Length: refused before the body is read. */
	struct got g;
	long before = maxrss_kb();
	double ms = fetch_one(&(struct fetch_opts){0}, "mta-sts.good.test", "/big.bin", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_TOOBIG);
	assert_true(g.why[0] != '\0');
	assert_int_equal(g.len, 0);
	assert_true(ms < 2000);
	assert_true(maxrss_kb() - before < 8 * 1024); /* the 10 MiB never sat in memory */
	got_free(&g);
}

static void test_big_body_streamed(void **state)
{
	(void)state;
	/* A chunked body with no length: the write callback's cap stops it at body_max. */
	struct slowtls *s = slowtls_start(&(struct slowtls_opts){.addr = ADDR,
	                                                         .port_lo = SLOW_LO,
	                                                         .port_hi = SLOW_HI,
	                                                         .cert = good_leaf.chain,
	                                                         .key = good_leaf.key,
	                                                         .mode = SLOWTLS_FLOOD,
	                                                         .total_bytes = 10u << 20});
	assert_non_null(s);
	struct got g;
	long before = maxrss_kb();
	double ms =
	    fetch_one(&(struct fetch_opts){.port = (uint16_t)slowtls_port(s)}, "mta-sts.good.test", "/", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_TOOBIG);
	assert_true(ms < 2000);
	assert_true(maxrss_kb() - before < 8 * 1024);
	got_free(&g);
	/* A cap of 100 KiB over the same server: still stopped, at the smaller cap. */
	ms = fetch_one(&(struct fetch_opts){.port = (uint16_t)slowtls_port(s), .body_max = 100 * 1024},
	               "mta-sts.good.test", "/", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_TOOBIG);
	got_free(&g);
	slowtls_stop(s);
}

static void test_body_at_cap_passes(void **state)
{
	(void)state;
	/* A body exactly at the cap is a body, not an overflow. */
	struct got g;
	fetch_one(&(struct fetch_opts){.body_max = sizeof policy - 1}, "mta-sts.good.test", "/.well-known/mta-sts.txt",
	          addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.len, sizeof policy - 1);
	got_free(&g);
	fetch_one(&(struct fetch_opts){.body_max = sizeof policy - 2}, "mta-sts.good.test", "/.well-known/mta-sts.txt",
	          addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_TOOBIG);
	got_free(&g);
}

static void test_trickle_times_out(void **state)
{
	(void)state;
	struct slowtls *s = slowtls_start(&(struct slowtls_opts){.addr = ADDR,
	                                                         .port_lo = SLOW_LO,
	                                                         .port_hi = SLOW_HI,
	                                                         .cert = good_leaf.chain,
	                                                         .key = good_leaf.key,
	                                                         .mode = SLOWTLS_TRICKLE,
	                                                         .interval_ms = 1000});
	assert_non_null(s);
	struct got g;
	double ms = fetch_one(&(struct fetch_opts){.port = (uint16_t)slowtls_port(s), .timeout_ms = 3000},
	                      "mta-sts.good.test", "/", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_TIMEOUT);
	assert_true(g.why[0] != '\0');
	assert_true(ms >= 1500);       /* it did get going */
	assert_true(ms < 3000 + 1000); /* and ended by its deadline (with room for a loaded machine) */
	got_free(&g);
	slowtls_stop(s);
}

static void test_stalled_handshake_times_out(void **state)
{
	(void)state;
	struct slowtls *s = slowtls_start(
	    &(struct slowtls_opts){.addr = ADDR, .port_lo = SLOW_LO, .port_hi = SLOW_HI, .mode = SLOWTLS_STALL});
	assert_non_null(s);
	struct got g;
	double ms = fetch_one(&(struct fetch_opts){.port = (uint16_t)slowtls_port(s), .timeout_ms = 1500},
	                      "mta-sts.good.test", "/", addr1, 1, &g);
	assert_int_equal(g.status, MA_HTTPS_TIMEOUT);
	assert_true(ms >= 1400 && ms < 1500 + 1000);
	got_free(&g);
	slowtls_stop(s);
}

static void test_plain_text_server(void **state)
{
	(void)state;
	struct slowtls *s = slowtls_start(
	    &(struct slowtls_opts){.addr = ADDR, .port_lo = SLOW_LO, .port_hi = SLOW_HI, .mode = SLOWTLS_GARBAGE});
	assert_non_null(s);
	struct got g;
	double ms =
	    fetch_one(&(struct fetch_opts){.port = (uint16_t)slowtls_port(s)}, "mta-sts.good.test", "/", addr1, 1, &g);
	if (g.status != MA_HTTPS_TLS && g.status != MA_HTTPS_PROTOCOL)
		fail_msg("got status %d (%s), want MA_HTTPS_TLS or MA_HTTPS_PROTOCOL", (int)g.status, g.why);
	assert_true(g.why[0] != '\0');
	assert_true(ms < 2000);
	got_free(&g);
	slowtls_stop(s);
}

/* ---- many fetches, the parallel limit, cancellation ---- */

static void on_many(void *arg, const struct ma_https_result *res)
{
	struct got *g = arg;
	on_done(g, res);
}

static void test_parallel_200(void **state)
{
	(void)state;
	enum { N = 200 };
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	assert_int_equal(ma_https_new(
	                     &(struct ma_https_opts){
	                         .base = base, .ca_file = testca_ca_file(ca), .port = nginx_port_g, .max_parallel = 16},
	                     &h, NULL),
	                 MA_OK);
	struct got *g = calloc(N, sizeof *g);
	assert_non_null(g);
	int before = nginx_requests(nginx, "GET /.well-known/mta-sts.txt ");
	int none_before = nginx_requests(nginx, "GET /.well-known/none.txt ");
	int conns_before = nginx_connections(nginx);
	double t0 = now_ms();
	for (size_t i = 0; i < N; i++) {
		const char *path = i % 10 ? "/.well-known/mta-sts.txt" : "/.well-known/none.txt";
		assert_int_equal(ma_https_get(h, "mta-sts.good.test", path, addr1, 1, on_many, &g[i]), MA_OK);
	}
	assert_int_not_equal(event_base_dispatch(base), -1);
	double ms = now_ms() - t0;
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, MA_HTTPS_OK);
		assert_int_equal(g[i].http_status, i % 10 ? 200 : 404);
		if (i % 10)
			assert_memory_equal(g[i].body, policy, sizeof policy - 1);
		got_free(&g[i]);
	}
	assert_int_equal(requests_settled("GET /.well-known/mta-sts.txt ", before + N - N / 10), before + N - N / 10);
	assert_int_equal(requests_settled("GET /.well-known/none.txt ", none_before + N / 10), none_before + N / 10);
	assert_int_equal(ma_https_fetches(h), N);
	/* Connections are reused (HTTP/2 multiplexing or keep-alive): never more than one per slot. */
	int conns = nginx_connections(nginx) - conns_before;
	assert_true(conns >= 1 && conns <= 16);
	fprintf(stderr, "# %d fetches, 16 at a time: %.0f ms over %d connection(s)\n", N, ms, conns);
	ma_https_free(h);
	free(g);
	event_base_free(base);
}

static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static void test_many_hosts(void **state)
{
	(void)state;
	/* Distinct policy hosts, as in a scan of many domains: one TLS connection each, 64 at a time. */
	enum { N = 300 };
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	assert_int_equal(ma_https_new(
	                     &(struct ma_https_opts){
	                         .base = base, .ca_file = testca_ca_file(ca), .port = nginx_port_g, .max_parallel = 64},
	                     &h, NULL),
	                 MA_OK);
	struct got *g = calloc(N, sizeof *g);
	assert_non_null(g);
	int conns_before = nginx_connections(nginx);
	int reqs_before = nginx_requests(nginx, "GET /.well-known/mta-sts.txt ");
	long rss_before = maxrss_kb();
	double cpu0 = cpu_ms();
	double t0 = now_ms();
	for (size_t i = 0; i < N; i++) {
		char host[64];
		snprintf(host, sizeof host, "d%zu.many.test", i);
		assert_int_equal(ma_https_get(h, host, "/.well-known/mta-sts.txt", addr1, 1, on_many, &g[i]), MA_OK);
	}
	assert_int_not_equal(event_base_dispatch(base), -1);
	double ms = now_ms() - t0, cpu = cpu_ms() - cpu0;
	for (size_t i = 0; i < N; i++) {
		if (g[i].calls != 1 || g[i].status != MA_HTTPS_OK || g[i].http_status != 200)
			fail_msg("fetch %zu: calls %d status %d http %d why '%s'", i, g[i].calls, (int)g[i].status,
			         g[i].http_status, g[i].why);
		got_free(&g[i]);
	}
	assert_int_equal(requests_settled("GET /.well-known/mta-sts.txt ", reqs_before + N), reqs_before + N);
	int conns = nginx_connections(nginx) - conns_before;
	assert_int_equal(conns, N); /* no connection carried two hosts */
	fprintf(stderr,
	        "# %d hosts, 64 at a time: %.0f ms (%.0f fetches/s), client CPU %.2f ms a fetch, peak RSS +%ld KiB\n",
	        N, ms, N / (ms / 1000.0), cpu / N, maxrss_kb() - rss_before);
	ma_https_free(h);
	free(g);
	event_base_free(base);
}

static void test_parallel_limit_and_deadline_per_fetch(void **state)
{
	(void)state;
	/* Four fetches through two slots against a server that never finishes: the second pair starts only when the
	 * first pair's deadline frees the slots, and its own deadline counts from then. */
	struct slowtls *s = slowtls_start(&(struct slowtls_opts){.addr = ADDR,
	                                                         .port_lo = SLOW_LO,
	                                                         .port_hi = SLOW_HI,
	                                                         .cert = good_leaf.chain,
	                                                         .key = good_leaf.key,
	                                                         .mode = SLOWTLS_TRICKLE,
	                                                         .interval_ms = 1000});
	assert_non_null(s);
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	assert_int_equal(ma_https_new(&(struct ma_https_opts){.base = base,
	                                                      .ca_file = testca_ca_file(ca),
	                                                      .port = (uint16_t)slowtls_port(s),
	                                                      .timeout_ms = 1200,
	                                                      .max_parallel = 2},
	                              &h, NULL),
	                 MA_OK);
	struct got g[4] = {0};
	double t0 = now_ms();
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ma_https_get(h, "mta-sts.good.test", "/", addr1, 1, on_many, &g[i]), MA_OK);
	assert_int_not_equal(event_base_dispatch(base), -1);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, MA_HTTPS_TIMEOUT);
		got_free(&g[i]);
	}
	/* Each queued fetch took the slot of a finished one and then had its own 1.2 s: the earliest of the second
	 * pair ends at least a deadline after the earliest of the first. */
	double first = (g[0].at_ms < g[1].at_ms ? g[0].at_ms : g[1].at_ms) - t0;
	double second = (g[2].at_ms < g[3].at_ms ? g[2].at_ms : g[3].at_ms) - t0;
	assert_true(first >= 1100 && first < 3000);
	assert_true(second >= first + 1100);
	ma_https_free(h);
	event_base_free(base);
	slowtls_stop(s);
}

static void on_stop_soon(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void test_free_cancels_pending(void **state)
{
	(void)state;
	struct slowtls *s = slowtls_start(&(struct slowtls_opts){.addr = ADDR,
	                                                         .port_lo = SLOW_LO,
	                                                         .port_hi = SLOW_HI,
	                                                         .cert = good_leaf.chain,
	                                                         .key = good_leaf.key,
	                                                         .mode = SLOWTLS_TRICKLE});
	assert_non_null(s);
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	assert_int_equal(ma_https_new(&(struct ma_https_opts){.base = base,
	                                                      .ca_file = testca_ca_file(ca),
	                                                      .port = (uint16_t)slowtls_port(s),
	                                                      .max_parallel = 2},
	                              &h, NULL),
	                 MA_OK);
	struct got g[5] = {0}; /* two running, three queued */
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ma_https_get(h, "mta-sts.good.test", "/", addr1, 1, on_many, &g[i]), MA_OK);
	struct event *stop = evtimer_new(base, on_stop_soon, base);
	struct timeval soon = {.tv_sec = 0, .tv_usec = 300 * 1000};
	evtimer_add(stop, &soon);
	event_base_dispatch(base);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(g[i].calls, 0);
	ma_https_free(h);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, MA_HTTPS_TIMEOUT);
		assert_string_equal(g[i].why, "cancelled");
	}
	event_free(stop);
	event_base_free(base);
	slowtls_stop(s);
}

/* A callback that frees the fetcher: the others are cancelled once each, after it returns. */
struct freer {
	struct ma_https **h;
	struct got g;
};

static void on_free_from_callback(void *arg, const struct ma_https_result *res)
{
	struct freer *f = arg;
	on_done(&f->g, res);
	ma_https_free(*f->h);
	*f->h = NULL;
}

static void test_free_from_callback(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_https *h = NULL;
	/* One slot: the first fetch runs, the other two wait; its callback frees the fetcher. */
	assert_int_equal(ma_https_new(
	                     &(struct ma_https_opts){
	                         .base = base, .ca_file = testca_ca_file(ca), .port = nginx_port_g, .max_parallel = 1},
	                     &h, NULL),
	                 MA_OK);
	struct freer fr = {.h = &h};
	struct got rest[2] = {0};
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", "/none", addr1, 1, on_free_from_callback, &fr), MA_OK);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(
		    ma_https_get(h, "mta-sts.good.test", "/.well-known/mta-sts.txt", addr1, 1, on_many, &rest[i]),
		    MA_OK);
	assert_int_not_equal(event_base_dispatch(base), -1);
	assert_null(h);
	assert_int_equal(fr.g.calls, 1);
	assert_int_equal(fr.g.http_status, 404);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(rest[i].calls, 1);
		assert_int_equal(rest[i].status, MA_HTTPS_TIMEOUT);
		assert_string_equal(rest[i].why, "cancelled");
	}
	got_free(&fr.g);
	event_base_free(base);
}

/* A callback that starts the next fetch (the scan does this: policy host, then the next domain). */
struct chain {
	struct ma_https *h;
	int left;
	int ok;
};

static void on_chain(void *arg, const struct ma_https_result *res)
{
	struct chain *c = arg;
	if (res->status == MA_HTTPS_OK && res->http_status == 200)
		c->ok++;
	if (--c->left > 0)
		assert_int_equal(
		    ma_https_get(c->h, "mta-sts.good.test", "/.well-known/mta-sts.txt", addr1, 1, on_chain, c), MA_OK);
}

static void test_fetch_from_callback(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct chain c = {.left = 5};
	assert_int_equal(
	    ma_https_new(&(struct ma_https_opts){.base = base, .ca_file = testca_ca_file(ca), .port = nginx_port_g},
	                 &c.h, NULL),
	    MA_OK);
	assert_int_equal(ma_https_get(c.h, "mta-sts.good.test", "/.well-known/mta-sts.txt", addr1, 1, on_chain, &c),
	                 MA_OK);
	assert_int_not_equal(event_base_dispatch(base), -1);
	assert_int_equal(c.ok, 5);
	assert_int_equal(ma_https_fetches(c.h), 5);
	ma_https_free(c.h);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok_body_and_type),
	    cmocka_unit_test(test_rsa_leaf),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_redirect_not_followed),
	    cmocka_unit_test(test_tls_failures),
	    cmocka_unit_test(test_no_listener),
	    cmocka_unit_test(test_first_dead_second_alive),
	    cmocka_unit_test(test_pin_survives_connection_reuse),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_invalid_arguments),
	    cmocka_unit_test(test_big_body_announced),
	    cmocka_unit_test(test_big_body_streamed),
	    cmocka_unit_test(test_body_at_cap_passes),
	    cmocka_unit_test(test_trickle_times_out),
	    cmocka_unit_test(test_stalled_handshake_times_out),
	    cmocka_unit_test(test_plain_text_server),
	    cmocka_unit_test(test_parallel_200),
	    cmocka_unit_test(test_many_hosts),
	    cmocka_unit_test(test_parallel_limit_and_deadline_per_fetch),
	    cmocka_unit_test(test_free_cancels_pending),
	    cmocka_unit_test(test_free_from_callback),
	    cmocka_unit_test(test_fetch_from_callback),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
