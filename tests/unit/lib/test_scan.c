/* tests/unit/lib/test_scan.c — the per-domain scan driven by canned zones (fakedns) and a canned HTTPS answer:
 * one case per situation (good, DMARC, SPF, DKIM, MTA-STS, TLS-RPT, DNSSEC/DANE, parked, inconclusive areas),
 * answers delivered in shuffled orders giving the same result, and the three profiles graded at scan time and
 * again from the stored JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "fakedns.h"
#include "lib/err.h"
#include "lib/profile.h"
#include "lib/scan.h"

/* ---- keys made here, never fixtures ------------------------------------------------------------------------- */

static char *dkim_record(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
	assert_non_null(k);
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	assert_true(n > 0);
	char *out = malloc(32 + 4 * ((size_t)n / 3 + 2));
	assert_non_null(out);
	int w = snprintf(out, 32, "v=DKIM1; k=rsa; p=");
	EVP_EncodeBlock((unsigned char *)out + w, der, n);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return out;
}

static char *key2048, *key512;
static psl_ctx_t *psl; /* the system's list, as the CLI loads it */

static int setup(void **state)
{
	(void)state;
	key2048 = dkim_record(2048);
	key512 = dkim_record(512);
	psl = psl_latest(NULL);
	return psl == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(key2048);
	free(key512);
	psl_free(psl);
	return 0;
}

/* ---- the driver ---------------------------------------------------------------------------------------------- */

struct ov {
	const char *name;
	uint16_t type; /* 0: every type */
	int status;    /* -1: keep fakedns's */
	int dnssec;    /* -1: the world's default */
};

struct world {
	struct fakedns *z;
	enum ma_dnssec dnssec; /* default verdict on every answer */
	const struct ov *ov;
	size_t nov;
	struct ma_https_result https; /* the policy fetch's answer */
	bool https_set;
	const char *const *selectors;
	size_t nselectors;
	bool common;
	unsigned seed; /* 0: answer in order; else shuffle with this seed */
	unsigned https_asked;
};

static unsigned lcg(unsigned *x)
{
	*x = *x * 1103515245u + 12345u;
	return (*x >> 16) & 0x7fff;
}

static void answer_one(struct world *w, struct ma_scan *s, const struct ma_scan_need *n)
{
	if (n->kind == MA_SCAN_NEED_HTTPS) {
		w->https_asked++;
		assert_string_equal(n->path, "/.well-known/mta-sts.txt");
		assert_true(n->naddrs > 0);
		struct ma_https_result r =
		    w->https_set ? w->https : (struct ma_https_result){.status = MA_HTTPS_CONNECT};
		assert_int_equal(ma_scan_answer_https(s, n->id, &r), MA_OK);
		return;
	}
	struct ma_dns_answer a;
	fakedns_answer(w->z, &n->q, &a);
	a.dnssec = a.status <= MA_DNS_NXDOMAIN ? w->dnssec : MA_DNSSEC_UNCHECKED;
	for (size_t i = 0; i < w->nov; i++) {
		if (!ma_dns_name_eq(w->ov[i].name, n->q.name) || (w->ov[i].type && w->ov[i].type != n->q.type))
			continue;
		if (w->ov[i].status >= 0) {
			a.status = (enum ma_dns_status)w->ov[i].status;
			if (a.status != MA_DNS_ANSWER)
				a.count = 0;
		}
		if (w->ov[i].dnssec >= 0)
			a.dnssec = (enum ma_dnssec)w->ov[i].dnssec;
	}
	assert_int_equal(ma_scan_answer_dns(s, n->id, &a), MA_OK);
}

static struct ma_scan *run(struct world *w, const char *domain)
{
	struct ma_scan *s;
	struct ma_scan_opts o = {.domain = domain,
	                         .selectors = w->selectors,
	                         .nselectors = w->nselectors,
	                         .common_selectors = w->common,
	                         .now = 1767225600,
	                         .psl = psl};
	assert_int_equal(ma_scan_new(&o, &s), MA_OK);
	struct ma_scan_need batch[5], pend[512];
	size_t npend = 0, n;
	unsigned seed = w->seed;
	int rc, rounds = 0;
	while ((rc = ma_scan_step(s, batch, 5, &n)) == MA_SCAN_PENDING) {
		assert_true(++rounds < 10000);
		for (size_t i = 0; i < n; i++) {
			assert_true(npend < 512);
			pend[npend++] = batch[i];
		}
		assert_true(npend > 0); /* pending with nothing to answer would hang a driver */
		size_t k = w->seed ? lcg(&seed) % npend : 0;
		struct ma_scan_need one = pend[k];
		pend[k] = pend[--npend];
		if (!w->seed && npend > 0) { /* keep FIFO order when not shuffling */
			memmove(pend + 1, pend, npend * sizeof *pend);
			pend[0] = pend[npend];
			memmove(pend, pend + 1, npend * sizeof *pend);
		}
		answer_one(w, s, &one);
	}
	assert_int_equal(rc, MA_SCAN_DONE);
	return s;
}

static bool has(const struct ma_scan *s, const char *id)
{
	return ma_findings_has(ma_scan_findings(s), id);
}

