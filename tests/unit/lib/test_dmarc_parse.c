/* tests/unit/lib/test_dmarc_parse.c — DMARC record parser and linter: every tag of both generations, the findings
 * each record gives, hostile input, and the mox and OpenDMARC parse vectors from the shared suites. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"
#include "lib/lint.h"

static void lint_fini(struct ma_lint_result *r)
{
	json_decref(r->parsed);
	r->parsed = NULL;
	ma_findings_fini(&r->findings);
}

/* ---- values of every tag ------------------------------------------------------------------------------------ */

static void test_parse_values(void **state)
{
	(void)state;
	struct ma_dmarc_record r;
	const char *rec = "v=DMARC1; p=Reject; sp=quarantine; np=none; adkim=s; aspf=S; pct=50; rf=afrf; ri=3600; "
			  "fo=1:d:s; rua=mailto:a@Example.COM!10m, https://r.example/x; ruf=mailto:f@example.net; "
			  "t=y; psd=n;";
	assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, NULL), MA_OK);
	assert_true(r.valid);
	assert_int_equal(r.p, MA_DMARC_P_REJECT);
	assert_int_equal(r.sp, MA_DMARC_P_QUARANTINE);
	assert_int_equal(r.np, MA_DMARC_P_NONE);
	assert_int_equal(r.adkim, MA_DMARC_STRICT);
	assert_int_equal(r.aspf, MA_DMARC_STRICT);
	assert_int_equal(r.pct, 50);
	assert_string_equal(r.rf, "afrf");
	assert_int_equal(r.ri, 3600);
	assert_int_equal(r.fo, MA_DMARC_FO_1 | MA_DMARC_FO_D | MA_DMARC_FO_S);
	assert_int_equal(r.nrua, 2);
	assert_string_equal(r.rua[0].uri, "mailto:a@Example.COM");
	assert_true(r.rua[0].has_size);
	assert_int_equal(r.rua[0].max_size, 10);
	assert_int_equal(r.rua[0].unit, 'm');
	assert_string_equal(r.rua[0].domain, "example.com");
	assert_true(r.rua[0].mailto);
	assert_false(r.rua[1].mailto);
	assert_null(r.rua[1].domain);
	assert_int_equal(r.nruf, 1);
	assert_true(r.t);
	assert_int_equal(r.psd, MA_DMARC_PSD_N);
	assert_int_equal(r.generation, MA_DMARC_GEN_MIXED);
	assert_true(r.applies);
	assert_int_equal(r.eff_p, MA_DMARC_P_REJECT);
	assert_int_equal(r.eff_sp, MA_DMARC_P_QUARANTINE);
	assert_int_equal(r.eff_np, MA_DMARC_P_NONE);
	json_t *j = ma_dmarc_record_to_json(&r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "p")), "reject");
	assert_string_equal(json_string_value(json_object_get(j, "fo")), "1:d:s");
	assert_string_equal(json_string_value(json_object_get(j, "generation")), "mixed");
	json_decref(j);
	ma_dmarc_record_fini(&r);

	/* Defaults, and inheritance: sp from p, np from sp (RFC 9989 4.7). */
	rec = "v=DMARC1;p=quarantine";
	assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, NULL), MA_OK);
	assert_true(r.valid);
	assert_int_equal(r.adkim, MA_DMARC_RELAXED);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.ri, 86400);
	assert_int_equal(r.fo, MA_DMARC_FO_0);
	assert_int_equal(r.psd, MA_DMARC_PSD_U);
	assert_false(r.t);
	assert_int_equal(r.eff_sp, MA_DMARC_P_QUARANTINE);
	assert_int_equal(r.eff_np, MA_DMARC_P_QUARANTINE);
	assert_int_equal(r.generation, MA_DMARC_GEN_COMMON);
	ma_dmarc_record_fini(&r);

	rec = "v=DMARC1; p=reject; sp=none";
	assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, NULL), MA_OK);
	assert_int_equal(r.eff_np, MA_DMARC_P_NONE);
	ma_dmarc_record_fini(&r);

	rec = "v=DMARC1; p=none; pct=0; ri=0";
	assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, NULL), MA_OK);
	assert_int_equal(r.pct, 0);
	assert_int_equal(r.generation, MA_DMARC_GEN_RFC7489);
	ma_dmarc_record_fini(&r);

	rec = "v=DMARC1; p=none; t=n; psd=y";
	assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, NULL), MA_OK);
	assert_int_equal(r.generation, MA_DMARC_GEN_RFC9989);
	assert_int_equal(r.psd, MA_DMARC_PSD_Y);
	ma_dmarc_record_fini(&r);
}

