/* src/lib/dmarc_parse.c — DMARC record parser: the tag-value list of RFC 7489 6.3/6.4 and RFC 9989 4.7/4.8.
 *
 * The record is untrusted bytes (ptr, len): it may hold NULs, non-ASCII or thousands of tags. We parse with a cursor,
 * cap the length and the tag count, and turn every problem into a finding. Receivers' tolerance is followed: a
 * trailing ';' and whitespace around '=' and ';' are fine, unknown tags are ignored (RFC 9989 4.7), and a bad value
 * falls back to the tag's default (RFC 9989 4.8) — but each of these is reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"

struct span {
	const char *p;
	size_t n;
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

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

static struct span trim(struct span s)
{
	while (s.n > 0 && is_wsp(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_wsp(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* ABNF quoted strings are case-insensitive (RFC 5234 2.3), so tag names and keyword values compare that way. */
static bool span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lit[i])
			return false;
	return true;
}

/* A printable, bounded rendering of untrusted bytes for a finding's detail (non-printables become '?'). */
static void show(struct span s, char *out, size_t outsz)
{
	size_t n = s.n < outsz - 1 ? s.n : outsz - 1;
	bool cut = s.n > n;
	if (cut && n > 3)
		n -= 3;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (cut && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int add(struct ma_findings *f, const char *id, const char *tag, struct span v, const char *why)
{
	if (f == NULL)
		return MA_OK;
	char buf[96];
	show(v, buf, sizeof buf);
	if (tag != NULL && why != NULL)
		return ma_findings_add(f, id, "%s=%s: %s", tag, buf, why);
	if (tag != NULL)
		return ma_findings_add(f, id, "%s", tag);
	return ma_findings_add(f, id, "'%s'%s%s", buf, why ? ": " : "", why ? why : "");
}

void ma_dmarc_record_init(struct ma_dmarc_record *r)
{
	memset(r, 0, sizeof *r);
	r->pct = 100;
	r->ri = 86400;
	r->fo = MA_DMARC_FO_0;
}

static void uris_free(struct ma_dmarc_uri *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].uri);
		free(u[i].domain);
	}
	free(u);
}

void ma_dmarc_record_fini(struct ma_dmarc_record *r)
{
	if (r == NULL)
		return;
	uris_free(r->rua, r->nrua);
	uris_free(r->ruf, r->nruf);
	free(r->rf);
	ma_dmarc_record_init(r);
}

bool ma_dmarc_is_record(const char *data, size_t len)
{
	struct span s = {data, len};
	s = trim(s);
	if (s.n == 0 || lower(s.p[0]) != 'v')
		return false;
	size_t i = 1;
	while (i < s.n && is_wsp(s.p[i]))
		i++;
	if (i >= s.n || s.p[i] != '=')
		return false;
	i++;
	while (i < s.n && is_wsp(s.p[i]))
		i++;
	/* RFC 9989 4.8: dmarc-version = "v" equals %s"DMARC1" (the value is case-sensitive). */
	if (s.n - i < 6 || memcmp(s.p + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	while (i < s.n && is_wsp(s.p[i]))
		i++;
	return i == s.n || s.p[i] == ';';
}

/* ---- values ---------------------------------------------------------------------------------------------- */

static enum ma_dmarc_policy parse_policy(struct span v)
{
	if (span_ieq(v, "none"))
		return MA_DMARC_P_NONE;
	if (span_ieq(v, "quarantine"))
		return MA_DMARC_P_QUARANTINE;
	if (span_ieq(v, "reject"))
		return MA_DMARC_P_REJECT;
	return MA_DMARC_P_INVALID;
}

/* 1*DIGIT into a uint64 with an upper bound; false on anything else or overflow. */
static bool parse_uint(struct span v, size_t maxdigits, uint64_t max, uint64_t *out)
{
	if (v.n == 0 || v.n > maxdigits)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (!is_digit(v.p[i]))
			return false;
		x = x * 10 + (uint64_t)(v.p[i] - '0');
		if (x > max)
			return false;
	}
	*out = x;
	return true;
}

/* Split a ':'-separated list (RFC 7489 6.4 allows WSP around ':'), calling fn on each trimmed element. */
static bool colon_list(struct span v, bool (*fn)(struct span el, void *ctx), void *ctx)
{
	if (v.n == 0)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= v.n; i++) {
		if (i == v.n || v.p[i] == ':') {
			struct span el = trim((struct span){v.p + start, i - start});
			if (el.n == 0 || !fn(el, ctx))
				return false;
			start = i + 1;
		}
	}
	return true;
}

