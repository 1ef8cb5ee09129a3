/* tests/unit/lib/test_dns_msg.c — the DNS message parser on crafted packets: every status, CNAME chains and loops,
 * compression pointers good and hostile, truncation, caps, and rdata names written out uncompressed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"
#include "lib/dns_msg.h"
#include "lib/err.h"

/* A packet under construction. */
struct pk {
	uint8_t b[70000];
	size_t n;
};

static void raw(struct pk *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof p->b);
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void u16(struct pk *p, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	raw(p, b, 2);
}

static void u32(struct pk *p, unsigned long v)
{
	u16(p, (unsigned)(v >> 16));
	u16(p, (unsigned)(v & 0xffff));
}

/* Presentation name, uncompressed. */
static void name(struct pk *p, const char *dotted)
{
	uint8_t w[256];
	int n = ma_dns_name_encode(dotted, w, sizeof w);
	assert_true(n > 0);
	raw(p, w, (size_t)n);
}

static void ptr(struct pk *p, unsigned off)
{
	u16(p, 0xC000 | off);
}

#define QR 0x8000
#define TC 0x0200

static void hdr(struct pk *p, unsigned flags, unsigned qd, unsigned an)
{
	p->n = 0;
	u16(p, 0x1234);
	u16(p, flags);
	u16(p, qd);
	u16(p, an);
	u16(p, 0);
	u16(p, 0);
}

/* The question at offset 12; its name can be pointed at with ptr(p, 12). */
static void question(struct pk *p, const char *qname, unsigned type)
{
	name(p, qname);
	u16(p, type);
	u16(p, 1);
}

static void rr(struct pk *p, const char *owner, unsigned type, const void *rd, size_t rdlen)
{
	if (owner == NULL)
		ptr(p, 12);
	else
		name(p, owner);
	u16(p, type);
	u16(p, 1);
	u32(p, 300);
	u16(p, (unsigned)rdlen);
	raw(p, rd, rdlen);
}

static void rr_cname(struct pk *p, const char *owner, const char *target)
{
	uint8_t w[256];
	int n = ma_dns_name_encode(target, w, sizeof w);
	assert_true(n > 0);
	rr(p, owner, MA_DNS_T_CNAME, w, (size_t)n);
}

