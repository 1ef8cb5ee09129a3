/* tests/integration/test_https_testca_sh.c — scripts/testca.sh, the shell test CA, checked the way shell tests use
 * it: certificates it makes are served by nginx and fetched with net/https.h, and each one validates (or fails) as
 * its options say. Address 127.0.25.10, ports 25900-25999 belong to this test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/err.h"
#include "net/https.h"
#include "nginx.h"

#define ADDR "127.0.25.10"
#define PORT_LO 25900 /* nginx, from a free port of 25900-25999 */
#define PORT_HI 25999

static char tmpdir[400], cadir[500];
static struct nginx_server *nginx;

static int run_script(const char *args)
{
	const char *src = getenv("MA_SOURCE_DIR");
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "bash '%s/scripts/testca.sh' %s", src ? src : ".", args);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	(void)state;
	if (!nginx_available() || access("/usr/bin/openssl", X_OK) != 0) {
		fprintf(stderr, "nginx or openssl not installed: skipped\n");
		exit(77);
	}
	const char *base = getenv("MA_TEST_TMP");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(tmpdir, sizeof tmpdir, "%s/https-testca-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cadir, sizeof cadir, "%s/ca", tmpdir);
	static const char *const leaves[] = {
	    "good mta-sts.good.test",
	    "rsa --rsa mta-sts.rsa.test",
	    "old --expired mta-sts.old.test",
	    "future --not-yet-valid mta-sts.future.test",
	    "self --self-signed mta-sts.self.test",
	    "two mta-sts.first.test mta-sts.second.test 127.0.25.10",
	};
	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
		char args[1024];
		snprintf(args, sizeof args, "leaf '%s' %s", cadir, leaves[i]);
		if (run_script(args) != 0) {
			fprintf(stderr, "testca.sh %s failed\n", args);
			return -1;
		}
	}
	char www[600], path[700];
	snprintf(www, sizeof www, "%s/www", tmpdir);
	mkdir(www, 0700);
	snprintf(path, sizeof path, "%s/policy.txt", www);
	FILE *fp = fopen(path, "w");
	if (fp == NULL)
		return -1;
	fputs("version: STSv1\r\n", fp);
	fclose(fp);

	static const char *const names[][2] = {
	    {"mta-sts.good.test", "good"},     {"mta-sts.rsa.test", "rsa"},   {"mta-sts.old.test", "old"},
	    {"mta-sts.future.test", "future"}, {"mta-sts.self.test", "self"}, {"mta-sts.first.test", "two"},
	    {"mta-sts.second.test", "two"},
	};
	enum { NV = sizeof names / sizeof names[0] };
	static char certs[NV][700], keys[NV][700];
	struct nginx_vhost vh[NV];
	for (size_t i = 0; i < NV; i++) {
		snprintf(certs[i], sizeof certs[i], "%s/%s.chain.crt", cadir, names[i][1]);
		snprintf(keys[i], sizeof keys[i], "%s/%s.key", cadir, names[i][1]);
		vh[i] = (struct nginx_vhost){.name = names[i][0], .cert = certs[i], .key = keys[i], .root = www};
	}
	char ngdir[600];
	snprintf(ngdir, sizeof ngdir, "%s/nginx", tmpdir);
	nginx = nginx_start(&(struct nginx_opts){
	    .addr = ADDR, .port_lo = PORT_LO, .port_hi = PORT_HI, .workdir = ngdir, .vhosts = vh, .nvhosts = NV});
	return nginx ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	nginx_stop(nginx);
	const char *keep = getenv("MA_KEEP_TMP");
	if (tmpdir[0] && (keep == NULL || *keep == '\0')) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return 0;
}

struct got {
	int calls;
	enum ma_https_status status;
	int http_status;
	char why[512];
};

static void on_done(void *arg, const struct ma_https_result *res)
{
	struct got *g = arg;
	g->calls++;
	g->status = res->status;
	g->http_status = res->http_status;
	snprintf(g->why, sizeof g->why, "%s", res->why ? res->why : "");
}

static void fetch(const char *host, struct got *g)
{
	struct event_base *base = event_base_new();
	char ca[600];
	snprintf(ca, sizeof ca, "%s/ca.crt", cadir);
	struct ma_https *h = NULL;
	assert_int_equal(
	    ma_https_new(&(struct ma_https_opts){.base = base, .ca_file = ca, .port = (uint16_t)nginx_port(nginx)}, &h,
	                 NULL),
	    MA_OK);
	static const char *const addrs[] = {ADDR};
	memset(g, 0, sizeof *g);
	assert_int_equal(ma_https_get(h, host, "/policy.txt", addrs, 1, on_done, g), MA_OK);
	assert_int_not_equal(event_base_dispatch(base), -1);
	assert_int_equal(g->calls, 1);
	ma_https_free(h);
	event_base_free(base);
}

static void test_certificates_from_script(void **state)
{
	(void)state;
	static const struct {
		const char *host;
		enum ma_https_status want;
		const char *why;
	} cases[] = {
	    {"mta-sts.good.test", MA_HTTPS_OK, NULL},
	    {"mta-sts.rsa.test", MA_HTTPS_OK, NULL},
	    {"mta-sts.first.test", MA_HTTPS_OK, NULL},
	    {"mta-sts.second.test", MA_HTTPS_OK, NULL}, /* the second SAN of one certificate */
	    {"mta-sts.old.test", MA_HTTPS_TLS, "expired"},
	    {"mta-sts.future.test", MA_HTTPS_TLS, "not yet valid"},
	    {"mta-sts.self.test", MA_HTTPS_TLS, "self-signed"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct got g;
		fetch(cases[i].host, &g);
		bool ok = g.status == cases[i].want &&
		          (cases[i].want == MA_HTTPS_OK ? g.http_status == 200 : strstr(g.why, cases[i].why) != NULL);
		if (!ok)
			fail_msg("%s: got status %d http %d why '%s'", cases[i].host, (int)g.status, g.http_status,
			         g.why);
	}
}

static void test_usage_errors(void **state)
{
	(void)state;
	char args[700];
	assert_int_equal(run_script("2>/dev/null"), 2);
	snprintf(args, sizeof args, "leaf '%s' 2>/dev/null", cadir);
	assert_int_equal(run_script(args), 2);
	snprintf(args, sizeof args, "leaf '%s' x --bogus a.test 2>/dev/null", cadir);
	assert_int_equal(run_script(args), 2);
	snprintf(args, sizeof args, "leaf '%s' ../escape a.test 2>/dev/null", cadir);
	assert_int_equal(run_script(args), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_certificates_from_script),
	    cmocka_unit_test(test_usage_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
