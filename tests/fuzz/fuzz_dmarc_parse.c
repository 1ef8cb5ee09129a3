/* tests/fuzz/fuzz_dmarc_parse.c — libFuzzer target: the DMARC parser and linter on arbitrary bytes, then the
 * report-destination extraction on whatever parsed. Must never crash, leak or hang. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/dmarc.h"
#include "lib/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_lint_result r;
	ma_dmarc_lint((const char *)data, size, &r);
	json_decref(r.parsed);
	ma_findings_fini(&r.findings);

	struct ma_dmarc_record rec;
	struct ma_findings f;
	ma_findings_init(&f);
	if (ma_dmarc_parse((const char *)data, size, &rec, &f) == 0) {
		struct ma_dmarc_report_dest *d = NULL;
		size_t n = 0;
		if (ma_dmarc_report_dests(&rec, "example.com", NULL, &d, &n) == 0)
			free(d);
		json_decref(ma_dmarc_record_to_json(&rec));
		(void)ma_dmarc_is_record((const char *)data, size);
	}
	ma_dmarc_record_fini(&rec);
	ma_findings_fini(&f);
	return 0;
}
