/* src/lib/spf_macro.c — SPF macro expansion (RFC 7208 7.3) and the address helpers the evaluator and the tree
 * share: reverse names, CIDR matching.
 *
 * The macro-string was checked by the parser; expansion still re-checks as it goes and never writes past the
 * caller's buffer. The output is capped (MA_ERR_TOOBIG) so a record of thousands of %{s} cannot balloon. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/spf.h"

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

void ma_spf_reverse_name(const uint8_t *ip, bool ipv6, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (outsz == 0)
		return;
	if (!ipv6) {
		snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", ip[3], ip[2], ip[1], ip[0]);
		return;
	}
	for (int i = 15; i >= 0 && o + 4 < outsz; i--) {
		out[o++] = hex[ip[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[ip[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, outsz - o, "ip6.arpa");
}

bool ma_spf_cidr_match(const uint8_t *ip, const uint8_t *net, bool ipv6, int prefix)
{
	int bits = ipv6 ? 128 : 32;
	if (prefix < 0 || prefix > bits)
		prefix = bits;
	int full = prefix / 8, rem = prefix % 8;
	if (memcmp(ip, net, (size_t)full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (ip[full] & mask) == (net[full] & mask);
}

/* ---- expansion --------------------------------------------------------------------------------------------- */

struct out {
	char *p;
	size_t n, cap;
	bool over;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->over || n >= o->cap - o->n) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

static bool is_delim(char c, const char *delims, size_t nd)
{
	return memchr(delims, c, nd) != NULL;
}

static bool unreserved(unsigned char c)
{
	/* RFC 3986 2.3 */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

/* The value of a macro letter into buf. */
static void letter_value(char l, const struct ma_spf_macro_ctx *c, char *buf, size_t bufsz)
{
	const char *at;
	switch (l) {
	case 's':
		snprintf(buf, bufsz, "%s", c->sender ? c->sender : "");
		break;
	case 'l':
		at = c->sender ? strrchr(c->sender, '@') : NULL;
		if (at == NULL || at == c->sender)
			snprintf(buf, bufsz, "postmaster");
		else
			snprintf(buf, bufsz, "%.*s", (int)(at - c->sender), c->sender);
		break;
	case 'o':
		at = c->sender ? strrchr(c->sender, '@') : NULL;
		snprintf(buf, bufsz, "%s", at ? at + 1 : (c->sender ? c->sender : ""));
		break;
	case 'd':
		snprintf(buf, bufsz, "%s", c->domain ? c->domain : "");
		break;
	case 'i':
		if (!c->ipv6) {
			snprintf(buf, bufsz, "%u.%u.%u.%u", c->ip[0], c->ip[1], c->ip[2], c->ip[3]);
		} else {
			/* RFC 7208 7.3: IPv6 in dot-format, one nibble per label */
			static const char hex[] = "0123456789abcdef";
			size_t o = 0;
			for (int i = 0; i < 16 && o + 4 < bufsz; i++) {
				buf[o++] = hex[c->ip[i] >> 4];
				buf[o++] = '.';
				buf[o++] = hex[c->ip[i] & 0xf];
				buf[o++] = i == 15 ? '\0' : '.';
			}
			buf[o < bufsz ? o : bufsz - 1] = '\0';
		}
		break;
	case 'p':
		snprintf(buf, bufsz, "%s", c->pname ? c->pname : "unknown");
		break;
	case 'v':
		snprintf(buf, bufsz, "%s", c->ipv6 ? "ip6" : "in-addr");
		break;
	case 'h':
		snprintf(buf, bufsz, "%s", c->helo ? c->helo : "unknown");
		break;
	case 'c':
		if (inet_ntop(c->ipv6 ? AF_INET6 : AF_INET, c->ip, buf, (socklen_t)bufsz) == NULL)
			snprintf(buf, bufsz, "unknown");
		break;
	case 'r':
		snprintf(buf, bufsz, "%s", c->receiver ? c->receiver : "unknown");
		break;
	case 't':
		snprintf(buf, bufsz, "%" PRId64, c->now);
		break;
	default:
		buf[0] = '\0';
	}
}

/* Apply transformers (digits, 'r') and delimiters to value, appending to o (RFC 7208 7.3). */
static void transform(struct out *o, const char *v, unsigned keep, bool rev, const char *delims, size_t nd,
		      bool escape)
{
	enum { PARTS_MAX = 512 };
	struct {
		const char *p;
		size_t n;
	} parts[PARTS_MAX];
	size_t np = 0, len = strlen(v), s = 0;
	if (nd == 0) {
		delims = ".";
		nd = 1;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i == len || is_delim(v[i], delims, nd)) {
			if (np == PARTS_MAX) {
				o->over = true;
				return;
			}
			parts[np].p = v + s;
			parts[np].n = i - s;
			np++;
			s = i + 1;
		}
	}
	if (rev)
		for (size_t i = 0; i < np / 2; i++) {
			__typeof__(parts[0]) t = parts[i];
			parts[i] = parts[np - 1 - i];
			parts[np - 1 - i] = t;
		}
	size_t first = (keep > 0 && keep < np) ? np - keep : 0;
	for (size_t i = first; i < np; i++) {
		if (i > first)
			put(o, ".", 1);
		for (size_t k = 0; k < parts[i].n; k++) {
			unsigned char ch = (unsigned char)parts[i].p[k];
			if (escape && !unreserved(ch)) {
				char e[4];
				snprintf(e, sizeof e, "%%%02X", ch);
				put(o, e, 3);
			} else {
				put(o, (const char *)&parts[i].p[k], 1);
			}
		}
	}
}

