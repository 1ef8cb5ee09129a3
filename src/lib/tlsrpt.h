/* src/lib/tlsrpt.h — SMTP TLS Reporting policy records (RFC 8460 3): the _smtp._tls TXT record. */
#ifndef MA_TLSRPT_H
#define MA_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/dns.h"
#include "lib/finding.h"

#define MA_TLSRPT_TXT_MAX 4096
#define MA_TLSRPT_RUA_MAX 16

struct ma_tlsrpt_record {
	bool valid;                   /* v=TLSRPTv1 first and at least one usable rua */
	char *rua[MA_TLSRPT_RUA_MAX]; /* owned: the mailto:/https: URIs as published */
	size_t nrua;
	size_t extensions;
};

/* Parse the record's text (TXT strings joined; any bytes). Findings (tlsrpt.*) to `f` when not NULL.
 * Caller must ma_tlsrpt_record_fini(). Returns MA_OK or MA_ERR_NOMEM. */
int ma_tlsrpt_parse(const char *data, size_t len, struct ma_tlsrpt_record *rec, struct ma_findings *f);
/* RFC 8460 3: of the TXT records at _smtp._tls.<domain>, those that do not start with v=TLSRPTv1 are discarded;
 * unless exactly one remains senders assume no TLS-RPT (tlsrpt.record.multiple, rec->valid false). *found is how
 * many started with v=TLSRPTv1; with exactly one, it is parsed into *rec (always ma_tlsrpt_record_fini() it).
 * Returns MA_OK, MA_ERR_NOMEM, or MA_ERR_PARSE when an rdata is not well-formed TXT. */
int ma_tlsrpt_select(const struct ma_dns_rdata *rr, size_t count, struct ma_tlsrpt_record *rec, size_t *found,
                     struct ma_findings *f);
void ma_tlsrpt_record_fini(struct ma_tlsrpt_record *rec);
json_t *ma_tlsrpt_record_to_json(const struct ma_tlsrpt_record *rec);

#endif
