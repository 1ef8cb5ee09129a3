/* src/lib/dmarc_findings.c — finding definitions of the dmarc module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_dmarc_findings[] = {
	{NULL, MA_SEV_OK, NULL, NULL},
};
