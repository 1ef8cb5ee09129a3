/* src/lib/record_gen.c — the record generator: DMARC, SPF, MTA-STS (TXT and policy file) and TLS-RPT records from
 * option structs, every value validated, and zone-file lines with TXT data split into 255-byte strings. */
#include "lib/record_gen.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dmarc.h"
#include "lib/err.h"
#include "lib/mtasts.h"
#include "lib/spf.h"
#include "lib/tlsrpt.h"

void ma_record_gen_init(struct ma_record_gen *g)
{
	memset(g, 0, sizeof *g);
	ma_findings_init(&g->findings);
}

void ma_record_gen_fini(struct ma_record_gen *g)
{
	free(g->text);
	ma_findings_fini(&g->findings);
	ma_record_gen_init(g);
}

/* ---- Small helpers ------------------------------------------------------------------------------------------- */

static int fail(struct ma_record_gen *g, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ma_record_gen *g, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->error, sizeof g->error, fmt, ap);
	va_end(ap);
	return rc;
}

/* A user value made safe to quote in an error message: printable ASCII, others as \xHH, cut at 64 bytes. */
struct shown {
	char s[64 * 4 + 8];
};

static struct shown show(const char *v)
{
	struct shown o;
	size_t j = 0, i = 0;
	for (; v[i] != '\0' && i < 64; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			o.s[j++] = (char)c;
		} else {
			snprintf(o.s + j, 5, "\\x%02x", c);
			j += 4;
		}
	}
	if (v[i] != '\0') {
		memcpy(o.s + j, "...", 3);
		j += 3;
	}
	o.s[j] = '\0';
	return o;
}

/* A growable text capped at MA_RECORD_GEN_TEXT_MAX: the first failure sticks and is reported once at the end. */
struct buf {
	char *p;
	size_t n, cap;
	int rc;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->rc != MA_OK)
		return;
	if (b->n + n > MA_RECORD_GEN_TEXT_MAX) {
		b->rc = MA_ERR_TOOBIG;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (np == NULL) {
			b->rc = MA_ERR_NOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		if (b->rc == MA_OK)
			b->rc = MA_ERR_INVAL; /* a bug: only short numbers go through here */
		return;
	}
	put(b, tmp, (size_t)n);
}

/* Hand the text to the result, or say why there is none. */
static int finish(struct ma_record_gen *g, struct buf *b, const char *what)
{
	if (b->rc != MA_OK) {
		free(b->p);
		if (b->rc == MA_ERR_TOOBIG)
			return fail(g, MA_ERR_TOOBIG, "the %s would be over %d bytes", what, MA_RECORD_GEN_TEXT_MAX);
		return fail(g, b->rc, "%s", ma_err_str(b->rc));
	}
	if (b->p == NULL)
		puts_(b, "");
	if (b->rc != MA_OK)
		return fail(g, b->rc, "%s", ma_err_str(b->rc));
	g->text = b->p;
	g->len = b->n;
	return MA_OK;
}

/* RFC 1035 3.3.14: TXT data over 255 bytes needs several character-strings, which people publish wrongly. */
static int note_split(struct ma_record_gen *g)
{
	if (g->len <= MA_RECORD_GEN_STRING_MAX)
		return MA_OK;
	return ma_findings_add(&g->findings, "record.txt.split", "%zu bytes in %zu strings", g->len,
	                       ma_record_gen_txt_count(g->len));
}

static bool ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* Which of the NULL-terminated words `v` is (case-insensitive); -1 when none. */
static int pick(const char *v, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (ieq(v, words[i]))
			return i;
	return -1;
}

/* Strict decimal (digits only, no sign, no spaces) up to `max`. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s == NULL || *s == '\0' || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool too_long(const char *v)
{
	return strnlen(v, MA_RECORD_GEN_VALUE_MAX + 1) > MA_RECORD_GEN_VALUE_MAX;
}

/* A host name in A-label form (RFC 1123 2.1 LDH, plus '_' for service labels): one trailing dot allowed. */
static bool host_valid(const char *d, size_t n)
{
	if (n == 0 || !ma_dns_name_is_valid(d, n))
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool ok =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (!ok || (c == '-' && label == 0))
			return false;
		label++;
	}
	return d[n - 1] != '-';
}

