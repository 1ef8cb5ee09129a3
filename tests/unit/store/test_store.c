/* tests/unit/store/test_store.c — the SQLite store through store.h: migrations, dedup, transactions, queries with
 * exact expected figures, scan history, and crash safety (a writer killed with SIGKILL mid-report). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "lib/err.h"
#include "store/store.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ma-store-test.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path(const char *name)
{
	static char buf[400];
	snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
	return buf;
}

static struct ma_store *open_ok(const char *p)
{
	struct ma_store *st = NULL;
	char *why = NULL;
	int err = ma_store_open(p, &st, &why);
	if (err != MA_OK)
		fail_msg("open %s: %s", p, why ? why : "?");
	free(why);
	return st;
}

/* ---- Report builders ---------------------------------------------------------------------------------------- */

static char empty[] = "";

static struct ma_agg_meta meta(char *org, char *id, char *domain, int64_t begin, int64_t end)
{
	return (struct ma_agg_meta){
	    .schema = MA_AGG_SCHEMA_RFC7489,
	    .version = empty,
	    .org_name = org,
	    .email = empty,
	    .extra_contact_info = empty,
	    .report_id = id,
	    .generator = empty,
	    .begin = begin,
	    .end = end,
	    .domain = domain,
	    .adkim = empty,
	    .aspf = empty,
	    .p = (char *)"none",
	    .sp = empty,
	    .np = empty,
	    .pct = -1,
	    .fo = empty,
	    .testing = empty,
	    .discovery_method = empty,
	};
}

struct rec_spec {
	const char *ip;
	uint64_t count;
	enum ma_agg_disposition disp;
	enum ma_agg_result dkim_aligned, spf_aligned;
	const char *dkim_domain, *selector; /* NULL: no DKIM result */
	enum ma_agg_result dkim_result;
	const char *spf_domain;
	enum ma_agg_result spf_result;
};

static int put_report(struct ma_store *st, char *org, char *id, char *domain, int64_t begin, int64_t end,
                      const struct rec_spec *recs, size_t n, bool *dup)
{
	struct ma_agg_meta m = meta(org, id, domain, begin, end);
	int64_t rep;
	const char raw[] = "raw report bytes";
	struct ma_store_origin o = {.source = "test", .where = id, .raw = raw, .rawlen = sizeof raw, .received = end};
	int err = ma_store_agg_begin(st, &m, NULL, &o, &rep, dup);
	if (err != MA_OK || *dup)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct ma_agg_auth_dkim d = {.domain = (char *)recs[i].dkim_domain,
		                             .selector = (char *)recs[i].selector,
		                             .result = recs[i].dkim_result,
		                             .result_text = empty,
		                             .human_result = empty};
		struct ma_agg_auth_spf s = {.domain = (char *)recs[i].spf_domain,
		                            .scope = (char *)"mfrom",
		                            .result = recs[i].spf_result,
		                            .result_text = empty};
		struct ma_agg_record r = {
		    .count = recs[i].count,
		    .disposition = recs[i].disp,
		    .dkim_aligned = recs[i].dkim_aligned,
		    .spf_aligned = recs[i].spf_aligned,
		    .header_from = domain,
		    .envelope_from = empty,
		    .envelope_to = empty,
		    .source_ip_raw = empty,
		    .dkim = recs[i].dkim_domain ? &d : NULL,
		    .ndkim = recs[i].dkim_domain ? 1 : 0,
		    .spf = recs[i].spf_domain ? &s : NULL,
		    .nspf = recs[i].spf_domain ? 1 : 0,
		};
		snprintf(r.source_ip, sizeof r.source_ip, "%s", recs[i].ip);
		err = ma_store_agg_record(st, rep, &r);
		if (err != MA_OK) {
			ma_store_agg_abort(st, rep);
			return err;
		}
	}
	return ma_store_agg_commit(st, rep);
}

static long long count_rows(const char *db, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	long long n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

/* ---- Tests -------------------------------------------------------------------------------------------------- */

static void test_open_migrate_reopen(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("a.db"));
	int v = -1;
	assert_int_equal(ma_store_schema_version(st, &v), MA_OK);
	assert_true(v >= 1);
	ma_store_close(st);
	st = open_ok(path("a.db"));
	int v2 = -1;
	assert_int_equal(ma_store_schema_version(st, &v2), MA_OK);
	assert_int_equal(v, v2);
	ma_store_close(st);
	/* "sqlite:" prefix names the same backend. */
	char uri[450];
	snprintf(uri, sizeof uri, "sqlite:%s", path("a.db"));
	ma_store_close(open_ok(uri));
}

