/* tests/unit/lib/test_report_tls.c — SMTP TLS reports (RFC 8460 4, report_tls.h): the RFC's shape, the variants
 * (mx-host array, additional-info-uri, contact-info null, failure IPs omitted, TLSA as JSON text, counts that do not
 * add up), rejections with reasons, caps, and every JSON report in the shared corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "lib/report_tls.h"

#define RFC_EXAMPLE                                                                                                    \
	"{\"organization-name\":\"Company-X\",\"date-range\":{\"start-datetime\":\"2016-04-01T00:00:00Z\","            \
	"\"end-datetime\":\"2016-04-01T23:59:59Z\"},\"contact-info\":\"sts-reporting@company-x.example\","             \
	"\"report-id\":\"5065427c-23d3-47ca-b6e0-946ea0e8c4be\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","   \
	"\"policy-string\":[\"version: STSv1\",\"mode: testing\",\"mx: *.mail.company-y.example\","                    \
	"\"max_age: 86400\"],\"policy-domain\":\"Company-Y.example\",\"mx-host\":\"*.mail.company-y.example\"},"       \
	"\"summary\":{\"total-successful-session-count\":5326,\"total-failure-session-count\":303},"                   \
	"\"failure-details\":[{\"result-type\":\"certificate-expired\",\"sending-mta-ip\":\"2001:db8:abcd:0012::1\","  \
	"\"receiving-mx-hostname\":\"mx1.mail.company-y.example\",\"failed-session-count\":100},"                      \
	"{\"result-type\":\"starttls-not-supported\",\"sending-mta-ip\":\"2001:db8:abcd:0013::1\","                    \
	"\"receiving-mx-hostname\":\"mx2.mail.company-y.example\",\"receiving-ip\":\"203.0.113.56\","                  \
	"\"failed-session-count\":200,\"additional-information\":\"https://reports.company-x.example/"                 \
	"report_info?id=5065427c-23d3#StarttlsNotSupported\"},{\"result-type\":\"validation-failure\","                \
	"\"sending-mta-ip\":\"198.51.100.62\",\"receiving-ip\":\"203.0.113.58\",\"receiving-mx-hostname\":"            \
	"\"mx-backup.mail.company-y.example\",\"failed-session-count\":3,\"failure-reason-code\":"                     \
	"\"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED\"}]}]}"

static void test_rfc_example(void **state)
{
	(void)state;
	struct ma_tls_report r;
	const char *why = NULL;
	assert_int_equal(ma_tls_report_parse(RFC_EXAMPLE, strlen(RFC_EXAMPLE), &r, &why), MA_OK);
	assert_string_equal(r.organization_name, "Company-X");
	assert_int_equal(r.begin, 1459468800);
	assert_int_equal(r.end, 1459468800 + 86399);
	assert_string_equal(r.contact_info, "sts-reporting@company-x.example");
	assert_string_equal(r.report_id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
	assert_int_equal(r.npolicies, 1);
	struct ma_tlsrep_policy *p = &r.policies[0];
	assert_string_equal(p->policy_type, "sts");
	assert_string_equal(p->policy_domain, "company-y.example"); /* lower-cased */
	assert_int_equal(p->npolicy_strings, 4);
	assert_string_equal(p->policy_strings[1], "mode: testing");
	assert_int_equal(p->nmx_hosts, 1);
	assert_string_equal(p->mx_hosts[0], "*.mail.company-y.example");
	assert_int_equal(p->total_successful, 5326);
	assert_int_equal(p->total_failure, 303);
	assert_int_equal(p->nfailures, 3);
	assert_string_equal(p->failures[1].result_type, "starttls-not-supported");
	assert_string_equal(p->failures[1].receiving_ip, "203.0.113.56");
	assert_int_equal(p->failures[1].failed_session_count, 200);
	assert_string_equal(p->failures[2].failure_reason_code, "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED");
	/* the RFC's own example omits receiving-ip in the first detail */
	assert_true(ma_findings_has(&r.findings, "report.tls.failure-ip-missing"));
	assert_false(ma_findings_has(&r.findings, "report.tls.counts-mismatch"));
	json_t *j = ma_tls_report_to_json(&r);
	assert_non_null(j);
	assert_int_equal(
	    json_array_size(json_object_get(json_array_get(json_object_get(j, "policies"), 0), "failures")), 3);
	json_decref(j);
	ma_tls_report_fini(&r);
}

