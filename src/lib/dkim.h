/* src/lib/dkim.h — DKIM key records (RFC 6376 3.6.1, RFC 8463 ed25519, RFC 8301 algorithm updates).
 *
 * Pure: the record text in, a parsed key description and findings out. The public key in p= is decoded with
 * OpenSSL to learn its real type and size (a record's k= can lie). The scanner uses struct ma_dkim_key to grade
 * every selector it finds. */
#ifndef MA_DKIM_H
#define MA_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/finding.h"

#define MA_DKIM_RECORD_MAX 16384 /* an 8192-bit RSA key is ~1.4 KB of base64; anything far larger is hostile */
#define MA_DKIM_TAGS_MAX 64

enum ma_dkim_keytype {
	MA_DKIM_KEY_UNKNOWN = 0,
	MA_DKIM_KEY_RSA = 1,
	MA_DKIM_KEY_ED25519 = 2,
};

enum {
	MA_DKIM_FLAG_TESTING = 1, /* t=y: RFC 6376 3.6.1, verifiers treat failures as if unsigned */
	MA_DKIM_FLAG_STRICT = 2,  /* t=s: the i= domain must equal d=, no subdomains */
};

struct ma_dkim_key {
	bool is_dkim;                 /* looks like a DKIM key record (v=DKIM1 first, or a p= tag) */
	bool parsed;                  /* the tag list parsed and v=, if any, was DKIM1 and first: the fields below
	                               * mean something; false means only findings say why */
	bool valid;                   /* usable by a verifier: parsed, known key type, decodable key, or revoked */
	bool revoked;                 /* p= present and empty (RFC 6376 3.6.1) */
	enum ma_dkim_keytype k;       /* from k= (default rsa) */
	enum ma_dkim_keytype actual;  /* what the key in p= really is */
	int bits;                     /* key size (0 when unknown or revoked) */
	bool pkcs1;                   /* RSA key published as a bare RSAPublicKey rather than SubjectPublicKeyInfo */
	bool h_sha1, h_sha256, h_set; /* acceptable hashes from h= (h_set false: all) */
	bool s_email;                 /* service types include email or * (default *) */
	unsigned flags;               /* MA_DKIM_FLAG_* from t= */
	size_t unknown_tags;
};

/* Parse a key record's text (TXT strings joined; any bytes). Findings (dkim.*) go to `f` when not NULL.
 * Returns MA_OK or MA_ERR_NOMEM; a bad record is findings, not an error. */
int ma_dkim_key_parse(const char *data, size_t len, struct ma_dkim_key *key, struct ma_findings *f);

json_t *ma_dkim_key_to_json(const struct ma_dkim_key *key);
const char *ma_dkim_keytype_name(enum ma_dkim_keytype t); /* "rsa", "ed25519", "unknown" */

#endif
