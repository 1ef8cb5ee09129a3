/* tests/fuzz/fuzz_dns_msg.c — the DNS message parser on arbitrary bytes. Input: one octet choosing the question's
 * type, one the validator's verdict, then the message (asked for www.example.com). Whatever the bytes, the parse
 * ends with a status, and records it hands on are what the rdata decoders accept. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"
#include "lib/dns_msg.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {MA_DNS_T_A,     MA_DNS_T_AAAA, MA_DNS_T_MX,  MA_DNS_T_TXT,
	                                 MA_DNS_T_CNAME, MA_DNS_T_PTR,  MA_DNS_T_SOA, MA_DNS_T_TLSA};
	if (size < 2)
		return 0;
	struct ma_dns_question q = {.name = "www.example.com", .type = types[data[0] % 8]};
	struct ma_dns_msg_in in = {
	    .pkt = data + 2,
	    .len = size - 2,
	    .q = &q,
	    .verdict = (enum ma_dnssec)(data[1] % 4),
	    .why_bogus = "fuzz",
	};
	struct ma_dns_msg m;
	ma_dns_msg_init(&m);
	if (ma_dns_msg_parse(&m, &in) != MA_OK) {
		ma_dns_msg_fini(&m);
		return 0;
	}
	const struct ma_dns_answer *a = &m.ans;
	if (a->status == MA_DNS_ANSWER) {
		if (a->count == 0 || a->count > MA_DNS_MSG_RR_MAX)
			abort();
		char name[MA_DNS_NAME_MAX + 1];
		uint16_t pref;
		uint8_t addr[16];
		for (size_t i = 0; i < a->count; i++) {
			const struct ma_dns_rdata *rd = &a->rr[i];
			/* Names in rdata come out uncompressed, which is all the decoders take. */
			if (q.type == MA_DNS_T_MX && ma_dns_rdata_mx(rd, &pref, name, sizeof name) != MA_OK)
				abort();
			if ((q.type == MA_DNS_T_CNAME || q.type == MA_DNS_T_PTR) &&
			    ma_dns_rdata_name(rd, name, sizeof name) != MA_OK)
				abort();
			if (q.type == MA_DNS_T_A && ma_dns_rdata_a(rd, addr) != MA_OK)
				abort();
			if (q.type == MA_DNS_T_AAAA && ma_dns_rdata_aaaa(rd, addr) != MA_OK)
				abort();
			if (q.type == MA_DNS_T_TXT) {
				char *txt = NULL;
				size_t len;
				if (ma_dns_txt_join(rd, &txt, &len) == MA_OK && len > rd->len)
					abort();
				free(txt);
			}
		}
	} else if (a->count != 0 || a->rr != NULL) {
		abort();
	}
	if (a->status == MA_DNS_BOGUS && in.verdict != MA_DNSSEC_BOGUS)
		abort();
	ma_dns_msg_fini(&m);
	return 0;
}
