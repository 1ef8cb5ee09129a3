/* tests/integration/test_https.c — the bounded HTTPS fetch (net/https.h) against Debian's nginx on loopback, with a
 * test CA made at test time (https_world.sh): a policy served, 404, a redirect not followed, certificates for the
 * wrong name, expired and self-signed, nothing listening, a dead first address, a 10 MiB body, a server that sends
 * one byte a second, plain HTTP on the TLS port, many fetches at once through a small parallel limit, and
 * cancellation. Each callback must run exactly once, from the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/err.h"
#include "net/https.h"

#define PORT 25443

static char dir[128];
static long nginx_pid;

static int world_up(void **state)
{
	(void)state;
	const char *src = getenv("MA_SOURCE_DIR");
	if (access("/usr/sbin/nginx", X_OK) != 0 || src == NULL) {
		fprintf(stderr, "nginx or MA_SOURCE_DIR missing: skipped\n");
		exit(77);
	}
	snprintf(dir, sizeof dir, "/tmp/ma-https-test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "bash '%s/tests/integration/https_world.sh' '%s' %d", src, dir, PORT);
	if (system(cmd) != 0)
		return -1;
	char pidfile[256];
	snprintf(pidfile, sizeof pidfile, "%s/nginx.pid", dir);
	FILE *f = fopen(pidfile, "r");
	if (f == NULL || fscanf(f, "%ld", &nginx_pid) != 1) { // NOLINT: a test reading its own pid file
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int world_down(void **state)
{
	(void)state;
	if (nginx_pid > 0)
		kill((pid_t)nginx_pid, SIGTERM);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "sleep 0.2; rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct got {
	int calls;
	bool in_start; /* set while ma_https_get runs: a callback then would break the async contract */
	enum ma_https_status status;
	int http_status;
	char ctype[64];
	size_t len;
	char body[256];
	char why[256];
	double seconds;
	struct timespec t0;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_result(void *arg, const struct ma_https_result *res)
{
	struct got *g = arg;
	assert_false(g->in_start);
	g->calls++;
	g->status = res->status;
	g->http_status = res->http_status;
	snprintf(g->ctype, sizeof g->ctype, "%s", res->content_type ? res->content_type : "");
	g->len = res->len;
	size_t n = res->len < sizeof g->body - 1 ? res->len : sizeof g->body - 1;
	if (n)
		memcpy(g->body, res->body, n);
	g->body[n] = '\0';
	snprintf(g->why, sizeof g->why, "%s", res->why ? res->why : "");
	g->seconds = since(&g->t0);
}

/* One fetch with these options; runs the loop until it is done. */
static struct got fetch(const char *host, const char *path, const char *const *addrs, size_t naddrs, bool ca,
                        unsigned timeout_ms, uint16_t port)
{
	struct event_base *base = event_base_new();
	struct ma_https *h;
	char ca_file[200];
	snprintf(ca_file, sizeof ca_file, "%s/ca.pem", dir);
	assert_int_equal(ma_https_new(&(struct ma_https_opts){.base = base,
	                                                      .ca_file = ca ? ca_file : NULL,
	                                                      .timeout_ms = timeout_ms,
	                                                      .port = port ? port : PORT},
	                              &h, NULL),
	                 MA_OK);
	struct got g = {0};
	clock_gettime(CLOCK_MONOTONIC, &g.t0);
	g.in_start = true;
	assert_int_equal(ma_https_get(h, host, path, addrs, naddrs, on_result, &g), MA_OK);
	g.in_start = false;
	event_base_dispatch(base);
	assert_int_equal(g.calls, 1);
	assert_int_equal(ma_https_fetches(h), 1);
	ma_https_free(h);
	event_base_free(base);
	return g;
}

static const char *const lo[] = {"127.0.0.1"};
#define POLICY "/.well-known/mta-sts.txt"

