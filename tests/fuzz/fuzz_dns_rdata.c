/* tests/fuzz/fuzz_dns_rdata.c — the rdata decoders on arbitrary bytes: first byte picks the decoder (0 TXT join,
 * 1 MX, 2 PTR-style name with a decode/encode round trip, 3 A/AAAA, 4 presentation name encode round trip, 5 name
 * decode into a tiny buffer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ma_dns_rdata rd = {data + 1, size - 1};
	char name[MA_DNS_NAME_MAX + 1];
	uint8_t addr[16];
	uint16_t pref;
	switch (data[0] % 6) {
	case 0: {
		char *txt = NULL;
		size_t len;
		if (ma_dns_txt_join(&rd, &txt, &len) == 0 && len > rd.len)
			abort();
		free(txt);
		break;
	}
	case 1:
		ma_dns_rdata_mx(&rd, &pref, name, sizeof name);
		break;
	case 2:
		if (ma_dns_rdata_name(&rd, name, sizeof name) == 0) {
			/* What decodes must encode back to the same wire bytes (case kept). */
			uint8_t wire[300];
			int w = ma_dns_name_encode(name, wire, sizeof wire);
			if (w < 0 || (size_t)w != rd.len || memcmp(wire, rd.data, rd.len) != 0)
				abort();
		}
		break;
	case 3:
		ma_dns_rdata_a(&rd, addr);
		ma_dns_rdata_aaaa(&rd, addr);
		break;
	case 4: {
		/* Presentation names from arbitrary text. */
		char *s = malloc(size);
		if (s == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		uint8_t wire[300];
		int w = ma_dns_name_encode(s, wire, sizeof wire);
		ma_dns_name_is_valid(s, strlen(s));
		free(s);
		if (w > 0) {
			/* Whatever encodes is a wire name the decoder takes, and its presentation form encodes back to
			 * the same octets (escapes are canonicalised, the bytes never change). */
			if (w > 255)
				abort();
			size_t off = 0;
			if (ma_dns_name_decode(wire, (size_t)w, &off, name, sizeof name) != 0 || off != (size_t)w)
				abort();
			uint8_t again[300];
			int w2 = ma_dns_name_encode(name, again, sizeof again);
			if (w2 != w || memcmp(again, wire, (size_t)w) != 0)
				abort();
		}
		break;
	}
	default: {
		size_t off = 0;
		ma_dns_name_decode(rd.data, rd.len, &off, name, 16); /* tiny output buffer */
		break;
	}
	}
	return 0;
}
