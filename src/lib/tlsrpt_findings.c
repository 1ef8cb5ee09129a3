/* src/lib/tlsrpt_findings.c — finding definitions of the TLS-RPT module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_tlsrpt_findings[] = {
	{"tlsrpt.record.too-long", MA_SEV_ERROR, "The _smtp._tls record is implausibly long and was not parsed",
	 "Publish v=TLSRPTv1; rua=mailto:<address> (RFC 8460 3)."},
	{"tlsrpt.record.version", MA_SEV_ERROR, "The _smtp._tls record does not start with v=TLSRPTv1",
	 "Start the record with v=TLSRPTv1 exactly, case-sensitive (RFC 8460 3)."},
	{"tlsrpt.record.syntax", MA_SEV_ERROR, "The _smtp._tls record is not valid, so senders ignore it",
	 "Write fields as name=value separated by ';' (RFC 8460 3), e.g. v=TLSRPTv1; rua=mailto:tls@example.com."},
	{"tlsrpt.record.duplicate", MA_SEV_WARNING, "rua appears more than once in the record",
	 "The grammar allows it but some senders use only the first rua: list every destination in one rua, "
	 "separated by commas (RFC 8460 3)."},
	{"tlsrpt.record.multiple", MA_SEV_ERROR, "More than one _smtp._tls TXT record starts with v=TLSRPTv1",
	 "Senders then assume no TLS-RPT (RFC 8460 3): publish exactly one record and list every rua in it."},
	{"tlsrpt.record.extension", MA_SEV_INFO, "The record has an extension field senders ignore",
	 "RFC 8460 3 defines only v and rua; check the field is intended."},
	{"tlsrpt.rua.missing", MA_SEV_ERROR, "The record has no rua, so no TLS report can be sent",
	 "Add rua=mailto:<address> (RFC 8460 3); UK public sector: tls-rua@mailcheck.service.ncsc.gov.uk."},
	{"tlsrpt.rua.invalid", MA_SEV_ERROR, "A rua destination is not a valid mailto: or https: URI",
	 "Use mailto:user@domain or https://host/path, with ',' and '!' percent-encoded (RFC 8460 3)."},
	{"tlsrpt.rua.http", MA_SEV_ERROR, "A rua destination uses http:, which RFC 8460 does not allow",
	 "Reports over HTTP must use https: (RFC 8460 3, 5.3)."},
	{"tlsrpt.rua.scheme", MA_SEV_ERROR, "A rua destination is neither mailto: nor https:",
	 "RFC 8460 3 defines mailto: and https: report destinations only."},
	{"tlsrpt.rua.too-many", MA_SEV_WARNING, "The record lists implausibly many rua destinations",
	 "Every sender mails every destination on every report (RFC 8460 3): keep a few, e.g. your own collector and, "
	 "for UK public sector, mailto:tls-rua@mailcheck.service.ncsc.gov.uk."},
	{"tlsrpt.rua.ok", MA_SEV_OK, "The record names a valid report destination",
	 "UK public sector: also add mailto:tls-rua@mailcheck.service.ncsc.gov.uk so NCSC Mail Check sees the "
	 "reports."},
	{"tlsrpt.rua.uk-central", MA_SEV_OK, "Reports go to the UK central TLS-RPT service",
	 "Reports reach NCSC Mail Check as the UK government email security standard asks."},
	{NULL, MA_SEV_OK, NULL, NULL},
};
