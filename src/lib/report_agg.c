/* src/lib/report_agg.c — DMARC aggregate (rua) reports: libxml2's SAX2 push parser driving a small state machine.
 *
 * Memory is bounded whatever the report's size: text is captured only for known leaf elements and capped at
 * MA_AGG_FIELD_MAX, each record is built in a reusable arena and handed to on_record, and libxml2 keeps only the
 * unparsed tail of its input (capped below). Entities are never expanded and no DTD is loaded (see sax_get_entity).
 * Bytes that are not UTF-8 are replaced before libxml2 sees them (it would otherwise stop at the first one). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "lib/err.h"
#include "lib/report_agg.h"
#include "lib/xml_utf8.h"

/* A single tag, comment or PI that libxml2 must see whole before parsing it; character data is streamed. */
#define UNPARSED_MAX (1u << 20)
/* libxml2 is fed at most this much per call, so the cap above is checked often. */
#define SLICE 65536
/* In recovery mode every error is reported; past this many the document is not a report. */
#define XML_ERRORS_MAX 200
/* The XML declaration is read before choosing how bytes are checked (UTF-8 filter or libxml2's own decoder). */
#define HEAD_MAX 256
/* Entity declarations kept by libxml2 (never expanded) in a DTD we otherwise ignore. */
#define ENTITIES_MAX 100

enum el {
	E_UNKNOWN = 0,
	E_FEEDBACK,
	E_VERSION,
	E_REPORT_METADATA,
	E_ORG_NAME,
	E_EMAIL,
	E_EXTRA_CONTACT_INFO,
	E_REPORT_ID,
	E_DATE_RANGE,
	E_BEGIN,
	E_END,
	E_ERROR,
	E_GENERATOR,
	E_POLICY_PUBLISHED,
	E_DOMAIN,
	E_ADKIM,
	E_ASPF,
	E_P,
	E_SP,
	E_NP,
	E_PCT,
	E_FO,
	E_TESTING,
	E_DISCOVERY_METHOD,
	E_RECORD,
	E_ROW,
	E_SOURCE_IP,
	E_COUNT,
	E_POLICY_EVALUATED,
	E_DISPOSITION,
	E_DKIM,
	E_SPF,
	E_REASON,
	E_TYPE,
	E_COMMENT,
	E_IDENTIFIERS,
	E_HEADER_FROM,
	E_ENVELOPE_FROM,
	E_ENVELOPE_TO,
	E_AUTH_RESULTS,
	E_SELECTOR,
	E_RESULT,
	E_HUMAN_RESULT,
	E_SCOPE,
	E_EXTENSION,
	E_COUNT_ENUM,
};

static const char *const el_names[E_COUNT_ENUM] = {
    [E_UNKNOWN] = "",
    [E_FEEDBACK] = "feedback",
    [E_VERSION] = "version",
    [E_REPORT_METADATA] = "report_metadata",
    [E_ORG_NAME] = "org_name",
    [E_EMAIL] = "email",
    [E_EXTRA_CONTACT_INFO] = "extra_contact_info",
    [E_REPORT_ID] = "report_id",
    [E_DATE_RANGE] = "date_range",
    [E_BEGIN] = "begin",
    [E_END] = "end",
    [E_ERROR] = "error",
    [E_GENERATOR] = "generator",
    [E_POLICY_PUBLISHED] = "policy_published",
    [E_DOMAIN] = "domain",
    [E_ADKIM] = "adkim",
    [E_ASPF] = "aspf",
    [E_P] = "p",
    [E_SP] = "sp",
    [E_NP] = "np",
    [E_PCT] = "pct",
    [E_FO] = "fo",
    [E_TESTING] = "testing",
    [E_DISCOVERY_METHOD] = "discovery_method",
    [E_RECORD] = "record",
    [E_ROW] = "row",
    [E_SOURCE_IP] = "source_ip",
    [E_COUNT] = "count",
    [E_POLICY_EVALUATED] = "policy_evaluated",
    [E_DISPOSITION] = "disposition",
    [E_DKIM] = "dkim",
    [E_SPF] = "spf",
    [E_REASON] = "reason",
    [E_TYPE] = "type",
    [E_COMMENT] = "comment",
    [E_IDENTIFIERS] = "identifiers",
    [E_HEADER_FROM] = "header_from",
    [E_ENVELOPE_FROM] = "envelope_from",
    [E_ENVELOPE_TO] = "envelope_to",
    [E_AUTH_RESULTS] = "auth_results",
    [E_SELECTOR] = "selector",
    [E_RESULT] = "result",
    [E_HUMAN_RESULT] = "human_result",
    [E_SCOPE] = "scope",
    [E_EXTENSION] = "extension",
};

/* ---- a chunked arena: strings of one record (or of the held-back records), freed or rewound in one go ---- */

struct blk {
	struct blk *next;
	size_t cap, used;
	char data[];
};

struct arena {
	struct blk *head, *cur;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	for (;;) {
		if (a->cur != NULL && a->cur->cap - a->cur->used >= n) {
			void *p = a->cur->data + a->cur->used;
			a->cur->used += n;
			return p;
		}
		if (a->cur != NULL && a->cur->next != NULL) {
			a->cur = a->cur->next;
			a->cur->used = 0;
			continue;
		}
		size_t cap = n > 8192 ? n : 8192;
		struct blk *b = malloc(sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->next = NULL;
		b->cap = cap;
		b->used = 0;
		if (a->cur != NULL)
			a->cur->next = b;
		else
			a->head = b;
		a->cur = b;
	}
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void arena_rewind(struct arena *a)
{
	a->cur = a->head;
	if (a->cur != NULL)
		a->cur->used = 0;
}

static void arena_fini(struct arena *a)
{
	struct blk *b = a->head;
	while (b != NULL) {
		struct blk *n = b->next;
		free(b);
		b = n;
	}
	a->head = a->cur = NULL;
}

/* ---- parser state ---- */

/* "" for absent fields; the API hands out char * but these are never written (pointer-compared to free) */
static const char empty_str[1] = "";
#define empty ((char *)empty_str)

struct pending {
	struct ma_agg_record r;
};

struct ma_agg_parser {
	struct ma_agg_parser_cbs cbs;
	void *arg;
	xmlParserCtxtPtr ctxt;
	int err; /* sticky: the first error (callback's, cap, parse) */
	char why[256];
	const char *why_static;
	struct ma_findings findings;

