/* tests/support/knot.h — start a real knot authoritative server on loopback for a test, and stop it.
 *
 * Zones are given as zone-file text. With `sign`, knot signs them (dnssec-signing: on) and the runner writes the
 * zones' DNSKEY/DS as a trust-anchor file for the resolver (--trust-anchor). The server listens on 127.0.0.1 (or
 * opts.addr) at a free port; ma_resolver_opts.server takes knot_server_addr(). Skips (exit 77) are the caller's
 * business: knot_available() says whether knotd is installed. */
#ifndef MA_TEST_KNOT_H
#define MA_TEST_KNOT_H

#include <stdbool.h>
#include <stddef.h>

struct knot_zone {
	const char *origin;   /* "example.com." or "." */
	const char *text;     /* zone file contents; $ORIGIN is set to origin for you */
	bool sign;            /* have knot sign this zone */
	bool bogus;           /* after signing, serve it so validation fails (for bogus-DNSSEC tests) */
};

struct knot_opts {
	const char *addr;    /* default "127.0.0.1" */
	int port;            /* 0: pick a free port */
	const char *workdir; /* default: a fresh directory under $MA_TEST_TMP or /tmp */
};

struct knot_server;

bool knot_available(void);
/* Start knotd with these zones and wait until every zone answers (SOA). Returns NULL (and prints why) on failure. */
struct knot_server *knot_start(const struct knot_opts *opts, const struct knot_zone *zones, size_t nzones);
/* "127.0.0.1@PORT" — the form ma_resolver_opts.server accepts. */
const char *knot_server_addr(const struct knot_server *k);
int knot_server_port(const struct knot_server *k);
/* Path of a trust-anchor file with the DS records of every signed zone; NULL when nothing is signed. */
const char *knot_trust_anchor_file(const struct knot_server *k);
void knot_stop(struct knot_server *k);

#endif
