/* tests/fuzz/fuzz_tlsrpt_txt.c — libFuzzer target: the TLS-RPT record parser, record selection over the input read
 * as TXT rdata, and the linter, on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/lint.h"
#include "lib/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_tlsrpt_record rec;
	if (ma_tlsrpt_parse((const char *)data, size, &rec, NULL) == 0) {
		if (rec.nrua > MA_TLSRPT_RUA_MAX || (rec.valid && rec.nrua == 0))
			abort();
		json_decref(ma_tlsrpt_record_to_json(&rec));
	}
	ma_tlsrpt_record_fini(&rec);

	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	struct ma_dns_rdata rr[2] = {{data, cut}, {data + cut, size - cut}};
	size_t found;
	if (ma_tlsrpt_select(rr, 2, &rec, &found, NULL) == 0 && rec.valid && found != 1)
		abort();
	ma_tlsrpt_record_fini(&rec);

	struct ma_lint_result r;
	ma_lint_result_init(&r);
	if (ma_lint(MA_LINT_TLS_RPT, (const char *)data, size, &r) == 0) {
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
