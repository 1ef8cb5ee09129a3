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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "knot.h"
#include "lib/dns.h"
#include "lib/err.h"
#include "net/resolver.h"

static struct knot_server *knot;

/* A 255-octet character-string (RFC 1035 3.3: the longest one) for the multi-string TXT. */
#define S255 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct knot_zone zones[] = {
	/* Signed, its DS in the trust-anchor file; the parent of the next three. */
	{.origin = "test.",
	 .sign = true,
	 .text = "a A 192.0.2.1\n"
		 "two TXT \"first\"\n"
		 "two TXT \"second\"\n"},
	/* Signed, DS in test.: secure through the chain test. -> good.test. */
	{.origin = "good.test.",
	 .sign = true,
	 .text = "@ A 192.0.2.10\n"
		 "@ AAAA 2001:db8::10\n"
		 "@ MX 10 mx1.good.test.\n"
		 "@ MX 20 mx2.good.test.\n"
		 "@ TXT \"v=spf1 \" \"ip4:192.0.2.0/24 \" \"-all\"\n"
		 "@ SPF \"v=spf1 -all\"\n"
		 "long TXT \"" S255 "\" \"\" \"b\"\n"
		 "empty TXT \"\"\n"
		 "alias CNAME good.test.\n"
		 "chain CNAME alias.good.test.\n"
		 "dangling CNAME nowhere.good.test.\n"
		 "mx1 A 192.0.2.11\n"},
	/* Signed, but test. holds a DS that matches none of its keys. */
	{.origin = "bogus.test.", .sign = true, .bogus = true, .text = "@ TXT \"tampered\"\n"},
	/* Unsigned child of a signed parent: provably insecure (NSEC proves there is no DS, RFC 4035 5.2). */
	{.origin = "unsigned.test.", .text = "@ TXT \"no signatures\"\n"},
	/* Unsigned, under no trust anchor at all. */
	{.origin = "plain.", .text = "@ TXT \"unsigned\"\n"},
	/* Signed with no served parent: its own DS goes into the trust-anchor file. */
	{.origin = "island.", .sign = true, .text = "@ TXT \"anchored\"\n"},
	/* Signed, no parent, and the anchor's digest is wrong. */
	{.origin = "badanchor.", .sign = true, .bogus = true, .text = "@ TXT \"tampered\"\n"},
	/* Both are local zones of libunbound unless it is told to ask the server (RFC 6761 6.3, RFC 6303). */
	{.origin = "2.0.192.in-addr.arpa.", .text = "10 PTR good.test.\n"},
	{.origin = "localhost.", .text = "@ A 192.0.2.99\n"},
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

