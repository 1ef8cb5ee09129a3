/* src/lib/dmarc_discover.c — DMARC policy discovery as a sans-I/O step function, by both generations:
 * RFC 7489 6.6.3 (exact name, then the organisational domain by the Public Suffix List) and RFC 9989 4.10 / 4.10.1
 * (exact name, then the DNS tree walk with psd= handling), and the tree walk for an organisational domain alone
 * (RFC 9989 4.10.2). The two methods share their queries; a disagreement between them is a finding.
 *
 * Every answer is hostile: at most MA_DMARC_RR_MAX TXT records per name are looked at, and temporary failures,
 * bogus and malformed answers make the outcome inconclusive, never "no record" (STYLE.md). */
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"

#define NAMESZ (MA_DNS_NAME_MAX + 1)

/* What one _dmarc.<name> TXT query gave. */
struct hit {
	bool asked;
	enum ma_dns_status status; /* MALFORMED also when a TXT record would not join */
	enum ma_dnssec dnssec;
	bool found;     /* exactly one record starting v=DMARC1 */
	bool multiple;  /* more than one: all discarded (RFC 9989 4.10 step 2, RFC 7489 6.6.3 step 5) */
	bool lookalike; /* a TXT that starts like DMARC but is not "v=DMARC1" */
	enum ma_dmarc_psd psd;
	char *text; /* owned: the one record, when found */
	size_t len;
};

/* RFC 9989 4.10: the names a tree walk queries, from the start down to the top-level label. */
struct walk {
	char target[MA_DMARC_WALK_MAX][NAMESZ];
	struct hit hit[MA_DMARC_WALK_MAX];
	size_t n;     /* targets */
	size_t next;  /* next target to ask */
	bool stopped; /* stopped at a psd=y/n record */
	bool failed;  /* a temporary, bogus or malformed answer: inconclusive */
	size_t failed_at;
};

static size_t count_labels(const char *name)
{
	size_t n = 1;
	for (const char *p = name; *p; p++)
		if (*p == '.')
			n++;
	return n;
}

/* The rightmost k labels of name (k >= 1, k <= labels). */
static const char *suffix_labels(const char *name, size_t k)
{
	size_t total = count_labels(name);
	const char *p = name;
	while (total > k) {
		p = strchr(p, '.') + 1;
		total--;
	}
	return p;
}

static void walk_init(struct walk *w, const char *start)
{
	memset(w, 0, sizeof *w);
	size_t x = count_labels(start);
	snprintf(w->target[0], NAMESZ, "%s", start);
	w->n = 1;
	/* Step 4: with eight or more labels, jump to the rightmost seven; then one label at a time (step 7). */
	size_t k = x >= 8 ? 7 : x - 1;
	while (k >= 1 && w->n < MA_DMARC_WALK_MAX) {
		snprintf(w->target[w->n++], NAMESZ, "%s", suffix_labels(start, k));
		k--;
	}
}

static void hit_fini(struct hit *h)
{
	free(h->text);
	memset(h, 0, sizeof *h);
}

static void walk_fini(struct walk *w)
{
	for (size_t i = 0; i < MA_DMARC_WALK_MAX; i++)
		hit_fini(&w->hit[i]);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* "v" *WSP "=" *WSP "dmarc" in any case: meant to be DMARC, whatever the rest. */
static bool looks_like_dmarc(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || lower(s[i]) != 'v')
		return false;
	i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || s[i] != '=')
		return false;
	i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	static const char want[] = "dmarc";
	for (size_t j = 0; j < 5; j++)
		if (i + j >= n || lower(s[i + j]) != want[j])
			return false;
	return true;
}

