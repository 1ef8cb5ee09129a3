/* src/lib/lint.h — one entry point to lint any record kind the CLI's `lint` subcommand accepts.
 *
 * Each module implements ma_<kind>_lint() with the same contract; ma_lint() dispatches on the kind. Linting is pure:
 * it looks at the record text only (no DNS). A record that cannot be parsed is `valid = false` with an
 * error-severity finding saying why; that is a finding, not an operation error. */
#ifndef MA_LINT_H
#define MA_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/finding.h"

enum ma_lint_kind {
	MA_LINT_SPF,
	MA_LINT_DMARC,
	MA_LINT_DKIM,
	MA_LINT_MTA_STS,        /* the _mta-sts TXT record (RFC 8461 3.1) */
	MA_LINT_MTA_STS_POLICY, /* the policy file served over HTTPS (RFC 8461 3.2) */
	MA_LINT_TLS_RPT,        /* the _smtp._tls TXT record (RFC 8460 3) */
};

struct ma_lint_result {
	bool valid;                  /* the record parsed (it may still have warnings or errors of substance) */
	json_t *parsed;              /* owned: the parsed record as JSON (an object; {} when it did not parse) */
	struct ma_findings findings; /* owned */
};

void ma_lint_result_init(struct ma_lint_result *r);
void ma_lint_result_fini(struct ma_lint_result *r);

/* Lint `len` bytes at `data` (may contain NULs or any bytes: they are findings). Fills *out, which the caller
 * must ma_lint_result_fini() whatever the return. Returns MA_OK, or MA_ERR_NOMEM / MA_ERR_INVAL. */
int ma_lint(enum ma_lint_kind kind, const char *data, size_t len, struct ma_lint_result *out);

/* "spf", "dmarc", "dkim", "mta-sts", "mta-sts-policy", "tls-rpt" <-> kind. Returns -1 for an unknown name. */
int ma_lint_kind_from_name(const char *name);
const char *ma_lint_kind_name(enum ma_lint_kind kind);

/* The per-module implementations behind ma_lint(), same contract. */
int ma_spf_lint(const char *data, size_t len, struct ma_lint_result *out);
int ma_dmarc_lint(const char *data, size_t len, struct ma_lint_result *out);
int ma_dkim_lint(const char *data, size_t len, struct ma_lint_result *out);
int ma_mtasts_lint(const char *data, size_t len, struct ma_lint_result *out);
int ma_mtasts_policy_lint(const char *data, size_t len, struct ma_lint_result *out);
int ma_tlsrpt_lint(const char *data, size_t len, struct ma_lint_result *out);

#endif