static bool has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* Check the domain option and write "<prefix><domain>." into g->owner. */
static int set_owner(struct ma_record_gen *g, const char *domain, const char *prefix)
{
	if (g->text != NULL) /* a result is filled once; reusing it without fini would leak the old text */
		return fail(g, MA_ERR_STATE, "the result already holds a record: ma_record_gen_fini() it first");
	if (domain == NULL || *domain == '\0')
		return fail(g, MA_ERR_INVAL, "a domain is required");
	if (too_long(domain))
		return fail(g, MA_ERR_INVAL, "domain '%s' is too long", show(domain).s);
	size_t n = strlen(domain);
	if (has_non_ascii(domain))
		return fail(g, MA_ERR_INVAL,
		            "domain '%s' is not ASCII: give an internationalised name as A-labels (xn--...)",
		            show(domain).s);
	if (!host_valid(domain, n))
		return fail(g, MA_ERR_INVAL,
		            "domain '%s' is not a valid domain name (letters, digits, hyphens; labels of 1-63 "
		            "bytes, RFC 1035 2.3.4)",
		            show(domain).s);
	if (domain[n - 1] == '.')
		n--;
	size_t pn = strlen(prefix);
	if (pn + n + 1 > 254 || !ma_dns_name_is_valid(domain, n))
		return fail(g, MA_ERR_INVAL, "domain '%s' is too long for the name %s<domain>", show(domain).s, prefix);
	memcpy(g->owner, prefix, pn);
	memcpy(g->owner + pn, domain, n);
	g->owner[pn + n] = '.';
	g->owner[pn + n + 1] = '\0';
	/* The full name (without the root dot) must itself be a valid name. */
	if (!ma_dns_name_is_valid(g->owner, pn + n))
		return fail(g, MA_ERR_INVAL, "the name %s is not a valid domain name", show(g->owner).s);
	return MA_OK;
}

static int check_list(struct ma_record_gen *g, const char *opt, const char *const *v, size_t n, size_t max)
{
	if (n > 0 && v == NULL)
		return fail(g, MA_ERR_INVAL, "%s: list is missing", opt);
	if (n > max)
		return fail(g, MA_ERR_TOOBIG, "%s: %zu values, at most %zu", opt, n, max);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL)
			return fail(g, MA_ERR_INVAL, "%s: value %zu is missing", opt, i + 1);
		if (too_long(v[i]))
			return fail(g, MA_ERR_INVAL, "%s: '%s' is too long", opt, show(v[i]).s);
		for (size_t j = 0; j < i; j++)
			if (v[j] != NULL && ieq(v[i], v[j]))
				return fail(g, MA_ERR_INVAL, "%s: '%s' is given twice", opt, show(v[i]).s);
	}
	return MA_OK;
}

/* URI characters that may appear raw in a DMARC or TLS-RPT URI list: printable ASCII without space and without the
 * list and tag separators (RFC 7489 6.2 and RFC 8460 3: ',' '!' ';' must be percent-encoded). */
static bool uri_chars_ok(const char *u)
{
	for (; *u; u++) {
		unsigned char c = (unsigned char)*u;
		if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';' || c == '!' || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* "mailto:local@domain" (RFC 6068) with a valid domain and no header fields. */
static bool mailto_ok(const char *u)
{
	if (strncasecmp(u, "mailto:", 7) != 0)
		return false;
	const char *addr = u + 7;
	const char *at = strrchr(addr, '@');
	if (at == NULL || at == addr || strchr(addr, '?') != NULL)
		return false;
	return host_valid(at + 1, strlen(at + 1)) && strchr(at + 1, '.') != NULL;
}

/* "https://host[:port][/path]" with a valid host. */
static bool https_ok(const char *u)
{
	if (strncasecmp(u, "https://", 8) != 0)
		return false;
	const char *h = u + 8;
	size_t n = strcspn(h, ":/?#");
	if (!host_valid(h, n) || memchr(h, '.', n) == NULL)
		return false;
	if (h[n] == ':') {
		uint64_t port;
		const char *p = h + n + 1;
		size_t pl = strcspn(p, "/?#");
		char num[8];
		if (pl == 0 || pl >= sizeof num)
			return false;
		memcpy(num, p, pl);
		num[pl] = '\0';
		if (!parse_uint(num, 65535, &port) || port == 0)
			return false;
	}
	return true;
}

/* ---- DMARC ---------------------------------------------------------------------------------------------------- */

static const char *const policies[] = {"none", "quarantine", "reject", NULL};

static int dmarc_word(struct ma_record_gen *g, const char *tag, const char *v, const char *const *words,
                      const char *expect, const char **out)
{
	*out = NULL;
	if (v == NULL)
		return MA_OK;
	int i = pick(v, words);
	if (i < 0)
		return fail(g, MA_ERR_INVAL, "%s: '%s' is not %s", tag, show(v).s, expect);
	*out = words[i];
	return MA_OK;
}

/* fo: colon-separated 0, 1, d, s, each at most once (RFC 7489 6.3, RFC 9989 4.7). Written lower-cased. */
static int dmarc_fo(struct ma_record_gen *g, const char *v, char *out, size_t outsz)
{
	static const char opts[] = "01ds";
	unsigned seen = 0;
	size_t j = 0;
	const char *p = v;
	if (*p == '\0')
		return fail(g, MA_ERR_INVAL, "fo: empty (give 0, 1, d or s, separated by ':')");
	for (;;) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
		const char *k = c ? strchr(opts, c) : NULL;
		if (k == NULL || (p[1] != ':' && p[1] != '\0'))
			return fail(g, MA_ERR_INVAL, "fo: '%s' is not a ':'-separated list of 0, 1, d and s",
			            show(v).s);
		unsigned bit = 1u << (k - opts);
		if (seen & bit)
			return fail(g, MA_ERR_INVAL, "fo: '%c' is given twice", c);
		seen |= bit;
		if (j + 2 >= outsz)
			return fail(g, MA_ERR_INVAL, "fo: too long");
		if (j > 0)
			out[j++] = ':';
		out[j++] = c;
		if (p[1] == '\0')
			break;
		p += 2;
		if (*p == '\0')
			return fail(g, MA_ERR_INVAL, "fo: '%s' ends in ':'", show(v).s);
	}
	out[j] = '\0';
	return MA_OK;
}

static int dmarc_uris(struct ma_record_gen *g, const char *tag, const char *const *v, size_t n)
{
	int rc = check_list(g, tag, v, n, MA_DMARC_URIS_MAX);
	if (rc != MA_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!uri_chars_ok(v[i]))
			return fail(
			    g, MA_ERR_INVAL,
			    "%s: '%s' has a space, control character or one of , ; ! \" \\ (percent-encode them, "
			    "RFC 7489 6.2)",
			    tag, show(v[i]).s);
		if (!mailto_ok(v[i])) {
			if (strchr(v[i], ':') == NULL && strchr(v[i], '@') != NULL)
				return fail(g, MA_ERR_INVAL, "%s: '%s' is not a URI: did you mean mailto:%s?", tag,
				            show(v[i]).s, show(v[i]).s);
			return fail(
			    g, MA_ERR_INVAL,
			    "%s: '%s' is not a mailto:local@domain URI (the only scheme receivers must support, "
			    "RFC 7489 6.2)",
			    tag, show(v[i]).s);
		}
	}
	return MA_OK;
}

