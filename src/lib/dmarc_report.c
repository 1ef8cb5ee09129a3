/* src/lib/dmarc_report.c — external report destinations (RFC 7489 7.1, RFC 9990 3): which rua/ruf mailto:
 * destinations lie outside the policy domain's organisational domain, the names a receiver queries to see whether
 * the destination agreed to receive the reports, and the verdict on the answers. The scanner asks the questions. */
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"

#define NAMESZ (MA_DNS_NAME_MAX + 1)

static void org_or_self(const psl_ctx_t *psl, const char *name, char *out)
{
	if (ma_dmarc_org_psl(psl, name, out, NAMESZ) != MA_OK)
		snprintf(out, NAMESZ, "%s", name);
}

/* d is the policy domain or one of its subdomains. */
static bool under(const char *d, const char *policy)
{
	size_t n = strlen(d), p = strlen(policy);
	if (n < p || strcmp(d + n - p, policy) != 0)
		return false;
	return n == p || d[n - p - 1] == '.';
}

static int add_dests(const struct ma_dmarc_uri *u, size_t nu, bool ruf, const char *policy, const char *policy_org,
		     const psl_ctx_t *psl, struct ma_dmarc_report_dest **arr, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < nu; i++) {
		if (!u[i].mailto || u[i].domain == NULL)
			continue;
		bool external;
		if (psl != NULL) {
			char org[NAMESZ];
			org_or_self(psl, u[i].domain, org);
			external = strcmp(org, policy_org) != 0;
		} else {
			external = !under(u[i].domain, policy);
		}
		if (!external)
			continue;
		bool dup = false;
		for (size_t j = 0; j < *n && !dup; j++)
			dup = (*arr)[j].ruf == ruf && strcmp((*arr)[j].dest_domain, u[i].domain) == 0;
		if (dup)
			continue;
		struct ma_dmarc_report_dest d;
		memset(&d, 0, sizeof d);
		int a = snprintf(d.dest_domain, sizeof d.dest_domain, "%s", u[i].domain);
		/* RFC 7489 7.1: <policy-domain>._report._dmarc.<destination-domain> */
		int b = snprintf(d.query, sizeof d.query, "%s._report._dmarc.%s", policy, u[i].domain);
		int c = snprintf(d.wildcard, sizeof d.wildcard, "*._report._dmarc.%s", u[i].domain);
		if (a < 0 || b < 0 || c < 0 || (size_t)b >= sizeof d.query || (size_t)c >= sizeof d.wildcard ||
		    !ma_dns_name_is_valid(d.query, (size_t)b))
			continue; /* a query name over 255 octets cannot be asked */
		d.ruf = ruf;
		d.uri = &u[i];
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 4;
			struct ma_dmarc_report_dest *na = realloc(*arr, *cap * sizeof *na);
			if (na == NULL)
				return MA_ERR_NOMEM;
			*arr = na;
		}
		(*arr)[(*n)++] = d;
	}
	return MA_OK;
}

int ma_dmarc_report_dests(const struct ma_dmarc_record *rec, const char *policy_domain, const psl_ctx_t *psl,
			  struct ma_dmarc_report_dest **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char policy[NAMESZ], policy_org[NAMESZ];
	if (rec == NULL || ma_dmarc_domain_norm(policy_domain, policy, sizeof policy) != MA_OK)
		return MA_ERR_INVAL;
	if (psl != NULL)
		org_or_self(psl, policy, policy_org);
	size_t cap = 0;
	int rc = add_dests(rec->rua, rec->nrua, false, policy, policy_org, psl, out, n, &cap);
	if (rc == MA_OK)
		rc = add_dests(rec->ruf, rec->nruf, true, policy, policy_org, psl, out, n, &cap);
	if (rc != MA_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum ma_dmarc_auth ma_dmarc_report_auth_judge(const struct ma_dns_answer *ans)
{
	switch (ans->status) {
	case MA_DNS_NXDOMAIN:
	case MA_DNS_NODATA:
		return MA_DMARC_AUTH_NO;
	case MA_DNS_ANSWER:
		break;
	default:
		return MA_DMARC_AUTH_INCONCLUSIVE;
	}
	if (ans->dnssec == MA_DNSSEC_BOGUS)
		return MA_DMARC_AUTH_INCONCLUSIVE;
	bool malformed = false;
	size_t n = ans->count < MA_DMARC_RR_MAX ? ans->count : MA_DMARC_RR_MAX;
	for (size_t i = 0; ans->rr != NULL && i < n; i++) {
		char *txt = NULL;
		size_t len = 0;
		if (ma_dns_txt_join(&ans->rr[i], &txt, &len) != MA_OK) {
			malformed = true;
			continue;
		}
		/* RFC 7489 7.1: a TXT record that begins with "v=DMARC1" authorises the reports. */
		bool yes = ma_dmarc_is_record(txt, len);
		free(txt);
		if (yes)
			return MA_DMARC_AUTH_YES;
	}
	return malformed ? MA_DMARC_AUTH_INCONCLUSIVE : MA_DMARC_AUTH_NO;
}

int ma_dmarc_report_auth_finding(struct ma_findings *f, const struct ma_dmarc_report_dest *d,
				 enum ma_dmarc_auth verdict)
{
	const char *id = verdict == MA_DMARC_AUTH_YES  ? "dmarc.report.external-authorized"
			 : verdict == MA_DMARC_AUTH_NO ? "dmarc.report.external-unauthorized"
						       : "dmarc.report.external-inconclusive";
	return ma_findings_add(f, id, "%s %s: %s", d->ruf ? "ruf" : "rua", d->uri ? d->uri->uri : d->dest_domain,
			       d->query);
}