/* ---- findings per record ------------------------------------------------------------------------------------ */

struct lint_case {
	const char *record;
	bool valid;
	const char *want[6]; /* IDs that must be present */
	const char *not[3];  /* IDs that must be absent */
};

static const struct lint_case lint_cases[] = {
	{"v=DMARC1; p=reject; rua=mailto:d@example.com", true, {"dmarc.policy.enforced"},
	 {"dmarc.rua.missing", "dmarc.policy.none"}},
	{"", false, {"dmarc.record.empty"}, {NULL}},
	{"   ", false, {"dmarc.record.empty"}, {NULL}},
	{"p=none; v=DMARC1", false, {"dmarc.record.not-dmarc"}, {NULL}},
	{"v=spf1 -all", false, {"dmarc.record.not-dmarc"}, {NULL}},
	{"v=dmarc1; p=none", false, {"dmarc.record.version-invalid"}, {NULL}},
	{"v=DMARC1 p=none", false, {"dmarc.record.version-invalid"}, {NULL}},
	{"v=DMARC12", false, {"dmarc.record.version-invalid"}, {NULL}},
	{"v=", false, {"dmarc.record.not-dmarc"}, {NULL}},
	{"v=DMARC1; p=none; bogus; rua=mailto:a@example.com", true, {"dmarc.record.syntax", "dmarc.policy.none"}, {NULL}},
	{"v=DMARC1;; p=none", true, {"dmarc.record.syntax"}, {NULL}},
	{"v=DMARC1; p=none; p=reject", true, {"dmarc.tag.duplicate", "dmarc.policy.none"}, {NULL}},
	{"v=DMARC1; p=none; foo=bar", true, {"dmarc.tag.unknown"}, {NULL}},
	{"v=DMARC1; p=none; adkim=x", true, {"dmarc.tag.invalid"}, {NULL}},
	{"v=DMARC1; sp=reject; p=reject", true, {"dmarc.tag.p-not-second", "dmarc.policy.enforced"}, {NULL}},
	{"v=DMARC1; p=reject; pct=25", true, {"dmarc.tag.rfc7489-only", "dmarc.pct.partial"}, {NULL}},
	{"v=DMARC1; p=reject; pct=100; ri=3600", true, {"dmarc.tag.rfc7489-only"}, {"dmarc.pct.partial"}},
	{"v=DMARC1; p=reject; t=y", true, {"dmarc.tag.rfc9989-only", "dmarc.testing"}, {NULL}},
	{"v=DMARC1; p=none; rua=bogus", true, {"dmarc.uri.invalid", "dmarc.rua.missing"}, {NULL}},
	{"v=DMARC1; p=none; rua=mailto:a@example.com!10m", true, {"dmarc.uri.size-suffix"}, {NULL}},
	{"v=DMARC1; adkim=s", true, {"dmarc.policy.missing"}, {NULL}},
	{"v=DMARC1", true, {"dmarc.policy.missing", "dmarc.rua.missing"}, {NULL}},
	{"v=DMARC1; rua=mailto:a@example.com", true, {"dmarc.policy.as-none"}, {"dmarc.policy.missing"}},
	{"v=DMARC1; p=reject; sp=bad; rua=mailto:a@example.com", true, {"dmarc.policy.as-none", "dmarc.tag.invalid"}, {NULL}},
	{"v=DMARC1; p=none", true, {"dmarc.policy.none", "dmarc.rua.missing"}, {NULL}},
	{"v=DMARC1; p=reject; sp=none", true, {"dmarc.sp.weaker"}, {NULL}},
	{"v=DMARC1; p=reject; np=quarantine", true, {"dmarc.np.weaker"}, {"dmarc.sp.weaker"}},
	{"v=DMARC1; p=reject; sp=none; np=reject", true, {"dmarc.sp.weaker"}, {"dmarc.np.weaker"}},
	{"v=DMARC1; p=reject; rua=mailto:a@x.example,mailto:b@x.example,mailto:c@x.example", true,
	 {"dmarc.rua.too-many"}, {NULL}},
	{"v=DMARC1; p=reject; rua=https://r.example/dmarc", true, {"dmarc.uri.not-mailto"}, {NULL}},
	{"v=DMARC1; p=reject; rua=mailto://abuse.com", true, {"dmarc.uri.mailto-invalid"}, {NULL}},
	{"v=DMARC1; p=reject; ruf=mailto:f@example.com", true, {"dmarc.ruf.present"}, {"dmarc.fo.without-ruf"}},
	{"v=DMARC1; p=reject; ruf=mailto:dmarc-ruf@dmarc.service.gov.uk", true, {"dmarc.ruf.central-service"}, {NULL}},
	{"v=DMARC1; p=reject; fo=1", true, {"dmarc.fo.without-ruf"}, {NULL}},
	{"v=DMARC1; p=reject; fo=0:1; ruf=mailto:f@example.com", true, {"dmarc.fo.conflict"}, {NULL}},
	{"v=DMARC1; p=reject; rf=iodef", true, {"dmarc.rf.unsupported"}, {NULL}},
	{"v=DMARC1; p=reject; psd=y", true, {"dmarc.psd.declared"}, {NULL}},
	{"  v = DMARC1 ;\tp = reject ;  ", true, {"dmarc.policy.enforced"}, {"dmarc.record.syntax"}},
};

