/* src/lib/report_failure.c — DMARC failure (ruf) reports: the fields of an ARF message/feedback-report part
 * (RFC 5965 3, RFC 6591 3, RFC 9991), the original message's header block, and for plain-text reports without an
 * ARF part (Exim, Baruwa) the "Key: value" lines of the text and the header copy after it.
 *
 * Privacy (RFC 7489 9.5, RFC 9991 7): bodies are never handed in; with a key, every local part of an address in
 * what is kept is replaced by HMAC-SHA256(key, lower-cased local part) in hex, so equal addresses still match. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/err.h"
#include "lib/report_failure.h"

static void note(struct ma_failure_report *r, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct ma_failure_report *r, const char *id, const char *fmt, ...)
{
	if (ma_findings_has(&r->findings, id))
		return;
	char detail[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	for (char *c = detail; *c; c++) /* hostile bytes never reach a terminal through a detail */
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	ma_findings_add(&r->findings, id, "%s", detail);
}

/* ---- header-style fields: "Name: value" lines, folded (RFC 5322 2.2.3), LF or CRLF, TAB+CRLF (Yahoo) ---- */

struct field {
	const char *name;
	size_t nlen;
	char value[MA_FAILURE_FIELD_MAX + 1];
	size_t vlen;
	bool truncated;
};

