/* tests/fuzz/fuzz_dkim_key.c — libFuzzer target: the DKIM key record parser (tag list, base64, OpenSSL key decoding)
 * and its linter on arbitrary bytes. Invariants that must hold for any input abort when broken. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/dkim.h"
#include "lib/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_findings f;
	ma_findings_init(&f);
	struct ma_dkim_key key;
	if (ma_dkim_key_parse((const char *)data, size, &key, &f) == 0) {
		/* a revoked key has no size; a usable unrevoked key has a decoded size; valid needs a parse */
		if (key.revoked && key.bits != 0)
			abort();
		if (key.valid && !key.revoked && key.bits <= 0)
			abort();
		if (key.valid && !key.parsed)
			abort();
		if (!key.valid && f.n == 0)
			abort(); /* every rejection says why */
		json_decref(ma_dkim_key_to_json(&key));
	}
	ma_findings_fini(&f);

	struct ma_lint_result r;
	ma_lint_result_init(&r);
	if (ma_lint(MA_LINT_DKIM, (const char *)data, size, &r) == 0) {
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