static void test_newer_schema_refused(void **state)
{
	(void)state;
	ma_store_close(open_ok(path("new.db")));
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path("new.db"), &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE schema_version SET version = 9999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	struct ma_store *st = NULL;
	char *why = NULL;
	assert_int_equal(ma_store_open(path("new.db"), &st, &why), MA_ERR_UNSUPPORTED);
	assert_null(st);
	assert_non_null(why);
	assert_non_null(strstr(why, "newer"));
	free(why);
}

static void test_not_a_database(void **state)
{
	(void)state;
	FILE *f = fopen(path("junk.db"), "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database at all\n", f);
	fclose(f);
	struct ma_store *st = NULL;
	char *why = NULL;
	assert_int_not_equal(ma_store_open(path("junk.db"), &st, &why), MA_OK);
	assert_null(st);
	assert_non_null(why);
	assert_non_null(strstr(why, "not a mailassure store"));
	free(why);
	/* A directory that does not exist. */
	assert_int_equal(ma_store_open(path("no/such/dir/x.db"), &st, &why), MA_ERR_IO);
	free(why);
	/* PostgreSQL is named but not built yet: said plainly. */
	assert_int_equal(ma_store_open("postgresql://localhost/mail", &st, &why), MA_ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "PostgreSQL"));
	free(why);
}

static void test_default_path(void **state)
{
	(void)state;
	char xdg[400];
	snprintf(xdg, sizeof xdg, "%s/xdg/data", tmpdir);
	setenv("XDG_DATA_HOME", xdg, 1);
	struct ma_store *st = open_ok(NULL);
	ma_store_close(st);
	char db[450];
	snprintf(db, sizeof db, "%s/mailassure/mailassure.db", xdg);
	struct stat sb;
	assert_int_equal(stat(db, &sb), 0);
	snprintf(db, sizeof db, "%s/mailassure", xdg);
	assert_int_equal(stat(db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* A relative XDG_DATA_HOME is ignored (XDG Base Directory): HOME is used. */
	setenv("XDG_DATA_HOME", "relative/path", 1);
	char home[400];
	snprintf(home, sizeof home, "%s/home", tmpdir);
	setenv("HOME", home, 1);
	ma_store_close(open_ok(""));
	snprintf(db, sizeof db, "%s/.local/share/mailassure/mailassure.db", home);
	assert_int_equal(stat(db, &sb), 0);
	unsetenv("XDG_DATA_HOME");
}

static const struct rec_spec weak_recs[] = {
    {"192.0.2.40", 100, MA_AGG_D_NONE, MA_AGG_R_PASS, MA_AGG_R_PASS, "weak.test", "sel1", MA_AGG_R_PASS, "weak.test",
     MA_AGG_R_PASS},
    {"198.51.100.20", 30, MA_AGG_D_NONE, MA_AGG_R_FAIL, MA_AGG_R_PASS, "mailhost.test", "mh1", MA_AGG_R_PASS,
     "weak.test", MA_AGG_R_PASS},
    {"203.0.113.70", 7, MA_AGG_D_NONE, MA_AGG_R_FAIL, MA_AGG_R_FAIL, NULL, NULL, 0, "weak.test", MA_AGG_R_PERMERROR},
    {"203.0.113.250", 2, MA_AGG_D_QUARANTINE, MA_AGG_R_FAIL, MA_AGG_R_FAIL, "weak.test", "sel1", MA_AGG_R_FAIL,
     "weak.test", MA_AGG_R_FAIL},
};

static void test_dedup_and_totals(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("d.db"));
	bool dup = true;
	assert_int_equal(put_report(st, "google.com", "r1", "weak.test", 1000, 86399, weak_recs, 4, &dup), MA_OK);
	assert_false(dup);
	/* The same key again: nothing written, said duplicate. */
	assert_int_equal(put_report(st, "google.com", "r1", "weak.test", 1000, 86399, weak_recs, 4, &dup), MA_OK);
	assert_true(dup);
	/* Another reporter with the same report_id is not a duplicate; nor is another range. */
	assert_int_equal(put_report(st, "Outlook", "r1", "weak.test", 1000, 86399, weak_recs, 1, &dup), MA_OK);
	assert_false(dup);
	assert_int_equal(put_report(st, "google.com", "r1", "weak.test", 86400, 172799, weak_recs, 1, &dup), MA_OK);
	assert_false(dup);
	ma_store_close(st);
	const char *db = path("d.db");
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM reports"), 3);
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM records"), 6);
	assert_int_equal(
	    count_rows(db, "SELECT messages FROM reports WHERE org_name = 'google.com' AND begin_ts = 1000"), 139);
	assert_int_equal(
	    count_rows(db, "SELECT records FROM reports WHERE org_name = 'google.com' AND begin_ts = 1000"), 4);
	/* The raw original is stored once per distinct content. */
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM raw"), 1);
}

static void test_abort_leaves_nothing(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("ab.db"));
	struct ma_agg_meta m = meta("org", "gone", "weak.test", 1, 2);
	int64_t rep;
	bool dup;
	assert_int_equal(ma_store_agg_begin(st, &m, NULL, NULL, &rep, &dup), MA_OK);
	struct ma_agg_record r = {
	    .count = 5, .header_from = empty, .envelope_from = empty, .envelope_to = empty, .source_ip_raw = empty};
	snprintf(r.source_ip, sizeof r.source_ip, "192.0.2.1");
	assert_int_equal(ma_store_agg_record(st, rep, &r), MA_OK);
	assert_int_equal(ma_store_agg_abort(st, rep), MA_OK);
	/* A record for a report that is no longer open is refused. */
	assert_int_equal(ma_store_agg_record(st, rep, &r), MA_ERR_STATE);
	/* The same report can be stored afterwards: the abort left no dedup key behind. */
	assert_int_equal(ma_store_agg_begin(st, &m, NULL, NULL, &rep, &dup), MA_OK);
	assert_false(dup);
	assert_int_equal(ma_store_agg_commit(st, rep), MA_OK);
	ma_store_close(st);
	assert_int_equal(count_rows(path("ab.db"), "SELECT COUNT(*) FROM records"), 0);
	assert_int_equal(count_rows(path("ab.db"), "SELECT COUNT(*) FROM reports"), 1);
}