static bool fo_el(struct span el, void *ctx)
{
	unsigned *bits = ctx, b;
	if (el.n != 1)
		return false;
	switch (lower(el.p[0])) {
	case '0': b = MA_DMARC_FO_0; break;
	case '1': b = MA_DMARC_FO_1; break;
	case 'd': b = MA_DMARC_FO_D; break;
	case 's': b = MA_DMARC_FO_S; break;
	default: return false;
	}
	if (*bits & b) /* RFC 9989 4.8: each may appear at most once */
		return false;
	*bits |= b;
	return true;
}

/* RFC 7489 6.4 dmarc-rfmt: keyword (RFC 5321 Ldh-str: letters, digits, '-', not starting or ending with '-'). */
static bool rf_el(struct span el, void *ctx)
{
	(void)ctx;
	if (el.n > 63 || !(is_alpha(el.p[0]) || is_digit(el.p[0])) || el.p[el.n - 1] == '-')
		return false;
	for (size_t i = 0; i < el.n; i++)
		if (!(is_alpha(el.p[i]) || is_digit(el.p[i]) || el.p[i] == '-'))
			return false;
	return true;
}

static char *rf_canonical(struct span v)
{
	char *out = malloc(v.n + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < v.n; i++)
		if (!is_wsp(v.p[i]))
			out[o++] = lower(v.p[i]);
	out[o] = '\0';
	return out;
}

/* RFC 3986: the characters a URI may contain (unreserved, reserved, and '%' HEXDIG HEXDIG). RFC 9989 4.8 requires
 * ',' and '!' to be percent-encoded inside a DMARC URI. */
static bool uri_char(char c)
{
	if (is_alpha(c) || is_digit(c))
		return true;
	return strchr("-._~:/?#[]@$&'()*+;=%", c) != NULL && c != '\0';
}

