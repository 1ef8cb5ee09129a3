/* src/lib/scan_judge.c — turning a finished scan's facts into findings, the parked verdict and a mark per area.
 *
 * Run once, after every answer is in, over facts kept in a canonical order (hosts sorted, selectors in the order
 * given), so the result does not depend on the order answers arrived in. A lookup that failed temporarily or was
 * bogus makes its area "inconclusive" with the reason, never "missing" (STYLE.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/scan_impl.h"

#define DETAIL_MAX 2048

struct judge {
	struct ma_scan *s;
	int rc;
};

static void vaddf(struct judge *j, enum scan_bucket b, const char *id, const char *fmt, va_list ap)
{
	if (j->rc != MA_OK)
		return;
	struct ma_scan *s = j->s;
	enum scan_bucket *na = realloc(s->farea, (s->findings.n + 1) * sizeof *na);
	if (na == NULL) {
		j->rc = MA_ERR_NOMEM;
		return;
	}
	s->farea = na;
	int rc;
	if (fmt == NULL) {
		rc = ma_findings_add(&s->findings, id, NULL);
	} else {
		char d[DETAIL_MAX];
		vsnprintf(d, sizeof d, fmt, ap);
		rc = ma_findings_add(&s->findings, id, "%s", d);
	}
	if (rc != MA_OK) {
		j->rc = rc;
		return;
	}
	s->farea[s->findings.n - 1] = b;
}

static void addf(struct judge *j, enum scan_bucket b, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void addf(struct judge *j, enum scan_bucket b, const char *id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vaddf(j, b, id, fmt, ap);
	va_end(ap);
}

/* Copy a record module's findings, each detail prefixed with what it is about ("selector s1"). */
static void take(struct judge *j, enum scan_bucket b, const struct ma_findings *f, const char *prefix)
{
	for (size_t i = 0; f != NULL && i < f->n; i++) {
		const char *d = f->v[i].detail;
		if (prefix != NULL)
			addf(j, b, f->v[i].def->id, "%s%s%s", prefix, d ? ": " : "", d ? d : "");
		else if (d != NULL)
			addf(j, b, f->v[i].def->id, "%s", d);
		else
			addf(j, b, f->v[i].def->id, NULL);
	}
}

static bool has_reason(const struct ma_scan *s, enum scan_bucket b)
{
	return s->reason[b][0] != '\0';
}

/* Reasons are copied between distinct fields of one struct ma_scan, which snprintf's restrict-qualified
 * arguments do not allow; a bounded copy, truncating like snprintf. */
static void copy_reason(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	if (src && dst != src)
		for (; n + 1 < size && src[n]; n++)
			dst[n] = src[n];
	else if (src)
		return;
	dst[n] = '\0';
}

static void inconclusive(struct judge *j, enum scan_bucket b, const char *id, const char *fallback)
{
	struct ma_scan *s = j->s;
	if (!has_reason(s, b))
		copy_reason(s->reason[b], sizeof s->reason[b], fallback);
	addf(j, b, id, "%s", s->reason[b]);
}

/* ---- MX ---------------------------------------------------------------------------------------------------- */

static bool mx_known(const struct ma_scan *s)
{
	if (!s->mx.done || lookup_failed(&s->mx))
		return false;
	if (s->mx.status == MA_DNS_NODATA)
		return s->dom_a.done && s->dom_aaaa.done && !lookup_failed(&s->dom_a) && !lookup_failed(&s->dom_aaaa);
	return true;
}

