/* src/lib/dmarc.h — DMARC core: record parser (RFC 7489 + RFC 9989), policy discovery (PSL and DNS tree walk),
 * identifier alignment, external report-destination authorisation.
 *
 * Everything here is pure (STYLE.md "sans-I/O"): discovery is a step function that hands out the next DNS question
 * and takes the answer back; the caller (src/net, the tests, the fuzzer) does the I/O. The Public Suffix List is
 * passed in as a loaded libpsl context; lib never opens files.
 *
 * Findings (what is wrong with a record or a domain) go to a struct ma_findings the caller owns; the return value is
 * only ever an operation error (err.h). */
#ifndef MA_DMARC_H
#define MA_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpsl.h>

#include "lib/dns.h"
#include "lib/finding.h"

/* Caps on input-controlled sizes. Real records are well under 1 KiB; a TXT RRset can legally be ~64 KiB. */
#define MA_DMARC_RECORD_MAX 8192 /* bytes of record text we parse at all */
#define MA_DMARC_TAGS_MAX 64     /* tag-specs per record */
#define MA_DMARC_URIS_MAX 32     /* URIs per rua / ruf list */
#define MA_DMARC_RR_MAX 32       /* TXT records looked at per name */
/* RFC 9989 4.10: at most eight _dmarc queries per tree walk. */
#define MA_DMARC_WALK_MAX 8

enum ma_dmarc_policy {
	MA_DMARC_P_UNSET = 0, /* tag absent */
	MA_DMARC_P_NONE = 1,
	MA_DMARC_P_QUARANTINE = 2,
	MA_DMARC_P_REJECT = 3,
	MA_DMARC_P_INVALID = 4, /* present with a value that is not none/quarantine/reject */
};

enum ma_dmarc_mode {
	MA_DMARC_RELAXED = 0,
	MA_DMARC_STRICT = 1,
};

enum ma_dmarc_psd {
	MA_DMARC_PSD_U = 0, /* default (RFC 9989 4.7) */
	MA_DMARC_PSD_Y = 1,
	MA_DMARC_PSD_N = 2,
};

/* fo= option bits (RFC 7489 6.3, RFC 9989 4.7). */
enum {
	MA_DMARC_FO_0 = 1,
	MA_DMARC_FO_1 = 2,
	MA_DMARC_FO_D = 4,
	MA_DMARC_FO_S = 8,
};

/* Bits of struct ma_dmarc_record.tags: which known tags were present (with any value). */
enum ma_dmarc_tag {
	MA_DMARC_TAG_V = 1u << 0,
	MA_DMARC_TAG_P = 1u << 1,
	MA_DMARC_TAG_SP = 1u << 2,
	MA_DMARC_TAG_NP = 1u << 3,
	MA_DMARC_TAG_ADKIM = 1u << 4,
	MA_DMARC_TAG_ASPF = 1u << 5,
	MA_DMARC_TAG_PCT = 1u << 6,
	MA_DMARC_TAG_RF = 1u << 7,
	MA_DMARC_TAG_RI = 1u << 8,
	MA_DMARC_TAG_FO = 1u << 9,
	MA_DMARC_TAG_RUA = 1u << 10,
	MA_DMARC_TAG_RUF = 1u << 11,
	MA_DMARC_TAG_T = 1u << 12,
	MA_DMARC_TAG_PSD = 1u << 13,
};
#define MA_DMARC_TAGS_RFC7489_ONLY (MA_DMARC_TAG_PCT | MA_DMARC_TAG_RF | MA_DMARC_TAG_RI)
#define MA_DMARC_TAGS_RFC9989_ONLY (MA_DMARC_TAG_NP | MA_DMARC_TAG_T | MA_DMARC_TAG_PSD)

/* Which generation of the specification the record's tags belong to. */
enum ma_dmarc_generation {
	MA_DMARC_GEN_COMMON = 0,  /* only tags both RFC 7489 and RFC 9989 define */
	MA_DMARC_GEN_RFC7489 = 1, /* uses pct/rf/ri (removed by RFC 9989) */
	MA_DMARC_GEN_RFC9989 = 2, /* uses np/t/psd (unknown to RFC 7489) */
	MA_DMARC_GEN_MIXED = 3,   /* both */
};

