/* src/lib/dns.h — DNS questions and answers as the sans-I/O evaluators see them, and rdata decoders.
 *
 * Evaluators (SPF, DMARC discovery, later DANE) are step functions: they hand out a struct ma_dns_question and take
 * back a struct ma_dns_answer. src/net fills answers from libunbound; tests fill them from canned zones; fuzzers
 * from garbage. Outcomes are ranked and never collapsed (STYLE.md): a timeout is never "no record". */
#ifndef MA_DNS_H
#define MA_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 1035 2.3.4: 255 octets on the wire; presentation form with \DDD escapes can be 4x longer. */
#define MA_DNS_NAME_MAX 1024

enum ma_dns_type {
	MA_DNS_T_A = 1,
	MA_DNS_T_NS = 2,
	MA_DNS_T_CNAME = 5,
	MA_DNS_T_SOA = 6,
	MA_DNS_T_PTR = 12,
	MA_DNS_T_MX = 15,
	MA_DNS_T_TXT = 16,
	MA_DNS_T_AAAA = 28,
	MA_DNS_T_DS = 43,
	MA_DNS_T_DNSKEY = 48,
	MA_DNS_T_TLSA = 52,
	MA_DNS_T_SPF = 99,
};

/* What came back, ranked. */
enum ma_dns_status {
	MA_DNS_ANSWER = 0,    /* NOERROR with records of the asked type */
	MA_DNS_NODATA = 1,    /* NOERROR, name exists, no records of that type */
	MA_DNS_NXDOMAIN = 2,  /* the name does not exist */
	MA_DNS_SERVFAIL = 3,  /* SERVFAIL, REFUSED or another error rcode: temporary */
	MA_DNS_TIMEOUT = 4,   /* no answer in time: temporary */
	MA_DNS_BOGUS = 5,     /* DNSSEC validation failed: the data cannot be trusted */
	MA_DNS_MALFORMED = 6, /* the answer could not be parsed */
};

/* DNSSEC verdict on an answer. */
enum ma_dnssec {
	MA_DNSSEC_UNCHECKED = 0, /* nothing validated: validation turned off, or no data (SERVFAIL, TIMEOUT, MALFORMED) */
	MA_DNSSEC_INSECURE = 1,  /* validated: no chain of trust (unsigned zone) */
	MA_DNSSEC_SECURE = 2,    /* validated: signed with a chain of trust */
	MA_DNSSEC_BOGUS = 3,     /* validation failed */
};

struct ma_dns_question {
	char name[MA_DNS_NAME_MAX + 1]; /* presentation form, no trailing dot */
	uint16_t type;                  /* enum ma_dns_type */
};

struct ma_dns_rdata {
	const uint8_t *data; /* wire-format rdata, names uncompressed */
	size_t len;
};

/* An answer as handed to an evaluator. Everything is borrowed for the duration of the call that receives it;
 * the evaluator copies what it keeps. */
struct ma_dns_answer {
	enum ma_dns_status status;
	enum ma_dnssec dnssec;
	size_t count;                  /* records in rr (0 unless status == MA_DNS_ANSWER) */
	const struct ma_dns_rdata *rr; /* records of the asked type, after any CNAME chain */
	const char *why;               /* optional reason (why bogus, which server failed), may be NULL */
};

bool ma_dns_status_is_temporary(enum ma_dns_status s); /* SERVFAIL, TIMEOUT */
const char *ma_dns_status_name(enum ma_dns_status s);  /* "answer", "nxdomain", ... */
const char *ma_dnssec_name(enum ma_dnssec s);          /* "unchecked", "insecure", "secure", "bogus" */
const char *ma_dns_type_name(uint16_t type);           /* "TXT", ... or "TYPE123" in a static buffer */

/* Join the character-strings of a TXT rdata without separators (RFC 7208 3.3, RFC 7489 6.6.3).
 * *out is malloc'd, NUL-terminated (the data itself may contain NULs: use *outlen). MA_ERR_PARSE when a string
 * length runs past the rdata. */
int ma_dns_txt_join(const struct ma_dns_rdata *rd, char **out, size_t *outlen);

/* Decode an uncompressed wire name at data[*off], advancing *off, into presentation form (no trailing dot; "."
 * alone for the root; bytes other than letters, digits and '-' '_' '*' '/' '+' '=' escaped as \DDD, a dot or
 * backslash inside a label as \. and \\). Case is kept. MA_ERR_PARSE when the name runs past len, has a label
 * over 63 octets (compression pointers included: rdata from the resolver is uncompressed) or is over 255 octets;
 * MA_ERR_TOOBIG when out is too small. MA_DNS_NAME_MAX + 1 bytes always suffice. */
int ma_dns_name_decode(const uint8_t *data, size_t len, size_t *off, char *out, size_t outsz);

int ma_dns_rdata_mx(const struct ma_dns_rdata *rd, uint16_t *pref, char *name, size_t namesz);
int ma_dns_rdata_name(const struct ma_dns_rdata *rd, char *name, size_t namesz); /* PTR, CNAME, NS */
int ma_dns_rdata_a(const struct ma_dns_rdata *rd, uint8_t out[4]);
int ma_dns_rdata_aaaa(const struct ma_dns_rdata *rd, uint8_t out[16]);

/* Encode a presentation-form name (\DDD and \X escapes understood, optional trailing dot) to wire format.
 * Returns the wire length, MA_ERR_INVAL when a label is empty or over 63 octets, the name over 255 octets or an
 * escape incomplete, or MA_ERR_TOOBIG when a valid name does not fit in outsz. "" and "." are the root. */
int ma_dns_name_encode(const char *name, uint8_t *out, size_t outsz);

/* RFC 1035 2.3.4 / RFC 7208 4.3: true when the name has only non-empty labels of at most 63 octets and at most
 * 253 characters in all (a trailing dot allowed). */
bool ma_dns_name_is_valid(const char *name, size_t len);

/* Case-insensitive (ASCII only, RFC 4343) comparison of presentation names, ignoring one trailing dot. */
bool ma_dns_name_eq(const char *a, const char *b);

#endif