static void judge_mx(struct judge *j)
{
	struct ma_scan *s = j->s;
	if (!mx_known(s)) {
		inconclusive(j, B_MX, "scan.inconclusive.mx", "MX lookup did not complete");
		return;
	}
	if (s->mx.status == MA_DNS_NXDOMAIN) {
		addf(j, B_MX, "scan.mx.nxdomain", "%s", s->domain);
		return;
	}
	if (s->mx.status == MA_DNS_NODATA) {
		if (s->nhosts > 0)
			addf(j, B_MX, "scan.mx.implicit", "%zu address(es) of %s", s->hosts[0].naddrs, s->domain);
		else
			addf(j, B_MX, "scan.mx.no-mail", "%s", s->domain);
		return;
	}
	if (s->null_mixed)
		addf(j, B_MX, "scan.mx.null-mixed", "%zu other MX host(s)", s->mx_total + s->nmx_bad);
	else if (s->null_mx)
		addf(j, B_MX, "scan.mx.null", NULL);
	if (s->mx_malformed)
		addf(j, B_MX, "scan.mx.host-invalid", "an MX record could not be decoded");
	for (size_t i = 0; i < s->nmx_bad; i++)
		addf(j, B_MX, "scan.mx.host-invalid", "%s is an IP address", s->mx_bad[i]);
	if (s->mx_total > MA_SCAN_MX_MAX)
		addf(j, B_MX, "scan.mx.too-many", "%zu MX hosts, the first %d by preference checked", s->mx_total,
		     MA_SCAN_MX_MAX);
	bool all = s->nhosts > 0, failed = false;
	for (size_t i = 0; i < s->nhosts; i++) {
		const struct scan_host *h = &s->hosts[i];
		if (lookup_failed(&h->a) || lookup_failed(&h->aaaa)) {
			failed = true;
			if (h->naddrs == 0)
				all = false;
			continue;
		}
		if (h->naddrs == 0) {
			all = false;
			addf(j, B_MX, "scan.mx.host-no-address", "%s (A %s, AAAA %s)", h->name,
			     ma_dns_status_name(h->a.status), ma_dns_status_name(h->aaaa.status));
		}
	}
	if (failed)
		inconclusive(j, B_MX, "scan.inconclusive.mx", "an MX host's address lookup did not complete");
	if (all && !failed && !s->mx_malformed && s->nmx_bad == 0)
		addf(j, B_MX, "scan.mx.ok", "%zu MX host(s)", s->nhosts);
}

/* ---- SPF --------------------------------------------------------------------------------------------------- */

/* The parked-domain rule: exactly "v=spf1 -all" (RFC 7208 5.1: a lone -all fails every host). */
static bool spf_is_dash_all(const struct ma_scan *s, char *shown, size_t shownsz)
{
	json_t *t = ma_spf_tree_to_json(s->spf);
	const char *rec = t ? json_string_value(json_object_get(json_object_get(t, "tree"), "record")) : NULL;
	bool ok = false;
	snprintf(shown, shownsz, "%s", rec ? rec : "no SPF record");
	if (rec != NULL) {
		struct ma_spf_record r;
		ma_spf_record_init(&r);
		if (ma_spf_parse(rec, strlen(rec), &r) == MA_OK && r.valid && r.nterms == 1 &&
		    r.terms[0].kind == MA_SPF_ALL && r.terms[0].qual == MA_SPF_Q_FAIL)
			ok = true;
		ma_spf_record_fini(&r);
	}
	json_decref(t);
	return ok;
}

static void judge_spf(struct judge *j, const struct ma_spf_tree_summary *sum)
{
	struct ma_scan *s = j->s;
	take(j, B_SPF, ma_spf_tree_findings(s->spf), NULL);
	if (sum->inconclusive)
		inconclusive(j, B_SPF, "scan.inconclusive.spf", "the SPF walk was cut short");
	if (s->parked) {
		char shown[512];
		if (!spf_is_dash_all(s, shown, sizeof shown))
			addf(j, B_SPF, "scan.parked.spf", "%s", shown);
	}
}

/* ---- DMARC ------------------------------------------------------------------------------------------------- */

static bool rua_has(const struct ma_dmarc_record *r, const char *uri)
{
	for (size_t i = 0; i < r->nrua; i++)
		if (strcasecmp(r->rua[i].uri, uri) == 0)
			return true;
	return false;
}

