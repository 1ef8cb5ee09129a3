/* src/store/store_uri.c — which backend a store URI names, and the default store path. */
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"

enum ma_store_backend ma_store_uri_backend(const char *uri, const char **rest)
{
	if (uri == NULL || *uri == '\0') {
		*rest = NULL;
		return MA_STORE_SQLITE;
	}
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0) {
		*rest = uri;
		return MA_STORE_POSTGRESQL;
	}
	*rest = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
	return MA_STORE_SQLITE;
}