struct ma_dmarc_uri {
	char *uri;         /* owned, NUL-terminated, without any "!size" suffix */
	bool has_size;     /* an RFC 7489 "!size" suffix was present (obsolete in RFC 9989) */
	uint64_t max_size; /* its number */
	char unit;         /* 0, or 'k' 'm' 'g' 't' (lower-cased) */
	bool mailto;       /* scheme is mailto (case-insensitive) */
	char *domain;      /* owned: lower-cased domain of a mailto address; NULL when not mailto or no valid domain */
};

struct ma_dmarc_record {
	bool valid;       /* starts with v=DMARC1: it is a DMARC record (RFC 9989 4.7 "v") */
	unsigned tags;    /* enum ma_dmarc_tag bits of known tags present */
	unsigned invalid; /* enum ma_dmarc_tag bits of known tags whose value was invalid (default used instead) */

	/* As published (UNSET when absent, INVALID when bad). */
	enum ma_dmarc_policy p, sp, np;
	enum ma_dmarc_mode adkim, aspf; /* default relaxed */
	int pct;                        /* 0..100; 100 when absent or invalid (RFC 7489 6.3) */
	uint32_t ri;                    /* default 86400 */
	unsigned fo;                    /* MA_DMARC_FO_* bits; MA_DMARC_FO_0 when absent */
	char *rf;                       /* owned, lower-cased "afrf" or "afrf:iodef"; NULL when absent/invalid */
	bool t;                         /* t=y (RFC 9989 testing) */
	enum ma_dmarc_psd psd;
	struct ma_dmarc_uri *rua, *ruf; /* owned arrays of the syntactically valid URIs */
	size_t nrua, nruf;
	size_t unknown_tags;            /* count of tags not in the registry (ignored) */
	bool p_not_second;              /* p present but not right after v (RFC 7489's ABNF order) */

	/* RFC 9989 4.10.1 / RFC 7489 6.6.3: a record without a valid p, or with an invalid sp or np, is treated as
	 * p=none when it has at least one valid rua URI; otherwise DMARC does not apply at all. */
	bool applies;
	enum ma_dmarc_policy eff_p, eff_sp, eff_np; /* NONE/QUARANTINE/REJECT, meaningful when applies */
	enum ma_dmarc_generation generation;
};

void ma_dmarc_record_init(struct ma_dmarc_record *r);
void ma_dmarc_record_fini(struct ma_dmarc_record *r);

/* Parse `len` bytes of record text (TXT strings already joined; may hold NULs or any bytes). Fills *rec (which the
 * caller must ma_dmarc_record_fini() whatever the return) and, when `f` is not NULL, adds the syntax findings
 * (dmarc.record.*, dmarc.tag.*, dmarc.uri.*). A text that is not a DMARC record leaves rec->valid false.
 * Returns MA_OK or MA_ERR_NOMEM. */
int ma_dmarc_parse(const char *data, size_t len, struct ma_dmarc_record *rec, struct ma_findings *f);

/* True when the bytes start like a DMARC record: "v" *WSP "=" *WSP "DMARC1" *WSP followed by end or ";"
 * (RFC 9989 4.10 steps 2 and 6: other TXT records at _dmarc names are discarded). */
bool ma_dmarc_is_record(const char *data, size_t len);

/* The parsed record as JSON (tags, effective policy, generation). NULL on ENOMEM. */
json_t *ma_dmarc_record_to_json(const struct ma_dmarc_record *rec);

const char *ma_dmarc_policy_name(enum ma_dmarc_policy p); /* "none", "quarantine", "reject", "unset", "invalid" */
const char *ma_dmarc_generation_name(enum ma_dmarc_generation g);

/* Policy-level findings for a parsed record (p=none, sp weaker than p, no rua, ...). The linter (lint.h) is
 * ma_dmarc_parse() followed by this. Returns MA_OK or MA_ERR_NOMEM. */
int ma_dmarc_record_check(const struct ma_dmarc_record *rec, struct ma_findings *f);

/* ---- Organisational domains and alignment ------------------------------------------------------------------ */

/* Normalise a domain for comparison: strip leading/trailing dots, lower-case ASCII. Returns MA_ERR_INVAL when the
 * result is empty, has an empty label or does not fit. */
int ma_dmarc_domain_norm(const char *in, char *out, size_t outsz);

