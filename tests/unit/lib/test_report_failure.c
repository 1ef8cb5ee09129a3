/* tests/unit/lib/test_report_failure.c — DMARC failure reports (report_failure.h): ARF fields (RFC 6591, RFC 9991),
 * the quirks of QUIRKS.md (Source-IP comments, trailing ';', folding, TAB+CRLF, missing fields, plain-text reports
 * without ARF), privacy (keyed hashes of local parts, bodies never kept), caps, rejections, and the real failure
 * reports of the shared corpus taken apart with GMime as src/ingest does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "lib/err.h"
#include "lib/report_failure.h"

#define ARF                                                                                                            \
	"Feedback-Type: auth-failure\r\nUser-Agent: Lua/1.0\r\nVersion: 1.0\r\n"                                       \
	"Original-Mail-From: <SharePoint@Domain.de>\r\nOriginal-Rcpt-To: <peter.pan@domain.de>\r\n"                    \
	"Arrival-Date: Mon, 01 Oct 2018 11:20:27 +0200\r\nMessage-ID: <38.E7@mailrelay.de>\r\n"                        \
	"Authentication-Results: mx.domain.de; dmarc=fail (p=none, dis=none)\r\n header.from=domain.de\r\n"            \
	"Source-IP: 10.10.10.10\r\nDelivery-Result: smg-policy-action\r\nAuth-Failure: dmarc\r\n"                      \
	"Reported-Domain: Domain.DE.\r\nDKIM-Domain: domain.de\r\nDKIM-Selector: s1\r\n"                               \
	"Identity-Alignment: dkim\r\n"

#define HEADERS                                                                                                        \
	"Received: from host.domain.local (host [10.10.10.10])\r\n\tby mailrelay.de with SMTP; Mon, 1 Oct 2018\r\n"    \
	"From: \"Sharepoint\" <sharepoint@domain.de>\r\nTo: <peter.pan@domain.de>\r\n"                                 \
	"Subject: Invoice for peter.pan@domain.de\r\nMessage-ID: <38.E7@mailrelay.de>\r\n\r\n"                         \
	"This body must never be kept.\r\n"

static void parse_ok(const struct ma_failure_input *in, struct ma_failure_report *r)
{
	const char *why = NULL;
	int rc = ma_failure_parse(in, r, &why);
	if (rc != MA_OK)
		print_error("why: %s\n", why);
	assert_int_equal(rc, MA_OK);
	json_t *j = ma_failure_report_to_json(r);
	assert_non_null(j);
	json_decref(j);
}

static void test_arf(void **state)
{
	(void)state;
	struct ma_failure_input in = {.feedback = ARF,
	                              .feedback_len = strlen(ARF),
	                              .headers = HEADERS,
	                              .headers_len = strlen(HEADERS),
	                              .received = -1};
	struct ma_failure_report r;
	parse_ok(&in, &r);
	assert_true(r.arf);
	assert_string_equal(r.feedback_type, "auth-failure");
	assert_string_equal(r.user_agent, "Lua/1.0");
	assert_string_equal(r.version, "1.0");
	assert_string_equal(r.reported_domain, "domain.de");
	assert_string_equal(r.source_ip, "10.10.10.10");
	assert_string_equal(r.original_mail_from, "SharePoint@Domain.de");
	assert_string_equal(r.original_rcpt_to, "peter.pan@domain.de");
	assert_string_equal(r.auth_failure, "dmarc");
	/* folded value unfolded */
	assert_string_equal(r.authentication_results,
	                    "mx.domain.de; dmarc=fail (p=none, dis=none) header.from=domain.de");
	assert_string_equal(r.dkim_domain, "domain.de");
	assert_string_equal(r.dkim_selector, "s1");
	assert_string_equal(r.delivery_result, "smg-policy-action");
	assert_string_equal(r.identity_alignment, "dkim");
	assert_int_equal(r.arrival, 1538385627);
	assert_string_equal(r.header_from, "\"Sharepoint\" <sharepoint@domain.de>");
	assert_string_equal(r.subject, "Invoice for peter.pan@domain.de");
	assert_string_equal(r.message_id, "<38.E7@mailrelay.de>");
	/* headers kept, the body after the blank line never */
	assert_non_null(strstr(r.original_headers, "Received: from host.domain.local"));
	assert_null(strstr(r.original_headers, "never be kept"));
	assert_int_equal(r.findings.n, 0);
	ma_failure_report_fini(&r);
}