/* Builders, one per case. */
static void b_a(struct pk *p)
{
	hdr(p, QR, 1, 2);
	question(p, "www.example.com", 1);
	rr(p, NULL, 1, "\xc0\x00\x02\x01", 4);
	rr(p, "WWW.Example.COM", 1, "\xc0\x00\x02\x02", 4); /* case-insensitive owner (RFC 4343) */
}
static void b_nxdomain(struct pk *p)
{
	hdr(p, QR | 3, 1, 0);
	question(p, "www.example.com", 1);
}
static void b_nodata(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	rr(p, "other.example.com", 1, "\xc0\x00\x02\x01", 4); /* records at other names are not the answer */
}
static void b_servfail(struct pk *p)
{
	hdr(p, QR | 2, 1, 0);
	question(p, "www.example.com", 1);
}
static void b_refused(struct pk *p)
{
	hdr(p, QR | 5, 0, 0);
}
static void b_rcode15(struct pk *p)
{
	hdr(p, QR | 15, 1, 0);
	question(p, "www.example.com", 1);
}
static void b_tc(struct pk *p)
{
	b_a(p);
	p->b[2] |= TC >> 8;
}
static void b_query(struct pk *p)
{
	hdr(p, 0, 1, 0);
	question(p, "www.example.com", 1);
}
static void b_other_name(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "evil.example.com", 1);
	rr(p, NULL, 1, "\xc0\x00\x02\x01", 4);
}
static void b_other_type(struct pk *p)
{
	hdr(p, QR, 1, 0);
	question(p, "www.example.com", 28);
}
static void b_short(struct pk *p)
{
	hdr(p, QR, 1, 0);
	p->n = 11;
}
static void b_chain(struct pk *p)
{
	hdr(p, QR, 1, 4);
	question(p, "www.example.com", 1);
	rr(p, "b.example.net", 1, "\xc0\x00\x02\x09", 4); /* order does not matter */
	rr_cname(p, NULL, "a.example.org");
	rr_cname(p, "a.example.org", "B.example.net");
	rr(p, "other.example.com", 1, "\xc0\x00\x02\x07", 4); /* not on the chain */
}
static void b_cname_and_data(struct pk *p)
{
	hdr(p, QR, 1, 2);
	question(p, "www.example.com", 1);
	rr(p, NULL, 1, "\xc0\x00\x02\x07", 4);
	rr_cname(p, NULL, "a.example.org");
}
static void b_chain_dangling(struct pk *p)
{
	hdr(p, QR | 3, 1, 1);
	question(p, "www.example.com", 16);
	rr_cname(p, NULL, "gone.example.org");
}
static void b_loop(struct pk *p)
{
	hdr(p, QR, 1, 2);
	question(p, "a.example", 1);
	rr_cname(p, "a.example", "b.example");
	rr_cname(p, "b.example", "A.EXAMPLE");
}
static void b_long_chain(struct pk *p)
{
	hdr(p, QR, 1, MA_DNS_MSG_CNAME_MAX + 2);
	question(p, "c0.example", 1);
	for (int i = 0; i <= MA_DNS_MSG_CNAME_MAX; i++) {
		char o[32], t[32];
		snprintf(o, sizeof o, "c%d.example", i);
		snprintf(t, sizeof t, "c%d.example", i + 1);
		rr_cname(p, o, t);
	}
	char last[32];
	snprintf(last, sizeof last, "c%d.example", MA_DNS_MSG_CNAME_MAX + 1);
	rr(p, last, 1, "\xc0\x00\x02\x01", 4);
}
static void b_max_chain(struct pk *p)
{
	hdr(p, QR, 1, MA_DNS_MSG_CNAME_MAX + 1);
	question(p, "c0.example", 1);
	for (int i = 0; i < MA_DNS_MSG_CNAME_MAX; i++) {
		char o[32], t[32];
		snprintf(o, sizeof o, "c%d.example", i);
		snprintf(t, sizeof t, "c%d.example", i + 1);
		rr_cname(p, o, t);
	}
	char last[32];
	snprintf(last, sizeof last, "c%d.example", MA_DNS_MSG_CNAME_MAX);
	rr(p, last, 1, "\xc0\x00\x02\x01", 4);
}
static void b_two_cnames(struct pk *p)
{
	hdr(p, QR, 1, 2);
	question(p, "www.example.com", 1);
	rr_cname(p, NULL, "a.example");
	rr_cname(p, NULL, "b.example");
}
static void b_qtype_cname(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 5);
	rr_cname(p, NULL, "a.example");
}
static void b_self_ptr(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	size_t here = p->n;
	ptr(p, (unsigned)here); /* owner points at itself */
	u16(p, 1);
	u16(p, 1);
	u32(p, 1);
	u16(p, 4);
	raw(p, "\1\2\3\4", 4);
}
static void b_fwd_ptr(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	ptr(p, (unsigned)p->n + 2); /* points forward at a name that follows */
	name(p, "www.example.com");
}
static void b_ptr_loop_pair(struct pk *p)
{
	/* Two labels ending in pointers at each other: "x" -> "y" -> "x" ... */
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	size_t x = p->n;
	raw(p, "\1x", 2);
	ptr(p, (unsigned)x + 4);
	raw(p, "\1y", 2);
	ptr(p, (unsigned)x);
	u16(p, 1);
	u16(p, 1);
	u32(p, 1);
	u16(p, 4);
	raw(p, "\1\2\3\4", 4);
}
static void b_ext_label(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	raw(p, "\x41\x00", 2); /* label type 01 */
	u16(p, 1);
	u16(p, 1);
	u32(p, 1);
	u16(p, 4);
	raw(p, "\1\2\3\4", 4);
}
static void b_long_name(struct pk *p)
{
	/* Through pointers, a name over 255 octets: 5 x 63-octet labels. The labels live in the rdata of a first
	 * record (a TXT at the question's name); the second record's owner points at them. */
	hdr(p, QR, 1, 2);
	question(p, "www.example.com", 1);
	ptr(p, 12);
	u16(p, 16);
	u16(p, 1);
	u32(p, 1);
	u16(p, 65 + 4 * 66);
	uint8_t lab[64];
	lab[0] = 63;
	memset(lab + 1, 'a', 63);
	size_t base = p->n;
	raw(p, lab, 64);
	raw(p, "\0", 1);
	size_t prev = base;
	for (int i = 0; i < 4; i++) {
		size_t here = p->n;
		raw(p, lab, 64);
		ptr(p, (unsigned)prev);
		prev = here;
	}
	ptr(p, (unsigned)prev);
	u16(p, 1);
	u16(p, 1);
	u32(p, 1);
	u16(p, 4);
	raw(p, "\1\2\3\4", 4);
}
static void b_count_lies(struct pk *p)
{
	hdr(p, QR, 1, 60000);
	question(p, "www.example.com", 1);
	rr(p, NULL, 1, "\xc0\x00\x02\x01", 4);
}
static void b_rdata_past_end(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	rr(p, NULL, 1, "\xc0\x00\x02\x01", 4);
	p->b[p->n - 5] = 9; /* rdlength 9, 4 octets present */
}
static void b_a_5(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	rr(p, NULL, 1, "\xc0\x00\x02\x01\x05", 5);
}
static void b_mx_compressed(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "Example.COM", 15);
	/* 10 mx1.<pointer to the question's name> */
	uint8_t rd[] = {0, 10, 3, 'm', 'x', '1', 0xC0, 12};
	rr(p, NULL, 15, rd, sizeof rd);
}
static void b_mx_ptr_outside(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "example.com", 15);
	uint8_t rd[] = {0, 10, 3, 'm', 'x', '1'}; /* the name runs past the rdata */
	rr(p, NULL, 15, rd, sizeof rd);
	raw(p, "\0", 1);
}
static void b_soa(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "example.com", 6);
	uint8_t rd[2 + 8 + 20];
	rd[0] = 0xC0;
	rd[1] = 12; /* mname = example.com */
	uint8_t *q = rd + 2;
	q[0] = 2;
	q[1] = 'h';
	q[2] = 'm';
	q[3] = 0xC0;
	q[4] = 12; /* rname = hm.example.com */
	memset(q + 5, 7, 20);
	rr(p, NULL, 6, rd, 2 + 5 + 20);
}
static void b_txt_bytes(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "example.com", 16);
	/* "v=spf1 -all" split into 1-octet strings, then non-UTF-8 bytes. */
	uint8_t rd[64];
	size_t n = 0;
	for (const char *s = "v=spf1 -all"; *s; s++) {
		rd[n++] = 1;
		rd[n++] = (uint8_t)*s;
	}
	rd[n++] = 2;
	rd[n++] = 0xff;
	rd[n++] = 0xc3;
	rr(p, NULL, 16, rd, n);
}
static void b_txt_many(struct pk *p, unsigned count)
{
	hdr(p, QR, 1, count);
	question(p, "example.com", 16);
	for (unsigned i = 0; i < count; i++)
		rr(p, NULL, 16, "\0", 1);
}
static void b_txt_4000(struct pk *p)
{
	b_txt_many(p, 4000);
}
static void b_txt_4097(struct pk *p)
{
	b_txt_many(p, MA_DNS_MSG_RR_MAX + 1);
}
static void b_chaos(struct pk *p)
{
	hdr(p, QR, 1, 1);
	question(p, "www.example.com", 1);
	ptr(p, 12);
	u16(p, 1);
	u16(p, 3); /* class CH */
	u32(p, 1);
	u16(p, 4);
	raw(p, "\1\2\3\4", 4);
}
static void b_trailing_garbage_sections(struct pk *p)
{
	/* Authority and additional counts that run past the end are not read: the answer is complete. */
	b_a(p);
	p->b[9] = 50;
	p->b[11] = 50;
}

