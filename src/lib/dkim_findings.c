/* src/lib/dkim_findings.c — finding definitions of the dkim module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_dkim_findings[] = {
	{NULL, MA_SEV_OK, NULL, NULL},
};