	/* input side */
	unsigned char head[HEAD_MAX];
	size_t headlen;
	bool decided, filter; /* filter: check and repair UTF-8 ourselves */
	bool finished;        /* ma_agg_parser_finish ran: no more input */
	struct ma_xml_utf8 utf8;
	uint64_t total_in;

	/* libxml2 errors */
	unsigned nxml_errors, nentities;
	char first_xml_error[160];

	/* element stack (our own ids; depth counts every element) */
	unsigned char stack[MA_AGG_DEPTH_MAX + 1];
	int lx[MA_AGG_DEPTH_MAX + 1];               /* libxml2's depth when the element opened */
	const xmlChar *names[MA_AGG_DEPTH_MAX + 1]; /* interned local names */
	int lx_depth;                               /* libxml2's own element depth */
	bool have_mismatch;                         /* the end tag just reported names another element */
	char mismatch[64];
	int depth;
	int feedback_depth; /* -1: not inside <feedback> */
	bool feedback_seen, feedback_closed;
	int skip_depth; /* > 0: inside a subtree we ignore (extension, a repeated policy_published) */
	bool case_noted;
	char root_name[48];

	/* captured text of the current leaf */
	bool capture;
	bool text_trunc;
	size_t tlen;
	char text[MA_AGG_FIELD_MAX + 8];

	/* metadata */
	struct ma_agg_meta meta;
	size_t errors_cap;
	bool meta_closed, policy_closed, policy_open, meta_sent;
	bool meta_field_truncated;

	/* the record being built */
	struct arena rarena;
	struct ma_agg_record rec;
	size_t dkim_cap, spf_cap, reasons_cap;
	bool rec_open, rec_content, rec_dropped_noted;
	bool in_dkim, in_spf, in_reason; /* an entry is open (false when it was dropped over the cap) */

	/* held-back records */
	struct arena parena;
	struct pending *pend;
	size_t npend, pend_cap;

	uint64_t nrecords, nmessages, nempty;

	/* name lookup cache: libxml2 interns element names in its dictionary, so one pointer means one name */
	struct {
		const xmlChar *name;
		unsigned char id;
	} cache[256];
};

static void fail(struct ma_agg_parser *p, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct ma_agg_parser *p, int err, const char *fmt, ...)
{
	if (p->err != MA_OK)
		return;
	p->err = err;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->why, sizeof p->why, fmt, ap);
		va_end(ap);
	} else {
		snprintf(p->why, sizeof p->why, "%s", ma_err_str(err));
	}
	if (p->ctxt != NULL)
		xmlStopParser(p->ctxt);
}

static void nomem(struct ma_agg_parser *p)
{
	fail(p, MA_ERR_NOMEM, "out of memory");
}

