/* src/store/store.h — the one storage interface: reports, their records, scan results and their history.
 *
 * Backends sit behind a const struct of function pointers (store_sqlite.c now; store_pg.c next, for many workers
 * sharing one database), chosen by the URI given to ma_store_open(): a path or "sqlite:PATH" for SQLite,
 * "postgresql://..." later. Callers never see SQL; backends use bound parameters only.
 *
 * Crash safety: every report is written in one transaction (ma_store_agg_begin ... _commit); a crash loses at most
 * the report in flight, and re-ingesting it completes the rest. Deduplication is on (reporter org, report_id, policy
 * domain, begin, end) for aggregate reports, decided at _begin before any record is written, so re-ingesting
 * anything changes nothing.
 *
 * Not thread-safe: one struct ma_store per thread (SQLite WAL lets several processes share the file).
 * Every function returns MA_OK or an ma_err; ma_store_why() gives the backend's reason for the last error. */
#ifndef MA_STORE_H
#define MA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/report_agg.h"
#include "lib/report_failure.h"
#include "lib/report_tls.h"

struct ma_store;

/* Open (creating and migrating as needed) the store at `uri`. NULL or "" means the default path,
 * $XDG_DATA_HOME/mailassure/mailassure.db (~/.local/share/... when unset), its directory created 0700.
 * Migrations are versioned and applied in order in one transaction each; a database newer than this binary is
 * refused (MA_ERR_UNSUPPORTED). On failure *out is NULL and, when why is not NULL, *why a malloc'd reason. */
int ma_store_open(const char *uri, struct ma_store **out, char **why);
void ma_store_close(struct ma_store *st);
const char *ma_store_why(const struct ma_store *st); /* never NULL */
int ma_store_schema_version(struct ma_store *st, int *version);

/* Where a report came from, kept for audit and the ingest_errors table. */
struct ma_store_origin {
	const char *source;   /* the SOURCE argument: a path, "mbox:...", "imaps://...", "-" */
	const char *where;    /* inside it: message index/ID, MIME part, archive entry; may be NULL */
	const void *raw;      /* the original as received (compressed form when it was compressed); may be NULL */
	size_t rawlen;
	int64_t received;     /* Unix seconds */
};

/* ---- Aggregate reports: begin, records, commit -------------------------------------------------------------- */

/* Starts a transaction and checks the dedup key. *duplicate true: the report is already stored; nothing was
 * started and no _record/_commit calls may follow. Otherwise the report row is written and *report (an opaque
 * row ID) is set for the calls below. The raw original is stored once per distinct content (SHA-256). */
int ma_store_agg_begin(struct ma_store *st, const struct ma_agg_meta *meta, const struct ma_findings *quirks,
                       const struct ma_store_origin *origin, int64_t *report, bool *duplicate);
int ma_store_agg_record(struct ma_store *st, int64_t report, const struct ma_agg_record *rec);
/* Commit: totals (records, messages) are written with the report. Abort rolls everything back. */
int ma_store_agg_commit(struct ma_store *st, int64_t report);
int ma_store_agg_abort(struct ma_store *st, int64_t report);

/* ---- Failure and TLS reports: one call each, own transaction ------------------------------------------------- */

/* Dedup key for failure reports: (reported domain, source IP, arrival, message-id of the original, feedback
 * hash); for TLS reports: (organization, report-id, begin, end) as for aggregate reports. */
int ma_store_failure_put(struct ma_store *st, const struct ma_failure_report *r, const struct ma_store_origin *o,
                         bool *duplicate);
int ma_store_tls_put(struct ma_store *st, const struct ma_tls_report *r, const struct ma_store_origin *o,
                     bool *duplicate);

/* A report or message that could not be read: kept with its reason (ingest_errors). */
int ma_store_ingest_error(struct ma_store *st, const struct ma_store_origin *o, const char *reason);

/* Mailbox channels (Maildir, IMAP) remember which messages were committed, so a re-run after a crash resumes and a
 * message is flagged/moved only after its reports are stored. `key` is e.g. "imaps://host/INBOX;UIDVALIDITY=..;UID=..". */
int ma_store_message_done(struct ma_store *st, const char *key);
int ma_store_message_seen(struct ma_store *st, const char *key, bool *seen);

/* ---- Queries ------------------------------------------------------------------------------------------------- */

/* One sending source IP for a domain over a time window (mailassure sources). Borrowed for the callback. */
struct ma_store_source_row {
	const char *ip;
	uint64_t messages;
	uint64_t spf_pass, spf_aligned;   /* auth result pass / policy_evaluated spf pass */
	uint64_t dkim_pass, dkim_aligned;
	uint64_t dmarc_pass;              /* aligned SPF or aligned DKIM */
	uint64_t disp_none, disp_quarantine, disp_reject;
	const char *dkim_domains;         /* comma-separated, distinct, e.g. "example.com,mailchimp.com" */
	const char *dkim_selectors;
	const char *spf_domains;
	const char *reporters;            /* org names that reported this IP */
	int64_t first_seen, last_seen;
};
/* Rows for header_from/policy domain `domain`, reports whose range ends after `since` (Unix seconds; 0 = all),
 * sorted by messages descending. A non-zero callback return stops and is returned. */
int ma_store_sources(struct ma_store *st, const char *domain, int64_t since,
                     int (*cb)(const struct ma_store_source_row *row, void *arg), void *arg);

struct ma_store_summary_row {
	const char *domain;
	const char *day;                  /* YYYY-MM-DD (UTC) of the report's begin */
	uint64_t messages, dmarc_pass;
	uint64_t reports;
	const char *reporters;            /* comma-separated, distinct */
};
/* Per domain (all when domain is NULL) and day, ordered by domain then day. */
int ma_store_summary(struct ma_store *st, const char *domain,
                     int (*cb)(const struct ma_store_summary_row *row, void *arg), void *arg);

/* DKIM selectors seen in reports for `domain` (auth_results d= equal to it), most recent first ("learned
 * selectors" the scanner checks). */
int ma_store_selectors(struct ma_store *st, const char *domain, int (*cb)(const char *selector, void *arg),
                       void *arg);

/* Reverse-DNS cache for source IPs: names looked up asynchronously by the caller, stored with their time. */
int ma_store_ptr_get(struct ma_store *st, const char *ip, char **name, int64_t *when, bool *found);
int ma_store_ptr_put(struct ma_store *st, const char *ip, const char *name, int64_t when);

/* ---- Scan results and history ------------------------------------------------------------------------------ */

/* A finished domain scan: `json` is the scanner's result document (lib/scan.h), stored verbatim; `findings` the
 * IDs in it, indexed for "what changed". */
struct ma_store_scan {
	const char *domain;      /* A-label */
	int64_t when;
	const char *json;
	const char *const *finding_ids;
	size_t nfinding_ids;
};
int ma_store_scan_put(struct ma_store *st, const struct ma_store_scan *scan, int64_t *scan_id);
/* The latest scan of `domain` before `before` (INT64_MAX: the latest). *json malloc'd; *found false when none. */
int ma_store_scan_latest(struct ma_store *st, const char *domain, int64_t before, char **json, int64_t *when,
                         bool *found);
/* Every domain with a stored scan, for re-grading without rescanning. */
int ma_store_scan_domains(struct ma_store *st, int (*cb)(const char *domain, void *arg), void *arg);

#endif
