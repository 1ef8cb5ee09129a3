/* src/lib/tlsrpt_findings.c — finding definitions of the tlsrpt module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_tlsrpt_findings[] = {
	{NULL, MA_SEV_OK, NULL, NULL},
};
