/* tests/fuzz/fuzz_report_agg.c — libFuzzer target: the aggregate report parser on arbitrary bytes, fed in pieces
 * whose sizes come from the input (so sequences split across feeds are exercised). Invariants: on success on_meta
 * ran exactly once, before every record, with a policy domain; the totals equal what on_record saw; everything
 * serialises to JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/report_agg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	int metas;
	uint64_t records, messages;
};

static int on_meta(const struct ma_agg_meta *m, void *arg)
{
	struct seen *s = arg;
	if (s->metas++ != 0 || s->records != 0 || m->domain == NULL || m->domain[0] == '\0')
		abort();
	json_t *j = ma_agg_meta_to_json(m);
	if (j == NULL)
		abort();
	json_decref(j);
	return MA_OK;
}

static int on_record(const struct ma_agg_record *r, void *arg)
{
	struct seen *s = arg;
	if (s->metas != 1 || r->ndkim > MA_AGG_RESULTS_MAX || r->nspf > MA_AGG_RESULTS_MAX ||
	    r->nreasons > MA_AGG_REASONS_MAX || strlen(r->header_from) > MA_AGG_FIELD_MAX)
		abort();
	s->records++;
	s->messages += r->count;
	json_t *j = ma_agg_record_to_json(r);
	if (j == NULL)
		abort();
	json_decref(j);
	return MA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = {0};
	struct ma_agg_parser_cbs cbs = {.on_meta = on_meta, .on_record = on_record};
	struct ma_agg_parser *p;
	if (ma_agg_parser_new(&cbs, &s, &p) != MA_OK)
		return 0;
	size_t step = size > 0 ? (size_t)data[size - 1] % 97 + 1 : 1;
	int rc = MA_OK;
	for (size_t off = 0; off < size && rc == MA_OK; off += step)
		rc = ma_agg_parser_feed(p, data + off, size - off < step ? size - off : step);
	if (rc == MA_OK)
		rc = ma_agg_parser_finish(p);
	if (rc == MA_OK &&
	    (s.metas != 1 || ma_agg_parser_records(p) != s.records || ma_agg_parser_messages(p) != s.messages))
		abort();
	if (rc != MA_OK && (ma_agg_parser_why(p) == NULL || ma_agg_parser_why(p)[0] == '\0'))
		abort();
	json_t *f = ma_findings_to_json(ma_agg_parser_findings(p));
	if (f == NULL)
		abort();
	json_decref(f);
	ma_agg_parser_free(p);
	return 0;
}
