/* tests/unit/lib/test_spf_tree.c — the expanded SPF tree through fakedns: lookups across includes against the
 * limits, void lookups, loops, missing and broken targets, multiple records, temporary failures (inconclusive,
 * never missing), macros, and the flattened IP ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "lib/err.h"
#include "lib/spf.h"

static struct ma_spf_tree *walk(struct fakedns *z, const char *domain)
{
	struct ma_spf_tree *t;
	struct ma_spf_tree_opts o = {.domain = domain};
	assert_int_equal(ma_spf_tree_new(&o, &t), MA_OK);
	struct ma_dns_question q;
	unsigned n = 0;
	int rc;
	while ((rc = ma_spf_tree_step(t, &q)) == MA_SPF_NEED_DNS) {
		assert_true(++n < 1100);
		struct ma_dns_answer a;
		fakedns_answer(z, &q, &a);
		assert_int_equal(ma_spf_tree_answer(t, &a), MA_OK);
	}
	assert_int_equal(rc, MA_SPF_DONE);
	return t;
}

static bool has(const struct ma_spf_tree *t, const char *id)
{
	return ma_findings_has(ma_spf_tree_findings(t), id);
}

static bool json_has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void test_flatten(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "example.com", "v=spf1 a mx ip4:198.51.100.0/24 include:_spf.provider.net -all", NULL);
	fakedns_a(z, "example.com", "192.0.2.1");
	fakedns_aaaa(z, "example.com", "2001:db8::1");
	fakedns_mx(z, "example.com", 10, "mx1.example.com");
	fakedns_a(z, "mx1.example.com", "192.0.2.25");
	fakedns_txt(z, "_spf.provider.net", "v=spf1 ip6:2001:db8:100::/48 ip4:203.0.113.0/24 -ip4:203.0.113.66 ~all",
		    NULL);
	struct ma_spf_tree *t = walk(z, "example.com");
	struct ma_spf_tree_summary s;
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_true(s.found);
	assert_false(s.inconclusive);
	assert_int_equal(s.lookups, 3);
	assert_int_equal(s.void_lookups, 0);
	json_t *j = ma_spf_tree_to_json(t);
	assert_non_null(j);
	json_t *ip4 = json_object_get(j, "ip4"), *ip6 = json_object_get(j, "ip6");
	assert_true(json_has_string(ip4, "192.0.2.1/32"));
	assert_true(json_has_string(ip4, "192.0.2.25/32"));
	assert_true(json_has_string(ip4, "198.51.100.0/24"));
	assert_true(json_has_string(ip4, "203.0.113.0/24"));
	assert_false(json_has_string(ip4, "203.0.113.66/32")); /* '-' terms authorise nothing */
	assert_true(json_has_string(ip6, "2001:db8:0:0:0:0:0:1/128"));
	assert_true(json_has_string(ip6, "2001:db8:100:0:0:0:0:0/48"));
	json_t *terms = json_object_get(json_object_get(j, "tree"), "terms");
	json_t *inc = json_object_get(json_array_get(terms, 3), "include");
	assert_string_equal(json_string_value(json_object_get(inc, "domain")), "_spf.provider.net");
	assert_false(has(t, "spf.lookups.high"));
	assert_true(has(t, "spf.all.ok"));
	json_decref(j);
	ma_spf_tree_free(t);
	fakedns_free(z);
}

static void test_limits(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	/* 4 + 4 + 4 = 12 lookups through two includes */
	fakedns_txt(z, "example.com", "v=spf1 a:h.example.com include:a.example.net include:b.example.net "
		    "exists:e.example.com -all", NULL);
	fakedns_a(z, "h.example.com", "192.0.2.1");
	fakedns_a(z, "e.example.com", "127.0.0.1");
	fakedns_txt(z, "a.example.net", "v=spf1 a:h.example.com a:h.example.com a:h.example.com a:h.example.com ~all",
		    NULL);
	fakedns_txt(z, "b.example.net", "v=spf1 a:h.example.com a:h.example.com a:h.example.com a:h.example.com ~all",
		    NULL);
	struct ma_spf_tree *t = walk(z, "example.com");
	struct ma_spf_tree_summary s;
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_int_equal(s.lookups, 12);
	assert_true(has(t, "spf.lookups.over-limit"));
	ma_spf_tree_free(t);
	fakedns_free(z);

	z = fakedns_new();
	fakedns_txt(z, "example.com", "v=spf1 include:a.example.net a:h.example.com a:h.example.com a:h.example.com "
		    "-all", NULL);
	fakedns_a(z, "h.example.com", "192.0.2.1");
	fakedns_txt(z, "a.example.net", "v=spf1 a:h.example.com a:h.example.com a:h.example.com ~all", NULL);
	t = walk(z, "example.com");
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_int_equal(s.lookups, 7);
	assert_true(has(t, "spf.lookups.high"));
	assert_false(has(t, "spf.lookups.over-limit"));
	ma_spf_tree_free(t);
	fakedns_free(z);

	/* void lookups over 2; an mx with 11 names */
	z = fakedns_new();
	fakedns_txt(z, "example.com", "v=spf1 a:nx1.example.com mx:nx2.example.com exists:nx3.example.com "
		    "mx:many.example.com -all", NULL);
	for (int i = 0; i < 11; i++) {
		char h[64];
		snprintf(h, sizeof h, "m%d.example.com", i);
		fakedns_mx(z, "many.example.com", 10, h);
	}
	t = walk(z, "example.com");
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_int_equal(s.void_lookups, 3);
	assert_true(has(t, "spf.void.over-limit"));
	assert_true(has(t, "spf.mx.too-many"));
	ma_spf_tree_free(t);
	fakedns_free(z);
}