static void judge_dmarc(struct judge *j)
{
	struct ma_scan *s = j->s;
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(s->dmarc);
	if (r == NULL) {
		inconclusive(j, B_DMARC, "scan.inconclusive.dmarc", "DMARC discovery did not complete");
		return;
	}
	take(j, B_DMARC, &r->findings, NULL);
	if (r->outcome == MA_DMARC_INCONCLUSIVE)
		inconclusive(j, B_DMARC, "scan.inconclusive.dmarc", "DMARC discovery was inconclusive");
	for (size_t i = 0; i < s->ndests; i++) {
		const struct scan_dest *d = &s->dests[i];
		enum ma_dmarc_auth v = d->exact_v;
		if (v == MA_DMARC_AUTH_NO && d->wild.done)
			v = d->wild_v;
		struct ma_findings tmp;
		ma_findings_init(&tmp);
		if (ma_dmarc_report_auth_finding(&tmp, &d->d, v) != MA_OK)
			j->rc = MA_ERR_NOMEM;
		take(j, B_DMARC, &tmp, NULL);
		ma_findings_fini(&tmp);
	}
	const struct ma_dmarc_method *m = r->primary;
	if (r->outcome != MA_DMARC_FOUND || m == NULL) {
		if (s->parked && r->outcome != MA_DMARC_INCONCLUSIVE)
			addf(j, B_DMARC, "scan.parked.dmarc", "no DMARC record applies");
		return;
	}
	const struct ma_dmarc_record *pr = &m->record;
	if (pr->applies && pr->eff_p >= MA_DMARC_P_QUARANTINE && pr->eff_sp == MA_DMARC_P_NONE)
		addf(j, B_DMARC, "scan.dmarc.sp-none", NULL);
	if (m->applied == MA_DMARC_P_QUARANTINE)
		addf(j, B_DMARC, "scan.dmarc.not-reject", "%s",
		     m->policy == MA_DMARC_P_REJECT ? "p=reject with t=y" : "p=quarantine");
	if (!rua_has(&m->record, "mailto:dmarc-rua@dmarc.service.gov.uk"))
		addf(j, B_DMARC, "scan.dmarc.rua-no-uk-central", NULL);
	if (!rua_has(&m->record, "mailto:reports@dmarc.cyber.dhs.gov"))
		addf(j, B_DMARC, "scan.dmarc.rua-no-cisa", NULL);
	if (s->parked) {
		const struct ma_dmarc_record *rec = &m->record;
		bool ok = m->policy == MA_DMARC_P_REJECT && rec->applies && rec->eff_sp == MA_DMARC_P_REJECT &&
		          rec->adkim == MA_DMARC_STRICT && rec->aspf == MA_DMARC_STRICT;
		if (!ok)
			addf(j, B_DMARC, "scan.parked.dmarc", "p=%s sp=%s adkim=%s aspf=%s",
			     ma_dmarc_policy_name(m->policy), ma_dmarc_policy_name(rec->eff_sp),
			     rec->adkim == MA_DMARC_STRICT ? "s" : "r", rec->aspf == MA_DMARC_STRICT ? "s" : "r");
	}
}

/* ---- DKIM -------------------------------------------------------------------------------------------------- */

/* A common selector answered with exactly the wildcard's record is the server's synthesis (RFC 4592), not a key
 * the domain published for that selector. */
static bool synthesised(const struct ma_scan *s, const struct scan_sel *sel)
{
	return sel->source == SEL_COMMON && sel->text != NULL && s->wild.text != NULL && sel->len == s->wild.len &&
	       memcmp(sel->text, s->wild.text, sel->len) == 0;
}

struct dkim_facts {
	bool found;   /* a usable (non-revoked) key */
	bool any_key; /* any key record, revoked included */
	bool failed, given_missing;
	bool wild_revoked;
};

static void dkim_facts(const struct ma_scan *s, struct dkim_facts *f)
{
	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < s->nsels; i++) {
		const struct scan_sel *sel = &s->sels[i];
		if (lookup_failed(&sel->l) || sel->malformed)
			f->failed = true;
		if (sel->text != NULL && !synthesised(s, sel)) {
			struct ma_dkim_key k;
			memset(&k, 0, sizeof k);
			if (ma_dkim_key_parse(sel->text, sel->len, &k, NULL) == MA_OK) {
				f->any_key = true;
				if (!k.revoked)
					f->found = true;
			}
		}
		if (sel->source == SEL_GIVEN && sel->text == NULL && !lookup_failed(&sel->l))
			f->given_missing = true;
	}
	if (s->wild.text != NULL) {
		struct ma_dkim_key k;
		memset(&k, 0, sizeof k);
		f->wild_revoked = ma_dkim_key_parse(s->wild.text, s->wild.len, &k, NULL) == MA_OK && k.revoked;
	}
}

