/* tests/integration/test_scanner_hostile.c — whole-domain scans against a hostile DNS server
 * (tests/support/hostiledns): each scan finishes in bounded time; where the server fails, stays silent, spoofs or
 * sends something unreadable, the areas it touches are "inconclusive" with a reason — never "missing" — and where
 * it sends odd but valid data (1-octet strings, thousands of records) the scan judges that data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "hostiledns.h"
#include "lib/err.h"
#include "lib/scan.h"
#include "net/engine.h"
#include "net/scanner.h"

static struct hostiledns *hd;

static int setup(void **state)
{
	(void)state;
	hd = hostiledns_start(NULL, 20200);
	return hd ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	hostiledns_stop(hd);
	return 0;
}

struct dom_result {
	const char *domain;
	int done, errors;
	enum ma_mark marks[MA_AREA_COUNT];
	char reasons[MA_AREA_COUNT][160];
	char findings[4096]; /* the finding IDs, space separated */
};

struct run {
	struct dom_result *doms;
	size_t n, next;
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
	return true;
}

static void on_done(void *arg, void *user, const char *domain, const struct ma_scan *scan)
{
	(void)arg;
	(void)domain;
	struct dom_result *d = user;
	d->done++;
	json_t *doc = ma_scan_to_json(scan);
	assert_non_null(doc);
	json_t *areas = json_object_get(doc, "areas");
	for (int a = 0; a < MA_AREA_COUNT; a++) {
		d->marks[a] = ma_scan_mark(scan, (enum ma_scan_area)a);
		json_t *ar = json_object_get(areas, ma_scan_area_name((enum ma_scan_area)a));
		const char *why = json_string_value(json_object_get(ar, "reason"));
		snprintf(d->reasons[a], sizeof d->reasons[a], "%s", why ? why : "");
	}
	size_t i;
	json_t *f;
	size_t used = 0;
	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		int w = snprintf(d->findings + used, sizeof d->findings - used, "%s ",
		                 json_string_value(json_object_get(f, "id")));
		if (w > 0 && (size_t)w < sizeof d->findings - used)
			used += (size_t)w;
	}
	if (getenv("MA_TEST_VERBOSE") != NULL) {
		printf("# %s:", d->domain);
		for (int a = 0; a < MA_AREA_COUNT; a++)
			printf(" %s=%s", ma_scan_area_name((enum ma_scan_area)a), ma_mark_name(d->marks[a]));
		printf("\n#   %s\n#   spf: %s\n", d->findings, d->reasons[MA_AREA_SPF]);
	}
	json_decref(doc);
}