static void test_broken_targets(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "example.com", "v=spf1 include:a.example.net include:gone.example.net include:bad.example.net "
		    "include:loop.example.net include:slow.example.net redirect=nowhere.example.net", NULL);
	fakedns_txt(z, "a.example.net", "v=spf1 include:example.com -all", NULL); /* back to the root */
	fakedns_txt(z, "bad.example.net", "v=spf1 ip4:300.1.1.1 -all", NULL);
	fakedns_txt(z, "loop.example.net", "v=spf1 redirect=loop.example.net", NULL);
	fakedns_timeout(z, "slow.example.net");
	struct ma_spf_tree *t = walk(z, "example.com");
	struct ma_spf_tree_summary s;
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_true(s.found);
	assert_true(s.inconclusive);
	assert_true(has(t, "spf.include.loop"));
	assert_true(has(t, "spf.include.no-record"));
	assert_true(has(t, "spf.include.invalid"));
	assert_true(has(t, "spf.lookup.inconclusive"));
	assert_true(has(t, "spf.redirect.no-record"));
	assert_true(has(t, "spf.all.missing") == false); /* a redirect stands in for all */
	json_t *j = ma_spf_tree_to_json(t);
	assert_non_null(j);
	json_decref(j);
	ma_spf_tree_free(t);
	fakedns_free(z);
}

static void test_domain_level(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "two.example", "v=spf1 -all", NULL);
	fakedns_txt(z, "two.example", "v=spf1 ~all", NULL);
	fakedns_txt(z, "other.example", "some-verification=1", NULL);
	fakedns_timeout(z, "slow.example");
	fakedns_txt(z, "macro.example", "v=spf1 exists:%{i}._spf.macro.example ptr -all", NULL);
	struct ma_spf_tree_summary s;

	struct ma_spf_tree *t = walk(z, "two.example");
	assert_true(has(t, "spf.record.multiple"));
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_false(s.found);
	ma_spf_tree_free(t);

	t = walk(z, "other.example");
	assert_true(has(t, "spf.record.missing"));
	ma_spf_tree_free(t);

	/* a timeout is inconclusive, never "missing" */
	t = walk(z, "slow.example");
	assert_true(has(t, "spf.lookup.inconclusive"));
	assert_false(has(t, "spf.record.missing"));
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_true(s.inconclusive);
	ma_spf_tree_free(t);

	t = walk(z, "macro.example");
	assert_true(has(t, "spf.tree.macro"));
	assert_true(has(t, "spf.ptr.used"));
	assert_int_equal(ma_spf_tree_summary(t, &s), MA_OK);
	assert_int_equal(s.lookups, 2);
	ma_spf_tree_free(t);
	fakedns_free(z);

	struct ma_spf_tree *bad;
	struct ma_spf_tree_opts o = {.domain = "a..b"};
	assert_int_equal(ma_spf_tree_new(&o, &bad), MA_ERR_INVAL);
}

/* A wide, deep tree stays bounded. */
static void test_bounded(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	for (int i = 0; i < 40; i++) {
		char name[64], rec[256];
		snprintf(name, sizeof name, "n%d.example", i);
		snprintf(rec, sizeof rec, "v=spf1 include:n%d.example include:n%d.example mx a -all", i + 1, i + 2);
		fakedns_txt(z, name, rec, NULL);
	}
	struct ma_spf_tree *t = walk(z, "n0.example");
	assert_true(has(t, "spf.lookups.over-limit"));
	ma_spf_tree_free(t);
	fakedns_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flatten),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_broken_targets),
		cmocka_unit_test(test_domain_level),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