static int hit_feed(struct hit *h, const struct ma_dns_answer *ans)
{
	hit_fini(h);
	h->asked = true;
	h->status = ans->status;
	h->dnssec = ans->dnssec;
	if (ans->status == MA_DNS_ANSWER && ans->dnssec == MA_DNSSEC_BOGUS)
		h->status = MA_DNS_BOGUS;
	if (h->status != MA_DNS_ANSWER)
		return MA_OK;
	if (ans->count == 0 || ans->rr == NULL) {
		h->status = MA_DNS_NODATA;
		return MA_OK;
	}
	size_t found = 0, n = ans->count < MA_DMARC_RR_MAX ? ans->count : MA_DMARC_RR_MAX;
	bool malformed = false;
	for (size_t i = 0; i < n; i++) {
		char *txt = NULL;
		size_t len = 0;
		int rc = ma_dns_txt_join(&ans->rr[i], &txt, &len);
		if (rc == MA_ERR_NOMEM)
			return rc;
		if (rc != MA_OK) {
			malformed = true;
			continue;
		}
		if (ma_dmarc_is_record(txt, len)) {
			if (found++ == 0) {
				h->text = txt;
				h->len = len;
				continue;
			}
		} else if (looks_like_dmarc(txt, len)) {
			h->lookalike = true;
		}
		free(txt);
	}
	if (found > 1) {
		h->multiple = true;
		free(h->text);
		h->text = NULL;
		h->len = 0;
	} else if (found == 1) {
		h->found = true;
		struct ma_dmarc_record rec;
		int rc = ma_dmarc_parse(h->text, h->len, &rec, NULL);
		h->psd = rec.psd;
		ma_dmarc_record_fini(&rec);
		if (rc != MA_OK)
			return rc;
	} else if (malformed) {
		h->status = MA_DNS_MALFORMED; /* we cannot tell what the unreadable record said */
	}
	return MA_OK;
}

static bool hit_failed(const struct hit *h)
{
	return h->asked && (ma_dns_status_is_temporary(h->status) || h->status == MA_DNS_BOGUS ||
			    h->status == MA_DNS_MALFORMED);
}

static int walk_feed(struct walk *w, const struct ma_dns_answer *ans)
{
	size_t i = w->next;
	int rc = hit_feed(&w->hit[i], ans);
	if (rc != MA_OK)
		return rc;
	w->next++;
	if (hit_failed(&w->hit[i])) {
		w->failed = true;
		w->failed_at = i;
	} else if (w->hit[i].found && w->hit[i].psd != MA_DMARC_PSD_U) {
		w->stopped = true; /* RFC 9989 4.10 steps 2 and 6 */
	}
	return MA_OK;
}

static bool walk_done(const struct walk *w)
{
	return w->failed || w->stopped || w->next >= w->n;
}

/* RFC 9989 4.10.2: the organisational domain from the records the walk found, longest name first. */
static void walk_org(const struct walk *w, char *org)
{
	size_t last = w->n; /* the found record with the fewest labels */
	for (size_t i = 0; i < w->next; i++) {
		const struct hit *h = &w->hit[i];
		if (!h->found)
			continue;
		if (h->psd == MA_DMARC_PSD_N) {
			snprintf(org, NAMESZ, "%s", w->target[i]);
			return;
		}
		if (h->psd == MA_DMARC_PSD_Y && i != 0) {
			snprintf(org, NAMESZ, "%s", suffix_labels(w->target[0], count_labels(w->target[i]) + 1));
			return;
		}
		last = i;
	}
	snprintf(org, NAMESZ, "%s", last < w->n ? w->target[last] : w->target[0]);
}

/* ---- organisational domain alone (RFC 9989 4.10.2) ------------------------------------------------------- */

struct ma_dmarc_orgwalk {
	struct walk w;
	bool pending;
	char org[NAMESZ];
};

int ma_dmarc_orgwalk_new(const char *domain, struct ma_dmarc_orgwalk **out)
{
	char norm[NAMESZ];
	*out = NULL;
	if (ma_dmarc_domain_norm(domain, norm, sizeof norm) != MA_OK)
		return MA_ERR_INVAL;
	struct ma_dmarc_orgwalk *o = calloc(1, sizeof *o);
	if (o == NULL)
		return MA_ERR_NOMEM;
	walk_init(&o->w, norm);
	*out = o;
	return MA_OK;
}

void ma_dmarc_orgwalk_free(struct ma_dmarc_orgwalk *o)
{
	if (o == NULL)
		return;
	walk_fini(&o->w);
	free(o);
}