/* RFC 7489 3.2: the organisational domain by the Public Suffix List — the registrable domain (the longest
 * matching public suffix plus one label; libpsl's implicit "*" rule covers unlisted TLDs). The name is lower-cased
 * (ASCII) and may end in one dot; UTF-8 or A-label IDNs both work. Returns MA_OK, MA_ERR_NOTFOUND when the name is
 * itself a public suffix (it has no organisational domain: callers treat it as its own), MA_ERR_INVAL (bad name,
 * leading dot, or psl NULL). */
int ma_dmarc_org_psl(const psl_ctx_t *psl, const char *domain, char *out, size_t outsz);

/* Identifier alignment (RFC 7489 3.1, RFC 9989 4.4): strict = the normalised names are equal; relaxed = their
 * organisational domains (computed by the caller with either method) are equal. Invalid names never align. */
bool ma_dmarc_aligned(const char *author, const char *author_org, const char *ident, const char *ident_org,
		      enum ma_dmarc_mode mode);
/* The same with organisational domains from the PSL (RFC 7489). */
bool ma_dmarc_aligned_psl(const psl_ctx_t *psl, const char *author, const char *ident, enum ma_dmarc_mode mode);

/* ---- Tree walk for an organisational domain (RFC 9989 4.10, 4.10.2) ----------------------------------------- */

enum ma_dmarc_outcome {
	MA_DMARC_FOUND = 0,        /* a DMARC record applies */
	MA_DMARC_NONE = 1,         /* definitely no DMARC record applies */
	MA_DMARC_INCONCLUSIVE = 2, /* a query failed temporarily, was bogus or malformed: we cannot say */
};
const char *ma_dmarc_outcome_name(enum ma_dmarc_outcome o);

struct ma_dmarc_orgwalk;

/* Walk from `domain` to find its organisational domain. Step contract, as for discovery below:
 *   while (ma_dmarc_orgwalk_next(w, &q) == 1) { answer q; ma_dmarc_orgwalk_answer(w, &ans); }
 * At most MA_DMARC_WALK_MAX questions. */
int ma_dmarc_orgwalk_new(const char *domain, struct ma_dmarc_orgwalk **out);
void ma_dmarc_orgwalk_free(struct ma_dmarc_orgwalk *w);
int ma_dmarc_orgwalk_next(struct ma_dmarc_orgwalk *w, struct ma_dns_question *q);
int ma_dmarc_orgwalk_answer(struct ma_dmarc_orgwalk *w, const struct ma_dns_answer *ans);
/* After the walk: MA_DMARC_FOUND (the org domain is in *org, even when no record was found: then it is the
 * domain itself), or MA_DMARC_INCONCLUSIVE. */
enum ma_dmarc_outcome ma_dmarc_orgwalk_result(const struct ma_dmarc_orgwalk *w, const char **org);

/* ---- Policy discovery --------------------------------------------------------------------------------------- */

enum ma_dmarc_how {
	MA_DMARC_HOW_NONE = 0,
	MA_DMARC_HOW_EXACT = 1,    /* the record at _dmarc.<author domain> */
	MA_DMARC_HOW_PSL = 2,      /* RFC 7489 6.6.3: at the organisational domain by the PSL */
	MA_DMARC_HOW_TREEWALK = 3, /* RFC 9989 4.10.1: found by the DNS tree walk */
};
const char *ma_dmarc_how_name(enum ma_dmarc_how h); /* "none", "exact", "psl", "tree-walk" */

/* What one discovery method concluded. */
struct ma_dmarc_method {
	enum ma_dmarc_outcome outcome;
	enum ma_dmarc_how how;
	char org_domain[MA_DNS_NAME_MAX + 1];    /* organisational domain of the author domain ("" if unknown) */
	char policy_domain[MA_DNS_NAME_MAX + 1]; /* where the applicable record is ("" when none) */
	bool from_psd;                           /* the record is a public suffix domain's (psd=y, RFC 9989) */
	char *text;                              /* owned: the applicable record's text (NUL-terminated copy) */
	size_t text_len;
	struct ma_dmarc_record record;           /* the applicable record, parsed */
	/* The policy a failing message from the author domain gets: p for the policy domain itself, else sp
	 * (existing subdomain) or np (non-existent, RFC 9989 only), falling back to p. NONE when not applicable. */
	enum ma_dmarc_policy policy;
	/* RFC 9989 4.7 t=y: the policy one level below (reject -> quarantine -> none); = policy otherwise. */
	enum ma_dmarc_policy applied;
};

