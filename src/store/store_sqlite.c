/* src/store/store_sqlite.c — the SQLite backend of store.h.
 *
 * One connection per struct ma_store, in WAL mode so readers (the dashboard, `sources`) never block the writer and
 * several processes can share the file. synchronous=NORMAL: in WAL mode a committed transaction survives a crash of
 * the process (kill -9, OOM) because it is in the WAL file before COMMIT returns; only a power loss or OS crash can
 * lose the last transactions, never corrupt the database (https://www.sqlite.org/wal.html, "Performance
 * Considerations"). That is the trade the ingest rate needs (one transaction per report) and docs/store.md says so.
 *
 * Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT) and reused. Every value is a bound
 * parameter. The SQL the queries use is the common subset PostgreSQL also accepts (ON CONFLICT ... DO NOTHING,
 * CASE, COALESCE), except where marked "SQLite:" (group_concat and date(), string_agg and to_char in PostgreSQL);
 * the DDL is per backend by nature. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "lib/err.h"
#include "store/store_impl.h"

/* ---- Schema and migrations ------------------------------------------------------------------------------------ */

/* Migrations are append-only: a released one is never edited; a change is a new entry. Each runs in its own
 * transaction together with the version bump. */
static const char *const migrations[] = {
    /* 1: reports, records, auth results, failure and TLS reports, raw originals, errors, mailbox progress, PTR
     * cache, scans and their findings. */
    "CREATE TABLE raw ("
    " id INTEGER PRIMARY KEY,"
    " sha256 TEXT NOT NULL UNIQUE,"
    " bytes BLOB NOT NULL,"
    " received BIGINT);"
    "CREATE TABLE reports ("
    " id INTEGER PRIMARY KEY,"
    " org_name TEXT NOT NULL, report_id TEXT NOT NULL, domain TEXT NOT NULL,"
    " begin_ts BIGINT NOT NULL, end_ts BIGINT NOT NULL,"
    " email TEXT, extra_contact TEXT, schema_kind INTEGER, version TEXT, generator TEXT, errors TEXT,"
    " adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT, pct INTEGER, fo TEXT, testing TEXT, discovery_method TEXT,"
    " quirks TEXT, source TEXT, src_where TEXT, raw_id BIGINT REFERENCES raw(id), received BIGINT,"
    " ingested BIGINT NOT NULL, records BIGINT NOT NULL DEFAULT 0, messages BIGINT NOT NULL DEFAULT 0,"
    " UNIQUE (org_name, report_id, domain, begin_ts, end_ts));"
    "CREATE INDEX reports_domain_end ON reports (domain, end_ts);"
    "CREATE TABLE records ("
    " id INTEGER PRIMARY KEY,"
    " report BIGINT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    " source_ip TEXT NOT NULL, source_ip_raw TEXT, messages BIGINT NOT NULL,"
    " disposition TEXT NOT NULL, dkim_aligned TEXT NOT NULL, spf_aligned TEXT NOT NULL,"
    " dkim_pass INTEGER NOT NULL, spf_pass INTEGER NOT NULL, dmarc_pass INTEGER NOT NULL,"
    " reasons TEXT, header_from TEXT, envelope_from TEXT, envelope_to TEXT, quirks TEXT);"
    "CREATE INDEX records_report ON records (report);"
    "CREATE INDEX records_header_from ON records (header_from);"
    "CREATE TABLE auth_results ("
    " record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL, domain TEXT NOT NULL, selector TEXT, scope TEXT,"
    " result TEXT NOT NULL, result_text TEXT, human_result TEXT);"
    "CREATE INDEX auth_results_record ON auth_results (record);"
    "CREATE TABLE dkim_selectors ("
    " domain TEXT NOT NULL, selector TEXT NOT NULL, last_seen BIGINT NOT NULL,"
    " PRIMARY KEY (domain, selector));"
    "CREATE TABLE failure_reports ("
    " id INTEGER PRIMARY KEY,"
    " reported_domain TEXT NOT NULL, source_ip TEXT NOT NULL, arrival BIGINT NOT NULL, message_id TEXT NOT NULL,"
    " feedback_hash TEXT NOT NULL, arf INTEGER NOT NULL, feedback_type TEXT, auth_failure TEXT,"
    " header_from TEXT, report TEXT NOT NULL, source TEXT, src_where TEXT, raw_id BIGINT REFERENCES raw(id),"
    " received BIGINT, ingested BIGINT NOT NULL,"
    " UNIQUE (reported_domain, source_ip, arrival, message_id, feedback_hash));"
    "CREATE TABLE tls_reports ("
    " id INTEGER PRIMARY KEY,"
    " org_name TEXT NOT NULL, report_id TEXT NOT NULL, begin_ts BIGINT NOT NULL, end_ts BIGINT NOT NULL,"
    " contact TEXT, report TEXT NOT NULL, source TEXT, src_where TEXT, raw_id BIGINT REFERENCES raw(id),"
    " received BIGINT, ingested BIGINT NOT NULL,"
    " UNIQUE (org_name, report_id, begin_ts, end_ts));"
    "CREATE TABLE tls_policies ("
    " tls_report BIGINT NOT NULL REFERENCES tls_reports(id) ON DELETE CASCADE,"
    " policy_type TEXT NOT NULL, policy_domain TEXT NOT NULL, mx_hosts TEXT,"
    " successful BIGINT NOT NULL, failed BIGINT NOT NULL);"
    "CREATE INDEX tls_policies_domain ON tls_policies (policy_domain);"
    "CREATE TABLE ingest_errors ("
    " id INTEGER PRIMARY KEY, source TEXT, src_where TEXT, reason TEXT NOT NULL,"
    " raw_id BIGINT REFERENCES raw(id), received BIGINT, at BIGINT NOT NULL);"
    "CREATE TABLE messages_done (msg_key TEXT PRIMARY KEY, at BIGINT NOT NULL);"
    "CREATE TABLE ptr_cache (ip TEXT PRIMARY KEY, name TEXT NOT NULL, looked_up BIGINT NOT NULL);"
    "CREATE TABLE scans (id INTEGER PRIMARY KEY, domain TEXT NOT NULL, scanned_at BIGINT NOT NULL,"
    " doc TEXT NOT NULL);"
    "CREATE INDEX scans_domain_at ON scans (domain, scanned_at);"
    "CREATE TABLE scan_findings (scan BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " finding TEXT NOT NULL);"
    "CREATE INDEX scan_findings_scan ON scan_findings (scan);",
};
#define MIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