struct src_rows {
	int n;
	struct ma_store_source_row r[8];
	char ip[8][46], sel[8][64], doms[8][128], reps[8][128];
};

static int src_cb(const struct ma_store_source_row *row, void *arg)
{
	struct src_rows *c = arg;
	if (c->n >= 8)
		return 1;
	c->r[c->n] = *row;
	snprintf(c->ip[c->n], 46, "%s", row->ip);
	snprintf(c->sel[c->n], 64, "%s", row->dkim_selectors);
	snprintf(c->doms[c->n], 128, "%s", row->dkim_domains);
	snprintf(c->reps[c->n], 128, "%s", row->reporters);
	c->n++;
	return 0;
}

static void test_sources(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("s.db"));
	bool dup;
	assert_int_equal(put_report(st, "google.com", "g1", "weak.test", 1000, 86399, weak_recs, 4, &dup), MA_OK);
	assert_int_equal(put_report(st, "Outlook", "o1", "weak.test", 1000, 86399, weak_recs, 2, &dup), MA_OK);
	assert_int_equal(put_report(st, "google.com", "g2", "good.test", 1000, 86399, weak_recs, 1, &dup), MA_OK);
	struct src_rows c = {0};
	assert_int_equal(ma_store_sources(st, "weak.test", 0, src_cb, &c), MA_OK);
	assert_int_equal(c.n, 4);
	/* Sorted by volume. */
	assert_string_equal(c.ip[0], "192.0.2.40");
	assert_int_equal(c.r[0].messages, 200);
	assert_int_equal(c.r[0].dmarc_pass, 200);
	assert_int_equal(c.r[0].spf_aligned, 200);
	assert_string_equal(c.reps[0], "Outlook,google.com");
	assert_string_equal(c.sel[0], "sel1");
	assert_string_equal(c.ip[1], "198.51.100.20");
	assert_int_equal(c.r[1].messages, 60);
	assert_int_equal(c.r[1].dkim_pass, 60);
	assert_int_equal(c.r[1].dkim_aligned, 0);
	assert_int_equal(c.r[1].dmarc_pass, 60);
	assert_string_equal(c.doms[1], "mailhost.test");
	assert_string_equal(c.ip[2], "203.0.113.70");
	assert_int_equal(c.r[2].messages, 7);
	assert_int_equal(c.r[2].spf_pass, 0);
	assert_int_equal(c.r[2].dmarc_pass, 0);
	assert_string_equal(c.doms[2], "");
	assert_string_equal(c.ip[3], "203.0.113.250");
	assert_int_equal(c.r[3].disp_quarantine, 2);
	assert_int_equal(c.r[3].first_seen, 1000);
	assert_int_equal(c.r[3].last_seen, 86399);
	/* The window: nothing ends after 86399. */
	struct src_rows none = {0};
	assert_int_equal(ma_store_sources(st, "weak.test", 86399, src_cb, &none), MA_OK);
	assert_int_equal(none.n, 0);
	ma_store_close(st);
}