static void add_report_finding(struct ma_agg_parser *p, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report-level findings, each ID once (the first occurrence's detail): a million odd records make one finding. */
static void add_report_finding(struct ma_agg_parser *p, const char *id, const char *fmt, ...)
{
	if (ma_findings_has(&p->findings, id))
		return;
	char detail[256];
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	if (ma_findings_add(&p->findings, id, fmt ? "%s" : NULL, detail) != MA_OK)
		nomem(p);
}

static void add_record_finding(struct ma_agg_parser *p, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_record_finding(struct ma_agg_parser *p, const char *id, const char *fmt, ...)
{
	if (ma_findings_has(&p->rec.findings, id))
		return;
	char detail[256];
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	if (ma_findings_add(&p->rec.findings, id, fmt ? "%s" : NULL, detail) != MA_OK)
		nomem(p);
}

/* A hostile value quoted in a finding's detail: printable ASCII only, short. */
static const char *snip(const char *s, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; s[i] != '\0' && o + 4 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		if (i >= 40) {
			buf[o++] = '.';
			buf[o++] = '.';
			buf[o++] = '.';
			break;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* ---- element names ---- */

static int lookup_name(struct ma_agg_parser *p, const xmlChar *name)
{
	size_t h = ((uintptr_t)name >> 3) & 255;
	if (p->cache[h].name == name)
		return p->cache[h].id;
	int id = E_UNKNOWN;
	bool folded = false;
	for (int i = 1; i < E_COUNT_ENUM; i++) {
		if (strcmp((const char *)name, el_names[i]) == 0) {
			id = i;
			break;
		}
	}
	if (id == E_UNKNOWN) {
		for (int i = 1; i < E_COUNT_ENUM; i++) {
			if (strcasecmp((const char *)name, el_names[i]) == 0) {
				id = i;
				folded = true;
				break;
			}
		}
	}
	if (folded && !p->case_noted) {
		char b[64];
		p->case_noted = true;
		add_report_finding(p, "report.agg.element-case", "<%s>", snip((const char *)name, b, sizeof b));
	}
	p->cache[h].name = name;
	p->cache[h].id = (unsigned char)id;
	return id;
}

/* ---- small value parsers ---- */

static bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The captured text with XML white space trimmed: *len set, NUL-terminated in place. */
static char *trimmed(struct ma_agg_parser *p, size_t *len)
{
	char *s = p->text;
	size_t n = p->tlen;
	while (n > 0 && is_xml_space(s[n - 1]))
		n--;
	s[n] = '\0';
	while (n > 0 && is_xml_space(*s)) {
		s++;
		n--;
	}
	*len = n;
	return s;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (*s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return *s == '\0';
}

/* <begin>/<end>: integer seconds; "1337270400.0" is truncated (with a finding). */
static int64_t parse_epoch(struct ma_agg_parser *p, const char *s, const char *which)
{
	char b[64];
	const char *q = s;
	uint64_t v = 0;
	if (*q < '0' || *q > '9')
		goto bad;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (v > 253402300799ull) /* past year 9999: not a report date */
			goto bad;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (*q == '.') {
		q++;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q != '\0')
			goto bad;
		add_report_finding(p, "report.agg.float-epoch", "%s %s", which, snip(s, b, sizeof b));
	} else if (*q != '\0') {
		goto bad;
	}
	if (v > 253402300799ull)
		goto bad;
	return (int64_t)v;
bad:
	add_report_finding(p, "report.agg.date-invalid", "%s '%s'", which, snip(s, b, sizeof b));
	return -1;
}

struct word {
	const char *w;
	int v;
	bool respelled; /* an accepted alias, not the schema's word */
};

static const struct word result_words[] = {
    {"none", MA_AGG_R_NONE, false},
    {"pass", MA_AGG_R_PASS, false},
    {"fail", MA_AGG_R_FAIL, false},
    {"softfail", MA_AGG_R_SOFTFAIL, false},
    {"neutral", MA_AGG_R_NEUTRAL, false},
    {"temperror", MA_AGG_R_TEMPERROR, false},
    {"permerror", MA_AGG_R_PERMERROR, false},
    {"policy", MA_AGG_R_POLICY, false},
    {"hardfail", MA_AGG_R_FAIL, true},
    /* RFC 4408's drafts named temperror "error" and permerror "unknown"; old reporters kept the names */
    {"error", MA_AGG_R_TEMPERROR, true},
    {"unknown", MA_AGG_R_PERMERROR, true},
    {"temp_error", MA_AGG_R_TEMPERROR, true},
    {"perm_error", MA_AGG_R_PERMERROR, true},
    {NULL, 0, false},
};

static enum ma_agg_result parse_result(struct ma_agg_parser *p, const char *s)
{
	char b[64];
	if (*s == '\0')
		return MA_AGG_R_NONE;
	for (const struct word *w = result_words; w->w != NULL; w++) {
		if (strcasecmp(s, w->w) == 0) {
			if (w->respelled || strcmp(s, w->w) != 0)
				add_record_finding(p, "report.agg.result-spelling", "'%s'", snip(s, b, sizeof b));
			return (enum ma_agg_result)w->v;
		}
	}
	add_record_finding(p, "report.agg.result-unknown", "'%s'", snip(s, b, sizeof b));
	return MA_AGG_R_UNKNOWN;
}

static enum ma_agg_disposition parse_disposition(struct ma_agg_parser *p, const char *s)
{
	static const char *const w[] = {"none", "quarantine", "reject", "pass"};
	static const enum ma_agg_disposition v[] = {MA_AGG_D_NONE, MA_AGG_D_QUARANTINE, MA_AGG_D_REJECT, MA_AGG_D_PASS};
	char b[64];
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, w[i]) == 0) {
			if (strcmp(s, w[i]) != 0)
				add_record_finding(p, "report.agg.result-spelling", "disposition '%s'",
				                   snip(s, b, sizeof b));
			return v[i];
		}
	}
	add_record_finding(p, "report.agg.disposition-unknown", "'%s'", snip(s, b, sizeof b));
	return MA_AGG_D_UNKNOWN;
}

/* ---- metadata ---- */

static void meta_set(struct ma_agg_parser *p, char **field, const char *s, size_t n)
{
	if (*field != empty) /* repeated element: the first one stands */
		return;
	char *d = strndup(s, n);
	if (d == NULL) {
		nomem(p);
		return;
	}
	*field = d;
	if (p->text_trunc)
		p->meta_field_truncated = true;
}

static void meta_add_error(struct ma_agg_parser *p, const char *s, size_t n)
{
	if (p->meta.nerrors >= MA_AGG_REASONS_MAX)
		return;
	if (p->meta.nerrors == p->errors_cap) {
		size_t cap = p->errors_cap ? p->errors_cap * 2 : 4;
		char **v = realloc(p->meta.errors, cap * sizeof *v);
		if (v == NULL) {
			nomem(p);
			return;
		}
		p->meta.errors = v;
		p->errors_cap = cap;
	}
	char *d = strndup(s, n);
	if (d == NULL) {
		nomem(p);
		return;
	}
	p->meta.errors[p->meta.nerrors++] = d;
}

static void meta_init(struct ma_agg_meta *m)
{
	memset(m, 0, sizeof *m);
	m->version = m->org_name = m->email = m->extra_contact_info = m->report_id = m->generator = empty;
	m->domain = m->adkim = m->aspf = m->p = m->sp = m->np = m->fo = m->testing = m->discovery_method = empty;
	m->begin = m->end = -1;
	m->pct = -1;
}

static void meta_fini(struct ma_agg_meta *m)
{
	char **f[] = {&m->version,
	              &m->org_name,
	              &m->email,
	              &m->extra_contact_info,
	              &m->report_id,
	              &m->generator,
	              &m->domain,
	              &m->adkim,
	              &m->aspf,
	              &m->p,
	              &m->sp,
	              &m->np,
	              &m->fo,
	              &m->testing,
	              &m->discovery_method};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (*f[i] != empty)
			free(*f[i]);
		*f[i] = empty;
	}
	for (size_t i = 0; i < m->nerrors; i++)
		free(m->errors[i]);
	free(m->errors);
	m->errors = NULL;
	m->nerrors = 0;
}

/* ---- records ---- */

static void rec_reset(struct ma_agg_parser *p)
{
	struct ma_agg_record *r = &p->rec;
	arena_rewind(&p->rarena);
	if (r->findings.n > 0)
		ma_findings_fini(&r->findings);
	r->source_ip[0] = '\0';
	r->source_ip_raw = r->header_from = r->envelope_from = r->envelope_to = empty;
	r->count = 0;
	r->disposition = MA_AGG_D_UNKNOWN;
	r->dkim_aligned = r->spf_aligned = MA_AGG_R_NONE;
	r->nreasons = r->ndkim = r->nspf = 0;
	p->rec_content = false;
	p->rec_dropped_noted = false;
	p->in_dkim = p->in_spf = p->in_reason = false;
}

static char *rec_str(struct ma_agg_parser *p, const char *s, size_t n)
{
	if (p->text_trunc)
		add_record_finding(p, "report.agg.field-truncated", "%zu bytes kept", n);
	if (n == 0)
		return empty;
	char *d = arena_strndup(&p->rarena, s, n);
	if (d == NULL) {
		nomem(p);
		return empty;
	}
	return d;
}

static bool grow(struct ma_agg_parser *p, void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 4;
	void *nv = realloc(*v, nc * size);
	if (nv == NULL) {
		nomem(p);
		return false;
	}
	*v = nv;
	*cap = nc;
	return true;
}

static void results_dropped(struct ma_agg_parser *p, const char *what)
{
	if (!p->rec_dropped_noted) {
		p->rec_dropped_noted = true;
		add_record_finding(p, "report.agg.results-dropped", "%s", what);
	}
}

static void set_source_ip(struct ma_agg_parser *p, const char *s, size_t n)
{
	struct ma_agg_record *r = &p->rec;
	char b[64];
	r->source_ip_raw = rec_str(p, s, n);
	unsigned char bin[16];
	if (n > 0 && n < 46) {
		if (inet_pton(AF_INET, s, bin) == 1) {
			inet_ntop(AF_INET, bin, r->source_ip, sizeof r->source_ip);
			return;
		}
		if (inet_pton(AF_INET6, s, bin) == 1) {
			inet_ntop(AF_INET6, bin, r->source_ip, sizeof r->source_ip);
			return;
		}
	}
	add_record_finding(p, "report.agg.source-ip-invalid", "'%s'", snip(s, b, sizeof b));
}

static void deliver(struct ma_agg_parser *p, const struct ma_agg_record *r)
{
	if (p->err != MA_OK)
		return;
	p->nrecords++;
	p->nmessages += r->count;
	if (p->cbs.on_record != NULL) {
		int rc = p->cbs.on_record(r, p->arg);
		if (rc != MA_OK)
			fail(p, rc, "on_record: %s", ma_err_str(rc));
	}
}

static char *pdup(struct ma_agg_parser *p, const char *s)
{
	if (s[0] == '\0')
		return empty;
	char *d = arena_strndup(&p->parena, s, strlen(s));
	if (d == NULL) {
		nomem(p);
		return empty;
	}
	return d;
}

/* A record complete before the metadata: deep-copied into the held-back arena. */
static void hold(struct ma_agg_parser *p)
{
	if (p->npend >= MA_AGG_PENDING_MAX) {
		fail(p, MA_ERR_TOOBIG, "more than %d records before <report_metadata>/<policy_published>",
		     MA_AGG_PENDING_MAX);
		return;
	}
	if (!grow(p, (void **)&p->pend, &p->pend_cap, p->npend, sizeof *p->pend))
		return;
	const struct ma_agg_record *s = &p->rec;
	struct ma_agg_record *d = &p->pend[p->npend].r;
	*d = *s;
	ma_findings_init(&d->findings);
	if (p->rec.findings.n > 0 && ma_findings_take(&d->findings, &p->rec.findings) != MA_OK) {
		nomem(p);
		return;
	}
	p->npend++;
	d->source_ip_raw = pdup(p, s->source_ip_raw);
	d->header_from = pdup(p, s->header_from);
	d->envelope_from = pdup(p, s->envelope_from);
	d->envelope_to = pdup(p, s->envelope_to);
	d->dkim = s->ndkim ? arena_alloc(&p->parena, s->ndkim * sizeof *d->dkim) : NULL;
	d->spf = s->nspf ? arena_alloc(&p->parena, s->nspf * sizeof *d->spf) : NULL;
	d->reasons = s->nreasons ? arena_alloc(&p->parena, s->nreasons * sizeof *d->reasons) : NULL;
	if ((s->ndkim && d->dkim == NULL) || (s->nspf && d->spf == NULL) || (s->nreasons && d->reasons == NULL)) {
		d->ndkim = d->nspf = d->nreasons = 0;
		nomem(p);
		return;
	}
	for (size_t i = 0; i < s->ndkim; i++) {
		d->dkim[i] = s->dkim[i];
		d->dkim[i].domain = pdup(p, s->dkim[i].domain);
		d->dkim[i].selector = pdup(p, s->dkim[i].selector);
		d->dkim[i].result_text = pdup(p, s->dkim[i].result_text);
		d->dkim[i].human_result = pdup(p, s->dkim[i].human_result);
	}
	for (size_t i = 0; i < s->nspf; i++) {
		d->spf[i] = s->spf[i];
		d->spf[i].domain = pdup(p, s->spf[i].domain);
		d->spf[i].scope = pdup(p, s->spf[i].scope);
		d->spf[i].result_text = pdup(p, s->spf[i].result_text);
	}
	for (size_t i = 0; i < s->nreasons; i++) {
		d->reasons[i].type = pdup(p, s->reasons[i].type);
		d->reasons[i].comment = pdup(p, s->reasons[i].comment);
	}
}

static void send_meta(struct ma_agg_parser *p)
{
	if (p->meta_sent || p->err != MA_OK)
		return;
	p->meta_sent = true;
	struct ma_agg_meta *m = &p->meta;
	if (p->meta_field_truncated)
		add_report_finding(p, "report.agg.field-truncated", "in report_metadata or policy_published");
	const char *missing[4];
	size_t nm = 0;
	if (m->org_name[0] == '\0')
		missing[nm++] = "org_name";
	if (m->email[0] == '\0')
		missing[nm++] = "email";
	if (m->report_id[0] == '\0')
		missing[nm++] = "report_id";
	if (m->begin < 0 || m->end < 0)
		missing[nm++] = "date_range";
	if (nm > 0)
		add_report_finding(p, "report.agg.field-missing", "%s%s%s%s%s%s%s", missing[0], nm > 1 ? ", " : "",
		                   nm > 1 ? missing[1] : "", nm > 2 ? ", " : "", nm > 2 ? missing[2] : "",
		                   nm > 3 ? ", " : "", nm > 3 ? missing[3] : "");
	if (m->begin >= 0 && m->end >= 0) {
		/* RFC 7489 7.2 / RFC 9990 2.1: reports cover a period, normally a day */
		if (m->end <= m->begin || m->end - m->begin > 31 * 86400)
			add_report_finding(p, "report.agg.range-unusual", "begin %lld, end %lld", (long long)m->begin,
			                   (long long)m->end);
	}
	if (m->nerrors > 0) {
		char b[64];
		add_report_finding(p, "report.agg.reporter-error", "'%s'", snip(m->errors[0], b, sizeof b));
	}
	if (p->cbs.on_meta != NULL) {
		int rc = p->cbs.on_meta(m, p->arg);
		if (rc != MA_OK) {
			fail(p, rc, "on_meta: %s", ma_err_str(rc));
			return;
		}
	}
	for (size_t i = 0; i < p->npend && p->err == MA_OK; i++)
		deliver(p, &p->pend[i].r);
	for (size_t i = 0; i < p->npend; i++)
		ma_findings_fini(&p->pend[i].r.findings);
	p->npend = 0;
	free(p->pend);
	p->pend = NULL;
	p->pend_cap = 0;
	arena_fini(&p->parena);
}

static void end_record(struct ma_agg_parser *p)
{
	p->rec_open = false;
	if (!p->rec_content) {
		p->nempty++;
		return;
	}
	struct ma_agg_record *r = &p->rec;
	if (r->source_ip_raw == empty && !ma_findings_has(&r->findings, "report.agg.source-ip-invalid"))
		add_record_finding(p, "report.agg.source-ip-invalid", "missing");
	if (p->meta_sent)
		deliver(p, r);
	else
		hold(p);
}

/* ---- SAX callbacks ---- */

static void finish_leaf(struct ma_agg_parser *p, int id, int parent, int grand)
{
	size_t n;
	char *s = trimmed(p, &n);
	struct ma_agg_meta *m = &p->meta;
	struct ma_agg_record *r = &p->rec;
	char b[64];

	switch (parent) {
	case E_FEEDBACK:
		if (id == E_VERSION)
			meta_set(p, &m->version, s, n);
		return;
	case E_REPORT_METADATA:
		switch (id) {
		case E_ORG_NAME: meta_set(p, &m->org_name, s, n); break;
		case E_EMAIL: meta_set(p, &m->email, s, n); break;
		case E_EXTRA_CONTACT_INFO: meta_set(p, &m->extra_contact_info, s, n); break;
		case E_REPORT_ID: meta_set(p, &m->report_id, s, n); break;
		case E_GENERATOR: meta_set(p, &m->generator, s, n); break;
		case E_ERROR: meta_add_error(p, s, n); break;
		default: break;
		}
		return;
	case E_DATE_RANGE:
		if (grand != E_REPORT_METADATA)
			return;
		if (id == E_BEGIN && m->begin < 0)
			m->begin = parse_epoch(p, s, "begin");
		else if (id == E_END && m->end < 0)
			m->end = parse_epoch(p, s, "end");
		return;
	case E_POLICY_PUBLISHED:
		switch (id) {
		case E_DOMAIN:
			if (m->domain == empty) {
				/* lower-cased, one trailing dot dropped: the store files the report under this name */
				while (n > 0 && s[n - 1] == '.')
					n--;
				for (size_t i = 0; i < n; i++)
					s[i] = (char)tolower((unsigned char)s[i]);
				if (n > 0)
					meta_set(p, &m->domain, s, n);
			}
			break;
		case E_ADKIM: meta_set(p, &m->adkim, s, n); break;
		case E_ASPF: meta_set(p, &m->aspf, s, n); break;
		case E_P: meta_set(p, &m->p, s, n); break;
		case E_SP: meta_set(p, &m->sp, s, n); break;
		case E_NP: meta_set(p, &m->np, s, n); break;
		case E_FO: meta_set(p, &m->fo, s, n); break;
		case E_TESTING: meta_set(p, &m->testing, s, n); break;
		case E_DISCOVERY_METHOD: meta_set(p, &m->discovery_method, s, n); break;
		case E_PCT:
			if (m->pct < 0 && n > 0) {
				uint64_t v;
				if (parse_u64(s, &v) && v <= 100)
					m->pct = (int)v;
				else
					add_report_finding(p, "report.agg.value-invalid", "pct '%s'",
					                   snip(s, b, sizeof b));
			}
			break;
		default: break;
		}
		return;
	default: break;
	}

	if (!p->rec_open)
		return;
	switch (parent) {
	case E_ROW:
		if (id == E_SOURCE_IP && r->source_ip_raw == empty) {
			p->rec_content = true;
			set_source_ip(p, s, n);
		} else if (id == E_COUNT) {
			p->rec_content = true;
			uint64_t v;
			if (parse_u64(s, &v))
				r->count = v;
			else
				add_record_finding(p, "report.agg.count-invalid", "'%s'", snip(s, b, sizeof b));
		}
		return;
	case E_POLICY_EVALUATED:
		if (id == E_DISPOSITION)
			r->disposition = parse_disposition(p, s);
		else if (id == E_DKIM)
			r->dkim_aligned = parse_result(p, s);
		else if (id == E_SPF)
			r->spf_aligned = parse_result(p, s);
		return;
	case E_REASON:
		if (!p->in_reason || grand != E_POLICY_EVALUATED)
			return;
		if (id == E_TYPE)
			r->reasons[r->nreasons - 1].type = rec_str(p, s, n);
		else if (id == E_COMMENT)
			r->reasons[r->nreasons - 1].comment = rec_str(p, s, n);
		return;
	case E_IDENTIFIERS:
		if (id == E_HEADER_FROM)
			r->header_from = rec_str(p, s, n);
		else if (id == E_ENVELOPE_FROM)
			r->envelope_from = rec_str(p, s, n);
		else if (id == E_ENVELOPE_TO)
			r->envelope_to = rec_str(p, s, n);
		return;
	case E_DKIM:
		if (!p->in_dkim || grand != E_AUTH_RESULTS)
			return;
		{
			struct ma_agg_auth_dkim *d = &r->dkim[r->ndkim - 1];
			if (id == E_DOMAIN)
				d->domain = rec_str(p, s, n);
			else if (id == E_SELECTOR)
				d->selector = rec_str(p, s, n);
			else if (id == E_RESULT) {
				d->result_text = rec_str(p, s, n);
				d->result = parse_result(p, s);
			} else if (id == E_HUMAN_RESULT)
				d->human_result = rec_str(p, s, n);
		}
		return;
	case E_SPF:
		if (!p->in_spf || grand != E_AUTH_RESULTS)
			return;
		{
			struct ma_agg_auth_spf *d = &r->spf[r->nspf - 1];
			if (id == E_DOMAIN) {
				if (n == 0 || strcasecmp(s, "NULL") == 0) {
					add_record_finding(p, "report.agg.spf-domain-null", n ? "'NULL'" : "empty");
					d->domain = empty;
				} else {
					d->domain = rec_str(p, s, n);
				}
			} else if (id == E_SCOPE)
				d->scope = rec_str(p, s, n);
			else if (id == E_RESULT) {
				d->result_text = rec_str(p, s, n);
				d->result = parse_result(p, s);
			}
		}
		return;
	default: return;
	}
}

static bool is_leaf(int id)
{
	switch (id) {
	case E_FEEDBACK:
	case E_REPORT_METADATA:
	case E_DATE_RANGE:
	case E_POLICY_PUBLISHED:
	case E_RECORD:
	case E_ROW:
	case E_POLICY_EVALUATED:
	case E_REASON:
	case E_IDENTIFIERS:
	case E_AUTH_RESULTS:
	case E_EXTENSION:
	case E_UNKNOWN: return false;
	case E_DKIM:
	case E_SPF: return true; /* a leaf under policy_evaluated, a container under auth_results: see sax_start */
	default: return true;
	}
}

static void sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI, int nb_namespaces,
                      const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct ma_agg_parser *p = ctx;
	if (p->err != MA_OK)
		return;
	if (p->depth >= MA_AGG_DEPTH_MAX) {
		fail(p, MA_ERR_TOOBIG, "elements nested deeper than %d", MA_AGG_DEPTH_MAX);
		return;
	}
	int id = lookup_name(p, localname);
	int d = p->depth;
	int parent = d > 0 ? p->stack[d - 1] : E_UNKNOWN;
	int grand = d > 1 ? p->stack[d - 2] : E_UNKNOWN;
	p->depth++;
	p->stack[d] = (unsigned char)id;
	p->names[d] = localname;
	p->lx[d] = p->lx_depth++;
	if (d == 0)
		snip((const char *)localname, p->root_name, sizeof p->root_name);

	/* text of an unfinished leaf does not run on into a child (an unescaped '<' in a value) */
	p->capture = false;

	if (p->skip_depth > 0 || p->feedback_closed) {
		p->stack[d] = E_UNKNOWN;
		return;
	}
	if (p->feedback_depth < 0) {
		if (id != E_FEEDBACK || p->feedback_seen) {
			p->stack[d] = E_UNKNOWN;
			return;
		}
		p->feedback_seen = true;
		p->feedback_depth = d;
		if (d > 0)
			add_report_finding(p, "report.agg.wrapped", "inside <%s>", p->root_name);
		/* The namespace tells RFC 9990 from the 2021 draft; <version> does not (QUIRKS.md). AOL's
		 * ns1:feedback puts the root in a prefix while the children stay in no namespace. */
		const char *uri = (const char *)URI;
		if (uri == NULL || strcmp(uri, "http://dmarc.org/dmarc-xml/0.1") == 0)
			p->meta.schema = MA_AGG_SCHEMA_RFC7489;
		else if (strcmp(uri, "urn:ietf:params:xml:ns:dmarc-2.0") == 0)
			p->meta.schema = MA_AGG_SCHEMA_RFC9990;
		else if (strcmp(uri, "http://dmarc.org/dmarc-xml/0.2") == 0)
			p->meta.schema = MA_AGG_SCHEMA_DRAFT2021;
		else {
			char b[64];
			p->meta.schema = MA_AGG_SCHEMA_UNKNOWN;
			add_report_finding(p, "report.agg.namespace-unknown", "'%s'", snip(uri, b, sizeof b));
		}
		return;
	}

	switch (id) {
	case E_REPORT_METADATA:
		if (parent != E_FEEDBACK)
			p->stack[d] = E_UNKNOWN;
		return;
	case E_POLICY_PUBLISHED:
		if (parent != E_FEEDBACK) {
			p->stack[d] = E_UNKNOWN;
		} else if (p->policy_closed || p->policy_open) {
			add_report_finding(p, "report.agg.policy-repeated", NULL);
			p->skip_depth = p->depth;
		} else {
			p->policy_open = true;
		}
		return;
	case E_EXTENSION:
		/* RFC 9990 appendix A: foreign elements live here; none of them is ours */
		p->skip_depth = p->depth;
		return;
	case E_RECORD:
		if (parent != E_FEEDBACK) {
			p->stack[d] = E_UNKNOWN;
			return;
		}
		rec_reset(p);
		p->rec_open = true;
		return;
	case E_DKIM:
	case E_SPF:
		if (parent == E_AUTH_RESULTS && grand == E_RECORD && p->rec_open) {
			struct ma_agg_record *r = &p->rec;
			p->rec_content = true;
			if (id == E_DKIM) {
				p->in_dkim = false;
				if (r->ndkim >= MA_AGG_RESULTS_MAX) {
					results_dropped(p, "dkim");
					return;
				}
				if (!grow(p, (void **)&r->dkim, &p->dkim_cap, r->ndkim, sizeof *r->dkim))
					return;
				struct ma_agg_auth_dkim *x = &r->dkim[r->ndkim++];
				x->domain = x->selector = x->result_text = x->human_result = empty;
				x->result = MA_AGG_R_NONE;
				p->in_dkim = true;
			} else {
				p->in_spf = false;
				if (r->nspf >= MA_AGG_RESULTS_MAX) {
					results_dropped(p, "spf");
					return;
				}
				if (!grow(p, (void **)&r->spf, &p->spf_cap, r->nspf, sizeof *r->spf))
					return;
				struct ma_agg_auth_spf *x = &r->spf[r->nspf++];
				x->domain = x->scope = x->result_text = empty;
				x->result = MA_AGG_R_NONE;
				p->in_spf = true;
			}
			return;
		}
		break;
	case E_REASON:
		if (parent == E_POLICY_EVALUATED && p->rec_open) {
			struct ma_agg_record *r = &p->rec;
			p->in_reason = false;
			if (r->nreasons >= MA_AGG_REASONS_MAX) {
				results_dropped(p, "reason");
				return;
			}
			if (!grow(p, (void **)&r->reasons, &p->reasons_cap, r->nreasons, sizeof *r->reasons))
				return;
			r->reasons[r->nreasons].type = r->reasons[r->nreasons].comment = empty;
			r->nreasons++;
			p->in_reason = true;
			return;
		}
		break;
	default: break;
	}
	if (is_leaf(id)) {
		p->capture = true;
		p->tlen = 0;
		p->text_trunc = false;
	}
}

