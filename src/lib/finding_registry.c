/* src/lib/finding_registry.c — the list of per-module finding tables (see finding.h). */
#include "lib/finding.h"

extern const struct ma_finding_def ma_spf_findings[];
extern const struct ma_finding_def ma_dmarc_findings[];
extern const struct ma_finding_def ma_dkim_findings[];
extern const struct ma_finding_def ma_mtasts_findings[];
extern const struct ma_finding_def ma_tlsrpt_findings[];
extern const struct ma_finding_def ma_record_gen_findings[];
extern const struct ma_finding_def ma_scan_finding_defs[];
extern const struct ma_finding_def ma_report_findings[];

extern const struct ma_finding_def *const ma_finding_tables[];
const struct ma_finding_def *const ma_finding_tables[] = {
	ma_spf_findings,
	ma_dmarc_findings,
	ma_dkim_findings,
	ma_mtasts_findings,
	ma_tlsrpt_findings,
	ma_record_gen_findings,
	ma_scan_finding_defs,
	ma_report_findings,
	NULL,
};