static void judge_dkim(struct judge *j, const struct dkim_facts *f)
{
	struct ma_scan *s = j->s;
	for (size_t i = 0; i < s->nsels; i++) {
		const struct scan_sel *sel = &s->sels[i];
		char prefix[MA_DNS_NAME_MAX + 16];
		snprintf(prefix, sizeof prefix, "selector %s", sel->name);
		if (sel->text != NULL && !synthesised(s, sel)) {
			struct ma_dkim_key k;
			struct ma_findings tmp;
			memset(&k, 0, sizeof k);
			ma_findings_init(&tmp);
			if (ma_dkim_key_parse(sel->text, sel->len, &k, &tmp) != MA_OK)
				j->rc = MA_ERR_NOMEM;
			if (!k.revoked)
				addf(j, B_DKIM, "scan.dkim.found", "%s (%s, %d bits)", prefix,
				     ma_dkim_keytype_name(k.actual), k.bits);
			take(j, B_DKIM, &tmp, prefix);
			ma_findings_fini(&tmp);
			continue;
		}
		if (sel->source != SEL_GIVEN || lookup_failed(&sel->l))
			continue;
		if (sel->other_txt && sel->l.status == MA_DNS_ANSWER)
			addf(j, B_DKIM, "scan.dkim.not-dkim", "%s", prefix);
		else if (sel->text == NULL)
			addf(j, B_DKIM, "scan.dkim.selector-missing", "%s: %s", prefix,
			     ma_dns_status_name(sel->l.status));
	}
	if (f->failed && !f->found)
		inconclusive(j, B_DKIM, "scan.inconclusive.dkim", "a selector lookup did not complete");
	if (s->parked) {
		if (f->wild_revoked)
			addf(j, B_DKIM, "scan.dkim.wildcard-revoked", NULL);
		else if (lookup_failed(&s->wild.l))
			inconclusive(j, B_DKIM, "scan.inconclusive.dkim", "*._domainkey lookup did not complete");
		else
			addf(j, B_DKIM, "scan.parked.dkim", "*._domainkey.%s: %s", s->domain,
			     s->wild.text ? "a key that is not revoked" : ma_dns_status_name(s->wild.l.status));
		return;
	}
	if (!f->any_key && !f->failed)
		addf(j, B_DKIM, "scan.dkim.unknown", "%zu selector(s) tried", s->nsels);
}

/* ---- MTA-STS ----------------------------------------------------------------------------------------------- */

static bool text_plain(const char *ct)
{
	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	/* RFC 8461 3.2: media type text/plain, parameters (charset) allowed. */
	return strncasecmp(ct, "text/plain", 10) == 0 && (ct[10] == '\0' || ct[10] == ';' || ct[10] == ' ');
}

static void judge_coverage(struct judge *j, const struct ma_mtasts_policy *pol)
{
	struct ma_scan *s = j->s;
	if (pol->nmx == 0 || pol->mode == MA_MTASTS_MODE_NONE || !mx_known(s) || s->nhosts == 0)
		return;
	bool all = true;
	for (size_t i = 0; i < s->nhosts; i++) {
		bool hit = false;
		for (size_t k = 0; k < pol->nmx && !hit; k++)
			hit = ma_mtasts_mx_match(pol->mx[k], s->hosts[i].name);
		if (hit)
			continue;
		all = false;
		/* RFC 8461 4.1, 5: in enforce mode a sender refuses delivery to an MX that matches no pattern. */
		addf(j, B_MTASTS,
		     pol->mode == MA_MTASTS_MODE_ENFORCE ? "scan.mtasts.mx-not-covered-enforce"
		                                         : "scan.mtasts.mx-not-covered",
		     "%s", s->hosts[i].name);
	}
	if (all)
		addf(j, B_MTASTS, "scan.mtasts.mx-covered", "%zu MX host(s)", s->nhosts);
}

