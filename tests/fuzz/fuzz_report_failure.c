/* tests/fuzz/fuzz_report_failure.c — libFuzzer target: the failure report parser. The input is split into the
 * feedback part, the original headers and the text at two points taken from its first bytes; every run is parsed
 * twice, with and without a hash key. Invariants: a parsed report has a reported domain, strings within their caps,
 * serialises to JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/report_failure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t a = data[0] % (size - 1), b = data[1] % (size - 1);
	if (a > b) {
		size_t t = a;
		a = b;
		b = t;
	}
	const char *s = (const char *)data + 2;
	size_t n = size - 2;
	if (b > n)
		b = n;
	if (a > b)
		a = b;
	static const uint8_t key[] = "fuzz-key";
	for (int k = 0; k < 2; k++) {
		struct ma_failure_input in = {.feedback = s,
		                              .feedback_len = a,
		                              .headers = s + a,
		                              .headers_len = b - a,
		                              .text = s + b,
		                              .text_len = n - b,
		                              .subject = "DMARC failure report for example.com from IP 192.0.2.1",
		                              .received = -1,
		                              .hash_key = k ? key : NULL,
		                              .hash_key_len = k ? sizeof key - 1 : 0};
		struct ma_failure_report r;
		const char *why = NULL;
		int rc = ma_failure_parse(&in, &r, &why);
		if (rc == MA_OK) {
			if (r.reported_domain[0] == '\0' || strlen(r.authentication_results) > MA_FAILURE_FIELD_MAX ||
			    strlen(r.original_headers) > MA_FAILURE_HEADERS_MAX + 64 * 2048)
				abort();
			json_t *j = ma_failure_report_to_json(&r);
			if (j == NULL)
				abort();
			json_decref(j);
		} else if (why == NULL || why[0] == '\0') {
			abort();
		}
		ma_failure_report_fini(&r);
	}
	return 0;
}
