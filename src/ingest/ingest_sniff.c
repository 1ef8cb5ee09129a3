/* src/ingest/ingest_sniff.c — what a payload is, from its first bytes (never from its name: QUIRKS.md). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ingest/ingest_impl.h"

enum ma_payload ma_ingest_sniff(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i = 0;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return MA_PAYLOAD_GZIP; /* RFC 1952 2.3.1 ID1 ID2 */
	if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return MA_PAYLOAD_ZIP;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* UTF-8 byte order mark */
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < len && p[i] == '<')
		return MA_PAYLOAD_XML;
	if (i < len && p[i] == '{')
		return MA_PAYLOAD_JSON;
	return MA_PAYLOAD_OTHER; /* a message, or nothing we know: the MIME reader decides */
}
