/* tests/fuzz/fuzz_mtasts_policy.c — libFuzzer target: the MTA-STS policy file parser and linter, and mx pattern
 * matching of every accepted pattern, on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lint.h"
#include "lib/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_mtasts_policy p;
	if (ma_mtasts_policy_parse((const char *)data, size, &p, NULL) == 0) {
		if (p.nmx > MA_MTASTS_MX_MAX)
			abort();
		if (p.valid && (p.mode == MA_MTASTS_MODE_UNSET || !p.has_max_age || p.max_age > MA_MTASTS_MAX_AGE_MAX))
			abort();
		for (size_t i = 0; i < p.nmx; i++) {
			/* RFC 8461 4.1: a pattern matches itself with its wildcard label filled in, never its parent */
			char host[300];
			const char *m = p.mx[i];
			bool wild = m[0] == '*';
			size_t n = strlen(m);
			if (n + 2 > sizeof host)
				abort(); /* patterns are capped at 255 */
			memcpy(host, m, n + 1);
			if (wild)
				host[0] = 'x';
			if (!ma_mtasts_mx_match(m, host))
				abort();
			if (wild && ma_mtasts_mx_match(m, m + 2))
				abort();
		}
		json_decref(ma_mtasts_policy_to_json(&p));
	}
	ma_mtasts_policy_fini(&p);

	/* the input's halves as pattern and host (NUL-terminated copies) */
	char *a = malloc(size + 2);
	if (a != NULL) {
		size_t half = size / 2;
		memcpy(a, data, half);
		a[half] = '\0';
		memcpy(a + half + 1, data + half, size - half);
		a[size + 1] = '\0';
		(void)ma_mtasts_mx_match(a, a + half + 1);
		free(a);
	}

	struct ma_lint_result r;
	ma_lint_result_init(&r);
	if (ma_lint(MA_LINT_MTA_STS_POLICY, (const char *)data, size, &r) == 0) {
		/* what `mailassure lint --json` prints must always serialise: details of hostile bytes are made
		 * printable, and parsed is an object (a failure would surface as a bogus out-of-memory error);
		 * and a valid record always says what it is (key type, mode, report destination) */
		json_t *j = ma_findings_to_json(&r.findings);
		if (j == NULL || !json_is_object(r.parsed) || (r.valid && r.findings.n == 0))
			abort();
		json_decref(j);
	}
	ma_lint_result_fini(&r);
	return 0;
}
