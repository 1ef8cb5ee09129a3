/* src/lib/report_tls.h — SMTP TLS reports (RFC 8460 4): the JSON document, with the variants seen in the wild
 * (mx-host as a string or an array, additional-information vs additional-info-uri, contact-info null, failure IPs
 * omitted, TLSA records as a JSON string inside a string, counts that do not add up). Pure: parsed from memory. */
#ifndef MA_REPORT_TLS_H
#define MA_REPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/finding.h"

#define MA_TLSREP_DOC_MAX (64u << 20) /* a larger JSON document is refused (MA_ERR_TOOBIG) */
#define MA_TLSREP_POLICIES_MAX 10000
#define MA_TLSREP_FAILURES_MAX 10000  /* failure-details per policy */

struct ma_tlsrep_failure {
	char *result_type;    /* starttls-not-supported, certificate-expired, validation-failure, ... */
	char *sending_mta_ip;
	char *receiving_mx_hostname;
	char *receiving_mx_helo;
	char *receiving_ip;
	uint64_t failed_session_count;
	char *additional_information;
	char *failure_reason_code;
};

struct ma_tlsrep_policy {
	char *policy_type;    /* sts, tlsa, no-policy-found */
	char **policy_strings;
	size_t npolicy_strings;
	char *policy_domain;  /* lower-cased */
	char **mx_hosts;      /* mx-host, string or array */
	size_t nmx_hosts;
	uint64_t total_successful;
	uint64_t total_failure;
	struct ma_tlsrep_failure *failures;
	size_t nfailures;
};

/* Every string owned, NUL-terminated, "" when absent. */
struct ma_tls_report {
	char *organization_name;
	int64_t begin, end; /* date-range start/end-datetime, Unix seconds; -1 when unreadable */
	char *contact_info;
	char *report_id;
	struct ma_tlsrep_policy *policies;
	size_t npolicies;
	struct ma_findings findings; /* report.tls.*: what was odd */
};

/* Parse one report document. MA_ERR_PARSE (rejected; *why static) when it is not JSON or lacks what dedup needs
 * (report-id, date-range, a policy domain); MA_ERR_TOOBIG over a cap. Always ma_tls_report_fini() *out. */
int ma_tls_report_parse(const void *buf, size_t len, struct ma_tls_report *out, const char **why);
void ma_tls_report_fini(struct ma_tls_report *r);
json_t *ma_tls_report_to_json(const struct ma_tls_report *r);

#endif