struct sum_rows {
	int n;
	char line[8][200];
};

static int sum_cb(const struct ma_store_summary_row *r, void *arg)
{
	struct sum_rows *c = arg;
	if (c->n < 8)
		snprintf(c->line[c->n++], 200, "%s %s %llu %llu %llu %s", r->domain, r->day,
		         (unsigned long long)r->messages, (unsigned long long)r->dmarc_pass,
		         (unsigned long long)r->reports, r->reporters);
	return 0;
}

static void test_summary(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("sum.db"));
	bool dup;
	/* 2026-11-15 00:00 UTC = 1794700800. */
	assert_int_equal(put_report(st, "google.com", "g1", "weak.test", 1794700800, 1794787199, weak_recs, 4, &dup),
	                 MA_OK);
	assert_int_equal(put_report(st, "Outlook", "o1", "weak.test", 1794700800, 1794787199, weak_recs, 1, &dup),
	                 MA_OK);
	assert_int_equal(put_report(st, "google.com", "g2", "weak.test", 1794787200, 1794873599, weak_recs, 3, &dup),
	                 MA_OK);
	assert_int_equal(put_report(st, "google.com", "g3", "good.test", 1794787200, 1794873599, weak_recs, 1, &dup),
	                 MA_OK);
	struct sum_rows c = {0};
	assert_int_equal(ma_store_summary(st, NULL, sum_cb, &c), MA_OK);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.line[0], "good.test 2026-11-16 100 100 1 google.com");
	assert_string_equal(c.line[1], "weak.test 2026-11-15 239 230 2 Outlook,google.com");
	assert_string_equal(c.line[2], "weak.test 2026-11-16 137 130 1 google.com");
	struct sum_rows one = {0};
	assert_int_equal(ma_store_summary(st, "good.test", sum_cb, &one), MA_OK);
	assert_int_equal(one.n, 1);
	ma_store_close(st);
}

struct strs {
	int n;
	char v[8][64];
};

static int str_cb(const char *s, void *arg)
{
	struct strs *c = arg;
	if (c->n < 8)
		snprintf(c->v[c->n++], 64, "%s", s);
	return 0;
}

static void test_selectors_ptr_messages(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("sel.db"));
	bool dup;
	static const struct rec_spec a[] = {
	    {"192.0.2.1", 1, MA_AGG_D_NONE, MA_AGG_R_PASS, MA_AGG_R_PASS, "weak.test", "old", MA_AGG_R_PASS, NULL, 0}};
	static const struct rec_spec b[] = {
	    {"192.0.2.1", 1, MA_AGG_D_NONE, MA_AGG_R_PASS, MA_AGG_R_PASS, "weak.test", "new", MA_AGG_R_PASS, NULL, 0}};
	assert_int_equal(put_report(st, "x", "1", "weak.test", 100, 200, a, 1, &dup), MA_OK);
	assert_int_equal(put_report(st, "x", "2", "weak.test", 300, 400, b, 1, &dup), MA_OK);
	struct strs s = {0};
	assert_int_equal(ma_store_selectors(st, "weak.test", str_cb, &s), MA_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0], "new"); /* most recent first */
	assert_string_equal(s.v[1], "old");
	struct strs none = {0};
	assert_int_equal(ma_store_selectors(st, "mailhost.test", str_cb, &none), MA_OK);
	assert_int_equal(none.n, 0);

	char *name = NULL;
	int64_t when = 0;
	bool found = true;
	assert_int_equal(ma_store_ptr_get(st, "192.0.2.40", &name, &when, &found), MA_OK);
	assert_false(found);
	assert_int_equal(ma_store_ptr_put(st, "192.0.2.40", "mx1.weak.test", 5), MA_OK);
	assert_int_equal(ma_store_ptr_put(st, "192.0.2.40", "mx1.weak.test", 7), MA_OK);
	assert_int_equal(ma_store_ptr_get(st, "192.0.2.40", &name, &when, &found), MA_OK);
	assert_true(found);
	assert_string_equal(name, "mx1.weak.test");
	assert_int_equal(when, 7);
	free(name);

	bool seen = true;
	assert_int_equal(ma_store_message_seen(st, "maildir:/x;cur/1", &seen), MA_OK);
	assert_false(seen);
	assert_int_equal(ma_store_message_done(st, "maildir:/x;cur/1"), MA_OK);
	assert_int_equal(ma_store_message_done(st, "maildir:/x;cur/1"), MA_OK); /* idempotent */
	assert_int_equal(ma_store_message_seen(st, "maildir:/x;cur/1", &seen), MA_OK);
	assert_true(seen);

	struct ma_store_origin o = {
	    .source = "mbox:/tmp/x", .where = "message 3", .raw = "zz", .rawlen = 2, .received = -1};
	assert_int_equal(ma_store_ingest_error(st, &o, "truncated gzip"), MA_OK);
	ma_store_close(st);
	assert_int_equal(count_rows(path("sel.db"), "SELECT COUNT(*) FROM ingest_errors WHERE reason = 'truncated gzip'"
	                                            " AND src_where = 'message 3'"),
	                 1);
}

