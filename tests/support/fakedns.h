/* tests/support/fakedns.h — an in-memory zone that answers evaluators' questions in unit tests.
 *
 * Names are matched case-insensitively. A name marked with fakedns_timeout() answers MA_DNS_TIMEOUT for every
 * type; a name with records of other types answers NODATA; any other name NXDOMAIN. CNAMEs are followed (up to 8). */
#ifndef MA_TEST_FAKEDNS_H
#define MA_TEST_FAKEDNS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"

struct fakedns;

struct fakedns *fakedns_new(void);
void fakedns_free(struct fakedns *z);

/* Add a record; rdata is wire format. */
void fakedns_add(struct fakedns *z, const char *name, uint16_t type, const void *rdata, size_t len);
/* TXT from character-strings: fakedns_txt(z, name, "v=spf1 ", "-all", NULL) gives one record of two strings.
 * Strings longer than 255 bytes are split. */
void fakedns_txt(struct fakedns *z, const char *name, ...);
/* TXT (or SPF, type 99) from one string with an explicit length (may hold NULs / non-ASCII). */
void fakedns_txt_bytes(struct fakedns *z, const char *name, uint16_t type, const char *data, size_t len);
void fakedns_a(struct fakedns *z, const char *name, const char *ipv4);
void fakedns_aaaa(struct fakedns *z, const char *name, const char *ipv6);
void fakedns_mx(struct fakedns *z, const char *name, uint16_t pref, const char *host);
void fakedns_ptr(struct fakedns *z, const char *name, const char *target);
void fakedns_cname(struct fakedns *z, const char *name, const char *target);
/* Make the name exist with no records (NODATA for every type). */
void fakedns_exists(struct fakedns *z, const char *name);
void fakedns_timeout(struct fakedns *z, const char *name);
void fakedns_servfail(struct fakedns *z, const char *name);

/* Answer a question. The answer points into z and stays valid until the next fakedns call. Counts queries. */
void fakedns_answer(struct fakedns *z, const struct ma_dns_question *q, struct ma_dns_answer *ans);
unsigned fakedns_queries(const struct fakedns *z);
/* True once a question touched a name marked timeout (the RFC 7208 suite's TIMEOUT entries). */
int fakedns_hit_timeout(const struct fakedns *z);
void fakedns_reset_counters(struct fakedns *z);

#endif