/* ---- Statements ------------------------------------------------------------------------------------------------ */

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_RAW_PUT,
	S_RAW_ID,
	S_AGG_FIND,
	S_AGG_PUT,
	S_AGG_TOTALS,
	S_REC_PUT,
	S_AUTH_PUT,
	S_SELECTOR_PUT,
	S_FAIL_FIND,
	S_FAIL_PUT,
	S_TLS_FIND,
	S_TLS_PUT,
	S_TLS_POLICY_PUT,
	S_ERROR_PUT,
	S_MSG_DONE,
	S_MSG_SEEN,
	S_SOURCES,
	S_SUMMARY_ONE,
	S_SUMMARY_ALL,
	S_SELECTORS,
	S_PTR_GET,
	S_PTR_PUT,
	S_SCAN_PUT,
	S_SCAN_FINDING_PUT,
	S_SCAN_LATEST,
	S_SCAN_DOMAINS,
	S_COUNT,
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_RAW_PUT] = "INSERT INTO raw (sha256, bytes, received) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
    [S_RAW_ID] = "SELECT id FROM raw WHERE sha256 = ?1",
    [S_AGG_FIND] = "SELECT id FROM reports WHERE org_name = ?1 AND report_id = ?2 AND domain = ?3"
                   " AND begin_ts = ?4 AND end_ts = ?5",
    [S_AGG_PUT] = "INSERT INTO reports (org_name, report_id, domain, begin_ts, end_ts, email, extra_contact,"
                  " schema_kind, version, generator, errors, adkim, aspf, p, sp, np, pct, fo, testing,"
                  " discovery_method, quirks, source, src_where, raw_id, received, ingested)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
                  " ?20, ?21, ?22, ?23, ?24, ?25, ?26) RETURNING id",
    [S_AGG_TOTALS] = "UPDATE reports SET records = ?2, messages = ?3 WHERE id = ?1",
    [S_REC_PUT] = "INSERT INTO records (report, source_ip, source_ip_raw, messages, disposition, dkim_aligned,"
                  " spf_aligned, dkim_pass, spf_pass, dmarc_pass, reasons, header_from, envelope_from, envelope_to,"
                  " quirks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
    [S_AUTH_PUT] = "INSERT INTO auth_results (record, kind, domain, selector, scope, result, result_text,"
                   " human_result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_SELECTOR_PUT] = "INSERT INTO dkim_selectors (domain, selector, last_seen) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (domain, selector) DO UPDATE SET last_seen = excluded.last_seen"
                       " WHERE excluded.last_seen > dkim_selectors.last_seen",
    [S_FAIL_FIND] = "SELECT id FROM failure_reports WHERE reported_domain = ?1 AND source_ip = ?2 AND arrival = ?3"
                    " AND message_id = ?4 AND feedback_hash = ?5",
    [S_FAIL_PUT] = "INSERT INTO failure_reports (reported_domain, source_ip, arrival, message_id, feedback_hash,"
                   " arf, feedback_type, auth_failure, header_from, report, source, src_where, raw_id, received,"
                   " ingested) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [S_TLS_FIND] = "SELECT id FROM tls_reports WHERE org_name = ?1 AND report_id = ?2 AND begin_ts = ?3"
                   " AND end_ts = ?4",
    [S_TLS_PUT] = "INSERT INTO tls_reports (org_name, report_id, begin_ts, end_ts, contact, report, source,"
                  " src_where, raw_id, received, ingested) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                  " RETURNING id",
    [S_TLS_POLICY_PUT] = "INSERT INTO tls_policies (tls_report, policy_type, policy_domain, mx_hosts, successful,"
                         " failed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_ERROR_PUT] = "INSERT INTO ingest_errors (source, src_where, reason, raw_id, received, at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_MSG_DONE] = "INSERT INTO messages_done (msg_key, at) VALUES (?1, ?2) ON CONFLICT (msg_key) DO NOTHING",
    [S_MSG_SEEN] = "SELECT 1 FROM messages_done WHERE msg_key = ?1",
    /* One row per source IP. The distinct lists come from correlated subqueries over the same window.
     * SQLite: group_concat (PostgreSQL: string_agg). */
    [S_SOURCES] =
        "WITH w AS (SELECT r.id, r.source_ip, r.messages, r.spf_pass, r.spf_aligned, r.dkim_pass, r.dkim_aligned,"
        "  r.dmarc_pass, r.disposition, r.envelope_from, rep.org_name, rep.begin_ts, rep.end_ts"
        "  FROM records r JOIN reports rep ON rep.id = r.report"
        "  WHERE (rep.domain = ?1 OR r.header_from = ?1) AND rep.end_ts > ?2)"
        " SELECT w.source_ip, SUM(w.messages),"
        "  SUM(CASE WHEN w.spf_pass = 1 THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.spf_aligned = 'pass' THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.dkim_pass = 1 THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.dkim_aligned = 'pass' THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.dmarc_pass = 1 THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.disposition IN ('none', 'pass') THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.disposition = 'quarantine' THEN w.messages ELSE 0 END),"
        "  SUM(CASE WHEN w.disposition = 'reject' THEN w.messages ELSE 0 END),"
        "  (SELECT group_concat(d, ',') FROM (SELECT DISTINCT a.domain AS d FROM auth_results a JOIN w w2"
        "    ON a.record = w2.id WHERE w2.source_ip = w.source_ip AND a.kind = 'dkim' AND a.domain <> ''"
        "    ORDER BY 1)),"
        "  (SELECT group_concat(s, ',') FROM (SELECT DISTINCT a.selector AS s FROM auth_results a JOIN w w2"
        "    ON a.record = w2.id WHERE w2.source_ip = w.source_ip AND a.kind = 'dkim' AND a.selector <> ''"
        "    ORDER BY 1)),"
        "  (SELECT group_concat(d, ',') FROM (SELECT DISTINCT a.domain AS d FROM auth_results a JOIN w w2"
        "    ON a.record = w2.id WHERE w2.source_ip = w.source_ip AND a.kind = 'spf' AND a.domain <> ''"
        "    ORDER BY 1)),"
        "  (SELECT group_concat(o, ',') FROM (SELECT DISTINCT w2.org_name AS o FROM w w2"
        "    WHERE w2.source_ip = w.source_ip ORDER BY 1)),"
        "  MIN(w.begin_ts), MAX(w.end_ts)"
        " FROM w GROUP BY w.source_ip ORDER BY 2 DESC, 1",
    /* SQLite: date(..., 'unixepoch') (PostgreSQL: to_char(to_timestamp(..) AT TIME ZONE 'UTC', 'YYYY-MM-DD')). */
    [S_SUMMARY_ONE] =
        "SELECT rep.domain, date(rep.begin_ts, 'unixepoch') AS day, SUM(rep.messages),"
        "  SUM((SELECT COALESCE(SUM(r.messages), 0) FROM records r WHERE r.report = rep.id AND r.dmarc_pass = 1)),"
        "  COUNT(*),"
        "  (SELECT group_concat(o, ',') FROM (SELECT DISTINCT r2.org_name AS o FROM reports r2"
        "    WHERE r2.domain = rep.domain AND date(r2.begin_ts, 'unixepoch') = date(rep.begin_ts, 'unixepoch')"
        "    ORDER BY 1))"
        " FROM reports rep WHERE rep.domain = ?1 GROUP BY rep.domain, day ORDER BY rep.domain, day",
    [S_SUMMARY_ALL] =
        "SELECT rep.domain, date(rep.begin_ts, 'unixepoch') AS day, SUM(rep.messages),"
        "  SUM((SELECT COALESCE(SUM(r.messages), 0) FROM records r WHERE r.report = rep.id AND r.dmarc_pass = 1)),"
        "  COUNT(*),"
        "  (SELECT group_concat(o, ',') FROM (SELECT DISTINCT r2.org_name AS o FROM reports r2"
        "    WHERE r2.domain = rep.domain AND date(r2.begin_ts, 'unixepoch') = date(rep.begin_ts, 'unixepoch')"
        "    ORDER BY 1))"
        " FROM reports rep GROUP BY rep.domain, day ORDER BY rep.domain, day",
    [S_SELECTORS] = "SELECT selector FROM dkim_selectors WHERE domain = ?1 ORDER BY last_seen DESC, selector",
    [S_PTR_GET] = "SELECT name, looked_up FROM ptr_cache WHERE ip = ?1",
    [S_PTR_PUT] = "INSERT INTO ptr_cache (ip, name, looked_up) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (ip) DO UPDATE SET name = excluded.name, looked_up = excluded.looked_up",
    [S_SCAN_PUT] = "INSERT INTO scans (domain, scanned_at, doc) VALUES (?1, ?2, ?3) RETURNING id",
    [S_SCAN_FINDING_PUT] = "INSERT INTO scan_findings (scan, finding) VALUES (?1, ?2)",
    [S_SCAN_LATEST] = "SELECT doc, scanned_at FROM scans WHERE domain = ?1 AND scanned_at < ?2"
                      " ORDER BY scanned_at DESC, id DESC LIMIT 1",
    [S_SCAN_DOMAINS] = "SELECT DISTINCT domain FROM scans ORDER BY domain",
};