/* The next field of the block at *pos; false at the end of the block (a blank line or the end of the buffer). */
static bool next_field(const char *b, size_t len, size_t *pos, struct field *f)
{
	for (;;) {
		size_t i = *pos;
		if (i >= len)
			return false;
		size_t eol = i;
		while (eol < len && b[eol] != '\n')
			eol++;
		size_t end = eol;
		while (end > i && (b[end - 1] == '\r' || b[end - 1] == ' ' || b[end - 1] == '\t'))
			end--;
		*pos = eol < len ? eol + 1 : len;
		if (end == i)
			return false; /* blank line: the end of the header block */
		if (b[i] == ' ' || b[i] == '\t')
			continue; /* a continuation with no field before it */
		const char *colon = memchr(b + i, ':', end - i);
		if (colon == NULL)
			continue; /* not a field (free text in a non-ARF report) */
		f->name = b + i;
		f->nlen = (size_t)(colon - (b + i));
		while (f->nlen > 0 && (f->name[f->nlen - 1] == ' ' || f->name[f->nlen - 1] == '\t'))
			f->nlen--;
		f->vlen = 0;
		f->truncated = false;
		const char *v = colon + 1;
		size_t vn = (size_t)((b + end) - v);
		for (;;) {
			while (vn > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			if (f->vlen > 0 && vn > 0 && f->vlen < MA_FAILURE_FIELD_MAX)
				f->value[f->vlen++] = ' ';
			size_t room = MA_FAILURE_FIELD_MAX - f->vlen;
			if (vn > room) {
				f->truncated = true;
				vn = room;
			}
			memcpy(f->value + f->vlen, v, vn);
			f->vlen += vn;
			/* unfold: continuation lines start with white space */
			size_t j = *pos;
			if (j >= len || (b[j] != ' ' && b[j] != '\t'))
				break;
			size_t e2 = j;
			while (e2 < len && b[e2] != '\n')
				e2++;
			size_t t2 = e2;
			while (t2 > j && (b[t2 - 1] == '\r' || b[t2 - 1] == ' ' || b[t2 - 1] == '\t'))
				t2--;
			*pos = e2 < len ? e2 + 1 : len;
			if (t2 == j)
				break; /* white space only: treat as the blank line */
			v = b + j;
			vn = t2 - j;
		}
		f->value[f->vlen] = '\0';
		return true;
	}
}

static bool named(const struct field *f, const char *name)
{
	return strlen(name) == f->nlen && strncasecmp(f->name, name, f->nlen) == 0;
}

/* ---- values ---- */

static int set(char **dst, const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (d == NULL)
		return MA_ERR_NOMEM;
	free(*dst);
	*dst = d;
	return MA_OK;
}

/* A field value: a trailing ';' (QUIRKS.md) dropped with a finding; the first occurrence stands. */
static int take(struct ma_failure_report *r, char **dst, struct field *f)
{
	if ((*dst)[0] != '\0')
		return MA_OK;
	size_t n = f->vlen;
	if (n > 0 && f->value[n - 1] == ';') {
		note(r, "report.failure.syntax", "trailing ';' on %.*s", (int)(f->nlen > 40 ? 40 : f->nlen), f->name);
		while (n > 0 && (f->value[n - 1] == ';' || f->value[n - 1] == ' '))
			n--;
	}
	if (f->truncated)
		note(r, "report.failure.field-truncated", "%.*s", (int)(f->nlen > 40 ? 40 : f->nlen), f->name);
	return set(dst, f->value, n);
}

/* Original-Mail-From and friends: "<a@b>" -> "a@b". */
static void strip_angles(char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Source-IP: "1.2.3.4 (name)", "[1.2.3.4]", "IPv6:..." -> canonical; "" when not an address. */
static void canon_ip(struct ma_failure_report *r)
{
	char buf[64];
	size_t n = 0;
	const char *s = r->source_ip;
	while (*s == ' ' || *s == '[')
		s++;
	if (strncasecmp(s, "ipv6:", 5) == 0)
		s += 5;
	while (*s && *s != ' ' && *s != '(' && *s != ']' && *s != ';' && n + 1 < sizeof buf)
		buf[n++] = *s++;
	buf[n] = '\0';
	unsigned char bin[16];
	char out[INET6_ADDRSTRLEN];
	if (r->source_ip[0] == '\0')
		return;
	if (inet_pton(AF_INET, buf, bin) == 1)
		inet_ntop(AF_INET, bin, out, sizeof out);
	else if (inet_pton(AF_INET6, buf, bin) == 1)
		inet_ntop(AF_INET6, bin, out, sizeof out);
	else {
		note(r, "report.failure.source-ip-invalid", "'%.40s'", r->source_ip);
		out[0] = '\0';
	}
	if (strcmp(out, r->source_ip) != 0 && out[0] != '\0' && strchr(r->source_ip, '(') != NULL)
		note(r, "report.failure.syntax", "comment in Source-IP");
	set(&r->source_ip, out, strlen(out));
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static const char *skip_cfws(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s != '(')
			return s;
		int depth = 0;
		do {
			if (*s == '(')
				depth++;
			else if (*s == ')')
				depth--;
			s++;
		} while (*s && depth > 0);
	}
}

static bool num(const char **s, int min, int max, int *out)
{
	const char *p = *s;
	int v = 0, n = 0;
	while (*p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min || n > max)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* RFC 5322 3.3 date-time, with the obsolete zones of 4.3 and 2-digit years; -1 when unreadable. */
static int64_t parse_date(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	s = skip_cfws(s);
	if (isalpha((unsigned char)s[0])) { /* day-of-week */
		while (isalpha((unsigned char)*s))
			s++;
		s = skip_cfws(s);
	}
	int d, y, h, mi, se = 0;
	if (!num(&s, 1, 2, &d))
		return -1;
	s = skip_cfws(s);
	char mon[4] = {0};
	for (int i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)s[i]))
			return -1;
		mon[i] = (char)tolower((unsigned char)s[i]);
	}
	const char *mp = strstr(months, mon);
	if (mp == NULL || (mp - months) % 3 != 0)
		return -1;
	int mo = (int)(mp - months) / 3 + 1;
	s += 3;
	while (isalpha((unsigned char)*s))
		s++;
	s = skip_cfws(s);
	const char *ys = s;
	if (!num(&s, 2, 4, &y))
		return -1;
	if (s - ys == 2)
		y += y < 50 ? 2000 : 1900; /* RFC 5322 4.3 */
	s = skip_cfws(s);
	if (!num(&s, 1, 2, &h) || *s++ != ':' || !num(&s, 2, 2, &mi))
		return -1;
	if (*s == ':') {
		s++;
		if (!num(&s, 2, 2, &se))
			return -1;
	}
	if (d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	s = skip_cfws(s);
	int off = 0;
	if (*s == '+' || *s == '-') {
		int z;
		const char *zs = s + 1;
		if (!num(&zs, 4, 4, &z))
			return -1;
		off = ((z / 100) * 60 + z % 100) * 60 * (*s == '+' ? 1 : -1);
	} else {
		static const struct {
			const char *n;
			int h;
		} zones[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"EST", -5}, {"EDT", -4},
		             {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
		char z[8] = {0};
		for (int i = 0; i < 7 && isalpha((unsigned char)s[i]); i++)
			z[i] = (char)toupper((unsigned char)s[i]);
		for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
			if (strcmp(z, zones[i].n) == 0)
				off = zones[i].h * 3600;
		/* an unknown zone is -0000 (RFC 5322 4.3): the time is taken as UTC */
	}
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) - off;
}