static void test_lint_findings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof lint_cases / sizeof lint_cases[0]; i++) {
		const struct lint_case *c = &lint_cases[i];
		struct ma_lint_result got;
		assert_int_equal(ma_dmarc_lint(c->record, strlen(c->record), &got), MA_OK);
		if (got.valid != c->valid)
			fail_msg("%s: valid %d, want %d", c->record, got.valid, c->valid);
		assert_non_null(got.parsed);
		for (size_t k = 0; k < 6 && c->want[k]; k++)
			if (!ma_findings_has(&got.findings, c->want[k]))
				fail_msg("'%s': want finding %s", c->record, c->want[k]);
		for (size_t k = 0; k < 3 && c->not[k]; k++)
			if (ma_findings_has(&got.findings, c->not[k]))
				fail_msg("'%s': unexpected finding %s", c->record, c->not[k]);
		lint_fini(&got);
	}
}

static void test_too_long_and_many(void **state)
{
	(void)state;
	struct ma_lint_result got;
	/* 64 KiB record */
	size_t n = 65536;
	char *big = malloc(n);
	assert_non_null(big);
	memcpy(big, "v=DMARC1; p=none; rua=", 22);
	memset(big + 22, 'a', n - 22);
	assert_int_equal(ma_dmarc_lint(big, n, &got), MA_OK);
	assert_false(got.valid);
	assert_true(ma_findings_has(&got.findings, "dmarc.record.too-long"));
	lint_fini(&got);

	/* thousands of tags (under the byte cap) */
	size_t off = 0;
	off += (size_t)snprintf(big + off, n - off, "v=DMARC1; p=reject");
	while (off + 8 < MA_DMARC_RECORD_MAX - 8)
		off += (size_t)snprintf(big + off, n - off, ";x=1");
	assert_int_equal(ma_dmarc_lint(big, off, &got), MA_OK);
	assert_true(got.valid);
	assert_true(ma_findings_has(&got.findings, "dmarc.record.too-many-tags"));
	assert_true(got.findings.n < 2 * MA_DMARC_TAGS_MAX);
	lint_fini(&got);

	/* a thousand URIs */
	off = (size_t)snprintf(big, n, "v=DMARC1; p=reject; rua=");
	while (off + 20 < MA_DMARC_RECORD_MAX)
		off += (size_t)snprintf(big + off, n - off, "mailto:a@b.example,");
	assert_int_equal(ma_dmarc_lint(big, off, &got), MA_OK);
	assert_true(ma_findings_has(&got.findings, "dmarc.uri.invalid")); /* "too many URIs" */
	lint_fini(&got);
	free(big);

	/* NULs and non-ASCII: findings, never a crash */
	static const char nul[] = "v=DMARC1; p=re\0ject; rua=mailto:\xff@\xc3\xa9.example";
	assert_int_equal(ma_dmarc_lint(nul, sizeof nul - 1, &got), MA_OK);
	assert_true(got.valid);
	assert_true(ma_findings_has(&got.findings, "dmarc.tag.invalid"));
	assert_true(ma_findings_has(&got.findings, "dmarc.uri.invalid"));
	lint_fini(&got);
	static const char nulv[] = "v=DMARC1\0; p=reject";
	assert_int_equal(ma_dmarc_lint(nulv, sizeof nulv - 1, &got), MA_OK);
	assert_false(got.valid);
	lint_fini(&got);
}

