/* src/lib/record_gen.h — write valid DMARC, SPF, MTA-STS and TLS-RPT records (and zone-file lines) from options.
 *
 * Pure (STYLE.md): no clock, no files. Every value comes from an options struct filled with designated initialisers;
 * string values are exactly what a user typed and are validated here, so a bad value is an operation error
 * (MA_ERR_INVAL, with gen->error saying which option and why), never a broken record. What is worth knowing about a
 * record that was written (over 450 bytes, over 10 lookups, split into several strings) is a finding (record.*).
 *
 * Usage:
 *	struct ma_record_gen g;
 *	ma_record_gen_init(&g);
 *	int rc = ma_record_gen_dmarc(&(struct ma_record_gen_dmarc_opts){.domain = "example.com", .p = "reject"}, &g);
 *	if (rc == MA_OK) ma_record_gen_zone(&g, 3600, &line);   // "_dmarc.example.com. 3600 IN TXT \"v=DMARC1; ...\"\n"
 *	else puts(g.error);
 *	ma_record_gen_fini(&g);
 */
#ifndef MA_RECORD_GEN_H
#define MA_RECORD_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"
#include "lib/finding.h"

/* Caps on user-controlled sizes. */
#define MA_RECORD_GEN_LIST_MAX 64         /* values per repeatable option (ip4, include, rua, mx, ...) */
#define MA_RECORD_GEN_VALUE_MAX 1024      /* bytes of one option value */
#define MA_RECORD_GEN_TEXT_MAX 4096       /* bytes of a generated record or policy file */
#define MA_RECORD_GEN_TTL_MAX 2147483647u /* RFC 2181 8: a TTL is 31 bits */
#define MA_RECORD_GEN_STRING_MAX 255      /* RFC 1035 3.3.14: bytes per TXT character-string */

/* The result of one generation. Zero-initialised (or ma_record_gen_init) is valid; always ma_record_gen_fini(). */
struct ma_record_gen {
	char *text;                      /* owned, NUL-terminated: the TXT data (strings joined) or the policy file */
	size_t len;                      /* bytes in text */
	char owner[MA_DNS_NAME_MAX + 1]; /* absolute owner name ("_dmarc.example.com."); "" for the policy file */
	char location[MA_DNS_NAME_MAX + 64]; /* the policy file's URL (RFC 8461 3.2); "" for TXT records */
	struct ma_findings findings;         /* record.* findings about what was written */
	char error[512];                     /* after MA_ERR_INVAL / MA_ERR_TOOBIG: which option and why (printable) */
};

void ma_record_gen_init(struct ma_record_gen *g);
void ma_record_gen_fini(struct ma_record_gen *g);

/* ---- DMARC (RFC 7489 6.3, RFC 9989 4.7) ----------------------------------------------------------------------- */

/* Which receivers the record is written for. RFC 9989 removed pct, rf and ri and added t, np and psd. */
enum ma_record_dmarc_generation {
	MA_RECORD_DMARC_BOTH = 0, /* default: tags both generations understand the same way */
	MA_RECORD_DMARC_RFC7489 = 1,
	MA_RECORD_DMARC_RFC9989 = 2,
};

/* Every value NULL = tag omitted. Values are the tag values as they will appear (validated). */
struct ma_record_gen_dmarc_opts {
	const char *domain; /* required: the policy domain (A-labels); the record goes at _dmarc.<domain> */
	enum ma_record_dmarc_generation generation;
	const char *p;            /* required: none | quarantine | reject */
	const char *sp, *np;      /* none | quarantine | reject (np: RFC 9989 only) */
	const char *adkim, *aspf; /* r | s */
	const char *pct;          /* 0..100 (RFC 7489 only). 100 is omitted (the default). With BOTH and pct < 100,
	                           * t=y is added too (RFC 9989 A.6: t=y is what pct=0 meant). Refused for RFC9989. */
	const char *fo;           /* colon-separated 0, 1, d, s */
	const char *rf;           /* afrf (RFC 7489 only) */
	const char *ri;           /* seconds, 0..4294967295 (RFC 7489 only) */
	const char *t;            /* y | n (RFC 9989 only) */
	const char *psd;          /* y | n | u (RFC 9989 only) */
	const char *const *rua;   /* mailto: URIs */
	size_t nrua;
	const char *const *ruf;
	size_t nruf;
};

/* Every generator: returns MA_OK, MA_ERR_INVAL (bad or conflicting value: g->error says which), MA_ERR_TOOBIG (over
 * a cap: g->error), MA_ERR_NOMEM, or MA_ERR_STATE when g already holds a record (fini it first). */
