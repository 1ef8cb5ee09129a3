/* tests/unit/lib/test_tlsrpt_parse.c — TLS-RPT records (RFC 8460 3): rua URIs, extensions, record selection,
 * every tlsrpt.* finding, the RFC / mox / stalwart vectors from the shared suite, hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/lint.h"
#include "lib/tlsrpt.h"

static bool parse_ok(const char *s, size_t n, struct ma_findings *f)
{
	struct ma_tlsrpt_record r;
	assert_int_equal(ma_tlsrpt_parse(s, n, &r, f), MA_OK);
	bool ok = r.valid;
	ma_tlsrpt_record_fini(&r);
	return ok;
}

static void test_values(void **state)
{
	(void)state;
	const char *s = "v=TLSRPTv1 ; rua=mailto:tls@example.com , https://r.example/v1/tlsrpt?x=%2C ;x-ext=1";
	struct ma_tlsrpt_record r;
	struct ma_findings f;
	ma_findings_init(&f);
	assert_int_equal(ma_tlsrpt_parse(s, strlen(s), &r, &f), MA_OK);
	assert_true(r.valid);
	assert_int_equal(r.nrua, 2);
	assert_string_equal(r.rua[0], "mailto:tls@example.com");
	assert_string_equal(r.rua[1], "https://r.example/v1/tlsrpt?x=%2C");
	assert_int_equal(r.extensions, 1);
	assert_true(ma_findings_has(&f, "tlsrpt.rua.ok"));
	assert_true(ma_findings_has(&f, "tlsrpt.record.extension"));
	assert_false(ma_findings_has(&f, "tlsrpt.rua.uk-central"));
	json_t *j = ma_tlsrpt_record_to_json(&r);
	assert_int_equal(json_array_size(json_object_get(j, "rua")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "v")), "TLSRPTv1");
	json_decref(j);
	ma_findings_fini(&f);
	ma_tlsrpt_record_fini(&r);
}

static void test_uk_central(void **state)
{
	(void)state;
	/* the UK standard's government address counts, whatever the case of the mailto: scheme and host */
	const char *s = "v=TLSRPTv1; rua=MAILTO:tls-rua@MailCheck.service.ncsc.gov.uk";
	struct ma_findings f;
	ma_findings_init(&f);
	assert_true(parse_ok(s, strlen(s), &f));
	assert_true(ma_findings_has(&f, "tlsrpt.rua.uk-central"));
	assert_false(ma_findings_has(&f, "tlsrpt.rua.ok"));
	ma_findings_fini(&f);
}