static const struct {
	const char *what;
	void (*build)(struct pk *);
	const char *qname;
	uint16_t qtype;
	enum ma_dnssec verdict;
	enum ma_dns_status status;
	enum ma_dnssec dnssec;
	size_t count;
	const char *why; /* substring of ans.why, or NULL for none */
	const char *rr0; /* the first record's rdata as the decoders get it */
	size_t rr0len;
} cases[] = {
    {"A", b_a, "www.example.com", 1, MA_DNSSEC_SECURE, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 2, NULL, "\xc0\x00\x02\x01", 4},
    {"A trailing dot", b_a, "www.example.com.", 1, MA_DNSSEC_INSECURE, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 2, NULL,
     "\xc0\x00\x02\x01", 4},
    {"question case", b_a, "WWW.EXAMPLE.com", 1, MA_DNSSEC_UNCHECKED, MA_DNS_ANSWER, MA_DNSSEC_UNCHECKED, 2, NULL, NULL,
     0},
    {"NXDOMAIN", b_nxdomain, "www.example.com", 1, MA_DNSSEC_SECURE, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0, NULL, NULL,
     0},
    {"NODATA", b_nodata, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_NODATA, MA_DNSSEC_INSECURE, 0, NULL, NULL, 0},
    {"SERVFAIL", b_servfail, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, 0,
     "SERVFAIL", NULL, 0},
    {"REFUSED without question", b_refused, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_SERVFAIL,
     MA_DNSSEC_UNCHECKED, 0, "REFUSED", NULL, 0},
    {"RCODE 15", b_rcode15, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, 0,
     "RCODE15", NULL, 0},
    {"bogus", b_a, "www.example.com", 1, MA_DNSSEC_BOGUS, MA_DNS_BOGUS, MA_DNSSEC_BOGUS, 0, "signature expired", NULL,
     0},
    {"TC", b_tc, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0, "TC bit", NULL, 0},
    {"query not response", b_query, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "QR bit", NULL, 0},
    {"other name", b_other_name, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "another question", NULL, 0},
    {"other type", b_other_type, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "another question", NULL, 0},
    {"short header", b_short, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "header", NULL, 0},
    {"CNAME chain", b_chain, "www.example.com", 1, MA_DNSSEC_SECURE, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1, NULL,
     "\xc0\x00\x02\x09", 4},
    {"CNAME and data", b_cname_and_data, "www.example.com", 1, MA_DNSSEC_SECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
     0, "CNAME and other data", NULL, 0},
    {"CNAME dangling", b_chain_dangling, "www.example.com", 16, MA_DNSSEC_SECURE, MA_DNS_NXDOMAIN, MA_DNSSEC_SECURE, 0,
     NULL, NULL, 0},
    {"CNAME loop", b_loop, "a.example", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0, "CNAME loop",
     NULL, 0},
    {"CNAME chain too long", b_long_chain, "c0.example", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
     0, "too long", NULL, 0},
    {"CNAME chain at the cap", b_max_chain, "c0.example", 1, MA_DNSSEC_INSECURE, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1,
     NULL, "\xc0\x00\x02\x01", 4},
    {"two CNAMEs", b_two_cnames, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "several CNAME", NULL, 0},
    {"qtype CNAME", b_qtype_cname, "www.example.com", 5, MA_DNSSEC_INSECURE, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1, NULL,
     "\1a\7example\0", 11},
    {"pointer to itself", b_self_ptr, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
     0, "compression pointer", NULL, 0},
    {"forward pointer", b_fwd_ptr, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "compression pointer", NULL, 0},
    {"pointer loop", b_ptr_loop_pair, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
     0, "compression pointer", NULL, 0},
    {"extended label", b_ext_label, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "owner name", NULL, 0},
    {"name over 255", b_long_name, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "owner name", NULL, 0},
    {"count past the bytes", b_count_lies, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED,
     MA_DNSSEC_UNCHECKED, 0, "more answer records", NULL, 0},
    {"rdata past the end", b_rdata_past_end, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED,
     MA_DNSSEC_UNCHECKED, 0, "past the message", NULL, 0},
    {"A of 5 octets", b_a_5, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "5 octets", NULL, 0},
    {"MX compressed", b_mx_compressed, "example.com", 15, MA_DNSSEC_SECURE, MA_DNS_ANSWER, MA_DNSSEC_SECURE, 1, NULL,
     "\0\12\3mx1\7Example\3COM\0", 19},
    {"MX name past rdata", b_mx_ptr_outside, "example.com", 15, MA_DNSSEC_SECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
     0, "bad MX record data", NULL, 0},
    {"SOA compressed", b_soa, "example.com", 6, MA_DNSSEC_INSECURE, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1, NULL,
     "\7example\3com\0\2hm\7example\3com\0\7\7\7\7\7\7\7\7\7\7\7\7\7\7\7\7\7\7\7\7", 49},
    {"TXT 1-octet strings", b_txt_bytes, "example.com", 16, MA_DNSSEC_INSECURE, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 1,
     NULL, "\1v\1=\1s\1p\1f\0011\1 \1-\1a\1l\1l\2\xff\xc3", 25},
    {"4000 records", b_txt_4000, "example.com", 16, MA_DNSSEC_INSECURE, MA_DNS_ANSWER, MA_DNSSEC_INSECURE, 4000, NULL,
     "\0", 1},
    {"over the record cap", b_txt_4097, "example.com", 16, MA_DNSSEC_INSECURE, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, 0,
     "more than 4096", NULL, 0},
    {"class CH ignored", b_chaos, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_NODATA, MA_DNSSEC_INSECURE, 0, NULL,
     NULL, 0},
    {"later sections unread", b_trailing_garbage_sections, "www.example.com", 1, MA_DNSSEC_INSECURE, MA_DNS_ANSWER,
     MA_DNSSEC_INSECURE, 2, NULL, NULL, 0},
};

