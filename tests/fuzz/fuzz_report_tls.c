/* tests/fuzz/fuzz_report_tls.c — libFuzzer target: the SMTP TLS report parser on arbitrary bytes. Invariants: a
 * report that parses has a report-id, a date range and a policy domain, respects the caps, and serialises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/report_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_tls_report r;
	const char *why = NULL;
	int rc = ma_tls_report_parse(data, size, &r, &why);
	if (rc == MA_OK) {
		if (r.report_id[0] == '\0' || r.begin < 0 || r.end < 0 || r.npolicies == 0 ||
		    r.npolicies > MA_TLSREP_POLICIES_MAX)
			abort();
		for (size_t i = 0; i < r.npolicies; i++)
			if (r.policies[i].nfailures > MA_TLSREP_FAILURES_MAX)
				abort();
		json_t *j = ma_tls_report_to_json(&r);
		if (j == NULL)
			abort();
		json_decref(j);
	} else if (why == NULL || why[0] == '\0') {
		abort();
	}
	ma_tls_report_fini(&r);
	return 0;
}
