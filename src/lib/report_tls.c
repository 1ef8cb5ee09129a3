/* src/lib/report_tls.c — SMTP TLS reports (RFC 8460 4): one JSON document parsed with jansson, leniently.
 *
 * What dedup needs (report-id, the date range, a policy domain) must be there or the report is rejected; every
 * other deviation (mx-host as an array, additional-info-uri, contact-info null, failure IPs omitted, TLSA records
 * as JSON text inside a policy-string, counts that do not add up) is read and recorded as a report.tls.* finding. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/report_tls.h"

#define FIELD_MAX 4096 /* one string value; longer ones are cut (report.tls.field-truncated) */
#define STRINGS_MAX 64 /* policy-string entries and mx-host patterns per policy */

static void note(struct ma_tls_report *r, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Each finding ID once per report, with the first occurrence's detail. */
static void note(struct ma_tls_report *r, const char *id, const char *fmt, ...)
{
	if (ma_findings_has(&r->findings, id))
		return;
	char detail[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	for (char *c = detail; *c; c++) /* report text quoted in a detail never drives a terminal */
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	ma_findings_add(&r->findings, id, "%s", detail);
}

/* A string value, owned, cut at FIELD_MAX on a UTF-8 boundary (jansson guarantees valid UTF-8). NULL on ENOMEM. */
static char *dup_cut(struct ma_tls_report *r, const char *name, const char *s, size_t n)
{
	if (n > FIELD_MAX) {
		n = FIELD_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		note(r, "report.tls.field-truncated", "%s", name);
	}
	return strndup(s, n);
}

/* The string member `name` of o: "" when absent or null, a finding when of the wrong type. */
static int get_str(struct ma_tls_report *r, json_t *o, const char *name, char **out)
{
	json_t *v = json_object_get(o, name);
	if (json_is_string(v))
		*out = dup_cut(r, name, json_string_value(v), json_string_length(v));
	else {
		if (v != NULL && !json_is_null(v))
			note(r, "report.tls.field-invalid", "%s is not a string", name);
		*out = strdup("");
	}
	return *out ? MA_OK : MA_ERR_NOMEM;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* A session count: a non-negative JSON integer (a numeric string is accepted with a finding). */
static uint64_t get_count(struct ma_tls_report *r, json_t *o, const char *name, bool required)
{
	json_t *v = json_object_get(o, name);
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		uint64_t x = 0;
		size_t i = 0;
		for (; s[i] >= '0' && s[i] <= '9' && i < 19; i++)
			x = x * 10 + (uint64_t)(s[i] - '0');
		note(r, "report.tls.field-invalid", "%s is a string", name);
		return (i > 0 && s[i] == '\0') ? x : 0;
	}
	if (v != NULL)
		note(r, "report.tls.field-invalid", "%s is not a non-negative integer", name);
	else if (required)
		note(r, "report.tls.field-missing", "%s", name);
	return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* proleptic Gregorian calendar, days since 1970-01-01 */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* RFC 3339 5.6 date-time ("2024-01-09T00:00:00Z", fractions, "+01:00"); a space for 'T' is tolerated. -1 when
 * unreadable. */
static int64_t parse_rfc3339(const char *s)
{
	int y, mo, d, h, mi, se;
	if (strlen(s) < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	const char *q = s + 19;
	if (*q == '.') {
		q++;
		if (*q < '0' || *q > '9')
			return -1;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	int off = 0;
	if (*q == 'Z' || *q == 'z') {
		q++;
	} else if (*q == '+' || *q == '-') {
		int oh, om;
		if (!digits(q + 1, 2, &oh) || q[3] != ':' || !digits(q + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*q == '+' ? 1 : -1);
		q += 6;
	} else {
		return -1;
	}
	if (*q != '\0')
		return -1;
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) - off;
}

static int push_str(char ***v, size_t *n, char *s)
{
	if (s == NULL)
		return MA_ERR_NOMEM;
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL) {
		free(s);
		return MA_ERR_NOMEM;
	}
	nv[(*n)++] = s;
	*v = nv;
	return MA_OK;
}

/* policy-string: an array of strings (RFC 8460 4.3). Microsoft writes TLSA records as one entry holding a JSON
 * array of strings: unwrapped into one entry per record, with a finding. */
static int policy_strings(struct ma_tls_report *r, struct ma_tlsrep_policy *pol, json_t *v)
{
	json_t *arr = v, *tmp = NULL;
	if (json_is_string(v)) {
		tmp = json_array();
		if (tmp == NULL || json_array_append(tmp, v) != 0) {
			json_decref(tmp);
			return MA_ERR_NOMEM;
		}
		arr = tmp;
		note(r, "report.tls.field-invalid", "policy-string is a string, not an array");
	} else if (v != NULL && !json_is_array(v)) {
		note(r, "report.tls.field-invalid", "policy-string is not an array");
		return MA_OK;
	}
	size_t i;
	json_t *e;
	int rc = MA_OK;
	json_array_foreach(arr, i, e)
	{
		if (rc != MA_OK || pol->npolicy_strings >= STRINGS_MAX)
			break;
		if (!json_is_string(e)) {
			note(r, "report.tls.field-invalid", "a policy-string entry is not a string");
			continue;
		}
		const char *s = json_string_value(e);
		size_t n = json_string_length(e);
		json_t *inner =
		    (n > 1 && (s[0] == '[' || s[0] == '"')) ? json_loadb(s, n, JSON_DECODE_ANY, NULL) : NULL;
		if (json_is_array(inner) && json_array_size(inner) > 0) {
			note(r, "report.tls.policy-string", "%s", pol->policy_type);
			size_t k;
			json_t *x;
			json_array_foreach(inner, k, x)
			{
				if (rc == MA_OK && json_is_string(x) && pol->npolicy_strings < STRINGS_MAX)
					rc = push_str(
					    &pol->policy_strings, &pol->npolicy_strings,
					    dup_cut(r, "policy-string", json_string_value(x), json_string_length(x)));
			}
		} else if (json_is_string(inner)) {
			note(r, "report.tls.policy-string", "%s", pol->policy_type);
			rc = push_str(&pol->policy_strings, &pol->npolicy_strings,
			              dup_cut(r, "policy-string", json_string_value(inner), json_string_length(inner)));
		} else {
			rc = push_str(&pol->policy_strings, &pol->npolicy_strings, dup_cut(r, "policy-string", s, n));
		}
		json_decref(inner);
	}
	json_decref(tmp);
	return rc;
}

static int mx_hosts(struct ma_tls_report *r, struct ma_tlsrep_policy *pol, json_t *v)
{
	if (v == NULL || json_is_null(v))
		return MA_OK;
	if (json_is_string(v))
		return push_str(&pol->mx_hosts, &pol->nmx_hosts,
		                dup_cut(r, "mx-host", json_string_value(v), json_string_length(v)));
	if (!json_is_array(v)) {
		note(r, "report.tls.field-invalid", "mx-host is neither a string nor an array");
		return MA_OK;
	}
	note(r, "report.tls.mx-host-array", "%zu entries", json_array_size(v));
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		if (pol->nmx_hosts >= STRINGS_MAX)
			break;
		if (json_is_string(e)) {
			int rc = push_str(&pol->mx_hosts, &pol->nmx_hosts,
			                  dup_cut(r, "mx-host", json_string_value(e), json_string_length(e)));
			if (rc != MA_OK)
				return rc;
		}
	}
	return MA_OK;
}

static int failure_detail(struct ma_tls_report *r, struct ma_tlsrep_failure *f, json_t *o)
{
	int rc = MA_OK;
	rc |= get_str(r, o, "result-type", &f->result_type);
	rc |= get_str(r, o, "sending-mta-ip", &f->sending_mta_ip);
	rc |= get_str(r, o, "receiving-mx-hostname", &f->receiving_mx_hostname);
	rc |= get_str(r, o, "receiving-mx-helo", &f->receiving_mx_helo);
	rc |= get_str(r, o, "receiving-ip", &f->receiving_ip);
	rc |= get_str(r, o, "failure-reason-code", &f->failure_reason_code);
	if (json_object_get(o, "additional-information") == NULL && json_object_get(o, "additional-info-uri") != NULL) {
		note(r, "report.tls.additional-info-uri", "%s", "failure-details");
		rc |= get_str(r, o, "additional-info-uri", &f->additional_information);
	} else {
		rc |= get_str(r, o, "additional-information", &f->additional_information);
	}
	if (rc != MA_OK)
		return MA_ERR_NOMEM;
	f->failed_session_count = get_count(r, o, "failed-session-count", true);
	if (f->result_type[0] == '\0')
		note(r, "report.tls.field-missing", "result-type");
	if (f->sending_mta_ip[0] == '\0' || f->receiving_ip[0] == '\0')
		note(r, "report.tls.failure-ip-missing", "%s", f->result_type);
	return MA_OK;
}

static int policy(struct ma_tls_report *r, struct ma_tlsrep_policy *pol, json_t *o)
{
	json_t *po = json_object_get(o, "policy");
	if (!json_is_object(po)) {
		note(r, "report.tls.field-missing", "policy");
		po = NULL;
	}
	int rc = MA_OK;
	rc |= get_str(r, po, "policy-type", &pol->policy_type);
	rc |= get_str(r, po, "policy-domain", &pol->policy_domain);
	if (rc != MA_OK)
		return MA_ERR_NOMEM;
	lower(pol->policy_domain);
	size_t n = strlen(pol->policy_domain);
	while (n > 0 && pol->policy_domain[n - 1] == '.')
		pol->policy_domain[--n] = '\0';
	if (pol->policy_type[0] == '\0')
		note(r, "report.tls.field-missing", "policy-type");
	if ((rc = policy_strings(r, pol, json_object_get(po, "policy-string"))) != MA_OK)
		return rc;
	if ((rc = mx_hosts(r, pol, json_object_get(po, "mx-host"))) != MA_OK)
		return rc;
	json_t *sum = json_object_get(o, "summary");
	if (!json_is_object(sum))
		note(r, "report.tls.field-missing", "summary");
	pol->total_successful = get_count(r, sum, "total-successful-session-count", true);
	pol->total_failure = get_count(r, sum, "total-failure-session-count", true);

	json_t *fd = json_object_get(o, "failure-details");
	if (fd != NULL && !json_is_array(fd)) {
		note(r, "report.tls.field-invalid", "failure-details is not an array");
		fd = NULL;
	}
	size_t nf = json_array_size(fd);
	if (nf > MA_TLSREP_FAILURES_MAX) {
		note(r, "report.tls.over-cap", "%zu failure-details in one policy", nf);
		nf = MA_TLSREP_FAILURES_MAX;
	}
	if (nf > 0) {
		pol->failures = calloc(nf, sizeof *pol->failures);
		if (pol->failures == NULL)
			return MA_ERR_NOMEM;
	}
	uint64_t sumf = 0;
	for (size_t i = 0; i < nf; i++) {
		json_t *e = json_array_get(fd, i);
		if (!json_is_object(e)) {
			note(r, "report.tls.field-invalid", "a failure-details entry is not an object");
			continue;
		}
		struct ma_tlsrep_failure *f = &pol->failures[pol->nfailures++];
		if ((rc = failure_detail(r, f, e)) != MA_OK)
			return rc;
		sumf += f->failed_session_count;
	}
	/* RFC 8460 4.3: the summary's failure count is over all failure-details */
	if (nf > 0 && sumf != pol->total_failure)
		note(r, "report.tls.counts-mismatch", "total-failure-session-count %llu, failure-details sum %llu",
		     (unsigned long long)pol->total_failure, (unsigned long long)sumf);
	return MA_OK;
}

static void policy_fini(struct ma_tlsrep_policy *p)
{
	free(p->policy_type);
	free(p->policy_domain);
	for (size_t i = 0; i < p->npolicy_strings; i++)
		free(p->policy_strings[i]);
	free(p->policy_strings);
	for (size_t i = 0; i < p->nmx_hosts; i++)
		free(p->mx_hosts[i]);
	free(p->mx_hosts);
	for (size_t i = 0; i < p->nfailures; i++) {
		struct ma_tlsrep_failure *f = &p->failures[i];
		free(f->result_type);
		free(f->sending_mta_ip);
		free(f->receiving_mx_hostname);
		free(f->receiving_mx_helo);
		free(f->receiving_ip);
		free(f->additional_information);
		free(f->failure_reason_code);
	}
	free(p->failures);
}

void ma_tls_report_fini(struct ma_tls_report *r)
{
	free(r->organization_name);
	free(r->contact_info);
	free(r->report_id);
	for (size_t i = 0; i < r->npolicies; i++)
		policy_fini(&r->policies[i]);
	free(r->policies);
	ma_findings_fini(&r->findings);
	memset(r, 0, sizeof *r);
	r->begin = r->end = -1;
}

static int64_t get_date(struct ma_tls_report *r, json_t *dr, const char *name)
{
	json_t *v = json_object_get(dr, name);
	if (!json_is_string(v)) {
		note(r, v ? "report.tls.field-invalid" : "report.tls.field-missing", "date-range %s", name);
		return -1;
	}
	int64_t t = parse_rfc3339(json_string_value(v));
	if (t < 0)
		note(r, "report.tls.field-invalid", "date-range %s", name);
	return t;
}

int ma_tls_report_parse(const void *buf, size_t len, struct ma_tls_report *out, const char **why)
{
	const char *sink;
	if (why == NULL)
		why = &sink;
	memset(out, 0, sizeof *out);
	out->begin = out->end = -1;
	ma_findings_init(&out->findings);
	*why = "";
	if (len > MA_TLSREP_DOC_MAX) {
		*why = "TLS report larger than 64 MiB";
		return MA_ERR_TOOBIG;
	}
	/* A UTF-8 BOM is not JSON (RFC 8259 8.1) but harmless */
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf = (const char *)buf + 3;
		len -= 3;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(buf, len, 0, &jerr); /* a duplicated member: the last one wins */
	if (doc == NULL) {
		*why = "not JSON";
		return MA_ERR_PARSE;
	}
	int rc = MA_OK;
	if (!json_is_object(doc)) {
		*why = "not a TLS report: the JSON document is not an object";
		rc = MA_ERR_PARSE;
		goto done;
	}
	rc |= get_str(out, doc, "organization-name", &out->organization_name);
	rc |= get_str(out, doc, "report-id", &out->report_id);
	json_t *ci = json_object_get(doc, "contact-info");
	if (ci == NULL || json_is_null(ci))
		note(out, "report.tls.contact-null", "%s", ci ? "null" : "missing");
	rc |= get_str(out, doc, "contact-info", &out->contact_info);
	if (rc != MA_OK) {
		rc = MA_ERR_NOMEM;
		goto done;
	}
	if (out->organization_name[0] == '\0')
		note(out, "report.tls.field-missing", "organization-name");
	json_t *dr = json_object_get(doc, "date-range");
	out->begin = get_date(out, dr, "start-datetime");
	out->end = get_date(out, dr, "end-datetime");

	json_t *pols = json_object_get(doc, "policies");
	size_t np = json_array_size(pols);
	if (np > MA_TLSREP_POLICIES_MAX) {
		note(out, "report.tls.over-cap", "%zu policies", np);
		np = MA_TLSREP_POLICIES_MAX;
	}
	if (np > 0 && (out->policies = calloc(np, sizeof *out->policies)) == NULL) {
		rc = MA_ERR_NOMEM;
		goto done;
	}
	bool have_domain = false;
	for (size_t i = 0; i < np; i++) {
		json_t *e = json_array_get(pols, i);
		if (!json_is_object(e)) {
			note(out, "report.tls.field-invalid", "a policies entry is not an object");
			continue;
		}
		struct ma_tlsrep_policy *pol = &out->policies[out->npolicies++];
		if ((rc = policy(out, pol, e)) != MA_OK)
			goto done;
		have_domain |= pol->policy_domain[0] != '\0';
	}
	/* RFC 8460 4.3: report-id, date-range and the policy domain identify the report (and dedup it) */
	if (out->report_id[0] == '\0') {
		*why = "not a TLS report: no report-id";
		rc = MA_ERR_PARSE;
	} else if (out->begin < 0 || out->end < 0) {
		*why = "TLS report without a readable date-range";
		rc = MA_ERR_PARSE;
	} else if (!have_domain) {
		*why = "TLS report without a policy-domain";
		rc = MA_ERR_PARSE;
	}
done:
	if (rc == MA_ERR_NOMEM)
		*why = "out of memory";
	json_decref(doc);
	return rc;
}

static json_t *str_array(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *ma_tls_report_to_json(const struct ma_tls_report *r)
{
	json_t *pols = json_array();
	if (pols == NULL)
		return NULL;
	for (size_t i = 0; i < r->npolicies; i++) {
		const struct ma_tlsrep_policy *p = &r->policies[i];
		json_t *fails = json_array();
		for (size_t k = 0; fails != NULL && k < p->nfailures; k++) {
			const struct ma_tlsrep_failure *f = &p->failures[k];
			json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "result_type", f->result_type,
			                      "sending_mta_ip", f->sending_mta_ip, "receiving_mx_hostname",
			                      f->receiving_mx_hostname, "receiving_mx_helo", f->receiving_mx_helo,
			                      "receiving_ip", f->receiving_ip, "failed_session_count",
			                      (json_int_t)f->failed_session_count, "additional_information",
			                      f->additional_information, "failure_reason_code", f->failure_reason_code);
			if (o == NULL || json_array_append_new(fails, o) != 0) {
				json_decref(fails);
				fails = NULL;
			}
		}
		json_t *o = json_pack(
		    "{s:s,s:o*,s:s,s:o*,s:I,s:I,s:o*}", "policy_type", p->policy_type, "policy_strings",
		    str_array(p->policy_strings, p->npolicy_strings), "policy_domain", p->policy_domain, "mx_hosts",
		    str_array(p->mx_hosts, p->nmx_hosts), "total_successful", (json_int_t)p->total_successful,
		    "total_failure", (json_int_t)p->total_failure, "failures", fails);
		if (o == NULL || json_array_append_new(pols, o) != 0) {
			json_decref(pols);
			return NULL;
		}
	}
	return json_pack("{s:s,s:I,s:I,s:s,s:s,s:o,s:o*}", "organization_name", r->organization_name, "begin",
	                 (json_int_t)r->begin, "end", (json_int_t)r->end, "contact_info", r->contact_info, "report_id",
	                 r->report_id, "policies", pols, "findings", ma_findings_to_json(&r->findings));
}