static int ask(struct ma_dns_question *q, const char *prefix, const char *name, uint16_t type)
{
	int n = snprintf(q->name, sizeof q->name, "%s%s", prefix, name);
	if (n < 0 || (size_t)n >= sizeof q->name)
		return MA_ERR_INVAL;
	q->type = type;
	return 1;
}

int ma_dmarc_orgwalk_next(struct ma_dmarc_orgwalk *o, struct ma_dns_question *q)
{
	if (walk_done(&o->w))
		return 0;
	o->pending = true;
	return ask(q, "_dmarc.", o->w.target[o->w.next], MA_DNS_T_TXT);
}

int ma_dmarc_orgwalk_answer(struct ma_dmarc_orgwalk *o, const struct ma_dns_answer *ans)
{
	if (!o->pending || ans == NULL)
		return MA_ERR_STATE;
	o->pending = false;
	return walk_feed(&o->w, ans);
}

enum ma_dmarc_outcome ma_dmarc_orgwalk_result(const struct ma_dmarc_orgwalk *o, const char **org)
{
	*org = NULL;
	if (!walk_done(&o->w) || o->w.failed)
		return MA_DMARC_INCONCLUSIVE;
	walk_org(&o->w, ((struct ma_dmarc_orgwalk *)o)->org);
	*org = o->org;
	return MA_DMARC_FOUND;
}

/* ---- policy discovery ------------------------------------------------------------------------------------ */

enum phase { PH_EXACT, PH_EXIST, PH_WALK, PH_PSL, PH_DONE };

struct ma_dmarc_discover {
	struct ma_dmarc_discovery res;
	const psl_ctx_t *psl;
	struct walk walk; /* target[0] is the author domain: the exact query is the walk's first */
	enum phase phase;
	bool pending;
	char psl_org[NAMESZ];
	struct hit psl_hit; /* _dmarc.<PSL org domain> when the walk did not ask it */
	const struct hit *psl_ref;
	struct ma_dns_question asked; /* the question handed out, until it is answered */
	bool done;
};

int ma_dmarc_discover_new(const struct ma_dmarc_discover_opts *opts, struct ma_dmarc_discover **out)
{
	*out = NULL;
	if (opts == NULL || opts->domain == NULL)
		return MA_ERR_INVAL;
	struct ma_dmarc_discover *d = calloc(1, sizeof *d);
	if (d == NULL)
		return MA_ERR_NOMEM;
	if (ma_dmarc_domain_norm(opts->domain, d->res.domain, sizeof d->res.domain) != MA_OK) {
		free(d);
		return MA_ERR_INVAL;
	}
	d->psl = opts->psl;
	d->res.psl_used = opts->psl != NULL;
	ma_dmarc_record_init(&d->res.rfc7489.record);
	ma_dmarc_record_init(&d->res.rfc9989.record);
	walk_init(&d->walk, d->res.domain);
	*out = d;
	return MA_OK;
}

static void method_fini(struct ma_dmarc_method *m)
{
	free(m->text);
	m->text = NULL;
	ma_dmarc_record_fini(&m->record);
}

void ma_dmarc_discover_free(struct ma_dmarc_discover *d)
{
	if (d == NULL)
		return;
	walk_fini(&d->walk);
	hit_fini(&d->psl_hit);
	method_fini(&d->res.rfc7489);
	method_fini(&d->res.rfc9989);
	ma_findings_fini(&d->res.findings);
	free(d);
}

static bool psl_needs_query(struct ma_dmarc_discover *d)
{
	if (d->psl == NULL || d->walk.hit[0].found || hit_failed(&d->walk.hit[0]))
		return false;
	if (ma_dmarc_org_psl(d->psl, d->res.domain, d->psl_org, sizeof d->psl_org) != MA_OK)
		snprintf(d->psl_org, sizeof d->psl_org, "%s", d->res.domain); /* a public suffix: its own org */
	if (strcmp(d->psl_org, d->res.domain) == 0)
		return false;
	for (size_t i = 1; i < d->walk.next; i++)
		if (strcmp(d->walk.target[i], d->psl_org) == 0) {
			d->psl_ref = &d->walk.hit[i];
			return false;
		}
	return true;
}

