/* src/lib/xml_utf8.c — streaming UTF-8 repair before XML parsing (see xml_utf8.h). */
#include <string.h>
#include <strings.h>

#include "lib/xml_utf8.h"

static const unsigned char fffd[3] = {0xEF, 0xBF, 0xBD};

/* Length of the valid sequence starting at s, 0 if invalid, -1 if it may continue past the end of the buffer. */
static int seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
	int need;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		return 0;
	}
	for (int i = 1; i <= need; i++) {
		if ((size_t)i >= avail)
			return -1;
		unsigned char x = s[i];
		if (i == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF))
			return 0;
	}
	if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
		return 0; /* U+FFFE, U+FFFF: not XML characters */
	return need + 1;
}

static int bad(struct ma_xml_utf8 *u, unsigned char c, ma_xml_utf8_emit emit, void *arg)
{
	if (u->bad++ == 0) {
		u->first_bad_at = u->offset;
		u->first_bad = c;
	}
	u->offset++;
	return emit(arg, fffd, 3);
}

int ma_xml_utf8_feed(struct ma_xml_utf8 *u, const unsigned char *b, size_t n, ma_xml_utf8_emit emit, void *arg)
{
	int rc;
	/* complete a sequence split across feeds */
	while (u->ncarry > 0 && n > 0) {
		u->carry[u->ncarry++] = *b++;
		n--;
		int k = seq(u->carry, u->ncarry);
		if (k < 0 && u->ncarry < 4)
			continue;
		/* what follows the sequence (or its bad first byte) is input again; it may have come from an earlier
		 * buffer, so it is fed from a copy, never by stepping back in this one */
		unsigned char rest[4];
		size_t skip = k > 0 ? (size_t)k : 1, nrest = u->ncarry - skip;
		memcpy(rest, u->carry + skip, nrest);
		u->ncarry = 0;
		if (k > 0) {
			u->offset += (uint64_t)k;
			rc = emit(arg, u->carry, (size_t)k);
		} else {
			rc = bad(u, u->carry[0], emit, arg);
		}
		if (rc == 0 && nrest > 0)
			rc = ma_xml_utf8_feed(u, rest, nrest, emit, arg);
		if (rc != 0)
			return rc;
	}
	size_t start = 0, i = 0;
	while (i < n) {
		/* fast path: eight ASCII bytes, none a control character */
		if (i + 8 <= n) {
			uint64_t v;
			memcpy(&v, b + i, 8);
			if ((v & 0x8080808080808080ull) == 0 &&
			    ((v - 0x2020202020202020ull) & ~v & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		int k = seq(b + i, n - i);
		if (k > 0) {
			i += (size_t)k;
			continue;
		}
		if (i > start) {
			u->offset += i - start;
			if ((rc = emit(arg, b + start, i - start)) != 0)
				return rc;
		}
		if (k < 0) {
			u->ncarry = n - i;
			memcpy(u->carry, b + i, u->ncarry);
			return 0;
		}
		if ((rc = bad(u, b[i], emit, arg)) != 0)
			return rc;
		start = ++i;
	}
	if (i > start) {
		u->offset += i - start;
		return emit(arg, b + start, i - start);
	}
	return 0;
}

int ma_xml_utf8_finish(struct ma_xml_utf8 *u, ma_xml_utf8_emit emit, void *arg)
{
	if (u->ncarry == 0)
		return 0;
	/* an incomplete sequence: its first byte is bad, the rest is input again */
	unsigned char rest[4];
	size_t nrest = u->ncarry - 1;
	memcpy(rest, u->carry + 1, nrest);
	u->ncarry = 0;
	int rc = bad(u, u->carry[0], emit, arg);
	if (rc == 0 && nrest > 0)
		rc = ma_xml_utf8_feed(u, rest, nrest, emit, arg);
	if (rc == 0 && u->ncarry > 0)
		rc = ma_xml_utf8_finish(u, emit, arg);
	return rc;
}

bool ma_xml_decl_is_utf8(const unsigned char *h, size_t n)
{
	if (n >= 2 && ((h[0] == 0xFE && h[1] == 0xFF) || (h[0] == 0xFF && h[1] == 0xFE)))
		return false; /* UTF-16 BOM */
	if (n >= 2 && (h[0] == 0 || h[1] == 0))
		return false; /* UTF-16/32 without a BOM (XML 1.0 appendix F) */
	if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0) {
		h += 3;
		n -= 3;
	}
	if (n < 5 || memcmp(h, "<?xml", 5) != 0)
		return true;
	const unsigned char *e = memmem(h, n, "?>", 2);
	size_t lim = e ? (size_t)(e - h) : n;
	const unsigned char *enc = memmem(h, lim, "encoding", 8);
	if (enc == NULL)
		return true;
	const unsigned char *q = enc + 8, *end = h + lim;
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n' || *q == '='))
		q++;
	if (q >= end || (*q != '"' && *q != '\''))
		return true;
	unsigned char quote = *q++;
	char name[32];
	size_t k = 0;
	while (q < end && *q != quote && k + 1 < sizeof name)
		name[k++] = (char)*q++;
	name[k] = '\0';
	return strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0 || strcasecmp(name, "us-ascii") == 0 ||
	       strcasecmp(name, "ascii") == 0;
}