static void test_findings(void **state)
{
	(void)state;
	static const struct {
		const char *rec;
		const char *id;
		bool valid;
	} cases[] = {
	    {"v=TLSRPTv2; rua=mailto:a@b.example", "tlsrpt.record.version", false},
	    {"rua=mailto:a@b.example; v=TLSRPTv1", "tlsrpt.record.version", false},
	    {"v=tlsrptv1; rua=mailto:a@b.example", "tlsrpt.record.version", false},
	    {"v=TLSRPTv1 rua=mailto:a@b.example", "tlsrpt.record.syntax", false},
	    {"v=TLSRPTv1; rua=mailto:a@b.example;;", "tlsrpt.record.syntax", false},
	    {"v=TLSRPTv1; rua=mailto:a@b.example; x", "tlsrpt.record.syntax", false},
	    {"v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example", "tlsrpt.record.duplicate", true},
	    {"v=TLSRPTv1; rua=mailto:a@b.example; ext=1", "tlsrpt.record.extension", true},
	    {"v=TLSRPTv1", "tlsrpt.rua.missing", false},
	    {"v=TLSRPTv1; ext=1", "tlsrpt.rua.missing", false},
	    {"v=TLSRPTv1; rua=", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=mailto:nobody", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=mailto:@b.example", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=mailto:a@localhost", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=https://", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=https:///path", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=https://r.example/%zz", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=mailto:a!b@b.example", "tlsrpt.rua.invalid", false},
	    {"v=TLSRPTv1; rua=http://r.example/x", "tlsrpt.rua.http", false},
	    {"v=TLSRPTv1; rua=ftp://r.example/x", "tlsrpt.rua.scheme", false},
	    /* one bad destination among good ones: still a usable record, with an error for the bad one */
	    {"v=TLSRPTv1; rua=http://r.example/x,mailto:a@b.example", "tlsrpt.rua.http", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_findings f;
		ma_findings_init(&f);
		bool ok = parse_ok(cases[i].rec, strlen(cases[i].rec), &f);
		if (ok != cases[i].valid || !ma_findings_has(&f, cases[i].id))
			fail_msg("'%s': want valid=%d with %s", cases[i].rec, cases[i].valid, cases[i].id);
		if (!ok && ma_findings_worst(&f) != MA_SEV_ERROR)
			fail_msg("'%s': invalid without an error finding", cases[i].rec);
		ma_findings_fini(&f);
	}
}

static void test_hostile(void **state)
{
	(void)state;
	struct ma_findings f;
	size_t n = 64 * 1024;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ',', n);
	memcpy(big, "v=TLSRPTv1; rua=", 16);
	ma_findings_init(&f);
	assert_false(parse_ok(big, n, &f));
	assert_true(ma_findings_has(&f, "tlsrpt.record.too-long"));
	ma_findings_fini(&f);

	/* thousands of URIs within the byte cap: a bounded number kept, all judged */
	size_t o = (size_t)snprintf(big, n, "v=TLSRPTv1; rua=");
	for (int i = 0; o + 16 < MA_TLSRPT_TXT_MAX; i++)
		o += (size_t)snprintf(big + o, n - o, "mailto:a@b.ex,");
	big[o - 1] = ';';
	struct ma_tlsrpt_record r;
	ma_findings_init(&f);
	assert_int_equal(ma_tlsrpt_parse(big, o, &r, &f), MA_OK);
	assert_true(r.valid);
	assert_int_equal(r.nrua, MA_TLSRPT_RUA_MAX);
	assert_true(ma_findings_has(&f, "tlsrpt.rua.too-many")); /* what was not kept is said, not silently lost */
	assert_true(ma_findings_has(&f, "tlsrpt.rua.ok"));
	ma_findings_fini(&f);
	ma_tlsrpt_record_fini(&r);
	/* exactly the cap: all kept, nothing to say */
	o = (size_t)snprintf(big, n, "v=TLSRPTv1; rua=mailto:a@b.ex");
	for (int i = 1; i < MA_TLSRPT_RUA_MAX; i++)
		o += (size_t)snprintf(big + o, n - o, ",https://r%d.example/", i);
	ma_findings_init(&f);
	assert_int_equal(ma_tlsrpt_parse(big, o, &r, &f), MA_OK);
	assert_int_equal(r.nrua, MA_TLSRPT_RUA_MAX);
	assert_false(ma_findings_has(&f, "tlsrpt.rua.too-many"));
	assert_int_equal(ma_findings_worst(&f), MA_SEV_OK);
	ma_findings_fini(&f);
	ma_tlsrpt_record_fini(&r);

	/* 10,000 empty URIs (commas): over the cap, refused */
	memset(big, ',', n);
	memcpy(big, "v=TLSRPTv1; rua=", 16);
	assert_false(parse_ok(big, 16 + 10000, NULL));

	static const char nul[] = "v=TLSRPTv1; rua=mailto:a\0@b.example";
	ma_findings_init(&f);
	assert_false(parse_ok(nul, sizeof nul - 1, &f));
	assert_true(ma_findings_has(&f, "tlsrpt.rua.invalid"));
	ma_findings_fini(&f);
	static const char utf8[] = "v=TLSRPTv1; rua=mailto:tl\xc3\xa9@b.example,https://x\xff\x1b.example";
	ma_findings_init(&f);
	assert_false(parse_ok(utf8, sizeof utf8 - 1, &f));
	/* details quote the bad URI made printable, so the findings always serialise to JSON */
	json_t *j = ma_findings_to_json(&f);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "message")),
	                    "A rua destination is not a valid mailto: or https: URI: 'https://x??.example'");
	json_decref(j);
	ma_findings_fini(&f);
	free(big);
}

static struct ma_dns_rdata rdata(uint8_t *buf, const char *s)
{
	size_t n = strlen(s);
	assert_true(n < 256);
	buf[0] = (uint8_t)n;
	memcpy(buf + 1, s, n);
	return (struct ma_dns_rdata){buf, n + 1};
}