static int finish(struct ma_dmarc_discover *d);

static int next_question(struct ma_dmarc_discover *d, struct ma_dns_question *q);

int ma_dmarc_discover_next(struct ma_dmarc_discover *d, struct ma_dns_question *q)
{
	if (d->pending) { /* asked again before answering: the same question */
		*q = d->asked;
		return 1;
	}
	int rc = next_question(d, q);
	if (rc == 1)
		d->asked = *q;
	return rc;
}

static int next_question(struct ma_dmarc_discover *d, struct ma_dns_question *q)
{
	if (d->done)
		return 0;
	for (;;) {
		switch (d->phase) {
		case PH_EXACT:
			d->pending = true;
			return ask(q, "_dmarc.", d->walk.target[0], MA_DNS_T_TXT);
		case PH_EXIST:
			/* RFC 9989 3.2.13 (RFC 8020): NXDOMAIN for the author domain means it does not exist. */
			d->pending = true;
			return ask(q, "", d->res.domain, MA_DNS_T_A);
		case PH_WALK:
			if (!walk_done(&d->walk)) {
				d->pending = true;
				return ask(q, "_dmarc.", d->walk.target[d->walk.next], MA_DNS_T_TXT);
			}
			d->phase = PH_PSL;
			if (psl_needs_query(d)) {
				d->pending = true;
				return ask(q, "_dmarc.", d->psl_org, MA_DNS_T_TXT);
			}
			d->phase = PH_DONE;
			break;
		case PH_PSL:
			d->phase = PH_DONE;
			break;
		case PH_DONE: {
			int rc = finish(d);
			d->done = true;
			return rc < 0 ? rc : 0;
		}
		}
	}
}

int ma_dmarc_discover_answer(struct ma_dmarc_discover *d, const struct ma_dns_answer *ans)
{
	if (!d->pending || ans == NULL)
		return MA_ERR_STATE;
	d->pending = false;
	d->res.queries++;
	int rc = MA_OK;
	switch (d->phase) {
	case PH_EXACT:
		rc = walk_feed(&d->walk, ans);
		/* A temporary failure at the author's own name decides nothing: stop (inconclusive). */
		d->phase = d->walk.failed ? PH_DONE : PH_EXIST;
		break;
	case PH_EXIST:
		if (ans->status == MA_DNS_NXDOMAIN) {
			d->res.author_nxdomain = true;
			d->res.author_exists_known = true;
		} else if (ans->status == MA_DNS_ANSWER || ans->status == MA_DNS_NODATA) {
			d->res.author_exists_known = true;
		}
		d->phase = PH_WALK;
		break;
	case PH_WALK:
		rc = walk_feed(&d->walk, ans);
		break;
	case PH_PSL:
		rc = hit_feed(&d->psl_hit, ans);
		d->psl_ref = &d->psl_hit;
		d->phase = PH_DONE;
		break;
	case PH_DONE:
		return MA_ERR_STATE;
	}
	return rc;
}

const struct ma_dmarc_discovery *ma_dmarc_discover_result(const struct ma_dmarc_discover *d)
{
	return d->done ? &d->res : NULL;
}

/* ---- conclusions ----------------------------------------------------------------------------------------- */

static enum ma_dmarc_policy one_below(enum ma_dmarc_policy p)
{
	return p == MA_DMARC_P_REJECT ? MA_DMARC_P_QUARANTINE : MA_DMARC_P_NONE;
}

