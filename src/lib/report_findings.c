/* src/lib/report_findings.c — finding definitions of the report parsers (aggregate, failure, SMTP TLS): what was
 * odd about a report as received. These describe the reporter's document, not the user's domain: the report was
 * still read as far as it was sound (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_report_findings[] = {
    /* ---- aggregate (rua) reports: the document ---- */
    {"report.agg.namespace-unknown", MA_SEV_WARNING,
     "The report's root element is in a namespace not known to be DMARC",
     "Reports use no namespace (RFC 7489 appendix C), urn:ietf:params:xml:ns:dmarc-2.0 (RFC 9990) or "
     "http://dmarc.org/dmarc-xml/0.2; the elements were read by their local names."},
    {"report.agg.wrapped", MA_SEV_INFO, "The <feedback> element is not the document's root",
     "RFC 7489 appendix C makes <feedback> the root; the report was found inside a wrapper element and read."},
    {"report.agg.xml-malformed", MA_SEV_WARNING, "The report is not well-formed XML; it was read in recovery mode",
     "Values near the error may be wrong or missing. Tell the reporter: XML must escape '<' and '&' (XML 1.0 2.4)."},
    {"report.agg.invalid-utf8", MA_SEV_WARNING, "The report has bytes that are not valid UTF-8 or not allowed in XML",
     "They were replaced by U+FFFD. Reports are UTF-8 unless they declare another encoding (XML 1.0 4.3.3)."},
    {"report.agg.dtd-ignored", MA_SEV_WARNING, "The report carries a document type declaration, which was ignored",
     "DMARC reports need no DTD; entities declared in it are never expanded or fetched (a defence against "
     "entity-expansion bombs and external-entity reads), so values that used them are empty."},
    {"report.agg.field-truncated", MA_SEV_WARNING, "A value in the report was implausibly long and was truncated",
     "No DMARC report field needs more than 1024 bytes (RFC 7489 appendix C); the first 1024 were kept."},
    {"report.agg.field-missing", MA_SEV_WARNING, "The report lacks a field RFC 7489 requires",
     "org_name, email, report_id and date_range are required in report_metadata (RFC 7489 appendix C, RFC 9990 "
     "appendix A); the report was read without it."},
    {"report.agg.date-invalid", MA_SEV_WARNING, "The report's date range is not a Unix time",
     "begin and end are integer seconds since the epoch (RFC 7489 appendix C); the value was ignored."},
    {"report.agg.float-epoch", MA_SEV_INFO, "The report's date range is written as a decimal number",
     "RFC 7489 appendix C uses integer seconds; the fraction was dropped."},
    {"report.agg.range-unusual", MA_SEV_INFO, "The report's date range is empty, inverted or longer than a month",
     "Reports normally cover a day (RFC 7489 7.2, RFC 9990 2.1); the range was kept as written."},
    {"report.agg.policy-repeated", MA_SEV_WARNING, "The report has more than one <policy_published>",
     "RFC 7489 appendix C allows one; the first was used."},
    {"report.agg.truncated", MA_SEV_WARNING, "The report ends before </feedback>",
     "Every complete record before the cut was kept; records after it are missing. Ask the reporter to resend if "
     "totals matter."},
    {"report.agg.element-case", MA_SEV_INFO, "The report spells element names in a case the schema does not use",
     "Element names are case-sensitive and lower-case (RFC 7489 appendix C); they were matched ignoring case."},
    {"report.agg.record-empty", MA_SEV_INFO, "The report has <record> elements with no content; they were skipped",
     "A record needs at least a source_ip and a count (RFC 7489 appendix C)."},
    {"report.agg.reporter-error", MA_SEV_INFO, "The reporter listed errors in the report's metadata",
     "RFC 7489 appendix C <error>: the reporter had trouble producing the report; the texts are kept."},
    {"report.agg.no-records", MA_SEV_INFO, "The report has no records",
     "A report with no messages is allowed but unusual (RFC 7489 7.2)."},
    {"report.agg.value-invalid", MA_SEV_WARNING, "A policy value in the report is not one the schema allows",
     "pct is 0-100 (RFC 7489 6.3); the value was ignored or kept as written."},
    /* ---- aggregate reports: a record ---- */
    {"report.agg.result-spelling", MA_SEV_INFO, "A result is spelled differently from the schema",
     "Results are lower-case RFC 8601 words (RFC 7489 appendix C); \"Pass\", \"hardfail\", \"error\" (temperror) "
     "and \"unknown\" (permerror, RFC 4408's early name) were read as the word meant."},
    {"report.agg.result-unknown", MA_SEV_WARNING, "A result is not a word the schema defines",
     "Kept as written; DMARC results are pass, fail, softfail, neutral, none, temperror, permerror or policy."},
    {"report.agg.disposition-unknown", MA_SEV_WARNING, "A record's disposition is not none, quarantine, reject or pass",
     "RFC 7489 appendix C and RFC 9990 appendix A define these four; the record was kept."},
    {"report.agg.source-ip-invalid", MA_SEV_WARNING, "A record's source_ip is missing or not an IP address",
     "The raw text is kept; the record cannot be attributed to a sending host."},
    {"report.agg.count-invalid", MA_SEV_WARNING, "A record's count is missing or not a number",
     "The record counts as 0 messages (RFC 7489 appendix C: count is an integer)."},
    {"report.agg.results-dropped", MA_SEV_WARNING, "A record has implausibly many auth results or reasons",
     "Only the first 64 DKIM/SPF results and 16 override reasons of a record are kept."},
    {"report.agg.spf-domain-null", MA_SEV_INFO, "A record's SPF domain is the text \"NULL\" or empty",
     "Some reporters write NULL for a null reverse-path; read as no domain (RFC 7208 2.4 uses the HELO name then)."},
    {NULL, MA_SEV_OK, NULL, NULL},
};