/* Close our innermost open element. */
static void close_top(struct ma_agg_parser *p)
{
	int d = --p->depth;
	int id = p->stack[d];
	int parent = d > 0 ? p->stack[d - 1] : E_UNKNOWN;
	int grand = d > 1 ? p->stack[d - 2] : E_UNKNOWN;
	bool captured = p->capture;
	p->capture = false;

	if (p->skip_depth > 0) {
		if (d + 1 == p->skip_depth)
			p->skip_depth = 0;
		return;
	}
	if (p->feedback_depth < 0 || p->feedback_closed)
		return;
	if (d == p->feedback_depth) {
		p->feedback_closed = true;
		return;
	}
	if (captured) {
		finish_leaf(p, id, parent, grand);
		return;
	}
	switch (id) {
	case E_REPORT_METADATA: p->meta_closed = true; break;
	case E_POLICY_PUBLISHED:
		p->policy_open = false;
		p->policy_closed = true;
		break;
	case E_RECORD:
		if (p->rec_open)
			end_record(p);
		break;
	case E_DKIM: p->in_dkim = false; break;
	case E_SPF: p->in_spf = false; break;
	case E_REASON: p->in_reason = false; break;
	default: break;
	}
	if (!p->meta_sent && p->meta_closed && p->policy_closed && p->meta.domain[0] != '\0')
		send_meta(p);
}