static int method_set(struct ma_dmarc_method *m, enum ma_dmarc_how how, const char *policy_domain,
		      const struct hit *h, const char *author, bool author_nx, bool rfc9989)
{
	m->outcome = MA_DMARC_FOUND;
	m->how = how;
	snprintf(m->policy_domain, sizeof m->policy_domain, "%s", policy_domain);
	m->text = malloc(h->len + 1);
	if (m->text == NULL)
		return MA_ERR_NOMEM;
	memcpy(m->text, h->text, h->len);
	m->text[h->len] = '\0';
	m->text_len = h->len;
	int rc = ma_dmarc_parse(h->text, h->len, &m->record, NULL);
	if (rc != MA_OK)
		return rc;
	const struct ma_dmarc_record *r = &m->record;
	if (!r->applies) {
		m->policy = m->applied = MA_DMARC_P_UNSET; /* RFC 9989 4.10.1: no DMARC processing */
		return MA_OK;
	}
	if (strcmp(policy_domain, author) == 0)
		m->policy = r->eff_p;
	else if (rfc9989 && author_nx)
		m->policy = r->eff_np; /* RFC 9989 4.10.1: np for a non-existent author domain */
	else
		m->policy = rfc9989 ? r->eff_sp : (r->sp != MA_DMARC_P_UNSET ? r->eff_sp : r->eff_p);
	/* RFC 9989 4.7 't': one level below; RFC 7489 receivers do not know t. */
	m->applied = (rfc9989 && r->t) ? one_below(m->policy) : m->policy;
	return MA_OK;
}

static const char *failed_status(const struct hit *h)
{
	return ma_dns_status_name(h->status);
}

static int report_hit(struct ma_findings *f, const char *name, const struct hit *h)
{
	int rc = MA_OK;
	if (h->multiple)
		rc = ma_findings_add(f, "dmarc.discovery.multiple", "_dmarc.%s", name);
	if (rc == MA_OK && h->lookalike && !h->found)
		rc = ma_findings_add(f, "dmarc.discovery.ignored-txt", "_dmarc.%s", name);
	if (rc == MA_OK && hit_failed(h)) {
		const char *id = h->status == MA_DNS_BOGUS	   ? "dmarc.discovery.bogus"
				 : h->status == MA_DNS_MALFORMED ? "dmarc.discovery.malformed"
								   : "dmarc.discovery.temperror";
		rc = ma_findings_add(f, id, "_dmarc.%s: %s", name, failed_status(h));
	}
	return rc;
}

