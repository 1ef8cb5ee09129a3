/* tests/unit/lib/test_spf_eval.c — check_host() through fakedns: every mechanism, include/redirect semantics,
 * the lookup, void and name limits, loops, temporary failures, the HELO identity, exp= and every macro letter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "spf_suite.h"
#include "lib/err.h"
#include "lib/spf.h"

struct got {
	enum ma_spf_result result;
	char explanation[512];
	unsigned lookups, voids, queries;
};

static struct got check(struct fakedns *z, const char *ip, const char *sender, const char *helo)
{
	struct got g = {0};
	struct ma_spf_eval_opts o = {.ip = ip, .sender = sender, .helo = helo, .receiver = "rcv.example.org",
				     .now = 1234567890};
	struct ma_spf_eval *ev;
	assert_int_equal(ma_spf_eval_new(&o, &ev), MA_OK);
	struct ma_dns_question q;
	unsigned n = 0;
	while (ma_spf_eval_step(ev, &q) == MA_SPF_NEED_DNS) {
		assert_true(++n < 300);
		struct ma_dns_answer a;
		fakedns_answer(z, &q, &a);
		assert_int_equal(ma_spf_eval_answer(ev, &a), MA_OK);
	}
	struct ma_spf_outcome out;
	assert_int_equal(ma_spf_eval_outcome(ev, &out), MA_OK);
	g.result = out.result;
	snprintf(g.explanation, sizeof g.explanation, "%s", out.explanation ? out.explanation : "");
	g.lookups = out.lookups;
	g.voids = out.void_lookups;
	g.queries = out.queries;
	ma_spf_eval_free(ev);
	return g;
}

/* One zone for the table: example.com hosts, and per-case records at <case>.t */
static struct fakedns *zone(void)
{
	struct fakedns *z = fakedns_new();
	fakedns_a(z, "host.example.com", "192.0.2.10");
	fakedns_aaaa(z, "host.example.com", "2001:db8::10");
	fakedns_mx(z, "mx.example.com", 10, "host.example.com");
	fakedns_a(z, "net24.example.com", "192.0.2.200");
	spf_suite_name_rr(z, MA_DNS_T_PTR, "10.2.0.192.in-addr.arpa", "host.example.com");
	spf_suite_name_rr(z, MA_DNS_T_PTR, "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "host.example.com");
	fakedns_txt(z, "inc-pass.example.com", "v=spf1 ip4:192.0.2.10 -all", NULL);
	fakedns_txt(z, "inc-fail.example.com", "v=spf1 -all", NULL);
	fakedns_txt(z, "inc-perm.example.com", "v=spf1 foo", NULL);
	fakedns_timeout(z, "slow.example.com");
	fakedns_servfail(z, "broken.example.com");
	fakedns_txt(z, "red.example.com", "v=spf1 ip4:192.0.2.0/24 ~all", NULL);
	fakedns_a(z, "10.2.0.192.bl.example.com", "127.0.0.2");
	fakedns_a(z, "exists.example.com", "127.0.0.1");
	return z;
}

static const struct {
	const char *record;
	const char *ip;
	enum ma_spf_result want;
} cases[] = {
	{"v=spf1 -all", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 ~all", "192.0.2.10", MA_SPF_SOFTFAIL},
	{"v=spf1 ?all", "192.0.2.10", MA_SPF_NEUTRAL},
	{"v=spf1 all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1", "192.0.2.10", MA_SPF_NEUTRAL},
	{"v=spf1 ip4:192.0.2.10 -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.99", MA_SPF_PASS},
	{"v=spf1 ip4:192.0.2.0/25 -all", "192.0.2.200", MA_SPF_FAIL},
	{"v=spf1 ip4:192.0.2.10 -all", "::ffff:192.0.2.10", MA_SPF_PASS},
	{"v=spf1 ip6:2001:db8::/32 -all", "2001:db8::1", MA_SPF_PASS},
	{"v=spf1 ip6:2001:db8::/32 -all", "192.0.2.1", MA_SPF_FAIL},
	{"v=spf1 ip4:192.0.2.1 -all", "2001:db8::1", MA_SPF_FAIL},
	{"v=spf1 a:host.example.com -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 a:host.example.com -all", "2001:db8::10", MA_SPF_PASS},
	{"v=spf1 a:net24.example.com/24 -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 a:net24.example.com -all", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 a:host.example.com//64 -all", "2001:db8::ffff", MA_SPF_PASS},
	{"v=spf1 mx:mx.example.com -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 mx:mx.example.com -all", "192.0.2.11", MA_SPF_FAIL},
	{"v=spf1 mx:mx.example.com/30 -all", "192.0.2.11", MA_SPF_PASS},
	{"v=spf1 ptr:example.com -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 ptr:example.com -all", "2001:db8::10", MA_SPF_PASS},
	{"v=spf1 ptr:example.org -all", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 exists:exists.example.com -all", "192.0.2.1", MA_SPF_PASS},
	{"v=spf1 -exists:%{i}.bl.example.com +all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 -exists:%{ir}.bl.example.com +all", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 include:inc-pass.example.com -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 include:inc-pass.example.com ?all", "192.0.2.11", MA_SPF_NEUTRAL},
	{"v=spf1 include:inc-fail.example.com ?all", "192.0.2.10", MA_SPF_NEUTRAL},
	{"v=spf1 include:inc-perm.example.com -all", "192.0.2.10", MA_SPF_PERMERROR},
	{"v=spf1 include:nothing.example.com -all", "192.0.2.10", MA_SPF_PERMERROR},
	{"v=spf1 include:slow.example.com -all", "192.0.2.10", MA_SPF_TEMPERROR},
	{"v=spf1 a:broken.example.com -all", "192.0.2.10", MA_SPF_TEMPERROR},
	{"v=spf1 mx:slow.example.com -all", "192.0.2.10", MA_SPF_TEMPERROR},
	{"v=spf1 redirect=red.example.com", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 redirect=red.example.com", "198.51.100.1", MA_SPF_SOFTFAIL},
	{"v=spf1 redirect=nothing.example.com", "192.0.2.10", MA_SPF_PERMERROR},
	{"v=spf1 -all redirect=red.example.com", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 a:nx1.example.com a:nx2.example.com -all", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com -all", "192.0.2.10", MA_SPF_PERMERROR},
	{"v=spf1 a:host.example.com a:host.example.com a:host.example.com a:host.example.com a:host.example.com "
	 "a:host.example.com a:host.example.com a:host.example.com a:host.example.com a:host.example.com "
	 "ip4:192.0.2.99 -all", "192.0.2.99", MA_SPF_PASS},
	{"v=spf1 a:host.example.com a:host.example.com a:host.example.com a:host.example.com a:host.example.com "
	 "a:host.example.com a:host.example.com a:host.example.com a:host.example.com a:host.example.com "
	 "a:host.example.com -all", "192.0.2.99", MA_SPF_PERMERROR},
	{"v=spf1 ip4:192.0.2.10 a:1.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a -all", "192.0.2.10", MA_SPF_PASS},
	{"v=spf1 a:%{d}..example.com -all", "192.0.2.10", MA_SPF_FAIL},
	{"v=spf1 a:%{d0}.example.com -all", "192.0.2.10", MA_SPF_PERMERROR},
	{"v=spf1 include:self.t -all", "192.0.2.10", MA_SPF_PERMERROR}, /* a loop ends at the lookup limit */
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fakedns *z = zone();
		fakedns_txt_bytes(z, "c.t", MA_DNS_T_TXT, cases[i].record, strlen(cases[i].record));
		fakedns_txt(z, "self.t", "v=spf1 include:self.t -all", NULL);
		struct got g = check(z, cases[i].ip, "user@c.t", "mail.c.t");
		if (g.result != cases[i].want)
			fail_msg("%s from %s: got %s want %s", cases[i].record, cases[i].ip,
				 ma_spf_result_name(g.result), ma_spf_result_name(cases[i].want));
		fakedns_free(z);
	}
}

static void test_counts_and_limits(void **state)
{
	(void)state;
	struct fakedns *z = zone();
	fakedns_txt(z, "c.t", "v=spf1 a:nx1.example.com mx:mx.example.com include:inc-fail.example.com -all", NULL);
	struct got g = check(z, "192.0.2.99", "user@c.t", NULL);
	assert_int_equal(g.result, MA_SPF_FAIL);
	assert_int_equal(g.lookups, 3);
	assert_int_equal(g.voids, 1);
	fakedns_free(z);

	/* 11 MX names: permerror (4.6.4) */
	z = zone();
	fakedns_txt(z, "c.t", "v=spf1 mx -all", NULL);
	for (int i = 0; i < 11; i++) {
		char h[64];
		snprintf(h, sizeof h, "mx%d.example.com", i);
		fakedns_mx(z, "c.t", (uint16_t)i, h);
	}
	assert_int_equal(check(z, "192.0.2.99", "user@c.t", NULL).result, MA_SPF_PERMERROR);
	fakedns_free(z);

	/* 12 PTR names: only the first 10 are looked at */
	z = zone();
	fakedns_txt(z, "c.t", "v=spf1 ptr -all", NULL);
	for (int i = 0; i < 12; i++) {
		char h[64];
		snprintf(h, sizeof h, "h%d.c.t", i);
		spf_suite_name_rr(z, MA_DNS_T_PTR, "99.2.0.192.in-addr.arpa", h);
		fakedns_a(z, h, "192.0.2.99");
	}
	g = check(z, "192.0.2.99", "user@c.t", NULL);
	assert_int_equal(g.result, MA_SPF_PASS);
	fakedns_free(z);

	/* include loop: bounded, permerror */
	z = zone();
	fakedns_txt(z, "c.t", "v=spf1 include:d.t -all", NULL);
	fakedns_txt(z, "d.t", "v=spf1 include:c.t -all", NULL);
	g = check(z, "192.0.2.99", "user@c.t", NULL);
	assert_int_equal(g.result, MA_SPF_PERMERROR);
	assert_true(g.queries <= 12);
	fakedns_free(z);

	/* a timeout on the record itself is temperror, never none */
	z = zone();
	fakedns_timeout(z, "c.t");
	assert_int_equal(check(z, "192.0.2.99", "user@c.t", NULL).result, MA_SPF_TEMPERROR);
	fakedns_free(z);

	/* two SPF records: permerror; other TXT records ignored */
	z = zone();
	fakedns_txt(z, "c.t", "v=spf1 +all", NULL);
	fakedns_txt(z, "c.t", "v=spf1 -all", NULL);
	assert_int_equal(check(z, "192.0.2.99", "user@c.t", NULL).result, MA_SPF_PERMERROR);
	fakedns_free(z);
	z = zone();
	fakedns_txt(z, "c.t", "google-site-verification=abc", NULL);
	fakedns_txt(z, "c.t", "v=spf1 ", "+all", NULL);
	assert_int_equal(check(z, "192.0.2.99", "user@c.t", NULL).result, MA_SPF_PASS);
	fakedns_free(z);
}

static void test_identity(void **state)
{
	(void)state;
	struct fakedns *z = zone();
	fakedns_txt(z, "mail.c.t", "v=spf1 -all exp=why.c.t", NULL);
	fakedns_txt(z, "why.c.t", "%{l} at %{o} from %{i}", NULL);
	/* null reverse-path: HELO identity, sender postmaster@helo (2.4) */
	struct got g = check(z, "192.0.2.1", "", "mail.c.t");
	assert_int_equal(g.result, MA_SPF_FAIL);
	assert_string_equal(g.explanation, "postmaster at mail.c.t from 192.0.2.1");
	/* no local-part: postmaster (4.3) */
	g = check(z, "192.0.2.1", "@mail.c.t", "x.y");
	assert_string_equal(g.explanation, "postmaster at mail.c.t from 192.0.2.1");
	/* invalid domains: none without a query (4.3) */
	g = check(z, "192.0.2.1", "", "localhost");
	assert_int_equal(g.result, MA_SPF_NONE);
	assert_int_equal(g.queries, 0);
	g = check(z, "192.0.2.1", "a@[192.0.2.1]", "x.y");
	assert_int_equal(g.result, MA_SPF_NONE);
	fakedns_free(z);

	struct ma_spf_eval *ev;
	struct ma_spf_eval_opts bad = {.ip = "300.1.1.1", .sender = "a@b.c"};
	assert_int_equal(ma_spf_eval_new(&bad, &ev), MA_ERR_INVAL);
	struct ma_spf_eval_opts nohelo = {.ip = "192.0.2.1", .sender = ""};
	assert_int_equal(ma_spf_eval_new(&nohelo, &ev), MA_ERR_INVAL);
}

static void test_explanation(void **state)
{
	(void)state;
	struct fakedns *z = zone();
	fakedns_txt(z, "c.t", "v=spf1 include:i.t redirect=r.t exp=ignored.t", NULL);
	fakedns_txt(z, "i.t", "v=spf1 -all exp=ignored.t", NULL);
	fakedns_txt(z, "r.t", "v=spf1 -all exp=r-exp.t", NULL);
	fakedns_txt(z, "ignored.t", "wrong", NULL);
	fakedns_txt(z, "r-exp.t", "%{d} says no to %{c} at %{r}, %{t}; %{h} %%%_%-", NULL);
	struct got g = check(z, "2001:db8::1", "user@c.t", "helo.c.t");
	assert_int_equal(g.result, MA_SPF_FAIL);
	/* 6.2: redirect's target explains; include's never does */
	assert_string_equal(g.explanation, "r.t says no to 2001:db8::1 at rcv.example.org, 1234567890; helo.c.t % %20");
	fakedns_free(z);

	/* exp that cannot be fetched is ignored; the result stays fail */
	z = zone();
	fakedns_txt(z, "c.t", "v=spf1 -all exp=slow.example.com", NULL);
	g = check(z, "192.0.2.1", "user@c.t", NULL);
	assert_int_equal(g.result, MA_SPF_FAIL);
	assert_string_equal(g.explanation, "");
	fakedns_free(z);

	/* exp on a non-fail result is not fetched */
	z = zone();
	fakedns_txt(z, "c.t", "v=spf1 ~all exp=e.t", NULL);
	fakedns_txt(z, "e.t", "text", NULL);
	g = check(z, "192.0.2.1", "user@c.t", NULL);
	assert_int_equal(g.result, MA_SPF_SOFTFAIL);
	assert_int_equal(g.queries, 1);
	fakedns_free(z);
}

static void test_p_macro(void **state)
{
	(void)state;
	struct fakedns *z = zone();
	fakedns_txt(z, "c.t", "v=spf1 -all exp=e.t", NULL);
	fakedns_txt(z, "e.t", "%{p} / %{p2} / %{pr}", NULL);
	spf_suite_name_rr(z, MA_DNS_T_PTR, "1.2.0.192.in-addr.arpa", "fake.c.t");      /* does not resolve back */
	spf_suite_name_rr(z, MA_DNS_T_PTR, "1.2.0.192.in-addr.arpa", "mail.sub.c.t"); /* validated, subdomain of c.t */
	fakedns_a(z, "mail.sub.c.t", "192.0.2.1");
	struct got g = check(z, "192.0.2.1", "user@c.t", NULL);
	assert_string_equal(g.explanation, "mail.sub.c.t / c.t / t.c.sub.mail");
	/* no PTR: unknown */
	g = check(z, "192.0.2.2", "user@c.t", NULL);
	assert_string_equal(g.explanation, "unknown / unknown / unknown");
	fakedns_free(z);
}

static const struct {
	const char *spec;
	const char *want;
	bool exp;
} macro_cases[] = {
	{"%{s}", "strong-bad@email.example.com", false},
	{"%{o}", "email.example.com", false},
	{"%{d}", "email.example.com", false},
	{"%{d4}", "email.example.com", false},
	{"%{d3}", "email.example.com", false},
	{"%{d2}", "example.com", false},
	{"%{d1}", "com", false},
	{"%{dr}", "com.example.email", false},
	{"%{d2r}", "example.email", false},
	{"%{l}", "strong-bad", false},
	{"%{l-}", "strong.bad", false},
	{"%{lr}", "strong-bad", false},
	{"%{lr-}", "bad.strong", false},
	{"%{l1r-}", "strong", false},
	{"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", false},
	{"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", false},
	{"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", false},
	{"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", false},
	{"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", false},
	{"%{S}", "strong-bad%40email.example.com", false},
	{"%{h}", "mx.example.org", false},
	{"%{c} %{r} %{t}", "192.0.2.3 rcv.example %{t}", true},
	{"%%%_%-", "% %20", false},
};

static void test_macro_expand(void **state)
{
	(void)state;
	/* RFC 7208 7.4's examples */
	static const uint8_t ip[4] = {192, 0, 2, 3};
	struct ma_spf_macro_ctx c = {.sender = "strong-bad@email.example.com", .domain = "email.example.com",
				     .ip = ip, .helo = "mx.example.org", .receiver = "rcv.example", .now = 7};
	for (size_t i = 0; i < sizeof macro_cases / sizeof macro_cases[0]; i++) {
		char out[512];
		assert_int_equal(ma_spf_macro_expand(macro_cases[i].spec, &c, macro_cases[i].exp, false, out, sizeof out),
				 MA_OK);
		const char *want = macro_cases[i].want;
		if (strcmp(want, "192.0.2.3 rcv.example %{t}") == 0)
			want = "192.0.2.3 rcv.example 7";
		if (strcmp(out, want) != 0)
			fail_msg("%s: got '%s' want '%s'", macro_cases[i].spec, out, want);
	}
	/* IPv6 %{i} is dot-format nibbles; %{v} is ip6 */
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xcb};
	struct ma_spf_macro_ctx c6 = {.sender = "a@b.c", .domain = "b.c", .ip = ip6, .ipv6 = true};
	char out[512];
	assert_int_equal(ma_spf_macro_expand("%{ir}.%{v}", &c6, false, false, out, sizeof out), MA_OK);
	assert_string_equal(out, "b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6");
	/* c, r, t only in exp */
	assert_int_equal(ma_spf_macro_expand("%{c}", &c, false, false, out, sizeof out), MA_ERR_PARSE);
	/* domain results cut from the left to 253 octets */
	char spec[400];
	snprintf(spec, sizeof spec, "%s", "%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.example.com");
	assert_int_equal(ma_spf_macro_expand(spec, &c, false, true, out, sizeof out), MA_OK);
	assert_true(strlen(out) <= 253);
	assert_non_null(strstr(out, "example.com"));
	/* output cap */
	assert_int_equal(ma_spf_macro_expand(spec, &c, false, false, out, 32), MA_ERR_TOOBIG);
}

static void test_step_contract(void **state)
{
	(void)state;
	struct ma_spf_eval_opts o = {.ip = "192.0.2.1", .sender = "a@c.t"};
	struct ma_spf_eval *ev;
	assert_int_equal(ma_spf_eval_new(&o, &ev), MA_OK);
	struct ma_dns_question q1, q2;
	assert_int_equal(ma_spf_eval_step(ev, &q1), MA_SPF_NEED_DNS);
	assert_int_equal(ma_spf_eval_step(ev, &q2), MA_SPF_NEED_DNS); /* same question again */
	assert_string_equal(q1.name, q2.name);
	assert_int_equal(q1.type, MA_DNS_T_TXT);
	struct ma_spf_outcome out;
	assert_int_equal(ma_spf_eval_outcome(ev, &out), MA_ERR_STATE);
	struct ma_dns_answer a = {.status = MA_DNS_NXDOMAIN};
	assert_int_equal(ma_spf_eval_answer(ev, &a), MA_OK);
	assert_int_equal(ma_spf_eval_answer(ev, &a), MA_ERR_STATE);
	assert_int_equal(ma_spf_eval_step(ev, &q1), MA_SPF_DONE);
	assert_int_equal(ma_spf_eval_outcome(ev, &out), MA_OK);
	assert_int_equal(out.result, MA_SPF_NONE);
	ma_spf_eval_free(ev);
	ma_spf_eval_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_counts_and_limits),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_explanation),
		cmocka_unit_test(test_p_macro),
		cmocka_unit_test(test_macro_expand),
		cmocka_unit_test(test_step_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