/* In recovery mode libxml2 pops its innermost element for every end tag, whatever the tag's name, so one stray
 * start tag (an unescaped '<' in a value) would shift every later element one level down. We keep our own stack
 * and close by the name the end tag really had (reported just before, in the mismatch error). */
static void sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI)
{
	struct ma_agg_parser *p = ctx;
	if (p->lx_depth > 0)
		p->lx_depth--;
	bool mm = p->have_mismatch;
	p->have_mismatch = false;
	if (p->err != MA_OK)
		return;
	if (mm) {
		const char *colon = strchr(p->mismatch, ':');
		const char *want = colon ? colon + 1 : p->mismatch;
		for (int k = p->depth - 1; k >= 0; k--) {
			if (strcmp((const char *)p->names[k], want) == 0) {
				while (p->depth > k && p->err == MA_OK)
					close_top(p);
				return;
			}
		}
	}
	while (p->depth > 0 && p->lx[p->depth - 1] >= p->lx_depth && p->err == MA_OK)
		close_top(p);
}

static void sax_chars(void *ctx, const xmlChar *ch, int len)
{
	struct ma_agg_parser *p = ctx;
	if (!p->capture || len <= 0 || p->text_trunc)
		return;
	size_t room = MA_AGG_FIELD_MAX - p->tlen;
	size_t n = (size_t)len;
	if (n > room) {
		n = room;
		/* cut on a UTF-8 character boundary: the kept value stays valid UTF-8 */
		while (n > 0 && ((unsigned char)ch[n] & 0xC0) == 0x80)
			n--;
		p->text_trunc = true; /* later pieces of this value are dropped */
	}
	memcpy(p->text + p->tlen, ch, n);
	p->tlen += n;
}

