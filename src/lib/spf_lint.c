/* src/lib/spf_lint.c — the SPF linter (lint.h contract): syntax, the all mechanism, lookups the record itself
 * costs, ptr, size, and the UK government standard's SPF rules, all from the record text alone (no DNS). */
#include <string.h>

#include "lib/err.h"
#include "lib/lint.h"
#include "lib/spf.h"

static bool is_dns_term(enum ma_spf_kind k)
{
	/* RFC 7208 4.6.4: these cause DNS queries and count towards the limit of 10. */
	return k == MA_SPF_INCLUDE || k == MA_SPF_A || k == MA_SPF_MX || k == MA_SPF_PTR || k == MA_SPF_EXISTS ||
	       k == MA_SPF_REDIRECT;
}

static int check_record(const struct ma_spf_record *r, size_t len, struct ma_findings *f)
{
	int rc;
#define ADD(...)                                                   \
	do {                                                       \
		if ((rc = ma_findings_add(f, __VA_ARGS__)) != MA_OK) \
			return rc;                                 \
	} while (0)
	if (!r->valid) {
		if (r->too_long)
			ADD("spf.record.too-long", "%zu bytes", len);
		else if (r->not_spf)
			ADD("spf.record.not-spf", NULL);
		else if (r->nterms == MA_SPF_TERMS_MAX)
			ADD("spf.record.too-many-terms", "over %d terms", MA_SPF_TERMS_MAX);
		else
			ADD("spf.record.syntax", "%s", r->error ? r->error : "?");
		return MA_OK;
	}
	int all = -1;
	unsigned lookups = 0;
	bool ptr = false;
	for (size_t i = 0; i < r->nterms && all < 0; i++)
		if (r->terms[i].kind == MA_SPF_ALL)
			all = (int)i;
	for (size_t i = 0; i < r->nterms; i++) {
		const struct ma_spf_term *t = &r->terms[i];
		/* Terms after 'all' are never evaluated, nor is redirect when 'all' is present (RFC 7208 6.1). */
		if (t->kind == MA_SPF_REDIRECT ? all < 0 : (is_dns_term(t->kind) && (all < 0 || (size_t)all > i)))
			lookups++;
		if (t->kind == MA_SPF_PTR)
			ptr = true;
		if (t->kind == MA_SPF_UNKNOWN)
			ADD("spf.modifier.unknown", "%s", t->text);
		if ((t->kind == MA_SPF_IP4 || t->kind == MA_SPF_IP6) && t->host_bits)
			ADD("spf.ip.host-bits", "%s", t->text);
		if ((t->kind == MA_SPF_IP4 && t->cidr4 >= 0 && t->cidr4 < 8) ||
		    (t->kind == MA_SPF_IP6 && t->cidr6 >= 0 && t->cidr6 < 16))
			if (t->qual == MA_SPF_Q_PASS)
				ADD("spf.ip.broad", "%s", t->text);
	}
	if (all >= 0) {
		const struct ma_spf_term *a = &r->terms[all];
		if (a->qual == MA_SPF_Q_PASS)
			ADD("spf.all.pass", "%s", a->text);
		else if (a->qual == MA_SPF_Q_NEUTRAL)
			ADD("spf.all.neutral", "%s", a->text);
		else
			ADD("spf.all.ok", "%s", a->text);
		for (size_t i = (size_t)all + 1; i < r->nterms; i++)
			if (r->terms[i].kind <= MA_SPF_EXISTS) {
				ADD("spf.terms.after-all", "%s", r->terms[i].text);
				break;
			}
		if (r->redirect >= 0)
			ADD("spf.redirect.ignored", "%s", r->terms[r->redirect].text);
	} else if (r->redirect < 0) {
		ADD("spf.all.missing", NULL);
	}
	if (ptr)
		ADD("spf.ptr.used", NULL);
	if (lookups > MA_SPF_LOOKUP_LIMIT)
		ADD("spf.lookups.over-limit", "%u DNS-querying terms in the record itself", lookups);
	else if (lookups > MA_SPF_LOOKUP_ADVISE)
		ADD("spf.lookups.high", "%u DNS-querying terms in the record itself", lookups);
	if (len > MA_SPF_UK_RECORD_MAX)
		ADD("spf.record.long", "%zu bytes", len);
	if (r->exp >= 0)
		ADD("spf.exp.used", "%s", r->terms[r->exp].text);
#undef ADD
	return MA_OK;
}

int ma_spf_lint(const char *data, size_t len, struct ma_lint_result *out)
{
	/* Filled from scratch: whatever the return, the caller's ma_lint_result_fini() releases it. */
	out->valid = false;
	out->parsed = NULL;
	ma_findings_init(&out->findings);
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;

	struct ma_spf_record rec;
	int rc = ma_spf_parse(data, len, &rec);
	if (rc == MA_OK)
		rc = check_record(&rec, len, &out->findings);
	if (rc == MA_OK) {
		out->valid = rec.valid;
		out->parsed = ma_spf_record_to_json(&rec);
		if (out->parsed == NULL)
			rc = MA_ERR_NOMEM;
	}
	ma_spf_record_fini(&rec);
	return rc;
}
