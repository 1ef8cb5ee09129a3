/* src/lib/report_agg_json.c — canonical JSON of aggregate report metadata and records (golden tests, the CLI's
 * --json output), and the names of results and dispositions. */
#include <stdint.h>

#include "lib/report_agg.h"

const char *ma_agg_result_name(enum ma_agg_result r)
{
	switch (r) {
	case MA_AGG_R_NONE: return "none";
	case MA_AGG_R_PASS: return "pass";
	case MA_AGG_R_FAIL: return "fail";
	case MA_AGG_R_SOFTFAIL: return "softfail";
	case MA_AGG_R_NEUTRAL: return "neutral";
	case MA_AGG_R_TEMPERROR: return "temperror";
	case MA_AGG_R_PERMERROR: return "permerror";
	case MA_AGG_R_POLICY: return "policy";
	case MA_AGG_R_UNKNOWN: return "unknown";
	}
	return "unknown";
}

const char *ma_agg_disposition_name(enum ma_agg_disposition d)
{
	switch (d) {
	case MA_AGG_D_NONE: return "none";
	case MA_AGG_D_QUARANTINE: return "quarantine";
	case MA_AGG_D_REJECT: return "reject";
	case MA_AGG_D_PASS: return "pass";
	case MA_AGG_D_UNKNOWN: break;
	}
	return "unknown";
}

static const char *schema_name(enum ma_agg_schema s)
{
	switch (s) {
	case MA_AGG_SCHEMA_RFC7489: return "rfc7489";
	case MA_AGG_SCHEMA_DRAFT2021: return "draft2021";
	case MA_AGG_SCHEMA_RFC9990: return "rfc9990";
	case MA_AGG_SCHEMA_UNKNOWN: break;
	}
	return "unknown";
}

/* json_string rejects invalid UTF-8; values here are valid (repaired on input), but a length-checked fallback
 * keeps a NULL from ever meaning "out of memory" by mistake. */
static int put_str(json_t *o, const char *k, const char *v)
{
	json_t *s = json_string(v);
	if (s == NULL)
		s = json_string("\xEF\xBF\xBD");
	return json_object_set_new(o, k, s);
}

json_t *ma_agg_meta_to_json(const struct ma_agg_meta *m)
{
	json_t *o = json_object(), *pol = json_object(), *errs = json_array();
	if (o == NULL || pol == NULL || errs == NULL)
		goto nomem;
	int rc = 0;
	rc |= put_str(o, "schema", schema_name(m->schema));
	rc |= put_str(o, "version", m->version);
	rc |= put_str(o, "org_name", m->org_name);
	rc |= put_str(o, "email", m->email);
	rc |= put_str(o, "extra_contact_info", m->extra_contact_info);
	rc |= put_str(o, "report_id", m->report_id);
	rc |= put_str(o, "generator", m->generator);
	rc |= json_object_set_new(o, "begin", json_integer(m->begin));
	rc |= json_object_set_new(o, "end", json_integer(m->end));
	for (size_t i = 0; i < m->nerrors; i++) {
		json_t *s = json_string(m->errors[i]);
		rc |= json_array_append_new(errs, s ? s : json_string(""));
	}
	rc |= json_object_set_new(o, "errors", errs);
	errs = NULL;
	rc |= put_str(pol, "domain", m->domain);
	rc |= put_str(pol, "adkim", m->adkim);
	rc |= put_str(pol, "aspf", m->aspf);
	rc |= put_str(pol, "p", m->p);
	rc |= put_str(pol, "sp", m->sp);
	rc |= put_str(pol, "np", m->np);
	rc |= json_object_set_new(pol, "pct", json_integer(m->pct));
	rc |= put_str(pol, "fo", m->fo);
	rc |= put_str(pol, "testing", m->testing);
	rc |= put_str(pol, "discovery_method", m->discovery_method);
	rc |= json_object_set_new(o, "policy", pol);
	pol = NULL;
	if (rc != 0)
		goto nomem;
	return o;
nomem:
	json_decref(o);
	json_decref(pol);
	json_decref(errs);
	return NULL;
}

json_t *ma_agg_record_to_json(const struct ma_agg_record *r)
{
	json_t *o = json_object(), *dk = json_array(), *sp = json_array(), *rs = json_array();
	json_t *f = ma_findings_to_json(&r->findings);
	if (o == NULL || dk == NULL || sp == NULL || rs == NULL || f == NULL)
		goto nomem;
	int rc = 0;
	rc |= put_str(o, "source_ip", r->source_ip);
	rc |= put_str(o, "source_ip_raw", r->source_ip_raw);
	rc |= json_object_set_new(o, "count", json_integer((json_int_t)(r->count > INT64_MAX ? INT64_MAX : r->count)));
	rc |= put_str(o, "disposition", ma_agg_disposition_name(r->disposition));
	rc |= put_str(o, "dkim", ma_agg_result_name(r->dkim_aligned));
	rc |= put_str(o, "spf", ma_agg_result_name(r->spf_aligned));
	for (size_t i = 0; i < r->nreasons; i++) {
		json_t *x = json_object();
		if (x == NULL)
			goto nomem;
		rc |= put_str(x, "type", r->reasons[i].type);
		rc |= put_str(x, "comment", r->reasons[i].comment);
		rc |= json_array_append_new(rs, x);
	}
	rc |= put_str(o, "header_from", r->header_from);
	rc |= put_str(o, "envelope_from", r->envelope_from);
	rc |= put_str(o, "envelope_to", r->envelope_to);
	for (size_t i = 0; i < r->ndkim; i++) {
		json_t *x = json_object();
		if (x == NULL)
			goto nomem;
		rc |= put_str(x, "domain", r->dkim[i].domain);
		rc |= put_str(x, "selector", r->dkim[i].selector);
		rc |= put_str(x, "result", ma_agg_result_name(r->dkim[i].result));
		rc |= put_str(x, "result_text", r->dkim[i].result_text);
		rc |= put_str(x, "human_result", r->dkim[i].human_result);
		rc |= json_array_append_new(dk, x);
	}
	for (size_t i = 0; i < r->nspf; i++) {
		json_t *x = json_object();
		if (x == NULL)
			goto nomem;
		rc |= put_str(x, "domain", r->spf[i].domain);
		rc |= put_str(x, "scope", r->spf[i].scope);
		rc |= put_str(x, "result", ma_agg_result_name(r->spf[i].result));
		rc |= put_str(x, "result_text", r->spf[i].result_text);
		rc |= json_array_append_new(sp, x);
	}
	rc |= json_object_set_new(o, "reasons", rs);
	rs = NULL;
	rc |= json_object_set_new(o, "auth_dkim", dk);
	dk = NULL;
	rc |= json_object_set_new(o, "auth_spf", sp);
	sp = NULL;
	rc |= json_object_set_new(o, "findings", f);
	f = NULL;
	if (rc != 0)
		goto nomem;
	return o;
nomem:
	json_decref(o);
	json_decref(dk);
	json_decref(sp);
	json_decref(rs);
	json_decref(f);
	return NULL;
}
