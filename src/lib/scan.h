/* src/lib/scan.h — the posture of one domain: a sans-I/O state machine over the record core.
 *
 * One struct ma_scan per domain. Unlike the SPF and DMARC step functions (one question at a time), a scan has many
 * independent lines of enquiry (MX and their addresses, SPF tree, DMARC discovery, DKIM selectors, MTA-STS,
 * TLS-RPT, TLSA), so it hands out every question it can ask now, each with an ID, and takes the answers back in
 * any order. The driver (src/net/scanner.c) asks libunbound and fetches HTTPS; tests answer from canned zones;
 * the fuzzer answers with garbage. "Now" is a parameter.
 *
 * Outcomes (STYLE.md): findings (scan.*, plus the record modules' spf.*, dmarc.*, dkim.*, mtasts.*, tlsrpt.*) with
 * stable IDs; a mark per area; "inconclusive" with its reason where a query failed temporarily or validation was
 * bogus: a timeout is never "missing". Grading against a profile is separate (lib/profile.h) and works on the
 * result document alone, so a stored scan can be re-graded without rescanning. */
#ifndef MA_SCAN_H
#define MA_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpsl.h>

#include "lib/dns.h"
#include "lib/finding.h"

#define MA_SCAN_SELECTORS_MAX 64   /* DKIM selectors tried per domain (given + learned + common) */
#define MA_SCAN_MX_MAX 32          /* MX hosts followed; more is a finding */
#define MA_SCAN_HTTPS_BODY_MAX 65536 /* MTA-STS policy body cap (RFC 8461 3.3 sets none; 64 KiB is ample) */

struct ma_scan_opts {
	const char *domain;               /* A-label, any case, optional trailing dot */
	const char *const *selectors;     /* DKIM selectors to check (given on the command line, learned from reports) */
	size_t nselectors;
	bool common_selectors;            /* also try the short list of common provider selectors */
	bool no_tls;                      /* the MX TLS probe is not run: that area's mark is "skipped" */
	int64_t now;                      /* Unix seconds */
	/* Borrowed Public Suffix List for DMARC's RFC 7489 organisational domain and the external-destination test;
	 * NULL: only the RFC 9989 tree walk is used, and a report destination is external when it is neither the
	 * policy domain nor below it. */
	const psl_ctx_t *psl;
};

enum ma_scan_need_kind {
	MA_SCAN_NEED_DNS = 1,
	MA_SCAN_NEED_HTTPS = 2, /* GET https://host/path, certificate validated against host, no redirects followed */
};

#define MA_SCAN_ADDRS_MAX 8

struct ma_scan_need {
	uint32_t id; /* unique within the scan; answer with the same id, exactly once */
	enum ma_scan_need_kind kind;
	struct ma_dns_question q; /* MA_SCAN_NEED_DNS */
	/* MA_SCAN_NEED_HTTPS: the host (for SNI, Host: and the certificate check), the path, and the addresses the scan
	 * resolved for it (through the validating resolver, so the fetch never falls back to another resolver). */
	char host[MA_DNS_NAME_MAX + 1];
	char path[64];
	char addrs[MA_SCAN_ADDRS_MAX][46];
	size_t naddrs;
};

enum ma_https_status {
	MA_HTTPS_OK = 0,       /* a response was read (any HTTP status: see http_status) */
	MA_HTTPS_CONNECT = 1,  /* no address accepted the connection */
	MA_HTTPS_TLS = 2,      /* handshake failed or the certificate did not validate for host */
	MA_HTTPS_TIMEOUT = 3,  /* the whole fetch ran past its deadline (a trickling server ends here too) */
	MA_HTTPS_TOOBIG = 4,   /* the body ran past the cap */
	MA_HTTPS_PROTOCOL = 5, /* not HTTP */
};

struct ma_https_result {
	enum ma_https_status status;
	int http_status;          /* 200, 404, 301 ... when status is MA_HTTPS_OK */
	const char *content_type; /* may be NULL */
	const char *body;         /* borrowed for the call; not NUL-terminated */
	size_t len;
	const char *why;          /* the transport's reason when status is not OK (certificate error text), may be NULL */
};

struct ma_scan;

/* MA_ERR_INVAL for a domain that is not a valid name. */
int ma_scan_new(const struct ma_scan_opts *opts, struct ma_scan **out);
void ma_scan_free(struct ma_scan *s);

enum { MA_SCAN_DONE = 0, MA_SCAN_PENDING = 1 };
/* Writes up to `max` new needs to needs[] and sets *n. Returns MA_SCAN_PENDING while answers are outstanding or
 * needs remain (call again after answering; *n may be 0 while waiting), MA_SCAN_DONE when the result is complete,
 * or an ma_err. Needs not handed out for lack of room are handed out on the next call. */
int ma_scan_step(struct ma_scan *s, struct ma_scan_need *needs, size_t max, size_t *n);
/* The answers; borrowed for the call. MA_ERR_STATE for an unknown or already answered id. */
int ma_scan_answer_dns(struct ma_scan *s, uint32_t id, const struct ma_dns_answer *ans);
int ma_scan_answer_https(struct ma_scan *s, uint32_t id, const struct ma_https_result *res);

/* The areas of the compact table, in display order. */
enum ma_scan_area {
	MA_AREA_SPF,
	MA_AREA_DMARC,
	MA_AREA_DKIM,
	MA_AREA_MTASTS,
	MA_AREA_TLSRPT,
	MA_AREA_DNSSEC,
	MA_AREA_MXTLS,
	MA_AREA_COUNT,
};

enum ma_mark {
	MA_MARK_PASS = 0,
	MA_MARK_WARN,
	MA_MARK_FAIL,
	MA_MARK_NONE,         /* not set up, and fine to be so here (TLS-RPT on a parked domain) */
	MA_MARK_UNKNOWN,      /* nothing can be said (DKIM with no known selector): never "missing" */
	MA_MARK_INCONCLUSIVE, /* a lookup failed temporarily or was bogus: see the area's reason */
	MA_MARK_SKIPPED,      /* not checked (--no-tls) */
};

const char *ma_scan_area_name(enum ma_scan_area a); /* "spf", "dmarc", "dkim", "mta-sts", "tls-rpt", "dnssec", "mx-tls" */
const char *ma_mark_name(enum ma_mark m);           /* "pass", "warn", "fail", "none", "unknown", "inconclusive", "skipped" */

/* After MA_SCAN_DONE. */
enum ma_mark ma_scan_mark(const struct ma_scan *s, enum ma_scan_area a);
const struct ma_findings *ma_scan_findings(const struct ma_scan *s);
/* Parked: null MX (RFC 7505) or no MX records at all, and no sign of sending (the SPF record authorises no host and
 * no DKIM selector has a usable key). A parked domain is judged by the parked-domain rules (scan.parked.*). */
bool ma_scan_parked(const struct ma_scan *s);
/* The result document (stored verbatim by --db, printed by --json/--jsonl, graded by lib/profile.h):
 * {"domain","scanned_at","parked","areas":{"spf":{"mark","reason"?},...},"mx":[{"host","pref","addrs",
 *  "dnssec","tlsa"}],"spf":{tree},"dmarc":{...},"dkim":{...},"mta_sts":{...},"tls_rpt":{...},"dnssec":{...},
 *  "findings":[{"id","severity","message","detail","advice","area","profiles":{"uk-gov":"fail",...}}]}.
 * "detail" is null when the finding has none; "profiles" lists only the profiles the finding affects
 * (lib/profile.h ma_profile_effect, parked-aware). NULL on ENOMEM or before done. */
json_t *ma_scan_to_json(const struct ma_scan *s);

#endif
