/* src/net/resolver.h — a DNS resolver on libunbound for the CLI's one-domain commands (spf, dmarc, lint).
 *
 * Synchronous for now: the async engine for thousands of domains comes with the scanner. Validation is on by
 * default with the root trust anchor from Debian's dns-root-data; answers carry libunbound's secure / insecure /
 * bogus verdict. libunbound's own logging is silenced: everything it knows reaches the caller as a status, a
 * reason (ma_dns_answer.why) or an error message. */
#ifndef MA_NET_RESOLVER_H
#define MA_NET_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/dns.h"

struct ma_resolver;

struct ma_resolver_opts {
	const char *server;            /* "ADDR", "ADDR:PORT", "[V6]:PORT" or "ADDR@PORT": send every query there
	                                * (forwarding; unbound's built-in local zones — RFC 6761 test., invalid.,
	                                * localhost., onion., the RFC 6303 / AS112 reverse zones — are turned off so
	                                * that server answers for them too). NULL: full recursion from the root. */
	const char *trust_anchor_file; /* replaces the root anchor (zone-file DS/DNSKEY lines); NULL: root anchor */
	bool no_validate;              /* turn DNSSEC validation off: every answer is MA_DNSSEC_UNCHECKED */
	unsigned timeout_ms;           /* per query, a hard deadline; 0: 5000 */
};

/* Create a resolver (opts NULL: all defaults — recursion from the root, validating, 5 s). On error returns a negative enum ma_err and, when errmsg is not NULL, a malloc'd reason the
 * caller frees: MA_ERR_INVAL for a bad server address, MA_ERR_IO for an unreadable trust-anchor file,
 * MA_ERR_PARSE for one without usable DS/DNSKEY records, MA_ERR_DNS when libunbound refuses the setup. */
int ma_resolver_new(const struct ma_resolver_opts *opts, struct ma_resolver **out, char **errmsg);
void ma_resolver_free(struct ma_resolver *r);

/* Resolve one question (class IN). *ans and everything it points to stay valid until the next call on r or its
 * free. DNS outcomes are statuses in *ans, never errors, and never collapsed:
 *   ANSWER     records of the asked type (after following any CNAME/DNAME chain), count >= 1
 *   NODATA     the name exists without that type;  NXDOMAIN  the name does not exist
 *   SERVFAIL   the server failed or refused (REFUSED, FORMERR, NOTIMP and every other error rcode land here; unbound
 *              reports a forwarder's REFUSED as SERVFAIL); why names the rcode
 *   TIMEOUT    no answer within timeout_ms; the query is cancelled
 *   BOGUS      DNSSEC validation failed; why carries libunbound's reason
 *   MALFORMED  an answer we will not hand on (over 4096 records)
 * dnssec is the validator's verdict on ANSWER / NODATA / NXDOMAIN (secure or insecure) and BOGUS (bogus); for
 * SERVFAIL, TIMEOUT and MALFORMED no data was validated and it is MA_DNSSEC_UNCHECKED.
 * Returns MA_OK, or an operation error when the query could not be made at all: MA_ERR_INVAL for a name that is not
 * a valid DNS name (empty, a label over 63 octets, over 255 octets on the wire), MA_ERR_NOMEM, MA_ERR_IO (poll
 * failed), MA_ERR_DNS (libunbound's worker failed). */
int ma_resolver_query(struct ma_resolver *r, const struct ma_dns_question *q, struct ma_dns_answer *ans);

/* Queries handed to libunbound since creation (cache hits included), for benchmarks and tests. */
unsigned long ma_resolver_queries(const struct ma_resolver *r);

/* Parse a server address as ma_resolver_opts.server takes it into libunbound's "ADDR@PORT" form (port 53 when
 * none is given). ADDR must be a numeric IPv4 or IPv6 address. Returns MA_OK or MA_ERR_INVAL. */
int ma_resolver_parse_server(const char *server, char *out, size_t outsz);

#endif
