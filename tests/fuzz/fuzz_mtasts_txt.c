/* tests/fuzz/fuzz_mtasts_txt.c — libFuzzer target: the _mta-sts TXT record parser, record selection over the input
 * read as TXT rdata, and the linter, on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lint.h"
#include "lib/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_mtasts_txt t;
	if (ma_mtasts_txt_parse((const char *)data, size, &t, NULL) == 0 && t.valid) {
		if (!id_ok(t.id))
			abort();
		json_decref(ma_mtasts_txt_to_json(&t));
	}
	/* the same bytes as a TXT answer: split into two rdata at the first byte's value */
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	struct ma_dns_rdata rr[2] = {{data, cut}, {data + cut, size - cut}};
	size_t found;
	if (ma_mtasts_txt_select(rr, 2, &t, &found, NULL) == 0 && t.valid && (found != 1 || !id_ok(t.id)))
		abort();

	struct ma_lint_result r;
	ma_lint_result_init(&r);
	if (ma_lint(MA_LINT_MTA_STS, (const char *)data, size, &r) == 0) {
		/* what `mailassure lint --json` prints must always serialise: details of hostile bytes are made
		 * printable, and parsed is an object; a failure here would surface as a bogus out-of-memory error */
		json_t *j = ma_findings_to_json(&r.findings);
		if (j == NULL || !json_is_object(r.parsed))
			abort();
		json_decref(j);
	}
	ma_lint_result_fini(&r);
	return 0;
}
