/* src/lib/mtasts_parse.c — MTA-STS TXT record and policy file parsers, linters and MX pattern matching
 * (RFC 8461 3.1, 3.2, 4.1). Grammar as the RFC's ABNF, lenient only where deployed senders are (trailing
 * whitespace, LF line ends), and each leniency is a finding. */
#include "lib/mtasts.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"
#include "lib/err.h"
#include "lib/lint.h"

#define ADD(id, ...)                                                                                                   \
	do {                                                                                                           \
		if (f != NULL && ma_findings_add(f, id, __VA_ARGS__) != MA_OK)                                         \
			return MA_ERR_NOMEM;                                                                           \
	} while (0)

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 8461 3.1/3.2: ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static bool ext_name_ok(const char *p, size_t n)
{
	if (n == 0 || n > 32 || !is_alnum(p[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(is_alnum(p[i]) || p[i] == '_' || p[i] == '-' || p[i] == '.'))
			return false;
	return true;
}

const char *ma_mtasts_mode_name(enum ma_mtasts_mode m)
{
	switch (m) {
	case MA_MTASTS_MODE_NONE: return "none";
	case MA_MTASTS_MODE_TESTING: return "testing";
	case MA_MTASTS_MODE_ENFORCE: return "enforce";
	case MA_MTASTS_MODE_UNSET: break;
	}
	return "unset";
}

/* ---- TXT record (RFC 8461 3.1) -------------------------------------------------------------------------- */

int ma_mtasts_txt_parse(const char *data, size_t len, struct ma_mtasts_txt *txt, struct ma_findings *f)
{
	memset(txt, 0, sizeof *txt);
	if (len > MA_MTASTS_TXT_MAX) {
		ADD("mta-sts.txt.too-long", "%zu bytes", len);
		return MA_OK;
	}
	/* sts-version = %s"v=STSv1", case-sensitive, followed by a delimiter or the end */
	if (len < 7 || memcmp(data, "v=STSv1", 7) != 0 || (len > 7 && data[7] != ';' && !is_wsp(data[7]))) {
		ADD("mta-sts.txt.version", NULL);
		return MA_OK;
	}
	size_t pos = 7;
	bool have_id = false, bad = false;
	for (;;) {
		/* sts-field-delim = *WSP ";" *WSP */
		size_t p = pos;
		while (p < len && is_wsp(data[p]))
			p++;
		if (p == len)
			break; /* trailing whitespace: tolerated */
		if (data[p] != ';') {
			ADD("mta-sts.txt.syntax", "expected ';' at byte %zu", p);
			return MA_OK;
		}
		p++;
		while (p < len && is_wsp(data[p]))
			p++;
		if (p == len)
			break; /* optional final delimiter */
		size_t ns = p;
		while (p < len && data[p] != '=' && data[p] != ';' && !is_wsp(data[p]))
			p++;
		if (p == len || data[p] != '=') {
			ADD("mta-sts.txt.syntax", "a field without '=' at byte %zu", ns);
			return MA_OK;
		}
		size_t nl = p - ns, vs = ++p;
		while (p < len && data[p] != ';' && !is_wsp(data[p]))
			p++;
		size_t vl = p - vs;
		if (nl == 2 && memcmp(data + ns, "id", 2) == 0) {
			bool ok = vl >= 1 && vl <= 32;
			for (size_t i = 0; ok && i < vl; i++)
				ok = is_alnum(data[vs + i]);
			if (have_id) {
				ADD("mta-sts.txt.duplicate", "id");
				bad = true;
			} else if (!ok) {
				ADD("mta-sts.txt.id-invalid", "id must be 1 to 32 letters and digits");
				bad = true;
			} else {
				memcpy(txt->id, data + vs, vl);
				txt->id[vl] = '\0';
			}
			have_id = true;
		} else {
			bool ok = ext_name_ok(data + ns, nl) && vl > 0;
			for (size_t i = 0; ok && i < vl; i++) {
				unsigned char c = (unsigned char)data[vs + i];
				ok = c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
			}
			if (!ok) {
				ADD("mta-sts.txt.syntax", "invalid extension field at byte %zu", ns);
				return MA_OK;
			}
			txt->extensions++;
			ADD("mta-sts.txt.extension", "%.*s", (int)nl, data + ns);
		}
		pos = p;
	}
	if (!have_id) {
		ADD("mta-sts.txt.id-missing", NULL);
		return MA_OK;
	}
	txt->valid = !bad;
	return MA_OK;
}

/* Does a joined TXT record start with the version tag, as RFC 8461 3.1 / RFC 8460 3 select records? */
static bool starts_with_version(const char *d, size_t n, const char *v)
{
	size_t l = strlen(v);
	return n >= l && memcmp(d, v, l) == 0 && (n == l || d[l] == ';' || is_wsp(d[l]));
}

int ma_mtasts_txt_select(const struct ma_dns_rdata *rr, size_t count, struct ma_mtasts_txt *txt, size_t *found,
                         struct ma_findings *f)
{
	memset(txt, 0, sizeof *txt);
	*found = 0;
	size_t which = 0;
	for (size_t i = 0; i < count; i++) {
		char *j;
		size_t jl;
		int rc = ma_dns_txt_join(&rr[i], &j, &jl);
		if (rc != MA_OK)
			return rc;
		if (starts_with_version(j, jl, "v=STSv1")) {
			(*found)++;
			which = i;
		}
		free(j);
	}
	if (*found > 1) {
		ADD("mta-sts.txt.multiple", "%zu records start with v=STSv1", *found);
		return MA_OK;
	}
	if (*found == 0)
		return MA_OK;
	char *j;
	size_t jl;
	int rc = ma_dns_txt_join(&rr[which], &j, &jl);
	if (rc != MA_OK)
		return rc;
	rc = ma_mtasts_txt_parse(j, jl, txt, f);
	free(j);
	return rc;
}

json_t *ma_mtasts_txt_to_json(const struct ma_mtasts_txt *txt)
{
	return json_pack("{s:s, s:s, s:i}", "v", "STSv1", "id", txt->id, "extensions", (int)txt->extensions);
}

/* ---- Policy file (RFC 8461 3.2) ------------------------------------------------------------------------- */

void ma_mtasts_policy_fini(struct ma_mtasts_policy *pol)
{
	for (size_t i = 0; i < pol->nmx; i++)
		free(pol->mx[i]);
	memset(pol, 0, sizeof *pol);
}

/* sts-policy-mx-value = ["*."] Domain (RFC 5321 Domain: LDH labels; A-labels only, no trailing dot). */
static bool mx_pattern_ok(const char *p, size_t n)
{
	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		p += 2;
		n -= 2;
	}
	if (n == 0 || n > 253)
		return false;
	size_t ll = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (ll == 0 || ll > 63 || p[i - 1] == '-')
				return false;
			ll = 0;
			continue;
		}
		if (!(is_alnum(p[i]) || (p[i] == '-' && ll > 0)))
			return false;
		ll++;
	}
	return true;
}