struct sqlite_store {
	struct ma_store base; /* first: store.c sees only this */
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	/* The aggregate report in flight between agg_begin and agg_commit/abort. */
	int64_t open_report;
	int64_t open_end; /* its end_ts: the "last seen" of the selectors it names */
	uint64_t open_records, open_messages;
};

static struct sqlite_store *S(struct ma_store *st)
{
	return (struct sqlite_store *)st;
}

static int db_fail(struct sqlite_store *s, int rc, const char *what)
{
	int err = rc == SQLITE_NOMEM                         ? MA_ERR_NOMEM
	          : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? MA_ERR_TIMEOUT
	                                                     : MA_ERR_IO;
	return ma_store_fail(&s->base, err, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* The prepared statement, reset and unbound, ready for binding. */
static sqlite3_stmt *stmt(struct sqlite_store *s, enum stmt id)
{
	if (s->stmt[id] == NULL) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			db_fail(s, rc, "preparing a statement");
			return NULL;
		}
	} else {
		sqlite3_reset(s->stmt[id]);
		sqlite3_clear_bindings(s->stmt[id]);
	}
	return s->stmt[id];
}

/* Text parameters: NULL binds SQL NULL. SQLITE_STATIC: every caller keeps the string alive until the step. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_opt_i64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Run a statement that returns no rows (or whose rows are ignored). */
static int run(struct sqlite_store *s, sqlite3_stmt *st, const char *what)
{
	if (st == NULL)
		return s->base.why[0] ? MA_ERR_IO : MA_ERR_NOMEM;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	int err = rc == SQLITE_DONE ? MA_OK : db_fail(s, rc, what);
	sqlite3_reset(st);
	return err;
}

/* Run a statement expected to return at most one integer: *found says whether a row came. */
static int run_id(struct sqlite_store *s, sqlite3_stmt *st, const char *what, int64_t *id, bool *found)
{
	if (st == NULL)
		return MA_ERR_IO;
	*found = false;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*found = true;
		rc = sqlite3_step(st);
	}
	int err = rc == SQLITE_DONE ? MA_OK : db_fail(s, rc, what);
	sqlite3_reset(st);
	return err;
}

static int tx_begin(struct sqlite_store *s)
{
	return run(s, stmt(s, S_BEGIN), "starting a transaction");
}

static int tx_commit(struct sqlite_store *s)
{
	int err = run(s, stmt(s, S_COMMIT), "committing");
	if (err != MA_OK && !sqlite3_get_autocommit(s->db))
		run(s, stmt(s, S_ROLLBACK), "rolling back");
	return err;
}

static void tx_rollback(struct sqlite_store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		char keep[MA_STORE_WHY_MAX];
		memcpy(keep, s->base.why, sizeof keep); /* the reason for the rollback is what the caller wants */
		run(s, stmt(s, S_ROLLBACK), "rolling back");
		memcpy(s->base.why, keep, sizeof keep);
	}
}

static int64_t now_seconds(void)
{
	return (int64_t)time(NULL);
}

/* ---- Small JSON and hashing helpers ------------------------------------------------------------------------ */

/* A json_t rendered compactly, or NULL for an empty list (nothing worth a column). Caller frees. */
static char *json_text(json_t *j)
{
	if (j == NULL)
		return NULL;
	char *t = json_array_size(j) == 0 && json_is_array(j) ? NULL : json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	return t;
}

/* [{"id","detail"}] of a findings list: what was odd, kept with the report for audit and the dashboard. */
static json_t *findings_json(const struct ma_findings *f)
{
	json_t *a = json_array();
	if (a == NULL || f == NULL)
		return a;
	for (size_t i = 0; i < f->n; i++) {
		json_t *o = json_pack("{s:s}", "id", f->v[i].def->id);
		if (o != NULL && f->v[i].detail != NULL)
			json_object_set_new(o, "detail", json_string(f->v[i].detail));
		json_array_append_new(a, o);
	}
	return a;
}

/* json_string that never fails on invalid UTF-8 (a report's bytes are untrusted): such a value becomes null. */
static json_t *jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	return j != NULL ? j : json_null();
}

static json_t *jstrs(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, jstr(v[i]));
	return a;
}

static void sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Store the raw original once per distinct content; *raw_id 0 when there is none. Inside a transaction. */
static int raw_put(struct sqlite_store *s, const struct ma_store_origin *o, int64_t *raw_id)
{
	*raw_id = 0;
	if (o == NULL || o->raw == NULL || o->rawlen == 0)
		return MA_OK;
	char hex[65];
	sha256_hex(o->raw, o->rawlen, hex);
	sqlite3_stmt *st = stmt(s, S_RAW_PUT);
	if (st == NULL)
		return MA_ERR_IO;
	if (o->rawlen > (size_t)INT_MAX)
		return ma_store_fail(&s->base, MA_ERR_TOOBIG, "original of %zu bytes is too large to keep", o->rawlen);
	bind_text(st, 1, hex);
	sqlite3_bind_blob(st, 2, o->raw, (int)o->rawlen, SQLITE_STATIC);
	bind_opt_i64(st, 3, o->received);
	int err = run(s, st, "storing the original");
	if (err != MA_OK)
		return err;
	st = stmt(s, S_RAW_ID);
	if (st == NULL)
		return MA_ERR_IO;
	bind_text(st, 1, hex);
	bool found;
	err = run_id(s, st, "finding the original", raw_id, &found);
	return err == MA_OK && !found ? ma_store_fail(&s->base, MA_ERR_IO, "stored original vanished") : err;
}

