/* src/net/resolver.c — placeholder until the libunbound driver lands. */
#include "net/resolver.h"

#include "lib/err.h"

int ma_resolver_new(const struct ma_resolver_opts *opts, struct ma_resolver **out, char **errmsg)
{
	(void)opts;
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	return MA_ERR_UNSUPPORTED;
}
