/* src/lib/mtasts.h — MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file, and MX pattern matching.
 *
 * Pure parsers over (ptr, len); the HTTPS fetch of the policy lives in src/net. The scanner and the MX TLS probe use
 * ma_mtasts_mx_match() to decide whether each real MX host is covered by the policy. */
#ifndef MA_MTASTS_H
#define MA_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/dns.h"
#include "lib/finding.h"

#define MA_MTASTS_TXT_MAX 4096
#define MA_MTASTS_POLICY_MAX 65536 /* RFC 8461 3.3 lets senders cap the policy; 64 KiB is far above real ones */
#define MA_MTASTS_LINES_MAX 1024
#define MA_MTASTS_MX_MAX 64
#define MA_MTASTS_MAX_AGE_MAX 31557600u /* RFC 8461 3.2: at most one year */

struct ma_mtasts_txt {
	bool valid;  /* v=STSv1 first and a valid id */
	char id[33]; /* 1*32 ALPHA / DIGIT */
	size_t extensions;
};

enum ma_mtasts_mode {
	MA_MTASTS_MODE_UNSET = 0,
	MA_MTASTS_MODE_NONE = 1,
	MA_MTASTS_MODE_TESTING = 2,
	MA_MTASTS_MODE_ENFORCE = 3,
};

struct ma_mtasts_policy {
	bool valid; /* a sender would use this policy (RFC 8461 3.2 fields all present and valid) */
	bool has_version; /* a "version: STSv1" line (RFC 8461 3.2) */
	enum ma_mtasts_mode mode;
	bool has_max_age;
	uint32_t max_age;
	char *mx[MA_MTASTS_MX_MAX]; /* owned, lower-cased patterns as published ("*.example.net" allowed) */
	size_t nmx;
	bool lf_only; /* some line ended in a bare LF instead of CRLF */
	size_t extensions;
};

/* Parse the _mta-sts TXT record. Findings (mta-sts.txt.*) to `f` when not NULL. MA_OK or MA_ERR_NOMEM. */
int ma_mtasts_txt_parse(const char *data, size_t len, struct ma_mtasts_txt *txt, struct ma_findings *f);

/* RFC 8461 3.1: of the TXT records at _mta-sts.<domain> (an answer's rdata, `count` of them), those that do not
 * start with v=STSv1 are discarded; unless exactly one remains senders act as if there were no policy
 * (mta-sts.txt.multiple, txt->valid false). *found is how many started with v=STSv1; with exactly one, it is parsed
 * into *txt. Returns MA_OK, MA_ERR_NOMEM, or MA_ERR_PARSE when an rdata is not well-formed TXT. */
int ma_mtasts_txt_select(const struct ma_dns_rdata *rr, size_t count, struct ma_mtasts_txt *txt, size_t *found,
                         struct ma_findings *f);

/* Parse the policy file body. Caller must ma_mtasts_policy_fini(). Findings (mta-sts.policy.*) to `f`. */
int ma_mtasts_policy_parse(const char *data, size_t len, struct ma_mtasts_policy *pol, struct ma_findings *f);
void ma_mtasts_policy_fini(struct ma_mtasts_policy *pol);

/* RFC 8461 4.1: does the MX host name match the pattern? A leading "*." matches exactly one left-most label.
 * Case-insensitive; one trailing dot on either side is ignored. */
bool ma_mtasts_mx_match(const char *pattern, const char *host);

const char *ma_mtasts_mode_name(enum ma_mtasts_mode m); /* "none", "testing", "enforce", "unset" */
json_t *ma_mtasts_txt_to_json(const struct ma_mtasts_txt *txt);
json_t *ma_mtasts_policy_to_json(const struct ma_mtasts_policy *pol);

#endif
