/* src/lib/mtasts_findings.c — finding definitions of the mtasts module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_mtasts_findings[] = {
	{NULL, MA_SEV_OK, NULL, NULL},
};