static void put_uris(struct buf *b, const char *tag, const char *const *v, size_t n)
{
	if (n == 0)
		return;
	putf(b, "; %s=", tag);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			puts_(b, ",");
		puts_(b, v[i]);
	}
}

int ma_record_gen_dmarc(const struct ma_record_gen_dmarc_opts *o, struct ma_record_gen *g)
{
	int rc = set_owner(g, o->domain, "_dmarc.");
	if (rc != MA_OK)
		return rc;
	const enum ma_record_dmarc_generation gen = o->generation;
	if (gen != MA_RECORD_DMARC_BOTH && gen != MA_RECORD_DMARC_RFC7489 && gen != MA_RECORD_DMARC_RFC9989)
		return fail(g, MA_ERR_INVAL, "generation: unknown");
	const char *tags[] = {o->p, o->sp, o->np, o->adkim, o->aspf, o->pct, o->fo, o->rf, o->ri, o->t, o->psd};
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (tags[i] != NULL && too_long(tags[i]))
			return fail(g, MA_ERR_INVAL, "a tag value is too long");

	/* RFC 9989 removed pct, rf and ri (Appendix A.6); RFC 7489 does not know t, np and psd. */
	if (gen == MA_RECORD_DMARC_RFC9989) {
		if (o->pct != NULL)
			return fail(g, MA_ERR_INVAL,
			            "pct: RFC 9989 removed pct (Appendix A.6); use t=y for testing mode (what pct=0 "
			            "meant), or write for both generations");
		if (o->rf != NULL || o->ri != NULL)
			return fail(g, MA_ERR_INVAL, "%s: RFC 9989 removed failure-report formats and report intervals",
			            o->rf != NULL ? "rf" : "ri");
	}
	if (gen == MA_RECORD_DMARC_RFC7489) {
		if (o->t != NULL)
			return fail(
			    g, MA_ERR_INVAL,
			    "t: RFC 7489 has no t tag; use pct=0 for testing mode, or write for both generations");
		if (o->np != NULL || o->psd != NULL)
			return fail(g, MA_ERR_INVAL, "%s: RFC 7489 has no %s tag (it is RFC 9989's)",
			            o->np != NULL ? "np" : "psd", o->np != NULL ? "np" : "psd");
	}

	const char *p, *sp, *np, *adkim, *aspf, *t, *psd, *rf = NULL;
	static const char *const modes[] = {"r", "s", NULL};
	static const char *const yn[] = {"y", "n", NULL};
	static const char *const ynu[] = {"y", "n", "u", NULL};
	if (o->p == NULL)
		return fail(g, MA_ERR_INVAL, "p: required (none, quarantine or reject)");
	if ((rc = dmarc_word(g, "p", o->p, policies, "none, quarantine or reject", &p)) != MA_OK ||
	    (rc = dmarc_word(g, "sp", o->sp, policies, "none, quarantine or reject", &sp)) != MA_OK ||
	    (rc = dmarc_word(g, "np", o->np, policies, "none, quarantine or reject", &np)) != MA_OK ||
	    (rc = dmarc_word(g, "adkim", o->adkim, modes, "r or s", &adkim)) != MA_OK ||
	    (rc = dmarc_word(g, "aspf", o->aspf, modes, "r or s", &aspf)) != MA_OK ||
	    (rc = dmarc_word(g, "t", o->t, yn, "y or n", &t)) != MA_OK ||
	    (rc = dmarc_word(g, "psd", o->psd, ynu, "y, n or u", &psd)) != MA_OK)
		return rc;
	uint64_t pct = 100, ri = 0;
	if (o->pct != NULL && !parse_uint(o->pct, 100, &pct))
		return fail(g, MA_ERR_INVAL, "pct: '%s' is not a whole number from 0 to 100", show(o->pct).s);
	if (o->ri != NULL && !parse_uint(o->ri, UINT32_MAX, &ri))
		return fail(g, MA_ERR_INVAL, "ri: '%s' is not a number of seconds (0 to 4294967295)", show(o->ri).s);
	if (o->rf != NULL) {
		/* RFC 7489 6.3 / 7.3: afrf is the only registered failure-report format. */
		if (!ieq(o->rf, "afrf"))
			return fail(g, MA_ERR_INVAL, "rf: '%s' is not afrf (the only format RFC 7489 defines)",
			            show(o->rf).s);
		rf = "afrf";
	}
	char fo[16] = "";
	if (o->fo != NULL && (rc = dmarc_fo(g, o->fo, fo, sizeof fo)) != MA_OK)
		return rc;
	if ((rc = dmarc_uris(g, "rua", o->rua, o->nrua)) != MA_OK ||
	    (rc = dmarc_uris(g, "ruf", o->ruf, o->nruf)) != MA_OK)
		return rc;

	/* Testing mode for both generations (RFC 9989 Appendix A.6): t=y is what pct=0 meant, and RFC 7489 receivers
	 * only know pct, so a partial rollout is written as pct=N plus t=y, and t=y gets pct=0 beside it. */
	bool testing_both = false;
	bool want_pct = pct < 100;
	if (gen == MA_RECORD_DMARC_BOTH) {
		bool t_yes = t != NULL && t[0] == 'y';
		if (pct < 100 && t != NULL && !t_yes)
			return fail(g, MA_ERR_INVAL,
			            "pct=%u with t=n: a partial rollout is testing mode for RFC 9989 receivers (t=y); "
			            "drop t or pct",
			            (unsigned)pct);
		if (t_yes && o->pct != NULL && pct == 100)
			return fail(g, MA_ERR_INVAL,
			            "pct=100 with t=y: t=y asks for testing mode, pct=100 for full "
			            "enforcement; drop one");
		if (pct < 100 && t == NULL) {
			t = "y";
			testing_both = true;
		} else if (t_yes && o->pct == NULL) {
			pct = 0;
			want_pct = true;
			testing_both = true;
		}
	}

	struct buf b = {0};
	puts_(&b, "v=DMARC1; p=");
	puts_(&b, p);
	if (sp != NULL)
		putf(&b, "; sp=%s", sp);
	if (np != NULL)
		putf(&b, "; np=%s", np);
	if (adkim != NULL)
		putf(&b, "; adkim=%s", adkim);
	if (aspf != NULL)
		putf(&b, "; aspf=%s", aspf);
	if (want_pct) /* RFC 7489 6.3: 100 is the default, so it is never written */
		putf(&b, "; pct=%u", (unsigned)pct);
	if (t != NULL)
		putf(&b, "; t=%s", t);
	if (psd != NULL)
		putf(&b, "; psd=%s", psd);
	if (fo[0] != '\0')
		putf(&b, "; fo=%s", fo);
	if (rf != NULL)
		putf(&b, "; rf=%s", rf);
	if (o->ri != NULL)
		putf(&b, "; ri=%u", (unsigned)ri);
	put_uris(&b, "rua", o->rua, o->nrua);
	put_uris(&b, "ruf", o->ruf, o->nruf);
	if ((rc = finish(g, &b, "DMARC record")) != MA_OK)
		return rc;
	if (testing_both &&
	    (rc = ma_findings_add(&g->findings, "record.dmarc.testing-both", "pct=%u and t=y", (unsigned)pct)) != MA_OK)
		return rc;
	return note_split(g);
}

