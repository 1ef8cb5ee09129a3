/* src/lib/scan_records.c — the scan's record lines of enquiry, each driving the record core: the SPF tree
 * (lib/spf.h), DMARC discovery and external report authorisation (lib/dmarc.h, RFC 7489 7.1), DKIM selectors
 * (RFC 6376 3.6.2.1), MTA-STS TXT, policy host and policy fetch (RFC 8461 3), and TLS-RPT (RFC 8460 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/scan_impl.h"

/* Selectors common providers publish (Google Workspace, Microsoft 365, Mailchimp/Mandrill, Fastmail, Proton,
 * Amazon SES-style s1/s2, cPanel-style default, Zoho). Kept short: each costs one query per domain. */
static const char *const common_selectors[] = {
    "google", "selector1", "selector2", "k1",  "k2",  "s1",         "s2",   "default",
    "dkim",   "mail",      "fm1",       "fm2", "fm3", "protonmail", "zoho",
};

static int spf_advance(struct ma_scan *s)
{
	struct ma_dns_question q;
	int rc = ma_spf_tree_step(s->spf, &q);
	if (rc == MA_SPF_NEED_DNS)
		return scan_ask_dns(s, OWN_SPF, 0, q.name, q.type);
	if (rc == MA_SPF_DONE) {
		s->spf_done = true;
		return MA_OK;
	}
	return rc;
}

static int dmarc_dests(struct ma_scan *s);

static int dmarc_advance(struct ma_scan *s)
{
	struct ma_dns_question q;
	int rc = ma_dmarc_discover_next(s->dmarc, &q);
	if (rc == 1)
		return scan_ask_dns(s, OWN_DMARC, 0, q.name, q.type);
	if (rc == 0) {
		s->dmarc_done = true;
		return dmarc_dests(s);
	}
	return rc;
}

/* RFC 7489 7.1 / RFC 9990 3: every rua/ruf destination in another organisational domain must publish a record at
 * <policy-domain>._report._dmarc.<destination>. */
static int dmarc_dests(struct ma_scan *s)
{
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(s->dmarc);
	if (r == NULL || r->outcome != MA_DMARC_FOUND || r->primary == NULL)
		return MA_OK;
	size_t n = 0;
	int rc = ma_dmarc_report_dests(&r->primary->record, r->primary->policy_domain, s->psl, &s->rawdests, &n);
	if (rc == MA_ERR_INVAL)
		return MA_OK; /* a policy domain that does not normalise: no destinations to check */
	if (rc != MA_OK)
		return rc;
	if (n == 0)
		return MA_OK;
	s->dests = calloc(n, sizeof *s->dests);
	if (s->dests == NULL)
		return MA_ERR_NOMEM;
	s->ndests = n;
	for (size_t i = 0; i < n; i++) {
		s->dests[i].d = s->rawdests[i];
		rc = scan_ask_dns(s, OWN_REPORT_AUTH, i, s->dests[i].d.query, MA_DNS_T_TXT);
		if (rc != MA_OK)
			return rc;
	}
	return MA_OK;
}

