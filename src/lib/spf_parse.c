/* src/lib/spf_parse.c — SPF record parser: the grammar of RFC 7208 4.6.1 and 12, every mechanism and modifier,
 * CIDR lengths, macro-string syntax (7.1), and the record as JSON.
 *
 * The record is untrusted bytes (ptr, len). Any syntax error anywhere makes the whole record a permerror before a
 * single term is evaluated (RFC 7208 4.6), so the parser reads every term and stops at the first error, saying
 * which term it was. Length and term count are capped; parsing is linear in the record length. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/spf.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool span_ieq(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lit[i])
			return false;
	return true;
}

/* A printable, bounded rendering of untrusted bytes for messages (non-printables become '?'). */
static void show(const char *p, size_t n, char *out, size_t outsz)
{
	size_t m = n < outsz - 1 ? n : outsz - 1;
	bool cut = n > m;
	if (cut && m > 3)
		m -= 3;
	size_t o = 0;
	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)p[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (cut && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *ma_spf_result_name(enum ma_spf_result r)
{
	switch (r) {
	case MA_SPF_NONE: return "none";
	case MA_SPF_NEUTRAL: return "neutral";
	case MA_SPF_PASS: return "pass";
	case MA_SPF_FAIL: return "fail";
	case MA_SPF_SOFTFAIL: return "softfail";
	case MA_SPF_TEMPERROR: return "temperror";
	case MA_SPF_PERMERROR: return "permerror";
	}
	return "?";
}

int ma_spf_result_from_name(const char *name)
{
	for (int r = MA_SPF_NONE; r <= MA_SPF_PERMERROR; r++)
		if (span_ieq(name, strlen(name), ma_spf_result_name((enum ma_spf_result)r)))
			return r;
	return -1;
}

const char *ma_spf_kind_name(enum ma_spf_kind k)
{
	static const char *const names[] = {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists",
					    "redirect", "exp", "unknown"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

void ma_spf_record_init(struct ma_spf_record *r)
{
	memset(r, 0, sizeof *r);
	r->redirect = r->exp = -1;
}

void ma_spf_record_fini(struct ma_spf_record *r)
{
	for (size_t i = 0; i < r->nterms; i++) {
		free(r->terms[i].text);
		free(r->terms[i].spec);
		free(r->terms[i].name);
	}
	free(r->terms);
	free(r->error);
	ma_spf_record_init(r);
}

bool ma_spf_is_record(const char *data, size_t len)
{
	/* RFC 7208 4.5: "v=spf1" then a space or the end; "v=spf10" is some other version. */
	if (data == NULL || len < 6 || !span_ieq(data, 6, "v=spf1"))
		return false;
	return len == 6 || data[6] == ' ';
}

/* ---- macro-string (RFC 7208 7.1) --------------------------------------------------------------------------- */

static bool is_macro_letter(char c, bool exp)
{
	switch (lower(c)) {
	case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v':
		return true;
	case 'c': case 'r': case 't':
		return exp; /* RFC 7208 7.3: only in "exp" text */
	default:
		return false;
	}
}

static bool is_delimiter(char c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

/* Scan one macro-expand at s[i] ('%'); returns its length or 0 when malformed. */
static size_t macro_expand_len(const char *s, size_t len, size_t i, bool exp)
{
	if (i + 1 >= len)
		return 0; /* a lone '%' at the end */
	char c = s[i + 1];
	if (c == '%' || c == '_' || c == '-')
		return 2;
	if (c != '{')
		return 0;
	size_t j = i + 2;
	if (j >= len || !is_macro_letter(s[j], exp))
		return 0;
	j++;
	size_t digits = 0;
	while (j < len && is_digit(s[j])) {
		if (++digits > 3) /* RFC allows any count; 3 digits (<= 999) is plenty and keeps the value bounded */
			return 0;
		j++;
	}
	if (j < len && lower(s[j]) == 'r')
		j++;
	while (j < len && is_delimiter(s[j]))
		j++;
	if (j >= len || s[j] != '}')
		return 0;
	return j + 1 - i;
}

bool ma_spf_macro_valid(const char *s, size_t len, bool exp)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			size_t n = macro_expand_len(s, len, i, exp);
			if (n == 0)
				return false;
			i += n;
			continue;
		}
		/* macro-literal = %x21-24 / %x26-7E; exp text also allows spaces (explain-string, 6.2). */
		if (!(c >= 0x21 && c <= 0x7e) && !(exp && c == ' '))
			return false;
		i++;
	}
	return true;
}

bool ma_spf_macro_uses_p(const char *s)
{
	for (const char *p = s; (p = strchr(p, '%')) != NULL;) {
		if (p[1] == '{' && lower(p[2]) == 'p')
			return true;
		p += (p[1] != '\0') ? 2 : 1;
	}
	return false;
}

/* RFC 7208 7.1 toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool is_toplabel(const char *p, size_t n)
{
	if (n == 0)
		return false;
	bool alpha = false, hyphen = false;
	for (size_t i = 0; i < n; i++) {
		if (is_alpha(p[i]))
			alpha = true;
		else if (p[i] == '-')
			hyphen = true;
		else if (!is_digit(p[i]))
			return false;
	}
	if (alpha && !hyphen)
		return true;
	return hyphen && p[0] != '-' && p[n - 1] != '-';
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static bool domain_spec_valid(const char *s, size_t len, const char **why)
{
	if (len == 0) {
		*why = "empty domain-spec";
		return false;
	}
	if (!ma_spf_macro_valid(s, len, false)) {
		*why = "invalid macro-string";
		return false;
	}
	/* Where does the literal tail after the last macro-expand start? */
	size_t tail = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] == '%') {
			i += macro_expand_len(s, len, i, false);
			tail = i;
		} else {
			i++;
		}
	}
	if (tail == len)
		return true; /* ends with a macro-expand */
	size_t end = len;
	if (s[end - 1] == '.')
		end--;
	size_t dot = end;
	while (dot > tail && s[dot - 1] != '.')
		dot--;
	if (dot == tail || !is_toplabel(s + dot, end - dot)) {
		*why = "domain-spec does not end in a valid top-level label";
		return false;
	}
	return true;
}

