/* src/lib/record_gen_findings.c — finding definitions of the record_gen module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_record_gen_findings[] = {
	{NULL, MA_SEV_OK, NULL, NULL},
};
