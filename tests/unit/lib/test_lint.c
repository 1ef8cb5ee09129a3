/* tests/unit/lib/test_lint.c — the ma_lint() dispatcher: kind names, that each kind reaches its own module's linter,
 * the result contract (parsed is always an object, fini is safe), and bounded behaviour on hostile input for every
 * kind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/lint.h"

static const struct {
	const char *name;
	enum ma_lint_kind kind;
	const char *prefix; /* finding IDs of the module behind the kind */
	const char *good;
} kinds[] = {
    {"spf", MA_LINT_SPF, "spf.", "v=spf1 ip4:192.0.2.0/24 -all"},
    {"dmarc", MA_LINT_DMARC, "dmarc.", "v=DMARC1; p=reject; rua=mailto:d@example.com"},
    {"dkim", MA_LINT_DKIM, "dkim.", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
    {"mta-sts", MA_LINT_MTA_STS, "mta-sts.txt.", "v=STSv1; id=20260101"},
    {"mta-sts-policy", MA_LINT_MTA_STS_POLICY, "mta-sts.policy.",
     "version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 1209600\r\n"},
    {"tls-rpt", MA_LINT_TLS_RPT, "tlsrpt.", "v=TLSRPTv1; rua=mailto:tls@example.com"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static bool all_from(const struct ma_findings *f, const char *prefix)
{
	for (size_t i = 0; i < f->n; i++)
		if (strncmp(f->v[i].def->id, prefix, strlen(prefix)) != 0)
			return false;
	return true;
}

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKINDS; i++) {
		assert_int_equal(ma_lint_kind_from_name(kinds[i].name), (int)kinds[i].kind);
		assert_string_equal(ma_lint_kind_name(kinds[i].kind), kinds[i].name);
	}
	assert_int_equal(ma_lint_kind_from_name("SPF"), -1);
	assert_int_equal(ma_lint_kind_from_name("mta-sts-"), -1);
	assert_int_equal(ma_lint_kind_from_name(""), -1);
	assert_int_equal(ma_lint_kind_from_name(NULL), -1);
	assert_string_equal(ma_lint_kind_name((enum ma_lint_kind)99), "unknown");
}

static void test_dispatch_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKINDS; i++) {
		struct ma_lint_result r;
		ma_lint_result_init(&r);
		assert_int_equal(ma_lint(kinds[i].kind, kinds[i].good, strlen(kinds[i].good), &r), MA_OK);
		if (!r.valid)
			fail_msg("%s: '%s' should be valid", kinds[i].name, kinds[i].good);
		assert_true(json_is_object(r.parsed));
		assert_true(json_object_size(r.parsed) > 0);
		if (!all_from(&r.findings, kinds[i].prefix))
			fail_msg("%s: a finding from another module", kinds[i].name);
		ma_lint_result_fini(&r);
		/* fini twice is harmless (the CLI finis on every path) */
		ma_lint_result_fini(&r);
	}
}

static void test_dispatch_bad(void **state)
{
	(void)state;
	/* The same garbage through each kind: invalid, an error finding from that kind's module, parsed == {} or an
	 * object, never an operation error. */
	static const char junk[] = "garbage; =;=";
	for (size_t i = 0; i < NKINDS; i++) {
		struct ma_lint_result r;
		ma_lint_result_init(&r);
		assert_int_equal(ma_lint(kinds[i].kind, junk, sizeof junk - 1, &r), MA_OK);
		assert_false(r.valid);
		assert_true(json_is_object(r.parsed));
		assert_int_equal(ma_findings_worst(&r.findings), MA_SEV_ERROR);
		if (r.findings.n == 0 || !all_from(&r.findings, kinds[i].prefix))
			fail_msg("%s: want findings from %s", kinds[i].name, kinds[i].prefix);
		ma_lint_result_fini(&r);
	}
	/* ... and an empty record */
	for (size_t i = 0; i < NKINDS; i++) {
		struct ma_lint_result r;
		ma_lint_result_init(&r);
		assert_int_equal(ma_lint(kinds[i].kind, "", 0, &r), MA_OK);
		assert_false(r.valid);
		assert_true(json_is_object(r.parsed));
		ma_lint_result_fini(&r);
	}
}

static void test_bad_kind(void **state)
{
	(void)state;
	struct ma_lint_result r;
	ma_lint_result_init(&r);
	assert_int_equal(ma_lint((enum ma_lint_kind)42, "x", 1, &r), MA_ERR_INVAL);
	assert_false(r.valid);
	assert_int_equal(r.findings.n, 0);
	ma_lint_result_fini(&r);
}

/* Each kind must finish with findings, not crash or hang, on 64 KiB blobs, NULs, non-ASCII and 10,000 tags/lines. */
static void test_hostile(void **state)
{
	(void)state;
	size_t cap = 64 * 1024;
	char *buf = malloc(cap + 64);
	assert_non_null(buf);
	for (size_t i = 0; i < NKINDS; i++) {
		for (int shape = 0; shape < 5; shape++) {
			size_t n = 0;
			const char *g = kinds[i].good;
			switch (shape) {
			case 0: /* the good record then 64 KiB of filler */
				n = (size_t)snprintf(buf, cap, "%s", g);
				memset(buf + n, 'a', cap - n);
				n = cap;
				break;
			case 1: /* a NUL inside the good record */
				n = strlen(g);
				memcpy(buf, g, n);
				buf[n / 2] = '\0';
				break;
			case 2: /* non-ASCII and control bytes */
				n = (size_t)snprintf(buf, cap, "%s \xff\xfe\x1b[31m caf\xc3\xa9", g);
				break;
			case 3: /* 10,000 tags or lines */
				n = (size_t)snprintf(buf, cap, "%s", g);
				for (int k = 0; k < 10000 && n + 16 < cap; k++)
					n += (size_t)snprintf(buf + n, cap - n,
					                      kinds[i].kind == MA_LINT_MTA_STS_POLICY ? "k%d: v\n"
					                      : kinds[i].kind == MA_LINT_SPF          ? " a%d"
					                                                              : "; t%d=v",
					                      k);
				break;
			default: /* all bytes */
				for (n = 0; n < 256 * 64; n++)
					buf[n] = (char)(n * 7 + n / 256);
				break;
			}
			struct ma_lint_result r;
			ma_lint_result_init(&r);
			assert_int_equal(ma_lint(kinds[i].kind, buf, n, &r), MA_OK);
			assert_true(json_is_object(r.parsed));
			/* a NUL is a syntax error to the DKIM, MTA-STS and TLS-RPT grammars; the DMARC linter skips the
			 * broken part with a warning as lenient receivers do, so for SPF and DMARC only require a
			 * finding */
			bool strict_nul = kinds[i].kind != MA_LINT_SPF && kinds[i].kind != MA_LINT_DMARC;
			if ((shape == 0 || shape == 4 || (shape == 1 && strict_nul)) && r.valid)
				fail_msg("%s shape %d: should not be valid", kinds[i].name, shape);
			if (shape == 1 && ma_findings_worst(&r.findings) < MA_SEV_WARNING)
				fail_msg("%s: a NUL byte without a warning or error", kinds[i].name);
			if (!r.valid && ma_findings_worst(&r.findings) != MA_SEV_ERROR)
				fail_msg("%s shape %d: invalid without an error finding", kinds[i].name, shape);
			ma_lint_result_fini(&r);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),    cmocka_unit_test(test_dispatch_good), cmocka_unit_test(test_dispatch_bad),
	    cmocka_unit_test(test_bad_kind), cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