static void test_is_record(void **state)
{
	(void)state;
	assert_true(ma_dmarc_is_record("v=DMARC1", 8));
	assert_true(ma_dmarc_is_record("v=DMARC1;", 9));
	assert_true(ma_dmarc_is_record("V = DMARC1 ; p=none", 19));
	assert_false(ma_dmarc_is_record("v=DMARC1 p=none", 15));
	assert_false(ma_dmarc_is_record("v=DMARC10", 9));
	assert_false(ma_dmarc_is_record("v=dmarc1", 8));
	assert_false(ma_dmarc_is_record("", 0));
	assert_false(ma_dmarc_is_record("v=DMARC", 7));
}

/* ---- shared suites ----------------------------------------------------------------------------------------- */

static json_t *load_suite(const char *rel)
{
	const char *dir = getenv("MA_SHARED_DIR");
	if (dir == NULL)
		return NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	return json_load_file(path, 0, NULL);
}

static bool has_problem(const struct ma_findings *f)
{
	return ma_findings_worst(f) >= MA_SEV_WARNING;
}

/* mox dmarc/parse_test.go: its "bad" records all give a warning or error (or are not DMARC at all); its "valid"
 * records parse to the same values. mox is stricter than RFC 9989 in places (see the suite's notes): there we
 * require a finding rather than a rejection. */
static void test_mox_vectors(void **state)
{
	(void)state;
	json_t *s = load_suite("suites/dmarc/mox/vectors.json");
	if (s == NULL)
		skip();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(s, "bad"), i, v) {
		const char *rec = json_string_value(json_object_get(v, "record"));
		struct ma_lint_result got;
		assert_int_equal(ma_dmarc_lint(rec, strlen(rec), &got), MA_OK);
		if (got.valid && !has_problem(&got.findings))
			fail_msg("mox bad record '%s' gave no warning or error", rec);
		lint_fini(&got);
	}
	json_array_foreach(json_object_get(s, "valid"), i, v) {
		const char *rec = json_string_value(json_object_get(v, "record"));
		json_t *want = json_object_get(v, "expect");
		struct ma_dmarc_record r;
		struct ma_findings f;
		ma_findings_init(&f);
		assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, &f), MA_OK);
		assert_true(r.valid);
		assert_true(r.applies);
		assert_string_equal(ma_dmarc_policy_name(r.eff_p), json_string_value(json_object_get(want, "p")));
		assert_string_equal(ma_dmarc_policy_name(r.eff_sp), json_string_value(json_object_get(want, "sp")));
		assert_int_equal(r.adkim == MA_DMARC_STRICT ? 's' : 'r', json_string_value(json_object_get(want, "adkim"))[0]);
		assert_int_equal(r.aspf == MA_DMARC_STRICT ? 's' : 'r', json_string_value(json_object_get(want, "aspf"))[0]);
		assert_int_equal(r.pct, json_integer_value(json_object_get(want, "pct")));
		assert_int_equal(r.ri, json_integer_value(json_object_get(want, "ri")));
		json_t *rua = json_object_get(want, "rua"), *ruf = json_object_get(want, "ruf");
		assert_int_equal(r.nrua, json_array_size(rua));
		assert_int_equal(r.nruf, json_array_size(ruf));
		for (size_t k = 0; k < r.nrua; k++) {
			json_t *u = json_array_get(rua, k);
			assert_string_equal(r.rua[k].uri, json_string_value(json_object_get(u, "uri")));
			if (json_object_get(u, "max_size") != NULL) {
				assert_true(r.rua[k].has_size);
				assert_int_equal(r.rua[k].max_size, json_integer_value(json_object_get(u, "max_size")));
				assert_int_equal(r.rua[k].unit, json_string_value(json_object_get(u, "unit"))[0]);
			}
		}
		for (size_t k = 0; k < r.nruf; k++) {
			json_t *u = json_array_get(ruf, k);
			assert_string_equal(r.ruf[k].uri, json_string_value(json_object_get(u, "uri")));
		}
		unsigned fo = 0;
		size_t j;
		json_t *e;
		json_array_foreach(json_object_get(want, "fo"), j, e) {
			char c = json_string_value(e)[0];
			fo |= c == '0' ? MA_DMARC_FO_0 : c == '1' ? MA_DMARC_FO_1 : c == 'd' ? MA_DMARC_FO_D : MA_DMARC_FO_S;
		}
		assert_int_equal(r.fo, fo);
		if (strstr(rec, "=invalid") == NULL)
			assert_false(ma_findings_has(&f, "dmarc.tag.invalid"));
		ma_findings_fini(&f);
		ma_dmarc_record_fini(&r);
	}
	json_decref(s);
}