/* The domain of the first address in a From:-like value ("Name <a@b.example>" -> "b.example"), or "". */
static void addr_domain(const char *v, char *out, size_t size)
{
	out[0] = '\0';
	const char *lt = strchr(v, '<');
	const char *at = strchr(lt ? lt : v, '@');
	if (at == NULL)
		return;
	at++;
	size_t n = 0;
	while (at[n] && at[n] != '>' && at[n] != ' ' && at[n] != ';' && at[n] != ',' && at[n] != ')' && n + 1 < size) {
		out[n] = (char)tolower((unsigned char)at[n]);
		n++;
	}
	out[n] = '\0';
	while (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

/* ---- privacy: keyed hashes of local parts ---- */

static bool atext(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* Every "local@domain" in *s gets its local part replaced by the hex HMAC-SHA256 of its lower-cased form. */
static int hash_locals(char **s, const uint8_t *key, size_t keylen, bool *did)
{
	const char *in = *s;
	size_t n = strlen(in);
	/* each local part grows to at most 64 hex digits: count the '@'s for the bound */
	size_t ats = 0;
	for (size_t i = 0; i < n; i++)
		ats += in[i] == '@';
	if (ats == 0)
		return MA_OK;
	char *out = malloc(n + ats * 64 + 1);
	if (out == NULL)
		return MA_ERR_NOMEM;
	size_t o = 0, i = 0, copied = 0;
	for (i = 0; i < n; i++) {
		if (in[i] != '@' || i + 1 >= n || !(isalnum((unsigned char)in[i + 1]) || in[i + 1] == '['))
			continue;
		size_t start = i;
		while (start > copied && atext((unsigned char)in[start - 1]))
			start--;
		if (start == i || i - start > 256)
			continue;
		memcpy(out + o, in + copied, start - copied);
		o += start - copied;
		char local[257];
		size_t ln = i - start;
		for (size_t k = 0; k < ln; k++)
			local[k] = (char)tolower((unsigned char)in[start + k]);
		unsigned char mac[32];
		size_t maclen = 0;
		if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, (const unsigned char *)local, ln, mac,
		              sizeof mac, &maclen) == NULL) {
			free(out);
			return MA_ERR_NOMEM;
		}
		for (size_t k = 0; k < maclen; k++) {
			static const char hex[] = "0123456789abcdef";
			out[o++] = hex[mac[k] >> 4];
			out[o++] = hex[mac[k] & 15];
		}
		copied = i;
		*did = true;
	}
	memcpy(out + o, in + copied, n - copied);
	o += n - copied;
	out[o] = '\0';
	free(*s);
	*s = out;
	return MA_OK;
}

/* ---- the report ---- */

/* Every string of the report, for init, fini and the UTF-8 repair. */
static const size_t string_fields[] = {
    offsetof(struct ma_failure_report, feedback_type),
    offsetof(struct ma_failure_report, user_agent),
    offsetof(struct ma_failure_report, version),
    offsetof(struct ma_failure_report, reported_domain),
    offsetof(struct ma_failure_report, source_ip),
    offsetof(struct ma_failure_report, original_mail_from),
    offsetof(struct ma_failure_report, original_rcpt_to),
    offsetof(struct ma_failure_report, auth_failure),
    offsetof(struct ma_failure_report, authentication_results),
    offsetof(struct ma_failure_report, dkim_domain),
    offsetof(struct ma_failure_report, dkim_selector),
    offsetof(struct ma_failure_report, dkim_identity),
    offsetof(struct ma_failure_report, spf_dns),
    offsetof(struct ma_failure_report, delivery_result),
    offsetof(struct ma_failure_report, identity_alignment),
    offsetof(struct ma_failure_report, header_from),
    offsetof(struct ma_failure_report, subject),
    offsetof(struct ma_failure_report, message_id),
    offsetof(struct ma_failure_report, original_headers),
};
#define NSTRING_FIELDS (sizeof string_fields / sizeof string_fields[0])

static char **field_at(struct ma_failure_report *r, size_t i)
{
	return (char **)(void *)((char *)r + string_fields[i]);
}

/* Header bytes are whatever the sender wrote (8-bit, Latin-1): stored strings are made valid UTF-8, each invalid
 * byte becoming U+FFFD, so that JSON and the store take them as they are. */
static int utf8_fix(char **s)
{
	const unsigned char *in = (const unsigned char *)*s;
	size_t n = strlen(*s), bad = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = in[i];
		size_t k = c < 0x80                   ? 1
		           : (c >= 0xC2 && c <= 0xDF) ? 2
		           : (c >= 0xE0 && c <= 0xEF) ? 3
		           : (c >= 0xF0 && c <= 0xF4) ? 4
		                                      : 0;
		bool ok = k > 0 && i + k <= n;
		for (size_t j = 1; ok && j < k; j++)
			ok = (in[i + j] & 0xC0) == 0x80;
		if (ok && k == 3)
			ok = !(c == 0xE0 && in[i + 1] < 0xA0) && !(c == 0xED && in[i + 1] > 0x9F);
		if (ok && k == 4)
			ok = !(c == 0xF0 && in[i + 1] < 0x90) && !(c == 0xF4 && in[i + 1] > 0x8F);
		if (ok) {
			i += k;
		} else {
			bad++;
			i++;
		}
	}
	if (bad == 0)
		return MA_OK;
	char *out = malloc(n + bad * 2 + 1);
	if (out == NULL)
		return MA_ERR_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = in[i];
		size_t k = c < 0x80                   ? 1
		           : (c >= 0xC2 && c <= 0xDF) ? 2
		           : (c >= 0xE0 && c <= 0xEF) ? 3
		           : (c >= 0xF0 && c <= 0xF4) ? 4
		                                      : 0;
		bool ok = k > 0 && i + k <= n;
		for (size_t j = 1; ok && j < k; j++)
			ok = (in[i + j] & 0xC0) == 0x80;
		if (ok && k == 3)
			ok = !(c == 0xE0 && in[i + 1] < 0xA0) && !(c == 0xED && in[i + 1] > 0x9F);
		if (ok && k == 4)
			ok = !(c == 0xF0 && in[i + 1] < 0x90) && !(c == 0xF4 && in[i + 1] > 0x8F);
		if (ok) {
			memcpy(out + o, in + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	free(*s);
	*s = out;
	return MA_OK;
}

void ma_failure_report_fini(struct ma_failure_report *r)
{
	for (size_t i = 0; i < NSTRING_FIELDS; i++) {
		free(*field_at(r, i));
		*field_at(r, i) = NULL;
	}
	ma_findings_fini(&r->findings);
}

static int report_init(struct ma_failure_report *r)
{
	memset(r, 0, sizeof *r);
	r->arrival = -1;
	ma_findings_init(&r->findings);
	for (size_t i = 0; i < NSTRING_FIELDS; i++)
		if ((*field_at(r, i) = strdup("")) == NULL)
			return MA_ERR_NOMEM;
	return MA_OK;
}

static int feedback_fields(struct ma_failure_report *r, const char *b, size_t len)
{
	struct field *f = malloc(sizeof *f);
	if (f == NULL)
		return MA_ERR_NOMEM;
	size_t pos = 0;
	int rc = MA_OK, nfields = 0;
	char *arrival = strdup("");
	if (arrival == NULL) {
		free(f);
		return MA_ERR_NOMEM;
	}
	/* a part body may start with blank lines */
	while (pos < len && (b[pos] == '\r' || b[pos] == '\n'))
		pos++;
	while (rc == MA_OK && next_field(b, len, &pos, f)) {
		nfields++;
		if (named(f, "Feedback-Type"))
			rc = take(r, &r->feedback_type, f);
		else if (named(f, "User-Agent"))
			rc = take(r, &r->user_agent, f);
		else if (named(f, "Version"))
			rc = take(r, &r->version, f);
		else if (named(f, "Original-Mail-From"))
			rc = take(r, &r->original_mail_from, f);
		else if (named(f, "Original-Rcpt-To"))
			rc = take(r, &r->original_rcpt_to, f);
		else if (named(f, "Arrival-Date") || named(f, "Received-Date"))
			rc = take(r, &arrival, f);
		else if (named(f, "Source-IP"))
			rc = take(r, &r->source_ip, f);
		else if (named(f, "Reported-Domain"))
			rc = take(r, &r->reported_domain, f);
		else if (named(f, "Authentication-Results"))
			rc = take(r, &r->authentication_results, f);
		else if (named(f, "Auth-Failure"))
			rc = take(r, &r->auth_failure, f);
		else if (named(f, "DKIM-Domain"))
			rc = take(r, &r->dkim_domain, f);
		else if (named(f, "DKIM-Selector"))
			rc = take(r, &r->dkim_selector, f);
		else if (named(f, "DKIM-Identity"))
			rc = take(r, &r->dkim_identity, f);
		else if (named(f, "SPF-DNS"))
			rc = take(r, &r->spf_dns, f);
		else if (named(f, "Delivery-Result"))
			rc = take(r, &r->delivery_result, f);
		else if (named(f, "Identity-Alignment"))
			rc = take(r, &r->identity_alignment, f);
	}
	free(f);
	if (rc == MA_OK && arrival[0] != '\0') {
		r->arrival = parse_date(arrival);
		if (r->arrival < 0)
			note(r, "report.failure.arrival-invalid", "'%.40s'", arrival);
	}
	free(arrival);
	if (rc == MA_OK && nfields > 0)
		r->arf = true;
	return rc;
}

static int header_fields(struct ma_failure_report *r, const char *b, size_t len)
{
	if (len > MA_FAILURE_HEADERS_MAX) {
		/* keep whole lines */
		size_t n = MA_FAILURE_HEADERS_MAX;
		while (n > 0 && b[n - 1] != '\n')
			n--;
		len = n;
		note(r, "report.failure.headers-truncated", "%d bytes kept", (int)len);
	}
	/* the kept block ends at its blank line: a body must never be stored by accident */
	size_t end = 0;
	{
		size_t pos = 0;
		struct field *f = malloc(sizeof *f);
		if (f == NULL)
			return MA_ERR_NOMEM;
		int rc = MA_OK;
		while (pos < len && (b[pos] == '\r' || b[pos] == '\n'))
			pos++;
		size_t begin = pos;
		while (rc == MA_OK && next_field(b, len, &pos, f)) {
			if (named(f, "From"))
				rc = take(r, &r->header_from, f);
			else if (named(f, "Subject"))
				rc = take(r, &r->subject, f);
			else if (named(f, "Message-ID"))
				rc = take(r, &r->message_id, f);
			end = pos;
		}
		free(f);
		if (rc != MA_OK)
			return rc;
		return set(&r->original_headers, b + begin, end > begin ? end - begin : 0);
	}
}

/* "Key: value" lines of a plain-text report (Exim/Baruwa style), and the header copy after the marker line. */
static int text_fields(struct ma_failure_report *r, const char *b, size_t len, bool have_headers)
{
	size_t pos = 0;
	int rc = MA_OK;
	struct field *f = malloc(sizeof *f);
	if (f == NULL)
		return MA_ERR_NOMEM;
	char *arrival = strdup("");
	if (arrival == NULL) {
		free(f);
		return MA_ERR_NOMEM;
	}
	while (rc == MA_OK && pos < len) {
		size_t eol = pos;
		while (eol < len && b[eol] != '\n')
			eol++;
		size_t ls = pos;
		while (ls < eol && (b[ls] == ' ' || b[ls] == '\t'))
			ls++;
		size_t next = eol < len ? eol + 1 : len;
		if (!have_headers && memmem(b + pos, eol - pos, "copy of the headers", 19) != NULL) {
			size_t h = next;
			while (h < len && (b[h] == '\r' || b[h] == '\n'))
				h++;
			rc = header_fields(r, b + h, len - h);
			have_headers = true;
			break;
		}
		/* one line as a field (no unfolding: the text is prose) */
		size_t p2 = 0, le = eol;
		while (le > ls && (b[le - 1] == '\r' || b[le - 1] == ' '))
			le--;
		if (le > ls && next_field(b + ls, le - ls, &p2, f)) {
			if (named(f, "Sender Domain") || named(f, "Reported Domain"))
				rc = take(r, &r->reported_domain, f);
			else if (named(f, "Sender IP Address") || named(f, "Source IP"))
				rc = take(r, &r->source_ip, f);
			else if (named(f, "Received date") || named(f, "Arrival Date"))
				rc = take(r, &arrival, f);
			else if (named(f, "DMARC Results"))
				rc = take(r, &r->delivery_result, f);
		}
		pos = next;
	}
	free(f);
	if (rc == MA_OK && arrival[0] != '\0') {
		r->arrival = parse_date(arrival);
		if (r->arrival < 0)
			note(r, "report.failure.arrival-invalid", "'%.40s'", arrival);
	}
	free(arrival);
	return rc;
}

/* "DMARC Forensic Report for example.com from IP 203.0.113.68" and similar subjects: the last resort. */
static int subject_fields(struct ma_failure_report *r, const char *s)
{
	char dom[256];
	const char *p = strcasestr(s, " for ");
	if (p != NULL && r->reported_domain[0] == '\0') {
		p += 5;
		size_t n = 0;
		while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '-') && n + 1 < sizeof dom) {
			dom[n] = p[n];
			n++;
		}
		dom[n] = '\0';
		if (n > 0 && strchr(dom, '.') != NULL && set(&r->reported_domain, dom, n) != MA_OK)
			return MA_ERR_NOMEM;
	}
	p = strcasestr(s, " ip ");
	if (p != NULL && r->source_ip[0] == '\0') {
		p += 4;
		size_t n = 0;
		while (p[n] && (isxdigit((unsigned char)p[n]) || p[n] == '.' || p[n] == ':') && n + 1 < sizeof dom) {
			dom[n] = p[n];
			n++;
		}
		if (n > 0 && set(&r->source_ip, p, n) != MA_OK)
			return MA_ERR_NOMEM;
	}
	return MA_OK;
}

