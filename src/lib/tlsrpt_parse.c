/* src/lib/tlsrpt_parse.c — TLS-RPT record parser and linter (RFC 8460 3). */
#include "lib/tlsrpt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/lint.h"

#define ADD(id, ...)                                                                                                   \
	do {                                                                                                           \
		if (f != NULL && ma_findings_add(f, id, __VA_ARGS__) != MA_OK)                                         \
			return MA_ERR_NOMEM;                                                                           \
	} while (0)

/* The UK government's central TLS-RPT collector (../shared/standards/uk-gov-email-security.md). */
#define UK_CENTRAL_RUA "mailto:tls-rua@mailcheck.service.ncsc.gov.uk"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A printable, bounded copy of untrusted bytes for a finding's detail: details end up in JSON (valid UTF-8 only)
 * and on terminals, so anything outside printable ASCII becomes '?'. */
static const char *printable(const char *p, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < outsz; i++) {
		unsigned char c = (unsigned char)p[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (o + 4 >= outsz && n > o) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void ma_tlsrpt_record_fini(struct ma_tlsrpt_record *rec)
{
	for (size_t i = 0; i < rec->nrua; i++)
		free(rec->rua[i]);
	memset(rec, 0, sizeof *rec);
}

/* Judge one rua URI: 0 usable, or the finding ID that says why not. */
static const char *check_uri(const char *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		/* RFC 3986 characters only; ',' and '!' must be percent-encoded inside a URI (RFC 8460 3) */
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
		    c == '{' || c == '|' || c == '}' || c == '!')
			return "tlsrpt.rua.invalid";
		/* RFC 3986 2.1: '%' introduces exactly two hex digits */
		if (c == '%' && (i + 2 >= n || !is_hex(u[i + 1]) || !is_hex(u[i + 2])))
			return "tlsrpt.rua.invalid";
	}
	if (n > 7 && strncasecmp(u, "mailto:", 7) == 0) {
		const char *at = memchr(u + 7, '@', n - 7);
		if (at == NULL || at == u + 7 || at == u + n - 1)
			return "tlsrpt.rua.invalid";
		const char *d = at + 1;
		size_t dl = (size_t)(u + n - d);
		if (memchr(d, '.', dl) == NULL || d[0] == '.' || d[dl - 1] == '.')
			return "tlsrpt.rua.invalid";
		return NULL;
	}
	if (n >= 8 && strncasecmp(u, "https://", 8) == 0) {
		if (n == 8 || u[8] == '/' || u[8] == '?' || u[8] == '#')
			return "tlsrpt.rua.invalid"; /* RFC 3986 3.2: an https URI needs a host */
		return NULL;
	}
	if (n > 7 && strncasecmp(u, "http://", 7) == 0)
		return "tlsrpt.rua.http";
	return "tlsrpt.rua.scheme";
}