static int finish(struct ma_dmarc_discover *d)
{
	struct ma_dmarc_discovery *res = &d->res;
	struct walk *w = &d->walk;
	struct ma_findings *f = &res->findings;
	const char *author = res->domain;
	const struct hit *exact = &w->hit[0];
	int rc;

	/* RFC 9989: exact, then the tree walk. */
	struct ma_dmarc_method *m9 = &res->rfc9989;
	if (!w->failed) /* a walk cut short by a failure cannot name the organisational domain */
		walk_org(w, m9->org_domain);
	if (exact->found) {
		if ((rc = method_set(m9, MA_DMARC_HOW_EXACT, author, exact, author, res->author_nxdomain, true)) != MA_OK)
			return rc;
	} else if (w->failed) {
		m9->outcome = MA_DMARC_INCONCLUSIVE;
	} else {
		const struct hit *at_org = NULL, *psd = NULL;
		const char *psd_name = NULL;
		for (size_t i = 1; i < w->next; i++) {
			if (!w->hit[i].found)
				continue;
			if (strcmp(w->target[i], m9->org_domain) == 0)
				at_org = &w->hit[i];
			if (w->hit[i].psd == MA_DMARC_PSD_Y) {
				psd = &w->hit[i];
				psd_name = w->target[i];
			}
		}
		if (at_org != NULL) {
			rc = method_set(m9, MA_DMARC_HOW_TREEWALK, m9->org_domain, at_org, author, res->author_nxdomain, true);
		} else if (psd != NULL) {
			/* RFC 9989 4.10.1: the Public Suffix Domain's record, lowest preference. */
			rc = method_set(m9, MA_DMARC_HOW_TREEWALK, psd_name, psd, author, res->author_nxdomain, true);
			m9->from_psd = true;
		} else {
			m9->outcome = MA_DMARC_NONE;
			rc = MA_OK;
		}
		if (rc != MA_OK)
			return rc;
	}

	/* RFC 7489 6.6.3: exact, then the organisational domain by the PSL. */
	struct ma_dmarc_method *m7 = &res->rfc7489;
	if (d->psl != NULL) {
		if (d->psl_org[0] == '\0' &&
		    ma_dmarc_org_psl(d->psl, author, d->psl_org, sizeof d->psl_org) != MA_OK)
			snprintf(d->psl_org, sizeof d->psl_org, "%s", author);
		snprintf(m7->org_domain, sizeof m7->org_domain, "%s", d->psl_org);
		if (exact->found) {
			rc = method_set(m7, MA_DMARC_HOW_EXACT, author, exact, author, res->author_nxdomain, false);
		} else if (hit_failed(exact)) {
			m7->outcome = MA_DMARC_INCONCLUSIVE;
			rc = MA_OK;
		} else if (d->psl_ref == NULL) {
			m7->outcome = MA_DMARC_NONE; /* the org domain is the author domain: nothing more to ask */
			rc = MA_OK;
		} else if (hit_failed(d->psl_ref)) {
			m7->outcome = MA_DMARC_INCONCLUSIVE;
			rc = MA_OK;
		} else if (d->psl_ref->found) {
			rc = method_set(m7, MA_DMARC_HOW_PSL, d->psl_org, d->psl_ref, author, res->author_nxdomain, false);
		} else {
			m7->outcome = MA_DMARC_NONE;
			rc = MA_OK;
		}
		if (rc != MA_OK)
			return rc;
	} else {
		m7->outcome = MA_DMARC_NONE;
	}

	/* The primary answer: RFC 9989 (current), else what the PSL found. */
	if (m9->outcome == MA_DMARC_FOUND || !res->psl_used)
		res->primary = m9;
	else if (m7->outcome == MA_DMARC_FOUND)
		res->primary = m7;
	else if (m9->outcome == MA_DMARC_INCONCLUSIVE || m7->outcome != MA_DMARC_INCONCLUSIVE)
		res->primary = m9;
	else
		res->primary = m7;
	res->outcome = res->primary->outcome;

	if (res->psl_used && m7->outcome != MA_DMARC_INCONCLUSIVE && m9->outcome != MA_DMARC_INCONCLUSIVE &&
	    m9->org_domain[0] != '\0') {
		res->disagree = strcmp(m7->org_domain, m9->org_domain) != 0 || m7->outcome != m9->outcome ||
				strcmp(m7->policy_domain, m9->policy_domain) != 0;
	}

	/* Findings: how the policy was found, then what went wrong on the way, then the record's own. */
	const struct ma_dmarc_method *p = res->primary;
	if (p->outcome == MA_DMARC_FOUND) {
		if (p->how == MA_DMARC_HOW_EXACT)
			rc = ma_findings_add(f, "dmarc.discovery.exact", "_dmarc.%s", author);
		else if (p->from_psd)
			rc = ma_findings_add(f, "dmarc.discovery.psd", "_dmarc.%s (%s)", p->policy_domain,
					     ma_dmarc_policy_name(p->policy));
		else
			rc = ma_findings_add(f, "dmarc.discovery.inherited", "_dmarc.%s by %s (%s)", p->policy_domain,
					     ma_dmarc_how_name(p->how), ma_dmarc_policy_name(p->policy));
	} else if (p->outcome == MA_DMARC_NONE) {
		rc = ma_findings_add(f, "dmarc.discovery.none", "%s", author);
	} else {
		rc = MA_OK;
	}
	for (size_t i = 0; rc == MA_OK && i < w->next; i++)
		rc = report_hit(f, w->target[i], &w->hit[i]);
	if (rc == MA_OK && d->psl_ref == &d->psl_hit)
		rc = report_hit(f, d->psl_org, &d->psl_hit);
	if (rc == MA_OK && res->author_nxdomain)
		rc = ma_findings_add(f, "dmarc.discovery.nxdomain", "%s", author);
	if (rc == MA_OK && res->disagree)
		rc = ma_findings_add(f, "dmarc.discovery.disagree",
				     "PSL: organisational domain %s, record %s%s; tree walk: organisational domain %s, "
				     "record %s%s",
				     m7->org_domain, m7->policy_domain[0] ? "at _dmarc." : "none",
				     m7->policy_domain, m9->org_domain, m9->policy_domain[0] ? "at _dmarc." : "none",
				     m9->policy_domain);
	if (rc == MA_OK && p->outcome == MA_DMARC_FOUND) {
		struct ma_dmarc_record tmp;
		rc = ma_dmarc_parse(p->text, p->text_len, &tmp, f);
		if (rc == MA_OK)
			rc = ma_dmarc_record_check(&tmp, f);
		ma_dmarc_record_fini(&tmp);
	}
	return rc;
}