int ma_record_gen_dmarc(const struct ma_record_gen_dmarc_opts *o, struct ma_record_gen *g);

/* ---- SPF (RFC 7208) ------------------------------------------------------------------------------------------- */

struct ma_record_gen_spf_opts {
	const char *domain;     /* required: the record goes at <domain> */
	const char *const *ip4; /* "192.0.2.0/24" or an address; host bits beyond the prefix are refused */
	size_t nip4;
	const char *const *ip6;
	size_t nip6;
	const char *const *a; /* "" = the domain itself (bare "a"), else a domain-spec, optionally with /cidr */
	size_t na;
	const char *const *mx; /* like a */
	size_t nmx;
	const char *const *include; /* domain-specs */
	size_t ninclude;
	const char *const *exists;
	size_t nexists;
	const char *redirect; /* a domain-spec; then no "all" is written unless `all` is given (which is refused:
	                       * RFC 7208 6.1 ignores redirect when all is present) */
	const char *all;      /* "-" (default), "~", "?" or "+" */
};

/* Terms are written in the order ip4, ip6, a, mx, include, exists, all / redirect (cheapest first: RFC 7208 4.6.2
 * stops at the first match). Findings: record.spf.long, record.spf.lookups-over-limit, record.spf.all-pass. */
int ma_record_gen_spf(const struct ma_record_gen_spf_opts *o, struct ma_record_gen *g);

/* ---- MTA-STS (RFC 8461) --------------------------------------------------------------------------------------- */

struct ma_record_gen_mtasts_opts {
	const char *domain; /* required: the record goes at _mta-sts.<domain> */
	const char *id;     /* 1-32 letters or digits (RFC 8461 3.1); NULL: from `now` */
	int64_t now;        /* seconds since the epoch, used when id is NULL (must be > 0): id = YYYYMMDDhhmmss UTC */
};
int ma_record_gen_mtasts(const struct ma_record_gen_mtasts_opts *o, struct ma_record_gen *g);

struct ma_record_gen_mtasts_policy_opts {
	const char *domain; /* required: the policy is served from https://mta-sts.<domain>/.well-known/mta-sts.txt */
	const char *mode;   /* enforce | testing | none; NULL: testing (start in testing, UK standard) */
	const char *const *mx; /* patterns: host names, "*." allowed as the left-most label (RFC 8461 4.1) */
	size_t nmx;            /* at least one unless mode is none */
	const char *max_age;   /* seconds, 1..31557600; NULL: 1209600 in enforce, 86400 otherwise (UK standard) */
};
/* g->text is the policy file with CRLF line ends (RFC 8461 3.2); g->owner is "" and g->location its URL. */
int ma_record_gen_mtasts_policy(const struct ma_record_gen_mtasts_policy_opts *o, struct ma_record_gen *g);

/* ---- TLS-RPT (RFC 8460 3) ------------------------------------------------------------------------------------- */

struct ma_record_gen_tlsrpt_opts {
	const char *domain;     /* required: the record goes at _smtp._tls.<domain> */
	const char *const *rua; /* at least one: mailto: or https: URIs */
	size_t nrua;
};
int ma_record_gen_tlsrpt(const struct ma_record_gen_tlsrpt_opts *o, struct ma_record_gen *g);

/* ---- Zone-file output ----------------------------------------------------------------------------------------- */

/* The TXT data as presentation-format character-strings: "..." "..." with at most 255 data bytes in each
 * (RFC 1035 3.3.14; RFC 7208 3.3 joins them back without separators), '"' and '\' escaped as \" and \\, bytes
 * outside printable ASCII as \DDD. The 255 counts the unescaped bytes. Empty data gives "". *out is malloc'd,
 * NUL-terminated. Returns MA_OK, MA_ERR_NOMEM or MA_ERR_TOOBIG (over MA_RECORD_GEN_TEXT_MAX). */
int ma_record_gen_txt_strings(const char *data, size_t len, char **out);

/* How many character-strings `len` bytes of TXT data take (at least 1). */
size_t ma_record_gen_txt_count(size_t len);

/* "<owner> <ttl> IN TXT <strings>\n" for a generated TXT record. MA_ERR_INVAL for the policy file (no owner) or a
 * TTL over MA_RECORD_GEN_TTL_MAX. *out is malloc'd. */
int ma_record_gen_zone(const struct ma_record_gen *g, uint32_t ttl, char **out);

#endif
