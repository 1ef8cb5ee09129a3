/* tests/unit/lib/test_dmarc_discover.c — DMARC policy discovery through canned zones (fakedns): exact, PSL, tree
 * walk, psd=y / psd=n, a PSL/tree-walk disagreement, temporary failure, multiple records, NXDOMAIN author, bogus and
 * malformed answers; the RFC 9989 tree-walk vectors; OpenDMARC alignment vectors; report-destination checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "lib/dmarc.h"
#include "lib/err.h"

static psl_ctx_t *psl;

static int setup(void **state)
{
	(void)state;
	psl = psl_latest(NULL);
	return psl == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	psl_free(psl);
	return 0;
}

#define MAXQ 32
struct trace {
	char q[MAXQ][MA_DNS_NAME_MAX + 1];
	size_t n;
	const char *bogus; /* answer this name as DNSSEC-bogus */
};

static struct ma_dmarc_discover *discover(struct fakedns *z, const char *domain, const psl_ctx_t *p,
					  struct trace *t)
{
	struct ma_dmarc_discover *d;
	struct ma_dmarc_discover_opts o = {.domain = domain, .psl = p};
	assert_int_equal(ma_dmarc_discover_new(&o, &d), MA_OK);
	struct ma_dns_question q;
	int rc, guard = 0;
	while ((rc = ma_dmarc_discover_next(d, &q)) == 1) {
		assert_true(++guard < 20);
		if (t != NULL && t->n < MAXQ && q.type == MA_DNS_T_TXT)
			snprintf(t->q[t->n++], sizeof t->q[0], "%s", q.name);
		struct ma_dns_answer a;
		fakedns_answer(z, &q, &a);
		if (t != NULL && t->bogus != NULL && strcmp(q.name, t->bogus) == 0) {
			a.status = MA_DNS_BOGUS;
			a.count = 0;
		}
		assert_int_equal(ma_dmarc_discover_answer(d, &a), MA_OK);
	}
	assert_int_equal(rc, 0);
	assert_non_null(ma_dmarc_discover_result(d));
	return d;
}

