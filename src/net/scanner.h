/* src/net/scanner.h — runs many lib/scan.h state machines through one engine, at most `concurrency` domains in
 * flight, pulling domains from an iterator and handing each finished scan to the caller at once, so memory does
 * not grow with the list (mailassure scan --jsonl of 100,000 domains). */
#ifndef MA_NET_SCANNER_H
#define MA_NET_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/scan.h"
#include "net/engine.h"

struct ma_scanner_opts {
	struct ma_engine *engine;
	unsigned concurrency;   /* domains in flight; 0: 256 */
	bool no_tls;
	bool common_selectors;
	int64_t now;
	const psl_ctx_t *psl;   /* borrowed, handed to every scan (lib/scan.h ma_scan_opts.psl); may be NULL */
	/* The next domain to scan (A-label) and its DKIM selectors (given + learned), or false when there are no more.
	 * Strings must stay valid until the scan of that domain is handed to on_done or on_error. *user is the
	 * caller's per-domain pointer, handed back unchanged to exactly one of on_done / on_error. */
	bool (*next)(void *arg, const char **domain, const char *const **selectors, size_t *nselectors, void **user);
	/* A finished scan; it is freed when the callback returns. */
	void (*on_done)(void *arg, void *user, const char *domain, const struct ma_scan *scan);
	/* A domain that could not be scanned at all (not a valid name, out of memory): reason given. */
	void (*on_error)(void *arg, void *user, const char *domain, int err, const char *reason);
	void *arg;
};

/* Runs the loop until every domain is done. Returns MA_OK or an operation error of the engine. */
int ma_scanner_run(const struct ma_scanner_opts *opts);

#endif