struct ma_dmarc_discovery {
	char domain[MA_DNS_NAME_MAX + 1]; /* the author domain, normalised */
	enum ma_dmarc_outcome outcome;    /* overall: FOUND when the primary method found a record */
	const struct ma_dmarc_method *primary; /* points at rfc9989, or rfc7489 when only the PSL found one */
	struct ma_dmarc_method rfc7489;   /* exact, then PSL organisational domain */
	struct ma_dmarc_method rfc9989;   /* exact, then tree walk */
	bool psl_used;                    /* a PSL was given */
	bool disagree;                    /* the methods picked different org domains or different records */
	bool author_nxdomain;             /* the author domain does not exist (RFC 9989 3.2.13, np=) */
	bool author_exists_known;         /* the existence query gave a definite answer */
	unsigned queries;                 /* questions asked */
	struct ma_findings findings;      /* dmarc.discovery.* findings, then the applicable record's lint findings */
};

struct ma_dmarc_discover_opts {
	const char *domain;     /* the author domain (required) */
	const psl_ctx_t *psl;   /* borrowed; NULL: skip the RFC 7489 PSL method */
};

struct ma_dmarc_discover;

/* Start discovery. Returns MA_OK, MA_ERR_INVAL (no or invalid domain), MA_ERR_NOMEM. */
int ma_dmarc_discover_new(const struct ma_dmarc_discover_opts *opts, struct ma_dmarc_discover **out);
void ma_dmarc_discover_free(struct ma_dmarc_discover *d);
/* 1: *q is the next question to answer (then call _answer); 0: done, read _result. Negative: enum ma_err. */
int ma_dmarc_discover_next(struct ma_dmarc_discover *d, struct ma_dns_question *q);
/* The answer to the question last handed out (borrowed for the call). MA_ERR_STATE when none is pending. */
int ma_dmarc_discover_answer(struct ma_dmarc_discover *d, const struct ma_dns_answer *ans);
/* The result, valid until ma_dmarc_discover_free(); NULL before the walk is done. */
const struct ma_dmarc_discovery *ma_dmarc_discover_result(const struct ma_dmarc_discover *d);

json_t *ma_dmarc_discovery_to_json(const struct ma_dmarc_discovery *r);

/* ---- External report destinations (RFC 7489 7.1, RFC 9990 3) ------------------------------------------------ */

struct ma_dmarc_report_dest {
	char dest_domain[MA_DNS_NAME_MAX + 1];
	char query[MA_DNS_NAME_MAX + 1];    /* <policy-domain>._report._dmarc.<dest-domain> */
	char wildcard[MA_DNS_NAME_MAX + 1]; /* *._report._dmarc.<dest-domain> */
	bool ruf;                           /* from ruf= (else rua=) */
	const struct ma_dmarc_uri *uri;     /* borrowed from the record */
};

/* The rua/ruf mailto: destinations of `rec` whose domain is in another organisational domain than
 * `policy_domain` (by the PSL; with psl NULL, any other domain than the policy domain and its subdomains).
 * *out is malloc'd (free() it); *n may be 0. Destinations whose names would not fit are skipped.
 * Returns MA_OK, MA_ERR_INVAL, MA_ERR_NOMEM. */
int ma_dmarc_report_dests(const struct ma_dmarc_record *rec, const char *policy_domain, const psl_ctx_t *psl,
			  struct ma_dmarc_report_dest **out, size_t *n);

enum ma_dmarc_auth {
	MA_DMARC_AUTH_YES = 0,          /* a TXT record starting v=DMARC1 is published */
	MA_DMARC_AUTH_NO = 1,           /* no such record (NXDOMAIN, NODATA or only other TXT) */
	MA_DMARC_AUTH_INCONCLUSIVE = 2, /* temporary failure, bogus or malformed answer */
};
/* Judge the TXT answer for a report-authorisation name (RFC 7489 7.1: any record beginning "v=DMARC1"). */
enum ma_dmarc_auth ma_dmarc_report_auth_judge(const struct ma_dns_answer *ans);
/* Add the finding for one destination's verdict (dmarc.report.external-*). */
int ma_dmarc_report_auth_finding(struct ma_findings *f, const struct ma_dmarc_report_dest *d,
				 enum ma_dmarc_auth verdict);

#endif