static void test_select(void **state)
{
	(void)state;
	uint8_t b[3][300];
	struct ma_dns_rdata rr[3] = {
	    rdata(b[0], "v=TLSRPTv10; rua=mailto:x@y.example"),
	    rdata(b[1], "v=TLSRPTv1; rua=mailto:a@b.example"),
	    rdata(b[2], "v=TLSRPTv1;rua=mailto:c@d.example"),
	};
	struct ma_tlsrpt_record r;
	size_t found;
	struct ma_findings f;
	ma_findings_init(&f);
	assert_int_equal(ma_tlsrpt_select(rr, 2, &r, &found, &f), MA_OK);
	assert_int_equal(found, 1);
	assert_true(r.valid);
	assert_string_equal(r.rua[0], "mailto:a@b.example");
	ma_tlsrpt_record_fini(&r);
	ma_findings_fini(&f);
	/* RFC 8460 3: more than one and senders assume no TLS-RPT */
	ma_findings_init(&f);
	assert_int_equal(ma_tlsrpt_select(rr, 3, &r, &found, &f), MA_OK);
	assert_int_equal(found, 2);
	assert_false(r.valid);
	assert_true(ma_findings_has(&f, "tlsrpt.record.multiple"));
	ma_tlsrpt_record_fini(&r);
	ma_findings_fini(&f);
	uint8_t bad[2] = {200, 'v'};
	struct ma_dns_rdata badrr = {bad, sizeof bad};
	assert_int_equal(ma_tlsrpt_select(&badrr, 1, &r, &found, NULL), MA_ERR_PARSE);
	ma_tlsrpt_record_fini(&r);
}

static void test_lint(void **state)
{
	(void)state;
	struct ma_lint_result r;
	const char *s = "v=TLSRPTv1; rua=mailto:a@b.example";
	assert_int_equal(ma_tlsrpt_lint(s, strlen(s), &r), MA_OK);
	assert_true(r.valid);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r.parsed, "rua"), 0)),
	                    "mailto:a@b.example");
	ma_lint_result_fini(&r);
	assert_int_equal(ma_tlsrpt_lint("v=TLSRPTv1", 10, &r), MA_OK);
	assert_false(r.valid);
	assert_int_equal(json_object_size(r.parsed), 0);
	ma_lint_result_fini(&r);
}

static void test_vectors(void **state)
{
	(void)state;
	const char *dir = getenv("MA_SHARED_DIR");
	if (dir == NULL || *dir == '\0')
		skip();
	char path[4096];
	snprintf(path, sizeof path, "%s/suites/tlsrpt/vectors.json", dir);
	json_t *root = json_load_file(path, 0, NULL);
	if (root == NULL)
		skip();
	json_t *rec = json_object_get(root, "record"), *v;
	size_t i, n = 0;
	json_array_foreach(json_object_get(rec, "rfc_examples"), i, v)
	{
		const char *txt = json_string_value(json_object_get(v, "txt"));
		if (!parse_ok(txt, strlen(txt), NULL))
			fail_msg("RFC example '%s' rejected", txt);
		n++;
	}
	json_array_foreach(json_object_get(rec, "mox_good"), i, v)
	{
		const char *txt = json_string_value(json_object_get(v, "txt"));
		struct ma_tlsrpt_record r;
		struct ma_findings f;
		ma_findings_init(&f);
		assert_int_equal(ma_tlsrpt_parse(txt, strlen(txt), &r, &f), MA_OK);
		if (!r.valid || ma_findings_worst(&f) >= MA_SEV_ERROR)
			fail_msg("mox_good '%s' rejected", txt);
		/* mox keeps repeated rua tags as groups; we flatten them (and warn) */
		size_t want = 0, k;
		json_t *group;
		json_array_foreach(json_object_get(json_object_get(v, "expect"), "rua"), k, group) want +=
		    json_array_size(group);
		assert_int_equal(r.nrua, want);
		assert_int_equal(r.extensions, json_array_size(json_object_get(json_object_get(v, "expect"), "ext")));
		ma_findings_fini(&f);
		ma_tlsrpt_record_fini(&r);
		n++;
	}
	json_array_foreach(json_object_get(rec, "mox_bad"), i, v)
	{
		const char *txt = json_string_value(json_object_get(v, "txt"));
		struct ma_findings f;
		ma_findings_init(&f);
		if (parse_ok(txt, strlen(txt), &f) || ma_findings_worst(&f) != MA_SEV_ERROR)
			fail_msg("mox_bad '%s' accepted", txt);
		ma_findings_fini(&f);
		n++;
	}
	assert_true(n >= 20);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),  cmocka_unit_test(test_uk_central), cmocka_unit_test(test_findings),
	    cmocka_unit_test(test_hostile), cmocka_unit_test(test_select),     cmocka_unit_test(test_lint),
	    cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
