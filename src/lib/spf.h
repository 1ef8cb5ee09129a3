/* src/lib/spf.h — SPF core (RFC 7208): record parser, macro expansion, check_host() evaluator, expanded tree.
 *
 * Everything here is pure (STYLE.md "sans-I/O"): the evaluator and the tree walker are step functions that hand out
 * the next DNS question and take the answer back; src/net, the tests and the fuzzers do the I/O. "Now" is a
 * parameter. What is wrong with a record is a finding (finding.h) or an SPF result (permerror); the return values
 * are only ever operation errors (err.h). */
#ifndef MA_SPF_H
#define MA_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/dns.h"
#include "lib/finding.h"

/* Caps on input-controlled sizes. A TXT RRset can legally be ~64 KiB; real SPF records are under 1 KiB (RFC 7208
 * 3.4 asks that the answer fit in 512 octets). */
#define MA_SPF_RECORD_MAX 65536 /* bytes of record text parsed at all; longer is a permerror */
#define MA_SPF_TERMS_MAX 4096   /* terms per record; more is a permerror */
#define MA_SPF_RR_MAX 64        /* TXT records looked at per name */
/* RFC 7208 4.6.4 */
#define MA_SPF_LOOKUP_LIMIT 10      /* DNS-querying terms per check_host() evaluation */
#define MA_SPF_VOID_LIMIT 2         /* lookups answering NXDOMAIN or no records */
#define MA_SPF_NAME_LIMIT 10        /* MX names per mx, PTR names per ptr / %{p} */
/* UK government standard (standards/uk-gov-email-security.md) */
#define MA_SPF_LOOKUP_ADVISE 6
#define MA_SPF_UK_RECORD_MAX 450

enum ma_spf_result {
	MA_SPF_NONE = 0,
	MA_SPF_NEUTRAL,
	MA_SPF_PASS,
	MA_SPF_FAIL,
	MA_SPF_SOFTFAIL,
	MA_SPF_TEMPERROR,
	MA_SPF_PERMERROR,
};
const char *ma_spf_result_name(enum ma_spf_result r); /* "none", "neutral", "pass", ... */
/* The inverse, case-insensitive; -1 when unknown. */
int ma_spf_result_from_name(const char *name);

enum ma_spf_qual {
	MA_SPF_Q_PASS = '+',
	MA_SPF_Q_FAIL = '-',
	MA_SPF_Q_SOFTFAIL = '~',
	MA_SPF_Q_NEUTRAL = '?',
};

enum ma_spf_kind {
	MA_SPF_ALL,
	MA_SPF_INCLUDE,
	MA_SPF_A,
	MA_SPF_MX,
	MA_SPF_PTR,
	MA_SPF_IP4,
	MA_SPF_IP6,
	MA_SPF_EXISTS,
	MA_SPF_REDIRECT, /* modifier */
	MA_SPF_EXP,      /* modifier */
	MA_SPF_UNKNOWN,  /* an unknown modifier: kept, ignored (RFC 7208 6) */
};
const char *ma_spf_kind_name(enum ma_spf_kind k); /* "all", "include", ... "redirect", "exp", "unknown" */

struct ma_spf_term {
	enum ma_spf_kind kind;
	enum ma_spf_qual qual;   /* mechanisms; '+' when not written */
	bool qual_written;
	char *text;              /* owned: the term as written (ASCII, no NUL) */
	char *spec;              /* owned: domain-spec (mechanisms) or value (modifiers); NULL when absent */
	char *name;              /* owned: the modifier name as written (modifiers only) */
	int cidr4, cidr6;        /* prefix lengths, -1 when not written (a, mx, ip4, ip6) */
	uint8_t addr[16];        /* ip4 (first 4 bytes) / ip6 network */
	bool host_bits;          /* ip4/ip6 with bits set beyond the prefix */
};

struct ma_spf_record {
	bool valid;              /* parsed without a syntax error: otherwise check_host() gives permerror */
	struct ma_spf_term *terms;
	size_t nterms;
	int redirect, exp;       /* index of the modifier in terms, -1 when absent */
	char *error;             /* owned, when !valid: why (printable ASCII) */
	bool not_spf;            /* the text does not start with v=spf1 */
	bool too_long;           /* over MA_SPF_RECORD_MAX */
};

void ma_spf_record_init(struct ma_spf_record *r);
void ma_spf_record_fini(struct ma_spf_record *r);

/* RFC 7208 4.5: the text starts with "v=spf1" (case-insensitive) followed by a space or its end. */
bool ma_spf_is_record(const char *data, size_t len);

/* Parse `len` bytes (TXT strings already joined; may hold NULs or any bytes) per RFC 7208 4.6.1 and 12. Any syntax
 * error — non-ASCII, a control character, a bad macro, a duplicate redirect/exp, a bad CIDR or address — leaves
 * rec->valid false with rec->error saying which term. Fills *rec (ma_spf_record_fini() whatever the return).
 * Returns MA_OK or MA_ERR_NOMEM. */
int ma_spf_parse(const char *data, size_t len, struct ma_spf_record *rec);

/* The record as JSON: {"terms":[{"term","kind","qualifier","domain","cidr4","cidr6","value"}...], ...}. */
json_t *ma_spf_record_to_json(const struct ma_spf_record *rec);

/* Check a macro-string (RFC 7208 7.1) of `len` bytes; `exp` allows the c, r, t letters (RFC 7208 7.2). */
bool ma_spf_macro_valid(const char *s, size_t len, bool exp);
/* True when the string uses the %{p} macro (which needs DNS to expand). */
bool ma_spf_macro_uses_p(const char *s);