/* ---- SPF ------------------------------------------------------------------------------------------------------ */

/* ip4/ip6 "addr[/prefix]": canonical address text, prefix written unless it is the full length. Host bits beyond
 * the prefix are refused: they are almost always a typo for the network address (RFC 7208 5.6 ignores them). */
static int spf_ip(struct ma_record_gen *g, struct buf *b, const char *v, bool v6)
{
	const char *opt = v6 ? "ip6" : "ip4";
	int af = v6 ? AF_INET6 : AF_INET;
	unsigned full = v6 ? 128 : 32;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	size_t an = slash ? (size_t)(slash - v) : strlen(v);
	uint8_t bin[16] = {0};
	if (an == 0 || an >= sizeof addr)
		return fail(g, MA_ERR_INVAL, "%s: '%s' is not an %s address", opt, show(v).s, v6 ? "IPv6" : "IPv4");
	memcpy(addr, v, an);
	addr[an] = '\0';
	if (inet_pton(af, addr, bin) != 1)
		return fail(g, MA_ERR_INVAL, "%s: '%s' is not an %s address", opt, show(v).s, v6 ? "IPv6" : "IPv4");
	uint64_t prefix = full;
	if (slash != NULL && (!parse_uint(slash + 1, full, &prefix) || strlen(slash + 1) > 3))
		return fail(g, MA_ERR_INVAL, "%s: '%s' has a bad prefix length (0-%u)", opt, show(v).s, full);
	for (unsigned bit = (unsigned)prefix; bit < full; bit++)
		if (bin[bit / 8] & (0x80 >> (bit % 8))) {
			/* Suggest the network address. */
			for (unsigned k = (unsigned)prefix; k < full; k++)
				bin[k / 8] &= (uint8_t) ~(0x80 >> (k % 8));
			char net[INET6_ADDRSTRLEN];
			inet_ntop(af, bin, net, sizeof net);
			return fail(g, MA_ERR_INVAL, "%s: '%s' has bits set after the /%u prefix: did you mean %s/%u?",
			            opt, show(v).s, (unsigned)prefix, net, (unsigned)prefix);
		}
	char canon[INET6_ADDRSTRLEN];
	if (inet_ntop(af, bin, canon, sizeof canon) == NULL)
		return fail(g, MA_ERR_INVAL, "%s: '%s' is not an address", opt, show(v).s);
	putf(b, " %s:%s", opt, canon);
	if (prefix != full)
		putf(b, "/%u", (unsigned)prefix);
	return MA_OK;
}

