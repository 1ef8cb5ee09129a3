/* src/lib/xml_utf8.h — streaming repair of XML input that should be UTF-8: every byte that does not start a valid
 * UTF-8 sequence (RFC 3629 4: no overlongs, surrogates or code points past U+10FFFF), and every character XML 1.0 2.2
 * forbids (C0 controls other than TAB, LF, CR; U+FFFE, U+FFFF), is replaced by U+FFFD. libxml2 stops at the first
 * such byte; real reports have them (QUIRKS.md), so the report parser repairs before parsing. Pure, no allocation. */
#ifndef MA_XML_UTF8_H
#define MA_XML_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero-initialised is the start state. */
struct ma_xml_utf8 {
	unsigned char carry[4]; /* a sequence split across feeds */
	size_t ncarry;
	uint64_t offset;       /* input bytes consumed */
	uint64_t bad;          /* input bytes replaced */
	uint64_t first_bad_at; /* offset of the first replaced byte (valid when bad > 0) */
	unsigned char first_bad;
};

/* Receives the repaired bytes in order; a non-zero return stops the feed and is returned by it. */
typedef int (*ma_xml_utf8_emit)(void *arg, const unsigned char *b, size_t n);

/* Valid runs are passed through without copying. Returns 0 or the first non-zero emit result. */
int ma_xml_utf8_feed(struct ma_xml_utf8 *u, const unsigned char *b, size_t n, ma_xml_utf8_emit emit, void *arg);
/* End of input: an incomplete sequence left over is replaced. */
int ma_xml_utf8_finish(struct ma_xml_utf8 *u, ma_xml_utf8_emit emit, void *arg);

/* Whether a document starting with these bytes is UTF-8 by its XML declaration (XML 1.0 4.3.3: UTF-8 when
 * undeclared; a UTF-16 BOM or another declared encoding is left to libxml2's own decoder). */
bool ma_xml_decl_is_utf8(const unsigned char *head, size_t n);

#endif
