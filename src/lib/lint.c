/* src/lib/lint.c — one entry point for every record kind the `lint` subcommand accepts (see lint.h). */
#include "lib/lint.h"

#include <string.h>

#include "lib/err.h"

static const struct {
	const char *name;
	int (*lint)(const char *data, size_t len, struct ma_lint_result *out);
} kinds[] = {
    [MA_LINT_SPF] = {"spf", ma_spf_lint},
    [MA_LINT_DMARC] = {"dmarc", ma_dmarc_lint},
    [MA_LINT_DKIM] = {"dkim", ma_dkim_lint},
    [MA_LINT_MTA_STS] = {"mta-sts", ma_mtasts_lint},
    [MA_LINT_MTA_STS_POLICY] = {"mta-sts-policy", ma_mtasts_policy_lint},
    [MA_LINT_TLS_RPT] = {"tls-rpt", ma_tlsrpt_lint},
};

void ma_lint_result_init(struct ma_lint_result *r)
{
	r->valid = false;
	r->parsed = NULL;
	ma_findings_init(&r->findings);
}

void ma_lint_result_fini(struct ma_lint_result *r)
{
	json_decref(r->parsed);
	ma_findings_fini(&r->findings);
	r->parsed = NULL;
	r->valid = false;
}

int ma_lint(enum ma_lint_kind kind, const char *data, size_t len, struct ma_lint_result *out)
{
	if ((unsigned)kind >= sizeof kinds / sizeof kinds[0]) {
		ma_lint_result_init(out);
		return MA_ERR_INVAL;
	}
	/* Each linter fills *out from scratch, so a result reused without fini would leak: callers fini first. */
	int rc = kinds[kind].lint(data, len, out);
	if (rc == MA_OK && out->parsed == NULL)
		out->parsed = json_object();
	return rc == MA_OK && out->parsed == NULL ? MA_ERR_NOMEM : rc;
}

int ma_lint_kind_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(name, kinds[i].name) == 0)
			return (int)i;
	return -1;
}

const char *ma_lint_kind_name(enum ma_lint_kind kind)
{
	if ((unsigned)kind >= sizeof kinds / sizeof kinds[0])
		return "unknown";
	return kinds[kind].name;
}