static bool hexdig(char c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

static bool uri_valid(struct span u)
{
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1), then a non-empty rest */
	if (u.n < 3 || !is_alpha(u.p[0]))
		return false;
	size_t i = 1;
	while (i < u.n && (is_alpha(u.p[i]) || is_digit(u.p[i]) || u.p[i] == '+' || u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (i >= u.n || u.p[i] != ':' || i + 1 >= u.n)
		return false;
	for (size_t j = i + 1; j < u.n; j++) {
		if (!uri_char(u.p[j]))
			return false;
		if (u.p[j] == '%' && (j + 2 >= u.n || !hexdig(u.p[j + 1]) || !hexdig(u.p[j + 2])))
			return false;
	}
	return true;
}

/* The lower-cased domain of "mailto:local@domain[?hfields]" (RFC 6068); NULL when there is no usable domain. */
static char *mailto_domain(struct span u)
{
	struct span a = {u.p + 7, u.n - 7};
	for (size_t i = 0; i < a.n; i++)
		if (a.p[i] == '?') {
			a.n = i;
			break;
		}
	size_t at = a.n;
	for (size_t i = a.n; i > 0; i--)
		if (a.p[i - 1] == '@') {
			at = i - 1;
			break;
		}
	if (at == a.n || at == 0)
		return NULL;
	struct span d = {a.p + at + 1, a.n - at - 1};
	if (d.n > 0 && d.p[d.n - 1] == '.')
		d.n--;
	if (d.n == 0 || d.n > 253 || !ma_dns_name_is_valid(d.p, d.n))
		return NULL;
	for (size_t i = 0; i < d.n; i++)
		if (!(is_alpha(d.p[i]) || is_digit(d.p[i]) || d.p[i] == '-' || d.p[i] == '.' || d.p[i] == '_'))
			return NULL;
	char *out = malloc(d.n + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < d.n; i++)
		out[i] = lower(d.p[i]);
	out[d.n] = '\0';
	return out;
}

/* One URI with an optional RFC 7489 "!size" suffix (RFC 9989 4.8 obs-dmarc-report-size). 1 = parsed, 0 = invalid,
 * negative = error. */
static int parse_uri(struct span s, struct ma_dmarc_uri *u)
{
	memset(u, 0, sizeof *u);
	struct span base = s;
	for (size_t i = s.n; i > 0; i--) {
		if (s.p[i - 1] != '!')
			continue;
		base.n = i - 1;
		struct span sz = {s.p + i, s.n - i};
		if (sz.n > 0 && strchr("kmgtKMGT", sz.p[sz.n - 1]) != NULL && sz.p[sz.n - 1] != '\0') {
			u->unit = lower(sz.p[sz.n - 1]);
			sz.n--;
		}
		/* ten digits is already over any size a receiver would think of; more would overflow. */
		if (!parse_uint(sz, 18, UINT64_MAX / 16, &u->max_size))
			return 0;
		u->has_size = true;
		break;
	}
	if (!uri_valid(base))
		return 0;
	u->uri = malloc(base.n + 1);
	if (u->uri == NULL)
		return MA_ERR_NOMEM;
	memcpy(u->uri, base.p, base.n);
	u->uri[base.n] = '\0';
	if (base.n >= 7 && span_ieq((struct span){base.p, 7}, "mailto:")) {
		u->mailto = true;
		u->domain = mailto_domain(base); /* NULL: the linter reports it */
	}
	return 1;
}

/* dmarc-urilist: URIs separated by *WSP "," *WSP. */
static int parse_urilist(struct span v, const char *tag, struct ma_dmarc_uri **out, size_t *nout,
			 struct ma_findings *f)
{
	size_t cap = 0, n = 0, start = 0, seen = 0;
	struct ma_dmarc_uri *arr = NULL;
	for (size_t i = 0; i <= v.n; i++) {
		if (i < v.n && v.p[i] != ',')
			continue;
		struct span el = trim((struct span){v.p + start, i - start});
		start = i + 1;
		if (++seen > MA_DMARC_URIS_MAX) {
			int rc = add(f, "dmarc.uri.invalid", tag, el, "too many URIs, the rest were not read");
			if (rc != MA_OK)
				goto fail;
			break;
		}
		struct ma_dmarc_uri u;
		int r = parse_uri(el, &u);
		if (r < 0)
			goto fail;
		if (r == 0) {
			if (add(f, "dmarc.uri.invalid", tag, el, "not a URI (RFC 3986), or a bad '!size' suffix") != MA_OK)
				goto fail;
			continue;
		}
		if (u.has_size && add(f, "dmarc.uri.size-suffix", tag, el, "size limits are obsolete") != MA_OK) {
			free(u.uri);
			free(u.domain);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			struct ma_dmarc_uri *na = realloc(arr, cap * sizeof *na);
			if (na == NULL) {
				free(u.uri);
				free(u.domain);
				goto fail;
			}
			arr = na;
		}
		arr[n++] = u;
	}
	*out = arr;
	*nout = n;
	return MA_OK;
fail:
	uris_free(arr, n);
	return MA_ERR_NOMEM;
}

/* ---- tags ------------------------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} known_tags[] = {
	{"v", MA_DMARC_TAG_V},         {"p", MA_DMARC_TAG_P},     {"sp", MA_DMARC_TAG_SP},
	{"np", MA_DMARC_TAG_NP},       {"adkim", MA_DMARC_TAG_ADKIM}, {"aspf", MA_DMARC_TAG_ASPF},
	{"pct", MA_DMARC_TAG_PCT},     {"rf", MA_DMARC_TAG_RF},   {"ri", MA_DMARC_TAG_RI},
	{"fo", MA_DMARC_TAG_FO},       {"rua", MA_DMARC_TAG_RUA}, {"ruf", MA_DMARC_TAG_RUF},
	{"t", MA_DMARC_TAG_T},         {"psd", MA_DMARC_TAG_PSD},
};

/* "pct, ri": the names of the known tags in `mask` that are present. */
static void tag_list(unsigned tags, unsigned mask, char *out, size_t outsz)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t t = 0; t < sizeof known_tags / sizeof known_tags[0]; t++) {
		if (!(tags & mask & known_tags[t].bit))
			continue;
		int n = snprintf(out + o, outsz - o, "%s%s", o ? ", " : "", known_tags[t].name);
		if (n < 0 || (size_t)n >= outsz - o)
			return;
		o += (size_t)n;
	}
}