static void test_failure_and_tls(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("ft.db"));
	struct ma_failure_report f = {.arf = true,
	                              .feedback_type = (char *)"auth-failure",
	                              .user_agent = empty,
	                              .version = empty,
	                              .reported_domain = (char *)"good.test",
	                              .source_ip = (char *)"203.0.113.251",
	                              .original_mail_from = empty,
	                              .original_rcpt_to = empty,
	                              .auth_failure = (char *)"dmarc",
	                              .authentication_results = empty,
	                              .dkim_domain = empty,
	                              .dkim_selector = empty,
	                              .dkim_identity = empty,
	                              .spf_dns = empty,
	                              .delivery_result = empty,
	                              .identity_alignment = empty,
	                              .arrival = 1794873600,
	                              .header_from = (char *)"good.test",
	                              .subject = (char *)"<script>x</script>",
	                              .message_id = (char *)"<m1@x>",
	                              .original_headers = empty};
	bool dup = true;
	assert_int_equal(ma_store_failure_put(st, &f, NULL, &dup), MA_OK);
	assert_false(dup);
	assert_int_equal(ma_store_failure_put(st, &f, NULL, &dup), MA_OK);
	assert_true(dup);
	f.auth_failure = (char *)"spf"; /* another report about the same message */
	assert_int_equal(ma_store_failure_put(st, &f, NULL, &dup), MA_OK);
	assert_false(dup);

	char *mx[] = {(char *)"mx1.good.test"};
	struct ma_tlsrep_policy p = {.policy_type = (char *)"sts",
	                             .policy_domain = (char *)"good.test",
	                             .mx_hosts = mx,
	                             .nmx_hosts = 1,
	                             .total_successful = 10,
	                             .total_failure = 2};
	struct ma_tls_report t = {.organization_name = (char *)"Google Inc.",
	                          .begin = 10,
	                          .end = 20,
	                          .contact_info = empty,
	                          .report_id = (char *)"tls-1",
	                          .policies = &p,
	                          .npolicies = 1};
	assert_int_equal(ma_store_tls_put(st, &t, NULL, &dup), MA_OK);
	assert_false(dup);
	assert_int_equal(ma_store_tls_put(st, &t, NULL, &dup), MA_OK);
	assert_true(dup);
	ma_store_close(st);
	assert_int_equal(count_rows(path("ft.db"), "SELECT COUNT(*) FROM failure_reports"), 2);
	/* Stored verbatim, never interpreted. */
	assert_int_equal(count_rows(path("ft.db"), "SELECT COUNT(*) FROM failure_reports WHERE report LIKE "
	                                           "'%<script>x</script>%'"),
	                 2);
	assert_int_equal(count_rows(path("ft.db"), "SELECT SUM(failed) FROM tls_policies"), 2);
}

static int dom_cb(const char *d, void *arg)
{
	return str_cb(d, arg);
}