int ma_tlsrpt_parse(const char *data, size_t len, struct ma_tlsrpt_record *rec, struct ma_findings *f)
{
	memset(rec, 0, sizeof *rec);
	if (len > MA_TLSRPT_TXT_MAX) {
		ADD("tlsrpt.record.too-long", "%zu bytes", len);
		return MA_OK;
	}
	/* tlsrpt-version = %s"v=TLSRPTv1" */
	if (len < 10 || memcmp(data, "v=TLSRPTv1", 10) != 0 || (len > 10 && data[10] != ';' && !is_wsp(data[10]))) {
		ADD("tlsrpt.record.version", NULL);
		return MA_OK;
	}
	bool have_rua = false, central = false;
	size_t dropped = 0;
	size_t pos = 10;
	for (;;) {
		size_t p = pos;
		while (p < len && is_wsp(data[p]))
			p++;
		if (p == len)
			break;
		if (data[p] != ';') {
			ADD("tlsrpt.record.syntax", "expected ';' at byte %zu", p);
			ma_tlsrpt_record_fini(rec);
			return MA_OK;
		}
		p++;
		while (p < len && is_wsp(data[p]))
			p++;
		if (p == len)
			break;
		size_t ns = p;
		while (p < len && data[p] != '=' && data[p] != ';' && !is_wsp(data[p]))
			p++;
		if (p == len || data[p] != '=') {
			ADD("tlsrpt.record.syntax", "a field without '=' at byte %zu", ns);
			ma_tlsrpt_record_fini(rec);
			return MA_OK;
		}
		size_t nl = p - ns;
		p++;
		if (nl == 3 && memcmp(data + ns, "rua", 3) == 0) {
			if (have_rua) /* mox keeps both lists; senders may not, so it is a warning */
				ADD("tlsrpt.record.duplicate", "rua");
			have_rua = true;
			/* tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri) */
			for (;;) {
				size_t us = p;
				while (p < len && data[p] != ',' && data[p] != ';' && !is_wsp(data[p]))
					p++;
				size_t ul = p - us;
				const char *why = ul ? check_uri(data + us, ul) : "tlsrpt.rua.invalid";
				if (why != NULL) {
					char shown[120];
					ADD(why, "'%s'", printable(data + us, ul, shown, sizeof shown));
				} else if (rec->nrua == MA_TLSRPT_RUA_MAX) {
					dropped++; /* the cap keeps memory bounded; the finding says what was not kept */
				} else {
					char *u = strndup(data + us, ul);
					if (u == NULL)
						return MA_ERR_NOMEM;
					rec->rua[rec->nrua++] = u;
					if (strcasecmp(u, UK_CENTRAL_RUA) == 0)
						central = true;
				}
				size_t q = p;
				while (q < len && is_wsp(data[q]))
					q++;
				if (q < len && data[q] == ',') {
					q++;
					while (q < len && is_wsp(data[q]))
						q++;
					p = q;
					continue;
				}
				break;
			}
		} else {
			bool ok = nl >= 1 && nl <= 32 && is_alnum(data[ns]);
			for (size_t i = 1; ok && i < nl; i++)
				ok = is_alnum(data[ns + i]) || data[ns + i] == '_' || data[ns + i] == '-' ||
				     data[ns + i] == '.';
			size_t vs = p;
			while (p < len && data[p] != ';' && !is_wsp(data[p])) {
				unsigned char c = (unsigned char)data[p];
				if (c < 0x21 || c > 0x7e || c == '=')
					ok = false;
				p++;
			}
			if (!ok || p == vs) {
				ADD("tlsrpt.record.syntax", "invalid extension field at byte %zu", ns);
				ma_tlsrpt_record_fini(rec);
				return MA_OK;
			}
			rec->extensions++;
			ADD("tlsrpt.record.extension", "%.*s", (int)nl, data + ns);
		}
		pos = p;
	}
	if (!have_rua) {
		ADD("tlsrpt.rua.missing", NULL);
		return MA_OK;
	}
	if (dropped > 0)
		ADD("tlsrpt.rua.too-many", "%zu beyond the first %d not checked", dropped, MA_TLSRPT_RUA_MAX);
	rec->valid = rec->nrua > 0;
	if (rec->valid)
		ADD(central ? "tlsrpt.rua.uk-central" : "tlsrpt.rua.ok", NULL);
	return MA_OK;
}

int ma_tlsrpt_select(const struct ma_dns_rdata *rr, size_t count, struct ma_tlsrpt_record *rec, size_t *found,
                     struct ma_findings *f)
{
	memset(rec, 0, sizeof *rec);
	*found = 0;
	size_t which = 0;
	for (size_t i = 0; i < count; i++) {
		char *j;
		size_t jl;
		int rc = ma_dns_txt_join(&rr[i], &j, &jl);
		if (rc != MA_OK)
			return rc;
		if (jl >= 10 && memcmp(j, "v=TLSRPTv1", 10) == 0 && (jl == 10 || j[10] == ';' || is_wsp(j[10]))) {
			(*found)++;
			which = i;
		}
		free(j);
	}
	if (*found > 1) {
		ADD("tlsrpt.record.multiple", "%zu records start with v=TLSRPTv1", *found);
		return MA_OK;
	}
	if (*found == 0)
		return MA_OK;
	char *j;
	size_t jl;
	int rc = ma_dns_txt_join(&rr[which], &j, &jl);
	if (rc != MA_OK)
		return rc;
	rc = ma_tlsrpt_parse(j, jl, rec, f);
	free(j);
	return rc;
}

json_t *ma_tlsrpt_record_to_json(const struct ma_tlsrpt_record *rec)
{
	json_t *rua = json_array();
	if (rua == NULL)
		return NULL;
	for (size_t i = 0; i < rec->nrua; i++)
		json_array_append_new(rua, json_string(rec->rua[i]));
	return json_pack("{s:s, s:o, s:i}", "v", "TLSRPTv1", "rua", rua, "extensions", (int)rec->extensions);
}

int ma_tlsrpt_lint(const char *data, size_t len, struct ma_lint_result *out)
{
	out->valid = false;
	out->parsed = NULL;
	ma_findings_init(&out->findings);
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;
	struct ma_tlsrpt_record rec;
	int rc = ma_tlsrpt_parse(data, len, &rec, &out->findings);
	if (rc == MA_OK) {
		out->valid = rec.valid;
		out->parsed = rec.valid ? ma_tlsrpt_record_to_json(&rec) : json_object();
		if (out->parsed == NULL)
			rc = MA_ERR_NOMEM;
	}
	ma_tlsrpt_record_fini(&rec);
	return rc;
}