static void test_quirks(void **state)
{
	(void)state;
	/* Source-IP with a comment, trailing ';', LF-only and TAB+CRLF line ends, no Arrival-Date, no
	 * Authentication-Results, a Feedback-Type that is not auth-failure */
	const char *fb =
	    "\nFeedback-Type: auth-failure;\t\r\nUser-Agent: x\nVersion: 1\n"
	    "Source-IP: 2001:DB8::1 (mail.example.net)\nAuth-Failure: dmarc;\nReported-Domain: example.com\n";
	struct ma_failure_input in = {.feedback = fb, .feedback_len = strlen(fb), .received = -1};
	struct ma_failure_report r;
	parse_ok(&in, &r);
	assert_string_equal(r.feedback_type, "auth-failure");
	assert_string_equal(r.auth_failure, "dmarc");
	assert_string_equal(r.source_ip, "2001:db8::1");
	assert_int_equal(r.arrival, -1);
	assert_true(ma_findings_has(&r.findings, "report.failure.syntax"));
	assert_true(ma_findings_has(&r.findings, "report.failure.field-missing"));
	ma_failure_report_fini(&r);

	static const struct {
		const char *fb;
		const char *headers;
		const char *want;
	} cases[] = {
	    {"Feedback-Type: abuse\nUser-Agent: x\nVersion: 1\nAuth-Failure: dmarc\nArrival-Date: Thu, 1 Jan 2015 "
	     "00:00:00 GMT\nAuthentication-Results: x; dmarc=fail\nReported-Domain: example.com\n",
	     NULL, "report.failure.feedback-type"},
	    {"Feedback-Type: auth-failure\nSource-IP: 108r.166.1.1\nReported-Domain: example.com\n", NULL,
	     "report.failure.source-ip-invalid"},
	    {"Feedback-Type: auth-failure\nArrival-Date: the day before yesterday\nReported-Domain: example.com\n",
	     NULL, "report.failure.arrival-invalid"},
	    /* no Reported-Domain: the original From: names the domain */
	    {"Feedback-Type: auth-failure\nSource-IP: 192.0.2.1\n", "From: Someone <a@Example.ORG>\nSubject: hi\n\n",
	     "report.failure.domain-from-headers"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_failure_input c = {.feedback = cases[i].fb,
		                             .feedback_len = strlen(cases[i].fb),
		                             .headers = cases[i].headers,
		                             .headers_len = cases[i].headers ? strlen(cases[i].headers) : 0,
		                             .received = -1};
		parse_ok(&c, &r);
		if (!ma_findings_has(&r.findings, cases[i].want))
			print_error("case %zu: want %s\n", i, cases[i].want);
		assert_true(ma_findings_has(&r.findings, cases[i].want));
		if (i == 0)
			assert_int_equal(r.arrival, 1420070400);
		if (i == 1)
			assert_string_equal(r.source_ip, "");
		if (i == 3)
			assert_string_equal(r.reported_domain, "example.org");
		ma_failure_report_fini(&r);
	}
}

static void test_not_arf(void **state)
{
	(void)state;
	/* Exim's plain-text report: fields from the text, the header copy after the marker */
	const char *text = "A message claiming to be from you has failed the published DMARC policy for your domain.\n"
	                   "\n  Sender Domain: example.com\n  Sender IP Address: 203.0.113.68\n"
	                   "  Received date: Mon, 07 Apr 2025 23:16:09 +0200\n  SPF Alignment: no\n"
	                   "  DMARC Results: None, Accept\n\n"
	                   "------ This is a copy of the headers that were received before the error was detected.\n\n"
	                   "Received: from [203.0.113.68]\n\tby node04 with esmtp\nFrom: <user@example.com>\n"
	                   "Subject: Payment from your account.\nMessage-Id: <1341@example.com>\n";
	struct ma_failure_input in = {.text = text, .text_len = strlen(text), .received = -1};
	struct ma_failure_report r;
	parse_ok(&in, &r);
	assert_false(r.arf);
	assert_string_equal(r.reported_domain, "example.com");
	assert_string_equal(r.source_ip, "203.0.113.68");
	assert_int_equal(r.arrival, 1744060569);
	assert_string_equal(r.delivery_result, "None, Accept");
	assert_string_equal(r.auth_failure, "dmarc");
	assert_string_equal(r.header_from, "<user@example.com>");
	assert_string_equal(r.subject, "Payment from your account.");
	assert_true(ma_findings_has(&r.findings, "report.failure.not-arf"));
	ma_failure_report_fini(&r);

	/* nothing but a subject to go by */
	in = (struct ma_failure_input){.text = "see attached",
	                               .text_len = 12,
	                               .subject = "DMARC Forensic Report for example.net from IP 192.0.2.7",
	                               .received = -1};
	parse_ok(&in, &r);
	assert_string_equal(r.reported_domain, "example.net");
	assert_string_equal(r.source_ip, "192.0.2.7");
	ma_failure_report_fini(&r);

	/* rejected, with reasons */
	static const struct ma_failure_input bad[] = {
	    {.received = -1},
	    {.text = "hello", .text_len = 5, .received = -1},
	    {.feedback = "Feedback-Type: auth-failure\n", .feedback_len = 28, .received = -1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = NULL;
		assert_int_equal(ma_failure_parse(&bad[i], &r, &why), MA_ERR_PARSE);
		assert_true(why != NULL && why[0] != '\0');
		ma_failure_report_fini(&r);
	}
}

static void test_privacy(void **state)
{
	(void)state;
	static const uint8_t key[] = "k1-0123456789abcdef";
	static const uint8_t key2[] = "k2-0123456789abcdef";
	struct ma_failure_input in = {.feedback = ARF,
	                              .feedback_len = strlen(ARF),
	                              .headers = HEADERS,
	                              .headers_len = strlen(HEADERS),
	                              .received = -1,
	                              .hash_key = key,
	                              .hash_key_len = sizeof key - 1};
	struct ma_failure_report a, b, c;
	parse_ok(&in, &a);
	parse_ok(&in, &b);
	in.hash_key = key2;
	parse_ok(&in, &c);
	assert_true(ma_findings_has(&a.findings, "report.failure.hashed"));
	/* no local part left in anything kept */
	assert_null(strstr(a.original_mail_from, "SharePoint"));
	assert_null(strstr(a.original_rcpt_to, "peter.pan"));
	assert_null(strstr(a.header_from, "sharepoint@"));
	assert_null(strstr(a.subject, "peter.pan"));
	assert_null(strstr(a.original_headers, "peter.pan@"));
	assert_non_null(strstr(a.original_headers, "@domain.de"));
	/* the domain stays; the hash is 64 hex digits, stable, case-insensitive, and depends on the key */
	const char *at = strchr(a.original_mail_from, '@');
	assert_non_null(at);
	assert_int_equal(at - a.original_mail_from, 64);
	assert_string_equal(a.original_mail_from, b.original_mail_from);
	assert_string_not_equal(a.original_mail_from, c.original_mail_from);
	assert_int_equal(strncmp(a.header_from + strlen("\"Sharepoint\" <"), a.original_mail_from, 64), 0);
	assert_string_equal(a.reported_domain, "domain.de");
	ma_failure_report_fini(&a);
	ma_failure_report_fini(&b);
	ma_failure_report_fini(&c);
}

static void test_caps(void **state)
{
	(void)state;
	size_t big = 100000;
	char *fb = malloc(big + 200);
	int n = snprintf(fb, 200, "Reported-Domain: example.com\nAuthentication-Results: ");
	memset(fb + n, 'x', big);
	memcpy(fb + n + big, "\n", 2);
	char *hd = malloc(2 * MA_FAILURE_HEADERS_MAX);
	size_t o = 0;
	while (o + 100 < 2 * MA_FAILURE_HEADERS_MAX - 1) {
		memcpy(hd + o, "X-Filler: 0123456789012345678901234567890123456789\n", 51);
		o += 51;
	}
	hd[o] = '\0';
	struct ma_failure_input in = {
	    .feedback = fb, .feedback_len = strlen(fb), .headers = hd, .headers_len = o, .received = -1};
	struct ma_failure_report r;
	parse_ok(&in, &r);
	assert_int_equal(strlen(r.authentication_results), MA_FAILURE_FIELD_MAX);
	assert_true(strlen(r.original_headers) <= MA_FAILURE_HEADERS_MAX);
	assert_true(ma_findings_has(&r.findings, "report.failure.field-truncated"));
	assert_true(ma_findings_has(&r.findings, "report.failure.headers-truncated"));
	ma_failure_report_fini(&r);
	free(fb);
	free(hd);

	/* 8-bit header bytes become U+FFFD: the report still serialises */
	const char *h8 = "From: Andr\xe9 <a@example.com>\nSubject: \xff\xfe\n\n";
	in = (struct ma_failure_input){.feedback = "Reported-Domain: example.com\n",
	                               .feedback_len = 29,
	                               .headers = h8,
	                               .headers_len = strlen(h8),
	                               .received = -1};
	parse_ok(&in, &r);
	assert_string_equal(r.header_from, "Andr\xEF\xBF\xBD <a@example.com>");
	ma_failure_report_fini(&r);
}

/* ---- the shared corpus, taken apart with GMime ---------------------------------------------------------- */

struct parts {
	GString *feedback, *headers, *text;
};

static void collect(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct parts *p = data;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		if (m != NULL && p->headers->len == 0) {
			char *h = g_mime_object_get_headers(GMIME_OBJECT(m), NULL);
			g_string_append(p->headers, h);
			g_free(h);
		}
		return;
	}
	if (!GMIME_IS_PART(part))
		return;
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(part));
	if (w == NULL)
		return;
	GMimeStream *s = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, s);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	GString *dst = NULL;
	if (g_mime_content_type_is_type(ct, "message", "feedback-report"))
		dst = p->feedback;
	else if (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
	         g_mime_content_type_is_type(ct, "text", "rfc822-header"))
		dst = p->headers;
	else if (g_mime_content_type_is_type(ct, "text", "plain") && p->text->len == 0)
		dst = p->text;
	if (dst != NULL && dst->len == 0)
		g_string_append_len(dst, (const char *)ba->data, (gssize)ba->len);
	g_object_unref(s);
}