static void on_error(void *arg, void *user, const char *domain, int err, const char *reason)
{
	(void)arg;
	(void)domain;
	(void)err;
	(void)reason;
	((struct dom_result *)user)->errors++;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Scan doms[0..n) through an engine of its own; returns the seconds taken. */
static double scan_list(struct dom_result *doms, size_t n)
{
	struct event_base *base = event_base_new();
	const unsigned timeout_ms = 500, retries = 1;
	struct ma_engine_opts eo = {
	    .base = base,
	    .server = hostiledns_addr(hd),
	    .no_validate = true,
	    .timeout_ms = timeout_ms,
	    .retries = retries,
	    .https_timeout_ms = 1000,
	};
	struct ma_engine *e = NULL;
	char *why = NULL;
	if (ma_engine_new(&eo, &e, &why) != MA_OK)
		fail_msg("engine: %s", why);
	struct run r = {.doms = doms, .n = n};
	struct ma_scanner_opts so = {
	    .engine = e,
	    .concurrency = 4,
	    .no_tls = true,
	    .common_selectors = true,
	    .now = 1790000000,
	    .next = next_dom,
	    .on_done = on_done,
	    .on_error = on_error,
	    .arg = &r,
	};
	double t0 = now_s();
	assert_int_equal(ma_scanner_run(&so), MA_OK);
	double took = now_s() - t0;
	printf("# %zu hostile domains in %.2f s\n", n, took);
	ma_engine_free(e);
	event_base_free(base);
	return took;
}

static void test_hostile_domains(void **state)
{
	(void)state;
	struct dom_result doms[] = {
	    {.domain = "good.hostile"},    {.domain = "silent.hostile"},    {.domain = "servfail.hostile"},
	    {.domain = "refused.hostile"}, {.domain = "wrongid.hostile"},   {.domain = "ptrloop.hostile"},
	    {.domain = "chain.hostile"},   {.domain = "loop.hostile"},      {.domain = "toomany.hostile"},
	    {.domain = "split.hostile"},   {.domain = "binary.hostile"},    {.domain = "many.hostile"},
	    {.domain = "tcclose.hostile"}, {.domain = "tcgarbage.hostile"},
	};
	const size_t n = sizeof doms / sizeof doms[0];
	/* A server that breaks its TCP side breaks every query libunbound pipelines on that connection (RFC 7766
	 * 6.2.1 reuse), as in the wild: the two TC=1 domains (last in the list) get an engine of their own so the
	 * others' results stay deterministic. */
	double took = scan_list(doms, n - 2) + scan_list(doms + n - 2, 2);
	for (size_t i = 0; i < n; i++)
		if (doms[i].done != 1 || doms[i].errors != 0)
			fail_msg("%s: %d done, %d errors", doms[i].domain, doms[i].done, doms[i].errors);

	/* The server failed, stayed silent, spoofed, or sent what cannot be read: SPF and DMARC cannot be judged. */
	static const char *const failing[] = {"silent.hostile",  "servfail.hostile", "refused.hostile",
	                                      "wrongid.hostile", "tcclose.hostile",  "tcgarbage.hostile",
	                                      "ptrloop.hostile", "chain.hostile",    "loop.hostile"};
	for (size_t i = 0; i < n; i++) {
		struct dom_result *d = &doms[i];
		bool is_failing = false;
		for (size_t k = 0; k < sizeof failing / sizeof failing[0]; k++)
			is_failing = is_failing || strcmp(failing[k], d->domain) == 0;
		if (!is_failing)
			continue;
		for (int a = MA_AREA_SPF; a <= MA_AREA_DMARC; a++) {
			if (d->marks[a] != MA_MARK_INCONCLUSIVE || d->reasons[a][0] == '\0')
				fail_msg("%s %s: %s (%s), want inconclusive with a reason", d->domain,
				         ma_scan_area_name((enum ma_scan_area)a), ma_mark_name(d->marks[a]),
				         d->reasons[a]);
		}
		/* Never "missing": no finding says a record is absent. */
		if (strstr(d->findings, "missing") != NULL || strstr(d->findings, ".none ") != NULL)
			fail_msg("%s: a failure read as a missing record: %s", d->domain, d->findings);
	}
	struct dom_result *good = &doms[0], *toomany = &doms[8], *split = &doms[9], *binary = &doms[10],
	                  *many = &doms[11];
	assert_int_equal(good->marks[MA_AREA_SPF], MA_MARK_PASS);
	assert_int_not_equal(good->marks[MA_AREA_DMARC], MA_MARK_INCONCLUSIVE);
	/* Over the record cap: the SPF lookup is unreadable, so SPF is inconclusive (DMARC is answered normally). */
	assert_int_equal(toomany->marks[MA_AREA_SPF], MA_MARK_INCONCLUSIVE);
	assert_non_null(strstr(toomany->reasons[MA_AREA_SPF], "4096"));
	/* 1-octet strings join into the records they spell (RFC 7208 3.3). */
	assert_int_equal(split->marks[MA_AREA_SPF], MA_MARK_PASS);
	assert_int_not_equal(split->marks[MA_AREA_DMARC], MA_MARK_INCONCLUSIVE);
	/* Non-UTF-8 bytes are data to judge, not a lookup failure. */
	assert_int_not_equal(binary->marks[MA_AREA_SPF], MA_MARK_INCONCLUSIVE);
	/* 300 SPF records: answered, and a definite failure (RFC 7208 4.5: more than one record is a permerror). */
	assert_int_equal(many->marks[MA_AREA_SPF], MA_MARK_FAIL);
	/* Bounded: each question has at most (1 + retries) deadlines; scans ask in rounds (MX, then the hosts ...),
	 * the slack is for a loaded machine. libunbound alone would wait minutes on the silent server. */
	if (took > 60.0)
		fail_msg("hostile scans took %.1f s", took);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_domains),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
