/* src/store/store_impl.h — what store.c shares with its backends (store_sqlite.c; store_pg.c next). */
#ifndef MA_STORE_IMPL_H
#define MA_STORE_IMPL_H

enum ma_store_backend { MA_STORE_SQLITE, MA_STORE_POSTGRESQL };

/* The backend a URI names; *rest is what the backend opens (a path for SQLite; NULL = the default path). */
enum ma_store_backend ma_store_uri_backend(const char *uri, const char **rest);

#endif