static void test_policy_served(void **state)
{
	(void)state;
	struct got g = fetch("mta-sts.good.test", POLICY, lo, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
	assert_string_equal(g.ctype, "text/plain");
	assert_non_null(strstr(g.body, "mode: enforce\r\n"));
}

static void test_not_found_and_redirect(void **state)
{
	(void)state;
	struct got g = fetch("mta-sts.good.test", "/nothing-here", lo, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 404);
	/* RFC 8461 3.3: a redirect is reported, never followed (elsewhere.test is not even resolvable here). */
	g = fetch("mta-sts.good.test", "/redirect", lo, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 301);
}

static void test_certificates(void **state)
{
	(void)state;
	struct got g = fetch("wrong.test", POLICY, lo, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_TLS);
	assert_true(g.why[0] != '\0');
	g = fetch("expired.test", POLICY, lo, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_TLS);
	assert_non_null(strstr(g.why, "expired"));
	g = fetch("self.test", POLICY, lo, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_TLS);
	/* Without the test CA (the system store) the good host is not trusted either. */
	g = fetch("mta-sts.good.test", POLICY, lo, 1, false, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_TLS);
}

static void test_connect(void **state)
{
	(void)state;
	/* Nothing listens on 127.0.25.9 (outside the server's address). */
	static const char *const dead[] = {"127.0.25.9"};
	struct got g = fetch("mta-sts.good.test", POLICY, dead, 1, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_CONNECT);
	/* A dead first address, a live second: the fetch reaches the second. */
	static const char *const two[] = {"127.0.25.9", "127.0.0.1"};
	g = fetch("mta-sts.good.test", POLICY, two, 2, true, 5000, 0);
	assert_int_equal(g.status, MA_HTTPS_OK);
	assert_int_equal(g.http_status, 200);
}

static void test_body_cap(void **state)
{
	(void)state;
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	struct got g = fetch("mta-sts.good.test", "/big", lo, 1, true, 5000, 0);
	getrusage(RUSAGE_SELF, &after);
	assert_int_equal(g.status, MA_HTTPS_TOOBIG);
	assert_true(g.seconds < 2.0);
	/* The 10 MiB never came into memory: peak RSS grew by far less than the body. */
	assert_true(after.ru_maxrss - before.ru_maxrss < 4 * 1024);
}

static void test_trickle_times_out(void **state)
{
	(void)state;
	struct got g = fetch("mta-sts.good.test", "/slow", lo, 1, true, 1500, 0);
	assert_int_equal(g.status, MA_HTTPS_TIMEOUT);
	assert_true(g.seconds >= 1.4 && g.seconds < 4.0);
}

static void test_plain_http_on_tls(void **state)
{
	(void)state;
	struct got g = fetch("mta-sts.good.test", POLICY, lo, 1, true, 3000, PORT + 1);
	assert_true(g.status == MA_HTTPS_TLS || g.status == MA_HTTPS_PROTOCOL);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_https *h;
	assert_int_equal(ma_https_new(&(struct ma_https_opts){.base = base}, &h, NULL), MA_OK);
	struct got g = {0};
	static const char *const junk[] = {"not-an-address"};
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", POLICY, lo, 0, on_result, &g), MA_ERR_INVAL);
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", "no-slash", lo, 1, on_result, &g), MA_ERR_INVAL);
	assert_int_equal(ma_https_get(h, "", POLICY, lo, 1, on_result, &g), MA_ERR_INVAL);
	assert_int_equal(ma_https_get(h, "a b", POLICY, lo, 1, on_result, &g), MA_ERR_INVAL);
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", POLICY, junk, 1, on_result, &g), MA_ERR_INVAL);
	event_base_dispatch(base);
	assert_int_equal(g.calls, 0); /* a refused start never calls back */
	ma_https_free(h);
	event_base_free(base);
}

#define MANY 200

static void test_many_parallel(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_https *h;
	char ca_file[200];
	snprintf(ca_file, sizeof ca_file, "%s/ca.pem", dir);
	assert_int_equal(
	    ma_https_new(&(struct ma_https_opts){.base = base, .ca_file = ca_file, .port = PORT, .max_parallel = 16},
	                 &h, NULL),
	    MA_OK);
	static struct got g[MANY];
	memset(g, 0, sizeof g);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(
		    ma_https_get(h, "mta-sts.good.test", i % 10 ? POLICY : "/missing", lo, 1, on_result, &g[i]), MA_OK);
	event_base_dispatch(base);
	for (int i = 0; i < MANY; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, MA_HTTPS_OK);
		assert_int_equal(g[i].http_status, i % 10 ? 200 : 404);
	}
	ma_https_free(h);
	event_base_free(base);
}

static void test_free_cancels(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_https *h;
	char ca_file[200];
	snprintf(ca_file, sizeof ca_file, "%s/ca.pem", dir);
	assert_int_equal(
	    ma_https_new(&(struct ma_https_opts){.base = base, .ca_file = ca_file, .port = PORT}, &h, NULL), MA_OK);
	struct got a = {0}, b = {0};
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", "/slow", lo, 1, on_result, &a), MA_OK);
	assert_int_equal(ma_https_get(h, "mta-sts.good.test", "/slow", lo, 1, on_result, &b), MA_OK);
	/* Run the loop briefly so at least one transfer is under way, then free. */
	struct timeval tv = {0, 200000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ma_https_free(h);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.status, MA_HTTPS_TIMEOUT);
	assert_string_equal(a.why, "cancelled");
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_served),     cmocka_unit_test(test_not_found_and_redirect),
	    cmocka_unit_test(test_certificates),      cmocka_unit_test(test_connect),
	    cmocka_unit_test(test_body_cap),          cmocka_unit_test(test_trickle_times_out),
	    cmocka_unit_test(test_plain_http_on_tls), cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_many_parallel),     cmocka_unit_test(test_free_cancels),
	};
	return cmocka_run_group_tests(tests, world_up, world_down);
}
