/* src/store/store.c — the storage interface: chooses the backend from the URI, checks arguments, dispatches.
 * Callers never see SQL (store.h); argument errors are caught here once for every backend. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "store/store_impl.h"

int ma_store_fail(struct ma_store *st, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof st->why, fmt, ap);
	va_end(ap);
	return err;
}

static char *dup_why(const char *s)
{
	return strdup(s);
}

/* mkdir -p with mode 0700 for every directory it creates (XDG Base Directory: "If, when attempting to write a
 * file, the destination directory is non-existent an attempt should be made to create it with permission 0700"). */
static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

char *ma_store_default_path(char **why)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char dir[4096];
	int n;
	/* XDG: a relative XDG_DATA_HOME is invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/mailassure", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/.local/share/mailassure", home);
	else {
		if (why)
			*why = dup_why("no default store path: neither XDG_DATA_HOME nor HOME is set (give --db PATH)");
		return NULL;
	}
	if (n < 0 || (size_t)n >= sizeof dir - 32) {
		if (why)
			*why = dup_why("the default store path is too long (give --db PATH)");
		return NULL;
	}
	if (mkdirs(dir) != 0) {
		if (why) {
			char buf[4200];
			snprintf(buf, sizeof buf, "cannot create %s: %s", dir, strerror(errno));
			*why = dup_why(buf);
		}
		return NULL;
	}
	size_t len = strlen(dir) + sizeof "/mailassure.db";
	char *path = malloc(len);
	if (path == NULL) {
		if (why)
			*why = dup_why("out of memory");
		return NULL;
	}
	snprintf(path, len, "%s/mailassure.db", dir);
	return path;
}

int ma_store_open(const char *uri, struct ma_store **out, char **why)
{
	*out = NULL;
	if (why)
		*why = NULL;
	const char *rest;
	switch (ma_store_uri_backend(uri, &rest)) {
	case MA_STORE_POSTGRESQL:
		if (why)
			*why = dup_why("the PostgreSQL backend is not part of this build yet; use a SQLite path");
		return MA_ERR_UNSUPPORTED;
	case MA_STORE_SQLITE: break;
	}
	if (rest == NULL || *rest == '\0') {
		char *path = ma_store_default_path(why);
		if (path == NULL)
			return MA_ERR_IO;
		int err = ma_store_sqlite_open(path, out, why);
		free(path);
		return err;
	}
	return ma_store_sqlite_open(rest, out, why);
}

void ma_store_close(struct ma_store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

const char *ma_store_why(const struct ma_store *st)
{
	return st != NULL && st->why[0] ? st->why : "no reason recorded";
}

#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		if (!(cond))                                                                                           \
			return st == NULL ? MA_ERR_INVAL                                                               \
			                  : ma_store_fail(st, MA_ERR_INVAL, "invalid argument: %s", #cond);            \
	} while (0)

int ma_store_schema_version(struct ma_store *st, int *version)
{
	CHECK(st != NULL && version != NULL);
	return st->ops->schema_version(st, version);
}

int ma_store_agg_begin(struct ma_store *st, const struct ma_agg_meta *meta, const struct ma_findings *quirks,
                       const struct ma_store_origin *origin, int64_t *report, bool *duplicate)
{
	CHECK(st != NULL && meta != NULL && report != NULL && duplicate != NULL);
	/* The dedup key must be whole (the parser rejects a report without a policy domain). */
	CHECK(meta->domain != NULL && meta->domain[0] != '\0');
	CHECK(meta->org_name != NULL && meta->report_id != NULL);
	return st->ops->agg_begin(st, meta, quirks, origin, report, duplicate);
}

int ma_store_agg_record(struct ma_store *st, int64_t report, const struct ma_agg_record *rec)
{
	CHECK(st != NULL && rec != NULL);
	return st->ops->agg_record(st, report, rec);
}

int ma_store_agg_commit(struct ma_store *st, int64_t report)
{
	CHECK(st != NULL);
	return st->ops->agg_commit(st, report);
}

int ma_store_agg_abort(struct ma_store *st, int64_t report)
{
	CHECK(st != NULL);
	return st->ops->agg_abort(st, report);
}

int ma_store_failure_put(struct ma_store *st, const struct ma_failure_report *r, const struct ma_store_origin *o,
                         bool *duplicate)
{
	CHECK(st != NULL && r != NULL && duplicate != NULL);
	return st->ops->failure_put(st, r, o, duplicate);
}

int ma_store_tls_put(struct ma_store *st, const struct ma_tls_report *r, const struct ma_store_origin *o,
                     bool *duplicate)
{
	CHECK(st != NULL && r != NULL && duplicate != NULL);
	return st->ops->tls_put(st, r, o, duplicate);
}

int ma_store_ingest_error(struct ma_store *st, const struct ma_store_origin *o, const char *reason)
{
	CHECK(st != NULL && o != NULL && reason != NULL);
	return st->ops->ingest_error(st, o, reason);
}

int ma_store_message_done(struct ma_store *st, const char *key)
{
	CHECK(st != NULL && key != NULL && key[0] != '\0');
	return st->ops->message_done(st, key);
}

int ma_store_message_seen(struct ma_store *st, const char *key, bool *seen)
{
	CHECK(st != NULL && key != NULL && seen != NULL);
	return st->ops->message_seen(st, key, seen);
}

int ma_store_sources(struct ma_store *st, const char *domain, int64_t since,
                     int (*cb)(const struct ma_store_source_row *row, void *arg), void *arg)
{
	CHECK(st != NULL && domain != NULL && cb != NULL);
	return st->ops->sources(st, domain, since, cb, arg);
}

int ma_store_summary(struct ma_store *st, const char *domain,
                     int (*cb)(const struct ma_store_summary_row *row, void *arg), void *arg)
{
	CHECK(st != NULL && cb != NULL);
	return st->ops->summary(st, domain, cb, arg);
}

int ma_store_selectors(struct ma_store *st, const char *domain, int (*cb)(const char *selector, void *arg), void *arg)
{
	CHECK(st != NULL && domain != NULL && cb != NULL);
	return st->ops->selectors(st, domain, cb, arg);
}

int ma_store_ptr_get(struct ma_store *st, const char *ip, char **name, int64_t *when, bool *found)
{
	CHECK(st != NULL && ip != NULL && name != NULL && when != NULL && found != NULL);
	return st->ops->ptr_get(st, ip, name, when, found);
}

int ma_store_ptr_put(struct ma_store *st, const char *ip, const char *name, int64_t when)
{
	CHECK(st != NULL && ip != NULL && name != NULL);
	return st->ops->ptr_put(st, ip, name, when);
}

int ma_store_scan_put(struct ma_store *st, const struct ma_store_scan *scan, int64_t *scan_id)
{
	CHECK(st != NULL && scan != NULL && scan->domain != NULL && scan->json != NULL);
	CHECK(scan->nfinding_ids == 0 || scan->finding_ids != NULL);
	return st->ops->scan_put(st, scan, scan_id);
}

int ma_store_scan_latest(struct ma_store *st, const char *domain, int64_t before, char **json, int64_t *when,
                         bool *found)
{
	CHECK(st != NULL && domain != NULL && json != NULL && found != NULL);
	return st->ops->scan_latest(st, domain, before, json, when, found);
}

int ma_store_scan_domains(struct ma_store *st, int (*cb)(const char *domain, void *arg), void *arg)
{
	CHECK(st != NULL && cb != NULL);
	return st->ops->scan_domains(st, cb, arg);
}
