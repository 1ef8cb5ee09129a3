/* src/lib/dns_msg.c — DNS wire message parser (RFC 1035 4.1) into struct ma_dns_answer; see dns_msg.h. */
#include "lib/dns_msg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

#define HDR_LEN 12   /* RFC 1035 4.1.1 */
#define RR_FIXED 10  /* TYPE, CLASS, TTL, RDLENGTH after the owner (RFC 1035 4.1.3) */
#define WIRE_MAX 255 /* RFC 1035 2.3.4 */
#define CLASS_IN 1
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3
#define FLAG_QR 0x8000
#define FLAG_TC 0x0200

/* One record of the answer section, located in the packet. */
struct ma_dns_msg_rec {
	uint16_t type, cls;
	uint32_t owner_hash; /* of the lowercased, uncompressed owner: most comparisons end here */
	size_t owner_off;
	size_t rdoff, rdlen;
};

void ma_dns_msg_init(struct ma_dns_msg *m)
{
	memset(m, 0, sizeof *m);
}

void ma_dns_msg_fini(struct ma_dns_msg *m)
{
	free(m->rr);
	free(m->rdbuf);
	free(m->recs);
	memset(m, 0, sizeof *m);
}

static void set_status(struct ma_dns_msg *m, enum ma_dns_status st, enum ma_dnssec sec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_status(struct ma_dns_msg *m, enum ma_dns_status st, enum ma_dnssec sec, const char *fmt, ...)
{
	m->ans.status = st;
	m->ans.dnssec = sec;
	m->ans.count = 0;
	m->ans.rr = NULL;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->why, sizeof m->why, fmt, ap);
		va_end(ap);
		m->ans.why = m->why;
	}
}

static int malformed(struct ma_dns_msg *m, const char *what)
{
	set_status(m, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, "malformed answer: %s", what);
	return MA_OK;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; /* RFC 4343: ASCII only */
}

/* Read the possibly compressed name at pkt[*off] into its uncompressed wire form (out holds WIRE_MAX octets),
 * advancing *off past the name's bytes in place. RFC 1035 4.1.4: a pointer refers to a prior occurrence of a
 * name, so each pointer must land strictly before the start of the run of labels it ends; targets then only
 * decrease and no loop is possible. The count cap bounds the work regardless. Returns false on any error. */
