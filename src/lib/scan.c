/* src/lib/scan.c — the per-domain scan's needs queue: starting every line of enquiry, handing out questions with
 * IDs, routing answers back to the line that asked, and deciding when the scan is complete. */
#include "lib/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/scan_impl.h"

/* A scan asks a bounded number of questions (MX hosts x 3, the SPF tree's own bound, DMARC's walk, selectors,
 * report destinations); this is a backstop against a bug turning into unbounded memory. */
#define SCAN_NEEDS_MAX 4096

static bool valid_domain(const char *d, size_t n)
{
	if (n == 0 || !ma_dns_name_is_valid(d, n))
		return false;
	/* A-labels only: letters, digits, hyphen, underscore and dots (the CLI converts U-labels with libidn2). */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}

int ma_scan_new(const struct ma_scan_opts *opts, struct ma_scan **out)
{
	*out = NULL;
	if (opts == NULL || opts->domain == NULL || (opts->nselectors > 0 && opts->selectors == NULL))
		return MA_ERR_INVAL;
	size_t n = strlen(opts->domain);
	if (n > 0 && opts->domain[n - 1] == '.')
		n--;
	if (n >= MA_DNS_NAME_MAX || !valid_domain(opts->domain, n))
		return MA_ERR_INVAL;
	struct ma_scan *s = calloc(1, sizeof *s);
	if (s == NULL)
		return MA_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = opts->domain[i];
		s->domain[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	s->common_selectors = opts->common_selectors;
	s->no_tls = opts->no_tls;
	s->now = opts->now;
	s->psl = opts->psl;
	s->next_id = 1;
	ma_findings_init(&s->findings);
	ma_findings_init(&s->txt_findings);
	ma_findings_init(&s->rpt_findings);
	int rc = scan_mx_start(s);
	if (rc == MA_OK)
		rc = scan_records_start(s, opts->selectors, opts->nselectors);
	if (rc != MA_OK) {
		ma_scan_free(s);
		return rc;
	}
	*out = s;
	return MA_OK;
}

void ma_scan_free(struct ma_scan *s)
{
	if (s == NULL)
		return;
	scan_records_fini(s);
	free(s->needs);
	free(s->hosts);
	free(s->farea);
	ma_findings_fini(&s->findings);
	free(s);
}

int scan_ask_dns(struct ma_scan *s, enum scan_owner owner, size_t idx, const char *name, uint16_t type)
{
	if (s->nneeds >= SCAN_NEEDS_MAX)
		return MA_ERR_TOOBIG;
	if (s->nneeds == s->capneeds) {
		size_t cap = s->capneeds ? s->capneeds * 2 : 32;
		struct scan_need *nv = realloc(s->needs, cap * sizeof *nv);
		if (nv == NULL)
			return MA_ERR_NOMEM;
		s->needs = nv;
		s->capneeds = cap;
	}
	struct scan_need *sn = &s->needs[s->nneeds];
	memset(sn, 0, sizeof *sn);
	int w = snprintf(sn->n.q.name, sizeof sn->n.q.name, "%s", name);
	if (w < 0 || (size_t)w >= sizeof sn->n.q.name)
		return MA_ERR_INVAL;
	sn->n.id = s->next_id++;
	sn->n.kind = MA_SCAN_NEED_DNS;
	sn->n.q.type = type;
	sn->owner = owner;
	sn->idx = idx;
	s->nneeds++;
	return MA_OK;
}

/* The MTA-STS policy fetch (RFC 8461 3.3): https://mta-sts.<domain>/.well-known/mta-sts.txt, to the addresses the
 * scan resolved through the validating resolver. */
static int ask_https(struct ma_scan *s)
{
	int rc = scan_ask_dns(s, OWN_MTASTS_HTTPS, 0, s->domain, 0);
	if (rc != MA_OK)
		return rc;
	struct scan_need *sn = &s->needs[s->nneeds - 1];
	sn->n.kind = MA_SCAN_NEED_HTTPS;
	memset(&sn->n.q, 0, sizeof sn->n.q);
	int w = snprintf(sn->n.host, sizeof sn->n.host, "mta-sts.%s", s->domain);
	if (w < 0 || (size_t)w >= sizeof sn->n.host)
		return MA_ERR_INVAL;
	snprintf(sn->n.path, sizeof sn->n.path, "%s", "/.well-known/mta-sts.txt");
	for (size_t i = 0; i < s->sts_naddrs; i++)
		memcpy(sn->n.addrs[i], s->sts_addrs[i], sizeof sn->n.addrs[i]);
	sn->n.naddrs = s->sts_naddrs;
	s->https_asked = true;
	return MA_OK;
}

void lookup_set(struct lookup *l, const struct ma_dns_answer *a)
{
	l->done = true;
	l->status = a->status;
	l->dnssec = a->dnssec;
	/* A validator that flags the data bogus but reports an answer: the data cannot be trusted either way. */
	if (a->status == MA_DNS_ANSWER && a->dnssec == MA_DNSSEC_BOGUS)
		l->status = MA_DNS_BOGUS;
}

bool lookup_failed(const struct lookup *l)
{
	return l->done &&
	       (ma_dns_status_is_temporary(l->status) || l->status == MA_DNS_BOGUS || l->status == MA_DNS_MALFORMED);
}

bool answer_failed(const struct ma_dns_answer *a)
{
	return ma_dns_status_is_temporary(a->status) || a->status == MA_DNS_BOGUS || a->status == MA_DNS_MALFORMED ||
	       (a->status == MA_DNS_ANSWER && a->dnssec == MA_DNSSEC_BOGUS);
}

void scan_inconclusive(struct ma_scan *s, enum scan_bucket b, const char *name, uint16_t type,
                       const struct ma_dns_answer *a)
{
	enum ma_dns_status st = a->status;
	if (st == MA_DNS_ANSWER && a->dnssec == MA_DNSSEC_BOGUS)
		st = MA_DNS_BOGUS;
	char r[SCAN_REASON_MAX];
	/* The resolver's own words (why a validation failed) are untrusted text: only printable ASCII is kept. */
	char why[96] = "";
	if (a->why != NULL) {
		size_t j = 0;
		for (size_t i = 0; a->why[i] != '\0' && j + 1 < sizeof why; i++) {
			unsigned char c = (unsigned char)a->why[i];
			why[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
		why[j] = '\0';
	}
	snprintf(r, sizeof r, "%s %s: %s%s%s%s", ma_dns_type_name(type), name, ma_dns_status_name(st),
	         why[0] ? " (" : "", why, why[0] ? ")" : "");
	if (s->reason[b][0] == '\0' || strcmp(r, s->reason[b]) < 0)
		memcpy(s->reason[b], r, sizeof r);
}

/* The domain's own DNSSEC status, merged over every answer for its name (MX, A/AAAA, the SPF TXT). */
static void note_domain_dnssec(struct ma_scan *s, const struct ma_dns_answer *a)
{
	if (a->status == MA_DNS_BOGUS || a->dnssec == MA_DNSSEC_BOGUS)
		s->dsec_bogus = true;
	else if (ma_dns_status_is_temporary(a->status) || a->status == MA_DNS_MALFORMED)
		return;
	else if (a->dnssec == MA_DNSSEC_SECURE)
		s->dsec_secure = true;
	else if (a->dnssec == MA_DNSSEC_INSECURE)
		s->dsec_insecure = true;
	else
		s->dsec_unchecked = true;
}

static bool pending(const struct ma_scan *s)
{
	for (size_t i = 0; i < s->nneeds; i++)
		if (!s->needs[i].answered)
			return true;
	return false;
}

int ma_scan_step(struct ma_scan *s, struct ma_scan_need *needs, size_t max, size_t *n)
{
	*n = 0;
	if (s->err != MA_OK)
		return s->err;
	if (s->done)
		return MA_SCAN_DONE;
	for (size_t i = 0; i < s->nneeds && *n < max; i++) {
		if (s->needs[i].handed)
			continue;
		s->needs[i].handed = true;
		needs[(*n)++] = s->needs[i].n;
	}
	if (*n > 0 || pending(s))
		return MA_SCAN_PENDING;
	int rc = scan_judge(s);
	if (rc != MA_OK) {
		s->err = rc;
		return rc;
	}
	s->done = true;
	return MA_SCAN_DONE;
}

static struct scan_need *find_need(struct ma_scan *s, uint32_t id)
{
	/* IDs are handed out in increasing order and needs are never removed: binary search. */
	size_t lo = 0, hi = s->nneeds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->needs[mid].n.id == id)
			return &s->needs[mid];
		if (s->needs[mid].n.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int ma_scan_answer_dns(struct ma_scan *s, uint32_t id, const struct ma_dns_answer *ans)
{
	if (s == NULL || ans == NULL)
		return MA_ERR_INVAL;
	struct scan_need *sn = find_need(s, id);
	if (sn == NULL || !sn->handed || sn->answered || sn->n.kind != MA_SCAN_NEED_DNS || s->done)
		return MA_ERR_STATE;
	sn->answered = true;
	/* Copy what the handler needs: answering may grow s->needs and move sn. */
	struct ma_dns_question q = sn->n.q;
	enum scan_owner owner = sn->owner;
	size_t idx = sn->idx;
	struct ma_dns_answer a = *ans;
	if (a.status != MA_DNS_ANSWER || a.rr == NULL)
		a.count = 0;
	if (ma_dns_name_eq(q.name, s->domain))
		note_domain_dnssec(s, &a);
	int rc;
	switch (owner) {
	case OWN_MX:
	case OWN_DOMAIN_A:
	case OWN_DOMAIN_AAAA:
	case OWN_HOST_A:
	case OWN_HOST_AAAA:
	case OWN_HOST_TLSA: rc = scan_mx_answer(s, owner, idx, &q, &a); break;
	default: rc = scan_records_answer(s, owner, idx, &q, &a); break;
	}
	if (rc == MA_OK && (owner == OWN_MTASTS_A || owner == OWN_MTASTS_AAAA) && s->sts_a.done && s->sts_aaaa.done &&
	    s->sts_naddrs > 0 && !s->https_asked)
		rc = ask_https(s);
	if (rc != MA_OK && s->err == MA_OK)
		s->err = rc;
	return rc;
}

int ma_scan_answer_https(struct ma_scan *s, uint32_t id, const struct ma_https_result *res)
{
	if (s == NULL || res == NULL)
		return MA_ERR_INVAL;
	struct scan_need *sn = find_need(s, id);
	if (sn == NULL || !sn->handed || sn->answered || sn->n.kind != MA_SCAN_NEED_HTTPS || s->done)
		return MA_ERR_STATE;
	sn->answered = true;
	int rc = scan_https_answer(s, res);
	if (rc != MA_OK && s->err == MA_OK)
		s->err = rc;
	return rc;
}

const char *ma_scan_area_name(enum ma_scan_area a)
{
	static const char *const names[MA_AREA_COUNT] = {"spf",     "dmarc",  "dkim",  "mta-sts",
	                                                 "tls-rpt", "dnssec", "mx-tls"};
	return (unsigned)a < MA_AREA_COUNT ? names[a] : "unknown";
}

const char *ma_mark_name(enum ma_mark m)
{
	static const char *const names[] = {"pass", "warn", "fail", "none", "unknown", "inconclusive", "skipped"};
	return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "unknown";
}

enum ma_mark ma_scan_mark(const struct ma_scan *s, enum ma_scan_area a)
{
	if (s == NULL || !s->done || (unsigned)a >= MA_AREA_COUNT)
		return MA_MARK_UNKNOWN;
	return s->marks[a];
}

const struct ma_findings *ma_scan_findings(const struct ma_scan *s)
{
	return &s->findings; /* empty until done */
}

bool ma_scan_parked(const struct ma_scan *s)
{
	return s->done && s->parked;
}
