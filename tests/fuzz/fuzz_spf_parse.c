/* tests/fuzz/fuzz_spf_parse.c — libFuzzer target: the SPF parser, the linter and macro expansion on arbitrary
 * bytes. Everything must stay within the caps and never read past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lint.h"
#include "lib/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_spf_record rec;
	if (ma_spf_parse((const char *)data, size, &rec) == 0 && rec.valid) {
		json_decref(ma_spf_record_to_json(&rec));
		static const uint8_t ip4[4] = {192, 0, 2, 1};
		struct ma_spf_macro_ctx c = {.sender = "user@example.com", .domain = "example.com", .ip = ip4,
					     .helo = "mail.example.com", .now = 1};
		char out[512];
		for (size_t i = 0; i < rec.nterms; i++)
			if (rec.terms[i].spec != NULL)
				(void)ma_spf_macro_expand(rec.terms[i].spec, &c, rec.terms[i].kind == MA_SPF_UNKNOWN,
							  true, out, sizeof out);
	}
	ma_spf_record_fini(&rec);

	struct ma_lint_result r;
	(void)ma_spf_lint((const char *)data, size, &r);
	json_decref(r.parsed);
	ma_findings_fini(&r.findings);
	return 0;
}