/* Entities are never resolved: predefined ones (&lt; &amp; ...) are handled by libxml2 before this is asked, and
 * anything a DTD declares (the billion-laughs expansion, SYSTEM "file:///etc/passwd") stays undefined. */
static xmlEntityPtr sax_get_entity(void *ctx, const xmlChar *name)
{
	return NULL;
}

static void sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ExternalID, const xmlChar *SystemID)
{
	struct ma_agg_parser *p = ctx;
	add_report_finding(p, "report.agg.dtd-ignored", "<!DOCTYPE>%s", SystemID ? " with an external subset" : "");
}

static void sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId, const xmlChar *systemId,
                            xmlChar *content)
{
	struct ma_agg_parser *p = ctx;
	add_report_finding(p, "report.agg.dtd-ignored", "<!DOCTYPE>");
	/* libxml2 keeps each declaration (unexpanded): a report needs none, so memory stays bounded */
	if (++p->nentities > ENTITIES_MAX)
		fail(p, MA_ERR_TOOBIG, "more than %d entity declarations", ENTITIES_MAX);
}

static void sax_error(void *ctx, xmlErrorPtr e)
{
	struct ma_agg_parser *p = ctx;
	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_TAG_NAME_MISMATCH && e->str2 != NULL) {
		p->have_mismatch = true;
		snprintf(p->mismatch, sizeof p->mismatch, "%s", e->str2);
	}
	if (e->code == XML_ERR_UNDECLARED_ENTITY || e->code == XML_WAR_UNDECLARED_ENTITY) {
		add_report_finding(p, "report.agg.dtd-ignored", "entity not expanded");
		return;
	}
	if (p->nxml_errors++ == 0) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s", e->message ? e->message : "XML error");
		size_t n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		snprintf(p->first_xml_error, sizeof p->first_xml_error, "line %d: %s", e->line, msg);
	}
	if (p->nxml_errors > XML_ERRORS_MAX)
		fail(p, MA_ERR_PARSE, "not XML: more than %d errors, the first at %s", XML_ERRORS_MAX,
		     p->first_xml_error);
}

