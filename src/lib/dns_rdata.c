/* src/lib/dns_rdata.c — decoders for the wire-format rdata evaluators receive, and DNS name helpers. */
#include "lib/dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

bool ma_dns_status_is_temporary(enum ma_dns_status s)
{
	return s == MA_DNS_SERVFAIL || s == MA_DNS_TIMEOUT;
}

const char *ma_dns_status_name(enum ma_dns_status s)
{
	switch (s) {
	case MA_DNS_ANSWER: return "answer";
	case MA_DNS_NODATA: return "nodata";
	case MA_DNS_NXDOMAIN: return "nxdomain";
	case MA_DNS_SERVFAIL: return "servfail";
	case MA_DNS_TIMEOUT: return "timeout";
	case MA_DNS_BOGUS: return "bogus";
	case MA_DNS_MALFORMED: return "malformed";
	}
	return "unknown";
}

const char *ma_dnssec_name(enum ma_dnssec s)
{
	switch (s) {
	case MA_DNSSEC_UNCHECKED: return "unchecked";
	case MA_DNSSEC_INSECURE: return "insecure";
	case MA_DNSSEC_SECURE: return "secure";
	case MA_DNSSEC_BOGUS: return "bogus";
	}
	return "unknown";
}

const char *ma_dns_type_name(uint16_t type)
{
	static _Thread_local char buf[16];
	switch (type) {
	case MA_DNS_T_A: return "A";
	case MA_DNS_T_NS: return "NS";
	case MA_DNS_T_CNAME: return "CNAME";
	case MA_DNS_T_SOA: return "SOA";
	case MA_DNS_T_PTR: return "PTR";
	case MA_DNS_T_MX: return "MX";
	case MA_DNS_T_TXT: return "TXT";
	case MA_DNS_T_AAAA: return "AAAA";
	case MA_DNS_T_DS: return "DS";
	case MA_DNS_T_DNSKEY: return "DNSKEY";
	case MA_DNS_T_TLSA: return "TLSA";
	case MA_DNS_T_SPF: return "SPF";
	}
	snprintf(buf, sizeof buf, "TYPE%u", (unsigned)type);
	return buf;
}

int ma_dns_txt_join(const struct ma_dns_rdata *rd, char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	/* Joined data is never longer than the rdata itself. */
	char *buf = malloc(rd->len + 1);
	if (buf == NULL)
		return MA_ERR_NOMEM;
	size_t n = 0;
	for (size_t off = 0; off < rd->len;) {
		size_t sl = rd->data[off++];
		if (sl > rd->len - off) {
			free(buf);
			return MA_ERR_PARSE;
		}
		memcpy(buf + n, rd->data + off, sl);
		n += sl;
		off += sl;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return MA_OK;
}

static bool plain_label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '*' || c == '/' || c == '+' || c == '=';
}

int ma_dns_name_decode(const uint8_t *data, size_t len, size_t *off, char *out, size_t outsz)
{
	size_t o = 0, p = *off, wire = 0;
	if (outsz < 2)
		return MA_ERR_INVAL;
	for (;;) {
		if (p >= len)
			return MA_ERR_PARSE;
		uint8_t ll = data[p++];
		wire += 1u + ll;
		if (wire > 255)
			return MA_ERR_PARSE;
		if (ll == 0)
			break;
		if (ll > 63 || ll > len - p) /* compression pointers are not expected in rdata from the resolver */
			return MA_ERR_PARSE;
		if (o != 0) {
			if (o + 1 >= outsz)
				return MA_ERR_TOOBIG;
			out[o++] = '.';
		}
		for (size_t i = 0; i < ll; i++) {
			uint8_t c = data[p + i];
			if (plain_label_char(c)) {
				if (o + 1 >= outsz)
					return MA_ERR_TOOBIG;
				out[o++] = (char)c;
			} else if (c == '.' || c == '\\') {
				if (o + 2 >= outsz)
					return MA_ERR_TOOBIG;
				out[o++] = '\\';
				out[o++] = (char)c;
			} else {
				if (o + 4 >= outsz)
					return MA_ERR_TOOBIG;
				snprintf(out + o, 5, "\\%03u", (unsigned)c);
				o += 4;
			}
		}
		p += ll;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	*off = p;
	return MA_OK;
}

int ma_dns_rdata_mx(const struct ma_dns_rdata *rd, uint16_t *pref, char *name, size_t namesz)
{
	if (rd->len < 3)
		return MA_ERR_PARSE;
	*pref = (uint16_t)(rd->data[0] << 8 | rd->data[1]);
	size_t off = 2;
	int r = ma_dns_name_decode(rd->data, rd->len, &off, name, namesz);
	if (r != MA_OK)
		return r;
	return off == rd->len ? MA_OK : MA_ERR_PARSE;
}

int ma_dns_rdata_name(const struct ma_dns_rdata *rd, char *name, size_t namesz)
{
	size_t off = 0;
	int r = ma_dns_name_decode(rd->data, rd->len, &off, name, namesz);
	if (r != MA_OK)
		return r;
	return off == rd->len ? MA_OK : MA_ERR_PARSE;
}

int ma_dns_rdata_a(const struct ma_dns_rdata *rd, uint8_t out[4])
{
	if (rd->len != 4)
		return MA_ERR_PARSE;
	memcpy(out, rd->data, 4);
	return MA_OK;
}

int ma_dns_rdata_aaaa(const struct ma_dns_rdata *rd, uint8_t out[16])
{
	if (rd->len != 16)
		return MA_ERR_PARSE;
	memcpy(out, rd->data, 16);
	return MA_OK;
}

int ma_dns_name_encode(const char *name, uint8_t *out, size_t outsz)
{
	size_t o = 0; /* bytes written; the wire name is o + 1 long once the root label is added */
	const char *s = name;
	if (strcmp(s, ".") == 0 || *s == '\0') {
		if (outsz < 1)
			return MA_ERR_TOOBIG;
		out[0] = 0;
		return 1;
	}
	while (*s != '\0') {
		/* RFC 1035 2.3.4: 255 octets including the root label; too long is INVAL whatever outsz is. */
		if (o + 1 > 254)
			return MA_ERR_INVAL;
		size_t lenpos = o++;
		if (lenpos >= outsz)
			return MA_ERR_TOOBIG;
		size_t ll = 0;
		while (*s != '\0' && *s != '.') {
			unsigned c = (unsigned char)*s++;
			if (c == '\\') {
				if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
				    s[2] <= '9') {
					c = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
					if (c > 255)
						return MA_ERR_INVAL;
					s += 3;
				} else if (*s != '\0') {
					c = (unsigned char)*s++;
				} else {
					return MA_ERR_INVAL;
				}
			}
			if (++ll > 63)
				return MA_ERR_INVAL;
			if (o + 1 > 254)
				return MA_ERR_INVAL;
			if (o >= outsz)
				return MA_ERR_TOOBIG;
			out[o++] = (uint8_t)c;
		}
		if (ll == 0)
			return MA_ERR_INVAL; /* empty label */
		out[lenpos] = (uint8_t)ll;
		if (*s == '.') {
			s++;
			if (*s == '\0')
				break; /* trailing dot */
		}
	}
	if (o >= outsz)
		return MA_ERR_TOOBIG;
	out[o++] = 0;
	return (int)o;
}

bool ma_dns_name_is_valid(const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	size_t ll = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (ll == 0)
				return false;
			ll = 0;
		} else if (++ll > 63) {
			return false;
		}
	}
	return ll > 0;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool ma_dns_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}
