/* src/lib/report_agg.h — DMARC aggregate (rua) reports: a streaming, lenient parser fed from memory buffers.
 *
 * Understands RFC 7489 appendix C, RFC 9990 (urn:ietf:params:xml:ns:dmarc-2.0), the 2021 draft namespace
 * (http://dmarc.org/dmarc-xml/0.2), prefixed roots (AOL's ns1:feedback) and the quirks in
 * shared/corpus/reports/QUIRKS.md. Reports are never validated against an XSD (real ones fail them): what was odd is
 * recorded as a finding (report.agg.*) on the report, and only a report from which nothing sound can be taken is
 * rejected.
 *
 * Streaming: the parser is pushed bytes (ma_agg_parser_feed) and calls back once for the report's metadata and then
 * once per <record>, so a report of a million records is parsed in bounded memory. Pure (STYLE.md): no files,
 * clocks or globals; libxml2's push parser with entity loading, DTDs and network access off (no billion laughs, no
 * external entities). */
#ifndef MA_REPORT_AGG_H
#define MA_REPORT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/finding.h"

/* Caps on what the input controls (STYLE.md "untrusted bytes"). Over a cap the report is rejected (MA_ERR_TOOBIG)
 * or the value truncated with a finding, as documented at each field. */
#define MA_AGG_FIELD_MAX 1024       /* any text field; longer values are truncated (report.agg.field-truncated) */
#define MA_AGG_RESULTS_MAX 64       /* DKIM or SPF auth results per record; more are dropped with a finding */
#define MA_AGG_REASONS_MAX 16       /* policy override reasons per record */
#define MA_AGG_DEPTH_MAX 64         /* XML element nesting */
#define MA_AGG_PENDING_MAX 100000   /* records held back while the metadata has not been seen yet */

enum ma_agg_schema {
	MA_AGG_SCHEMA_UNKNOWN = 0,
	MA_AGG_SCHEMA_RFC7489 = 1, /* no namespace (most reports) */
	MA_AGG_SCHEMA_DRAFT2021 = 2, /* http://dmarc.org/dmarc-xml/0.2 */
	MA_AGG_SCHEMA_RFC9990 = 3, /* urn:ietf:params:xml:ns:dmarc-2.0 */
};

/* <report_metadata> and <policy_published>. Strings are NUL-terminated UTF-8 (invalid bytes replaced by U+FFFD,
 * with report.agg.invalid-utf8), owned by the parser, valid until ma_agg_parser_free(). Absent fields are "" (strings)
 * or -1 (numbers), never NULL. Values are stored verbatim, never interpreted (an org_name of "<script>" stays that). */
struct ma_agg_meta {
	enum ma_agg_schema schema;
	char *version;            /* <version> as written, "" when absent */
	char *org_name;
	char *email;
	char *extra_contact_info;
	char *report_id;
	char *generator;          /* RFC 9990 */
	int64_t begin, end;       /* <date_range>, Unix seconds (float epochs truncated); -1 when absent/invalid */
	char **errors;            /* <error> texts */
	size_t nerrors;
	/* policy_published (the first one when repeated: report.agg.policy-repeated) */
	char *domain;             /* lower-cased, no trailing dot; "" only when absent (then the report is rejected) */
	char *adkim, *aspf;       /* "r", "s" or as written */
	char *p, *sp, *np;        /* np: RFC 9990 */
	int pct;                  /* RFC 7489 only; -1 when absent */
	char *fo;
	char *testing;            /* RFC 9990 t=: "y"/"n" */
	char *discovery_method;   /* RFC 9990: "psl" or "treewalk" */
};

enum ma_agg_result {
	/* DMARC-evaluated and auth results, normalised ("Pass", "hardfail" -> pass/fail; report.agg.result-spelling) */
	MA_AGG_R_NONE = 0,
	MA_AGG_R_PASS,
	MA_AGG_R_FAIL,
	MA_AGG_R_SOFTFAIL,
	MA_AGG_R_NEUTRAL,
	MA_AGG_R_TEMPERROR,
	MA_AGG_R_PERMERROR,
	MA_AGG_R_POLICY,
	MA_AGG_R_UNKNOWN, /* a word we do not know: kept in the _text field */
};

enum ma_agg_disposition {
	MA_AGG_D_UNKNOWN = 0,
	MA_AGG_D_NONE,
	MA_AGG_D_QUARANTINE,
	MA_AGG_D_REJECT,
	MA_AGG_D_PASS, /* RFC 9990 */
};