/* A term with a domain-spec: checked by parsing it alone with the SPF parser (macros, CIDR, top label: RFC 7208
 * 4.6.1 and 7.1), and it must come back as exactly one term of the intended kind, so a value cannot smuggle in
 * other terms. */
static int spf_term(struct ma_record_gen *g, struct buf *b, const char *opt, enum ma_spf_kind kind, const char *v)
{
	if (*v == '\0' && kind != MA_SPF_A && kind != MA_SPF_MX)
		return fail(g, MA_ERR_INVAL, "%s: a domain is required", opt);
	/* Without macros the domain-spec is a plain name: hold it to host-name rules (the grammar alone would take
	 * "a..example.com"), with a dot so it is not a bare top label (RFC 7208 7.1 toplabel). */
	size_t dn = strcspn(v, "/");
	if (dn > 0 && memchr(v, '%', dn) == NULL && (!host_valid(v, dn) || memchr(v, '.', dn) == NULL))
		return fail(g, MA_ERR_INVAL,
		            "%s: '%s' is not a valid domain-spec (RFC 7208 4.6.1, 7.1): not a host name", opt,
		            show(v).s);
	struct buf t = {0};
	puts_(&t, "v=spf1 ");
	puts_(&t, opt);
	if (*v != '\0') {
		if (*v != '/')
			puts_(&t, kind == MA_SPF_REDIRECT ? "=" : ":");
		puts_(&t, v);
	}
	if (t.rc != MA_OK) {
		free(t.p);
		return fail(g, t.rc, "%s", ma_err_str(t.rc));
	}
	struct ma_spf_record rec;
	int rc = ma_spf_parse(t.p, t.n, &rec);
	if (rc == MA_OK) {
		bool ok = rec.valid && rec.nterms == 1 && rec.terms[0].kind == kind && !rec.terms[0].qual_written;
		for (const char *c = v; ok && *c; c++)
			ok = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f;
		if (ok)
			put(b, t.p + 6, t.n - 6); /* " opt:value" */
		else
			rc = fail(g, MA_ERR_INVAL, "%s: '%s' is not a valid domain-spec (RFC 7208 4.6.1, 7.1)%s%s", opt,
			          show(v).s, rec.error ? ": " : "", rec.error ? show(rec.error).s : "");
	}
	ma_spf_record_fini(&rec);
	free(t.p);
	return rc;
}

static unsigned spf_lookups(const struct ma_spf_record *r)
{
	/* RFC 7208 4.6.4: these terms cause DNS queries and count towards the limit of 10. */
	unsigned n = 0;
	for (size_t i = 0; i < r->nterms; i++) {
		enum ma_spf_kind k = r->terms[i].kind;
		if (k == MA_SPF_INCLUDE || k == MA_SPF_A || k == MA_SPF_MX || k == MA_SPF_PTR || k == MA_SPF_EXISTS ||
		    k == MA_SPF_REDIRECT)
			n++;
	}
	return n;
}

