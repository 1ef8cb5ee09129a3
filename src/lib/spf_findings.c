/* src/lib/spf_findings.c — finding definitions of the spf module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_spf_findings[] = {
	{NULL, MA_SEV_OK, NULL, NULL},
};
