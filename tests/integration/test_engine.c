/* tests/integration/test_engine.c — the async engine against a real knot server on loopback: every answer status
 * and DNSSEC verdict asked all at once in one loop, rdata as the decoders want it (names uncompressed), identical
 * questions coalesced into one libunbound query, the callback contract, and a deadline that holds when the server
 * refuses to answer at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "knot.h"
#include "lib/dns.h"
#include "lib/err.h"
#include "net/engine.h"

static struct knot_server *knot;

static const struct knot_zone zones[] = {
    {.origin = "test.", .sign = true, .text = "a A 192.0.2.1\n"},
    {.origin = "good.test.",
     .sign = true,
     .text = "@ A 192.0.2.10\n"
             "@ MX 10 mx1.good.test.\n"
             "@ MX 20 mx2.good.test.\n"
             "@ TXT \"v=spf1 \" \"ip4:192.0.2.0/24 \" \"-all\"\n"
             "alias CNAME good.test.\n"
             "chain CNAME alias.good.test.\n"
             "dangling CNAME nowhere.good.test.\n"
             "mx1 A 192.0.2.11\n"
             "many A 192.0.2.1\nmany A 192.0.2.2\nmany A 192.0.2.3\nmany A 192.0.2.4\n"},
    {.origin = "bogus.test.", .sign = true, .bogus = true, .text = "@ TXT \"tampered\"\n"},
    {.origin = "unsigned.test.", .text = "@ TXT \"no signatures\"\n"},
    {.origin = "plain.", .text = "@ TXT \"unsigned\"\n"},
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What one callback saw, copied (the answer is borrowed for the call). */
struct got {
	int calls;
	enum ma_dns_status status;
	enum ma_dnssec dnssec;
	size_t count;
	char why[256];
	uint8_t rr0[512];
	size_t rr0len;
	bool *in_start; /* set while the start call runs: a callback then breaks the contract */
};

static void on_answer(void *arg, const struct ma_dns_answer *a)
{
	struct got *g = arg;
	if (g->in_start != NULL && *g->in_start)
		fail_msg("callback ran inside the start call");
	g->calls++;
	g->status = a->status;
	g->dnssec = a->dnssec;
	g->count = a->count;
	snprintf(g->why, sizeof g->why, "%s", a->why ? a->why : "");
	if (a->count > 0 && a->rr[0].len <= sizeof g->rr0) {
		memcpy(g->rr0, a->rr[0].data, a->rr[0].len);
		g->rr0len = a->rr[0].len;
	}
}

static struct ma_engine *engine_for(struct event_base *base, const char *server, const char *ta, bool validate,
                                    unsigned timeout_ms, unsigned retries)
{
	struct ma_engine_opts o = {
	    .base = base,
	    .server = server,
	    .trust_anchor_file = ta,
	    .no_validate = !validate,
	    .timeout_ms = timeout_ms,
	    .retries = retries,
	};
	struct ma_engine *e = NULL;
	char *why = NULL;
	int err = ma_engine_new(&o, &e, &why);
	if (err != MA_OK)
		fail_msg("engine: %s", why ? why : ma_err_str(err));
	return e;
}

static bool in_start;

static void ask(struct ma_engine *e, const char *name, uint16_t type, struct got *g)
{
	struct ma_dns_question q = {.type = type};
	snprintf(q.name, sizeof q.name, "%s", name);
	g->in_start = &in_start;
	in_start = true;
	int err = ma_engine_dns(e, &q, on_answer, g);
	in_start = false;
	if (err != MA_OK)
		fail_msg("%s %s: %s", name, ma_dns_type_name(type), ma_err_str(err));
}