static struct ma_resolver *resolver_for(const struct knot_server *k, bool validate, unsigned timeout_ms)
{
	struct ma_resolver_opts o = {
		.server = knot_server_addr(k),
		.trust_anchor_file = knot_trust_anchor_file(k),
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
	int err = ma_resolver_query(r, &q, a);
	if (err != MA_OK)
		fail_msg("%s %s: %s", name, ma_dns_type_name(type), ma_err_str(err));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_statuses_and_verdicts(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver_for(knot, true, 3000);
	static const struct {
		const char *name;
		uint16_t type;
		enum ma_dns_status status;
		enum ma_dnssec dnssec;
		size_t count;
	} cases[] = {
		/* A name under test.: unbound answers NXDOMAIN for it by itself unless told to ask the server. */
		{"a.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"two.test", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 2},
		{"good.test", MA_DNS_T_MX, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 2},
		{"good.test", MA_DNS_T_AAAA, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"good.test", MA_DNS_T_SPF, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"alias.good.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"chain.good.test", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"alias.good.test", MA_DNS_T_CNAME, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		/* A CNAME to nothing: the target's NXDOMAIN (RFC 6604 3). */
		{"dangling.good.test", MA_DNS_T_TXT, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0},
		{"good.test", MA_DNS_T_TLSA, MA_DNS_NODATA, MA_DNSSEC_SECURE, 0},
		{"mx1.good.test", MA_DNS_T_TXT, MA_DNS_NODATA, MA_DNSSEC_SECURE, 0},
		{"nope.good.test", MA_DNS_T_A, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0},
		{"nope.test", MA_DNS_T_TXT, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0},
		{"bogus.test", MA_DNS_T_TXT, MA_DNS_BOGUS, MA_DNSSEC_BOGUS, 0},
		{"badanchor", MA_DNS_T_TXT, MA_DNS_BOGUS, MA_DNSSEC_BOGUS, 0},
		{"island", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1},
		{"unsigned.test", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
		{"nope.unsigned.test", MA_DNS_T_TXT, MA_DNS_NXDOMAIN, MA_DNSSEC_INSECURE, 0},
		{"plain", MA_DNS_T_TXT, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
		{"plain", MA_DNS_T_MX, MA_DNS_NODATA, MA_DNSSEC_INSECURE, 0},
		{"10.2.0.192.in-addr.arpa", MA_DNS_T_PTR, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
		{"localhost", MA_DNS_T_A, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1},
		/* knot serves no zone here and refuses; unbound reports SERVFAIL — never "no such name". */
		{"elsewhere.example", MA_DNS_T_A, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_dns_answer a;
		double t0 = now_s();
		ask(r, cases[i].name, cases[i].type, &a);
		double took = now_s() - t0;
		if (a.status != cases[i].status || a.dnssec != cases[i].dnssec || a.count != cases[i].count)
			fail_msg("%s %s: got %s/%s/%zu, want %s/%s/%zu (%s)", cases[i].name,
				 ma_dns_type_name(cases[i].type), ma_dns_status_name(a.status),
				 ma_dnssec_name(a.dnssec), a.count, ma_dns_status_name(cases[i].status),
				 ma_dnssec_name(cases[i].dnssec), cases[i].count, a.why ? a.why : "");
		if (a.status != MA_DNS_ANSWER)
			assert_null(a.rr);
		if (a.status == MA_DNS_BOGUS) {
			/* unbound's own reason, not a placeholder: both bogus zones have a DS matching none of their keys. */
			assert_non_null(a.why);
			if (strstr(a.why, "DS hash mismatches key") == NULL)
				fail_msg("%s: why_bogus '%s'", cases[i].name, a.why);
		}
		if (a.status == MA_DNS_SERVFAIL)
			assert_string_equal(a.why, "SERVFAIL");
		/* All of these are answered (or refused) by the server at once, never by waiting out the deadline. */
		if (took > 2.0)
			fail_msg("%s %s took %.1f s", cases[i].name, ma_dns_type_name(cases[i].type), took);
	}
	assert_int_equal(ma_resolver_queries(r), sizeof cases / sizeof cases[0]);
	ma_resolver_free(r);
}

static void test_rdata(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver_for(knot, true, 3000);
	struct ma_dns_answer a;
	char *txt = NULL;
	size_t len = 0;

	ask(r, "good.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	assert_int_equal(a.count, 1);
	assert_int_equal(ma_dns_txt_join(&a.rr[0], &txt, &len), MA_OK);
	assert_string_equal(txt, "v=spf1 ip4:192.0.2.0/24 -all"); /* strings joined without separators */
	free(txt);

	ask(r, "long.good.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.count, 1);
	assert_int_equal(ma_dns_txt_join(&a.rr[0], &txt, &len), MA_OK);
	assert_int_equal(len, 256);
	assert_string_equal(txt, S255 "b");
	free(txt);

	ask(r, "empty.good.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.count, 1);
	assert_int_equal(a.rr[0].len, 1); /* one zero-length string */
	assert_int_equal(ma_dns_txt_join(&a.rr[0], &txt, &len), MA_OK);
	assert_int_equal(len, 0);
	free(txt);

	ask(r, "good.test", MA_DNS_T_SPF, &a); /* RFC 4408 type 99, deprecated by RFC 7208 3.1 */
	assert_int_equal(a.count, 1);
	assert_int_equal(ma_dns_txt_join(&a.rr[0], &txt, &len), MA_OK);
	assert_string_equal(txt, "v=spf1 -all");
	free(txt);

	ask(r, "two.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.count, 2);
	int seen = 0;
	for (size_t i = 0; i < a.count; i++) {
		assert_int_equal(ma_dns_txt_join(&a.rr[i], &txt, &len), MA_OK);
		seen |= strcmp(txt, "first") == 0 ? 1 : strcmp(txt, "second") == 0 ? 2 : 4;
		free(txt);
	}
	assert_int_equal(seen, 3);

	ask(r, "good.test", MA_DNS_T_MX, &a);
	assert_int_equal(a.count, 2);
	seen = 0;
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

	char name[MA_DNS_NAME_MAX + 1];
	ask(r, "10.2.0.192.in-addr.arpa", MA_DNS_T_PTR, &a);
	assert_int_equal(a.count, 1);
	assert_int_equal(ma_dns_rdata_name(&a.rr[0], name, sizeof name), MA_OK);
	assert_string_equal(name, "good.test");

	ask(r, "alias.good.test", MA_DNS_T_CNAME, &a);
	assert_int_equal(a.count, 1);
	assert_int_equal(ma_dns_rdata_name(&a.rr[0], name, sizeof name), MA_OK);
	assert_string_equal(name, "good.test");

	uint8_t v4[4], v6[16];
	/* Through two CNAMEs: the records are the target's. */
	ask(r, "chain.good.test", MA_DNS_T_A, &a);
	assert_int_equal(a.count, 1);
	assert_int_equal(ma_dns_rdata_a(&a.rr[0], v4), MA_OK);
	assert_memory_equal(v4, ((uint8_t[]){192, 0, 2, 10}), 4);

	ask(r, "localhost", MA_DNS_T_A, &a); /* the server's data, not unbound's 127.0.0.1 */
	assert_int_equal(ma_dns_rdata_a(&a.rr[0], v4), MA_OK);
	assert_memory_equal(v4, ((uint8_t[]){192, 0, 2, 99}), 4);

	ask(r, "good.test", MA_DNS_T_AAAA, &a);
	assert_int_equal(ma_dns_rdata_aaaa(&a.rr[0], v6), MA_OK);
	assert_memory_equal(v6, ((uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}), 16);
	ma_resolver_free(r);
}

static void test_no_validate(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver_for(knot, false, 3000);
	struct ma_dns_answer a;
	ask(r, "a.test", MA_DNS_T_A, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	assert_int_equal(a.dnssec, MA_DNSSEC_UNCHECKED);
	/* Without validation the tampered zone's data is just data. */
	ask(r, "bogus.test", MA_DNS_T_TXT, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	assert_int_equal(a.dnssec, MA_DNSSEC_UNCHECKED);
	ask(r, "nope.test", MA_DNS_T_A, &a);
	assert_int_equal(a.status, MA_DNS_NXDOMAIN);
	assert_int_equal(a.dnssec, MA_DNSSEC_UNCHECKED);
	ma_resolver_free(r);
}

/* Without --trust-anchor the root anchor applies: knot serves no root, so nothing under it validates. The answer
 * must not pass as secure or insecure data. */
static void test_root_anchor_without_root(void **state)
{
	(void)state;
	if (access("/usr/share/dns/root.key", R_OK) != 0)
		skip();
	struct ma_resolver_opts o = {.server = knot_server_addr(knot), .timeout_ms = 3000};
	struct ma_resolver *r = NULL;
	assert_int_equal(ma_resolver_new(&o, &r, NULL), MA_OK);
	struct ma_dns_answer a;
	ask(r, "a.test", MA_DNS_T_A, &a);
	if (a.status == MA_DNS_ANSWER || a.status == MA_DNS_NODATA || a.status == MA_DNS_NXDOMAIN)
		fail_msg("a.test under an unreachable root anchor: %s/%s", ma_dns_status_name(a.status),
			 ma_dnssec_name(a.dnssec));
	ma_resolver_free(r);
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
	for (int validate = 0; validate < 2; validate++) {
		struct ma_resolver_opts o = {.server = server,
					     .no_validate = !validate,
					     .trust_anchor_file = knot_trust_anchor_file(knot),
					     .timeout_ms = 400};
		struct ma_resolver *r = NULL;
		assert_int_equal(ma_resolver_new(&o, &r, NULL), MA_OK);
		struct ma_dns_answer a;
		double t0 = now_s();
		ask(r, "silent.test", MA_DNS_T_TXT, &a);
		double took = now_s() - t0;
		assert_int_equal(a.status, MA_DNS_TIMEOUT);
		assert_int_equal(a.dnssec, MA_DNSSEC_UNCHECKED);
		assert_int_equal(a.count, 0);
		assert_non_null(a.why);
		assert_true(ma_dns_status_is_temporary(a.status));
		if (took < 0.39 || took > 1.5)
			fail_msg("timeout of 400 ms took %.3f s", took);
		/* The resolver stays usable after a cancelled query, and each query gets its own deadline. */
		t0 = now_s();
		ask(r, "silent.test", MA_DNS_T_A, &a);
		took = now_s() - t0;
		assert_int_equal(a.status, MA_DNS_TIMEOUT);
		if (took < 0.39 || took > 1.5)
			fail_msg("second timeout of 400 ms took %.3f s", took);
		assert_int_equal(ma_resolver_queries(r), 2);
		ma_resolver_free(r);
	}
	close(s);
}

/* Every default local zone of libunbound 1.17 (services/localzone.c, util/as112.c), listed here independently of
 * the resolver's own list: with a server given, each must be answered by that server. */
static const char *const unbound_default_zones[] = {
	"localhost.", "127.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"home.arpa.", "onion.", "test.", "invalid.",
	"10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
	"19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.", "22.172.in-addr.arpa.",
	"23.172.in-addr.arpa.", "24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.",
	"27.172.in-addr.arpa.", "28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
	"31.172.in-addr.arpa.", "168.192.in-addr.arpa.", "0.in-addr.arpa.", "254.169.in-addr.arpa.",
	"2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
	/* RFC 6598 100.64.0.0/10, the 64..127.100.in-addr.arpa zones, are added in the test below. */
	/* Later unbound releases; served here too so the list stays right on an upgrade. */
	"resolver.arpa.", "service.arpa.",
};

static void test_default_local_zones_reach_the_server(void **state)
{
	(void)state;
	enum { N_FIXED = sizeof unbound_default_zones / sizeof unbound_default_zones[0], N_100 = 64 };
	static char names100[N_100][32];
	struct knot_zone kz[N_FIXED + N_100];
	size_t n = 0;
	for (size_t i = 0; i < N_FIXED; i++)
		kz[n++] = (struct knot_zone){.origin = unbound_default_zones[i], .text = ""};
	for (int i = 0; i < N_100; i++) {
		snprintf(names100[i], sizeof names100[i], "%d.100.in-addr.arpa.", 64 + i);
		kz[n++] = (struct knot_zone){.origin = names100[i], .text = ""};
	}
	struct knot_server *k = knot_start(NULL, kz, n);
	assert_non_null(k);
	struct ma_resolver *r = resolver_for(k, false, 3000);
	for (size_t i = 0; i < n; i++) {
		struct ma_dns_answer a;
		char qname[MA_DNS_NAME_MAX + 1];
		snprintf(qname, sizeof qname, "%s", kz[i].origin);
		qname[strlen(qname) - 1] = '\0';
		ask(r, qname, MA_DNS_T_SOA, &a);
		if (a.status != MA_DNS_ANSWER || a.count != 1)
			fail_msg("%s SOA: %s (%zu records)", qname, ma_dns_status_name(a.status), a.count);
		/* knot's SOA names ns.invalid.; unbound's own says localhost. */
		char mname[MA_DNS_NAME_MAX + 1];
		size_t off = 0;
		assert_int_equal(ma_dns_name_decode(a.rr[0].data, a.rr[0].len, &off, mname, sizeof mname), MA_OK);
		if (strcmp(mname, "ns.invalid") != 0)
			fail_msg("%s SOA came from '%s', not the server", qname, mname);
	}
	ma_resolver_free(r);
	knot_stop(k);
}

static void test_bad_options(void **state)
{
	(void)state;
	static const char *const bad_servers[] = {
		"", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]x", "1.2.3.4:x", "1.2.3.4:+5", "1.2.3.4:",
		"localhost:53", "example.com", "300.1.1.1", "[]:53", "127.0.0.1@",
	};
	for (size_t i = 0; i < sizeof bad_servers / sizeof bad_servers[0]; i++) {
		struct ma_resolver_opts o = {.server = bad_servers[i], .no_validate = true};
		struct ma_resolver *r = NULL;
		char *why = NULL;
		int err = ma_resolver_new(&o, &r, &why);
		if (err != MA_ERR_INVAL)
			fail_msg("server '%s': got %d, want MA_ERR_INVAL", bad_servers[i], err);
		assert_null(r);
		assert_non_null(why);
		free(why);
	}
	/* Accepted address forms, and what libunbound is given for each. */
	static const struct {
		const char *in, *want;
	} good[] = {
		{"127.0.0.1", "127.0.0.1@53"},   {"127.0.0.1:5353", "127.0.0.1@5353"}, {"127.0.0.1@53", "127.0.0.1@53"},
		{"[::1]:5353", "::1@5353"},      {"::1", "::1@53"},                   {"[2001:db8::1]", "2001:db8::1@53"},
		{"::1@5300", "::1@5300"},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char fwd[64];
		assert_int_equal(ma_resolver_parse_server(good[i].in, fwd, sizeof fwd), MA_OK);
		assert_string_equal(fwd, good[i].want);
		struct ma_resolver_opts g = {.server = good[i].in, .no_validate = true};
		struct ma_resolver *r = NULL;
		assert_int_equal(ma_resolver_new(&g, &r, NULL), MA_OK);
		ma_resolver_free(r);
	}
}

static void test_trust_anchor_errors(void **state)
{
	(void)state;
	struct ma_resolver *r = NULL;
	char *why = NULL;
	struct ma_resolver_opts o = {.server = "127.0.0.1", .trust_anchor_file = "/nonexistent/anchor"};
	assert_int_equal(ma_resolver_new(&o, &r, &why), MA_ERR_IO);
	assert_null(r);
	assert_non_null(strstr(why, "/nonexistent/anchor"));
	free(why);

	const char *base = getenv("MA_TEST_TMP");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/ma-ta-XXXXXX", base);
	assert_non_null(mkdtemp(dir));
	char path[600];
	snprintf(path, sizeof path, "%s/anchor", dir);
	static const struct {
		const char *text;
		int err;
	} cases[] = {
		{"", MA_ERR_PARSE},                                         /* no anchor at all */
		{"; only a comment mentioning DS\n", MA_ERR_PARSE},
		{"test. TXT \"not an anchor\"\n", MA_ERR_PARSE},
		{"test. DS 1 13 2 zz-not-hex\n", MA_ERR_DNS},               /* unbound refuses it at creation */
		{"test. IN DS 60485 13 2 " /* well formed: accepted */
		 "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a\n", MA_OK},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		struct ma_resolver_opts t = {.server = "127.0.0.1", .trust_anchor_file = path};
		why = NULL;
		int err = ma_resolver_new(&t, &r, &why);
		if (err != cases[i].err)
			fail_msg("anchor '%s': got %d (%s), want %d", cases[i].text, err, why ? why : "", cases[i].err);
		if (err != MA_OK) {
			assert_null(r);
			assert_non_null(why);
			assert_non_null(strstr(why, cases[i].err == MA_ERR_DNS ? "cannot set up" : path));
		}
		free(why);
		ma_resolver_free(r);
		r = NULL;
	}
	unlink(path);
	rmdir(dir);
	/* --no-validate never reads an anchor. */
	struct ma_resolver_opts nv = {.server = "127.0.0.1", .trust_anchor_file = "/nonexistent", .no_validate = true};
	assert_int_equal(ma_resolver_new(&nv, &r, NULL), MA_OK);
	ma_resolver_free(r);
	/* Debian's root anchor, the default (also for opts NULL), loads. */
	if (access("/usr/share/dns/root.key", R_OK) == 0) {
		assert_int_equal(ma_resolver_new(NULL, &r, NULL), MA_OK);
		ma_resolver_free(r);
	}
}

static void test_bad_questions(void **state)
{
	(void)state;
	struct ma_resolver *r = resolver_for(knot, true, 3000);
	char label64[80];
	memset(label64, 'x', 64);
	snprintf(label64 + 64, sizeof label64 - 64, ".test");
	const char *const bad[] = {"", "a..test", label64, "trailing\\"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ma_dns_question q = {.type = MA_DNS_T_A};
		snprintf(q.name, sizeof q.name, "%s", bad[i]);
		struct ma_dns_answer a;
		assert_int_equal(ma_resolver_query(r, &q, &a), MA_ERR_INVAL);
	}
	assert_int_equal(ma_resolver_queries(r), 0);
	/* Escapes reach the server as the bytes they stand for: \097 is 'a'. */
	struct ma_dns_answer a;
	ask(r, "\\097.test", MA_DNS_T_A, &a);
	assert_int_equal(a.status, MA_DNS_ANSWER);
	ma_resolver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses_and_verdicts),
		cmocka_unit_test(test_rdata),
		cmocka_unit_test(test_no_validate),
		cmocka_unit_test(test_root_anchor_without_root),
		cmocka_unit_test(test_timeout_is_not_nxdomain),
		cmocka_unit_test(test_default_local_zones_reach_the_server),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_trust_anchor_errors),
		cmocka_unit_test(test_bad_questions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