static void test_cases(void **state)
{
	(void)state;
	static struct pk p;
	struct ma_dns_msg m;
	ma_dns_msg_init(&m);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cases[i].build(&p);
		struct ma_dns_question q = {.type = cases[i].qtype};
		snprintf(q.name, sizeof q.name, "%s", cases[i].qname);
		/* An exact-size copy, so the sanitizer build catches any read past the message. */
		uint8_t *pkt = malloc(p.n);
		memcpy(pkt, p.b, p.n);
		struct ma_dns_msg_in in = {
		    .pkt = pkt, .len = p.n, .q = &q, .verdict = cases[i].verdict, .why_bogus = "signature expired"};
		assert_int_equal(ma_dns_msg_parse(&m, &in), MA_OK);
		const struct ma_dns_answer *a = &m.ans;
		if (a->status != cases[i].status || a->dnssec != cases[i].dnssec || a->count != cases[i].count)
			fail_msg("%s: got %s/%s/%zu, want %s/%s/%zu (%s)", cases[i].what, ma_dns_status_name(a->status),
			         ma_dnssec_name(a->dnssec), a->count, ma_dns_status_name(cases[i].status),
			         ma_dnssec_name(cases[i].dnssec), cases[i].count, a->why ? a->why : "");
		if (cases[i].why != NULL && (a->why == NULL || strstr(a->why, cases[i].why) == NULL))
			fail_msg("%s: why '%s', want '%s'", cases[i].what, a->why ? a->why : "(null)", cases[i].why);
		if (cases[i].why == NULL && a->why != NULL)
			fail_msg("%s: unexpected why '%s'", cases[i].what, a->why);
		if (a->status != MA_DNS_ANSWER)
			assert_null(a->rr);
		if (cases[i].rr0 != NULL) {
			if (a->rr[0].len != cases[i].rr0len ||
			    memcmp(a->rr[0].data, cases[i].rr0, cases[i].rr0len) != 0)
				fail_msg("%s: first record's rdata differs (%zu octets)", cases[i].what, a->rr[0].len);
		}
		free(pkt);
	}
	ma_dns_msg_fini(&m);
}