int ma_spf_macro_expand(const char *s, const struct ma_spf_macro_ctx *c, bool exp, bool domain, char *out,
			size_t outsz)
{
	if (outsz < 2)
		return MA_ERR_TOOBIG;
	struct out o = {out, 0, outsz, false};
	out[0] = '\0';
	size_t len = strlen(s);
	if (!ma_spf_macro_valid(s, len, exp))
		return MA_ERR_PARSE;
	for (size_t i = 0; i < len && !o.over;) {
		if (s[i] != '%') {
			size_t j = i;
			while (j < len && s[j] != '%')
				j++;
			put(&o, s + i, j - i);
			i = j;
			continue;
		}
		char n = s[i + 1];
		if (n == '%' || n == '_' || n == '-') {
			put(&o, n == '%' ? "%" : n == '_' ? " " : "%20", n == '-' ? 3 : 1);
			i += 2;
			continue;
		}
		/* %{ letter *DIGIT [r] *delimiter } — validated above */
		size_t j = i + 2;
		char letter = s[j++];
		bool escape = letter >= 'A' && letter <= 'Z';
		unsigned keep = 0;
		bool digits = false;
		while (s[j] >= '0' && s[j] <= '9') {
			keep = keep * 10 + (unsigned)(s[j++] - '0');
			digits = true;
		}
		if (digits && keep == 0)
			return MA_ERR_PARSE; /* RFC 7208 7.3: a DIGIT transformer must be nonzero */
		bool rev = false;
		if (lower(s[j]) == 'r') {
			rev = true;
			j++;
		}
		size_t ds = j;
		while (s[j] != '}')
			j++;
		char val[1100];
		letter_value(lower(letter), c, val, sizeof val);
		transform(&o, val, keep, rev, s + ds, j - ds, escape);
		i = j + 1;
	}
	if (o.over)
		return MA_ERR_TOOBIG;
	if (domain) {
		/* RFC 7208 7.3: cut from the left, whole labels, to at most 253 octets. */
		if (o.n > 0 && out[o.n - 1] == '.')
			out[--o.n] = '\0';
		size_t start = 0;
		while (o.n - start > 253) {
			const char *dot = memchr(out + start, '.', o.n - start);
			if (dot == NULL) {
				start = o.n; /* one label over 253: nothing left */
				break;
			}
			start = (size_t)(dot - out) + 1;
		}
		memmove(out, out + start, o.n - start + 1);
	}
	return MA_OK;
}