static void bind_origin(sqlite3_stmt *st, int first, const struct ma_store_origin *o, int64_t raw_id)
{
	bind_text(st, first, o ? o->source : NULL);
	bind_text(st, first + 1, o ? o->where : NULL);
	bind_opt_i64(st, first + 2, raw_id > 0 ? raw_id : -1);
	bind_opt_i64(st, first + 3, o ? o->received : -1);
}

/* ---- Aggregate reports ------------------------------------------------------------------------------------ */

static const char *result_name(enum ma_agg_result r)
{
	static const char *const names[] = {"none",      "pass",      "fail",   "softfail", "neutral",
	                                    "temperror", "permerror", "policy", "unknown"};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

static const char *disposition_name(enum ma_agg_disposition d)
{
	static const char *const names[] = {"unknown", "none", "quarantine", "reject", "pass"};
	return (unsigned)d < sizeof names / sizeof names[0] ? names[d] : "unknown";
}

static int sq_agg_begin(struct ma_store *st, const struct ma_agg_meta *m, const struct ma_findings *quirks,
                        const struct ma_store_origin *o, int64_t *report, bool *duplicate)
{
	struct sqlite_store *s = S(st);
	*duplicate = false;
	*report = 0;
	if (s->open_report != 0)
		return ma_store_fail(st, MA_ERR_STATE, "an aggregate report is already open");
	int err = tx_begin(s);
	if (err != MA_OK)
		return err;
	/* Dedup before anything is written (issue: "deduplicate on (reporter org, report_id, policy domain, begin,
	 * end) before any splitting"). */
	sqlite3_stmt *q = stmt(s, S_AGG_FIND);
	if (q == NULL) {
		tx_rollback(s);
		return MA_ERR_IO;
	}
	bind_text(q, 1, m->org_name);
	bind_text(q, 2, m->report_id);
	bind_text(q, 3, m->domain);
	sqlite3_bind_int64(q, 4, m->begin);
	sqlite3_bind_int64(q, 5, m->end);
	int64_t id;
	bool found;
	err = run_id(s, q, "looking up the report", &id, &found);
	if (err != MA_OK || found) {
		tx_rollback(s);
		*duplicate = found;
		return err;
	}
	int64_t raw_id;
	err = raw_put(s, o, &raw_id);
	if (err != MA_OK) {
		tx_rollback(s);
		return err;
	}
	char *errors = json_text(jstrs(m->errors, m->nerrors));
	char *quirk_text = json_text(findings_json(quirks));
	sqlite3_stmt *ins = stmt(s, S_AGG_PUT);
	if (ins == NULL) {
		free(errors);
		free(quirk_text);
		tx_rollback(s);
		return MA_ERR_IO;
	}
	bind_text(ins, 1, m->org_name);
	bind_text(ins, 2, m->report_id);
	bind_text(ins, 3, m->domain);
	sqlite3_bind_int64(ins, 4, m->begin);
	sqlite3_bind_int64(ins, 5, m->end);
	bind_text(ins, 6, m->email);
	bind_text(ins, 7, m->extra_contact_info);
	sqlite3_bind_int(ins, 8, (int)m->schema);
	bind_text(ins, 9, m->version);
	bind_text(ins, 10, m->generator);
	bind_text(ins, 11, errors);
	bind_text(ins, 12, m->adkim);
	bind_text(ins, 13, m->aspf);
	bind_text(ins, 14, m->p);
	bind_text(ins, 15, m->sp);
	bind_text(ins, 16, m->np);
	bind_opt_i64(ins, 17, m->pct);
	bind_text(ins, 18, m->fo);
	bind_text(ins, 19, m->testing);
	bind_text(ins, 20, m->discovery_method);
	bind_text(ins, 21, quirk_text);
	bind_origin(ins, 22, o, raw_id);
	sqlite3_bind_int64(ins, 26, now_seconds());
	err = run_id(s, ins, "storing the report", &id, &found);
	free(errors);
	free(quirk_text);
	if (err != MA_OK) {
		tx_rollback(s);
		return err;
	}
	s->open_report = id;
	s->open_end = m->end;
	s->open_records = s->open_messages = 0;
	*report = id;
	return MA_OK;
}

static bool any_pass_dkim(const struct ma_agg_record *r)
{
	for (size_t i = 0; i < r->ndkim; i++)
		if (r->dkim[i].result == MA_AGG_R_PASS)
			return true;
	return false;
}

static bool any_pass_spf(const struct ma_agg_record *r)
{
	for (size_t i = 0; i < r->nspf; i++)
		if (r->spf[i].result == MA_AGG_R_PASS)
			return true;
	return false;
}

static json_t *reasons_json(const struct ma_agg_record *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < r->nreasons; i++)
		json_array_append_new(a, json_pack("{s:o,s:o}", "type", jstr(r->reasons[i].type), "comment",
		                                   jstr(r->reasons[i].comment)));
	return a;
}

static int auth_put(struct sqlite_store *s, int64_t rec, const char *kind, const char *domain, const char *selector,
                    const char *scope, enum ma_agg_result result, const char *text, const char *human)
{
	sqlite3_stmt *st = stmt(s, S_AUTH_PUT);
	if (st == NULL)
		return MA_ERR_IO;
	sqlite3_bind_int64(st, 1, rec);
	bind_text(st, 2, kind);
	bind_text(st, 3, domain ? domain : "");
	bind_text(st, 4, selector);
	bind_text(st, 5, scope);
	bind_text(st, 6, result_name(result));
	bind_text(st, 7, text);
	bind_text(st, 8, human);
	return run(s, st, "storing an authentication result");
}

