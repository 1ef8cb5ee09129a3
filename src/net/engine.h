/* src/net/engine.h — the async engine: one libevent loop with libunbound's event interface in it (DNSSEC
 * validation on, the verdict kept per answer) and HTTPS fetches (libcurl multi on the same loop).
 *
 * One engine per worker thread. Thousands of queries in flight; per-query deadline and retries; answers cached
 * across domains (libunbound's own cache, plus coalescing of identical questions in flight, since many domains
 * ask for one provider's include or MX names at once). Async contract (STYLE.md): when a start call fails its
 * callback never runs; otherwise the callback runs exactly once, from the loop (never from inside the start
 * call), on answer, failure, timeout or ma_engine_free(). */
#ifndef MA_NET_ENGINE_H
#define MA_NET_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"
#include "lib/scan.h" /* struct ma_https_result */

struct event_base;
struct ma_engine;

struct ma_engine_opts {
	struct event_base *base;       /* the loop to run in (required) */
	const char *server;            /* as ma_resolver_opts.server: forward every query there; NULL: recursion */
	const char *trust_anchor_file; /* NULL: the root anchor */
	bool no_validate;
	unsigned timeout_ms;           /* per attempt; 0: 5000 */
	unsigned retries;              /* further attempts after a timeout or SERVFAIL; the total stays bounded */
	const char *ca_file;           /* HTTPS: trust these CAs instead of the system store; NULL: system */
	unsigned https_timeout_ms;     /* whole fetch; 0: 10000 (RFC 8461 10.2: bounded) */
	size_t https_body_max;         /* 0: MA_SCAN_HTTPS_BODY_MAX */
	uint16_t https_port;           /* 0: 443 (tests run servers on other ports) */
	unsigned max_in_flight;        /* questions libunbound works on at once (more wait in order); 0: 500 */
};

/* Sets SIGPIPE to ignored when it is at its default: libunbound writes to TCP connections a server may have
 * closed, and that must be an error, not the end of the process. */
int ma_engine_new(const struct ma_engine_opts *opts, struct ma_engine **out, char **why);
/* Cancels everything in flight: each pending callback runs once with MA_DNS_TIMEOUT / MA_HTTPS_TIMEOUT. */
void ma_engine_free(struct ma_engine *e);

/* The answer is borrowed for the callback (same statuses as ma_resolver_query). */
typedef void (*ma_engine_dns_cb)(void *arg, const struct ma_dns_answer *ans);
int ma_engine_dns(struct ma_engine *e, const struct ma_dns_question *q, ma_engine_dns_cb cb, void *arg);

typedef void (*ma_engine_https_cb)(void *arg, const struct ma_https_result *res);
/* GET https://host[:https_port]/path, connecting to the given addresses only (never resolving host again),
 * certificate checked against host, no redirects, body capped, whole fetch bounded in time. */
int ma_engine_https_get(struct ma_engine *e, const char *host, const char *path, const char *const *addrs,
                        size_t naddrs, ma_engine_https_cb cb, void *arg);

struct ma_engine_stats {
	uint64_t dns_queries;   /* handed to libunbound */
	uint64_t dns_coalesced; /* answered by a query already in flight */
	uint64_t dns_retries, dns_timeouts;
	uint64_t https_fetches;
	size_t in_flight;
};
void ma_engine_stats(const struct ma_engine *e, struct ma_engine_stats *out);

/* The loop the engine runs in (opts.base), for drivers such as net/scanner.c. */
struct event_base *ma_engine_base(const struct ma_engine *e);

#endif
