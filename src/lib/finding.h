/* src/lib/finding.h — findings: what is wrong (or right) with a record, domain, server or report.
 *
 * Every finding has a stable ID ("spf.lookups.over-limit"), a severity, a one-line message and advice citing the RFC
 * or standard. Definitions live in per-module tables (spf_findings.c, dmarc_findings.c, ...) registered in
 * finding_registry.c; docs/findings.md lists every ID and tests/unit/lib/test_findings_doc.c fails when the two
 * disagree. A finding is data, never an operation error (err.h). */
#ifndef MA_FINDING_H
#define MA_FINDING_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum ma_severity {
	MA_SEV_OK = 0,      /* a good practice that is in place */
	MA_SEV_INFO = 1,    /* worth knowing, nothing to fix */
	MA_SEV_WARNING = 2, /* works, but weak or risky */
	MA_SEV_ERROR = 3,   /* broken, or receivers will not honour it */
};

struct ma_finding_def {
	const char *id;            /* stable: never renamed once released */
	enum ma_severity severity;
	const char *message;       /* one line, no trailing period */
	const char *advice;        /* what to do, citing the RFC section or the standard */
};

struct ma_finding {
	const struct ma_finding_def *def; /* borrowed from the static registry */
	char *detail;                     /* owned; what this occurrence is about ("12 lookups"), may be NULL */
};

/* A growable list of findings. Zero-initialised is a valid empty list. */
struct ma_findings {
	struct ma_finding *v;
	size_t n, cap;
};

void ma_findings_init(struct ma_findings *f);
void ma_findings_fini(struct ma_findings *f);

/* Add the finding with this ID; `detail_fmt` (printf-style, may be NULL) says what this occurrence is about.
 * An unregistered ID is a bug: the call asserts. Returns MA_OK or MA_ERR_NOMEM. */
int ma_findings_add(struct ma_findings *f, const char *id, const char *detail_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Move every finding of `src` to the end of `dst`; `src` is left empty. Returns MA_OK or MA_ERR_NOMEM. */
int ma_findings_take(struct ma_findings *dst, struct ma_findings *src);

bool ma_findings_has(const struct ma_findings *f, const char *id);
/* The worst severity in the list; MA_SEV_OK when empty. */
enum ma_severity ma_findings_worst(const struct ma_findings *f);

const char *ma_severity_name(enum ma_severity s);

/* "message" or "message: detail", freshly allocated (NULL on ENOMEM). */
char *ma_finding_text(const struct ma_finding *f);

/* [{"id","severity","message","advice"}...]; NULL on ENOMEM. */
json_t *ma_findings_to_json(const struct ma_findings *f);

/* The registry of every finding definition, for docs and tests. */
const struct ma_finding_def *ma_finding_def_find(const char *id);
size_t ma_finding_def_count(void);
const struct ma_finding_def *ma_finding_def_at(size_t i);

#endif