/* ---- input: sniff the declaration, repair UTF-8, feed libxml2 in slices ---- */

static int push(struct ma_agg_parser *p, const unsigned char *b, size_t n, bool terminate)
{
	while (p->err == MA_OK && (n > 0 || terminate)) {
		size_t k = n > SLICE ? SLICE : n;
		bool last = terminate && k == n;
		xmlParseChunk(p->ctxt, (const char *)b, (int)k, last);
		b += k;
		n -= k;
		if (p->err != MA_OK)
			break;
		xmlParserInputPtr in = p->ctxt->input;
		if (in != NULL && in->end != NULL && in->cur != NULL && (size_t)(in->end - in->cur) > UNPARSED_MAX) {
			fail(p, MA_ERR_TOOBIG, "an XML tag, comment or declaration longer than %u bytes", UNPARSED_MAX);
			break;
		}
		if (last)
			break;
	}
	return p->err;
}

static int emit_push(void *arg, const unsigned char *b, size_t n)
{
	return push(arg, b, n, false);
}

static int feed_filtered(struct ma_agg_parser *p, const unsigned char *b, size_t n)
{
	uint64_t before = p->utf8.bad;
	int rc = ma_xml_utf8_feed(&p->utf8, b, n, emit_push, p);
	if (before == 0 && p->utf8.bad > 0)
		add_report_finding(p, "report.agg.invalid-utf8", "byte 0x%02x at offset %llu", p->utf8.first_bad,
		                   (unsigned long long)p->utf8.first_bad_at);
	return rc != MA_OK ? rc : p->err;
}

static int decide(struct ma_agg_parser *p)
{
	p->decided = true;
	p->filter = ma_xml_decl_is_utf8(p->head, p->headlen);
	size_t n = p->headlen;
	p->headlen = 0;
	return p->filter ? feed_filtered(p, p->head, n) : push(p, p->head, n, false);
}

int ma_agg_parser_feed(struct ma_agg_parser *p, const void *buf, size_t len)
{
	if (p->err != MA_OK)
		return p->err;
	if (p->finished)
		return MA_ERR_STATE;
	const unsigned char *b = buf;
	p->total_in += len;
	if (!p->decided) {
		size_t k = HEAD_MAX - p->headlen;
		if (k > len)
			k = len;
		memcpy(p->head + p->headlen, b, k);
		p->headlen += k;
		b += k;
		len -= k;
		bool ready = p->headlen == HEAD_MAX || memmem(p->head, p->headlen, "?>", 2) != NULL ||
		             (p->headlen >= 5 && memcmp(p->head, "<?xml", 5) != 0 &&
		              memcmp(p->head, "\xEF\xBB\xBF", p->headlen < 3 ? p->headlen : 3) != 0);
		if (!ready)
			return MA_OK;
		if (decide(p) != MA_OK)
			return p->err;
	}
	if (len == 0)
		return p->err;
	return p->filter ? feed_filtered(p, b, len) : push(p, b, len, false);
}