static bool read_name(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, size_t *outlen)
{
	size_t pos = *off, run_start = *off, n = 0, end = 0;
	unsigned jumps = 0;
	bool jumped = false;
	for (;;) {
		if (pos >= len)
			return false;
		uint8_t c = pkt[pos];
		if ((c & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return false;
			size_t target = ((size_t)(c & 0x3F) << 8) | pkt[pos + 1];
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			if (target >= run_start || ++jumps > MA_DNS_MSG_JUMPS_MAX)
				return false;
			pos = run_start = target;
			continue;
		}
		if (c & 0xC0)
			return false; /* 01 and 10: extended label types (RFC 6891 5 obsoleted them) */
		if (c == 0) {
			if (n + 1 > WIRE_MAX)
				return false;
			out[n++] = 0;
			if (!jumped)
				end = pos + 1;
			break;
		}
		if ((size_t)c + 1 > len - pos || n + 1 + c + 1 > WIRE_MAX)
			return false;
		memcpy(out + n, pkt + pos, (size_t)c + 1);
		n += (size_t)c + 1;
		pos += (size_t)c + 1;
	}
	*off = end;
	*outlen = n;
	return true;
}

static void lower_name(uint8_t *w, size_t n)
{
	/* Label length octets are at most 63, never in 'A'..'Z' (65..90), so lowering every byte is safe. */
	for (size_t i = 0; i < n; i++)
		w[i] = lower(w[i]);
}

static uint32_t name_hash(const uint8_t *w, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 16777619u;
	return h;
}

/* Does record r's owner equal the lowercased wire name (cur, curlen, hash)? */
static bool owner_is(const uint8_t *pkt, size_t len, const struct ma_dns_msg_rec *r, const uint8_t *cur, size_t curlen,
                     uint32_t hash)
{
	if (r->owner_hash != hash)
		return false;
	uint8_t w[WIRE_MAX];
	size_t wl, off = r->owner_off;
	if (!read_name(pkt, len, &off, w, &wl) || wl != curlen)
		return false;
	lower_name(w, wl);
	return memcmp(w, cur, wl) == 0;
}

/* Types whose rdata may carry compressed names (RFC 3597 4: the RFC 1035 types, which receivers must decompress,
 * and RP, AFSDB, RT, SRV, which they should): the fixed octets before the first name, the number of names, and the
 * fixed octets after them. */
struct rd_layout {
	uint16_t type;
	uint8_t pre, names, post;
};
static const struct rd_layout layouts[] = {
    {MA_DNS_T_NS, 0, 1, 0},    {3 /* MD */, 0, 1, 0},     {4 /* MF */, 0, 1, 0},   {MA_DNS_T_CNAME, 0, 1, 0},
    {MA_DNS_T_SOA, 0, 2, 20},  {7 /* MB */, 0, 1, 0},     {8 /* MG */, 0, 1, 0},   {9 /* MR */, 0, 1, 0},
    {MA_DNS_T_PTR, 0, 1, 0},   {14 /* MINFO */, 0, 2, 0}, {MA_DNS_T_MX, 2, 1, 0},  {17 /* RP */, 0, 2, 0},
    {18 /* AFSDB */, 2, 1, 0}, {21 /* RT */, 2, 1, 0},    {33 /* SRV */, 6, 1, 0},
};

static const struct rd_layout *layout_of(uint16_t type)
{
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

/* Write record r's rdata with its names uncompressed to out (room for rdlen + names * WIRE_MAX). Returns the
 * length, or 0 when the rdata does not hold its layout exactly. */
static size_t expand_rdata(const uint8_t *pkt, size_t len, const struct ma_dns_msg_rec *r, const struct rd_layout *l,
                           uint8_t *out)
{
	size_t end = r->rdoff + r->rdlen, off = r->rdoff, n = 0;
	if (r->rdlen < l->pre)
		return 0;
	memcpy(out, pkt + off, l->pre);
	n += l->pre;
	off += l->pre;
	for (unsigned i = 0; i < l->names; i++) {
		size_t wl;
		/* The name's own bytes must stay inside the rdata; its pointers may reach back anywhere before. */
		if (!read_name(pkt, end, &off, out + n, &wl))
			return 0;
		n += wl;
	}
	if (end - off != l->post)
		return 0;
	memcpy(out + n, pkt + off, l->post);
	return n + l->post;
}

static const char *rcode_name(unsigned rcode)
{
	switch (rcode) {
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	case 6: return "YXDOMAIN";
	case 7: return "YXRRSET";
	case 8: return "NXRRSET";
	case 9: return "NOTAUTH";
	case 10: return "NOTZONE";
	}
	return NULL;
}

int ma_dns_msg_parse(struct ma_dns_msg *m, const struct ma_dns_msg_in *in)
{
	const uint8_t *pkt = in->pkt;
	size_t len = in->len;
	memset(&m->ans, 0, sizeof m->ans);
	m->why[0] = '\0';
	m->rcode = 0;
	m->cnames = 0;

	uint8_t qwire[WIRE_MAX + 1];
	if (memchr(in->q->name, '\0', sizeof in->q->name) == NULL)
		return MA_ERR_INVAL;
	int qw = ma_dns_name_encode(in->q->name, qwire, sizeof qwire);
	if (qw < 0)
		return MA_ERR_INVAL;
	size_t qlen = (size_t)qw;
	lower_name(qwire, qlen);

	if (in->verdict == MA_DNSSEC_BOGUS) {
		/* RFC 4035 5.5: bogus data is never handed on, whatever it says. */
		set_status(m, MA_DNS_BOGUS, MA_DNSSEC_BOGUS, "%s",
		           in->why_bogus != NULL && in->why_bogus[0] != '\0' ? in->why_bogus
		                                                             : "DNSSEC validation failed");
		return MA_OK;
	}
	if (pkt == NULL || len < HDR_LEN)
		return malformed(m, "shorter than a DNS header");
	if (len > MA_DNS_MSG_LEN_MAX)
		return malformed(m, "longer than 65535 octets");
	uint16_t flags = get16(pkt + 2);
	uint16_t qd = get16(pkt + 4), an = get16(pkt + 6);
	m->rcode = (uint8_t)(flags & 0x0F);
	if (!(flags & FLAG_QR))
		return malformed(m, "not a response (QR bit clear)");
	if (m->rcode != RCODE_NOERROR && m->rcode != RCODE_NXDOMAIN) {
		/* Nothing in it can be used, and nothing was validated. */
		const char *name = rcode_name(m->rcode);
		if (name != NULL)
			set_status(m, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, "%s", name);
		else
			set_status(m, MA_DNS_SERVFAIL, MA_DNSSEC_UNCHECKED, "RCODE%u", (unsigned)m->rcode);
		return MA_OK;
	}
	if (flags & FLAG_TC) /* RFC 1035 4.1.1, RFC 7766 5: a truncated message is incomplete, never "no record" */
		return malformed(m, "truncated (TC bit set)");
	if (qd != 1)
		return malformed(m, "not exactly one question");

	/* RFC 1035 4.1.2: the question, which must be ours. */
	size_t off = HDR_LEN, wl;
	uint8_t w[WIRE_MAX];
	if (!read_name(pkt, len, &off, w, &wl) || len - off < 4)
		return malformed(m, "truncated or bad question");
	lower_name(w, wl);
	if (wl != qlen || memcmp(w, qwire, wl) != 0 || get16(pkt + off) != in->q->type ||
	    get16(pkt + off + 2) != CLASS_IN)
		return malformed(m, "answer to another question");
	off += 4;

	/* RFC 1035 4.1.3: the answer section. Every record takes at least 11 octets, so a count the bytes cannot hold
	 * is refused before anything is allocated for it. */
	if ((size_t)an * (1 + RR_FIXED) > len - off)
		return malformed(m, "more answer records than the message holds");
	if (an > m->reccap) {
		struct ma_dns_msg_rec *nr = realloc(m->recs, (size_t)an * sizeof *nr);
		if (nr == NULL)
			return MA_ERR_NOMEM;
		m->recs = nr;
		m->reccap = an;
	}
	for (size_t i = 0; i < an; i++) {
		struct ma_dns_msg_rec *r = &m->recs[i];
		r->owner_off = off;
		if (!read_name(pkt, len, &off, w, &wl))
			return malformed(m, "bad owner name or compression pointer");
		lower_name(w, wl);
		r->owner_hash = name_hash(w, wl);
		if (len - off < RR_FIXED)
			return malformed(m, "truncated record");
		r->type = get16(pkt + off);
		r->cls = get16(pkt + off + 2);
		r->rdlen = get16(pkt + off + 8);
		r->rdoff = off + RR_FIXED;
		if (r->rdlen > len - r->rdoff)
			return malformed(m, "record data runs past the message");
		off = r->rdoff + r->rdlen;
	}

	/* Follow the CNAME chain from the question's name (RFC 1034 3.6.2, 4.3.2): the records asked for sit at its
	 * end. A resolver (unbound included) synthesises CNAMEs for DNAMEs, so following CNAMEs is enough. */
	uint8_t chain[MA_DNS_MSG_CNAME_MAX + 1][WIRE_MAX];
	size_t chainlen[MA_DNS_MSG_CNAME_MAX + 1];
	memcpy(chain[0], qwire, qlen);
	chainlen[0] = qlen;
	size_t hop = 0, found = 0;
	for (;;) {
		const uint8_t *cur = chain[hop];
		size_t curlen = chainlen[hop];
		uint32_t h = name_hash(cur, curlen);
		const struct ma_dns_msg_rec *cname = NULL;
		size_t ncname = 0;
		found = 0;
		for (size_t i = 0; i < an; i++) {
			const struct ma_dns_msg_rec *r = &m->recs[i];
			if (r->cls != CLASS_IN || (r->type != in->q->type && r->type != MA_DNS_T_CNAME))
				continue;
			if (!owner_is(pkt, len, r, cur, curlen, h))
				continue;
			if (r->type == in->q->type)
				found++;
			if (r->type == MA_DNS_T_CNAME) {
				cname = r;
				ncname++;
			}
		}
		if (found > 0 && ncname > 0 && in->q->type != MA_DNS_T_CNAME)
			return malformed(m, "CNAME and other data at one name (RFC 2181 10.1)");
		if (found > 0 || in->q->type == MA_DNS_T_CNAME || cname == NULL)
			break;
		if (ncname > 1)
			return malformed(m, "several CNAME records at one name (RFC 2181 10.1)");
		if (hop == MA_DNS_MSG_CNAME_MAX)
			return malformed(m, "CNAME chain too long");
		size_t roff = cname->rdoff;
		if (!read_name(pkt, cname->rdoff + cname->rdlen, &roff, chain[hop + 1], &chainlen[hop + 1]) ||
		    roff != cname->rdoff + cname->rdlen)
			return malformed(m, "bad CNAME target");
		lower_name(chain[hop + 1], chainlen[hop + 1]);
		for (size_t k = 0; k <= hop; k++)
			if (chainlen[k] == chainlen[hop + 1] && memcmp(chain[k], chain[hop + 1], chainlen[k]) == 0)
				return malformed(m, "CNAME loop");
		hop++;
	}
	m->cnames = hop;

	if (found == 0) {
		/* RFC 2308 2.1, 2.2: after the chain, NXDOMAIN or NODATA speak of its last name, as resolvers report.
		 */
		set_status(m, m->rcode == RCODE_NXDOMAIN ? MA_DNS_NXDOMAIN : MA_DNS_NODATA, in->verdict, NULL);
		return MA_OK;
	}
	if (found > MA_DNS_MSG_RR_MAX) {
		set_status(m, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED, "more than %d records", MA_DNS_MSG_RR_MAX);
		return MA_OK;
	}
	const struct rd_layout *lay = layout_of(in->q->type);
	size_t need = 0;
	if (found > m->rrcap) {
		struct ma_dns_rdata *nrr = realloc(m->rr, found * sizeof *nrr);
		if (nrr == NULL)
			return MA_ERR_NOMEM;
		m->rr = nrr;
		m->rrcap = found;
	}
	const uint8_t *cur = chain[hop];
	size_t curlen = chainlen[hop];
	uint32_t h = name_hash(cur, curlen);
	if (lay != NULL) {
		for (size_t i = 0; i < an; i++) {
			const struct ma_dns_msg_rec *r = &m->recs[i];
			if (r->type == in->q->type && r->cls == CLASS_IN && owner_is(pkt, len, r, cur, curlen, h))
				need += r->rdlen + (size_t)lay->names * WIRE_MAX;
		}
		if (need > m->rdcap) {
			uint8_t *nb = realloc(m->rdbuf, need);
			if (nb == NULL)
				return MA_ERR_NOMEM;
			m->rdbuf = nb;
			m->rdcap = need;
		}
	}
	size_t n = 0, used = 0;
	for (size_t i = 0; i < an; i++) {
		const struct ma_dns_msg_rec *r = &m->recs[i];
		if (r->type != in->q->type || r->cls != CLASS_IN || !owner_is(pkt, len, r, cur, curlen, h))
			continue;
		if ((r->type == MA_DNS_T_A && r->rdlen != 4) || (r->type == MA_DNS_T_AAAA && r->rdlen != 16)) {
			set_status(m, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
			           "malformed answer: %s record of %zu octets", ma_dns_type_name(r->type), r->rdlen);
			return MA_OK;
		}
		if (lay != NULL) {
			size_t el = expand_rdata(pkt, len, r, lay, m->rdbuf + used);
			if (el == 0) {
				set_status(m, MA_DNS_MALFORMED, MA_DNSSEC_UNCHECKED,
				           "malformed answer: bad %s record data", ma_dns_type_name(r->type));
				return MA_OK;
			}
			m->rr[n].data = m->rdbuf + used;
			m->rr[n].len = el;
			used += el;
		} else {
			m->rr[n].data = pkt + r->rdoff;
			m->rr[n].len = r->rdlen;
		}
		n++;
	}
	m->ans.status = MA_DNS_ANSWER;
	m->ans.dnssec = in->verdict;
	m->ans.count = n;
	m->ans.rr = m->rr;
	m->ans.why = NULL;
	return MA_OK;
}
