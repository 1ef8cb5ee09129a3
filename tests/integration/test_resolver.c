/* tests/integration/test_resolver.c — the libunbound resolver against a real knot server on loopback: every answer
 * status and DNSSEC verdict the evaluators rely on, through the same path the CLI uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "knot.h"
#include "lib/dns.h"
#include "lib/err.h"
#include "net/resolver.h"

static struct knot_server *knot;

static const struct knot_zone zones[] = {
	{.origin = "test.", .sign = true, .text = "a A 192.0.2.1\n"},
	{.origin = "good.test.",
	 .sign = true,
	 .text = "@ A 192.0.2.10\n"
		 "@ AAAA 2001:db8::10\n"
		 "@ MX 10 mx1.good.test.\n"
		 "@ MX 20 mx2.good.test.\n"
		 "@ TXT \"v=spf1 \" \"ip4:192.0.2.0/24 \" \"-all\"\n"
		 "@ SPF \"v=spf1 -all\"\n"
		 "alias CNAME good.test.\n"
		 "mx1 A 192.0.2.11\n"},
	{.origin = "bogus.test.", .sign = true, .bogus = true, .text = "@ TXT \"tampered\"\n"},
	{.origin = "plain.", .text = "@ TXT \"unsigned\"\n"},
	{.origin = "2.0.192.in-addr.arpa.", .text = "10 PTR good.test.\n"},
};

static int setup(void **state)
{
	(void)state;
	if (!knot_available()) {
		fprintf(stderr, "knotd not installed: skipped\n");
		exit(77);
	}
	knot = knot_start(NULL, zones, sizeof zones / sizeof zones[0]);
	return knot ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	knot_stop(knot);
	return 0;
}

static struct ma_resolver *resolver(bool validate, unsigned timeout_ms)
{
	struct ma_resolver_opts o = {
		.server = knot_server_addr(knot),
		.trust_anchor_file = knot_trust_anchor_file(knot),
		.no_validate = !validate,
		.timeout_ms = timeout_ms,
	};
	struct ma_resolver *r = NULL;
	char *why = NULL;
	int err = ma_resolver_new(&o, &r, &why);
	if (err != MA_OK)
		fail_msg("resolver: %s", why ? why : ma_err_str(err));
	return r;
}

static void ask(struct ma_resolver *r, const char *name, uint16_t type, struct ma_dns_answer *a)
{
	struct ma_dns_question q = {.type = type};
	snprintf(q.name, sizeof q.name, "%s", name);
	assert_int_equal(ma_resolver_query(r, &q, a), MA_OK);
}

static void test_statuses_and_verdicts(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver(true, 3000);
	static const struct {
		const char *name;
		uint16_t type;
		enum ma_dns_status status;
		enum ma_dnssec dnssec;
		size_t count;
	} cases[] = {
		{"a.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		/* Secure through the parent's DS: the chain of trust is test. -> good.test. */
		{"good.test", MA_DNS_T_MX, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 2},
		{"good.test", MA_DNS_T_AAAA, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"good.test", MA_DNS_T_SPF, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"alias.good.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"good.test", MA_DNS_T_TLSA, MA_DNS_NODATA, MA_DNSSEC_SECURE, 0},
		{"nope.good.test", MA_DNS_T_A, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0},
		{"bogus.test", MA_DNS_T_TXT, MA_DNS_BOGUS, MA_DNSSEC_BOGUS, 0},
		{"plain", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
		/* unbound would answer these itself (RFC 6761 / RFC 6303 local zones) unless told to ask the server. */
		{"10.2.0.192.in-addr.arpa", MA_DNS_T_PTR, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
		/* knot serves no zone here: it refuses, which must not read as "no such name". */
		{"elsewhere.example", MA_DNS_T_A, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_dns_answer a;
		ask(r, cases[i].name, cases[i].type, &a);
		if (a.status != cases[i].status || a.dnssec != cases[i].dnssec || a.count != cases[i].count)
			fail_msg("%s %s: got %s/%s/%zu, want %s/%s/%zu (%s)", cases[i].name,
				 ma_dns_type_name(cases[i].type), ma_dns_status_name(a.status),
				 ma_dnssec_name(a.dnssec), a.count, ma_dns_status_name(cases[i].status),
				 ma_dnssec_name(cases[i].dnssec), cases[i].count, a.why ? a.why : "");
		if (a.status == MA_DNS_BOGUS)
			assert_non_null(a.why);
	}
	assert_int_equal(ma_resolver_queries(r), sizeof cases / sizeof cases[0]);
	ma_resolver_free(r);
}

static void test_rdata(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver(true, 3000);
	struct ma_dns_answer a;

	ask(r, "good.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	assert_int_equal(a.count, 1);
	char *txt = NULL;
	size_t len = 0;
	assert_int_equal(ma_dns_txt_join(&a.rr[0], &txt, &len), MA_OK);
	assert_string_equal(txt, "v=spf1 ip4:192.0.2.0/24 -all"); /* strings joined without separators */
	free(txt);

	ask(r, "good.test", MA_DNS_T_MX, &a);
	assert_int_equal(a.count, 2);
	int seen = 0;
	for (size_t i = 0; i < a.count; i++) {
		uint16_t pref;
		char host[MA_DNS_NAME_MAX + 1];
		assert_int_equal(ma_dns_rdata_mx(&a.rr[i], &pref, host, sizeof host), MA_OK);
		if (pref == 10 && strcmp(host, "mx1.good.test") == 0)
			seen |= 1;
		if (pref == 20 && strcmp(host, "mx2.good.test") == 0)
			seen |= 2;
	}
	assert_int_equal(seen, 3);

	ask(r, "10.2.0.192.in-addr.arpa", MA_DNS_T_PTR, &a);
	char ptr[MA_DNS_NAME_MAX + 1];
	assert_int_equal(ma_dns_rdata_name(&a.rr[0], ptr, sizeof ptr), MA_OK);
	assert_string_equal(ptr, "good.test");

	ask(r, "good.test", MA_DNS_T_A, &a);
	uint8_t v4[4];
	assert_int_equal(ma_dns_rdata_a(&a.rr[0], v4), MA_OK);
	assert_memory_equal(v4, ((uint8_t[]){192, 0, 2, 10}), 4);
	ma_resolver_free(r);
}

static void test_no_validate(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver(false, 3000);
	struct ma_dns_answer a;
	ask(r, "a.test", MA_DNS_T_A, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	assert_int_equal(a.dnssec, MA_DNSSEC_UNCHECKED);
	/* Without validation the tampered zone's data is just data. */
	ask(r, "bogus.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	assert_int_equal(a.dnssec, MA_DNSSEC_UNCHECKED);
	ma_resolver_free(r);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_timeout_is_not_nxdomain(void **state)
{
	(void)state;
	/* A UDP socket that never answers: the query must end at our deadline as TIMEOUT. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	socklen_t sl = sizeof sa;
	getsockname(s, (struct sockaddr *)&sa, &sl);
	char server[64];
	snprintf(server, sizeof server, "127.0.0.1:%u", ntohs(sa.sin_port));
	struct ma_resolver_opts o = {.server = server, .no_validate = true, .timeout_ms = 400};
	struct ma_resolver *r = NULL;
	assert_int_equal(ma_resolver_new(&o, &r, NULL), MA_OK);
	struct ma_dns_answer a;
	double t0 = now_s();
	ask(r, "silent.test", MA_DNS_T_TXT, &a);
	double took = now_s() - t0;
	assert_int_equal(a.status, MA_DNS_TIMEOUT);
	assert_true(ma_dns_status_is_temporary(a.status));
	assert_true(took < 2.0);
	/* The resolver stays usable after a cancelled query. */
	ask(r, "silent.test", MA_DNS_T_A, &a);
	assert_int_equal(a.status, MA_DNS_TIMEOUT);
	ma_resolver_free(r);
	close(s);
}

static void test_bad_options(void **state)
{
	(void)state;
	static const char *const bad_servers[] = {"", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "1.2.3.4:x"};
	for (size_t i = 0; i < sizeof bad_servers / sizeof bad_servers[0]; i++) {
		struct ma_resolver_opts o = {.server = bad_servers[i], .no_validate = true};
		struct ma_resolver *r = NULL;
		char *why = NULL;
		assert_int_not_equal(ma_resolver_new(&o, &r, &why), MA_OK);
		assert_null(r);
		assert_non_null(why);
		free(why);
	}
	struct ma_resolver_opts o = {.server = "127.0.0.1", .trust_anchor_file = "/nonexistent/anchor"};
	struct ma_resolver *r = NULL;
	char *why = NULL;
	assert_int_equal(ma_resolver_new(&o, &r, &why), MA_ERR_IO);
	assert_non_null(strstr(why, "/nonexistent/anchor"));
	free(why);
	/* Accepted address forms. */
	static const char *const good[] = {"127.0.0.1", "127.0.0.1:53", "127.0.0.1@53", "[::1]:53", "::1"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct ma_resolver_opts g = {.server = good[i], .no_validate = true};
		assert_int_equal(ma_resolver_new(&g, &r, NULL), MA_OK);
		ma_resolver_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses_and_verdicts),
		cmocka_unit_test(test_rdata),
		cmocka_unit_test(test_no_validate),
		cmocka_unit_test(test_timeout_is_not_nxdomain),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