static void test_variants(void **state)
{
	(void)state;
	static const struct {
		const char *doc;
		const char *want_finding;
	} cases[] = {
	    /* Google: mx-host as an array */
	    {"{\"organization-name\":\"Google Inc.\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	     "\"end-datetime\":\"2024-01-01T23:59:59Z\"},\"contact-info\":\"smtp-tls-reporting@google.com\","
	     "\"report-id\":\"2024-01-01T00:00:00Z_example.com\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	     "\"policy-string\":[\"version: "
	     "STSv1\"],\"policy-domain\":\"example.com\",\"mx-host\":[\"mx1.example.com\","
	     "\"mx2.example.com\"]},\"summary\":{\"total-successful-session-count\":1,"
	     "\"total-failure-session-count\":0}}]}",
	     "report.tls.mx-host-array"},
	    /* additional-info-uri instead of additional-information */
	    {"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00+01:00\","
	     "\"end-datetime\":\"2024-01-01T23:59:59.123Z\"},\"contact-info\":\"c\",\"report-id\":\"1\",\"policies\":[{"
	     "\"policy\":{\"policy-type\":\"no-policy-found\",\"policy-domain\":\"example.com\"},\"summary\":{"
	     "\"total-successful-session-count\":0,\"total-failure-session-count\":1},\"failure-details\":[{"
	     "\"result-type\":\"starttls-not-supported\",\"sending-mta-ip\":\"192.0.2.1\",\"receiving-ip\":"
	     "\"192.0.2.2\",\"failed-session-count\":1,\"additional-info-uri\":\"https://x.example/\"}]}]}",
	     "report.tls.additional-info-uri"},
	    /* contact-info null */
	    {"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	     "\"end-datetime\":\"2024-01-02T00:00:00Z\"},\"contact-info\":null,\"report-id\":\"1\",\"policies\":[{"
	     "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},\"summary\":{"
	     "\"total-successful-session-count\":0,\"total-failure-session-count\":0}}]}",
	     "report.tls.contact-null"},
	    /* Microsoft: failure IPs omitted */
	    {"{\"organization-name\":\"Microsoft Corporation\",\"date-range\":{\"start-datetime\":"
	     "\"2025-06-14T00:00:00Z\",\"end-datetime\":\"2025-06-14T23:59:59Z\"},\"contact-info\":\"x\",\"report-id\":"
	     "\"1+\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},\"summary\":"
	     "{"
	     "\"total-successful-session-count\":0,\"total-failure-session-count\":3},\"failure-details\":[{"
	     "\"result-type\":\"sts-policy-fetch-error\",\"failed-session-count\":3}]}]}",
	     "report.tls.failure-ip-missing"},
	    /* Microsoft: TLSA records as a JSON string inside a string */
	    {"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":\"2025-05-23T00:00:00Z\","
	     "\"end-datetime\":\"2025-05-23T23:59:59Z\"},\"contact-info\":\"x\",\"report-id\":\"1\",\"policies\":[{"
	     "\"policy\":{\"policy-type\":\"tlsa\",\"policy-string\":[\"[\\\"3 1 1 AAAA\\\",\\\"3 1 1 BBBB\\\"]\"],"
	     "\"policy-domain\":\"example.com\"},\"summary\":{\"total-successful-session-count\":2,"
	     "\"total-failure-session-count\":0}}]}",
	     "report.tls.policy-string"},
	    /* counts that do not add up */
	    {"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	     "\"end-datetime\":\"2024-01-02T00:00:00Z\"},\"contact-info\":\"c\",\"report-id\":\"1\",\"policies\":[{"
	     "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},\"summary\":{"
	     "\"total-successful-session-count\":0,\"total-failure-session-count\":10},\"failure-details\":[{"
	     "\"result-type\":\"validation-failure\",\"sending-mta-ip\":\"192.0.2.1\",\"receiving-ip\":\"192.0.2.2\","
	     "\"failed-session-count\":3}]}]}",
	     "report.tls.counts-mismatch"},
	    /* missing organization-name and summary; a count as a string; an over-long value */
	    {"{\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\",\"end-datetime\":\"2024-01-02T00:00:00Z\"},"
	     "\"contact-info\":\"c\",\"report-id\":\"1\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	     "\"policy-domain\":\"example.com\"}}]}",
	     "report.tls.field-missing"},
	    {"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	     "\"end-datetime\":\"2024-01-02T00:00:00Z\"},\"contact-info\":\"c\",\"report-id\":\"1\",\"policies\":[{"
	     "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},\"summary\":{"
	     "\"total-successful-session-count\":\"7\",\"total-failure-session-count\":0}}]}",
	     "report.tls.field-invalid"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_tls_report r;
		const char *why;
		int rc = ma_tls_report_parse(cases[i].doc, strlen(cases[i].doc), &r, &why);
		if (rc != MA_OK)
			print_error("case %zu: %s\n", i, why);
		assert_int_equal(rc, MA_OK);
		if (!ma_findings_has(&r.findings, cases[i].want_finding))
			print_error("case %zu: want %s\n", i, cases[i].want_finding);
		assert_true(ma_findings_has(&r.findings, cases[i].want_finding));
		json_t *j = ma_tls_report_to_json(&r);
		assert_non_null(j);
		json_decref(j);
		if (i == 0) {
			assert_int_equal(r.policies[0].nmx_hosts, 2);
			assert_string_equal(r.policies[0].mx_hosts[1], "mx2.example.com");
		}
		if (i == 1) {
			assert_int_equal(r.begin, 1704063600); /* 00:00 at +01:00 is 23:00 UTC the day before */
			assert_string_equal(r.policies[0].failures[0].additional_information, "https://x.example/");
		}
		if (i == 2)
			assert_string_equal(r.contact_info, "");
		if (i == 4) {
			assert_int_equal(r.policies[0].npolicy_strings, 2);
			assert_string_equal(r.policies[0].policy_strings[0], "3 1 1 AAAA");
		}
		if (i == 7)
			assert_int_equal(r.policies[0].total_successful, 7);
		ma_tls_report_fini(&r);
	}
}

static void test_rejected(void **state)
{
	(void)state;
	static const struct {
		const char *doc;
		const char *want_why;
	} cases[] = {
	    {"", "not JSON"},
	    {"unused", "not JSON"},
	    {"<feedback/>", "not JSON"},
	    {"[1,2]", "not an object"},
	    {"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	     "\"end-datetime\":\"2024-01-02T00:00:00Z\"},\"policies\":[{\"policy\":{\"policy-domain\":\"e.com\"}}]}",
	     "report-id"},
	    {"{\"report-id\":\"1\",\"date-range\":{\"start-datetime\":\"yesterday\",\"end-datetime\":"
	     "\"2024-01-02T00:00:00Z\"},\"policies\":[{\"policy\":{\"policy-domain\":\"e.com\"}}]}",
	     "date-range"},
	    {"{\"report-id\":\"1\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\",\"end-datetime\":"
	     "\"2024-01-02T00:00:00Z\"},\"policies\":[]}",
	     "policy-domain"},
	    {"{\"report-id\":\"1\",\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\",\"end-datetime\":"
	     "\"2024-01-02T00:00:00Z\"},\"policies\":[{\"policy\":{\"policy-domain\":\"e.com\"}}],\"x\":\"\xff\"}",
	     "not JSON"}, /* invalid UTF-8 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_tls_report r;
		const char *why = NULL;
		assert_int_equal(ma_tls_report_parse(cases[i].doc, strlen(cases[i].doc), &r, &why), MA_ERR_PARSE);
		assert_non_null(why);
		if (strstr(why, cases[i].want_why) == NULL)
			print_error("case %zu: why '%s', want '%s'\n", i, why, cases[i].want_why);
		assert_non_null(strstr(why, cases[i].want_why));
		ma_tls_report_fini(&r);
	}
	/* over the document cap: refused before parsing (the length is all that is looked at) */
	struct ma_tls_report r;
	const char *why;
	assert_int_equal(ma_tls_report_parse("{}", (size_t)MA_TLSREP_DOC_MAX + 1, &r, &why), MA_ERR_TOOBIG);
	ma_tls_report_fini(&r);
}

static void test_caps(void **state)
{
	(void)state;
	/* more failure-details than the cap, and a 10 kB string */
	size_t cap = (MA_TLSREP_FAILURES_MAX + 10) * 40 + 20000;
	char *doc = malloc(cap);
	size_t n =
	    (size_t)snprintf(doc, cap,
	                     "{\"organization-name\":\"%0*d\",\"date-range\":{\"start-datetime\":"
	                     "\"2024-01-01T00:00:00Z\",\"end-datetime\":\"2024-01-02T00:00:00Z\"},\"contact-info\":"
	                     "\"c\",\"report-id\":\"1\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	                     "\"policy-domain\":\"example.com\"},\"summary\":{\"total-successful-session-count\":0,"
	                     "\"total-failure-session-count\":0},\"failure-details\":[",
	                     10000, 7);
	for (int i = 0; i < MA_TLSREP_FAILURES_MAX + 10; i++)
		n += (size_t)snprintf(doc + n, cap - n, "%s{\"failed-session-count\":0}", i ? "," : "");
	snprintf(doc + n, cap - n, "]}]}");
	struct ma_tls_report r;
	const char *why;
	assert_int_equal(ma_tls_report_parse(doc, strlen(doc), &r, &why), MA_OK);
	assert_int_equal(r.policies[0].nfailures, MA_TLSREP_FAILURES_MAX);
	assert_int_equal(strlen(r.organization_name), 4096);
	assert_true(ma_findings_has(&r.findings, "report.tls.over-cap"));
	assert_true(ma_findings_has(&r.findings, "report.tls.field-truncated"));
	ma_tls_report_fini(&r);
	free(doc);
}

static void test_corpus(void **state)
{
	(void)state;
	const char *shared = getenv("MA_SHARED_DIR");
	if (shared == NULL)
		skip();
	static const char *const dirs[] = {"corpus/reports/dmarc-report-viewer/testdata/smtp-tls-reports",
	                                   "corpus/reports/parsedmarc/samples/smtp_tls",
	                                   "corpus/reports/dmarc-report-viewer/historic"};
	int n = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", shared, dirs[d]);
		DIR *dh = opendir(dir);
		if (dh == NULL)
			skip();
		struct dirent *de;
		while ((de = readdir(dh)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			FILE *f = fopen(path, "rb");
			assert_non_null(f);
			char *buf = malloc(1 << 20);
			size_t len = fread(buf, 1, 1 << 20, f);
			fclose(f);
			struct ma_tls_report r;
			const char *why = NULL;
			int rc = ma_tls_report_parse(buf, len, &r, &why);
			bool is_tls = strstr(buf, "policies") != NULL;
			if (is_tls && rc != MA_OK)
				print_error("%s: %s\n", path, why);
			/* every TLS report is read; anything else is rejected with a reason */
			if (is_tls) {
				assert_int_equal(rc, MA_OK);
				assert_true(r.npolicies > 0);
				assert_true(r.begin > 0 && r.end > r.begin);
				json_t *j = ma_tls_report_to_json(&r);
				assert_non_null(j);
				json_decref(j);
			} else {
				assert_int_equal(rc, MA_ERR_PARSE);
				assert_true(why != NULL && why[0] != '\0');
			}
			ma_tls_report_fini(&r);
			free(buf);
			n++;
		}
		closedir(dh);
	}
	assert_true(n >= 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_example), cmocka_unit_test(test_variants), cmocka_unit_test(test_rejected),
	    cmocka_unit_test(test_caps),        cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