int ma_record_gen_spf(const struct ma_record_gen_spf_opts *o, struct ma_record_gen *g)
{
	int rc = set_owner(g, o->domain, "");
	if (rc != MA_OK)
		return rc;
	if ((rc = check_list(g, "ip4", o->ip4, o->nip4, MA_RECORD_GEN_LIST_MAX)) != MA_OK ||
	    (rc = check_list(g, "ip6", o->ip6, o->nip6, MA_RECORD_GEN_LIST_MAX)) != MA_OK ||
	    (rc = check_list(g, "a", o->a, o->na, MA_RECORD_GEN_LIST_MAX)) != MA_OK ||
	    (rc = check_list(g, "mx", o->mx, o->nmx, MA_RECORD_GEN_LIST_MAX)) != MA_OK ||
	    (rc = check_list(g, "include", o->include, o->ninclude, MA_RECORD_GEN_LIST_MAX)) != MA_OK ||
	    (rc = check_list(g, "exists", o->exists, o->nexists, MA_RECORD_GEN_LIST_MAX)) != MA_OK)
		return rc;
	if (o->redirect != NULL && too_long(o->redirect))
		return fail(g, MA_ERR_INVAL, "redirect: too long");
	char qual = '-';
	if (o->all != NULL) {
		if (strlen(o->all) != 1 || strchr("-~?+", o->all[0]) == NULL)
			return fail(g, MA_ERR_INVAL, "all: '%s' is not one of - ~ ? +", show(o->all).s);
		if (o->redirect != NULL)
			return fail(g, MA_ERR_INVAL,
			            "redirect with all: receivers ignore redirect when all is present (RFC 7208 6.1); "
			            "give one of them");
		qual = o->all[0];
	}

	struct buf b = {0};
	puts_(&b, "v=spf1");
	/* Cheapest first: evaluation stops at the first match (RFC 7208 4.6.2), and ip4/ip6 cost no lookup. */
	for (size_t i = 0; i < o->nip4 && rc == MA_OK; i++)
		rc = spf_ip(g, &b, o->ip4[i], false);
	for (size_t i = 0; i < o->nip6 && rc == MA_OK; i++)
		rc = spf_ip(g, &b, o->ip6[i], true);
	for (size_t i = 0; i < o->na && rc == MA_OK; i++)
		rc = spf_term(g, &b, "a", MA_SPF_A, o->a[i]);
	for (size_t i = 0; i < o->nmx && rc == MA_OK; i++)
		rc = spf_term(g, &b, "mx", MA_SPF_MX, o->mx[i]);
	for (size_t i = 0; i < o->ninclude && rc == MA_OK; i++)
		rc = spf_term(g, &b, "include", MA_SPF_INCLUDE, o->include[i]);
	for (size_t i = 0; i < o->nexists && rc == MA_OK; i++)
		rc = spf_term(g, &b, "exists", MA_SPF_EXISTS, o->exists[i]);
	if (rc == MA_OK && o->redirect != NULL)
		rc = spf_term(g, &b, "redirect", MA_SPF_REDIRECT, o->redirect);
	if (rc != MA_OK) {
		free(b.p);
		return rc;
	}
	if (o->redirect == NULL) {
		/* The qualifier is always written, even '+', so the record says what it means. */
		char all[6] = " ?all";
		all[1] = qual;
		puts_(&b, all);
	}
	if ((rc = finish(g, &b, "SPF record")) != MA_OK)
		return rc;

	/* The whole record through the parser: it must be valid, and its DNS-querying terms are counted there. */
	struct ma_spf_record rec;
	rc = ma_spf_parse(g->text, g->len, &rec);
	if (rc == MA_OK && !rec.valid)
		rc = fail(g, MA_ERR_INVAL, "the record did not parse: %s", rec.error ? show(rec.error).s : "?");
	unsigned lookups = rc == MA_OK ? spf_lookups(&rec) : 0;
	ma_spf_record_fini(&rec);
	if (rc != MA_OK)
		return rc;
	/* The ids as the spf linter uses them, so a generated record and its lint agree. */
	if (lookups > MA_SPF_LOOKUP_LIMIT && (rc = ma_findings_add(&g->findings, "record.spf.lookups-over-limit",
	                                                           "%u DNS-querying terms", lookups)) != MA_OK)
		return rc;
	if (g->len > MA_SPF_UK_RECORD_MAX &&
	    (rc = ma_findings_add(&g->findings, "record.spf.long", "%zu bytes", g->len)) != MA_OK)
		return rc;
	if (o->redirect == NULL && qual == '+' &&
	    (rc = ma_findings_add(&g->findings, "record.spf.all-pass", NULL)) != MA_OK)
		return rc;
	return note_split(g);
}

