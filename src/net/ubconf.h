/* src/net/ubconf.h — the libunbound configuration shared by the CLI's resolver (net/resolver.c) and the scanner's
 * event-loop engine (net/engine.c): forwarding to a given server with unbound's built-in local zones out of the
 * way, the trust anchor checked and loaded, validation on or off, and the setup applied at once so a bad one is
 * an error of creation. Internal to src/net. */
#ifndef MA_NET_UBCONF_H
#define MA_NET_UBCONF_H

#include <stdbool.h>

struct ub_ctx;

struct ma_ubconf_opts {
	const char *server;            /* as ma_resolver_opts.server; NULL: recursion from the root */
	const char *trust_anchor_file; /* NULL: the root anchor from dns-root-data */
	bool no_validate;
};

/* Apply opts to a context not yet finalized. On error returns a negative enum ma_err and sets *errmsg (malloc'd,
 * when errmsg is not NULL): MA_ERR_INVAL for a bad server address, MA_ERR_IO for an unreadable trust-anchor file,
 * MA_ERR_PARSE for one without DS/DNSKEY records, MA_ERR_DNS when libunbound refuses an option. */
int ma_ubconf_apply(struct ub_ctx *ctx, const struct ma_ubconf_opts *opts, char **errmsg);

/* Set one option ("name:" and value); on refusal sets *errmsg and returns MA_ERR_DNS. */
int ma_ubconf_set(struct ub_ctx *ctx, const char *name, const char *value, char **errmsg);

/* Make libunbound apply the configuration now (modules, trust anchors, local zones); MA_ERR_DNS with unbound's
 * reason in *errmsg when it refuses. */
int ma_ubconf_finalize(struct ub_ctx *ctx, char **errmsg);

/* Replace *errmsg (when errmsg is not NULL) with a formatted message. */
void ma_ubconf_set_err(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