static void want_mark(const struct ma_scan *s, enum ma_scan_area a, enum ma_mark m)
{
	if (ma_scan_mark(s, a) != m)
		fail_msg("area %s: got %s, want %s", ma_scan_area_name(a), ma_mark_name(ma_scan_mark(s, a)),
		         ma_mark_name(m));
}

/* A well-run, DNSSEC-signed domain. Cases change it. */
static const char *const sel1[] = {"sel1"};

static void good_zone(struct world *w)
{
	memset(w, 0, sizeof *w);
	struct fakedns *z = w->z = fakedns_new();
	w->dnssec = MA_DNSSEC_SECURE;
	fakedns_mx(z, "example.com", 10, "mx1.example.com");
	fakedns_mx(z, "example.com", 20, "mx2.example.com");
	fakedns_a(z, "mx1.example.com", "192.0.2.25");
	fakedns_aaaa(z, "mx1.example.com", "2001:db8::25");
	fakedns_a(z, "mx2.example.com", "192.0.2.26");
	uint8_t tlsa[35] = {3, 1, 1};
	memset(tlsa + 3, 0xab, 32);
	fakedns_add(z, "_25._tcp.mx1.example.com", MA_DNS_T_TLSA, tlsa, sizeof tlsa);
	fakedns_add(z, "_25._tcp.mx2.example.com", MA_DNS_T_TLSA, tlsa, sizeof tlsa);
	fakedns_txt(z, "example.com", "v=spf1 mx -all", NULL);
	fakedns_txt(z, "_dmarc.example.com",
	            "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc-rua@dmarc.service.gov.uk,mailto:d@example.com",
	            NULL);
	fakedns_txt(z, "example.com._report._dmarc.dmarc.service.gov.uk", "v=DMARC1", NULL);
	fakedns_txt(z, "sel1._domainkey.example.com", key2048, NULL);
	fakedns_txt(z, "_mta-sts.example.com", "v=STSv1; id=20260101", NULL);
	fakedns_a(z, "mta-sts.example.com", "192.0.2.80");
	fakedns_txt(z, "_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:tls-rua@mailcheck.service.ncsc.gov.uk", NULL);
	static const char pol[] = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.com\r\n"
	                          "max_age: 1209600\r\n";
	w->https = (struct ma_https_result){.status = MA_HTTPS_OK,
	                                    .http_status = 200,
	                                    .content_type = "text/plain; charset=utf-8",
	                                    .body = pol,
	                                    .len = sizeof pol - 1};
	w->https_set = true;
	w->selectors = sel1;
	w->nselectors = 1;
}

static void test_good(void **state)
{
	(void)state;
	struct world w;
	good_zone(&w);
	struct ma_scan *s = run(&w, "Example.COM.");
	for (int a = 0; a < MA_AREA_MXTLS; a++)
		want_mark(s, (enum ma_scan_area)a, MA_MARK_PASS);
	want_mark(s, MA_AREA_MXTLS, MA_MARK_SKIPPED);
	assert_false(ma_scan_parked(s));
	assert_true(has(s, "scan.mx.ok"));
	assert_true(has(s, "scan.dkim.found"));
	assert_true(has(s, "scan.mtasts.mx-covered"));
	assert_true(has(s, "scan.dnssec.signed"));
	assert_true(has(s, "scan.dnssec.mx-signed"));
	assert_true(has(s, "scan.tlsa.secure"));
	assert_true(has(s, "dmarc.report.external-authorized"));
	assert_false(has(s, "scan.dmarc.rua-no-uk-central"));
	assert_true(has(s, "scan.dmarc.rua-no-cisa"));
	assert_int_equal(w.https_asked, 1);
	json_t *j = ma_scan_to_json(s);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "domain")), "example.com");
	assert_string_equal(json_string_value(json_object_get(j, "scanned_at")), "2026-01-01T00:00:00Z");
	json_t *mx = json_object_get(j, "mx");
	assert_int_equal(json_array_size(mx), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(mx, 0), "host")), "mx1.example.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(mx, 0), "addrs"), 1)),
	                    "2001:db8::25");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(json_object_get(j, "areas"), "mx-tls"), "mark")),
	    "skipped");
	bool pass;
	for (int p = 0; p < MA_PROFILE_COUNT; p++) {
		json_t *g = ma_profile_grade((enum ma_profile)p, j, &pass);
		assert_non_null(g);
		/* uk-gov and nl-ncsc pass; BOD 18-01 wants CISA's rua */
		if (pass != (p != MA_PROFILE_BOD_18_01))
			fail_msg("profile %s: %s", ma_profile_name((enum ma_profile)p), json_dumps(g, 0));
		json_decref(g);
	}
	json_decref(j);
	ma_scan_free(s);
	fakedns_free(w.z);
}

/* One finding, one mark: change the good zone, check what appears. */
struct tcase {
	const char *name;
	void (*edit)(struct world *w);
	const char *domain;
	enum ma_scan_area area;
	enum ma_mark mark;
	const char *want[4];
	const char *notwant[2];
};