/* ---- MTA-STS -------------------------------------------------------------------------------------------------- */

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days): no libc time zone state. */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int ma_record_gen_mtasts(const struct ma_record_gen_mtasts_opts *o, struct ma_record_gen *g)
{
	int rc = set_owner(g, o->domain, "_mta-sts.");
	if (rc != MA_OK)
		return rc;
	char id[40];
	if (o->id != NULL) {
		size_t n = strnlen(o->id, 33);
		bool ok = n >= 1 && n <= 32;
		for (size_t i = 0; ok && i < n; i++) {
			char c = o->id[i];
			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		}
		if (!ok) /* RFC 8461 3.1: sts-id = 1*32( ALPHA / DIGIT ) */
			return fail(g, MA_ERR_INVAL, "id: '%s' is not 1 to 32 letters and digits (RFC 8461 3.1)",
			            show(o->id).s);
		memcpy(id, o->id, n);
		id[n] = '\0';
	} else {
		/* Before year 10000, so the id is always 14 digits. */
		if (o->now <= 0 || o->now >= 253402300800)
			return fail(g, MA_ERR_INVAL, "id: no id given and no valid current time to make one from");
		int64_t y;
		unsigned mo, d, s = (unsigned)(o->now % 86400);
		civil(o->now / 86400, &y, &mo, &d);
		snprintf(id, sizeof id, "%04u%02u%02u%02u%02u%02u", (unsigned)y, mo, d, s / 3600, s / 60 % 60, s % 60);
	}
	struct buf b = {0};
	puts_(&b, "v=STSv1; id=");
	puts_(&b, id);
	if ((rc = finish(g, &b, "MTA-STS record")) != MA_OK)
		return rc;
	return note_split(g);
}

/* RFC 8461 3.2 / 4.1: an mx pattern is a host name, optionally with "*." as its left-most label. Written
 * lower-cased without a trailing dot. */
static int mx_pattern(struct ma_record_gen *g, const char *v, char *out, size_t outsz)
{
	const char *h = v;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '*' && v[1] == '.')
		h += 2;
	size_t hn = strlen(h);
	if (hn > 0 && h[hn - 1] == '.')
		hn--;
	if (hn == 0 || !host_valid(h, hn) || memchr(h, '.', hn) == NULL || n + 1 > outsz)
		return fail(g, MA_ERR_INVAL,
		            "mx: '%s' is not a host name pattern (a name such as mail.example.com, or *.example.com; "
		            "RFC 8461 3.2)",
		            show(v).s);
	size_t j = 0;
	for (const char *p = v; p < h + hn; p++)
		out[j++] = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
	out[j] = '\0';
	return MA_OK;
}

int ma_record_gen_mtasts_policy(const struct ma_record_gen_mtasts_policy_opts *o, struct ma_record_gen *g)
{
	int rc = set_owner(g, o->domain, "mta-sts.");
	if (rc != MA_OK)
		return rc;
	/* RFC 8461 3.3: the policy is fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt */
	snprintf(g->location, sizeof g->location, "https://%.*s/.well-known/mta-sts.txt", (int)strlen(g->owner) - 1,
	         g->owner);
	g->owner[0] = '\0';
	static const char *const modes[] = {"enforce", "testing", "none", NULL};
	int mode = 1;
	if (o->mode != NULL && (too_long(o->mode) || (mode = pick(o->mode, modes)) < 0))
		return fail(g, MA_ERR_INVAL, "mode: '%s' is not enforce, testing or none", show(o->mode).s);
	if ((rc = check_list(g, "mx", o->mx, o->nmx, MA_MTASTS_MX_MAX)) != MA_OK)
		return rc;
	/* RFC 8461 3.2: mx is required unless the mode is none. */
	if (o->nmx == 0 && mode != 2)
		return fail(g, MA_ERR_INVAL, "mx: at least one pattern is required in %s mode (RFC 8461 3.2)",
		            modes[mode]);
	uint64_t max_age = mode == 0 ? 1209600 : 86400;
	if (o->max_age != NULL && !parse_uint(o->max_age, MA_MTASTS_MAX_AGE_MAX, &max_age))
		return fail(g, MA_ERR_INVAL, "max_age: '%s' is not a number of seconds from 0 to %u (RFC 8461 3.2)",
		            show(o->max_age).s, MA_MTASTS_MAX_AGE_MAX);

	/* RFC 8461 3.2: lines end in CRLF; version first (strict parsers and the UK standard expect it). */
	struct buf b = {0};
	puts_(&b, "version: STSv1\r\nmode: ");
	puts_(&b, modes[mode]);
	puts_(&b, "\r\n");
	for (size_t i = 0; i < o->nmx && rc == MA_OK; i++) {
		char pat[MA_DNS_NAME_MAX + 4];
		if ((rc = mx_pattern(g, o->mx[i], pat, sizeof pat)) == MA_OK) {
			puts_(&b, "mx: ");
			puts_(&b, pat);
			puts_(&b, "\r\n");
		}
	}
	if (rc != MA_OK) {
		free(b.p);
		return rc;
	}
	putf(&b, "max_age: %u\r\n", (unsigned)max_age);
	return finish(g, &b, "MTA-STS policy");
}