int ma_failure_parse(const struct ma_failure_input *in, struct ma_failure_report *out, const char **why)
{
	const char *sink;
	if (why == NULL)
		why = &sink;
	*why = "";
	if (report_init(out) != MA_OK) {
		*why = "out of memory";
		return MA_ERR_NOMEM;
	}
	int rc = MA_OK;
	if (in->feedback != NULL && in->feedback_len > 0)
		rc = feedback_fields(out, in->feedback, in->feedback_len);
	if (rc == MA_OK && in->headers != NULL && in->headers_len > 0)
		rc = header_fields(out, in->headers, in->headers_len);
	if (rc == MA_OK && !out->arf && in->text != NULL && in->text_len > 0)
		rc = text_fields(out, in->text, in->text_len, in->headers != NULL && in->headers_len > 0);
	if (rc == MA_OK && !out->arf && in->subject != NULL)
		rc = subject_fields(out, in->subject);
	if (rc != MA_OK)
		goto nomem;

	for (size_t i = 0; i < NSTRING_FIELDS; i++)
		if (utf8_fix(field_at(out, i)) != MA_OK)
			goto nomem;
	strip_angles(out->original_mail_from);
	strip_angles(out->original_rcpt_to);
	canon_ip(out);
	lower(out->reported_domain);
	{
		size_t n = strlen(out->reported_domain);
		while (n > 0 && out->reported_domain[n - 1] == '.')
			out->reported_domain[--n] = '\0';
	}
	if (out->reported_domain[0] == '\0') {
		char dom[256];
		addr_domain(out->header_from, dom, sizeof dom);
		if (dom[0] != '\0') {
			if (set(&out->reported_domain, dom, strlen(dom)) != MA_OK)
				goto nomem;
			note(out, "report.failure.domain-from-headers", "%.60s", dom);
		}
	}
	if (out->arf) {
		/* RFC 5965 3.1 and RFC 6591 3.1: what an auth-failure report must carry */
		char missing[200] = "";
		const struct {
			const char *name;
			bool absent;
		} req[] = {
		    {"Feedback-Type", out->feedback_type[0] == '\0'},
		    {"User-Agent", out->user_agent[0] == '\0'},
		    {"Version", out->version[0] == '\0'},
		    {"Auth-Failure", out->auth_failure[0] == '\0'},
		    {"Authentication-Results", out->authentication_results[0] == '\0'},
		    {"Arrival-Date",
		     out->arrival < 0 && !ma_findings_has(&out->findings, "report.failure.arrival-invalid")},
		};
		for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
			if (req[i].absent) {
				size_t l = strlen(missing);
				snprintf(missing + l, sizeof missing - l, "%s%s", l ? ", " : "", req[i].name);
			}
		}
		if (missing[0] != '\0')
			note(out, "report.failure.field-missing", "%s", missing);
		if (out->feedback_type[0] != '\0' && strcasecmp(out->feedback_type, "auth-failure") != 0)
			note(out, "report.failure.feedback-type", "'%.40s'", out->feedback_type);
	} else if (out->reported_domain[0] != '\0') {
		note(out, "report.failure.not-arf", "%s", in->text ? "plain text" : "headers only");
		if (out->auth_failure[0] == '\0' && set(&out->auth_failure, "dmarc", 5) != MA_OK)
			goto nomem;
	}
	if (out->reported_domain[0] == '\0') {
		*why = out->arf ? "failure report without a Reported-Domain or a From: domain"
		                : "not a failure report: no ARF part and no reported domain in the text";
		return MA_ERR_PARSE;
	}
	if (in->hash_key != NULL) {
		static const size_t hashed[] = {
		    offsetof(struct ma_failure_report, original_mail_from),
		    offsetof(struct ma_failure_report, original_rcpt_to),
		    offsetof(struct ma_failure_report, authentication_results),
		    offsetof(struct ma_failure_report, dkim_identity),
		    offsetof(struct ma_failure_report, header_from),
		    offsetof(struct ma_failure_report, subject),
		    offsetof(struct ma_failure_report, message_id),
		    offsetof(struct ma_failure_report, original_headers),
		};
		bool did = false;
		for (size_t i = 0; i < sizeof hashed / sizeof hashed[0]; i++)
			if (hash_locals((char **)((char *)out + hashed[i]), in->hash_key, in->hash_key_len, &did) !=
			    MA_OK)
				goto nomem;
		if (did)
			note(out, "report.failure.hashed", "HMAC-SHA256");
	}
	return MA_OK;
nomem:
	*why = "out of memory";
	return MA_ERR_NOMEM;
}

json_t *ma_failure_report_to_json(const struct ma_failure_report *r)
{
	json_t *o =
	    json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "arf",
	              r->arf, "feedback_type", r->feedback_type, "user_agent", r->user_agent, "version", r->version,
	              "reported_domain", r->reported_domain, "source_ip", r->source_ip, "original_mail_from",
	              r->original_mail_from, "original_rcpt_to", r->original_rcpt_to, "auth_failure", r->auth_failure,
	              "authentication_results", r->authentication_results, "dkim_domain", r->dkim_domain,
	              "dkim_selector", r->dkim_selector, "dkim_identity", r->dkim_identity, "spf_dns", r->spf_dns,
	              "delivery_result", r->delivery_result, "identity_alignment", r->identity_alignment, "arrival",
	              (json_int_t)r->arrival, "header_from", r->header_from, "subject", r->subject, "message_id",
	              r->message_id, "original_headers", r->original_headers);
	if (o == NULL) /* every string is valid UTF-8 (utf8_fix): only out of memory gets here */
		return NULL;
	json_t *f = ma_findings_to_json(&r->findings);
	if (f == NULL || json_object_set_new(o, "findings", f) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