static int bad_value(struct ma_dmarc_record *r, unsigned bit, struct ma_findings *f, const char *tag,
		     struct span v, const char *why)
{
	r->invalid |= bit;
	return add(f, "dmarc.tag.invalid", tag, v, why);
}

static int parse_tag(struct ma_dmarc_record *r, unsigned bit, const char *tag, struct span v, struct ma_findings *f)
{
	uint64_t x;
	switch (bit) {
	case MA_DMARC_TAG_P:
	case MA_DMARC_TAG_SP:
	case MA_DMARC_TAG_NP: {
		enum ma_dmarc_policy p = parse_policy(v);
		*(bit == MA_DMARC_TAG_P ? &r->p : bit == MA_DMARC_TAG_SP ? &r->sp : &r->np) = p;
		if (p == MA_DMARC_P_INVALID)
			return bad_value(r, bit, f, tag, v, "must be none, quarantine or reject");
		return MA_OK;
	}
	case MA_DMARC_TAG_ADKIM:
	case MA_DMARC_TAG_ASPF: {
		enum ma_dmarc_mode *m = bit == MA_DMARC_TAG_ADKIM ? &r->adkim : &r->aspf;
		if (span_ieq(v, "r"))
			*m = MA_DMARC_RELAXED;
		else if (span_ieq(v, "s"))
			*m = MA_DMARC_STRICT;
		else
			return bad_value(r, bit, f, tag, v, "must be r or s; relaxed is used");
		return MA_OK;
	}
	case MA_DMARC_TAG_PCT:
		/* RFC 7489 6.4: 1*3DIGIT, 0-100 */
		if (!parse_uint(v, 3, 100, &x))
			return bad_value(r, bit, f, tag, v, "must be a number from 0 to 100; 100 is used");
		r->pct = (int)x;
		return MA_OK;
	case MA_DMARC_TAG_RI:
		if (!parse_uint(v, 10, UINT32_MAX, &x))
			return bad_value(r, bit, f, tag, v, "must be a number of seconds; 86400 is used");
		r->ri = (uint32_t)x;
		return MA_OK;
	case MA_DMARC_TAG_FO: {
		unsigned bits = 0;
		if (!colon_list(v, fo_el, &bits))
			return bad_value(r, bit, f, tag, v, "must be 0, 1, d or s separated by ':'; 0 is used");
		r->fo = bits;
		return MA_OK;
	}
	case MA_DMARC_TAG_RF:
		if (!colon_list(v, rf_el, NULL))
			return bad_value(r, bit, f, tag, v, "must be report format names separated by ':'");
		r->rf = rf_canonical(v);
		return r->rf ? MA_OK : MA_ERR_NOMEM;
	case MA_DMARC_TAG_T:
		if (span_ieq(v, "y"))
			r->t = true;
		else if (span_ieq(v, "n"))
			r->t = false;
		else
			return bad_value(r, bit, f, tag, v, "must be y or n; n is used");
		return MA_OK;
	case MA_DMARC_TAG_PSD:
		if (span_ieq(v, "y"))
			r->psd = MA_DMARC_PSD_Y;
		else if (span_ieq(v, "n"))
			r->psd = MA_DMARC_PSD_N;
		else if (span_ieq(v, "u"))
			r->psd = MA_DMARC_PSD_U;
		else
			return bad_value(r, bit, f, tag, v, "must be y, n or u; u is used");
		return MA_OK;
	case MA_DMARC_TAG_RUA:
	case MA_DMARC_TAG_RUF: {
		struct ma_dmarc_uri **arr = bit == MA_DMARC_TAG_RUA ? &r->rua : &r->ruf;
		size_t *n = bit == MA_DMARC_TAG_RUA ? &r->nrua : &r->nruf;
		if (v.n == 0)
			return bad_value(r, bit, f, tag, v, "empty URI list");
		int rc = parse_urilist(v, tag, arr, n, f);
		if (rc == MA_OK && *n == 0)
			r->invalid |= bit; /* each bad URI was reported already */
		return rc;
	}
	default:
		return MA_OK;
	}
}