/* A subdomain with its own mail setup, so DMARC and SPF cases can replace records cleanly. */
static void sub_base(struct world *w, const char *spf)
{
	struct fakedns *z = w->z;
	fakedns_mx(z, "sub.example.com", 10, "mx1.example.com");
	fakedns_txt(z, "sub.example.com", spf, NULL);
	fakedns_txt(z, "sel1._domainkey.sub.example.com", key2048, NULL);
	fakedns_txt(z, "_mta-sts.sub.example.com", "v=STSv1; id=1", NULL);
	fakedns_a(z, "mta-sts.sub.example.com", "192.0.2.80");
	fakedns_txt(z, "_smtp._tls.sub.example.com", "v=TLSRPTv1; rua=mailto:tls@example.com", NULL);
}
static void e_no_dmarc(struct world *w)
{
	static const struct ov ov[] = {{"_dmarc.example.com", MA_DNS_T_TXT, MA_DNS_NXDOMAIN, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_p_none(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com", NULL);
}
static void e_pct(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@example.com", NULL);
}
static void e_t(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=reject; t=y; rua=mailto:d@example.com", NULL);
}
static void e_ext_unauth(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net", NULL);
}
static void e_ext_wild(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net", NULL);
	fakedns_txt(w->z, "*._report._dmarc.reports.example.net", "v=DMARC1", NULL);
}
static void e_ext_auth(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net", NULL);
	fakedns_txt(w->z, "sub.example.com._report._dmarc.reports.example.net", "v=DMARC1;", NULL);
}
static void e_spf_over(struct world *w)
{
	sub_base(w, "v=spf1 include:a.example.org -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=reject", NULL);
	fakedns_txt(w->z, "a.example.org",
	            "v=spf1 a:1.example.org a:2.example.org a:3.example.org a:4.example.org "
	            "a:5.example.org a:6.example.org a:7.example.org a:8.example.org "
	            "a:9.example.org a:10.example.org -all",
	            NULL);
	for (int i = 1; i <= 10; i++) {
		char n[32];
		snprintf(n, sizeof n, "%d.example.org", i);
		fakedns_a(w->z, n, "192.0.2.1");
	}
}
static void e_spf_void(struct world *w)
{
	sub_base(w, "v=spf1 a:v1.example.org a:v2.example.org a:v3.example.org -all");
}
static void e_spf_loop(struct world *w)
{
	sub_base(w, "v=spf1 include:loop.example.org -all");
	fakedns_txt(w->z, "loop.example.org", "v=spf1 include:sub.example.com -all", NULL);
}
static void e_spf_two(struct world *w)
{
	sub_base(w, "v=spf1 -all");
	fakedns_txt(w->z, "sub.example.com", "v=spf1 mx -all", NULL);
}
static void e_spf_ptr(struct world *w)
{
	sub_base(w, "v=spf1 ptr -all");
}
static void e_spf_timeout(struct world *w)
{
	sub_base(w, "v=spf1 include:slow.example.org -all");
	fakedns_timeout(w->z, "slow.example.org");
}
static void e_dmarc_servfail(struct world *w)
{
	static const struct ov ov[] = {{"_dmarc.example.com", MA_DNS_T_TXT, MA_DNS_SERVFAIL, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_dkim_timeout(struct world *w)
{
	static const struct ov ov[] = {{"sel1._domainkey.example.com", 0, MA_DNS_TIMEOUT, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_dkim_unknown(struct world *w)
{
	w->selectors = NULL;
	w->nselectors = 0;
}
static void e_dkim_common(struct world *w)
{
	w->selectors = NULL;
	w->nselectors = 0;
	w->common = true;
	fakedns_txt(w->z, "selector1._domainkey.example.com", key2048, NULL);
}
static void e_dkim_weak(struct world *w)
{
	static const char *const s2[] = {"weak"};
	w->selectors = s2;
	fakedns_txt(w->z, "weak._domainkey.example.com", key512, NULL);
}
static void e_dkim_revoked(struct world *w)
{
	static const char *const s2[] = {"old"};
	w->selectors = s2;
	fakedns_txt(w->z, "old._domainkey.example.com", "v=DKIM1; p=", NULL);
}
static void e_dkim_missing(struct world *w)
{
	static const char *const s2[] = {"gone"};
	w->selectors = s2;
}
static void e_dkim_not(struct world *w)
{
	static const char *const s2[] = {"odd"};
	w->selectors = s2;
	fakedns_txt(w->z, "odd._domainkey.example.com", "hello world", NULL);
}
static void set_policy(struct world *w, const char *pol)
{
	w->https.body = pol;
	w->https.len = strlen(pol);
}
static void e_sts_testing_uncovered(struct world *w)
{
	set_policy(w, "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n");
}
static void e_sts_enforce_uncovered(struct world *w)
{
	set_policy(w, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 1209600\r\n");
}
static void e_sts_unreachable(struct world *w)
{
	w->https = (struct ma_https_result){.status = MA_HTTPS_TIMEOUT, .why = "deadline"};
}
static void e_sts_tls(struct world *w)
{
	w->https = (struct ma_https_result){.status = MA_HTTPS_TLS, .why = "certificate has expired"};
}
static void e_sts_404(struct world *w)
{
	w->https = (struct ma_https_result){.status = MA_HTTPS_OK, .http_status = 404, .body = "nope", .len = 4};
}
static void e_sts_301(struct world *w)
{
	w->https = (struct ma_https_result){.status = MA_HTTPS_OK, .http_status = 301};
}
static void e_sts_big(struct world *w)
{
	w->https = (struct ma_https_result){.status = MA_HTTPS_TOOBIG};
}
static void e_sts_proto(struct world *w)
{
	w->https = (struct ma_https_result){.status = MA_HTTPS_PROTOCOL};
}
static void e_sts_ctype(struct world *w)
{
	w->https.content_type = "text/html";
}
static void e_sts_short(struct world *w)
{
	set_policy(w, "version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 3600\r\n");
}
static void e_sts_none(struct world *w)
{
	static const struct ov ov[] = {{"_mta-sts.example.com", 0, MA_DNS_NXDOMAIN, -1},
	                               {"mta-sts.example.com", 0, MA_DNS_NXDOMAIN, -1}};
	w->ov = ov;
	w->nov = 2;
}
static void e_sts_notxt(struct world *w)
{
	static const struct ov ov[] = {{"_mta-sts.example.com", 0, MA_DNS_NXDOMAIN, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_sts_nohost(struct world *w)
{
	static const struct ov ov[] = {{"mta-sts.example.com", 0, MA_DNS_NXDOMAIN, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_sts_timeout(struct world *w)
{
	static const struct ov ov[] = {{"_mta-sts.example.com", 0, MA_DNS_TIMEOUT, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_rpt_none(struct world *w)
{
	static const struct ov ov[] = {{"_smtp._tls.example.com", 0, MA_DNS_NXDOMAIN, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_rpt_servfail(struct world *w)
{
	static const struct ov ov[] = {{"_smtp._tls.example.com", 0, MA_DNS_SERVFAIL, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_unsigned(struct world *w)
{
	w->dnssec = MA_DNSSEC_INSECURE;
}
static void e_unchecked(struct world *w)
{
	w->dnssec = MA_DNSSEC_UNCHECKED;
}
static void e_bogus(struct world *w)
{
	static const struct ov ov[] = {{"example.com", 0, MA_DNS_BOGUS, MA_DNSSEC_BOGUS}};
	w->ov = ov;
	w->nov = 1;
}
static void e_tlsa_insecure(struct world *w)
{
	static const struct ov ov[] = {{"_25._tcp.mx1.example.com", 0, -1, MA_DNSSEC_INSECURE},
	                               {"mx1.example.com", 0, -1, MA_DNSSEC_INSECURE}};
	w->ov = ov;
	w->nov = 2;
}
static void e_tlsa_none(struct world *w)
{
	static const struct ov ov[] = {{"_25._tcp.mx2.example.com", 0, MA_DNS_NXDOMAIN, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_tlsa_bad(struct world *w)
{
	uint8_t bad[5] = {3, 1, 1, 0xaa, 0xbb}; /* a 2-byte "SHA-256" */
	uint8_t pkix[35] = {1, 0, 1};           /* PKIX-EE: ignored by SMTP senders (RFC 7672 3.1.3) */
	fakedns_add(w->z, "_25._tcp.mx2.example.com", MA_DNS_T_TLSA, bad, sizeof bad);
	fakedns_add(w->z, "_25._tcp.mx2.example.com", MA_DNS_T_TLSA, pkix, sizeof pkix);
}
static void e_tlsa_timeout(struct world *w)
{
	static const struct ov ov[] = {{"_25._tcp.mx1.example.com", 0, MA_DNS_TIMEOUT, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_mx_timeout(struct world *w)
{
	static const struct ov ov[] = {{"example.com", MA_DNS_T_MX, MA_DNS_TIMEOUT, -1}};
	w->ov = ov;
	w->nov = 1;
}
static void e_mx_host_none(struct world *w)
{
	fakedns_mx(w->z, "example.com", 30, "gone.example.com");
	fakedns_mx(w->z, "example.com", 40, "192.0.2.9");
}
static void e_null_mixed(struct world *w)
{
	fakedns_mx(w->z, "example.com", 0, ".");
}
static void e_nx(struct world *w)
{
	(void)w;
}
/* Parked: null MX, v=spf1 -all, strict reject DMARC, revoked wildcard key. */
static void parked_base(struct world *w, const char *spf, const char *dmarc, bool wild, bool nullmx)
{
	struct fakedns *z = w->z;
	if (nullmx)
		fakedns_mx(z, "parked.example", 0, ".");
	else
		fakedns_exists(z, "parked.example");
	fakedns_txt(z, "parked.example", spf, NULL);
	fakedns_txt(z, "_dmarc.parked.example", dmarc, NULL);
	if (wild)
		fakedns_txt(z, "*._domainkey.parked.example", "v=DKIM1; p=", NULL);
	w->selectors = NULL;
	w->nselectors = 0;
}
static void e_parked_good(struct world *w)
{
	parked_base(w, "v=spf1 -all", "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s; rua=mailto:d@parked.example",
	            true, true);
}
static void e_parked_bad(struct world *w)
{
	parked_base(w, "v=spf1 ~all", "v=DMARC1; p=quarantine; rua=mailto:d@parked.example", false, false);
}
static void e_parked_common(struct world *w)
{
	e_parked_good(w);
	w->common = true; /* every common selector answers with the wildcard's revoked key: not "found" */
}

static void e_implicit(struct world *w)
{
	fakedns_a(w->z, "implicit.example", "192.0.2.40");
	fakedns_txt(w->z, "implicit.example", "v=spf1 a -all", NULL);
}
static void e_many_mx(struct world *w)
{
	for (int i = 0; i < 40; i++) {
		char n[32];
		snprintf(n, sizeof n, "mx%02d.example.net", i);
		fakedns_mx(w->z, "example.com", (uint16_t)(100 + i), n);
		fakedns_a(w->z, n, "192.0.2.99");
	}
}
static void e_sp_none(struct world *w)
{
	sub_base(w, "v=spf1 mx -all");
	fakedns_txt(w->z, "_dmarc.sub.example.com", "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com", NULL);
}
static void e_mx_bogus(struct world *w)
{
	static const struct ov ov[] = {{"mx2.example.com", 0, MA_DNS_BOGUS, MA_DNSSEC_BOGUS}};
	w->ov = ov;
	w->nov = 1;
}

static const struct tcase cases[] = {
    {"no DMARC", e_no_dmarc, "example.com", MA_AREA_DMARC, MA_MARK_FAIL, {"dmarc.discovery.none"}, {NULL}},
    {"p=none", e_p_none, "sub.example.com", MA_AREA_DMARC, MA_MARK_WARN, {"dmarc.policy.none"}, {NULL}},
    {"pct<100",
     e_pct,
     "sub.example.com",
     MA_AREA_DMARC,
     MA_MARK_WARN,
     {"dmarc.pct.partial", "scan.dmarc.not-reject"},
     {NULL}},
    {"t=y", e_t, "sub.example.com", MA_AREA_DMARC, MA_MARK_WARN, {"dmarc.testing", "scan.dmarc.not-reject"}, {NULL}},
    {"external rua unauthorised",
     e_ext_unauth,
     "sub.example.com",
     MA_AREA_DMARC,
     MA_MARK_FAIL,
     {"dmarc.report.external-unauthorized"},
     {NULL}},
    {"external rua wildcard",
     e_ext_wild,
     "sub.example.com",
     MA_AREA_DMARC,
     MA_MARK_PASS,
     {"dmarc.report.external-authorized"},
     {"dmarc.report.external-unauthorized"}},
    {"external rua authorised",
     e_ext_auth,
     "sub.example.com",
     MA_AREA_DMARC,
     MA_MARK_PASS,
     {"dmarc.report.external-authorized"},
     {NULL}},
    {"DMARC servfail",
     e_dmarc_servfail,
     "example.com",
     MA_AREA_DMARC,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.dmarc"},
     {"dmarc.discovery.none"}},
    {"SPF over 10", e_spf_over, "sub.example.com", MA_AREA_SPF, MA_MARK_FAIL, {"spf.lookups.over-limit"}, {NULL}},
    {"SPF void", e_spf_void, "sub.example.com", MA_AREA_SPF, MA_MARK_FAIL, {"spf.void.over-limit"}, {NULL}},
    {"SPF loop", e_spf_loop, "sub.example.com", MA_AREA_SPF, MA_MARK_FAIL, {"spf.include.loop"}, {NULL}},
    {"two SPF", e_spf_two, "sub.example.com", MA_AREA_SPF, MA_MARK_FAIL, {"spf.record.multiple"}, {NULL}},
    {"SPF ptr", e_spf_ptr, "sub.example.com", MA_AREA_SPF, MA_MARK_WARN, {"spf.ptr.used"}, {NULL}},
    {"SPF timeout",
     e_spf_timeout,
     "sub.example.com",
     MA_AREA_SPF,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.spf"},
     {"spf.include.no-record"}},
    {"DKIM timeout",
     e_dkim_timeout,
     "example.com",
     MA_AREA_DKIM,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.dkim"},
     {"scan.dkim.unknown", "scan.dkim.selector-missing"}},
    {"DKIM unknown", e_dkim_unknown, "example.com", MA_AREA_DKIM, MA_MARK_UNKNOWN, {"scan.dkim.unknown"}, {NULL}},
    {"DKIM common",
     e_dkim_common,
     "example.com",
     MA_AREA_DKIM,
     MA_MARK_PASS,
     {"scan.dkim.found"},
     {"scan.dkim.unknown"}},
    {"DKIM weak", e_dkim_weak, "example.com", MA_AREA_DKIM, MA_MARK_FAIL, {"dkim.key.rsa-weak"}, {NULL}},
    {"DKIM revoked",
     e_dkim_revoked,
     "example.com",
     MA_AREA_DKIM,
     MA_MARK_PASS,
     {"dkim.key.revoked"},
     {"scan.dkim.found"}},
    {"DKIM selector missing",
     e_dkim_missing,
     "example.com",
     MA_AREA_DKIM,
     MA_MARK_WARN,
     {"scan.dkim.selector-missing"},
     {NULL}},
    {"DKIM not a key", e_dkim_not, "example.com", MA_AREA_DKIM, MA_MARK_WARN, {"scan.dkim.not-dkim"}, {NULL}},
    {"MTA-STS testing, MX not covered",
     e_sts_testing_uncovered,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_WARN,
     {"scan.mtasts.mx-not-covered"},
     {"scan.mtasts.mx-covered"}},
    {"MTA-STS enforce, MX not covered",
     e_sts_enforce_uncovered,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_FAIL,
     {"scan.mtasts.mx-not-covered-enforce"},
     {NULL}},
    {"MTA-STS unreachable",
     e_sts_unreachable,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_FAIL,
     {"scan.mtasts.policy-unreachable"},
     {NULL}},
    {"MTA-STS TLS failure", e_sts_tls, "example.com", MA_AREA_MTASTS, MA_MARK_FAIL, {"scan.mtasts.policy-tls"}, {NULL}},
    {"MTA-STS 404", e_sts_404, "example.com", MA_AREA_MTASTS, MA_MARK_FAIL, {"scan.mtasts.policy-missing"}, {NULL}},
    {"MTA-STS redirect",
     e_sts_301,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_FAIL,
     {"scan.mtasts.policy-http-status"},
     {NULL}},
    {"MTA-STS too big", e_sts_big, "example.com", MA_AREA_MTASTS, MA_MARK_FAIL, {"scan.mtasts.policy-too-big"}, {NULL}},
    {"MTA-STS not HTTP",
     e_sts_proto,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_FAIL,
     {"scan.mtasts.policy-protocol"},
     {NULL}},
    {"MTA-STS content type",
     e_sts_ctype,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_WARN,
     {"scan.mtasts.content-type"},
     {NULL}},
    {"MTA-STS max_age short",
     e_sts_short,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_WARN,
     {"mta-sts.policy.max-age-short"},
     {NULL}},
    {"MTA-STS none", e_sts_none, "example.com", MA_AREA_MTASTS, MA_MARK_WARN, {"scan.mtasts.none"}, {NULL}},
    {"MTA-STS policy without TXT",
     e_sts_notxt,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_WARN,
     {"scan.mtasts.policy-without-txt"},
     {NULL}},
    {"MTA-STS TXT without host",
     e_sts_nohost,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_FAIL,
     {"scan.mtasts.host-no-address"},
     {NULL}},
    {"MTA-STS timeout",
     e_sts_timeout,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.mtasts"},
     {"scan.mtasts.none"}},
    {"TLS-RPT none", e_rpt_none, "example.com", MA_AREA_TLSRPT, MA_MARK_WARN, {"scan.tlsrpt.none"}, {NULL}},
    {"TLS-RPT servfail",
     e_rpt_servfail,
     "example.com",
     MA_AREA_TLSRPT,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.tlsrpt"},
     {"scan.tlsrpt.none"}},
    {"unsigned",
     e_unsigned,
     "example.com",
     MA_AREA_DNSSEC,
     MA_MARK_WARN,
     {"scan.dnssec.unsigned", "scan.dnssec.mx-unsigned", "scan.tlsa.insecure"},
     {NULL}},
    {"validation off", e_unchecked, "example.com", MA_AREA_DNSSEC, MA_MARK_UNKNOWN, {"scan.dnssec.unchecked"}, {NULL}},
    {"bogus domain",
     e_bogus,
     "example.com",
     MA_AREA_SPF,
     MA_MARK_INCONCLUSIVE,
     {"scan.dnssec.bogus", "scan.inconclusive.spf", "scan.inconclusive.mx"},
     {"spf.record.missing"}},
    {"TLSA insecure",
     e_tlsa_insecure,
     "example.com",
     MA_AREA_DNSSEC,
     MA_MARK_WARN,
     {"scan.tlsa.insecure", "scan.dnssec.mx-unsigned", "scan.tlsa.secure"},
     {NULL}},
    {"TLSA none", e_tlsa_none, "example.com", MA_AREA_DNSSEC, MA_MARK_PASS, {"scan.tlsa.none"}, {NULL}},
    {"TLSA malformed",
     e_tlsa_bad,
     "example.com",
     MA_AREA_DNSSEC,
     MA_MARK_FAIL,
     {"scan.tlsa.malformed", "scan.tlsa.pkix-usage"},
     {NULL}},
    {"TLSA timeout",
     e_tlsa_timeout,
     "example.com",
     MA_AREA_DNSSEC,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.dnssec"},
     {"scan.tlsa.none"}},
    {"MX timeout",
     e_mx_timeout,
     "example.com",
     MA_AREA_MXTLS,
     MA_MARK_INCONCLUSIVE,
     {"scan.inconclusive.mx"},
     {"scan.mx.no-mail", "scan.mtasts.none"}},
    {"MX host without address",
     e_mx_host_none,
     "example.com",
     MA_AREA_MXTLS,
     MA_MARK_SKIPPED,
     {"scan.mx.host-no-address", "scan.mx.host-invalid"},
     {"scan.mx.ok"}},
    {"null MX with others",
     e_null_mixed,
     "example.com",
     MA_AREA_MXTLS,
     MA_MARK_SKIPPED,
     {"scan.mx.null-mixed"},
     {NULL}},
    {"implicit MX",
     e_implicit,
     "implicit.example",
     MA_AREA_MXTLS,
     MA_MARK_SKIPPED,
     {"scan.mx.implicit"},
     {"scan.mx.no-mail", "scan.parked.ok"}},
    {"too many MX",
     e_many_mx,
     "example.com",
     MA_AREA_MTASTS,
     MA_MARK_FAIL,
     {"scan.mx.too-many", "scan.mtasts.mx-not-covered-enforce", "spf.mx.too-many"},
     {NULL}},
    {"sp=none", e_sp_none, "sub.example.com", MA_AREA_DMARC, MA_MARK_WARN, {"scan.dmarc.sp-none"}, {NULL}},
    {"MX host bogus",
     e_mx_bogus,
     "example.com",
     MA_AREA_DNSSEC,
     MA_MARK_FAIL,
     {"scan.dnssec.mx-bogus"},
     {"scan.mx.host-no-address"}},
    {"no such domain",
     e_nx,
     "nowhere.example.com",
     MA_AREA_SPF,
     MA_MARK_FAIL,
     {"scan.mx.nxdomain", "spf.record.missing"},
     {NULL}},
    {"parked, good",
     e_parked_good,
     "parked.example",
     MA_AREA_DKIM,
     MA_MARK_PASS,
     {"scan.parked.ok", "scan.mx.null", "scan.dkim.wildcard-revoked"},
     {"scan.mtasts.none", "scan.tlsrpt.none"}},
    {"parked, bad",
     e_parked_bad,
     "parked.example",
     MA_AREA_DKIM,
     MA_MARK_WARN,
     {"scan.parked.spf", "scan.parked.dmarc", "scan.parked.dkim", "scan.parked.null-mx"},
     {"scan.parked.ok"}},
    {"parked, common selectors are the wildcard",
     e_parked_common,
     "parked.example",
     MA_AREA_DKIM,
     MA_MARK_PASS,
     {"scan.parked.ok"},
     {"scan.dkim.found"}},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct tcase *c = &cases[i];
		struct world w;
		good_zone(&w);
		c->edit(&w);
		struct ma_scan *s = run(&w, c->domain);
		if (ma_scan_mark(s, c->area) != c->mark) {
			json_t *j = ma_scan_to_json(s);
			char *d = json_dumps(json_object_get(j, "areas"), 0);
			fail_msg("%s: %s got %s want %s (%s)", c->name, ma_scan_area_name(c->area),
			         ma_mark_name(ma_scan_mark(s, c->area)), ma_mark_name(c->mark), d);
		}
		for (size_t k = 0; k < 4 && c->want[k]; k++)
			if (!has(s, c->want[k]))
				fail_msg("%s: want finding %s", c->name, c->want[k]);
		for (size_t k = 0; k < 2 && c->notwant[k]; k++)
			if (has(s, c->notwant[k]))
				fail_msg("%s: finding %s should not appear", c->name, c->notwant[k]);
		/* an inconclusive mark always says why */
		for (int a = 0; a < MA_AREA_COUNT; a++) {
			if (ma_scan_mark(s, (enum ma_scan_area)a) != MA_MARK_INCONCLUSIVE)
				continue;
			json_t *j = ma_scan_to_json(s);
			json_t *ar =
			    json_object_get(json_object_get(j, "areas"), ma_scan_area_name((enum ma_scan_area)a));
			const char *r = json_string_value(json_object_get(ar, "reason"));
			if (r == NULL || r[0] == '\0')
				fail_msg("%s: %s inconclusive without a reason", c->name,
				         ma_scan_area_name((enum ma_scan_area)a));
			json_decref(j);
		}
		bool parked = strcmp(c->domain, "parked.example") == 0;
		assert_int_equal(ma_scan_parked(s), parked);
		ma_scan_free(s);
		fakedns_free(w.z);
	}
}

/* The same zone answered in many orders gives the same document. */
static void test_shuffle(void **state)
{
	(void)state;
	void (*edits[])(struct world *) = {e_ext_wild,   e_sts_enforce_uncovered, e_mx_host_none, e_spf_timeout,
	                                   e_parked_bad, e_tlsa_timeout};
	const char *doms[] = {"sub.example.com", "example.com",    "example.com",
	                      "sub.example.com", "parked.example", "example.com"};
	for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
		struct world w;
		good_zone(&w);
		edits[e](&w);
		w.common = true;
		struct ma_scan *s0 = run(&w, doms[e]);
		json_t *j0 = ma_scan_to_json(s0);
		char *want = json_dumps(j0, JSON_SORT_KEYS);
		for (unsigned seed = 1; seed <= 12; seed++) {
			w.seed = seed * 7919u;
			struct ma_scan *s = run(&w, doms[e]);
			json_t *j = ma_scan_to_json(s);
			char *got = json_dumps(j, JSON_SORT_KEYS);
			if (strcmp(got, want) != 0) {
				FILE *f1 = fopen("/tmp/scanlib-got.json", "w"),
				     *f2 = fopen("/tmp/scanlib-want.json", "w");
				fputs(got, f1);
				fputs(want, f2);
				fclose(f1);
				fclose(f2);
				fail_msg("case %zu seed %u differs", e, seed);
			}
			free(got);
			json_decref(j);
			ma_scan_free(s);
		}
		free(want);
		json_decref(j0);
		ma_scan_free(s0);
		fakedns_free(w.z);
	}
}

/* Grading: the expected pass/fail per profile, and re-grading the stored JSON equals grading at scan time. */
static void test_profiles(void **state)
{
	(void)state;
	struct {
		void (*edit)(struct world *);
		const char *domain;
		bool want[MA_PROFILE_COUNT];
	} g[] = {
	    {e_dkim_unknown, "example.com", {true, true, false}},
	    {e_unsigned, "example.com", {true, false, false}},
	    {e_tlsa_none, "example.com", {true, false, false}},
	    {e_p_none, "sub.example.com", {false, false, false}},
	    {e_sts_none, "example.com", {false, true, false}},
	    {e_dmarc_servfail, "example.com", {false, false, false}},
	    {e_parked_good, "parked.example", {false, true, false}},
	    {e_parked_bad, "parked.example", {false, false, false}},
	};
	for (size_t i = 0; i < sizeof g / sizeof *g; i++) {
		struct world w;
		good_zone(&w);
		g[i].edit(&w);
		struct ma_scan *s = run(&w, g[i].domain);
		json_t *j = ma_scan_to_json(s);
		char *stored = json_dumps(j, 0);
		json_t *back = json_loads(stored, 0, NULL);
		assert_non_null(back);
		for (int p = 0; p < MA_PROFILE_COUNT; p++) {
			bool pass, pass2;
			json_t *a = ma_profile_grade((enum ma_profile)p, j, &pass);
			json_t *b = ma_profile_grade((enum ma_profile)p, back, &pass2);
			assert_non_null(a);
			assert_non_null(b);
			assert_true(json_equal(a, b));
			assert_int_equal(pass, pass2);
			if (pass != g[i].want[p])
				fail_msg("case %zu profile %s: got %d (%s)", i, ma_profile_name((enum ma_profile)p),
				         pass, json_dumps(a, 0));
			json_decref(a);
			json_decref(b);
		}
		free(stored);
		json_decref(back);
		json_decref(j);
		ma_scan_free(s);
		fakedns_free(w.z);
	}
	/* effects are parked-aware and names round-trip */
	assert_int_equal(ma_profile_effect(MA_PROFILE_UK_GOV, "scan.mtasts.none", false), MA_EFFECT_FAIL);
	assert_int_equal(ma_profile_effect(MA_PROFILE_UK_GOV, "scan.mtasts.none", true), MA_EFFECT_NONE);
	assert_int_equal(ma_profile_effect(MA_PROFILE_NL_NCSC, "scan.tlsa.none", false), MA_EFFECT_FAIL);
	assert_int_equal(ma_profile_effect(MA_PROFILE_BOD_18_01, "scan.dmarc.rua-no-cisa", false), MA_EFFECT_FAIL);
	enum ma_profile p;
	assert_int_equal(ma_profile_from_name("nl-ncsc", &p), MA_OK);
	assert_int_equal(p, MA_PROFILE_NL_NCSC);
	assert_int_equal(ma_profile_from_name("fr-anssi", &p), MA_ERR_INVAL);
	bool pass;
	json_t *nofind = json_object();
	assert_null(ma_profile_grade(MA_PROFILE_UK_GOV, nofind, &pass));
	json_decref(nofind);
}

static void test_api(void **state)
{
	(void)state;
	struct ma_scan *s;
	assert_int_equal(ma_scan_new(&(struct ma_scan_opts){.domain = "bad..name"}, &s), MA_ERR_INVAL);
	assert_int_equal(ma_scan_new(&(struct ma_scan_opts){.domain = ""}, &s), MA_ERR_INVAL);
	assert_int_equal(ma_scan_new(&(struct ma_scan_opts){.domain = "a b.example"}, &s), MA_ERR_INVAL);
	assert_int_equal(ma_scan_new(&(struct ma_scan_opts){.domain = "example.com"}, &s), MA_OK);
	struct ma_scan_need n[64];
	size_t k;
	assert_int_equal(ma_scan_step(s, n, 64, &k), MA_SCAN_PENDING);
	assert_true(k > 5);
	struct ma_dns_answer a = {.status = MA_DNS_TIMEOUT};
	assert_int_equal(ma_scan_answer_dns(s, 99999, &a), MA_ERR_STATE);
	assert_int_equal(ma_scan_answer_dns(s, n[0].id, &a), MA_OK);
	assert_int_equal(ma_scan_answer_dns(s, n[0].id, &a), MA_ERR_STATE); /* exactly once */
	assert_null(ma_scan_to_json(s));                                    /* not done */
	ma_scan_free(s);
	assert_string_equal(ma_mark_name(MA_MARK_INCONCLUSIVE), "inconclusive");
	assert_string_equal(ma_scan_area_name(MA_AREA_MTASTS), "mta-sts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_api),     cmocka_unit_test(test_good),     cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_shuffle), cmocka_unit_test(test_profiles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
