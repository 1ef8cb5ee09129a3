/* src/lib/finding.c — the findings list and the registry lookups. */
#include "lib/finding.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

/* Module tables, each terminated by an entry with a NULL id (finding_registry.c lists them). */
extern const struct ma_finding_def *const ma_finding_tables[];

void ma_findings_init(struct ma_findings *f)
{
	f->v = NULL;
	f->n = f->cap = 0;
}

void ma_findings_fini(struct ma_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].detail);
	free(f->v);
	ma_findings_init(f);
}

static int grow(struct ma_findings *f, size_t need)
{
	if (need <= f->cap)
		return MA_OK;
	size_t cap = f->cap ? f->cap : 8;
	while (cap < need)
		cap *= 2;
	struct ma_finding *nv = realloc(f->v, cap * sizeof *nv);
	if (nv == NULL)
		return MA_ERR_NOMEM;
	f->v = nv;
	f->cap = cap;
	return MA_OK;
}

int ma_findings_add(struct ma_findings *f, const char *id, const char *detail_fmt, ...)
{
	const struct ma_finding_def *def = ma_finding_def_find(id);
	if (def == NULL) {
		fprintf(stderr, "BUG: unregistered finding id %s\n", id);
		abort();
	}
	char *detail = NULL;
	if (detail_fmt != NULL) {
		va_list ap;
		va_start(ap, detail_fmt);
		int r = vasprintf(&detail, detail_fmt, ap);
		va_end(ap);
		if (r < 0)
			return MA_ERR_NOMEM;
	}
	if (grow(f, f->n + 1) != MA_OK) {
		free(detail);
		return MA_ERR_NOMEM;
	}
	f->v[f->n].def = def;
	f->v[f->n].detail = detail;
	f->n++;
	return MA_OK;
}

int ma_findings_take(struct ma_findings *dst, struct ma_findings *src)
{
	if (grow(dst, dst->n + src->n) != MA_OK)
		return MA_ERR_NOMEM;
	memcpy(dst->v + dst->n, src->v, src->n * sizeof *src->v);
	dst->n += src->n;
	free(src->v);
	ma_findings_init(src);
	return MA_OK;
}

bool ma_findings_has(const struct ma_findings *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].def->id, id) == 0)
			return true;
	return false;
}

enum ma_severity ma_findings_worst(const struct ma_findings *f)
{
	enum ma_severity w = MA_SEV_OK;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].def->severity > w)
			w = f->v[i].def->severity;
	return w;
}

const char *ma_severity_name(enum ma_severity s)
{
	switch (s) {
	case MA_SEV_OK: return "ok";
	case MA_SEV_INFO: return "info";
	case MA_SEV_WARNING: return "warning";
	case MA_SEV_ERROR: return "error";
	}
	return "unknown";
}

char *ma_finding_text(const struct ma_finding *f)
{
	char *s = NULL;
	int r = f->detail ? asprintf(&s, "%s: %s", f->def->message, f->detail)
			  : asprintf(&s, "%s", f->def->message);
	return r < 0 ? NULL : s;
}

json_t *ma_findings_to_json(const struct ma_findings *f)
{
	json_t *arr = json_array();
	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		char *text = ma_finding_text(&f->v[i]);
		json_t *o = text ? json_pack("{s:s, s:s, s:s, s:s}", "id", f->v[i].def->id, "severity",
					     ma_severity_name(f->v[i].def->severity), "message", text,
					     "advice", f->v[i].def->advice)
				 : NULL;
		free(text);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

const struct ma_finding_def *ma_finding_def_find(const char *id)
{
	for (size_t t = 0; ma_finding_tables[t] != NULL; t++)
		for (const struct ma_finding_def *d = ma_finding_tables[t]; d->id != NULL; d++)
			if (strcmp(d->id, id) == 0)
				return d;
	return NULL;
}

size_t ma_finding_def_count(void)
{
	size_t n = 0;
	for (size_t t = 0; ma_finding_tables[t] != NULL; t++)
		for (const struct ma_finding_def *d = ma_finding_tables[t]; d->id != NULL; d++)
			n++;
	return n;
}

const struct ma_finding_def *ma_finding_def_at(size_t i)
{
	for (size_t t = 0; ma_finding_tables[t] != NULL; t++)
		for (const struct ma_finding_def *d = ma_finding_tables[t]; d->id != NULL; d++)
			if (i-- == 0)
				return d;
	return NULL;
}
