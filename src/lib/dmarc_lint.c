/* src/lib/dmarc_lint.c — the DMARC linter: policy-level findings on a parsed record, for both generations
 * (RFC 7489 receivers and RFC 9989 receivers read the same record) and the UK government standard. */
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"
#include "lib/lint.h"

/* none < quarantine < reject */
static int strength(enum ma_dmarc_policy p)
{
	switch (p) {
	case MA_DMARC_P_QUARANTINE: return 1;
	case MA_DMARC_P_REJECT: return 2;
	default: return 0;
	}
}

static bool valid_policy(enum ma_dmarc_policy p)
{
	return p >= MA_DMARC_P_NONE && p <= MA_DMARC_P_REJECT;
}

/* The UK central DMARC service (standards/uk-gov-email-security.md): dmarc.service.gov.uk and its subdomains. */
static bool is_uk_central(const char *domain)
{
	static const char central[] = "dmarc.service.gov.uk";
	size_t n = strlen(domain), c = sizeof central - 1;
	if (n < c || strcmp(domain + n - c, central) != 0)
		return false;
	return n == c || domain[n - c - 1] == '.';
}

static int check_uris(const struct ma_dmarc_uri *u, size_t n, const char *tag, struct ma_findings *f)
{
	int rc = MA_OK;
	for (size_t i = 0; i < n && rc == MA_OK; i++) {
		if (!u[i].mailto)
			rc = ma_findings_add(f, "dmarc.uri.not-mailto", "%s: %s", tag, u[i].uri);
		else if (u[i].domain == NULL)
			rc = ma_findings_add(f, "dmarc.uri.mailto-invalid", "%s: %s", tag, u[i].uri);
	}
	return rc;
}

int ma_dmarc_record_check(const struct ma_dmarc_record *r, struct ma_findings *f)
{
	int rc = MA_OK;
#define ADD(...)                                      \
	do {                                          \
		if ((rc = ma_findings_add(f, __VA_ARGS__)) != MA_OK) \
			return rc;                    \
	} while (0)
	if (!r->valid)
		return MA_OK; /* the parser said why */

	if (!r->applies) {
		ADD("dmarc.policy.missing", "%s", (r->tags & MA_DMARC_TAG_P) ? "p is invalid" : "p is absent");
	} else if (!valid_policy(r->p) || r->sp == MA_DMARC_P_INVALID || r->np == MA_DMARC_P_INVALID) {
		ADD("dmarc.policy.as-none", "%s",
		    !(r->tags & MA_DMARC_TAG_P) ? "p is absent" : !valid_policy(r->p) ? "p is invalid"
		    : r->sp == MA_DMARC_P_INVALID ? "sp is invalid" : "np is invalid");
	} else {
		if (r->p == MA_DMARC_P_NONE)
			ADD("dmarc.policy.none", NULL);
		else
			ADD("dmarc.policy.enforced", "p=%s", ma_dmarc_policy_name(r->p));
		if (valid_policy(r->sp) && strength(r->sp) < strength(r->p))
			ADD("dmarc.sp.weaker", "p=%s, sp=%s", ma_dmarc_policy_name(r->p), ma_dmarc_policy_name(r->sp));
		if (valid_policy(r->np) && strength(r->np) < strength(r->eff_sp))
			ADD("dmarc.np.weaker", "np=%s, subdomains %s", ma_dmarc_policy_name(r->np),
			    ma_dmarc_policy_name(r->eff_sp));
	}
	if ((r->tags & MA_DMARC_TAG_PCT) && !(r->invalid & MA_DMARC_TAG_PCT) && r->pct < 100)
		ADD("dmarc.pct.partial", "pct=%d", r->pct);
	if (r->t)
		ADD("dmarc.testing", NULL);
	if (r->nrua == 0)
		ADD("dmarc.rua.missing", NULL);
	else if (r->nrua > 2)
		ADD("dmarc.rua.too-many", "%zu URIs", r->nrua);
	if ((rc = check_uris(r->rua, r->nrua, "rua", f)) != MA_OK)
		return rc;
	if ((rc = check_uris(r->ruf, r->nruf, "ruf", f)) != MA_OK)
		return rc;
	if (r->nruf > 0) {
		ADD("dmarc.ruf.present", "%zu URI%s", r->nruf, r->nruf == 1 ? "" : "s");
		for (size_t i = 0; i < r->nruf; i++)
			if (r->ruf[i].domain != NULL && is_uk_central(r->ruf[i].domain))
				ADD("dmarc.ruf.central-service", "%s", r->ruf[i].uri);
	}
	if ((r->tags & MA_DMARC_TAG_FO) && r->nruf == 0)
		ADD("dmarc.fo.without-ruf", NULL);
	if ((r->fo & MA_DMARC_FO_0) && (r->fo & MA_DMARC_FO_1))
		ADD("dmarc.fo.conflict", NULL);
	if (r->rf != NULL) {
		/* RFC 7489 6.3: "afrf" is the only format defined. */
		const char *p = r->rf;
		while (*p) {
			size_t n = strcspn(p, ":");
			if (n != 4 || strncmp(p, "afrf", 4) != 0) {
				ADD("dmarc.rf.unsupported", "rf=%s", r->rf);
				break;
			}
			p += n;
			if (*p == ':')
				p++;
		}
	}
	if (r->psd == MA_DMARC_PSD_Y)
		ADD("dmarc.psd.declared", NULL);
#undef ADD
	return MA_OK;
}

int ma_dmarc_lint(const char *data, size_t len, struct ma_lint_result *out)
{
	/* Filled from scratch: whatever the return, the caller's ma_lint_result_fini() releases it. */
	out->valid = false;
	out->parsed = NULL;
	ma_findings_init(&out->findings);
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;

	struct ma_dmarc_record rec;
	int rc = ma_dmarc_parse(data, len, &rec, &out->findings);
	if (rc == MA_OK)
		rc = ma_dmarc_record_check(&rec, &out->findings);
	if (rc == MA_OK) {
		out->valid = rec.valid;
		out->parsed = ma_dmarc_record_to_json(&rec);
		if (out->parsed == NULL)
			rc = MA_ERR_NOMEM;
	}
	ma_dmarc_record_fini(&rec);
	return rc;
}