static void test_exact(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; ", "rua=mailto:d@example.com", NULL);
	fakedns_txt(z, "_dmarc.example.com", "some other text", NULL);
	fakedns_exists(z, "example.com");
	struct trace t = {0};
	struct ma_dmarc_discover *d = discover(z, "Example.COM.", psl, &t);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_FOUND);
	assert_int_equal(r->primary->how, MA_DMARC_HOW_EXACT);
	assert_int_equal(r->rfc7489.how, MA_DMARC_HOW_EXACT);
	assert_string_equal(r->primary->policy_domain, "example.com");
	assert_string_equal(r->rfc9989.org_domain, "example.com");
	assert_string_equal(r->rfc7489.org_domain, "example.com");
	assert_int_equal(r->primary->policy, MA_DMARC_P_REJECT);
	assert_false(r->disagree);
	assert_false(r->author_nxdomain);
	assert_true(r->author_exists_known);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.exact"));
	assert_true(ma_findings_has(&r->findings, "dmarc.policy.enforced"));
	assert_int_equal(t.n, 2);
	assert_string_equal(t.q[0], "_dmarc.example.com");
	assert_string_equal(t.q[1], "_dmarc.com");
	json_t *j = ma_dmarc_discovery_to_json(r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "how")), "exact");
	json_decref(j);
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_inherited_psl_and_walk(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine", NULL);
	fakedns_exists(z, "mail.example.com");
	struct ma_dmarc_discover *d = discover(z, "mail.example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_FOUND);
	assert_int_equal(r->rfc9989.how, MA_DMARC_HOW_TREEWALK);
	assert_int_equal(r->rfc7489.how, MA_DMARC_HOW_PSL);
	assert_string_equal(r->rfc9989.policy_domain, "example.com");
	assert_string_equal(r->rfc7489.policy_domain, "example.com");
	assert_int_equal(r->primary->policy, MA_DMARC_P_QUARANTINE); /* sp for an existing subdomain */
	assert_int_equal(r->rfc7489.policy, MA_DMARC_P_QUARANTINE);
	assert_false(r->disagree);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.inherited"));
	ma_dmarc_discover_free(d);

	/* Without a PSL only the tree walk runs. */
	d = discover(z, "mail.example.com", NULL, NULL);
	r = ma_dmarc_discover_result(d);
	assert_false(r->psl_used);
	assert_int_equal(r->outcome, MA_DMARC_FOUND);
	assert_int_equal(r->rfc7489.outcome, MA_DMARC_NONE);
	assert_false(r->disagree);
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_psd_y(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.com", "v=DMARC1; p=reject; psd=y", NULL);
	fakedns_exists(z, "a.mail.example.com");
	struct ma_dmarc_discover *d = discover(z, "a.mail.example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->rfc9989.outcome, MA_DMARC_FOUND);
	assert_true(r->rfc9989.from_psd);
	assert_string_equal(r->rfc9989.org_domain, "example.com");
	assert_string_equal(r->rfc9989.policy_domain, "com");
	assert_int_equal(r->rfc7489.outcome, MA_DMARC_NONE);
	assert_true(r->disagree);
	assert_ptr_equal(r->primary, &r->rfc9989);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.psd"));
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.disagree"));
	assert_true(ma_findings_has(&r->findings, "dmarc.psd.declared"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_psd_n_disagreement(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.mail.example.com", "v=DMARC1; p=quarantine; psd=n", NULL);
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject", NULL);
	fakedns_exists(z, "a.mail.example.com");
	struct trace t = {0};
	struct ma_dmarc_discover *d = discover(z, "a.mail.example.com", psl, &t);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_string_equal(r->rfc9989.org_domain, "mail.example.com");
	assert_string_equal(r->rfc9989.policy_domain, "mail.example.com");
	assert_int_equal(r->rfc9989.policy, MA_DMARC_P_QUARANTINE);
	assert_string_equal(r->rfc7489.org_domain, "example.com");
	assert_string_equal(r->rfc7489.policy_domain, "example.com");
	assert_int_equal(r->rfc7489.policy, MA_DMARC_P_REJECT);
	assert_true(r->disagree);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.disagree"));
	/* the walk stopped at psd=n; the PSL method asked for example.com itself */
	assert_int_equal(t.n, 3);
	assert_string_equal(t.q[1], "_dmarc.mail.example.com");
	assert_string_equal(t.q[2], "_dmarc.example.com");
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_walk_picks_intermediate(void **state)
{
	(void)state;
	/* A record only at b.example.com: the tree walk makes it the organisational domain, the PSL says example.com
	 * (which has none). */
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.b.example.com", "v=DMARC1; p=reject; rua=mailto:d@b.example.com", NULL);
	fakedns_exists(z, "a.b.example.com");
	struct ma_dmarc_discover *d = discover(z, "a.b.example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_FOUND);
	assert_string_equal(r->rfc9989.org_domain, "b.example.com");
	assert_int_equal(r->rfc7489.outcome, MA_DMARC_NONE);
	assert_true(r->disagree);
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_temporary_failure(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_timeout(z, "_dmarc.example.com");
	fakedns_exists(z, "example.com");
	struct ma_dmarc_discover *d = discover(z, "example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_INCONCLUSIVE);
	assert_int_equal(r->rfc7489.outcome, MA_DMARC_INCONCLUSIVE);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.temperror"));
	assert_false(ma_findings_has(&r->findings, "dmarc.discovery.none"));
	ma_dmarc_discover_free(d);

	/* a parent fails: the walk and the PSL (same name) are both inconclusive */
	fakedns_servfail(z, "_dmarc.example.net");
	fakedns_exists(z, "mail.example.net");
	d = discover(z, "mail.example.net", psl, NULL);
	r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_INCONCLUSIVE);
	assert_int_equal(r->rfc9989.outcome, MA_DMARC_INCONCLUSIVE);
	assert_int_equal(r->rfc7489.outcome, MA_DMARC_INCONCLUSIVE);
	assert_false(r->disagree);
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_multiple_and_ignored(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject", NULL);
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=none", NULL);
	fakedns_exists(z, "example.com");
	struct ma_dmarc_discover *d = discover(z, "example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_NONE);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.multiple"));
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.none"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);

	z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.org", "v=dmarc1; p=reject", NULL);
	fakedns_exists(z, "example.org");
	d = discover(z, "example.org", psl, NULL);
	r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_NONE);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.ignored-txt"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_nxdomain_np_and_testing(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; sp=none; np=quarantine", NULL);
	struct ma_dmarc_discover *d = discover(z, "nope.example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_true(r->author_nxdomain);
	assert_int_equal(r->rfc9989.policy, MA_DMARC_P_QUARANTINE); /* np */
	assert_int_equal(r->rfc7489.policy, MA_DMARC_P_NONE);       /* RFC 7489 knows only sp */
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.nxdomain"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);

	z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; t=y", NULL);
	fakedns_exists(z, "example.com");
	d = discover(z, "example.com", psl, NULL);
	r = ma_dmarc_discover_result(d);
	assert_int_equal(r->rfc9989.policy, MA_DMARC_P_REJECT);
	assert_int_equal(r->rfc9989.applied, MA_DMARC_P_QUARANTINE);
	assert_int_equal(r->rfc7489.applied, MA_DMARC_P_REJECT);
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_bogus_and_malformed(void **state)
{
	(void)state;
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject", NULL);
	fakedns_exists(z, "example.com");
	struct trace t = {.bogus = "_dmarc.example.com"};
	struct ma_dmarc_discover *d = discover(z, "example.com", psl, &t);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_INCONCLUSIVE);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.bogus"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);

	z = fakedns_new();
	static const unsigned char bad[] = {200, 'v', '=', 'D'}; /* string length past the rdata */
	fakedns_add(z, "_dmarc.example.com", MA_DNS_T_TXT, bad, sizeof bad);
	fakedns_exists(z, "example.com");
	d = discover(z, "example.com", psl, NULL);
	r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_INCONCLUSIVE);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.malformed"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

static void test_step_contract(void **state)
{
	(void)state;
	struct ma_dmarc_discover *d;
	struct ma_dmarc_discover_opts o = {.domain = "..", .psl = NULL};
	assert_int_equal(ma_dmarc_discover_new(&o, &d), MA_ERR_INVAL);
	o.domain = "example.com";
	assert_int_equal(ma_dmarc_discover_new(&o, &d), MA_OK);
	struct ma_dns_answer a = {.status = MA_DNS_NXDOMAIN};
	assert_int_equal(ma_dmarc_discover_answer(d, &a), MA_ERR_STATE); /* nothing asked yet */
	assert_null(ma_dmarc_discover_result(d));
	struct ma_dns_question q1, q2;
	assert_int_equal(ma_dmarc_discover_next(d, &q1), 1);
	assert_int_equal(ma_dmarc_discover_next(d, &q2), 1); /* unanswered: asked again */
	assert_string_equal(q1.name, "_dmarc.example.com");
	assert_string_equal(q2.name, q1.name);
	assert_int_equal(q1.type, MA_DNS_T_TXT);
	ma_dmarc_discover_free(d);
}

static void test_walk_failure_leaves_org_unknown(void **state)
{
	(void)state;
	/* the author's own record is found, but the walk above it fails: the policy stands, the organisational domain
	 * by the tree walk is unknown, and no disagreement is claimed */
	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "_dmarc.mail.example.com", "v=DMARC1; p=reject", NULL);
	fakedns_exists(z, "mail.example.com");
	fakedns_timeout(z, "_dmarc.example.com");
	struct ma_dmarc_discover *d = discover(z, "mail.example.com", psl, NULL);
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	assert_int_equal(r->outcome, MA_DMARC_FOUND);
	assert_int_equal(r->primary->how, MA_DMARC_HOW_EXACT);
	assert_string_equal(r->rfc9989.org_domain, "");
	assert_false(r->disagree);
	assert_true(ma_findings_has(&r->findings, "dmarc.discovery.temperror"));
	ma_dmarc_discover_free(d);
	fakedns_free(z);
}

/* ---- RFC 9989 tree-walk vectors ---------------------------------------------------------------------------- */

static json_t *load_suite(const char *rel)
{
	const char *dir = getenv("MA_SHARED_DIR");
	if (dir == NULL)
		return NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	return json_load_file(path, 0, NULL);
}

static struct fakedns *zone_from(json_t *zone)
{
	struct fakedns *z = fakedns_new();
	const char *name;
	json_t *v;
	json_object_foreach(zone, name, v) {
		if (json_is_array(v)) {
			size_t i;
			json_t *s;
			json_array_foreach(v, i, s) fakedns_txt(z, name, json_string_value(s), NULL);
		} else {
			json_t *a = json_object_get(v, "A");
			size_t i;
			json_t *s;
			json_array_foreach(a, i, s) fakedns_a(z, name, json_string_value(s));
		}
	}
	return z;
}

/* The organisational domain of `domain` by the tree walk, with the _dmarc queries it asked. */
static void orgwalk(struct fakedns *z, const char *domain, char *org, struct trace *t)
{
	struct ma_dmarc_orgwalk *w;
	assert_int_equal(ma_dmarc_orgwalk_new(domain, &w), MA_OK);
	struct ma_dns_question q;
	int guard = 0;
	while (ma_dmarc_orgwalk_next(w, &q) == 1) {
		assert_true(++guard <= MA_DMARC_WALK_MAX);
		if (t != NULL && t->n < MAXQ)
			snprintf(t->q[t->n++], sizeof t->q[0], "%s", q.name);
		struct ma_dns_answer a;
		fakedns_answer(z, &q, &a);
		assert_int_equal(ma_dmarc_orgwalk_answer(w, &a), MA_OK);
	}
	const char *o;
	assert_int_equal(ma_dmarc_orgwalk_result(w, &o), MA_DMARC_FOUND);
	snprintf(org, MA_DNS_NAME_MAX + 1, "%s", o);
	ma_dmarc_orgwalk_free(w);
}

static void assert_queries(const struct trace *t, json_t *want, const char *id)
{
	if (t->n != json_array_size(want))
		fail_msg("%s: %zu queries, want %zu", id, t->n, json_array_size(want));
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->q[i], json_string_value(json_array_get(want, i))) != 0)
			fail_msg("%s: query %zu is %s, want %s", id, i, t->q[i],
				 json_string_value(json_array_get(want, i)));
}

static void test_treewalk_vectors(void **state)
{
	(void)state;
	json_t *s = load_suite("suites/dmarc/dmarcbis/treewalk-vectors.json");
	if (s == NULL)
		skip();
	size_t i, ran = 0;
	json_t *c;
	json_array_foreach(json_object_get(s, "cases"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *kind = json_string_value(json_object_get(c, "kind"));
		json_t *want = json_object_get(c, "expect");
		struct fakedns *z = zone_from(json_object_get(c, "zone"));
		char org[MA_DNS_NAME_MAX + 1];
		if (strcmp(kind, "alignment") == 0) {
			const char *a = json_string_value(json_object_get(c, "author_domain"));
			const char *b = json_string_value(json_object_get(c, "authenticated_domain"));
			fakedns_txt(z, "_dmarc.example.com", "v=DMARC1; p=none", NULL); /* the vectors' stated assumption */
			char ao[MA_DNS_NAME_MAX + 1], bo[MA_DNS_NAME_MAX + 1];
			orgwalk(z, a, ao, NULL);
			orgwalk(z, b, bo, NULL);
			bool strict = json_is_true(json_object_get(want, "strict"));
			bool relaxed = json_is_true(json_object_get(want, "relaxed"));
			if (ma_dmarc_aligned(a, ao, b, bo, MA_DMARC_STRICT) != strict ||
			    ma_dmarc_aligned(a, ao, b, bo, MA_DMARC_RELAXED) != relaxed ||
			    ma_dmarc_aligned_psl(psl, a, b, MA_DMARC_STRICT) != strict ||
			    ma_dmarc_aligned_psl(psl, a, b, MA_DMARC_RELAXED) != relaxed)
				fail_msg("%s: alignment", id);
		} else if (strcmp(kind, "query-sequence") == 0) {
			struct trace t = {0};
			struct ma_dmarc_discover *d =
				discover(z, json_string_value(json_object_get(c, "author_domain")), NULL, &t);
			assert_int_equal(ma_dmarc_discover_result(d)->outcome, MA_DMARC_NONE);
			assert_queries(&t, json_object_get(c, "expect_queries"), id);
			ma_dmarc_discover_free(d);
		} else if (strcmp(kind, "org-domain") == 0) {
			struct trace t = {0};
			orgwalk(z, json_string_value(json_object_get(c, "start")), org, &t);
			assert_string_equal(org, json_string_value(json_object_get(c, "expect_org_domain")));
			if (json_object_get(c, "expect_queries"))
				assert_queries(&t, json_object_get(c, "expect_queries"), id);
		} else if (strcmp(kind, "full") == 0) {
			const char *author = json_string_value(json_object_get(c, "author_domain"));
			const char *name;
			json_t *v;
			json_object_foreach(json_object_get(want, "org_domain"), name, v) {
				orgwalk(z, name, org, NULL);
				if (strcmp(org, json_string_value(v)) != 0)
					fail_msg("%s: org of %s is %s, want %s", id, name, org, json_string_value(v));
			}
			json_object_foreach(json_object_get(want, "queries_for_org_of"), name, v) {
				struct trace t = {0};
				orgwalk(z, name, org, &t);
				assert_queries(&t, v, id);
			}
			char ao[MA_DNS_NAME_MAX + 1], so[MA_DNS_NAME_MAX + 1], ko[MA_DNS_NAME_MAX + 1];
			orgwalk(z, author, ao, NULL);
			const char *spf = json_string_value(json_object_get(c, "spf_pass_domain"));
			orgwalk(z, spf, so, NULL);
			bool spf_al = ma_dmarc_aligned(author, ao, spf, so, MA_DMARC_RELAXED);
			assert_int_equal(spf_al, json_is_true(json_object_get(want, "spf_aligned_relaxed")));
			bool dkim_al = false;
			size_t k;
			json_array_foreach(json_object_get(c, "dkim_pass_domains"), k, v) {
				orgwalk(z, json_string_value(v), ko, NULL);
				dkim_al |= ma_dmarc_aligned(author, ao, json_string_value(v), ko, MA_DMARC_RELAXED);
			}
			assert_int_equal(dkim_al, json_is_true(json_object_get(want, "dkim_aligned_relaxed")));
			struct trace t = {0};
			struct ma_dmarc_discover *d = discover(z, author, NULL, &t);
			const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
			assert_int_equal(r->outcome, MA_DMARC_FOUND);
			assert_string_equal(r->primary->policy_domain,
					    json_string_value(json_object_get(want, "policy_domain")));
			if (json_object_get(want, "queries_for_author"))
				assert_queries(&t, json_object_get(want, "queries_for_author"), id);
			const char *verdict = (spf_al || dkim_al) ? "pass" : "fail";
			assert_string_equal(verdict, json_string_value(json_object_get(want, "dmarc")));
			ma_dmarc_discover_free(d);
		} else if (strcmp(kind, "policy") == 0) {
			const char *author = json_string_value(json_object_get(c, "author_domain"));
			json_t *ex = json_object_get(c, "author_domain_exists");
			if (ex == NULL || json_is_true(ex))
				fakedns_exists(z, author);
			struct ma_dmarc_discover *d = discover(z, author, NULL, NULL);
			const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
			const struct ma_dmarc_method *m = &r->rfc9989;
			if (json_object_get(want, "policy_domain"))
				assert_string_equal(m->policy_domain,
						    json_string_value(json_object_get(want, "policy_domain")));
			if (json_object_get(want, "dmarc_applies"))
				assert_int_equal(m->outcome == MA_DMARC_FOUND && m->record.applies,
						 json_is_true(json_object_get(want, "dmarc_applies")));
			if (json_object_get(want, "policy"))
				assert_string_equal(ma_dmarc_policy_name(m->policy),
						    json_string_value(json_object_get(want, "policy")));
			if (json_object_get(want, "applied_policy")) /* every such vector fails DMARC (no aligned pass) */
				assert_string_equal(ma_dmarc_policy_name(m->applied),
						    json_string_value(json_object_get(want, "applied_policy")));
			ma_dmarc_discover_free(d);
		} else {
			fail_msg("%s: unknown kind %s", id, kind);
		}
		fakedns_free(z);
		ran++;
	}
	assert_true(ran >= 20);
	json_decref(s);
}

/* OpenDMARC opendmarc_policy_check_alignment vectors, with the PSL. */
static void test_opendmarc_alignment(void **state)
{
	(void)state;
	json_t *s = load_suite("suites/dmarc/opendmarc/vectors.json");
	if (s == NULL)
		skip();
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(s, "alignment"), i, c) {
		const char *a = json_string_value(json_object_get(c, "domain"));
		const char *b = json_string_value(json_object_get(c, "other"));
		bool strict = strcmp(json_string_value(json_object_get(c, "mode")), "strict") == 0;
		bool want = strcmp(json_string_value(json_object_get(c, "expect")), "aligned") == 0;
		if (ma_dmarc_aligned_psl(psl, a, b, strict ? MA_DMARC_STRICT : MA_DMARC_RELAXED) != want)
			fail_msg("opendmarc alignment #%lld %s / %s", json_integer_value(json_object_get(c, "n")), a, b);
	}
	json_array_foreach(json_object_get(s, "tld"), i, c) {
		if (json_object_get(c, "broken"))
			continue;
		char org[MA_DNS_NAME_MAX + 1];
		assert_int_equal(ma_dmarc_org_psl(psl, json_string_value(json_object_get(c, "domain")), org, sizeof org),
				 MA_OK);
		assert_string_equal(org, json_string_value(json_object_get(c, "expect_org_domain_prefix")));
	}
	json_decref(s);
}

/* ---- external report destinations ---------------------------------------------------------------------- */

static void test_report_destinations(void **state)
{
	(void)state;
	struct ma_dmarc_record rec;
	const char *txt = "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:r@reports.example.net,"
			  "mailto:x@sub.example.com,https://h.example.org/; ruf=mailto:f@reports.example.net";
	assert_int_equal(ma_dmarc_parse(txt, strlen(txt), &rec, NULL), MA_OK);
	struct ma_dmarc_report_dest *dests;
	size_t n;
	assert_int_equal(ma_dmarc_report_dests(&rec, "example.com", psl, &dests, &n), MA_OK);
	assert_int_equal(n, 2);
	assert_string_equal(dests[0].query, "example.com._report._dmarc.reports.example.net");
	assert_string_equal(dests[0].wildcard, "*._report._dmarc.reports.example.net");
	assert_false(dests[0].ruf);
	assert_true(dests[1].ruf);

	struct fakedns *z = fakedns_new();
	fakedns_txt(z, "example.com._report._dmarc.reports.example.net", "v=DMARC1;", NULL);
	fakedns_txt(z, "*._report._dmarc.other.example", "something else", NULL);
	fakedns_timeout(z, "example.com._report._dmarc.slow.example");
	struct ma_findings f;
	ma_findings_init(&f);
	struct ma_dns_question q = {.type = MA_DNS_T_TXT};
	struct ma_dns_answer a;

	snprintf(q.name, sizeof q.name, "%s", dests[0].query);
	fakedns_answer(z, &q, &a);
	assert_int_equal(ma_dmarc_report_auth_judge(&a), MA_DMARC_AUTH_YES);
	assert_int_equal(ma_dmarc_report_auth_finding(&f, &dests[0], MA_DMARC_AUTH_YES), MA_OK);
	assert_true(ma_findings_has(&f, "dmarc.report.external-authorized"));

	snprintf(q.name, sizeof q.name, "example.com._report._dmarc.nobody.example");
	fakedns_answer(z, &q, &a);
	assert_int_equal(ma_dmarc_report_auth_judge(&a), MA_DMARC_AUTH_NO);
	assert_int_equal(ma_dmarc_report_auth_finding(&f, &dests[1], MA_DMARC_AUTH_NO), MA_OK);
	assert_true(ma_findings_has(&f, "dmarc.report.external-unauthorized"));

	snprintf(q.name, sizeof q.name, "*._report._dmarc.other.example");
	fakedns_answer(z, &q, &a);
	assert_int_equal(ma_dmarc_report_auth_judge(&a), MA_DMARC_AUTH_NO);

	snprintf(q.name, sizeof q.name, "example.com._report._dmarc.slow.example");
	fakedns_answer(z, &q, &a);
	assert_int_equal(ma_dmarc_report_auth_judge(&a), MA_DMARC_AUTH_INCONCLUSIVE);
	assert_int_equal(ma_dmarc_report_auth_finding(&f, &dests[0], MA_DMARC_AUTH_INCONCLUSIVE), MA_OK);
	assert_true(ma_findings_has(&f, "dmarc.report.external-inconclusive"));

	ma_findings_fini(&f);
	fakedns_free(z);
	free(dests);

	/* without a PSL: anything outside the policy domain's tree is external */
	assert_int_equal(ma_dmarc_report_dests(&rec, "example.com", NULL, &dests, &n), MA_OK);
	assert_int_equal(n, 2);
	free(dests);
	ma_dmarc_record_fini(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_inherited_psl_and_walk),
		cmocka_unit_test(test_psd_y),
		cmocka_unit_test(test_psd_n_disagreement),
		cmocka_unit_test(test_walk_picks_intermediate),
		cmocka_unit_test(test_temporary_failure),
		cmocka_unit_test(test_multiple_and_ignored),
		cmocka_unit_test(test_nxdomain_np_and_testing),
		cmocka_unit_test(test_bogus_and_malformed),
		cmocka_unit_test(test_step_contract),
		cmocka_unit_test(test_walk_failure_leaves_org_unknown),
		cmocka_unit_test(test_treewalk_vectors),
		cmocka_unit_test(test_opendmarc_alignment),
		cmocka_unit_test(test_report_destinations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