/* OpenDMARC libopendmarc/tests: parse status codes. OK means a DMARC record with no invalid-value finding;
 * BAD_VALUE a warning/error about a value; NO_REQUIRED_P no DMARC processing; EMPTY/BAD_VERSION not a record. */
static void test_opendmarc_parse(void **state)
{
	(void)state;
	json_t *s = load_suite("suites/dmarc/opendmarc/vectors.json");
	if (s == NULL)
		skip();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(s, "parse"), i, v) {
		const char *rec = json_string_value(json_object_get(v, "record"));
		const char *want = json_string_value(json_object_get(v, "expect"));
		int n = (int)json_integer_value(json_object_get(v, "n"));
		struct ma_lint_result got;
		assert_int_equal(ma_dmarc_lint(rec, strlen(rec), &got), MA_OK);
		if (strcmp(want, "DMARC_PARSE_OKAY") == 0 && n != 5) {
			assert_true(got.valid);
			assert_false(ma_findings_has(&got.findings, "dmarc.tag.invalid"));
		} else if (n == 5) {
			/* OpenDMARC accepts "p=n" as an abbreviation; RFC 9989 4.8 dmarc-request does not. */
			assert_true(got.valid);
			assert_true(ma_findings_has(&got.findings, "dmarc.tag.invalid"));
		} else if (strcmp(want, "DMARC_PARSE_ERROR_BAD_VALUE") == 0) {
			assert_true(got.valid);
			if (!ma_findings_has(&got.findings, "dmarc.tag.invalid") &&
			    !ma_findings_has(&got.findings, "dmarc.rf.unsupported"))
				fail_msg("opendmarc #%d '%s': want a bad-value finding", n, rec);
		} else if (strcmp(want, "DMARC_PARSE_ERROR_NO_REQUIRED_P") == 0) {
			assert_true(ma_findings_has(&got.findings, "dmarc.policy.missing"));
		} else {
			assert_false(got.valid);
		}
		lint_fini(&got);
	}
	/* fetch: the values of a full record */
	json_t *fetch = json_object_get(s, "fetch");
	const char *rec = json_string_value(json_object_get(fetch, "record"));
	struct ma_dmarc_record r;
	assert_int_equal(ma_dmarc_parse(rec, strlen(rec), &r, NULL), MA_OK);
	assert_int_equal(r.pct, json_integer_value(json_object_get(json_object_get(fetch, "expect"), "pct")));
	assert_int_equal(r.adkim, MA_DMARC_STRICT);
	assert_int_equal(r.aspf, MA_DMARC_STRICT);
	ma_dmarc_record_fini(&r);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_lint_findings),
		cmocka_unit_test(test_too_long_and_many),
		cmocka_unit_test(test_is_record),
		cmocka_unit_test(test_mox_vectors),
		cmocka_unit_test(test_opendmarc_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
