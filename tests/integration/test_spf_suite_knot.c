/* tests/integration/test_spf_suite_knot.c — the RFC 7208 suite through the real resolver path: each scenario is
 * served by a real knot server as one root zone "." holding every name (real type-99 SPF records, quoted
 * multi-string TXT, \DDD escapes), and src/net/resolver.c (libunbound, forwarding to knot, validation off) answers
 * the evaluator's questions. A test whose fakedns run touched a TIMEOUT name cannot be served by an authoritative
 * server and counts through the fake resolver; every other test must pass through knot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "knot.h"
#include "lib/err.h"
#include "net/resolver.h"
#include "spf_suite.h"

static void real_resolve(void *ctx, const struct ma_dns_question *q, struct ma_dns_answer *a)
{
	if (ma_resolver_query(ctx, q, a) != MA_OK) {
		memset(a, 0, sizeof *a);
		a->status = MA_DNS_SERVFAIL;
	}
}

static void test_suite_via_knot(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/suites/spf/rfc7208-tests.yml", getenv("MA_SHARED_DIR"));
	struct spf_suite s;
	assert_int_equal(spf_suite_load(path, &s), 0);
	unsigned passed = 0, failed = 0, tpassed = 0, tfailed = 0;
	for (size_t i = 0; i < s.nsc; i++) {
		const struct spf_suite_scenario *sc = &s.sc[i];
		char *text = spf_suite_zone_text(sc);
		struct knot_zone kz = {.origin = ".", .text = text};
		struct knot_server *k = knot_start(NULL, &kz, 1);
		if (k == NULL) {
			printf("knot did not start for '%s'; zone:\n%s\n", sc->description, text);
			free(text);
			fail();
		}
		struct ma_resolver_opts ro = {.server = knot_server_addr(k), .no_validate = true, .timeout_ms = 3000};
		struct ma_resolver *r;
		char *err = NULL;
		if (ma_resolver_new(&ro, &r, &err) != MA_OK) {
			printf("resolver: %s\n", err ? err : "?");
			free(err);
			knot_stop(k);
			free(text);
			fail();
		}
		for (size_t j = 0; j < sc->ntests; j++) {
			const struct spf_suite_test *t = &sc->tests[j];
			struct fakedns *z = fakedns_new();
			spf_suite_fakedns(sc, z);
			struct spf_suite_fake fk = {.z = z, .sc = sc};
			struct spf_suite_outcome o;
			bool ok = spf_suite_run(t, spf_suite_fake_resolve, &fk, &o);
			const char *via = "fake resolver (TIMEOUT)";
			if (fk.hit_timeout) {
				ok ? tpassed++ : tfailed++;
			} else {
				via = "knot";
				ok = spf_suite_run(t, real_resolve, r, &o);
				ok ? passed++ : failed++;
			}
			if (!ok) {
				char want[128];
				spf_suite_want(t, want, sizeof want);
				printf("FAIL via %s: %s / %s: got %s want %s; explanation '%s' want '%s' (%s)\n", via,
				       sc->description, t->name, ma_spf_result_name(o.result), want, o.explanation,
				       t->explanation ? t->explanation : "", o.reason);
			}
			fakedns_free(z);
		}
		ma_resolver_free(r);
		knot_stop(k);
		free(text);
	}
	printf("rfc7208 via knot: %u passed, %u failed; TIMEOUT via fake resolver: %u passed, %u failed\n", passed,
	       failed, tpassed, tfailed);
	assert_int_equal(passed + failed + tpassed + tfailed, 203);
	spf_suite_free(&s);
	assert_int_equal(failed + tfailed, 0);
}

int main(void)
{
	const char *sh = getenv("MA_SHARED_DIR");
	if (sh == NULL || *sh == '\0') {
		printf("MA_SHARED_DIR not set: skipping\n");
		return 77;
	}
	if (!knot_available()) {
		printf("knotd not installed: skipping\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite_via_knot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