struct ma_agg_auth_dkim {
	char *domain;
	char *selector; /* "" when missing (a quirk, not an error) */
	enum ma_agg_result result;
	char *result_text; /* as written */
	char *human_result;
};

struct ma_agg_auth_spf {
	char *domain; /* "" for the literal "NULL" or empty */
	char *scope;  /* "mfrom", "helo" or "" */
	enum ma_agg_result result;
	char *result_text;
};

struct ma_agg_reason {
	char *type; /* forwarded, sampled_out, trusted_forwarder, mailing_list, local_policy, other, policy_test_mode */
	char *comment;
};

/* One <record>. Borrowed for the duration of the on_record callback only. */
struct ma_agg_record {
	char source_ip[46];     /* canonical text form; "" when missing or invalid (the raw text is in source_ip_raw) */
	char *source_ip_raw;
	uint64_t count;         /* messages */
	enum ma_agg_disposition disposition;
	enum ma_agg_result dkim_aligned; /* policy_evaluated/dkim: the DMARC-aligned DKIM verdict */
	enum ma_agg_result spf_aligned;  /* policy_evaluated/spf */
	struct ma_agg_reason *reasons;
	size_t nreasons;
	char *header_from;
	char *envelope_from;
	char *envelope_to;
	struct ma_agg_auth_dkim *dkim;
	size_t ndkim;
	struct ma_agg_auth_spf *spf;
	size_t nspf;
	struct ma_findings findings; /* what was odd about this record */
};

/* Callbacks. A non-zero return (an ma_err) stops the parse: feed/finish return it. */
struct ma_agg_parser_cbs {
	/* Once, before the first on_record: metadata and policy are complete. Records that precede the metadata in the
	 * document are held back (at most MA_AGG_PENDING_MAX; beyond that the report is rejected) and delivered after. */
	int (*on_meta)(const struct ma_agg_meta *meta, void *arg);
	int (*on_record)(const struct ma_agg_record *rec, void *arg);
};

struct ma_agg_parser;

int ma_agg_parser_new(const struct ma_agg_parser_cbs *cbs, void *arg, struct ma_agg_parser **out);
void ma_agg_parser_free(struct ma_agg_parser *p);
/* Push the next bytes of the document. Returns MA_OK, a callback's error, MA_ERR_PARSE when nothing sound can be
 * taken from the document (ma_agg_parser_why says what), or MA_ERR_TOOBIG over a cap. */
int ma_agg_parser_feed(struct ma_agg_parser *p, const void *buf, size_t len);
/* End of input: flushes held-back records; MA_ERR_PARSE when no report was found (no metadata/policy domain),
 * e.g. the Yahoo body "unused". A document cut short (no </feedback>, or unreadable past an XML error) is rejected
 * with MA_ERR_PARSE: cut inside the metadata, on_meta never ran; cut later, on_meta and the complete records before
 * the cut were delivered and the caller rolls them back (a partial report stored would make a later complete copy
 * look like a duplicate). ma_agg_parser_why says where ("truncated after 1200 complete records"). Feeding or
 * finishing again after finish returns MA_ERR_STATE. */
int ma_agg_parser_finish(struct ma_agg_parser *p);
/* The reason for the last MA_ERR_PARSE/MA_ERR_TOOBIG, static or owned by the parser; never NULL. */
const char *ma_agg_parser_why(const struct ma_agg_parser *p);
/* Report-level findings (report.agg.*): what was odd about the document as a whole. */
const struct ma_findings *ma_agg_parser_findings(const struct ma_agg_parser *p);
/* Totals of what was delivered through on_record. */
uint64_t ma_agg_parser_records(const struct ma_agg_parser *p);
uint64_t ma_agg_parser_messages(const struct ma_agg_parser *p);

/* Canonical JSON (golden tests): {"schema","org_name",...,"policy":{...}} and one record. NULL on ENOMEM. */
json_t *ma_agg_meta_to_json(const struct ma_agg_meta *m);
json_t *ma_agg_record_to_json(const struct ma_agg_record *r);
const char *ma_agg_result_name(enum ma_agg_result r);           /* "pass", "fail", ... */
const char *ma_agg_disposition_name(enum ma_agg_disposition d); /* "none", "quarantine", "reject", "pass" */

#endif
