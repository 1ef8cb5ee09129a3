/* src/store/store_impl.h — what store.c shares with its backends (store_sqlite.c; store_pg.c next).
 *
 * store.c checks arguments and dispatches through the backend's operations table; a backend allocates a struct
 * that begins with struct ma_store and keeps its own state after it. Backends use bound parameters only. */
#ifndef MA_STORE_IMPL_H
#define MA_STORE_IMPL_H

#include "store/store.h"

enum ma_store_backend { MA_STORE_SQLITE, MA_STORE_POSTGRESQL };

/* The backend a URI names; *rest is what the backend opens (a path for SQLite; NULL = the default path). */
enum ma_store_backend ma_store_uri_backend(const char *uri, const char **rest);

#define MA_STORE_WHY_MAX 512

struct ma_store_ops {
	void (*close)(struct ma_store *st);
	int (*schema_version)(struct ma_store *st, int *version);
	int (*agg_begin)(struct ma_store *st, const struct ma_agg_meta *meta, const struct ma_findings *quirks,
	                 const struct ma_store_origin *origin, int64_t *report, bool *duplicate);
	int (*agg_record)(struct ma_store *st, int64_t report, const struct ma_agg_record *rec);
	int (*agg_commit)(struct ma_store *st, int64_t report);
	int (*agg_abort)(struct ma_store *st, int64_t report);
	int (*failure_put)(struct ma_store *st, const struct ma_failure_report *r, const struct ma_store_origin *o,
	                   bool *duplicate);
	int (*tls_put)(struct ma_store *st, const struct ma_tls_report *r, const struct ma_store_origin *o,
	               bool *duplicate);
	int (*ingest_error)(struct ma_store *st, const struct ma_store_origin *o, const char *reason);
	int (*message_done)(struct ma_store *st, const char *key);
	int (*message_seen)(struct ma_store *st, const char *key, bool *seen);
	int (*sources)(struct ma_store *st, const char *domain, int64_t since,
	               int (*cb)(const struct ma_store_source_row *row, void *arg), void *arg);
	int (*summary)(struct ma_store *st, const char *domain,
	               int (*cb)(const struct ma_store_summary_row *row, void *arg), void *arg);
	int (*selectors)(struct ma_store *st, const char *domain, int (*cb)(const char *selector, void *arg),
	                 void *arg);
	int (*ptr_get)(struct ma_store *st, const char *ip, char **name, int64_t *when, bool *found);
	int (*ptr_put)(struct ma_store *st, const char *ip, const char *name, int64_t when);
	int (*scan_put)(struct ma_store *st, const struct ma_store_scan *scan, int64_t *scan_id);
	int (*scan_latest)(struct ma_store *st, const char *domain, int64_t before, char **json, int64_t *when,
	                   bool *found);
	int (*scan_domains)(struct ma_store *st, int (*cb)(const char *domain, void *arg), void *arg);
};

struct ma_store {
	const struct ma_store_ops *ops;
	char why[MA_STORE_WHY_MAX];
};

/* Set st->why (printf-style); returns err so a backend can write `return store_fail(st, MA_ERR_IO, ...)`. */
int ma_store_fail(struct ma_store *st, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The SQLite backend: open (creating and migrating) the database at `path`. */
int ma_store_sqlite_open(const char *path, struct ma_store **out, char **why);

/* The default store path, $XDG_DATA_HOME/mailassure/mailassure.db (~/.local/share/... when unset), with its
 * directories created 0700. malloc'd; NULL with *why set when there is no home to put it in. */
char *ma_store_default_path(char **why);

#endif