static int sq_agg_record(struct ma_store *st, int64_t report, const struct ma_agg_record *r)
{
	struct sqlite_store *s = S(st);
	if (report == 0 || report != s->open_report)
		return ma_store_fail(st, MA_ERR_STATE, "no such open report");
	bool dkim_pass = any_pass_dkim(r), spf_pass = any_pass_spf(r);
	/* DMARC passes when either aligned verdict passes (RFC 7489 6.6.2; policy_evaluated holds the aligned ones). */
	bool dmarc_pass = r->dkim_aligned == MA_AGG_R_PASS || r->spf_aligned == MA_AGG_R_PASS;
	char *reasons = json_text(reasons_json(r));
	char *quirks = json_text(findings_json(&r->findings));
	sqlite3_stmt *ins = stmt(s, S_REC_PUT);
	if (ins == NULL) {
		free(reasons);
		free(quirks);
		return MA_ERR_IO;
	}
	sqlite3_bind_int64(ins, 1, report);
	bind_text(ins, 2, r->source_ip);
	bind_text(ins, 3, r->source_ip[0] ? NULL : r->source_ip_raw);
	/* SQLite integers are signed 64-bit; a count past that is nonsense and is clamped. */
	sqlite3_bind_int64(ins, 4, r->count > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)r->count);
	bind_text(ins, 5, disposition_name(r->disposition));
	bind_text(ins, 6, result_name(r->dkim_aligned));
	bind_text(ins, 7, result_name(r->spf_aligned));
	sqlite3_bind_int(ins, 8, dkim_pass);
	sqlite3_bind_int(ins, 9, spf_pass);
	sqlite3_bind_int(ins, 10, dmarc_pass);
	bind_text(ins, 11, reasons);
	bind_text(ins, 12, r->header_from);
	bind_text(ins, 13, r->envelope_from);
	bind_text(ins, 14, r->envelope_to);
	bind_text(ins, 15, quirks);
	int64_t rec;
	bool found;
	int err = run_id(s, ins, "storing a record", &rec, &found);
	free(reasons);
	free(quirks);
	if (err != MA_OK)
		return err;
	for (size_t i = 0; i < r->ndkim && err == MA_OK; i++) {
		const struct ma_agg_auth_dkim *d = &r->dkim[i];
		err =
		    auth_put(s, rec, "dkim", d->domain, d->selector, NULL, d->result, d->result_text, d->human_result);
		/* Learned selectors: a selector seen signing for a domain is one the scanner should check. */
		if (err == MA_OK && d->domain && d->domain[0] && d->selector && d->selector[0]) {
			sqlite3_stmt *sel = stmt(s, S_SELECTOR_PUT);
			if (sel == NULL)
				return MA_ERR_IO;
			bind_text(sel, 1, d->domain);
			bind_text(sel, 2, d->selector);
			sqlite3_bind_int64(sel, 3, s->open_end);
			err = run(s, sel, "recording a DKIM selector");
		}
	}
	for (size_t i = 0; i < r->nspf && err == MA_OK; i++) {
		const struct ma_agg_auth_spf *p = &r->spf[i];
		err = auth_put(s, rec, "spf", p->domain, NULL, p->scope, p->result, p->result_text, NULL);
	}
	if (err == MA_OK) {
		s->open_records++;
		s->open_messages += r->count;
	}
	return err;
}

static int sq_agg_commit(struct ma_store *st, int64_t report)
{
	struct sqlite_store *s = S(st);
	if (report == 0 || report != s->open_report)
		return ma_store_fail(st, MA_ERR_STATE, "no such open report");
	sqlite3_stmt *up = stmt(s, S_AGG_TOTALS);
	int err = MA_ERR_IO;
	if (up != NULL) {
		sqlite3_bind_int64(up, 1, report);
		sqlite3_bind_int64(up, 2, (int64_t)s->open_records);
		sqlite3_bind_int64(up, 3,
		                   s->open_messages > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)s->open_messages);
		err = run(s, up, "writing the report's totals");
	}
	s->open_report = 0;
	if (err != MA_OK) {
		tx_rollback(s);
		return err;
	}
	return tx_commit(s);
}

static int sq_agg_abort(struct ma_store *st, int64_t report)
{
	struct sqlite_store *s = S(st);
	if (report == 0 || report != s->open_report)
		return ma_store_fail(st, MA_ERR_STATE, "no such open report");
	s->open_report = 0;
	tx_rollback(s);
	return MA_OK;
}

/* ---- Failure and TLS reports ------------------------------------------------------------------------------ */

static json_t *failure_json(const struct ma_failure_report *r)
{
	return json_pack("{s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o}",
	                 "arf", r->arf, "feedback_type", jstr(r->feedback_type), "user_agent", jstr(r->user_agent),
	                 "version", jstr(r->version), "reported_domain", jstr(r->reported_domain), "source_ip",
	                 jstr(r->source_ip), "original_mail_from", jstr(r->original_mail_from), "original_rcpt_to",
	                 jstr(r->original_rcpt_to), "auth_failure", jstr(r->auth_failure), "authentication_results",
	                 jstr(r->authentication_results), "dkim_domain", jstr(r->dkim_domain), "dkim_selector",
	                 jstr(r->dkim_selector), "dkim_identity", jstr(r->dkim_identity), "spf_dns", jstr(r->spf_dns),
	                 "delivery_result", jstr(r->delivery_result), "identity_alignment", jstr(r->identity_alignment),
	                 "header_from", jstr(r->header_from), "arrival", (json_int_t)r->arrival, "subject",
	                 jstr(r->subject), "message_id", jstr(r->message_id), "original_headers",
	                 jstr(r->original_headers), "quirks", findings_json(&r->findings));
}

static int sq_failure_put(struct ma_store *st, const struct ma_failure_report *r, const struct ma_store_origin *o,
                          bool *duplicate)
{
	struct sqlite_store *s = S(st);
	*duplicate = false;
	if (r->reported_domain == NULL || r->reported_domain[0] == '\0')
		return ma_store_fail(st, MA_ERR_INVAL, "failure report without a reported domain");
	json_t *j = failure_json(r);
	char *doc = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (doc == NULL)
		return ma_store_fail(st, MA_ERR_NOMEM, "out of memory");
	/* The feedback hash tells apart two reports about one message (e.g. an SPF and a DKIM failure report). */
	char hash[65];
	sha256_hex(doc, strlen(doc), hash);
	const char *mid = r->message_id ? r->message_id : "";
	int err = tx_begin(s);
	int64_t id, raw_id = 0;
	bool found = false;
	sqlite3_stmt *q = err == MA_OK ? stmt(s, S_FAIL_FIND) : NULL;
	if (q != NULL) {
		bind_text(q, 1, r->reported_domain);
		bind_text(q, 2, r->source_ip ? r->source_ip : "");
		sqlite3_bind_int64(q, 3, r->arrival);
		bind_text(q, 4, mid);
		bind_text(q, 5, hash);
		err = run_id(s, q, "looking up the failure report", &id, &found);
	} else if (err == MA_OK)
		err = MA_ERR_IO;
	if (err == MA_OK && !found)
		err = raw_put(s, o, &raw_id);
	if (err == MA_OK && !found) {
		sqlite3_stmt *ins = stmt(s, S_FAIL_PUT);
		if (ins == NULL)
			err = MA_ERR_IO;
		else {
			bind_text(ins, 1, r->reported_domain);
			bind_text(ins, 2, r->source_ip ? r->source_ip : "");
			sqlite3_bind_int64(ins, 3, r->arrival);
			bind_text(ins, 4, mid);
			bind_text(ins, 5, hash);
			sqlite3_bind_int(ins, 6, r->arf);
			bind_text(ins, 7, r->feedback_type);
			bind_text(ins, 8, r->auth_failure);
			bind_text(ins, 9, r->header_from);
			bind_text(ins, 10, doc);
			bind_origin(ins, 11, o, raw_id);
			sqlite3_bind_int64(ins, 15, now_seconds());
			err = run(s, ins, "storing the failure report");
		}
	}
	free(doc);
	if (err != MA_OK || found) {
		tx_rollback(s);
		*duplicate = found;
		return err;
	}
	return tx_commit(s);
}