static void effective(struct ma_dmarc_record *r)
{
	bool p_ok = r->p >= MA_DMARC_P_NONE && r->p <= MA_DMARC_P_REJECT;
	if (!p_ok || r->sp == MA_DMARC_P_INVALID || r->np == MA_DMARC_P_INVALID) {
		/* RFC 9989 4.10.1, RFC 7489 6.6.3: act as p=none when rua has a valid URI, else no DMARC at all. */
		r->applies = r->nrua > 0;
		r->eff_p = r->eff_sp = r->eff_np = MA_DMARC_P_NONE;
		return;
	}
	r->applies = true;
	r->eff_p = r->p;
	r->eff_sp = r->sp != MA_DMARC_P_UNSET ? r->sp : r->p;
	r->eff_np = r->np != MA_DMARC_P_UNSET ? r->np : r->eff_sp; /* RFC 9989 4.7 'np' */
}

int ma_dmarc_parse(const char *data, size_t len, struct ma_dmarc_record *r, struct ma_findings *f)
{
	ma_dmarc_record_init(r);
	int rc = MA_OK;
	if (data == NULL || len == 0)
		return f ? ma_findings_add(f, "dmarc.record.empty", NULL) : MA_OK;
	if (len > MA_DMARC_RECORD_MAX)
		return f ? ma_findings_add(f, "dmarc.record.too-long", "%zu bytes (at most %d are read)", len,
					   MA_DMARC_RECORD_MAX)
			 : MA_OK;
	struct span all = trim((struct span){data, len});
	if (all.n == 0)
		return f ? ma_findings_add(f, "dmarc.record.empty", NULL) : MA_OK;

	size_t start = 0, index = 0;
	for (size_t i = 0; i <= all.n && rc == MA_OK; i++) {
		if (i < all.n && all.p[i] != ';')
			continue;
		struct span seg = trim((struct span){all.p + start, i - start});
		start = i + 1;
		if (seg.n == 0) {
			/* A trailing ';' is allowed (RFC 9989 4.8 [dmarc-sep]); an empty tag elsewhere is not. */
			if (i < all.n && index > 0)
				rc = add(f, "dmarc.record.syntax", NULL, (struct span){";;", 2}, "empty tag");
			else if (index == 0)
				break; /* ";..." - no v first; handled below */
			continue;
		}
		if (index >= MA_DMARC_TAGS_MAX) {
			rc = f ? ma_findings_add(f, "dmarc.record.too-many-tags", "more than %d", MA_DMARC_TAGS_MAX)
			       : MA_OK;
			break;
		}
		/* dmarc-tag = 1*ALPHA equals 1*dmarc-value */
		size_t k = 0;
		while (k < seg.n && is_alpha(seg.p[k]))
			k++;
		struct span name = {seg.p, k};
		size_t e = k;
		while (e < seg.n && is_wsp(seg.p[e]))
			e++;
		bool has_eq = e < seg.n && seg.p[e] == '=';
		struct span val = has_eq ? trim((struct span){seg.p + e + 1, seg.n - e - 1}) : (struct span){NULL, 0};

		if (index == 0) {
			/* RFC 9989 4.7 'v': MUST be the first tag; otherwise the entire record is ignored. */
			if (!has_eq || !span_ieq(name, "v")) {
				rc = add(f, "dmarc.record.not-dmarc", NULL, seg, "the first tag must be v=DMARC1");
				return rc;
			}
			if (val.n < 5 || !span_ieq((struct span){val.p, 5}, "dmarc"))
				return add(f, "dmarc.record.not-dmarc", NULL, seg, "the first tag must be v=DMARC1");
			if (val.n != 6 || memcmp(val.p, "DMARC1", 6) != 0) {
				const char *why = "must be exactly DMARC1";
				if (val.n > 6 && memcmp(val.p, "DMARC1", 6) == 0)
					why = "a ';' is missing after DMARC1";
				return add(f, "dmarc.record.version-invalid", "v", val, why);
			}
			r->valid = true;
			r->tags |= MA_DMARC_TAG_V;
			index++;
			continue;
		}
		index++;
		if (!has_eq || name.n == 0) {
			rc = add(f, "dmarc.record.syntax", NULL, seg, "not a tag=value pair");
			continue;
		}
		unsigned bit = 0;
		const char *tname = NULL;
		for (size_t t = 0; t < sizeof known_tags / sizeof known_tags[0]; t++)
			if (span_ieq(name, known_tags[t].name)) {
				bit = known_tags[t].bit;
				tname = known_tags[t].name;
			}
		if (bit == 0) {
			r->unknown_tags++;
			char nb[40];
			show(name, nb, sizeof nb);
			rc = f ? ma_findings_add(f, "dmarc.tag.unknown", "%s", nb) : MA_OK;
			continue;
		}
		if (r->tags & bit) {
			/* The first occurrence is kept (it is what most receivers that tolerate repeats do). */
			rc = add(f, "dmarc.tag.duplicate", tname, val, "repeated; the first one is used");
			continue;
		}
		r->tags |= bit;
		if (bit == MA_DMARC_TAG_P && index != 2) {
			r->p_not_second = true;
			rc = f ? ma_findings_add(f, "dmarc.tag.p-not-second", "p is tag %zu", index) : MA_OK;
			if (rc != MA_OK)
				break;
		}
		rc = parse_tag(r, bit, tname, val, f);
	}
	if (rc != MA_OK)
		return rc;
	if (!r->valid)
		return add(f, "dmarc.record.not-dmarc", NULL, all, "the first tag must be v=DMARC1");

	bool old = (r->tags & MA_DMARC_TAGS_RFC7489_ONLY) != 0, neu = (r->tags & MA_DMARC_TAGS_RFC9989_ONLY) != 0;
	r->generation = old && neu ? MA_DMARC_GEN_MIXED
			: old	   ? MA_DMARC_GEN_RFC7489
			: neu	   ? MA_DMARC_GEN_RFC9989
				   : MA_DMARC_GEN_COMMON;
	if (f != NULL && old) {
		char list[16];
		tag_list(r->tags, MA_DMARC_TAGS_RFC7489_ONLY, list, sizeof list);
		if ((rc = ma_findings_add(f, "dmarc.tag.rfc7489-only", "%s", list)) != MA_OK)
			return rc;
	}
	if (f != NULL && neu) {
		char list[16];
		tag_list(r->tags, MA_DMARC_TAGS_RFC9989_ONLY, list, sizeof list);
		if ((rc = ma_findings_add(f, "dmarc.tag.rfc9989-only", "%s", list)) != MA_OK)
			return rc;
	}
	effective(r);
	return MA_OK;
}