static int add_selector(struct ma_scan *s, const char *name, enum sel_source src)
{
	if (s->nsels >= MA_SCAN_SELECTORS_MAX)
		return MA_OK;
	size_t n = strlen(name);
	if (n == 0)
		return MA_OK;
	for (size_t i = 0; i < s->nsels; i++)
		if (ma_dns_name_eq(s->sels[i].name, name))
			return MA_OK;
	struct scan_sel *sel = &s->sels[s->nsels];
	memset(sel, 0, sizeof *sel);
	char q[2 * MA_DNS_NAME_MAX + 16];
	/* RFC 6376 3.6.2.1: <selector>._domainkey.<domain>; a selector that cannot make a valid name is skipped. */
	int w = snprintf(q, sizeof q, "%s._domainkey.%s", name, s->domain);
	if (w < 0 || (size_t)w >= sizeof q || !ma_dns_name_is_valid(q, (size_t)w) || n >= sizeof sel->name)
		return MA_OK;
	memcpy(sel->name, name, n + 1);
	for (char *p = sel->name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	sel->source = src;
	size_t i = s->nsels++;
	return scan_ask_dns(s, OWN_DKIM, i, q, MA_DNS_T_TXT);
}

int scan_records_start(struct ma_scan *s, const char *const *selectors, size_t nselectors)
{
	char name[MA_DNS_NAME_MAX + 32]; /* the prefixes are short; ma_dns_name_is_valid() keeps the result sane */
	int rc = ma_spf_tree_new(&(struct ma_spf_tree_opts){.domain = s->domain}, &s->spf);
	if (rc == MA_OK)
		rc = spf_advance(s);
	if (rc == MA_OK)
		rc = ma_dmarc_discover_new(&(struct ma_dmarc_discover_opts){.domain = s->domain, .psl = s->psl},
		                           &s->dmarc);
	if (rc == MA_OK)
		rc = dmarc_advance(s);
	if (rc != MA_OK)
		return rc;

	s->sels = calloc(MA_SCAN_SELECTORS_MAX, sizeof *s->sels);
	if (s->sels == NULL)
		return MA_ERR_NOMEM;
	for (size_t i = 0; i < nselectors && rc == MA_OK; i++)
		if (selectors[i] != NULL)
			rc = add_selector(s, selectors[i], SEL_GIVEN);
	for (size_t i = 0; s->common_selectors && i < sizeof common_selectors / sizeof *common_selectors && rc == MA_OK;
	     i++)
		rc = add_selector(s, common_selectors[i], SEL_COMMON);
	/* The parked-domain rule asks for a revoked wildcard key; the same answer tells which common selectors were
	 * only the wildcard's synthesised record (RFC 4592). */
	snprintf(name, sizeof name, "*._domainkey.%s", s->domain);
	if (rc == MA_OK && ma_dns_name_is_valid(name, strlen(name)))
		rc = scan_ask_dns(s, OWN_DKIM_WILD, 0, name, MA_DNS_T_TXT);

	/* MTA-STS (RFC 8461 3.1, 3.3): the TXT record and the policy host's addresses in parallel. */
	snprintf(name, sizeof name, "_mta-sts.%s", s->domain);
	if (rc == MA_OK && ma_dns_name_is_valid(name, strlen(name))) {
		rc = scan_ask_dns(s, OWN_MTASTS_TXT, 0, name, MA_DNS_T_TXT);
		snprintf(name, sizeof name, "mta-sts.%s", s->domain);
		if (rc == MA_OK)
			rc = scan_ask_dns(s, OWN_MTASTS_A, 0, name, MA_DNS_T_A);
		if (rc == MA_OK)
			rc = scan_ask_dns(s, OWN_MTASTS_AAAA, 0, name, MA_DNS_T_AAAA);
	}
	/* TLS-RPT (RFC 8460 3). */
	snprintf(name, sizeof name, "_smtp._tls.%s", s->domain);
	if (rc == MA_OK && ma_dns_name_is_valid(name, strlen(name)))
		rc = scan_ask_dns(s, OWN_TLSRPT, 0, name, MA_DNS_T_TXT);
	return rc;
}

void scan_records_fini(struct ma_scan *s)
{
	ma_spf_tree_free(s->spf);
	ma_dmarc_discover_free(s->dmarc);
	free(s->rawdests);
	free(s->dests);
	for (size_t i = 0; s->sels != NULL && i < s->nsels; i++)
		free(s->sels[i].text);
	free(s->sels);
	free(s->wild.text);
	ma_findings_fini(&s->txt_findings);
	ma_findings_fini(&s->rpt_findings);
	ma_tlsrpt_record_fini(&s->rpt_rec);
	free(s->content_type);
	free(s->body);
	free(s->https_why);
}

/* Keep the first TXT record that looks like a DKIM key record (RFC 6376 3.6.2.2: several at one name make the
 * result undefined; verifiers commonly take the first usable one). */
static int on_selector(struct scan_sel *sel, const struct ma_dns_answer *a)
{
	lookup_set(&sel->l, a);
	if (sel->l.status != MA_DNS_ANSWER)
		return MA_OK;
	size_t n = a->count < MA_DMARC_RR_MAX ? a->count : MA_DMARC_RR_MAX;
	for (size_t i = 0; i < n; i++) {
		char *txt;
		size_t len;
		if (ma_dns_txt_join(&a->rr[i], &txt, &len) != MA_OK) {
			sel->malformed = true;
			continue;
		}
		if (len > MA_DKIM_RECORD_MAX + 1) /* the key parser refuses these anyway; keep the cap's worth */
			len = MA_DKIM_RECORD_MAX + 1;
		struct ma_dkim_key key;
		memset(&key, 0, sizeof key);
		int rc = ma_dkim_key_parse(txt, len, &key, NULL);
		if (rc != MA_OK) {
			free(txt);
			return rc;
		}
		if (key.is_dkim && sel->text == NULL) {
			sel->text = txt;
			sel->len = len;
			sel->text[len] = '\0';
			continue;
		}
		free(txt);
	}
	if (sel->text == NULL)
		sel->other_txt = true;
	return MA_OK;
}

static int on_report_auth(struct ma_scan *s, size_t idx, bool wild, const struct ma_dns_question *q,
                          const struct ma_dns_answer *a)
{
	if (idx >= s->ndests)
		return MA_ERR_STATE;
	struct scan_dest *d = &s->dests[idx];
	enum ma_dmarc_auth v = ma_dmarc_report_auth_judge(a);
	if (v == MA_DMARC_AUTH_INCONCLUSIVE)
		scan_inconclusive(s, B_DMARC, q->name, q->type, a);
	if (wild) {
		lookup_set(&d->wild, a);
		d->wild_v = v;
		return MA_OK;
	}
	lookup_set(&d->exact, a);
	d->exact_v = v;
	/* A wildcard authorisation (RFC 7489 7.1 allows "*._report._dmarc.<dest>") is synthesised by the server for
	 * the exact name; ask for the wildcard owner itself too, so a resolver or zone that answers the exact name
	 * without synthesis is not mistaken for a refusal. */
	if (v == MA_DMARC_AUTH_NO)
		return scan_ask_dns(s, OWN_REPORT_AUTH_WILD, idx, d->d.wildcard, MA_DNS_T_TXT);
	return MA_OK;
}

static void collect_sts_addrs(struct ma_scan *s, const struct ma_dns_answer *a, bool v6)
{
	for (size_t i = 0; i < a->count && s->sts_naddrs < MA_SCAN_ADDRS_MAX; i++) {
		uint8_t b[16];
		char t[46];
		if (v6) {
			if (ma_dns_rdata_aaaa(&a->rr[i], b) != MA_OK)
				continue;
			/* Plain hex groups: the fetcher parses it with inet_pton, which accepts the long form. */
			snprintf(t, sizeof t, "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
			         b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
			         b[12] << 8 | b[13], b[14] << 8 | b[15]);
		} else {
			if (ma_dns_rdata_a(&a->rr[i], b) != MA_OK)
				continue;
			snprintf(t, sizeof t, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		}
		memcpy(s->sts_addrs[s->sts_naddrs++], t, sizeof t);
	}
}

int scan_records_answer(struct ma_scan *s, enum scan_owner owner, size_t idx, const struct ma_dns_question *q,
                        const struct ma_dns_answer *a)
{
	int rc;
	switch (owner) {
	case OWN_SPF:
		if (answer_failed(a))
			scan_inconclusive(s, B_SPF, q->name, q->type, a);
		rc = ma_spf_tree_answer(s->spf, a);
		return rc == MA_OK ? spf_advance(s) : rc;
	case OWN_DMARC:
		if (answer_failed(a))
			scan_inconclusive(s, B_DMARC, q->name, q->type, a);
		rc = ma_dmarc_discover_answer(s->dmarc, a);
		return rc == MA_OK ? dmarc_advance(s) : rc;
	case OWN_REPORT_AUTH:
	case OWN_REPORT_AUTH_WILD: return on_report_auth(s, idx, owner == OWN_REPORT_AUTH_WILD, q, a);
	case OWN_DKIM:
		if (idx >= s->nsels)
			return MA_ERR_STATE;
		if (answer_failed(a))
			scan_inconclusive(s, B_DKIM, q->name, q->type, a);
		return on_selector(&s->sels[idx], a);
	case OWN_DKIM_WILD: return on_selector(&s->wild, a);
	case OWN_MTASTS_TXT:
		lookup_set(&s->sts_txt, a);
		if (lookup_failed(&s->sts_txt)) {
			scan_inconclusive(s, B_MTASTS, q->name, q->type, a);
			return MA_OK;
		}
		if (a->status != MA_DNS_ANSWER)
			return MA_OK;
		rc = ma_mtasts_txt_select(a->rr, a->count, &s->txt, &s->txt_found, &s->txt_findings);
		if (rc == MA_ERR_PARSE) {
			s->txt_malformed = true;
			return MA_OK;
		}
		return rc;
	case OWN_MTASTS_A:
	case OWN_MTASTS_AAAA: {
		bool v6 = owner == OWN_MTASTS_AAAA;
		lookup_set(v6 ? &s->sts_aaaa : &s->sts_a, a);
		if (answer_failed(a))
			scan_inconclusive(s, B_MTASTS, q->name, q->type, a);
		else if (a->status == MA_DNS_ANSWER)
			collect_sts_addrs(s, a, v6);
		return MA_OK;
	}
	case OWN_TLSRPT:
		lookup_set(&s->rpt, a);
		if (lookup_failed(&s->rpt)) {
			scan_inconclusive(s, B_TLSRPT, q->name, q->type, a);
			return MA_OK;
		}
		if (a->status != MA_DNS_ANSWER)
			return MA_OK;
		rc = ma_tlsrpt_select(a->rr, a->count, &s->rpt_rec, &s->rpt_found, &s->rpt_findings);
		if (rc == MA_ERR_PARSE) {
			s->rpt_malformed = true;
			return MA_OK;
		}
		return rc;
	default: return MA_ERR_STATE;
	}
}

static char *dup_printable(const char *p, size_t cap)
{
	if (p == NULL)
		return NULL;
	size_t n = strnlen(p, cap);
	char *d = malloc(n + 1);
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		d[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	d[n] = '\0';
	return d;
}

int scan_https_answer(struct ma_scan *s, const struct ma_https_result *res)
{
	s->https_done = true;
	s->https_status = res->status;
	s->http_status = res->http_status;
	if ((unsigned)res->status > MA_HTTPS_PROTOCOL)
		s->https_status = MA_HTTPS_PROTOCOL;
	if (res->content_type != NULL && (s->content_type = dup_printable(res->content_type, 256)) == NULL)
		return MA_ERR_NOMEM;
	if (res->why != NULL && (s->https_why = dup_printable(res->why, 256)) == NULL)
		return MA_ERR_NOMEM;
	if (res->status == MA_HTTPS_OK && res->len > MA_SCAN_HTTPS_BODY_MAX) {
		s->https_status = MA_HTTPS_TOOBIG; /* a driver that did not cap: judged as too big all the same */
		return MA_OK;
	}
	if (res->status == MA_HTTPS_OK && res->len > 0 && res->body != NULL) {
		s->body = malloc(res->len);
		if (s->body == NULL)
			return MA_ERR_NOMEM;
		memcpy(s->body, res->body, res->len);
		s->body_len = res->len;
	}
	return MA_OK;
}
