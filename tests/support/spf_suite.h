/* tests/support/spf_suite.h — the openspf RFC 7208 / RFC 4408 YAML test suites: load them, serve a scenario's
 * zone through fakedns or as a zone file for knot, and run one test through the SPF evaluator with any resolver.
 *
 * Zone rules of the suite: an "SPF:" entry also yields a TXT record unless the name has its own "TXT:" entry;
 * "TXT: NONE" means no TXT at all; "TIMEOUT" makes every query of the name time out. Strings are the bytes libyaml
 * decodes (YAML "\x80" escapes become UTF-8), multi-string entries stay separate character-strings. */
#ifndef MA_TEST_SPF_SUITE_H
#define MA_TEST_SPF_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"
#include "lib/spf.h"

struct fakedns;

/* A resolver for the runner: answer q into *a (borrowed until the next call). */
typedef void (*spf_suite_resolve_fn)(void *ctx, const struct ma_dns_question *q, struct ma_dns_answer *a);

struct spf_suite_rr {
	char *name;
	uint16_t type;    /* MA_DNS_T_TXT, MA_DNS_T_SPF, A, AAAA, MX, PTR, CNAME */
	bool none;        /* TXT: NONE */
	char **str;       /* TXT/SPF character-strings */
	size_t *len;
	size_t nstr;
	char *value;      /* A/AAAA address, MX/PTR/CNAME target */
	uint16_t pref;    /* MX */
};

struct spf_suite_test {
	char *name;
	char *spec;
	char *helo, *host, *mailfrom;
	char *results[8]; /* acceptable results */
	size_t nresults;
	char *explanation; /* NULL when not checked ("DEFAULT" is also not checked) */
};

struct spf_suite_scenario {
	char *description;
	struct spf_suite_rr *rr;
	size_t nrr;
	char **timeouts;
	size_t ntimeouts;
	struct spf_suite_test *tests;
	size_t ntests;
};

struct spf_suite {
	struct spf_suite_scenario *sc;
	size_t nsc;
	size_t ntests;
};

/* Load a suite file; returns 0, or -1 (and prints why) on a read or YAML error. */
int spf_suite_load(const char *path, struct spf_suite *out);
void spf_suite_free(struct spf_suite *s);

/* Put a scenario's zone into z (TXT derived from SPF entries as the suite says; real type-99 records too).
 * TIMEOUT names are not marked in z: spf_suite_fake_resolve() applies them per type. */
void spf_suite_fakedns(const struct spf_suite_scenario *sc, struct fakedns *z);

/* A PTR or CNAME record into z (wire-encoding the target here; equivalent to fakedns_ptr/fakedns_cname). */
void spf_suite_name_rr(struct fakedns *z, uint16_t type, const char *name, const char *target);

/* The suite's TIMEOUT: a query of a TIMEOUT name times out unless the name has records of that very type
 * (spftimeout: TXT present, TIMEOUT listed -> the TXT query answers). */
bool spf_suite_is_timeout(const struct spf_suite_scenario *sc, const struct ma_dns_question *q);

struct spf_suite_fake {
	struct fakedns *z;
	const struct spf_suite_scenario *sc;
	bool hit_timeout; /* set once a query timed out: the test is a TIMEOUT test */
};
/* A spf_suite_resolve_fn over struct spf_suite_fake. */
void spf_suite_fake_resolve(void *ctx, const struct ma_dns_question *q, struct ma_dns_answer *a);

/* The scenario as one root-zone file (without SOA/NS), every name absolute, TXT/SPF as quoted character-strings
 * with \DDD escapes. Names whose records a zone file cannot carry are skipped. malloc'd. */
char *spf_suite_zone_text(const struct spf_suite_scenario *sc);


struct spf_suite_outcome {
	enum ma_spf_result result;
	char explanation[1024]; /* "" when none */
	unsigned lookups, void_lookups, queries;
	char reason[512];
};

/* The fixed "now" (%{t}) and receiver (%{r}) the runner uses. */
#define SPF_SUITE_NOW 1700000000
#define SPF_SUITE_RECEIVER "receiver.example.net"

/* Run the test through the evaluator. Returns true when the result (and explanation, when the test gives one) is
 * as expected; `out` gets what happened. */
bool spf_suite_run(const struct spf_suite_test *t, spf_suite_resolve_fn resolve, void *ctx,
		   struct spf_suite_outcome *out);

/* The acceptable results as "a|b" for messages. */
void spf_suite_want(const struct spf_suite_test *t, char *buf, size_t bufsz);

#endif