/* ---- names and JSON --------------------------------------------------------------------------------------- */

const char *ma_dmarc_policy_name(enum ma_dmarc_policy p)
{
	switch (p) {
	case MA_DMARC_P_NONE: return "none";
	case MA_DMARC_P_QUARANTINE: return "quarantine";
	case MA_DMARC_P_REJECT: return "reject";
	case MA_DMARC_P_INVALID: return "invalid";
	default: return "unset";
	}
}

const char *ma_dmarc_generation_name(enum ma_dmarc_generation g)
{
	switch (g) {
	case MA_DMARC_GEN_RFC7489: return "rfc7489";
	case MA_DMARC_GEN_RFC9989: return "rfc9989";
	case MA_DMARC_GEN_MIXED: return "mixed";
	default: return "common";
	}
}

static json_t *uris_json(const struct ma_dmarc_uri *u, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		json_t *o = json_object();
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
		json_object_set_new(o, "uri", json_string(u[i].uri));
		if (u[i].has_size) {
			json_object_set_new(o, "max_size", json_integer((json_int_t)u[i].max_size));
			if (u[i].unit) {
				char unit[2] = {u[i].unit, 0};
				json_object_set_new(o, "unit", json_string(unit));
			}
		}
		if (u[i].domain)
			json_object_set_new(o, "domain", json_string(u[i].domain));
	}
	return a;
}

