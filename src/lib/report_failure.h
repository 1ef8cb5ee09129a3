/* src/lib/report_failure.h — DMARC failure (ruf) reports: ARF (RFC 5965, RFC 6591, RFC 9991) and the common
 * non-ARF variants.
 *
 * The MIME structure is taken apart in src/ingest (GMime); this parser gets the pieces as memory buffers: the
 * machine-readable part (message/feedback-report fields, possibly with the quirks in QUIRKS.md), the original
 * message's header block (text/rfc822-headers or the headers of the message/rfc822 part; bodies are never handed
 * in, for privacy), and for non-ARF reports the plain text body, from which what can be read is read.
 * Pure: no I/O. Privacy: local parts of addresses can be replaced by a keyed hash (the key is a parameter). */
#ifndef MA_REPORT_FAILURE_H
#define MA_REPORT_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/finding.h"

#define MA_FAILURE_FIELD_MAX 4096    /* one field value */
#define MA_FAILURE_HEADERS_MAX 65536 /* the original message's header block kept */

struct ma_failure_input {
	const char *feedback; /* the message/feedback-report part (already transfer-decoded), may be NULL (non-ARF) */
	size_t feedback_len;
	const char *headers; /* the original message's header block, may be NULL */
	size_t headers_len;
	const char *text; /* the human-readable text part, used for non-ARF reports; may be NULL */
	size_t text_len;
	const char *subject; /* the report message's Subject (decoded), may be NULL */
	int64_t received;    /* when the report message arrived (Date: or delivery time), Unix seconds; -1 unknown */
	const uint8_t *hash_key; /* when not NULL, local parts of addresses are replaced by HMAC-SHA256(key, local) */
	size_t hash_key_len;
};

/* Every string owned by the report, NUL-terminated, "" when absent. */
struct ma_failure_report {
	bool arf;                 /* a message/feedback-report part was found */
	char *feedback_type;      /* "auth-failure" (RFC 6591) or as written */
	char *user_agent;
	char *version;
	char *reported_domain;    /* lower-cased; the key the store files the report under */
	char *source_ip;          /* canonical; "(name)" comments removed */
	char *original_mail_from;
	char *original_rcpt_to;
	char *auth_failure;       /* dmarc, spf, dkim, adsp, bodyhash, revoked, signature */
	char *authentication_results;
	char *dkim_domain, *dkim_selector, *dkim_identity;
	char *spf_dns;
	char *delivery_result;
	char *identity_alignment; /* RFC 9991 */
	int64_t arrival;          /* Arrival-Date, Unix seconds; -1 when missing or unreadable */
	char *header_from;        /* From: of the original message */
	char *subject;            /* Subject: of the original message */
	char *message_id;
	char *original_headers;   /* the header block, capped at MA_FAILURE_HEADERS_MAX */
	struct ma_findings findings; /* report.failure.*: what was odd or missing */
};

/* Parse. MA_ERR_PARSE (report rejected) when neither an ARF part nor a readable non-ARF body gives a reported
 * domain; *why then says what (static). Always ma_failure_report_fini() *out. */
int ma_failure_parse(const struct ma_failure_input *in, struct ma_failure_report *out, const char **why);
void ma_failure_report_fini(struct ma_failure_report *r);
json_t *ma_failure_report_to_json(const struct ma_failure_report *r);

#endif