static void run_until_idle(struct ma_engine *e, struct event_base *base)
{
	struct ma_engine_stats st;
	for (;;) {
		ma_engine_stats(e, &st);
		if (st.in_flight == 0)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
}

static const struct {
	const char *name;
	uint16_t type;
	enum ma_dns_status status;
	enum ma_dnssec dnssec;
	size_t count;
} cases[] = {
    {"a.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
    {"good.test", MA_DNS_T_MX, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 2},
    {"good.test", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
    {"many.good.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 4},
    {"alias.good.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
    {"chain.good.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
    {"alias.good.test", MA_DNS_T_CNAME, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
    {"dangling.good.test", MA_DNS_T_TXT, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0},
    {"good.test", MA_DNS_T_TLSA, MA_DNS_NODATA, MA_DNSSEC_SECURE, 0},
    {"nope.good.test", MA_DNS_T_A, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0},
    {"bogus.test", MA_DNS_T_TXT, MA_DNS_BOGUS, MA_DNSSEC_BOGUS, 0},
    {"unsigned.test", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
    {"nope.unsigned.test", MA_DNS_T_TXT, MA_DNS_NXDOMAIN, MA_DNSSEC_INSECURE, 0},
    {"plain", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
    {"plain", MA_DNS_T_MX, MA_DNS_NODATA, MA_DNSSEC_INSECURE, 0},
    /* knot serves no zone here and refuses: SERVFAIL, never "no such name". */
    {"elsewhere.example", MA_DNS_T_A, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

static void check_cases(struct got *g, bool validate)
{
	for (size_t i = 0; i < NCASES; i++) {
		enum ma_dns_status want = cases[i].status;
		enum ma_dnssec wsec = cases[i].dnssec;
		size_t wcount = cases[i].count;
		if (!validate) {
			if (want == MA_DNS_BOGUS) {
				/* Without validation the tampered zone is just data. */
				want = MA_DNS_ANSWER;
				wcount = 1;
			}
			wsec = MA_DNSSEC_UNCHECKED;
		}
		if (g[i].calls != 1 || g[i].status != want || g[i].dnssec != wsec || g[i].count != wcount)
			fail_msg("%s %s: got %d calls %s/%s/%zu, want %s/%s/%zu (%s)", cases[i].name,
			         ma_dns_type_name(cases[i].type), g[i].calls, ma_dns_status_name(g[i].status),
			         ma_dnssec_name(g[i].dnssec), g[i].count, ma_dns_status_name(want),
			         ma_dnssec_name(wsec), wcount, g[i].why);
		if (g[i].status == MA_DNS_BOGUS && strstr(g[i].why, "DS hash mismatches key") == NULL)
			fail_msg("%s: why_bogus '%s'", cases[i].name, g[i].why);
	}
}

static void test_statuses_all_at_once(void **state)
{
	(void)state;
	for (int validate = 1; validate >= 0; validate--) {
		struct event_base *base = event_base_new();
		struct ma_engine *e =
		    engine_for(base, knot_server_addr(knot), knot_trust_anchor_file(knot), validate, 3000, 1);
		struct got g[NCASES];
		memset(g, 0, sizeof g);
		double t0 = now_s();
		for (size_t i = 0; i < NCASES; i++)
			ask(e, cases[i].name, cases[i].type, &g[i]);
		/* Nothing is answered before the loop runs. */
		for (size_t i = 0; i < NCASES; i++)
			assert_int_equal(g[i].calls, 0);
		run_until_idle(e, base);
		double took = now_s() - t0;
		check_cases(g, validate);
		if (took > 2.5)
			fail_msg("answers took %.1f s: something waited out a deadline", took);

		/* Asked again: from libunbound's cache, still never inside the start call. */
		memset(g, 0, sizeof g);
		for (size_t i = 0; i < NCASES; i++)
			ask(e, cases[i].name, cases[i].type, &g[i]);
		for (size_t i = 0; i < NCASES; i++)
			assert_int_equal(g[i].calls, 0);
		run_until_idle(e, base);
		check_cases(g, validate);
		ma_engine_free(e);
		event_base_free(base);
	}
}

static void test_rdata_uncompressed(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_engine *e = engine_for(base, knot_server_addr(knot), knot_trust_anchor_file(knot), true, 3000, 1);
	struct got mx = {0}, txt = {0}, cname = {0};
	ask(e, "GOOD.test", MA_DNS_T_MX, &mx); /* case of the question does not matter (RFC 4343) */
	ask(e, "good.test", MA_DNS_T_TXT, &txt);
	ask(e, "alias.good.test", MA_DNS_T_CNAME, &cname);
	run_until_idle(e, base);

	assert_int_equal(mx.status, MA_DNS_ANSWER);
	struct ma_dns_rdata rd = {mx.rr0, mx.rr0len};
	uint16_t pref;
	char name[MA_DNS_NAME_MAX + 1];
	/* unbound compresses MX targets on the wire (pointing into the question, whose case it keeps: "GOOD"); the
	 * decoder only takes uncompressed names. */
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, name, sizeof name), MA_OK);
	if (!((pref == 10 && ma_dns_name_eq(name, "mx1.good.test")) ||
	      (pref == 20 && ma_dns_name_eq(name, "mx2.good.test"))))
		fail_msg("MX %u %s", pref, name);

	rd = (struct ma_dns_rdata){txt.rr0, txt.rr0len};
	char *joined = NULL;
	size_t len = 0;
	assert_int_equal(ma_dns_txt_join(&rd, &joined, &len), MA_OK);
	assert_string_equal(joined, "v=spf1 ip4:192.0.2.0/24 -all");
	free(joined);

	rd = (struct ma_dns_rdata){cname.rr0, cname.rr0len};
	assert_int_equal(ma_dns_rdata_name(&rd, name, sizeof name), MA_OK);
	assert_string_equal(name, "good.test");
	ma_engine_free(e);
	event_base_free(base);
}

static void test_coalescing(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_engine *e = engine_for(base, knot_server_addr(knot), knot_trust_anchor_file(knot), true, 3000, 1);
	enum { N = 50 };
	struct got g[N];
	memset(g, 0, sizeof g);
	/* Fifty domains asking for one provider's name at once, in any case and with or without the root dot. */
	for (int i = 0; i < N; i++)
		ask(e, i % 3 == 0 ? "MX1.good.test." : "mx1.good.test", MA_DNS_T_A, &g[i]);
	struct ma_engine_stats st;
	ma_engine_stats(e, &st);
	assert_int_equal(st.dns_queries, 1);
	assert_int_equal(st.dns_coalesced, N - 1);
	assert_int_equal(st.in_flight, N);
	run_until_idle(e, base);
	for (int i = 0; i < N; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, MA_DNS_ANSWER);
		assert_int_equal(g[i].dnssec, MA_DNSSEC_SECURE);
		assert_int_equal(g[i].rr0len, 4);
		assert_memory_equal(g[i].rr0, "\xc0\x00\x02\x0b", 4);
	}
	/* A different type is a different question. */
	struct got other = {0};
	ask(e, "mx1.good.test", MA_DNS_T_AAAA, &other);
	ma_engine_stats(e, &st);
	assert_int_equal(st.dns_queries, 2);
	assert_int_equal(st.dns_coalesced, N - 1);
	run_until_idle(e, base);
	assert_int_equal(other.status, MA_DNS_NODATA);
	ma_engine_free(e);
	event_base_free(base);
}

static void test_queue(void **state)
{
	(void)state;
	/* Two questions in libunbound at a time, sixty asked: the rest wait their turn and every one is answered. */
	struct event_base *base = event_base_new();
	struct ma_engine_opts o = {
	    .base = base,
	    .server = knot_server_addr(knot),
	    .trust_anchor_file = knot_trust_anchor_file(knot),
	    .timeout_ms = 3000,
	    .max_in_flight = 2,
	};
	struct ma_engine *e = NULL;
	assert_int_equal(ma_engine_new(&o, &e, NULL), MA_OK);
	enum { N = 60 };
	struct got g[N];
	memset(g, 0, sizeof g);
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof name, i % 2 ? "n%d.good.test" : "mx1.good.test", i);
		ask(e, name, MA_DNS_T_A, &g[i]);
	}
	struct ma_engine_stats st;
	ma_engine_stats(e, &st);
	assert_int_equal(st.in_flight, N);
	run_until_idle(e, base);
	for (int i = 0; i < N; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, i % 2 ? MA_DNS_NXDOMAIN : MA_DNS_ANSWER);
		assert_int_equal(g[i].dnssec, MA_DNSSEC_SECURE);
	}
	ma_engine_free(e);
	event_base_free(base);
}

static void test_free_cancels(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_engine *e = engine_for(base, knot_server_addr(knot), knot_trust_anchor_file(knot), true, 3000, 1);
	struct got g[3];
	memset(g, 0, sizeof g);
	ask(e, "a.test", MA_DNS_T_A, &g[0]);
	ask(e, "a.test", MA_DNS_T_A, &g[1]);
	ask(e, "good.test", MA_DNS_T_MX, &g[2]);
	/* Freed before the loop ever ran: each callback runs once, with TIMEOUT. */
	ma_engine_free(e);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, MA_DNS_TIMEOUT);
		assert_int_equal(g[i].dnssec, MA_DNSSEC_UNCHECKED);
	}
	event_base_free(base);
}

static void test_bad_questions(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct ma_engine *e = engine_for(base, knot_server_addr(knot), knot_trust_anchor_file(knot), true, 3000, 1);
	struct got g = {0};
	struct ma_dns_question q = {.type = MA_DNS_T_A};
	/* Refused at the start call, and then the callback never runs. */
	assert_int_equal(ma_engine_dns(e, &q, on_answer, &g), MA_ERR_INVAL); /* empty name */
	memset(q.name, 'a', 70);
	assert_int_equal(ma_engine_dns(e, &q, on_answer, &g), MA_ERR_INVAL); /* a 70-octet label */
	run_until_idle(e, base);
	assert_int_equal(g.calls, 0);
	ma_engine_free(e);
	assert_int_equal(g.calls, 0);
	event_base_free(base);

	struct ma_engine_opts o = {.base = NULL};
	struct ma_engine *none = NULL;
	char *why = NULL;
	assert_int_equal(ma_engine_new(&o, &none, &why), MA_ERR_INVAL);
	assert_null(none);
	free(why);
	base = event_base_new();
	o = (struct ma_engine_opts){.base = base, .server = "not-an-address"};
	assert_int_equal(ma_engine_new(&o, &none, &why), MA_ERR_INVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "not-an-address"));
	free(why);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_statuses_all_at_once), cmocka_unit_test(test_rdata_uncompressed),
	    cmocka_unit_test(test_coalescing),           cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_free_cancels),         cmocka_unit_test(test_bad_questions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
