/* tests/integration/test_scanner.c — the scanner driving many lib/scan.h state machines through the engine against
 * a real knot server with DNSSEC: every domain handed back exactly once, never more in flight than asked, invalid
 * names reported as errors, and the areas judged from real answers (secure, bogus, missing records). */
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
#include "lib/scan.h"
#include "net/engine.h"
#include "net/scanner.h"

static struct knot_server *knot;

#define GOOD_ZONE                                                                                                      \
	"@ MX 10 mx1\n"                                                                                                \
	"@ TXT \"v=spf1 mx -all\"\n"                                                                                   \
	"_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@good.test\"\n"                                                  \
	"mx1 A 192.0.2.25\n"

static const struct knot_zone zones[] = {
    {.origin = "test.", .sign = true, .text = "a A 192.0.2.1\n"},
    {.origin = "good.test.", .sign = true, .text = GOOD_ZONE},
    {.origin = "bare.test.", .sign = true, .text = "@ A 192.0.2.7\n"},
    {.origin = "bogus.test.", .sign = true, .bogus = true, .text = GOOD_ZONE},
    {.origin = "unsigned.test.", .text = GOOD_ZONE},
    /* MTA-STS announced, its policy host on an address where nothing listens (RFC 8461 3.3 fetch fails). */
    {.origin = "sts.test.",
     .sign = true,
     .text = GOOD_ZONE "_mta-sts TXT \"v=STSv1; id=20260101\"\n"
                       "mta-sts A 127.0.20.9\n"},
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

struct dom_result {
	const char *domain;
	int done, errors;
	enum ma_mark marks[MA_AREA_COUNT];
	char reasons[MA_AREA_COUNT][128];
	char findings[2048];
};

struct run {
	struct dom_result *doms;
	size_t n, next;
	unsigned in_flight, max_in_flight;
};

static bool next_dom(void *arg, const char **domain, const char *const **sel, size_t *nsel, void **user)
{
	struct run *r = arg;
	if (r->next == r->n)
		return false;
	struct dom_result *d = &r->doms[r->next++];
	*domain = d->domain;
	*sel = NULL;
	*nsel = 0;
	*user = d;
	r->in_flight++;
	if (r->in_flight > r->max_in_flight)
		r->max_in_flight = r->in_flight;
	return true;
}

static void on_done(void *arg, void *user, const char *domain, const struct ma_scan *scan)
{
	struct run *r = arg;
	struct dom_result *d = user;
	assert_string_equal(domain, d->domain);
	d->done++;
	r->in_flight--;
	for (int a = 0; a < MA_AREA_COUNT; a++)
		d->marks[a] = ma_scan_mark(scan, (enum ma_scan_area)a);
	json_t *doc = ma_scan_to_json(scan);
	assert_non_null(doc);
	if (getenv("MA_TEST_VERBOSE") != NULL) {
		char *dump = json_dumps(json_object_get(doc, "findings"), JSON_COMPACT);
		printf("# %s: %s\n", domain, dump);
		free(dump);
	}
	size_t fi, used = 0;
	json_t *f;
	json_array_foreach(json_object_get(doc, "findings"), fi, f)
	{
		int w = snprintf(d->findings + used, sizeof d->findings - used, "%s ",
		                 json_string_value(json_object_get(f, "id")));
		if (w > 0 && (size_t)w < sizeof d->findings - used)
			used += (size_t)w;
	}
	json_t *areas = json_object_get(doc, "areas");
	for (int a = 0; a < MA_AREA_COUNT; a++) {
		json_t *ar = json_object_get(areas, ma_scan_area_name((enum ma_scan_area)a));
		const char *why = json_string_value(json_object_get(ar, "reason"));
		snprintf(d->reasons[a], sizeof d->reasons[a], "%s", why ? why : "");
	}
	json_decref(doc);
}

static void on_error(void *arg, void *user, const char *domain, int err, const char *reason)
{
	struct run *r = arg;
	struct dom_result *d = user;
	assert_string_equal(domain, d->domain);
	assert_true(err < 0);
	assert_non_null(reason);
	d->errors++;
	r->in_flight--;
}

static struct ma_engine *engine_for(struct event_base *base, unsigned timeout_ms)
{
	struct ma_engine_opts o = {
	    .base = base,
	    .server = knot_server_addr(knot),
	    .trust_anchor_file = knot_trust_anchor_file(knot),
	    .timeout_ms = timeout_ms,
	    .retries = 1,
	    .https_timeout_ms = 3000,
	    .https_port = 20999, /* nothing listens there */
	};
	struct ma_engine *e = NULL;
	char *why = NULL;
	int err = ma_engine_new(&o, &e, &why);
	if (err != MA_OK)
		fail_msg("engine: %s", why ? why : ma_err_str(err));
	return e;
}

static struct ma_engine_stats last_stats;

static void scan_all(struct run *r, unsigned concurrency)
{
	struct event_base *base = event_base_new();
	struct ma_engine *e = engine_for(base, 3000);
	struct ma_scanner_opts so = {
	    .engine = e,
	    .concurrency = concurrency,
	    .no_tls = true,
	    .now = 1790000000,
	    .next = next_dom,
	    .on_done = on_done,
	    .on_error = on_error,
	    .arg = r,
	};
	assert_int_equal(ma_scanner_run(&so), MA_OK);
	struct ma_engine_stats st;
	ma_engine_stats(e, &st);
	assert_int_equal(st.in_flight, 0);
	last_stats = st;
	printf("# %zu domains, %llu queries to libunbound, %llu coalesced, %llu retries, %llu timeouts\n", r->n,
	       (unsigned long long)st.dns_queries, (unsigned long long)st.dns_coalesced,
	       (unsigned long long)st.dns_retries, (unsigned long long)st.dns_timeouts);
	ma_engine_free(e);
	event_base_free(base);
}

static void test_domains(void **state)
{
	(void)state;
	struct dom_result doms[] = {
	    {.domain = "good.test"},     {.domain = "bare.test"}, {.domain = "bogus.test"},
	    {.domain = "unsigned.test"}, {.domain = "no..valid"}, {.domain = "GOOD.test."},
	};
	struct run r = {.doms = doms, .n = sizeof doms / sizeof doms[0]};
	scan_all(&r, 2);
	assert_true(r.max_in_flight <= 2);
	for (size_t i = 0; i < r.n; i++) {
		bool invalid = strcmp(doms[i].domain, "no..valid") == 0;
		if (doms[i].done + doms[i].errors != 1 || (invalid && doms[i].errors != 1))
			fail_msg("%s: %d done, %d errors", doms[i].domain, doms[i].done, doms[i].errors);
	}
	/* good.test: signed, SPF and DMARC p=reject: nothing inconclusive. */
	for (int i = 0; i < 2; i++) {
		struct dom_result *d = i == 0 ? &doms[0] : &doms[5];
		assert_int_equal(d->marks[MA_AREA_SPF], MA_MARK_PASS);
		assert_int_equal(d->marks[MA_AREA_DMARC], MA_MARK_PASS);
		assert_int_equal(d->marks[MA_AREA_DNSSEC], MA_MARK_PASS);
		for (int a = 0; a < MA_AREA_COUNT; a++)
			if (d->marks[a] == MA_MARK_INCONCLUSIVE)
				fail_msg("%s %s inconclusive: %s", d->domain, ma_scan_area_name((enum ma_scan_area)a),
				         d->reasons[a]);
	}
	/* bare.test: no SPF, no DMARC — answered, so they are failures, not inconclusive. */
	assert_int_equal(doms[1].marks[MA_AREA_SPF], MA_MARK_FAIL);
	assert_int_equal(doms[1].marks[MA_AREA_DMARC], MA_MARK_FAIL);
	/* bogus.test: the same records, but validation fails: inconclusive with a reason, never missing. */
	assert_int_equal(doms[2].marks[MA_AREA_SPF], MA_MARK_INCONCLUSIVE);
	assert_int_not_equal(doms[2].reasons[MA_AREA_SPF][0], '\0');
	assert_int_equal(doms[2].marks[MA_AREA_DNSSEC], MA_MARK_FAIL);
	/* unsigned.test: fine records, no DNSSEC. */
	assert_int_equal(doms[3].marks[MA_AREA_SPF], MA_MARK_PASS);
	assert_int_not_equal(doms[3].marks[MA_AREA_DNSSEC], MA_MARK_PASS);
	assert_int_not_equal(doms[3].marks[MA_AREA_DNSSEC], MA_MARK_INCONCLUSIVE);
}

static void test_mtasts_fetch(void **state)
{
	(void)state;
	/* The HTTPS need goes through the engine's fetcher to the address the scan resolved: nothing listens, so the
	 * fetch fails and the scan says the policy is unreachable (a finding, not a missing policy). */
	struct dom_result doms[] = {{.domain = "sts.test"}};
	struct run r = {.doms = doms, .n = 1};
	scan_all(&r, 1);
	assert_int_equal(doms[0].done, 1);
	assert_int_equal(last_stats.https_fetches, 1);
	if (strstr(doms[0].findings, "scan.mtasts.policy-unreachable") == NULL)
		fail_msg("sts.test findings: %s", doms[0].findings);
	assert_int_not_equal(doms[0].marks[MA_AREA_MTASTS], MA_MARK_PASS);
}

static void test_many_domains_bounded(void **state)
{
	(void)state;
	/* 2,000 domains (most NXDOMAIN under a signed zone) through 64 slots: all handed back once, memory bounded
	 * by the slots, and the rate printed for the record (not asserted: a loaded machine is no failure). */
	enum { N = 2000 };
	static struct dom_result doms[N];
	static char names[N][32];
	for (int i = 0; i < N; i++) {
		if (i % 10 == 0)
			snprintf(names[i], sizeof names[i], "good.test");
		else
			snprintf(names[i], sizeof names[i], "d%d.test", i);
		memset(&doms[i], 0, sizeof doms[i]);
		doms[i].domain = names[i];
	}
	struct run r = {.doms = doms, .n = N};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	scan_all(&r, 64);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %d domains in %.2f s: %.0f domains/s\n", N, s, N / s);
	assert_true(r.max_in_flight <= 64);
	assert_int_equal(r.in_flight, 0);
	for (int i = 0; i < N; i++) {
		if (doms[i].done != 1)
			fail_msg("%s: %d done, %d errors", doms[i].domain, doms[i].done, doms[i].errors);
		/* A name that does not exist has no SPF: a failure, answered by the server, never inconclusive. */
		if (doms[i].marks[MA_AREA_SPF] == MA_MARK_INCONCLUSIVE)
			fail_msg("%s: SPF inconclusive: %s", doms[i].domain, doms[i].reasons[MA_AREA_SPF]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_domains),
	    cmocka_unit_test(test_mtasts_fetch),
	    cmocka_unit_test(test_many_domains_bounded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