/* Returns true when a valid policy was read. */
static bool judge_policy(struct judge *j, bool report)
{
	struct ma_scan *s = j->s;
	char host[MA_DNS_NAME_MAX + 16];
	snprintf(host, sizeof host, "mta-sts.%s", s->domain);
	const char *why = s->https_why ? s->https_why : "";
	switch (s->https_status) {
	case MA_HTTPS_OK: break;
	case MA_HTTPS_CONNECT:
	case MA_HTTPS_TIMEOUT:
		if (report)
			addf(j, B_MTASTS, "scan.mtasts.policy-unreachable", "%s: %s%s%s", host,
			     s->https_status == MA_HTTPS_TIMEOUT ? "timed out" : "connection refused or failed",
			     why[0] ? ": " : "", why);
		return false;
	case MA_HTTPS_TLS:
		if (report)
			addf(j, B_MTASTS, "scan.mtasts.policy-tls", "%s%s%s", host, why[0] ? ": " : "", why);
		return false;
	case MA_HTTPS_TOOBIG:
		if (report)
			addf(j, B_MTASTS, "scan.mtasts.policy-too-big", "over %d bytes", MA_SCAN_HTTPS_BODY_MAX);
		return false;
	default:
		if (report)
			addf(j, B_MTASTS, "scan.mtasts.policy-protocol", "%s%s%s", host, why[0] ? ": " : "", why);
		return false;
	}
	if (s->http_status != 200) {
		if (report)
			addf(j, B_MTASTS,
			     s->http_status == 404 || s->http_status == 410 ? "scan.mtasts.policy-missing"
			                                                    : "scan.mtasts.policy-http-status",
			     "HTTP %d", s->http_status);
		return false;
	}
	struct ma_mtasts_policy pol;
	struct ma_findings tmp;
	memset(&pol, 0, sizeof pol);
	ma_findings_init(&tmp);
	if (ma_mtasts_policy_parse(s->body ? s->body : "", s->body_len, &pol, &tmp) != MA_OK)
		j->rc = MA_ERR_NOMEM;
	bool valid = pol.valid;
	if (report) {
		if (!text_plain(s->content_type))
			addf(j, B_MTASTS, "scan.mtasts.content-type", "%s",
			     s->content_type ? s->content_type : "no Content-Type");
		take(j, B_MTASTS, &tmp, NULL);
		if (valid)
			judge_coverage(j, &pol);
	}
	ma_findings_fini(&tmp);
	ma_mtasts_policy_fini(&pol);
	return valid;
}

static void judge_mtasts(struct judge *j)
{
	struct ma_scan *s = j->s;
	if (lookup_failed(&s->sts_txt) || s->txt_malformed) {
		inconclusive(j, B_MTASTS, "scan.inconclusive.mtasts", "the _mta-sts TXT answer was malformed");
		return;
	}
	bool present = s->txt_found > 0;
	if (present) {
		take(j, B_MTASTS, &s->txt_findings, NULL);
		if (s->sts_naddrs == 0) {
			if (lookup_failed(&s->sts_a) || lookup_failed(&s->sts_aaaa))
				inconclusive(j, B_MTASTS, "scan.inconclusive.mtasts", "policy host lookup failed");
			else
				addf(j, B_MTASTS, "scan.mtasts.host-no-address", "mta-sts.%s", s->domain);
			return;
		}
		if (s->https_done)
			judge_policy(j, true);
		return;
	}
	if (s->https_done && judge_policy(j, false)) {
		addf(j, B_MTASTS, "scan.mtasts.policy-without-txt", "https://mta-sts.%s/.well-known/mta-sts.txt",
		     s->domain);
		return;
	}
	if (s->receives)
		addf(j, B_MTASTS, "scan.mtasts.none", NULL);
}

/* ---- TLS-RPT ----------------------------------------------------------------------------------------------- */

static void judge_tlsrpt(struct judge *j)
{
	struct ma_scan *s = j->s;
	if (lookup_failed(&s->rpt) || s->rpt_malformed) {
		inconclusive(j, B_TLSRPT, "scan.inconclusive.tlsrpt", "the _smtp._tls TXT answer was malformed");
		return;
	}
	if (s->rpt_found > 0)
		take(j, B_TLSRPT, &s->rpt_findings, NULL);
	else if (s->receives)
		addf(j, B_TLSRPT, "scan.tlsrpt.none", NULL);
}