/* ---- CIDR and addresses ------------------------------------------------------------------------------------ */

/* "0" / %x31-39 0*nDIGIT with value <= max; -1 when malformed. */
static int parse_cidr(const char *p, size_t n, int max)
{
	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Split a trailing dual-cidr-length ("/24", "//64", "/24//64") off s[0..*n). Returns false on a malformed one. */
static bool split_dual_cidr(const char *s, size_t *n, int *c4, int *c6, bool allow4, bool allow6)
{
	*c4 = *c6 = -1;
	size_t end = *n, i = end;
	while (i > 0 && is_digit(s[i - 1]))
		i--;
	if (i == end || i == 0 || s[i - 1] != '/')
		return true; /* no CIDR suffix: a '/' inside the domain-spec is the domain-spec's business */
	size_t slash = i - 1;
	if (slash > 0 && s[slash - 1] == '/') {
		/* "//n": IPv6 length, maybe preceded by "/m" */
		if (!allow6 || (*c6 = parse_cidr(s + i, end - i, 128)) < 0)
			return false;
		end = slash - 1;
		i = end;
		while (i > 0 && is_digit(s[i - 1]))
			i--;
		if (i < end && i > 0 && s[i - 1] == '/' && (i < 2 || s[i - 2] != '/')) {
			if (!allow4 || (*c4 = parse_cidr(s + i, end - i, 32)) < 0)
				return false;
			end = i - 1;
		}
	} else {
		if (!allow4 || (*c4 = parse_cidr(s + i, end - i, 32)) < 0)
			return false;
		end = slash;
	}
	*n = end;
	return true;
}

/* RFC 7208 12 ip4-network: dotted quad, dec-octet without leading zeros. */
static bool parse_ip4(const char *p, size_t n, uint8_t out[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
		size_t s = i;
		unsigned v = 0;
		while (i < n && is_digit(p[i]) && i - s < 3)
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i == s || v > 255 || (i - s > 1 && p[s] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == n;
}

static bool parse_ip6(const char *p, size_t n, uint8_t out[16])
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

static bool host_bits_set(const uint8_t *a, int bytes, int prefix)
{
	for (int b = prefix; b < bytes * 8; b++)
		if (a[b / 8] & (0x80 >> (b % 8)))
			return true;
	return false;
}

/* ---- terms ------------------------------------------------------------------------------------------------- */

struct parser {
	struct ma_spf_record *rec;
	const char *term; /* current term, for messages */
	size_t termlen;
};

static int fail(struct parser *ps, const char *why)
{
	char t[96];
	show(ps->term, ps->termlen, t, sizeof t);
	size_t n = strlen(t) + strlen(why) + 16;
	char *m = malloc(n);
	if (m == NULL)
		return MA_ERR_NOMEM;
	snprintf(m, n, "'%s': %s", t, why);
	free(ps->rec->error);
	ps->rec->error = m;
	ps->rec->valid = false;
	return MA_OK;
}

static char *dup_span(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static const struct {
	const char *name;
	enum ma_spf_kind kind;
} mechanisms[] = {
	{"all", MA_SPF_ALL},   {"include", MA_SPF_INCLUDE}, {"a", MA_SPF_A},     {"mx", MA_SPF_MX},
	{"ptr", MA_SPF_PTR},   {"ip4", MA_SPF_IP4},         {"ip6", MA_SPF_IP6}, {"exists", MA_SPF_EXISTS},
};

/* Parse one term (no spaces inside, all bytes printable ASCII) into t. Returns MA_OK with t->kind set, or MA_OK
 * after fail() (rec->valid false), or MA_ERR_NOMEM. */
static int parse_term(struct parser *ps, const char *p, size_t n, struct ma_spf_term *t)
{
	memset(t, 0, sizeof *t);
	t->cidr4 = t->cidr6 = -1;
	t->qual = MA_SPF_Q_PASS;
	if ((t->text = dup_span(p, n)) == NULL)
		return MA_ERR_NOMEM;

	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then '=' makes it a modifier. */
	size_t nl = 0;
	while (nl < n && (is_alpha(p[nl]) || is_digit(p[nl]) || p[nl] == '-' || p[nl] == '_' || p[nl] == '.'))
		nl++;
	if (nl > 0 && nl < n && p[nl] == '=' && is_alpha(p[0])) {
		const char *v = p + nl + 1;
		size_t vn = n - nl - 1;
		if ((t->name = dup_span(p, nl)) == NULL || (t->spec = dup_span(v, vn)) == NULL)
			return MA_ERR_NOMEM;
		const char *why = NULL;
		if (span_ieq(p, nl, "redirect") || span_ieq(p, nl, "exp")) {
			t->kind = span_ieq(p, nl, "exp") ? MA_SPF_EXP : MA_SPF_REDIRECT;
			int *slot = t->kind == MA_SPF_EXP ? &ps->rec->exp : &ps->rec->redirect;
			if (*slot >= 0) /* RFC 7208 6: each at most once */
				return fail(ps, "modifier appears more than once");
			*slot = (int)ps->rec->nterms;
			if (!domain_spec_valid(v, vn, &why))
				return fail(ps, why);
		} else {
			t->kind = MA_SPF_UNKNOWN;
			if (!ma_spf_macro_valid(v, vn, true))
				return fail(ps, "invalid macro-string in modifier value");
		}
		return MA_OK;
	}

	size_t i = 0;
	if (p[0] == '+' || p[0] == '-' || p[0] == '~' || p[0] == '?') {
		t->qual = (enum ma_spf_qual)p[0];
		t->qual_written = true;
		i = 1;
	}
	size_t ms = i;
	while (i < n && (is_alpha(p[i]) || is_digit(p[i])))
		i++;
	size_t k;
	for (k = 0; k < sizeof mechanisms / sizeof mechanisms[0]; k++)
		if (span_ieq(p + ms, i - ms, mechanisms[k].name))
			break;
	if (k == sizeof mechanisms / sizeof mechanisms[0])
		return fail(ps, "unknown mechanism");
	t->kind = mechanisms[k].kind;
	if (i < n && p[i] != ':' && p[i] != '/')
		return fail(ps, "unexpected character after the mechanism name");
	const char *arg = p + i;
	size_t an = n - i;
	bool colon = an > 0 && arg[0] == ':';
	if (colon) {
		arg++;
		an--;
	}
	const char *why = NULL;
	switch (t->kind) {
	case MA_SPF_ALL:
		if (n != i)
			return fail(ps, "all takes no argument");
		return MA_OK;
	case MA_SPF_INCLUDE:
	case MA_SPF_EXISTS:
	case MA_SPF_PTR:
		if (!colon) {
			if (t->kind == MA_SPF_PTR && an == 0)
				return MA_OK;
			return fail(ps, t->kind == MA_SPF_PTR ? "ptr takes no CIDR length" : "a domain-spec is required");
		}
		if (!domain_spec_valid(arg, an, &why))
			return fail(ps, why);
		if ((t->spec = dup_span(arg, an)) == NULL)
			return MA_ERR_NOMEM;
		return MA_OK;
	case MA_SPF_A:
	case MA_SPF_MX: {
		size_t dn = an;
		if (!split_dual_cidr(arg, &dn, &t->cidr4, &t->cidr6, true, true))
			return fail(ps, "invalid CIDR length");
		if (colon) {
			if (!domain_spec_valid(arg, dn, &why))
				return fail(ps, why);
			if ((t->spec = dup_span(arg, dn)) == NULL)
				return MA_ERR_NOMEM;
		} else if (dn != 0) {
			return fail(ps, "unexpected text after the mechanism");
		}
		return MA_OK;
	}
	case MA_SPF_IP4:
	case MA_SPF_IP6: {
		bool v6 = t->kind == MA_SPF_IP6;
		if (!colon)
			return fail(ps, "an address is required");
		size_t dn = an;
		const char *slash = memchr(arg, '/', an);
		if (slash != NULL) {
			dn = (size_t)(slash - arg);
			int c = parse_cidr(slash + 1, an - dn - 1, v6 ? 128 : 32);
			if (c < 0)
				return fail(ps, "invalid CIDR length");
			if (v6)
				t->cidr6 = c;
			else
				t->cidr4 = c;
		}
		if (v6 ? !parse_ip6(arg, dn, t->addr) : !parse_ip4(arg, dn, t->addr))
			return fail(ps, v6 ? "invalid IPv6 address" : "invalid IPv4 address");
		if ((t->spec = dup_span(arg, dn)) == NULL)
			return MA_ERR_NOMEM;
		int prefix = v6 ? (t->cidr6 < 0 ? 128 : t->cidr6) : (t->cidr4 < 0 ? 32 : t->cidr4);
		t->host_bits = host_bits_set(t->addr, v6 ? 16 : 4, prefix);
		return MA_OK;
	}
	default:
		break;
	}
	return fail(ps, "unknown mechanism");
}

int ma_spf_parse(const char *data, size_t len, struct ma_spf_record *rec)
{
	ma_spf_record_init(rec);
	struct parser ps = {.rec = rec, .term = data, .termlen = len < 16 ? len : 16};
	if (data == NULL)
		len = 0;
	if (len > MA_SPF_RECORD_MAX) {
		rec->too_long = true;
		return fail(&ps, "record longer than the parser's cap");
	}
	if (!ma_spf_is_record(data, len)) {
		rec->not_spf = true;
		return fail(&ps, "does not start with v=spf1");
	}
	/* RFC 7208 3.1 / 4.6.1: 7-bit ASCII only, terms separated by spaces only (no control characters). */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c < 0x20 || c > 0x7e) {
			size_t s = i, e = i;
			while (s > 0 && data[s - 1] != ' ')
				s--;
			while (e < len && data[e] != ' ')
				e++;
			ps.term = data + s;
			ps.termlen = e - s;
			return fail(&ps, c >= 0x80 ? "non-ASCII byte" : "control character");
		}
	}
	rec->valid = true;
	size_t i = 6;
	while (i < len) {
		while (i < len && data[i] == ' ')
			i++;
		if (i == len)
			break;
		size_t s = i;
		while (i < len && data[i] != ' ')
			i++;
		ps.term = data + s;
		ps.termlen = i - s;
		if (rec->nterms == MA_SPF_TERMS_MAX)
			return fail(&ps, "too many terms");
		if (rec->nterms % 16 == 0) {
			struct ma_spf_term *nt = realloc(rec->terms, (rec->nterms + 16) * sizeof *nt);
			if (nt == NULL)
				return MA_ERR_NOMEM;
			rec->terms = nt;
		}
		struct ma_spf_term *t = &rec->terms[rec->nterms];
		int rc = parse_term(&ps, data + s, i - s, t);
		rec->nterms++; /* owned strings are freed by fini even when the term was bad */
		if (rc != MA_OK || !rec->valid)
			return rc;
	}
	return MA_OK;
}

json_t *ma_spf_record_to_json(const struct ma_spf_record *r)
{
	json_t *o = json_object();
	if (o == NULL || !r->valid)
		return o;
	json_t *terms = json_array();
	int bad = terms == NULL || json_object_set_new(o, "version", json_string("spf1")) ||
		  json_object_set_new(o, "terms", terms);
	for (size_t i = 0; !bad && i < r->nterms; i++) {
		const struct ma_spf_term *t = &r->terms[i];
		json_t *j = json_object();
		bad |= j == NULL || json_array_append_new(terms, j);
		if (bad)
			break;
		bad |= json_object_set_new(j, "term", json_string(t->text));
		bad |= json_object_set_new(j, "kind", json_string(ma_spf_kind_name(t->kind)));
		if (t->kind <= MA_SPF_EXISTS) {
			char q[2] = {(char)t->qual, 0};
			bad |= json_object_set_new(j, "qualifier", json_string(q));
			if (t->spec)
				bad |= json_object_set_new(j, t->kind == MA_SPF_IP4 || t->kind == MA_SPF_IP6 ? "address"
											  : "domain",
							   json_string(t->spec));
			if (t->cidr4 >= 0)
				bad |= json_object_set_new(j, "cidr4", json_integer(t->cidr4));
			if (t->cidr6 >= 0)
				bad |= json_object_set_new(j, "cidr6", json_integer(t->cidr6));
		} else {
			bad |= json_object_set_new(j, "name", json_string(t->name));
			bad |= json_object_set_new(j, "value", json_string(t->spec));
		}
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