static json_t *tls_json(const struct ma_tls_report *r)
{
	json_t *pols = json_array();
	for (size_t i = 0; pols != NULL && i < r->npolicies; i++) {
		const struct ma_tlsrep_policy *p = &r->policies[i];
		json_t *fails = json_array();
		for (size_t k = 0; fails != NULL && k < p->nfailures; k++) {
			const struct ma_tlsrep_failure *f = &p->failures[k];
			json_array_append_new(
			    fails,
			    json_pack(
			        "{s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o}", "result_type", jstr(f->result_type),
			        "sending_mta_ip", jstr(f->sending_mta_ip), "receiving_mx_hostname",
			        jstr(f->receiving_mx_hostname), "receiving_mx_helo", jstr(f->receiving_mx_helo),
			        "receiving_ip", jstr(f->receiving_ip), "failed_session_count",
			        (json_int_t)(f->failed_session_count > INT64_MAX ? INT64_MAX : f->failed_session_count),
			        "additional_information", jstr(f->additional_information), "failure_reason_code",
			        jstr(f->failure_reason_code)));
		}
		json_array_append_new(
		    pols, json_pack("{s:o,s:o,s:o,s:o,s:I,s:I,s:o}", "policy_type", jstr(p->policy_type),
		                    "policy_strings", jstrs(p->policy_strings, p->npolicy_strings), "policy_domain",
		                    jstr(p->policy_domain), "mx_hosts", jstrs(p->mx_hosts, p->nmx_hosts), "successful",
		                    (json_int_t)(p->total_successful > INT64_MAX ? INT64_MAX : p->total_successful),
		                    "failed", (json_int_t)(p->total_failure > INT64_MAX ? INT64_MAX : p->total_failure),
		                    "failures", fails));
	}
	return json_pack("{s:o,s:I,s:I,s:o,s:o,s:o,s:o}", "organization_name", jstr(r->organization_name), "begin",
	                 (json_int_t)r->begin, "end", (json_int_t)r->end, "contact_info", jstr(r->contact_info),
	                 "report_id", jstr(r->report_id), "policies", pols, "quirks", findings_json(&r->findings));
}

static int tls_policies_put(struct sqlite_store *s, int64_t id, const struct ma_tls_report *r)
{
	int err = MA_OK;
	for (size_t i = 0; i < r->npolicies && err == MA_OK; i++) {
		const struct ma_tlsrep_policy *p = &r->policies[i];
		char *mx = json_text(jstrs(p->mx_hosts, p->nmx_hosts));
		sqlite3_stmt *ins = stmt(s, S_TLS_POLICY_PUT);
		if (ins == NULL) {
			free(mx);
			return MA_ERR_IO;
		}
		sqlite3_bind_int64(ins, 1, id);
		bind_text(ins, 2, p->policy_type ? p->policy_type : "");
		bind_text(ins, 3, p->policy_domain ? p->policy_domain : "");
		bind_text(ins, 4, mx);
		sqlite3_bind_int64(ins, 5, p->total_successful > INT64_MAX ? INT64_MAX : (int64_t)p->total_successful);
		sqlite3_bind_int64(ins, 6, p->total_failure > INT64_MAX ? INT64_MAX : (int64_t)p->total_failure);
		err = run(s, ins, "storing a TLS report policy");
		free(mx);
	}
	return err;
}

static int sq_tls_put(struct ma_store *st, const struct ma_tls_report *r, const struct ma_store_origin *o,
                      bool *duplicate)
{
	struct sqlite_store *s = S(st);
	*duplicate = false;
	if (r->report_id == NULL || r->report_id[0] == '\0')
		return ma_store_fail(st, MA_ERR_INVAL, "TLS report without a report-id");
	json_t *j = tls_json(r);
	char *doc = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (doc == NULL)
		return ma_store_fail(st, MA_ERR_NOMEM, "out of memory");
	const char *org = r->organization_name ? r->organization_name : "";
	int err = tx_begin(s);
	int64_t id = 0, raw_id = 0;
	bool found = false;
	sqlite3_stmt *q = err == MA_OK ? stmt(s, S_TLS_FIND) : NULL;
	if (q != NULL) {
		bind_text(q, 1, org);
		bind_text(q, 2, r->report_id);
		sqlite3_bind_int64(q, 3, r->begin);
		sqlite3_bind_int64(q, 4, r->end);
		err = run_id(s, q, "looking up the TLS report", &id, &found);
	} else if (err == MA_OK)
		err = MA_ERR_IO;
	if (err == MA_OK && !found)
		err = raw_put(s, o, &raw_id);
	if (err == MA_OK && !found) {
		sqlite3_stmt *ins = stmt(s, S_TLS_PUT);
		if (ins == NULL)
			err = MA_ERR_IO;
		else {
			bind_text(ins, 1, org);
			bind_text(ins, 2, r->report_id);
			sqlite3_bind_int64(ins, 3, r->begin);
			sqlite3_bind_int64(ins, 4, r->end);
			bind_text(ins, 5, r->contact_info);
			bind_text(ins, 6, doc);
			bind_origin(ins, 7, o, raw_id);
			sqlite3_bind_int64(ins, 11, now_seconds());
			bool got;
			err = run_id(s, ins, "storing the TLS report", &id, &got);
		}
		if (err == MA_OK)
			err = tls_policies_put(s, id, r);
	}
	free(doc);
	if (err != MA_OK || found) {
		tx_rollback(s);
		*duplicate = found;
		return err;
	}
	return tx_commit(s);
}

/* ---- Errors and mailbox progress -------------------------------------------------------------------------- */