/* ---- Macro expansion (RFC 7208 7.3) -------------------------------------------------------------------------- */

struct ma_spf_macro_ctx {
	const char *sender;   /* local-part@domain (already "postmaster@helo" for a null reverse-path) */
	const char *domain;   /* the current <domain> (d) */
	const uint8_t *ip;    /* 4 or 16 bytes */
	bool ipv6;
	const char *helo;     /* h; NULL: "unknown" */
	const char *pname;    /* p: validated name, NULL: "unknown" */
	const char *receiver; /* r; NULL: "unknown" */
	int64_t now;          /* t: seconds since the epoch */
};

/* Expand a (valid) macro-string into out (NUL-terminated). `exp` allows c, r, t. With `domain`, the result is cut
 * from the left, label by label, to at most 253 octets (RFC 7208 7.3). Returns MA_OK, MA_ERR_PARSE (bad macro),
 * MA_ERR_TOOBIG (does not fit out). */
int ma_spf_macro_expand(const char *s, const struct ma_spf_macro_ctx *c, bool exp, bool domain, char *out,
			size_t outsz);

/* ---- check_host() (RFC 7208 4) ------------------------------------------------------------------------------- */

struct ma_spf_eval_opts {
	const char *ip;        /* the client's address, IPv4 or IPv6 text (IPv4-mapped IPv6 is treated as IPv4) */
	const char *sender;    /* MAIL FROM; "" or NULL: null reverse-path, the HELO identity is checked (2.4) */
	const char *helo;      /* HELO/EHLO name; may be NULL when sender is given */
	const char *receiver;  /* %{r}: the receiving host; NULL: "unknown" */
	int64_t now;           /* %{t}: seconds since the epoch, supplied by the caller */
	unsigned void_limit;   /* 0: MA_SPF_VOID_LIMIT */
};

struct ma_spf_eval;

/* Start check_host(). Returns MA_OK, MA_ERR_INVAL (ip unparseable, or neither sender nor helo), MA_ERR_NOMEM. */
int ma_spf_eval_new(const struct ma_spf_eval_opts *opts, struct ma_spf_eval **out);
void ma_spf_eval_free(struct ma_spf_eval *ev);

enum { MA_SPF_DONE = 0, MA_SPF_NEED_DNS = 1 };
/* MA_SPF_NEED_DNS: *q is the question to answer (then call _answer); MA_SPF_DONE: read the result. Asking again
 * without answering hands out the same question. Negative: enum ma_err. */
int ma_spf_eval_step(struct ma_spf_eval *ev, struct ma_dns_question *q);
/* The answer to the question last handed out (borrowed for the call). MA_ERR_STATE when none is pending. */
int ma_spf_eval_answer(struct ma_spf_eval *ev, const struct ma_dns_answer *ans);

struct ma_spf_outcome {
	enum ma_spf_result result;
	const char *explanation; /* fail only: the expanded exp= text (NULL when none or it could not be fetched) */
	const char *reason;      /* why (the matching term, or the error), never NULL once done */
	const char *domain;      /* the domain checked (the sender's or the HELO's) */
	unsigned lookups;        /* DNS-querying terms evaluated (4.6.4) */
	unsigned void_lookups;
	unsigned queries;        /* DNS questions asked in all */
};
/* Valid until ma_spf_eval_free(); MA_ERR_STATE before done. */
int ma_spf_eval_outcome(const struct ma_spf_eval *ev, struct ma_spf_outcome *out);

/* ---- Expanded tree (no client IP: what a domain's SPF policy is) --------------------------------------------- */

struct ma_spf_tree;

struct ma_spf_tree_opts {
	const char *domain;
};

int ma_spf_tree_new(const struct ma_spf_tree_opts *opts, struct ma_spf_tree **out);
void ma_spf_tree_free(struct ma_spf_tree *t);
/* Same step contract as the evaluator. The walk asks at most a bounded number of questions (every include and
 * redirect once, MA_SPF_NAME_LIMIT names per mx, depth-limited). */
int ma_spf_tree_step(struct ma_spf_tree *t, struct ma_dns_question *q);
int ma_spf_tree_answer(struct ma_spf_tree *t, const struct ma_dns_answer *ans);

struct ma_spf_tree_summary {
	bool found;               /* the domain has exactly one SPF record */
	bool inconclusive;        /* a query failed temporarily: totals are lower bounds */
	unsigned lookups;         /* DNS-querying terms the whole tree costs */
	unsigned void_lookups;
	size_t nranges4, nranges6;
};
/* After the walk: the summary, and the findings (spf.*), valid until free. MA_ERR_STATE before done. */
int ma_spf_tree_summary(const struct ma_spf_tree *t, struct ma_spf_tree_summary *out);
const struct ma_findings *ma_spf_tree_findings(const struct ma_spf_tree *t);
/* {"domain","record","lookups","void_lookups","terms":[...nested includes...],"ip4":[...],"ip6":[...],
 *  "findings":[...]}; NULL on ENOMEM or before done. */
json_t *ma_spf_tree_to_json(const struct ma_spf_tree *t);

/* ---- Shared helpers between the spf_*.c files ---------------------------------------------------------------- */

/* Reverse-DNS name of an address: "4.3.2.1.in-addr.arpa" or the ip6.arpa nibble form. */
void ma_spf_reverse_name(const uint8_t *ip, bool ipv6, char *out, size_t outsz);
/* True when `ip` is in addr/prefix (both the same family). */
bool ma_spf_cidr_match(const uint8_t *ip, const uint8_t *net, bool ipv6, int prefix);

#endif