/* ---- DNSSEC and DANE --------------------------------------------------------------------------------------- */

/* The verdict over a host's address answers: bogus, then insecure, then secure; -1 when nothing usable came. */
static int host_dnssec(const struct scan_host *h)
{
	const struct lookup *l[2] = {&h->a, &h->aaaa};
	bool sec = false, insec = false, unch = false;
	for (int i = 0; i < 2; i++) {
		if (!l[i]->done)
			continue;
		if (l[i]->status == MA_DNS_BOGUS || l[i]->dnssec == MA_DNSSEC_BOGUS)
			return MA_DNSSEC_BOGUS;
		if (lookup_failed(l[i]))
			continue;
		if (l[i]->dnssec == MA_DNSSEC_SECURE)
			sec = true;
		else if (l[i]->dnssec == MA_DNSSEC_INSECURE)
			insec = true;
		else
			unch = true;
	}
	return insec ? MA_DNSSEC_INSECURE : sec ? MA_DNSSEC_SECURE : unch ? MA_DNSSEC_UNCHECKED : -1;
}

int scan_domain_dnssec(const struct ma_scan *s)
{
	return s->dsec_bogus       ? MA_DNSSEC_BOGUS
	       : s->dsec_insecure  ? MA_DNSSEC_INSECURE
	       : s->dsec_secure    ? MA_DNSSEC_SECURE
	       : s->dsec_unchecked ? MA_DNSSEC_UNCHECKED
	                           : -1;
}

int scan_host_dnssec(const struct scan_host *h)
{
	return host_dnssec(h);
}

static void judge_tlsa(struct judge *j, const struct scan_host *h, int addr)
{
	const struct lookup *t = &h->tlsa;
	if (!t->done)
		return;
	if (t->status == MA_DNS_BOGUS) {
		/* RFC 7672 2.2.3: a bogus TLSA RRset makes DANE senders defer delivery. */
		addf(j, B_DNSSEC, "scan.dnssec.mx-bogus", "TLSA _25._tcp.%s", h->name);
		return;
	}
	if (lookup_failed(t))
		return; /* the reason is already with the DNSSEC bucket */
	if (t->status != MA_DNS_ANSWER) {
		if (!j->s->parked)
			addf(j, B_DNSSEC, "scan.tlsa.none", "_25._tcp.%s", h->name);
		return;
	}
	bool pkix = false, bad = false;
	for (size_t i = 0; i < h->ntlsa; i++) {
		bad |= h->tlsa_rr[i].malformed;
		pkix |= !h->tlsa_rr[i].malformed && h->tlsa_rr[i].usage <= 1;
	}
	if (bad)
		addf(j, B_DNSSEC, "scan.tlsa.malformed", "_25._tcp.%s", h->name);
	if (pkix)
		addf(j, B_DNSSEC, "scan.tlsa.pkix-usage", "_25._tcp.%s", h->name);
	if (t->dnssec == MA_DNSSEC_SECURE && addr == MA_DNSSEC_SECURE)
		addf(j, B_DNSSEC, "scan.tlsa.secure", "_25._tcp.%s: %zu record(s)", h->name, h->ntlsa);
	else if (t->dnssec == MA_DNSSEC_SECURE)
		/* RFC 7672 2.2.2: TLSA is used only when the MX host's address records are secure too. */
		addf(j, B_DNSSEC, "scan.tlsa.insecure", "_25._tcp.%s: the host's address records are not signed",
		     h->name);
	else if (t->dnssec == MA_DNSSEC_INSECURE)
		addf(j, B_DNSSEC, "scan.tlsa.insecure", "_25._tcp.%s", h->name);
}