static int sq_ingest_error(struct ma_store *st, const struct ma_store_origin *o, const char *reason)
{
	struct sqlite_store *s = S(st);
	if (s->open_report != 0)
		return ma_store_fail(st, MA_ERR_STATE, "an aggregate report is open");
	int err = tx_begin(s);
	int64_t raw_id = 0;
	if (err == MA_OK)
		err = raw_put(s, o, &raw_id);
	if (err == MA_OK) {
		sqlite3_stmt *ins = stmt(s, S_ERROR_PUT);
		if (ins == NULL)
			err = MA_ERR_IO;
		else {
			bind_text(ins, 1, o->source);
			bind_text(ins, 2, o->where);
			bind_text(ins, 3, reason);
			bind_opt_i64(ins, 4, raw_id > 0 ? raw_id : -1);
			bind_opt_i64(ins, 5, o->received);
			sqlite3_bind_int64(ins, 6, now_seconds());
			err = run(s, ins, "recording an ingest error");
		}
	}
	if (err != MA_OK) {
		tx_rollback(s);
		return err;
	}
	return tx_commit(s);
}

static int sq_message_done(struct ma_store *st, const char *key)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *ins = stmt(s, S_MSG_DONE);
	if (ins == NULL)
		return MA_ERR_IO;
	bind_text(ins, 1, key);
	sqlite3_bind_int64(ins, 2, now_seconds());
	return run(s, ins, "recording a processed message");
}

static int sq_message_seen(struct ma_store *st, const char *key, bool *seen)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, S_MSG_SEEN);
	if (q == NULL)
		return MA_ERR_IO;
	bind_text(q, 1, key);
	int64_t one;
	return run_id(s, q, "looking up a processed message", &one, seen);
}

/* ---- Queries ---------------------------------------------------------------------------------------------- */

static const char *col_text(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? (const char *)t : "";
}

static uint64_t col_u64(sqlite3_stmt *q, int i)
{
	int64_t v = sqlite3_column_int64(q, i);
	return v < 0 ? 0 : (uint64_t)v;
}

/* Step through a query's rows; `row` turns the current one into a callback call. */
static int each_row(struct sqlite_store *s, sqlite3_stmt *q, const char *what, int (*row)(sqlite3_stmt *, void *),
                    void *arg)
{
	if (q == NULL)
		return MA_ERR_IO;
	int rc, err = MA_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		err = row(q, arg);
		if (err != 0)
			break;
	}
	if (err == MA_OK && rc != SQLITE_DONE)
		err = db_fail(s, rc, what);
	sqlite3_reset(q);
	return err;
}

struct sources_ctx {
	int (*cb)(const struct ma_store_source_row *row, void *arg);
	void *arg;
};

static int sources_row(sqlite3_stmt *q, void *arg)
{
	struct sources_ctx *c = arg;
	struct ma_store_source_row r = {
	    .ip = col_text(q, 0),
	    .messages = col_u64(q, 1),
	    .spf_pass = col_u64(q, 2),
	    .spf_aligned = col_u64(q, 3),
	    .dkim_pass = col_u64(q, 4),
	    .dkim_aligned = col_u64(q, 5),
	    .dmarc_pass = col_u64(q, 6),
	    .disp_none = col_u64(q, 7),
	    .disp_quarantine = col_u64(q, 8),
	    .disp_reject = col_u64(q, 9),
	    .dkim_domains = col_text(q, 10),
	    .dkim_selectors = col_text(q, 11),
	    .spf_domains = col_text(q, 12),
	    .reporters = col_text(q, 13),
	    .first_seen = sqlite3_column_int64(q, 14),
	    .last_seen = sqlite3_column_int64(q, 15),
	};
	return c->cb(&r, c->arg);
}

static int sq_sources(struct ma_store *st, const char *domain, int64_t since,
                      int (*cb)(const struct ma_store_source_row *row, void *arg), void *arg)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, S_SOURCES);
	if (q != NULL) {
		bind_text(q, 1, domain);
		sqlite3_bind_int64(q, 2, since);
	}
	return each_row(s, q, "reading sources", sources_row, &(struct sources_ctx){cb, arg});
}

struct summary_ctx {
	int (*cb)(const struct ma_store_summary_row *row, void *arg);
	void *arg;
};

static int summary_row(sqlite3_stmt *q, void *arg)
{
	struct summary_ctx *c = arg;
	struct ma_store_summary_row r = {
	    .domain = col_text(q, 0),
	    .day = col_text(q, 1),
	    .messages = col_u64(q, 2),
	    .dmarc_pass = col_u64(q, 3),
	    .reports = col_u64(q, 4),
	    .reporters = col_text(q, 5),
	};
	return c->cb(&r, c->arg);
}

static int sq_summary(struct ma_store *st, const char *domain,
                      int (*cb)(const struct ma_store_summary_row *row, void *arg), void *arg)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, domain ? S_SUMMARY_ONE : S_SUMMARY_ALL);
	if (q != NULL && domain)
		bind_text(q, 1, domain);
	return each_row(s, q, "reading the summary", summary_row, &(struct summary_ctx){cb, arg});
}

struct string_ctx {
	int (*cb)(const char *s, void *arg);
	void *arg;
};

static int string_row(sqlite3_stmt *q, void *arg)
{
	struct string_ctx *c = arg;
	return c->cb(col_text(q, 0), c->arg);
}

static int sq_selectors(struct ma_store *st, const char *domain, int (*cb)(const char *selector, void *arg), void *arg)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, S_SELECTORS);
	if (q != NULL)
		bind_text(q, 1, domain);
	return each_row(s, q, "reading DKIM selectors", string_row, &(struct string_ctx){cb, arg});
}

static int sq_ptr_get(struct ma_store *st, const char *ip, char **name, int64_t *when, bool *found)
{
	struct sqlite_store *s = S(st);
	*name = NULL;
	*found = false;
	sqlite3_stmt *q = stmt(s, S_PTR_GET);
	if (q == NULL)
		return MA_ERR_IO;
	bind_text(q, 1, ip);
	int rc = sqlite3_step(q), err = MA_OK;
	if (rc == SQLITE_ROW) {
		*name = strdup(col_text(q, 0));
		*when = sqlite3_column_int64(q, 1);
		if (*name == NULL)
			err = ma_store_fail(st, MA_ERR_NOMEM, "out of memory");
		else
			*found = true;
	} else if (rc != SQLITE_DONE)
		err = db_fail(s, rc, "reading the PTR cache");
	sqlite3_reset(q);
	return err;
}

static int sq_ptr_put(struct ma_store *st, const char *ip, const char *name, int64_t when)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, S_PTR_PUT);
	if (q == NULL)
		return MA_ERR_IO;
	bind_text(q, 1, ip);
	bind_text(q, 2, name);
	sqlite3_bind_int64(q, 3, when);
	return run(s, q, "writing the PTR cache");
}

/* ---- Scans ------------------------------------------------------------------------------------------------ */