/* ---- names and JSON --------------------------------------------------------------------------------------- */

const char *ma_dmarc_outcome_name(enum ma_dmarc_outcome o)
{
	switch (o) {
	case MA_DMARC_FOUND: return "found";
	case MA_DMARC_NONE: return "none";
	default: return "inconclusive";
	}
}

const char *ma_dmarc_how_name(enum ma_dmarc_how h)
{
	switch (h) {
	case MA_DMARC_HOW_EXACT: return "exact";
	case MA_DMARC_HOW_PSL: return "psl";
	case MA_DMARC_HOW_TREEWALK: return "tree-walk";
	default: return "none";
	}
}

static json_t *method_json(const struct ma_dmarc_method *m)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	int bad = 0;
	bad |= json_object_set_new(o, "outcome", json_string(ma_dmarc_outcome_name(m->outcome)));
	bad |= json_object_set_new(o, "how", json_string(ma_dmarc_how_name(m->how)));
	bad |= json_object_set_new(o, "org_domain", m->org_domain[0] ? json_string(m->org_domain) : json_null());
	if (m->outcome == MA_DMARC_FOUND) {
		bad |= json_object_set_new(o, "policy_domain", json_string(m->policy_domain));
		bad |= json_object_set_new(o, "from_psd", json_boolean(m->from_psd));
		/* The record may hold any bytes: jansson needs valid UTF-8, so fall back to a byte-safe copy. */
		json_t *t = json_stringn(m->text, m->text_len);
		if (t == NULL) {
			char *safe = malloc(m->text_len + 1);
			if (safe != NULL) {
				for (size_t i = 0; i < m->text_len; i++) {
					unsigned char c = (unsigned char)m->text[i];
					safe[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
				}
				safe[m->text_len] = '\0';
				t = json_string(safe);
				free(safe);
			}
		}
		bad |= json_object_set_new(o, "record", t);
		bad |= json_object_set_new(o, "parsed", ma_dmarc_record_to_json(&m->record));
		bad |= json_object_set_new(o, "policy", json_string(ma_dmarc_policy_name(m->policy)));
		bad |= json_object_set_new(o, "applied_policy", json_string(ma_dmarc_policy_name(m->applied)));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *ma_dmarc_discovery_to_json(const struct ma_dmarc_discovery *r)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	int bad = 0;
	const struct ma_dmarc_method *p = r->primary;
	bad |= json_object_set_new(o, "domain", json_string(r->domain));
	bad |= json_object_set_new(o, "outcome", json_string(ma_dmarc_outcome_name(r->outcome)));
	bad |= json_object_set_new(o, "how", json_string(p ? ma_dmarc_how_name(p->how) : "none"));
	bad |= json_object_set_new(o, "author_exists",
				   r->author_exists_known ? json_boolean(!r->author_nxdomain) : json_null());
	json_t *org = json_object();
	bad |= json_object_set_new(o, "org_domain", org);
	if (org != NULL) {
		bad |= json_object_set_new(org, "psl", r->psl_used && r->rfc7489.org_domain[0]
							       ? json_string(r->rfc7489.org_domain)
							       : json_null());
		bad |= json_object_set_new(org, "tree_walk",
					   r->rfc9989.org_domain[0] ? json_string(r->rfc9989.org_domain) : json_null());
	}
	bad |= json_object_set_new(o, "disagree", json_boolean(r->disagree));
	bad |= json_object_set_new(o, "rfc9989", method_json(&r->rfc9989));
	if (r->psl_used)
		bad |= json_object_set_new(o, "rfc7489", method_json(&r->rfc7489));
	bad |= json_object_set_new(o, "queries", json_integer(r->queries));
	bad |= json_object_set_new(o, "findings", ma_findings_to_json(&r->findings));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