/* ---- TLS-RPT -------------------------------------------------------------------------------------------------- */

int ma_record_gen_tlsrpt(const struct ma_record_gen_tlsrpt_opts *o, struct ma_record_gen *g)
{
	int rc = set_owner(g, o->domain, "_smtp._tls.");
	if (rc != MA_OK)
		return rc;
	if ((rc = check_list(g, "rua", o->rua, o->nrua, MA_TLSRPT_RUA_MAX)) != MA_OK)
		return rc;
	if (o->nrua == 0)
		return fail(g, MA_ERR_INVAL, "rua: at least one mailto: or https: URI is required (RFC 8460 3)");
	for (size_t i = 0; i < o->nrua; i++) {
		const char *u = o->rua[i];
		if (!uri_chars_ok(u))
			return fail(g, MA_ERR_INVAL,
			            "rua: '%s' has a space, control character or one of , ; ! \" \\ (percent-encode "
			            "them, RFC 8460 3)",
			            show(u).s);
		if (strncasecmp(u, "mailto:", 7) == 0 ? !mailto_ok(u) : !https_ok(u)) {
			if (strchr(u, ':') == NULL && strchr(u, '@') != NULL)
				return fail(g, MA_ERR_INVAL, "rua: '%s' is not a URI: did you mean mailto:%s?",
				            show(u).s, show(u).s);
			return fail(g, MA_ERR_INVAL,
			            "rua: '%s' is not a mailto:local@domain or https://host/path URI (RFC 8460 3)",
			            show(u).s);
		}
	}
	struct buf b = {0};
	puts_(&b, "v=TLSRPTv1; rua=");
	for (size_t i = 0; i < o->nrua; i++) {
		if (i > 0)
			puts_(&b, ",");
		puts_(&b, o->rua[i]);
	}
	if ((rc = finish(g, &b, "TLS-RPT record")) != MA_OK)
		return rc;
	return note_split(g);
}

/* ---- Zone-file output ----------------------------------------------------------------------------------------- */

size_t ma_record_gen_txt_count(size_t len)
{
	return len == 0 ? 1 : (len + MA_RECORD_GEN_STRING_MAX - 1) / MA_RECORD_GEN_STRING_MAX;
}

int ma_record_gen_txt_strings(const char *data, size_t len, char **out)
{
	*out = NULL;
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;
	if (len > MA_RECORD_GEN_TEXT_MAX)
		return MA_ERR_TOOBIG;
	/* Worst case: every byte \DDD, plus quotes and a space per string. */
	size_t cap = len * 4 + ma_record_gen_txt_count(len) * 3 + 1;
	char *s = malloc(cap), *w = s;
	if (s == NULL)
		return MA_ERR_NOMEM;
	size_t i = 0;
	do {
		size_t end = i + MA_RECORD_GEN_STRING_MAX < len ? i + MA_RECORD_GEN_STRING_MAX : len;
		if (i > 0)
			*w++ = ' ';
		*w++ = '"';
		/* RFC 1035 5.1: the 255 counts data bytes; escapes only change how they are written. */
		for (; i < end; i++) {
			unsigned char c = (unsigned char)data[i];
			if (c == '"' || c == '\\') {
				*w++ = '\\';
				*w++ = (char)c;
			} else if (c < 0x20 || c >= 0x7f) {
				*w++ = '\\';
				*w++ = (char)('0' + c / 100);
				*w++ = (char)('0' + c / 10 % 10);
				*w++ = (char)('0' + c % 10);
			} else {
				*w++ = (char)c;
			}
		}
		*w++ = '"';
	} while (i < len);
	*w = '\0';
	*out = s;
	return MA_OK;
}

int ma_record_gen_zone(const struct ma_record_gen *g, uint32_t ttl, char **out)
{
	*out = NULL;
	if (g->owner[0] == '\0' || g->text == NULL || ttl > MA_RECORD_GEN_TTL_MAX)
		return MA_ERR_INVAL;
	char *strings;
	int rc = ma_record_gen_txt_strings(g->text, g->len, &strings);
	if (rc != MA_OK)
		return rc;
	size_t n = strlen(g->owner) + strlen(strings) + 32;
	char *line = malloc(n);
	if (line == NULL) {
		free(strings);
		return MA_ERR_NOMEM;
	}
	snprintf(line, n, "%s %u IN TXT %s\n", g->owner, (unsigned)ttl, strings);
	free(strings);
	*out = line;
	return MA_OK;
}