static int sq_scan_put(struct ma_store *st, const struct ma_store_scan *scan, int64_t *scan_id)
{
	struct sqlite_store *s = S(st);
	if (s->open_report != 0)
		return ma_store_fail(st, MA_ERR_STATE, "an aggregate report is open");
	int err = tx_begin(s);
	int64_t id = 0;
	bool found;
	sqlite3_stmt *ins = err == MA_OK ? stmt(s, S_SCAN_PUT) : NULL;
	if (ins != NULL) {
		bind_text(ins, 1, scan->domain);
		sqlite3_bind_int64(ins, 2, scan->when);
		bind_text(ins, 3, scan->json);
		err = run_id(s, ins, "storing the scan", &id, &found);
	} else if (err == MA_OK)
		err = MA_ERR_IO;
	for (size_t i = 0; err == MA_OK && i < scan->nfinding_ids; i++) {
		sqlite3_stmt *f = stmt(s, S_SCAN_FINDING_PUT);
		if (f == NULL) {
			err = MA_ERR_IO;
			break;
		}
		sqlite3_bind_int64(f, 1, id);
		bind_text(f, 2, scan->finding_ids[i]);
		err = run(s, f, "storing the scan's findings");
	}
	if (err != MA_OK) {
		tx_rollback(s);
		return err;
	}
	err = tx_commit(s);
	if (err == MA_OK && scan_id != NULL)
		*scan_id = id;
	return err;
}

static int sq_scan_latest(struct ma_store *st, const char *domain, int64_t before, char **json, int64_t *when,
                          bool *found)
{
	struct sqlite_store *s = S(st);
	*json = NULL;
	*found = false;
	sqlite3_stmt *q = stmt(s, S_SCAN_LATEST);
	if (q == NULL)
		return MA_ERR_IO;
	bind_text(q, 1, domain);
	sqlite3_bind_int64(q, 2, before);
	int rc = sqlite3_step(q), err = MA_OK;
	if (rc == SQLITE_ROW) {
		*json = strdup(col_text(q, 0));
		if (when != NULL)
			*when = sqlite3_column_int64(q, 1);
		if (*json == NULL)
			err = ma_store_fail(st, MA_ERR_NOMEM, "out of memory");
		else
			*found = true;
	} else if (rc != SQLITE_DONE)
		err = db_fail(s, rc, "reading the latest scan");
	sqlite3_reset(q);
	return err;
}

static int sq_scan_domains(struct ma_store *st, int (*cb)(const char *domain, void *arg), void *arg)
{
	struct sqlite_store *s = S(st);
	return each_row(s, stmt(s, S_SCAN_DOMAINS), "reading scanned domains", string_row,
	                &(struct string_ctx){cb, arg});
}

/* ---- Open, migrate, close --------------------------------------------------------------------------------- */

static int sq_schema_version(struct ma_store *st, int *version)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "reading the schema version");
	rc = sqlite3_step(q);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? MA_OK : db_fail(s, rc, "reading the schema version");
	sqlite3_finalize(q);
	return err;
}

static int exec(struct sqlite_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return MA_OK;
	int err = rc == SQLITE_NOMEM                            ? MA_ERR_NOMEM
	          : rc == SQLITE_BUSY || rc == SQLITE_LOCKED    ? MA_ERR_TIMEOUT
	          : rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? MA_ERR_PARSE
	                                                        : MA_ERR_IO;
	ma_store_fail(&s->base, err, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return err;
}

static int migrate(struct sqlite_store *s)
{
	/* IMMEDIATE: two processes opening a new file at once must not both apply migration 1. */
	int err = exec(s, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
	               "opening the database");
	if (err != MA_OK)
		return err;
	int version = 0;
	err = sq_schema_version(&s->base, &version);
	if (err == MA_OK && version > MIGRATIONS) {
		err = ma_store_fail(
		    &s->base, MA_ERR_UNSUPPORTED,
		    "the database has schema version %d, newer than this mailassure knows (%d): use a newer "
		    "mailassure",
		    version, MIGRATIONS);
	}
	if (err == MA_OK && version == 0)
		err = exec(s, "INSERT INTO schema_version (version) VALUES (0)", "initialising the schema version");
	if (err == MA_OK)
		err = exec(s, "COMMIT", "committing");
	for (int v = version + 1; err == MA_OK && v <= MIGRATIONS; v++) {
		char bump[96];
		snprintf(bump, sizeof bump, "UPDATE schema_version SET version = %d;", v);
		err = exec(s, "BEGIN IMMEDIATE", "starting a migration");
		if (err == MA_OK) {
			int cur = 0;
			/* Another process may have migrated meanwhile. */
			err = sq_schema_version(&s->base, &cur);
			if (err == MA_OK && cur < v) {
				err = exec(s, migrations[v - 1], "applying a schema migration");
				if (err == MA_OK)
					err = exec(s, bump, "recording the schema version");
			}
			if (err == MA_OK)
				err = exec(s, "COMMIT", "committing a schema migration");
		}
	}
	if (err != MA_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static void sq_close(struct ma_store *st)
{
	struct sqlite_store *s = S(st);
	if (s->open_report != 0)
		tx_rollback(s);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

static const struct ma_store_ops sqlite_ops = {
    .close = sq_close,
    .schema_version = sq_schema_version,
    .agg_begin = sq_agg_begin,
    .agg_record = sq_agg_record,
    .agg_commit = sq_agg_commit,
    .agg_abort = sq_agg_abort,
    .failure_put = sq_failure_put,
    .tls_put = sq_tls_put,
    .ingest_error = sq_ingest_error,
    .message_done = sq_message_done,
    .message_seen = sq_message_seen,
    .sources = sq_sources,
    .summary = sq_summary,
    .selectors = sq_selectors,
    .ptr_get = sq_ptr_get,
    .ptr_put = sq_ptr_put,
    .scan_put = sq_scan_put,
    .scan_latest = sq_scan_latest,
    .scan_domains = sq_scan_domains,
};

int ma_store_sqlite_open(const char *path, struct ma_store **out, char **why)
{
	*out = NULL;
	struct sqlite_store *s = calloc(1, sizeof *s);
	if (s == NULL) {
		if (why)
			*why = strdup("out of memory");
		return MA_ERR_NOMEM;
	}
	s->base.ops = &sqlite_ops;
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	int err = MA_OK;
	if (rc != SQLITE_OK) {
		err = rc == SQLITE_NOMEM ? MA_ERR_NOMEM : MA_ERR_IO;
		ma_store_fail(&s->base, err, "cannot open %s: %s", path,
		              s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	} else {
		sqlite3_busy_timeout(s->db, 10000);
		sqlite3_extended_result_codes(s->db, 0);
		/* WAL first: it is what makes synchronous=NORMAL crash-safe for committed transactions. */
		err = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
		           "setting up the database");
		if (err == MA_ERR_PARSE)
			ma_store_fail(&s->base, MA_ERR_PARSE, "%s is not a mailassure store (not a SQLite database)",
			              path);
		if (err == MA_OK)
			err = migrate(s);
	}
	if (err != MA_OK) {
		if (why)
			*why = strdup(s->base.why[0] ? s->base.why : ma_err_str(err));
		sq_close(&s->base);
		return err;
	}
	*out = &s->base;
	return MA_OK;
}