static void test_scan_history(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("scan.db"));
	const char *ids1[] = {"scan.dmarc.none", "spf.all.softfail"};
	const char *ids2[] = {"spf.all.softfail"};
	int64_t id1 = 0, id2 = 0;
	assert_int_equal(ma_store_scan_put(st, &(struct ma_store_scan){"weak.test", 100, "{\"v\":1}", ids1, 2}, &id1),
	                 MA_OK);
	assert_int_equal(ma_store_scan_put(st, &(struct ma_store_scan){"weak.test", 200, "{\"v\":2}", ids2, 1}, &id2),
	                 MA_OK);
	assert_int_equal(ma_store_scan_put(st, &(struct ma_store_scan){"good.test", 150, "{\"g\":1}", NULL, 0}, NULL),
	                 MA_OK);
	assert_true(id2 > id1);
	char *json = NULL;
	int64_t when = 0;
	bool found = false;
	assert_int_equal(ma_store_scan_latest(st, "weak.test", INT64_MAX, &json, &when, &found), MA_OK);
	assert_true(found);
	assert_string_equal(json, "{\"v\":2}");
	assert_int_equal(when, 200);
	free(json);
	assert_int_equal(ma_store_scan_latest(st, "weak.test", 200, &json, &when, &found), MA_OK);
	assert_true(found);
	assert_string_equal(json, "{\"v\":1}");
	free(json);
	assert_int_equal(ma_store_scan_latest(st, "weak.test", 100, &json, &when, &found), MA_OK);
	assert_false(found);
	assert_null(json);
	struct strs d = {0};
	assert_int_equal(ma_store_scan_domains(st, dom_cb, &d), MA_OK);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0], "good.test");
	assert_string_equal(d.v[1], "weak.test");
	ma_store_close(st);
	assert_int_equal(count_rows(path("scan.db"), "SELECT COUNT(*) FROM scan_findings"), 3);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct ma_store *st = open_ok(path("args.db"));
	int64_t rep;
	bool dup;
	struct ma_agg_meta m = meta("org", "1", empty, 1, 2); /* no policy domain: no dedup key */
	assert_int_equal(ma_store_agg_begin(st, &m, NULL, NULL, &rep, &dup), MA_ERR_INVAL);
	assert_non_null(strstr(ma_store_why(st), "invalid argument"));
	assert_int_equal(ma_store_agg_commit(st, 42), MA_ERR_STATE);
	assert_int_equal(ma_store_scan_put(st, &(struct ma_store_scan){NULL, 1, "{}", NULL, 0}, NULL), MA_ERR_INVAL);
	ma_store_close(st);
}

/* Crash safety: a child commits K reports, opens one more and is killed with SIGKILL in the middle of it. The
 * parent finds exactly K reports and none of the half-written one's records; re-running stores the rest. */
static void test_crash_safety(void **state)
{
	(void)state;
	const char *db = path("crash.db");
	ma_store_close(open_ok(db));
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		struct ma_store *st = NULL;
		if (ma_store_open(db, &st, NULL) != MA_OK)
			_exit(3);
		bool dup;
		for (int i = 0; i < 50; i++) {
			char id[16];
			snprintf(id, sizeof id, "r%d", i);
			if (put_report(st, "org", id, "weak.test", 1000, 2000, weak_recs, 4, &dup) != MA_OK)
				_exit(4);
		}
		struct ma_agg_meta m = meta("org", "half", "weak.test", 1000, 2000);
		int64_t rep;
		if (ma_store_agg_begin(st, &m, NULL, NULL, &rep, &dup) != MA_OK)
			_exit(5);
		struct ma_agg_record r = {.count = 1,
		                          .header_from = empty,
		                          .envelope_from = empty,
		                          .envelope_to = empty,
		                          .source_ip_raw = empty};
		snprintf(r.source_ip, sizeof r.source_ip, "192.0.2.99");
		for (int i = 0; i < 1000; i++)
			ma_store_agg_record(st, rep, &r);
		if (write(pfd[1], "x", 1) != 1)
			_exit(6);
		for (;;)
			pause(); /* killed here, transaction open */
	}
	close(pfd[1]);
	char c;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));

	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM reports"), 50);
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM records"), 200);
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM records WHERE source_ip = '192.0.2.99'"), 0);
	/* Re-running everything: the 50 are duplicates, the half-written one is stored now. */
	struct ma_store *st = open_ok(db);
	bool dup;
	int dups = 0;
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof id, "r%d", i);
		assert_int_equal(put_report(st, "org", id, "weak.test", 1000, 2000, weak_recs, 4, &dup), MA_OK);
		dups += dup;
	}
	assert_int_equal(dups, 50);
	assert_int_equal(put_report(st, "org", "half", "weak.test", 1000, 2000, weak_recs, 1, &dup), MA_OK);
	assert_false(dup);
	ma_store_close(st);
	assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM reports"), 51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_migrate_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dedup_and_totals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_selectors_ptr_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_and_tls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_safety, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