static void judge_dnssec(struct judge *j)
{
	struct ma_scan *s = j->s;
	switch (scan_domain_dnssec(s)) {
	case MA_DNSSEC_BOGUS: addf(j, B_DNSSEC, "scan.dnssec.bogus", "%s", s->domain); break;
	case MA_DNSSEC_INSECURE: addf(j, B_DNSSEC, "scan.dnssec.unsigned", "%s", s->domain); break;
	case MA_DNSSEC_SECURE: addf(j, B_DNSSEC, "scan.dnssec.signed", "%s", s->domain); break;
	case MA_DNSSEC_UNCHECKED: addf(j, B_DNSSEC, "scan.dnssec.unchecked", NULL); break;
	default:
		if (!has_reason(s, B_DNSSEC))
			copy_reason(s->reason[B_DNSSEC], sizeof s->reason[B_DNSSEC],
			            has_reason(s, B_MX) ? s->reason[B_MX] : "no answer for the domain's name");
		break;
	}
	for (size_t i = 0; i < s->nhosts; i++) {
		const struct scan_host *h = &s->hosts[i];
		int v = host_dnssec(h);
		if (!h->implicit) {
			if (v == MA_DNSSEC_BOGUS)
				addf(j, B_DNSSEC, "scan.dnssec.mx-bogus", "%s", h->name);
			else if (v == MA_DNSSEC_INSECURE)
				addf(j, B_DNSSEC, "scan.dnssec.mx-unsigned", "%s", h->name);
			else if (v == MA_DNSSEC_SECURE)
				addf(j, B_DNSSEC, "scan.dnssec.mx-signed", "%s", h->name);
			else if (v < 0 && !has_reason(s, B_DNSSEC))
				copy_reason(s->reason[B_DNSSEC], sizeof s->reason[B_DNSSEC], s->reason[B_MX]);
		}
		judge_tlsa(j, h, v);
	}
	if (has_reason(s, B_DNSSEC))
		addf(j, B_DNSSEC, "scan.inconclusive.dnssec", "%s", s->reason[B_DNSSEC]);
}

/* ---- Marks ------------------------------------------------------------------------------------------------- */

static enum ma_mark severity_mark(const struct ma_scan *s, enum scan_bucket b, bool *any, bool *inconc)
{
	enum ma_severity worst = MA_SEV_OK;
	*any = *inconc = false;
	for (size_t i = 0; i < s->findings.n; i++) {
		if (s->farea[i] != b)
			continue;
		if (strncmp(s->findings.v[i].def->id, "scan.inconclusive.", 18) == 0) {
			*inconc = true;
			continue;
		}
		*any = true;
		if (s->findings.v[i].def->severity > worst)
			worst = s->findings.v[i].def->severity;
	}
	return worst == MA_SEV_ERROR ? MA_MARK_FAIL : worst == MA_SEV_WARNING ? MA_MARK_WARN : MA_MARK_PASS;
}

static void set_mark(struct ma_scan *s, enum ma_scan_area a, enum ma_mark m, const char *reason)
{
	s->marks[a] = m;
	copy_reason(s->mark_reason[a], sizeof s->mark_reason[a], reason);
}

/* A definite failure stands even when another lookup failed; otherwise a failed lookup makes the area
 * inconclusive; otherwise the worst severity decides. */
static void mark_from(struct ma_scan *s, enum ma_scan_area a, enum scan_bucket b)
{
	bool any, inconc;
	enum ma_mark m = severity_mark(s, b, &any, &inconc);
	if (m != MA_MARK_FAIL && inconc)
		set_mark(s, a, MA_MARK_INCONCLUSIVE, s->reason[b]);
	else
		set_mark(s, a, m, NULL);
}

