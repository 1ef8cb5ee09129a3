/* src/net/resolver.h — a DNS resolver on libunbound for the CLI's one-domain commands (spf, dmarc, lint).
 *
 * Synchronous for now: the async engine for thousands of domains comes with the scanner. Validation is on by
 * default with the root trust anchor from Debian's dns-root-data; answers carry libunbound's secure / insecure /
 * bogus verdict. */
#ifndef MA_NET_RESOLVER_H
#define MA_NET_RESOLVER_H

#include <stdbool.h>

#include "lib/dns.h"

struct ma_resolver;

struct ma_resolver_opts {
	const char *server;            /* "ADDR", "ADDR:PORT", "[V6]:PORT" or "ADDR@PORT": send every query there
	                                * (forwarding; unbound's RFC 6761 local zones are turned off so that server
	                                * answers for test., invalid., ... too). NULL: full recursion from the root. */
	const char *trust_anchor_file; /* replaces the root anchor (zone-file DS/DNSKEY lines); NULL: root anchor */
	bool no_validate;              /* turn DNSSEC validation off: every answer is MA_DNSSEC_UNCHECKED */
	unsigned timeout_ms;           /* per query; 0: 5000 */
};

/* Create a resolver. On error returns a negative enum ma_err and, when errmsg is not NULL, a malloc'd reason. */
int ma_resolver_new(const struct ma_resolver_opts *opts, struct ma_resolver **out, char **errmsg);
void ma_resolver_free(struct ma_resolver *r);

/* Resolve one question. *ans and everything it points to stay valid until the next call on r or its free.
 * DNS failures (SERVFAIL, timeout, bogus) are statuses in *ans, not errors: the return value is an enum ma_err
 * only when the query could not be made at all. */
int ma_resolver_query(struct ma_resolver *r, const struct ma_dns_question *q, struct ma_dns_answer *ans);

/* Counters since creation, for benchmarks and tests. */
unsigned long ma_resolver_queries(const struct ma_resolver *r);

#endif