static void test_corpus(void **state)
{
	(void)state;
	const char *shared = getenv("MA_SHARED_DIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/corpus/reports/parsedmarc/samples/failure", shared ? shared : "");
	DIR *dh = shared ? opendir(dir) : NULL;
	if (dh == NULL)
		skip();
	g_mime_init();
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		GMimeStream *fs = g_mime_stream_file_open(path, "rb", NULL);
		assert_non_null(fs);
		GMimeParser *parser = g_mime_parser_new_with_stream(fs);
		GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
		assert_non_null(msg);
		struct parts p = {g_string_new(""), g_string_new(""), g_string_new("")};
		g_mime_message_foreach(msg, collect, &p);
		struct ma_failure_input in = {.feedback = p.feedback->len ? p.feedback->str : NULL,
		                              .feedback_len = p.feedback->len,
		                              .headers = p.headers->len ? p.headers->str : NULL,
		                              .headers_len = p.headers->len,
		                              .text = p.text->len ? p.text->str : NULL,
		                              .text_len = p.text->len,
		                              .subject = g_mime_message_get_subject(msg),
		                              .received = -1};
		struct ma_failure_report r;
		const char *why = NULL;
		int rc = ma_failure_parse(&in, &r, &why);
		if (rc != MA_OK)
			print_error("%s: %s\n", de->d_name, why);
		/* every real failure report is read, ARF or not, with a domain and a source address */
		assert_int_equal(rc, MA_OK);
		assert_true(r.reported_domain[0] != '\0');
		assert_true(r.source_ip[0] != '\0');
		assert_int_equal(r.arf, p.feedback->len > 0);
		json_t *j = ma_failure_report_to_json(&r);
		assert_non_null(j);
		json_decref(j);
		ma_failure_report_fini(&r);
		g_string_free(p.feedback, TRUE);
		g_string_free(p.headers, TRUE);
		g_string_free(p.text, TRUE);
		g_object_unref(msg);
		g_object_unref(parser);
		g_object_unref(fs);
		n++;
	}
	closedir(dh);
	assert_true(n >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arf),     cmocka_unit_test(test_quirks), cmocka_unit_test(test_not_arf),
	    cmocka_unit_test(test_privacy), cmocka_unit_test(test_caps),   cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