static void marks(struct ma_scan *s, const struct dkim_facts *df)
{
	mark_from(s, MA_AREA_SPF, B_SPF);
	mark_from(s, MA_AREA_DMARC, B_DMARC);

	mark_from(s, MA_AREA_DKIM, B_DKIM);
	if (s->marks[MA_AREA_DKIM] == MA_MARK_PASS && !s->parked && !df->any_key && !df->given_missing)
		set_mark(s, MA_AREA_DKIM, MA_MARK_UNKNOWN, "no DKIM selector known");

	/* MTA-STS and TLS-RPT matter for a domain that receives mail; absent elsewhere is fine ("none"). */
	bool any, inconc;
	severity_mark(s, B_MTASTS, &any, &inconc);
	if (!any && !inconc && !mx_known(s))
		set_mark(s, MA_AREA_MTASTS, MA_MARK_INCONCLUSIVE, s->reason[B_MX]);
	else if (!any && !inconc)
		set_mark(s, MA_AREA_MTASTS, MA_MARK_NONE, NULL);
	else
		mark_from(s, MA_AREA_MTASTS, B_MTASTS);
	severity_mark(s, B_TLSRPT, &any, &inconc);
	if (!any && !inconc && !mx_known(s))
		set_mark(s, MA_AREA_TLSRPT, MA_MARK_INCONCLUSIVE, s->reason[B_MX]);
	else if (!any && !inconc)
		set_mark(s, MA_AREA_TLSRPT, MA_MARK_NONE, NULL);
	else
		mark_from(s, MA_AREA_TLSRPT, B_TLSRPT);

	mark_from(s, MA_AREA_DNSSEC, B_DNSSEC);
	if (s->marks[MA_AREA_DNSSEC] != MA_MARK_FAIL && scan_domain_dnssec(s) == MA_DNSSEC_UNCHECKED)
		set_mark(s, MA_AREA_DNSSEC, MA_MARK_UNKNOWN, "DNSSEC was not validated");

	/* MX TLS: the STARTTLS probe fills this area in; until it runs, the area says why it was not checked. */
	if (!mx_known(s))
		set_mark(s, MA_AREA_MXTLS, MA_MARK_INCONCLUSIVE, s->reason[B_MX]);
	else if (s->parked || s->nhosts == 0)
		set_mark(s, MA_AREA_MXTLS, MA_MARK_NONE, NULL);
	else
		set_mark(s, MA_AREA_MXTLS, MA_MARK_SKIPPED,
		         s->no_tls ? "not run (--no-tls)" : "the MX TLS probe is not part of this scan yet");
}

static int addr_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int scan_judge(struct ma_scan *s)
{
	struct judge j = {s, MA_OK};
	/* addresses in a canonical order: A and AAAA answers may come either way round */
	for (size_t i = 0; i < s->nhosts; i++)
		qsort(s->hosts[i].addrs, s->hosts[i].naddrs, sizeof s->hosts[i].addrs[0], addr_cmp);
	qsort(s->sts_addrs, s->sts_naddrs, sizeof s->sts_addrs[0], addr_cmp);
	if (s->nhosts == 1 && s->hosts[0].implicit) {
		/* the implicit MX's address lookups are the domain's own */
		s->hosts[0].a = s->dom_a;
		s->hosts[0].aaaa = s->dom_aaaa;
	}
	struct ma_spf_tree_summary sum;
	memset(&sum, 0, sizeof sum);
	if (!s->spf_done || ma_spf_tree_summary(s->spf, &sum) != MA_OK)
		sum.inconclusive = true;
	struct dkim_facts df;
	dkim_facts(s, &df);

	/* Parked (gov.uk "Protect domains that don't send email"): receives no mail (null MX, or no MX at all) and
	 * shows no sign of sending. Judged only on definite answers. */
	bool no_mx = mx_known(s) && ((s->null_mx && !s->null_mixed) || s->mx.status == MA_DNS_NODATA);
	bool sends = (sum.found && (sum.lookups > 0 || sum.nranges4 + sum.nranges6 > 0)) || df.found;
	s->parked = no_mx && !sends && !sum.inconclusive && !(df.failed && !df.found);
	s->receives = mx_known(s) && !s->parked && s->nhosts > 0;

	judge_mx(&j);
	if (s->parked && !s->null_mx)
		addf(&j, B_MX, "scan.parked.null-mx", "%s", s->domain);
	judge_spf(&j, &sum);
	judge_dmarc(&j);
	judge_dkim(&j, &df);
	judge_mtasts(&j);
	judge_tlsrpt(&j);
	judge_dnssec(&j);
	if (j.rc != MA_OK)
		return j.rc;
	if (s->parked) {
		bool clean = true;
		for (size_t i = 0; i < s->findings.n; i++)
			clean &= strncmp(s->findings.v[i].def->id, "scan.parked.", 12) != 0;
		if (clean)
			addf(&j, B_MX, "scan.parked.ok", NULL);
	}
	if (j.rc != MA_OK)
		return j.rc;
	marks(s, &df);
	return MA_OK;
}