static bool parse_uint(const char *p, size_t n, uint32_t max, uint32_t *out)
{
	/* max_age = 1*10DIGIT */
	if (n == 0 || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

int ma_mtasts_policy_parse(const char *data, size_t len, struct ma_mtasts_policy *pol, struct ma_findings *f)
{
	memset(pol, 0, sizeof *pol);
	if (len > MA_MTASTS_POLICY_MAX) {
		ADD("mta-sts.policy.too-big", "%zu bytes", len);
		return MA_OK;
	}
	bool bad = false, version_late = false;
	size_t lines = 0, fields = 0;
	unsigned seen = 0; /* 1 version, 2 mode, 4 max_age */
	for (size_t pos = 0; pos < len;) {
		size_t e = pos;
		while (e < len && data[e] != '\n')
			e++;
		size_t next = e < len ? e + 1 : e;
		size_t le = e;
		if (e < len) {
			if (le > pos && data[le - 1] == '\r')
				le--;
			else
				pol->lf_only = true;
		}
		if (++lines > MA_MTASTS_LINES_MAX) {
			ADD("mta-sts.policy.too-many-lines", "more than %d", MA_MTASTS_LINES_MAX);
			ma_mtasts_policy_fini(pol);
			return MA_OK;
		}
		const char *l = data + pos;
		size_t n = le - pos;
		pos = next;
		if (n == 0)
			continue; /* a blank line (often a final extra newline) carries nothing */
		size_t c = 0;
		while (c < n && l[c] != ':')
			c++;
		size_t kl = c;
		while (kl > 0 && is_wsp(l[kl - 1]))
			kl--;
		if (c == n || kl == 0) {
			ADD("mta-sts.policy.syntax", "line %zu has no 'key: value'", lines);
			bad = true;
			continue;
		}
		size_t vs = c + 1;
		while (vs < n && is_wsp(l[vs]))
			vs++;
		size_t ve = n;
		while (ve > vs && is_wsp(l[ve - 1]))
			ve--; /* trailing whitespace after values is tolerated */
		const char *v = l + vs;
		size_t vl = ve - vs;
		for (size_t i = 0; i < vl; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e) {
				if (v[i] != '\t') {
					ADD("mta-sts.policy.syntax", "line %zu has a control or non-ASCII byte", lines);
					bad = true;
					goto next_line;
				}
			}
		fields++;
		if (kl == 7 && memcmp(l, "version", 7) == 0) {
			if (fields > 1 && !(seen & 1))
				version_late = true;
			if (seen & 1) {
				ADD("mta-sts.policy.duplicate", "version");
				bad = true;
			}
			seen |= 1;
			if (vl == 5 && memcmp(v, "STSv1", 5) == 0) {
				pol->has_version = true;
			} else {
				ADD("mta-sts.policy.version-invalid", "version: %.*s", (int)(vl > 40 ? 40 : vl), v);
				bad = true;
			}
		} else if (kl == 4 && memcmp(l, "mode", 4) == 0) {
			if (seen & 2) {
				ADD("mta-sts.policy.duplicate", "mode");
				bad = true;
			}
			seen |= 2;
			if (vl == 7 && memcmp(v, "testing", 7) == 0)
				pol->mode = MA_MTASTS_MODE_TESTING;
			else if (vl == 7 && memcmp(v, "enforce", 7) == 0)
				pol->mode = MA_MTASTS_MODE_ENFORCE;
			else if (vl == 4 && memcmp(v, "none", 4) == 0)
				pol->mode = MA_MTASTS_MODE_NONE;
			else {
				ADD("mta-sts.policy.mode-invalid", "mode: %.*s", (int)(vl > 40 ? 40 : vl), v);
				bad = true;
			}
		} else if (kl == 7 && memcmp(l, "max_age", 7) == 0) {
			if (seen & 4) {
				ADD("mta-sts.policy.duplicate", "max_age");
				bad = true;
			}
			seen |= 4;
			if (parse_uint(v, vl, MA_MTASTS_MAX_AGE_MAX, &pol->max_age)) {
				pol->has_max_age = true;
			} else {
				ADD("mta-sts.policy.max-age-invalid", "max_age: %.*s", (int)(vl > 40 ? 40 : vl), v);
				bad = true;
			}
		} else if (kl == 2 && memcmp(l, "mx", 2) == 0) {
			if (!mx_pattern_ok(v, vl)) {
				ADD("mta-sts.policy.mx-invalid", "mx: %.*s", (int)(vl > 80 ? 80 : vl), v);
				bad = true;
			} else if (pol->nmx == MA_MTASTS_MX_MAX) {
				ADD("mta-sts.policy.mx-too-many", "more than %d", MA_MTASTS_MX_MAX);
				bad = true;
			} else {
				char *m = strndup(v, vl);
				if (m == NULL)
					return MA_ERR_NOMEM;
				for (char *q = m; *q; q++)
					if (*q >= 'A' && *q <= 'Z')
						*q = (char)(*q + 32);
				pol->mx[pol->nmx++] = m;
			}
		} else if (ext_name_ok(l, kl) && vl > 0) {
			pol->extensions++;
			ADD("mta-sts.policy.extension", "%.*s", (int)kl, l);
		} else {
			ADD("mta-sts.policy.syntax", "line %zu: invalid key or empty value", lines);
			bad = true;
		}
	next_line:;
	}
	if (pol->lf_only)
		ADD("mta-sts.policy.lf", NULL);
	if (version_late)
		ADD("mta-sts.policy.version-not-first", NULL);
	if (!(seen & 1))
		ADD("mta-sts.policy.version-missing", NULL);
	if (!(seen & 2))
		ADD("mta-sts.policy.mode-missing", NULL);
	if (!(seen & 4))
		ADD("mta-sts.policy.max-age-missing", NULL);
	bool need_mx = pol->mode == MA_MTASTS_MODE_TESTING || pol->mode == MA_MTASTS_MODE_ENFORCE;
	if (need_mx && pol->nmx == 0) {
		ADD("mta-sts.policy.mx-missing", NULL);
		bad = true;
	}
	pol->valid = !bad && pol->has_version && pol->mode != MA_MTASTS_MODE_UNSET && pol->has_max_age;
	if (!pol->valid)
		return MA_OK;
	switch (pol->mode) {
	case MA_MTASTS_MODE_ENFORCE:
		ADD("mta-sts.policy.mode-enforce", NULL);
		/* UK standard: warn under two weeks in enforce */
		if (pol->max_age < 1209600)
			ADD("mta-sts.policy.max-age-short", "%u seconds in enforce mode", pol->max_age);
		break;
	case MA_MTASTS_MODE_TESTING:
		ADD("mta-sts.policy.mode-testing", NULL);
		if (pol->max_age < 86400)
			ADD("mta-sts.policy.max-age-short", "%u seconds in testing mode", pol->max_age);
		break;
	default: ADD("mta-sts.policy.mode-none", NULL); break;
	}
	return MA_OK;
}

json_t *ma_mtasts_policy_to_json(const struct ma_mtasts_policy *pol)
{
	json_t *mx = json_array();
	if (mx == NULL)
		return NULL;
	for (size_t i = 0; i < pol->nmx; i++)
		json_array_append_new(mx, json_string(pol->mx[i]));
	/* Only what the policy really says: an invalid or missing version is absent, not "STSv1". */
	json_t *o = json_pack("{s:o*, s:s, s:o, s:b, s:i}", "version", pol->has_version ? json_string("STSv1") : NULL,
	                      "mode", ma_mtasts_mode_name(pol->mode), "mx", mx, "crlf", !pol->lf_only, "extensions",
	                      (int)pol->extensions);
	if (o != NULL && pol->has_max_age && json_object_set_new(o, "max_age", json_integer(pol->max_age)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

bool ma_mtasts_mx_match(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);
	if (pl > 0 && pattern[pl - 1] == '.')
		pl--;
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pl == 0 || hl == 0)
		return false;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* RFC 8461 4.1: "*.example.net" matches exactly one extra left-most label. */
		size_t dot = 0;
		while (dot < hl && host[dot] != '.')
			dot++;
		if (dot == 0 || dot == hl)
			return false;
		pattern += 2;
		pl -= 2;
		host += dot + 1;
		hl -= dot + 1;
	}
	if (pl != hl)
		return false;
	for (size_t i = 0; i < pl; i++) {
		char a = pattern[i], b = host[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b + 32);
		if (a != b)
			return false;
	}
	return true;
}

int ma_mtasts_lint(const char *data, size_t len, struct ma_lint_result *out)
{
	out->valid = false;
	out->parsed = NULL;
	ma_findings_init(&out->findings);
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;
	struct ma_mtasts_txt txt;
	int rc = ma_mtasts_txt_parse(data, len, &txt, &out->findings);
	if (rc != MA_OK)
		return rc;
	out->valid = txt.valid;
	out->parsed = txt.valid ? ma_mtasts_txt_to_json(&txt) : json_object();
	return out->parsed ? MA_OK : MA_ERR_NOMEM;
}

int ma_mtasts_policy_lint(const char *data, size_t len, struct ma_lint_result *out)
{
	out->valid = false;
	out->parsed = NULL;
	ma_findings_init(&out->findings);
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;
	struct ma_mtasts_policy pol;
	int rc = ma_mtasts_policy_parse(data, len, &pol, &out->findings);
	if (rc == MA_OK) {
		out->valid = pol.valid;
		out->parsed = ma_mtasts_policy_to_json(&pol);
		if (out->parsed == NULL)
			rc = MA_ERR_NOMEM;
	}
	ma_mtasts_policy_fini(&pol);
	return rc;
}
