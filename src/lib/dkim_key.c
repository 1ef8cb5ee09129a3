/* src/lib/dkim_key.c — DKIM key record parser and linter (RFC 6376 3.2 tag lists, 3.6.1 key records; RFC 8301;
 * RFC 8463). The key itself is decoded with OpenSSL so its type and size are facts, not what k= claims. */
#include "lib/dkim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/err.h"
#include "lib/lint.h"

struct span {
	const char *p;
	size_t n;
};

struct tag {
	struct span name, value;
};

static bool is_wsp(char c)
{
	/* FWS in a TXT record arrives as spaces, tabs or CR/LF (RFC 6376 3.2). */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct span trim(struct span s)
{
	while (s.n > 0 && is_wsp(s.p[0]))
		s.p++, s.n--;
	while (s.n > 0 && is_wsp(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool span_eq(struct span s, const char *lit)
{
	size_t l = strlen(lit);
	return s.n == l && memcmp(s.p, lit, l) == 0;
}

/* RFC 5234 2.3: ABNF quoted strings are case-insensitive, so k=RSA and h=SHA256 are the same as their lower-case
 * forms; only v=DKIM1 is spelled with %x values (case-sensitive) in RFC 6376 3.6.1. Whitespace inside the token is
 * skipped, as stalwart's verifier does ("sha 256" is sha256): a linter should not call a record broken that
 * deployed verifiers read. */
static bool span_eq_ci(struct span s, const char *lit)
{
	size_t j = 0;
	for (size_t i = 0; i < s.n; i++) {
		char a = s.p[i];
		if (is_wsp(a))
			continue;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (lit[j] == '\0' || a != lit[j])
			return false;
		j++;
	}
	return lit[j] == '\0';
}

/* RFC 6376 3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]. Returns the number of tags, or -1 on a syntax error
 * (with *why set), -2 when there are more than `max` tags. A final segment of only whitespace is accepted, as
 * most verifiers do; empty tag-specs in the middle (";;") are counted in *empty: mox rejects them, stalwart and
 * others skip them, so they are a warning rather than a broken record. */
static int parse_taglist(const char *data, size_t len, struct tag *tags, size_t max, const char **why, size_t *empty)
{
	size_t n = 0, pos = 0;
	while (pos <= len) {
		size_t end = pos;
		while (end < len && data[end] != ';')
			end++;
		struct span seg = trim((struct span){data + pos, end - pos});
		bool last = end >= len;
		if (seg.n == 0) {
			if (last)
				break; /* "a=b;" or "a=b; " or an empty record */
			(*empty)++;
			pos = end + 1;
			continue;
		}
		size_t eq = 0;
		while (eq < seg.n && seg.p[eq] != '=')
			eq++;
		if (eq == seg.n) {
			*why = "a tag without '='";
			return -1;
		}
		struct span name = trim((struct span){seg.p, eq});
		struct span value = trim((struct span){seg.p + eq + 1, seg.n - eq - 1});
		if (name.n == 0 || !is_alpha(name.p[0])) {
			*why = "a tag name that does not start with a letter";
			return -1;
		}
		for (size_t i = 0; i < name.n; i++)
			if (!(is_alpha(name.p[i]) || is_digit(name.p[i]) || name.p[i] == '_')) {
				*why = "a tag name with a character other than letters, digits and '_'";
				return -1;
			}
		for (size_t i = 0; i < value.n; i++) {
			unsigned char c = (unsigned char)value.p[i];
			/* VALCHAR = %x21-3A / %x3C-7E, with whitespace between runs */
			if (!(is_wsp((char)c) || (c >= 0x21 && c <= 0x7e && c != ';'))) {
				*why = "a tag value with a control or non-ASCII byte";
				return -1;
			}
		}
		if (n == max)
			return -2;
		tags[n].name = name;
		tags[n].value = value;
		n++;
		if (last)
			break;
		pos = end + 1;
	}
	return (int)n;
}

/* Iterate a ':'-separated list (h=, s=, t=) with whitespace around the items. */
static bool list_next(struct span *rest, struct span *item)
{
	if (rest->n == 0)
		return false;
	size_t i = 0;
	while (i < rest->n && rest->p[i] != ':')
		i++;
	*item = trim((struct span){rest->p, i});
	if (i < rest->n)
		i++;
	rest->p += i;
	rest->n -= i;
	return true;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 (RFC 4648 4) after removing whitespace. Returns the decoded length or -1. */
static long b64_decode(struct span in, uint8_t *out, size_t outsz)
{
	size_t o = 0, q = 0, pad = 0;
	uint32_t acc = 0;
	for (size_t i = 0; i < in.n; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (is_wsp((char)c))
			continue;
		if (c == '=') {
			pad++;
			acc <<= 6;
			q++;
		} else {
			int v = b64val(c);
			if (v < 0 || pad > 0)
				return -1;
			acc = acc << 6 | (uint32_t)v;
			q++;
		}
		if (pad > 2)
			return -1;
		if (q == 4) {
			if (o + 3 > outsz)
				return -1;
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			o -= pad;
			q = 0;
			acc = 0;
			if (pad > 0) {
				/* padding only at the very end */
				for (size_t j = i + 1; j < in.n; j++)
					if (!is_wsp(in.p[j]))
						return -1;
				break;
			}
		}
	}
	if (q != 0)
		return -1;
	return (long)o;
}

const char *ma_dkim_keytype_name(enum ma_dkim_keytype t)
{
	switch (t) {
	case MA_DKIM_KEY_RSA: return "rsa";
	case MA_DKIM_KEY_ED25519: return "ed25519";
	case MA_DKIM_KEY_UNKNOWN: break;
	}
	return "unknown";
}

#define ADD(id, ...)                                                                                                   \
	do {                                                                                                           \
		if (f != NULL && ma_findings_add(f, id, __VA_ARGS__) != MA_OK)                                         \
			return MA_ERR_NOMEM;                                                                           \
	} while (0)

/* Decode the key in p= and fill key->actual, bits, pkcs1. */
static int decode_key(struct span p, struct ma_dkim_key *key, struct ma_findings *f)
{
	uint8_t der[MA_DKIM_RECORD_MAX];
	long dl = b64_decode(p, der, sizeof der);
	if (dl < 0) {
		ADD("dkim.key.base64-invalid", NULL);
		return MA_OK;
	}
	EVP_PKEY *pkey = NULL;
	if (dl == 32 && key->k == MA_DKIM_KEY_ED25519) {
		/* RFC 8463 4: the raw 32-byte public key, not a SubjectPublicKeyInfo */
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, 32);
	} else {
		const unsigned char *cur = der;
		pkey = d2i_PUBKEY(NULL, &cur, dl);
		if (pkey != NULL && cur != der + dl) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		if (pkey == NULL && key->k == MA_DKIM_KEY_RSA) {
			/* Some publishers put a bare PKCS#1 RSAPublicKey in p= (RFC 6376 3.6.1 wants SPKI). */
			cur = der;
			pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &cur, dl);
			if (pkey != NULL && cur == der + dl)
				key->pkcs1 = true;
			else if (pkey != NULL) {
				EVP_PKEY_free(pkey);
				pkey = NULL;
			}
		}
	}
	if (pkey == NULL) {
		if (dl == 32 && key->k == MA_DKIM_KEY_RSA) {
			key->actual =
			    MA_DKIM_KEY_ED25519; /* mox vector: k defaults to rsa, but this is ed25519-sized */
			ADD("dkim.key.type-mismatch", "k=rsa (the default) but p= holds a 32-byte ed25519 key");
		} else {
			ADD("dkim.key.invalid",
			    key->k == MA_DKIM_KEY_ED25519 ? "an ed25519 key must be 32 bytes, got %ld"
			                                  : "%ld bytes that are not an RSA public key",
			    dl);
		}
		return MA_OK;
	}
	if (EVP_PKEY_is_a(pkey, "RSA"))
		key->actual = MA_DKIM_KEY_RSA;
	else if (EVP_PKEY_is_a(pkey, "ED25519"))
		key->actual = MA_DKIM_KEY_ED25519;
	key->bits = EVP_PKEY_get_bits(pkey);
	EVP_PKEY_free(pkey);
	if (key->actual != key->k) {
		ADD("dkim.key.type-mismatch", "k=%s but p= holds a %s key", ma_dkim_keytype_name(key->k),
		    key->actual == MA_DKIM_KEY_UNKNOWN ? "different" : ma_dkim_keytype_name(key->actual));
		return MA_OK;
	}
	if (key->actual == MA_DKIM_KEY_ED25519 && dl != 32) {
		/* RFC 8463 4: p= is the raw 32-byte key. An ed25519 SubjectPublicKeyInfo (what `openssl pkey -pubout`
		 * prints) decodes here, but verifiers read p= as the raw key and every signature fails. */
		ADD("dkim.key.invalid", "an ed25519 SubjectPublicKeyInfo (%ld bytes), not the raw 32-byte key", dl);
		return MA_OK;
	}
	if (key->pkcs1)
		ADD("dkim.key.pkcs1", NULL);
	key->valid = true;
	if (key->actual == MA_DKIM_KEY_RSA) {
		/* RFC 8301 3.2: signers MUST use at least 1024 bits (many verifiers refuse shorter keys) and SHOULD use
		 * 2048; the UK standard warns from 1024 to 2047 and fails below 1024. */
		if (key->bits < 1024) {
			key->valid = false;
			ADD("dkim.key.rsa-weak", "%d bits", key->bits);
		} else if (key->bits < 2048) {
			ADD("dkim.key.rsa-short", "%d bits", key->bits);
		} else {
			ADD("dkim.key.rsa-strong", "%d bits", key->bits);
		}
	} else {
		ADD("dkim.key.ed25519", NULL);
	}
	return MA_OK;
}

int ma_dkim_key_parse(const char *data, size_t len, struct ma_dkim_key *key, struct ma_findings *f)
{
	memset(key, 0, sizeof *key);
	key->k = MA_DKIM_KEY_RSA; /* RFC 6376 3.6.1: k defaults to rsa */
	key->s_email = true;      /* s defaults to * */
	if (len == 0) {
		ADD("dkim.record.empty", NULL);
		return MA_OK;
	}
	if (len > MA_DKIM_RECORD_MAX) {
		ADD("dkim.record.too-long", "%zu bytes", len);
		return MA_OK;
	}
	struct tag tags[MA_DKIM_TAGS_MAX];
	const char *why = NULL;
	size_t empty = 0;
	int n = parse_taglist(data, len, tags, MA_DKIM_TAGS_MAX, &why, &empty);
	if (n == -2) {
		ADD("dkim.record.too-many-tags", "more than %d", MA_DKIM_TAGS_MAX);
		return MA_OK;
	}
	if (n < 0) {
		ADD("dkim.record.syntax", "%s", why);
		return MA_OK;
	}
	/* A DKIM key record starts with v=DKIM1 or, without v=, has a p= tag; anything else published at a selector
	 * (an RFC 6651 reporting record, say) is not one. */
	bool v_first = n > 0 && span_eq(tags[0].name, "v") && span_eq(tags[0].value, "DKIM1");
	bool any_p = false;
	for (int i = 0; i < n; i++)
		any_p = any_p || span_eq(tags[i].name, "p");
	key->is_dkim = v_first || any_p;
	if (n == 0) {
		ADD("dkim.record.empty", NULL);
		return MA_OK;
	}
	if (empty > 0)
		ADD("dkim.record.empty-tag", "%zu empty", empty);
	/* RFC 6376 3.2: a duplicated tag name makes the whole tag-list invalid. */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (tags[i].name.n == tags[j].name.n &&
			    memcmp(tags[i].name.p, tags[j].name.p, tags[i].name.n) == 0) {
				ADD("dkim.tag.duplicate", "%.*s", (int)(tags[i].name.n > 40 ? 40 : tags[i].name.n),
				    tags[i].name.p);
				return MA_OK;
			}
	const struct tag *p = NULL, *h = NULL;
	bool bad = false;
	for (int i = 0; i < n; i++) {
		const struct tag *t = &tags[i];
		struct span v = t->value;
		if (span_eq(t->name, "v")) {
			/* RFC 6376 3.6.1: if present, v MUST be first and exactly "DKIM1"; otherwise discard. */
			if (!span_eq(v, "DKIM1")) {
				key->is_dkim = false;
				ADD("dkim.record.version-invalid", "v=%.*s", (int)(v.n > 40 ? 40 : v.n), v.p);
				return MA_OK;
			}
			if (i != 0) {
				ADD("dkim.record.version-not-first", NULL);
				return MA_OK;
			}
		} else if (span_eq(t->name, "p")) {
			p = t;
		} else if (span_eq(t->name, "k")) {
			if (span_eq_ci(v, "rsa"))
				key->k = MA_DKIM_KEY_RSA;
			else if (span_eq_ci(v, "ed25519"))
				key->k = MA_DKIM_KEY_ED25519;
			else {
				key->k = MA_DKIM_KEY_UNKNOWN;
				bad = true;
				ADD("dkim.key.type-unknown", "k=%.*s", (int)(v.n > 40 ? 40 : v.n), v.p);
			}
		} else if (span_eq(t->name, "h")) {
			h = t;
			key->h_set = true;
			struct span rest = v, item;
			while (list_next(&rest, &item)) {
				if (span_eq_ci(item, "sha256"))
					key->h_sha256 = true;
				else if (span_eq_ci(item, "sha1"))
					key->h_sha1 = true;
			}
		} else if (span_eq(t->name, "s")) {
			key->s_email = false;
			struct span rest = v, item;
			while (list_next(&rest, &item))
				if (span_eq(item, "*") || span_eq_ci(item, "email"))
					key->s_email = true;
		} else if (span_eq(t->name, "t")) {
			struct span rest = v, item;
			while (list_next(&rest, &item)) {
				if (span_eq_ci(item, "y"))
					key->flags |= MA_DKIM_FLAG_TESTING;
				else if (span_eq_ci(item, "s"))
					key->flags |= MA_DKIM_FLAG_STRICT;
			}
		} else if (!span_eq(t->name, "n")) {
			key->unknown_tags++;
			ADD("dkim.tag.unknown", "%.*s", (int)(t->name.n > 40 ? 40 : t->name.n), t->name.p);
		}
	}
	key->parsed = true;
	if (p == NULL) {
		ADD("dkim.key.missing", NULL);
		return MA_OK;
	}
	if (key->h_set && !key->h_sha256) {
		/* RFC 8301 3.1: rsa-sha1 MUST NOT be used for signing or verifying, and sha256 is the only other hash
		 * defined (RFC 6376 3.3, RFC 8463 3): without sha256 in h= the key verifies nothing. */
		bad = true;
		if (key->h_sha1)
			ADD("dkim.hash.sha1-only", NULL);
		else
			ADD("dkim.hash.unsupported", "h=%.*s", (int)(h->value.n > 40 ? 40 : h->value.n), h->value.p);
	}
	if (!key->s_email) {
		bad = true;
		ADD("dkim.service.not-email", NULL);
	}
	if (key->flags & MA_DKIM_FLAG_TESTING)
		ADD("dkim.flag.testing", NULL);
	if (key->flags & MA_DKIM_FLAG_STRICT)
		ADD("dkim.flag.strict", NULL);
	struct span pv = trim(p->value);
	bool p_empty = true;
	for (size_t i = 0; i < pv.n; i++)
		if (!is_wsp(pv.p[i]))
			p_empty = false;
	if (p_empty) {
		/* RFC 6376 3.6.1: an empty p= means the key has been revoked. */
		key->revoked = true;
		key->valid = !bad;
		ADD("dkim.key.revoked", NULL);
		return MA_OK;
	}
	if (key->k == MA_DKIM_KEY_UNKNOWN)
		return MA_OK;
	int rc = decode_key(pv, key, f);
	if (bad)
		key->valid = false;
	return rc;
}

json_t *ma_dkim_key_to_json(const struct ma_dkim_key *key)
{
	json_t *h = json_array(), *t = json_array();
	if (h == NULL || t == NULL) {
		json_decref(h);
		json_decref(t);
		return NULL;
	}
	if (!key->h_set || key->h_sha256)
		json_array_append_new(h, json_string("sha256"));
	if (!key->h_set || key->h_sha1)
		json_array_append_new(h, json_string("sha1"));
	if (key->flags & MA_DKIM_FLAG_TESTING)
		json_array_append_new(t, json_string("y"));
	if (key->flags & MA_DKIM_FLAG_STRICT)
		json_array_append_new(t, json_string("s"));
	return json_pack("{s:b, s:s, s:s, s:i, s:b, s:b, s:o, s:b, s:o, s:i}", "is_dkim", key->is_dkim, "k",
	                 ma_dkim_keytype_name(key->k), "key_type", ma_dkim_keytype_name(key->actual), "bits", key->bits,
	                 "revoked", key->revoked, "pkcs1", key->pkcs1, "h", h, "email", key->s_email, "t", t,
	                 "unknown_tags", (int)key->unknown_tags);
}

int ma_dkim_lint(const char *data, size_t len, struct ma_lint_result *out)
{
	out->valid = false;
	out->parsed = NULL;
	ma_findings_init(&out->findings);
	if (data == NULL && len > 0)
		return MA_ERR_INVAL;
	struct ma_dkim_key key;
	int rc = ma_dkim_key_parse(data, len, &key, &out->findings);
	if (rc != MA_OK)
		return rc;
	out->valid = key.valid;
	out->parsed = key.parsed ? ma_dkim_key_to_json(&key) : json_object();
	return out->parsed ? MA_OK : MA_ERR_NOMEM;
}