static const char *mode_name(enum ma_dmarc_mode m)
{
	return m == MA_DMARC_STRICT ? "s" : "r";
}

json_t *ma_dmarc_record_to_json(const struct ma_dmarc_record *r)
{
	json_t *o = json_object();
	if (o == NULL || !r->valid)
		return o;
	int bad = 0;
	bad |= json_object_set_new(o, "v", json_string("DMARC1"));
	if (r->tags & MA_DMARC_TAG_P)
		bad |= json_object_set_new(o, "p", json_string(ma_dmarc_policy_name(r->p)));
	if (r->tags & MA_DMARC_TAG_SP)
		bad |= json_object_set_new(o, "sp", json_string(ma_dmarc_policy_name(r->sp)));
	if (r->tags & MA_DMARC_TAG_NP)
		bad |= json_object_set_new(o, "np", json_string(ma_dmarc_policy_name(r->np)));
	if (r->tags & MA_DMARC_TAG_ADKIM)
		bad |= json_object_set_new(o, "adkim", json_string(mode_name(r->adkim)));
	if (r->tags & MA_DMARC_TAG_ASPF)
		bad |= json_object_set_new(o, "aspf", json_string(mode_name(r->aspf)));
	if (r->tags & MA_DMARC_TAG_PCT)
		bad |= json_object_set_new(o, "pct", json_integer(r->pct));
	if (r->tags & MA_DMARC_TAG_RI)
		bad |= json_object_set_new(o, "ri", json_integer(r->ri));
	if ((r->tags & MA_DMARC_TAG_RF) && r->rf)
		bad |= json_object_set_new(o, "rf", json_string(r->rf));
	if (r->tags & MA_DMARC_TAG_FO) {
		char fo[8];
		size_t n = 0;
		const char *names = "01ds";
		for (int b = 0; b < 4; b++)
			if (r->fo & (1u << b)) {
				if (n)
					fo[n++] = ':';
				fo[n++] = names[b];
			}
		fo[n] = '\0';
		bad |= json_object_set_new(o, "fo", json_string(fo));
	}
	if (r->tags & MA_DMARC_TAG_T)
		bad |= json_object_set_new(o, "t", json_string(r->t ? "y" : "n"));
	if (r->tags & MA_DMARC_TAG_PSD)
		bad |= json_object_set_new(o, "psd",
					   json_string(r->psd == MA_DMARC_PSD_Y ? "y" : r->psd == MA_DMARC_PSD_N ? "n" : "u"));
	if (r->tags & MA_DMARC_TAG_RUA)
		bad |= json_object_set_new(o, "rua", uris_json(r->rua, r->nrua));
	if (r->tags & MA_DMARC_TAG_RUF)
		bad |= json_object_set_new(o, "ruf", uris_json(r->ruf, r->nruf));
	bad |= json_object_set_new(o, "generation", json_string(ma_dmarc_generation_name(r->generation)));
	json_t *eff = json_object();
	bad |= json_object_set_new(o, "effective", eff);
	if (eff != NULL) {
		bad |= json_object_set_new(eff, "applies", json_boolean(r->applies));
		if (r->applies) {
			bad |= json_object_set_new(eff, "p", json_string(ma_dmarc_policy_name(r->eff_p)));
			bad |= json_object_set_new(eff, "sp", json_string(ma_dmarc_policy_name(r->eff_sp)));
			bad |= json_object_set_new(eff, "np", json_string(ma_dmarc_policy_name(r->eff_np)));
			bad |= json_object_set_new(eff, "adkim", json_string(mode_name(r->adkim)));
			bad |= json_object_set_new(eff, "aspf", json_string(mode_name(r->aspf)));
		}
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