int ma_agg_parser_finish(struct ma_agg_parser *p)
{
	if (p->err != MA_OK)
		return p->err;
	if (p->finished)
		return MA_ERR_STATE;
	p->finished = true;
	if (!p->decided && decide(p) != MA_OK)
		return p->err;
	if (p->filter) {
		uint64_t before = p->utf8.bad;
		ma_xml_utf8_finish(&p->utf8, emit_push, p);
		if (before == 0 && p->utf8.bad > 0)
			add_report_finding(p, "report.agg.invalid-utf8", "incomplete sequence at the end");
	}
	push(p, NULL, 0, true);
	if (p->err != MA_OK)
		return p->err;

	if (!p->feedback_seen) {
		if (p->total_in == 0)
			fail(p, MA_ERR_PARSE, "empty document");
		else if (p->nxml_errors > 0)
			fail(p, MA_ERR_PARSE, "not a DMARC aggregate report: XML error at %s", p->first_xml_error);
		else
			fail(p, MA_ERR_PARSE, "not a DMARC aggregate report: no <feedback> element");
		return p->err;
	}
	if (p->nxml_errors > 0)
		add_report_finding(p, "report.agg.xml-malformed", "%s", p->first_xml_error);
	/* libxml2 gives up on some errors even in recovery mode (a start tag it cannot parse): the rest of the
	 * document is then as lost as if it had been cut */
	bool halted = p->ctxt->disableSAX != 0 && p->nxml_errors > 0;
	if (!p->feedback_closed && !p->meta_sent && (!p->meta_closed || p->policy_open || p->meta.domain[0] == '\0')) {
		/* what was cut is the metadata itself: nothing sound to store */
		const char *where = p->policy_open    ? "policy_published"
		                    : !p->meta_closed ? "report_metadata"
		                                      : "feedback";
		if (halted)
			fail(p, MA_ERR_PARSE, "unreadable inside <%s>: XML error at %s", where, p->first_xml_error);
		else
			fail(p, MA_ERR_PARSE, "truncated inside <%s>%s%s", where, p->nxml_errors ? ": " : "",
			     p->nxml_errors ? p->first_xml_error : "");
		return p->err;
	}
	if (p->meta.domain[0] == '\0') {
		fail(p, MA_ERR_PARSE, "no <policy_published><domain>%s%s", p->nxml_errors ? ": XML error at " : "",
		     p->nxml_errors ? p->first_xml_error : "");
		return p->err;
	}
	if (!p->feedback_closed) {
		/* Cut after the metadata: the records read so far were sound and already delivered, but the report is
		 * incomplete, and storing it would make a later complete copy look like a duplicate. Rejected: the
		 * caller rolls back what it took (ingest.h agg_end ok=false) and keeps the reason. */
		fail(p, MA_ERR_PARSE, "%s after %llu complete records%s%s", halted ? "unreadable" : "truncated",
		     (unsigned long long)(p->nrecords + p->npend), p->nxml_errors ? ": XML error at " : "",
		     p->nxml_errors ? p->first_xml_error : "");
		return p->err;
	}
	send_meta(p);
	if (p->err != MA_OK)
		return p->err;
	if (p->nempty > 0)
		add_report_finding(p, "report.agg.record-empty", "%llu", (unsigned long long)p->nempty);
	if (p->nrecords == 0)
		add_report_finding(p, "report.agg.no-records", NULL);
	return p->err;
}

int ma_agg_parser_new(const struct ma_agg_parser_cbs *cbs, void *arg, struct ma_agg_parser **out)
{
	*out = NULL;
	struct ma_agg_parser *p = calloc(1, sizeof *p);
	if (p == NULL)
		return MA_ERR_NOMEM;
	if (cbs != NULL)
		p->cbs = *cbs;
	p->arg = arg;
	p->feedback_depth = -1;
	meta_init(&p->meta);
	ma_findings_init(&p->findings);
	ma_findings_init(&p->rec.findings);
	rec_reset(p);

	xmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = sax_chars;
	sax.cdataBlock = sax_chars;
	sax.getEntity = sax_get_entity;
	sax.internalSubset = sax_internal_subset;
	sax.entityDecl = sax_entity_decl;
	sax.serror = sax_error;
	/* no externalSubset, getParameterEntity or resolveEntity: nothing outside the document is ever loaded */
	p->ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
	if (p->ctxt == NULL) {
		ma_agg_parser_free(p);
		return MA_ERR_NOMEM;
	}
	/* RECOVER: real reports have unescaped '<' and broken end tags (QUIRKS.md); what can be read is read and
	 * report.agg.xml-malformed says so. NONET: belt and braces, nothing is fetched anyway. No NOENT (no
	 * substitution), no DTDLOAD, no HUGE (libxml2's own limits on names, text and its dictionary stay on). */
	xmlCtxtUseOptions(p->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	*out = p;
	return MA_OK;
}

void ma_agg_parser_free(struct ma_agg_parser *p)
{
	if (p == NULL)
		return;
	if (p->ctxt != NULL) {
		/* libxml2 files the DTD's entity declarations in a document of its own (never used: see
		 * sax_get_entity); the context does not free it */
		if (p->ctxt->myDoc != NULL)
			xmlFreeDoc(p->ctxt->myDoc);
		xmlFreeParserCtxt(p->ctxt);
	}
	meta_fini(&p->meta);
	ma_findings_fini(&p->findings);
	ma_findings_fini(&p->rec.findings);
	for (size_t i = 0; i < p->npend; i++)
		ma_findings_fini(&p->pend[i].r.findings);
	free(p->pend);
	arena_fini(&p->parena);
	arena_fini(&p->rarena);
	free(p->rec.dkim);
	free(p->rec.spf);
	free(p->rec.reasons);
	free(p);
}

const char *ma_agg_parser_why(const struct ma_agg_parser *p)
{
	if (p->err == MA_OK)
		return "";
	return p->why[0] ? p->why : ma_err_str(p->err);
}

const struct ma_findings *ma_agg_parser_findings(const struct ma_agg_parser *p)
{
	return &p->findings;
}

uint64_t ma_agg_parser_records(const struct ma_agg_parser *p)
{
	return p->nrecords;
}

uint64_t ma_agg_parser_messages(const struct ma_agg_parser *p)
{
	return p->nmessages;
}
