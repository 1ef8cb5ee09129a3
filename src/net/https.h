/* src/net/https.h — bounded HTTPS GETs on a libevent loop (libcurl multi driven by the loop's socket and timer
 * events), for the MTA-STS policy fetch (RFC 8461 3.3) and, later, other small documents.
 *
 * Each fetch connects only to the addresses it is given (CURLOPT_RESOLVE-style pinning: the name was resolved
 * through the validating resolver and is never resolved again by another one), validates the certificate against
 * the host name (system store, or the CA file), follows no redirect (RFC 8461 3.3: "HTTP 3xx redirects MUST NOT
 * be followed"), caps the body and bounds the whole fetch in time, so a server that trickles bytes or sends
 * megabytes ends in MA_HTTPS_TIMEOUT or MA_HTTPS_TOOBIG.
 *
 * The engine (net/engine.h) owns one of these; tests may use it alone. Async contract (STYLE.md): when
 * ma_https_get fails its callback never runs; otherwise the callback runs exactly once, from the loop (never from
 * inside ma_https_get), on response, failure, deadline or ma_https_free(). */
#ifndef MA_NET_HTTPS_H
#define MA_NET_HTTPS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/scan.h" /* struct ma_https_result, enum ma_https_status */

struct event_base;
struct ma_https;

struct ma_https_opts {
	struct event_base *base; /* required */
	const char *ca_file;     /* NULL: the system trust store */
	unsigned timeout_ms;     /* whole fetch, connect to last byte; 0: 10000 */
	size_t body_max;         /* 0: MA_SCAN_HTTPS_BODY_MAX */
	uint16_t port;           /* 0: 443 */
	unsigned max_parallel;   /* fetches running at once (more wait their turn); 0: 64 */
};

int ma_https_new(const struct ma_https_opts *opts, struct ma_https **out, char **why);
/* Ends every fetch in flight: each pending callback runs once with MA_HTTPS_TIMEOUT, why "cancelled". */
void ma_https_free(struct ma_https *h);

/* The result and its strings are borrowed for the callback. */
typedef void (*ma_https_cb)(void *arg, const struct ma_https_result *res);
/* GET https://host[:port]/path from the first of addrs (IPv4 or IPv6 literals) that accepts the connection.
 * MA_ERR_INVAL for an empty host, a path not starting with '/', or naddrs == 0. */
int ma_https_get(struct ma_https *h, const char *host, const char *path, const char *const *addrs, size_t naddrs,
                 ma_https_cb cb, void *arg);

/* Fetches started since ma_https_new (for the engine's statistics). */
uint64_t ma_https_fetches(const struct ma_https *h);

#endif