static void test_decoders_take_the_rdata(void **state)
{
	(void)state;
	static struct pk p;
	struct ma_dns_msg m;
	ma_dns_msg_init(&m);
	struct ma_dns_question q = {.name = "example.com", .type = MA_DNS_T_MX};
	b_mx_compressed(&p);
	struct ma_dns_msg_in in = {.pkt = p.b, .len = p.n, .q = &q, .verdict = MA_DNSSEC_INSECURE};
	assert_int_equal(ma_dns_msg_parse(&m, &in), MA_OK);
	uint16_t pref = 0;
	char host[MA_DNS_NAME_MAX + 1];
	assert_int_equal(ma_dns_rdata_mx(&m.ans.rr[0], &pref, host, sizeof host), MA_OK);
	assert_int_equal(pref, 10);
	assert_string_equal(host, "mx1.Example.COM");

	q = (struct ma_dns_question){.name = "example.com", .type = MA_DNS_T_TXT};
	b_txt_bytes(&p);
	in.len = p.n;
	assert_int_equal(ma_dns_msg_parse(&m, &in), MA_OK);
	char *txt = NULL;
	size_t len = 0;
	assert_int_equal(ma_dns_txt_join(&m.ans.rr[0], &txt, &len), MA_OK);
	assert_int_equal(len, 13);
	assert_memory_equal(txt, "v=spf1 -all\xff\xc3", 13);
	free(txt);

	q = (struct ma_dns_question){.name = "www.example.com", .type = MA_DNS_T_A};
	b_chain(&p);
	in.len = p.n;
	assert_int_equal(ma_dns_msg_parse(&m, &in), MA_OK);
	assert_int_equal(m.cnames, 2);
	ma_dns_msg_fini(&m);
}

static void test_bad_question(void **state)
{
	(void)state;
	struct ma_dns_msg m;
	ma_dns_msg_init(&m);
	struct ma_dns_question q = {.type = 1};
	memset(q.name, 'a', 70); /* a label over 63 octets */
	struct ma_dns_msg_in in = {.pkt = (const uint8_t *)"", .len = 0, .q = &q};
	assert_int_equal(ma_dns_msg_parse(&m, &in), MA_ERR_INVAL);
	ma_dns_msg_fini(&m);
	ma_dns_msg_fini(&m); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_decoders_take_the_rdata),
	    cmocka_unit_test(test_bad_question),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
