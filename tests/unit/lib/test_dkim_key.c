/* tests/unit/lib/test_dkim_key.c — DKIM key record parser and linter: real keys made by OpenSSL at test time (RSA
 * 512/1024/2048, ed25519, PKCS#1), every dkim.* finding, the mox / stalwart / RFC 8463 vectors, hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lib/dkim.h"
#include "lib/err.h"
#include "lib/lint.h"

/* ---- keys made here, never fixtures ------------------------------------------------------------------------- */

enum keyform { SPKI, PKCS1, RAW };

static char *b64(const unsigned char *der, int len)
{
	char *out = malloc((size_t)len * 4 / 3 + 8);
	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, der, len);
	return out;
}

/* base64 of a fresh key in the given form; RSA of `bits` bits, or ed25519 when bits == 0. */
static char *make_key(int bits, enum keyform form)
{
	EVP_PKEY *k = bits ? EVP_RSA_gen((unsigned)bits) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	unsigned char *der = NULL;
	int len;
	char *out;
	if (form == RAW) {
		unsigned char raw[32];
		size_t rl = sizeof raw;
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &rl), 1);
		out = b64(raw, (int)rl);
	} else {
		len = form == SPKI ? i2d_PUBKEY(k, &der) : i2d_PublicKey(k, &der);
		assert_true(len > 0);
		out = b64(der, len);
		OPENSSL_free(der);
	}
	EVP_PKEY_free(k);
	return out;
}

static char *rec_with_key(const char *prefix, const char *key)
{
	size_t n = strlen(prefix) + strlen(key) + 1;
	char *r = malloc(n);
	assert_non_null(r);
	snprintf(r, n, "%s%s", prefix, key);
	return r;
}

struct keys {
	char *rsa512, *rsa1024, *rsa2048, *rsa2048_pkcs1, *ed_raw, *ed_spki;
};

static int setup_keys(void **state)
{
	struct keys *k = calloc(1, sizeof *k);
	if (k == NULL)
		return -1;
	k->rsa512 = make_key(512, SPKI);
	k->rsa1024 = make_key(1024, SPKI);
	k->rsa2048 = make_key(2048, SPKI);
	k->rsa2048_pkcs1 = make_key(2048, PKCS1);
	k->ed_raw = make_key(0, RAW);
	k->ed_spki = make_key(0, SPKI);
	*state = k;
	return 0;
}

static int teardown_keys(void **state)
{
	struct keys *k = *state;
	free(k->rsa512);
	free(k->rsa1024);
	free(k->rsa2048);
	free(k->rsa2048_pkcs1);
	free(k->ed_raw);
	free(k->ed_spki);
	free(k);
	return 0;
}

/* Parse `rec` and return the findings; the caller frees them. */
static struct ma_findings parse(const char *rec, size_t len, struct ma_dkim_key *key)
{
	struct ma_findings f;
	ma_findings_init(&f);
	assert_int_equal(ma_dkim_key_parse(rec, len, key, &f), MA_OK);
	return f;
}

#define PARSE(rec, keyp) parse((rec), strlen(rec), (keyp))

/* ---- key sizes and types ------------------------------------------------------------------------------------ */

static void test_rsa_sizes(void **state)
{
	struct keys *k = *state;
	static const struct {
		int bits;
		const char *id;
		bool valid;
		enum ma_severity sev;
	} want[] = {
	    {512, "dkim.key.rsa-weak", false, MA_SEV_ERROR},
	    {1024, "dkim.key.rsa-short", true, MA_SEV_WARNING},
	    {2048, "dkim.key.rsa-strong", true, MA_SEV_OK},
	};
	const char *keys[] = {k->rsa512, k->rsa1024, k->rsa2048};
	for (size_t i = 0; i < 3; i++) {
		char *rec = rec_with_key("v=DKIM1; k=rsa; p=", keys[i]);
		struct ma_dkim_key got;
		struct ma_findings f = PARSE(rec, &got);
		assert_true(got.is_dkim);
		assert_true(got.parsed);
		assert_int_equal(got.actual, MA_DKIM_KEY_RSA);
		assert_int_equal(got.bits, want[i].bits);
		assert_int_equal(got.valid, want[i].valid);
		assert_false(got.revoked);
		assert_true(ma_findings_has(&f, want[i].id));
		assert_int_equal(ma_findings_worst(&f), want[i].sev);
		ma_findings_fini(&f);
		free(rec);
	}
}

static void test_rsa_whitespace_in_p(void **state)
{
	struct keys *k = *state;
	/* RFC 6376 3.6.1: whitespace inside p= is ignored; split the base64 as TXT publishers and DNS UIs do */
	size_t n = strlen(k->rsa2048);
	char *rec = malloc(n * 2 + 64);
	assert_non_null(rec);
	size_t o = (size_t)snprintf(rec, 64, "v=DKIM1; p=");
	for (size_t i = 0; i < n; i++) {
		rec[o++] = k->rsa2048[i];
		if (i % 60 == 59)
			rec[o++] = i % 120 == 59 ? ' ' : '\t';
	}
	rec[o] = '\0';
	struct ma_dkim_key got;
	struct ma_findings f = PARSE(rec, &got);
	assert_true(got.valid);
	assert_int_equal(got.bits, 2048);
	assert_true(ma_findings_has(&f, "dkim.key.rsa-strong"));
	ma_findings_fini(&f);
	free(rec);
}

static void test_pkcs1(void **state)
{
	struct keys *k = *state;
	char *rec = rec_with_key("v=DKIM1; p=", k->rsa2048_pkcs1);
	struct ma_dkim_key got;
	struct ma_findings f = PARSE(rec, &got);
	assert_true(got.valid);
	assert_true(got.pkcs1);
	assert_int_equal(got.actual, MA_DKIM_KEY_RSA);
	assert_int_equal(got.bits, 2048);
	assert_true(ma_findings_has(&f, "dkim.key.pkcs1"));
	assert_true(ma_findings_has(&f, "dkim.key.rsa-strong"));
	assert_int_equal(ma_findings_worst(&f), MA_SEV_WARNING);
	ma_findings_fini(&f);
	free(rec);
}

static void test_ed25519(void **state)
{
	struct keys *k = *state;
	char *rec = rec_with_key("v=DKIM1; k=ed25519; p=", k->ed_raw);
	struct ma_dkim_key got;
	struct ma_findings f = PARSE(rec, &got);
	assert_true(got.valid);
	assert_int_equal(got.k, MA_DKIM_KEY_ED25519);
	assert_int_equal(got.actual, MA_DKIM_KEY_ED25519);
	assert_int_equal(got.bits, 256); /* OpenSSL's EVP_PKEY_get_bits() for ed25519 */
	assert_true(ma_findings_has(&f, "dkim.key.ed25519"));
	assert_int_equal(ma_findings_worst(&f), MA_SEV_OK);
	ma_findings_fini(&f);
	free(rec);

	/* RFC 8463 4: p= is the raw 32 bytes. The SubjectPublicKeyInfo `openssl pkey -pubout` prints is an ed25519
	 * key too, but verifiers take p= as the raw key and fail every signature: invalid, not a type mismatch. */
	rec = rec_with_key("v=DKIM1; k=ed25519; p=", k->ed_spki);
	f = PARSE(rec, &got);
	assert_false(got.valid);
	assert_int_equal(got.actual, MA_DKIM_KEY_ED25519);
	assert_true(ma_findings_has(&f, "dkim.key.invalid"));
	assert_false(ma_findings_has(&f, "dkim.key.type-mismatch"));
	assert_false(ma_findings_has(&f, "dkim.key.ed25519"));
	assert_int_equal(ma_findings_worst(&f), MA_SEV_ERROR);
	ma_findings_fini(&f);
	free(rec);
}

static void test_type_mismatch(void **state)
{
	struct keys *k = *state;
	const char *cases[][2] = {
	    {"v=DKIM1; k=ed25519; p=", k->rsa2048}, /* RSA SPKI under k=ed25519 */
	    {"v=DKIM1; p=", k->ed_raw},             /* k defaults to rsa; 32 raw bytes are ed25519 */
	    {"v=DKIM1; k=rsa; p=", k->ed_spki},     /* an ed25519 SPKI under k=rsa */
	};
	for (size_t i = 0; i < 3; i++) {
		char *rec = rec_with_key(cases[i][0], cases[i][1]);
		struct ma_dkim_key got;
		struct ma_findings f = PARSE(rec, &got);
		assert_false(got.valid);
		assert_true(ma_findings_has(&f, "dkim.key.type-mismatch"));
		assert_int_equal(ma_findings_worst(&f), MA_SEV_ERROR);
		ma_findings_fini(&f);
		free(rec);
	}
}

/* ---- every other finding ------------------------------------------------------------------------------------ */

static void test_findings_table(void **state)
{
	(void)state;
	static const struct {
		const char *rec;
		const char *id;
		bool valid;
		bool is_dkim;
	} cases[] = {
	    {"", "dkim.record.empty", false, false},
	    {"  \t ", "dkim.record.empty", false, false},
	    {"v=DKIM1; p=", "dkim.key.revoked", true, true},
	    {"p=", "dkim.key.revoked", true, true},
	    {"v=DKIM1; k=rsa", "dkim.key.missing", false, true},
	    {"v=DKIM1; p=MIIB$$$", "dkim.key.base64-invalid", false, true},
	    {"v=DKIM1; p=QUJD=", "dkim.key.base64-invalid", false, true},    /* bad padding */
	    {"v=DKIM1; p=QQ==QUJD", "dkim.key.base64-invalid", false, true}, /* data after padding */
	    {"v=DKIM1; p=QUJDREVG", "dkim.key.invalid", false, true},        /* "ABCDEF" is not a key */
	    {"v=DKIM1; k=ed25519; p=HbawiMnQXTCopHTkR0jlKQ==", "dkim.key.invalid", false, true},
	    {"v=DKIM1; k=dsa; p=QUJD", "dkim.key.type-unknown", false, true},
	    {"v=DKIM1; h=sha1; p=", "dkim.hash.sha1-only", false, true},
	    {"v=DKIM1; h=sha512:md5; p=", "dkim.hash.unsupported", false, true},
	    {"v=DKIM1; h=; p=", "dkim.hash.unsupported", false, true},
	    {"v=DKIM1; s=tlsrpt; p=", "dkim.service.not-email", false, true},
	    {"v=DKIM1; t=y; p=", "dkim.flag.testing", true, true},
	    {"v=DKIM1; t=s; p=", "dkim.flag.strict", true, true},
	    {"v=DKIM1; x=1; p=", "dkim.tag.unknown", true, true},
	    {"v=DKIM1; p=; p=", "dkim.tag.duplicate", false, true},
	    {"v=DKIM1; p", "dkim.record.syntax", false, false},
	    {"v=DKIM1;; p=", "dkim.record.empty-tag", true, true},
	    {";", "dkim.record.empty", false, false},
	    {"; ;", "dkim.record.empty", false, false},
	    {"v=DKIM1; 1x=2; p=", "dkim.record.syntax", false, false},
	    {"v=DKIM1; n=caf\xc3\xa9; p=", "dkim.record.syntax", false, false},
	    {"v=DKIM2; p=", "dkim.record.version-invalid", false, false},
	    {"v=dkim1; p=", "dkim.record.version-invalid", false, false},
	    {"p=; v=DKIM1", "dkim.record.version-not-first", false, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_dkim_key got;
		struct ma_findings f = PARSE(cases[i].rec, &got);
		if (!ma_findings_has(&f, cases[i].id))
			fail_msg("case %zu '%s': want %s", i, cases[i].rec, cases[i].id);
		if (got.valid != cases[i].valid || got.is_dkim != cases[i].is_dkim)
			fail_msg("case %zu '%s': valid %d is_dkim %d", i, cases[i].rec, got.valid, got.is_dkim);
		ma_findings_fini(&f);
	}
}

static void test_values_case_and_lists(void **state)
{
	(void)state;
	/* ABNF strings are case-insensitive (RFC 5234 2.3): h=SHA256 allows sha256; unknown list items are ignored */
	struct ma_dkim_key got;
	struct ma_findings f = PARSE("v=DKIM1; h=sha1 : SHA256:md5; s=email:tlsrpt; t=Y:s:x; k=RSA; p=", &got);
	assert_true(got.valid);
	assert_true(got.revoked);
	assert_true(got.h_set && got.h_sha1 && got.h_sha256);
	assert_true(got.s_email);
	assert_int_equal(got.flags, MA_DKIM_FLAG_TESTING | MA_DKIM_FLAG_STRICT);
	assert_int_equal(got.k, MA_DKIM_KEY_RSA);
	assert_false(ma_findings_has(&f, "dkim.hash.sha1-only"));
	ma_findings_fini(&f);
}

static void test_caps(void **state)
{
	(void)state;
	/* 64 KiB: over the record cap, refused before any parsing */
	size_t n = 64 * 1024;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'A', n);
	memcpy(big, "v=DKIM1; p=", 11);
	struct ma_dkim_key got;
	struct ma_findings f = parse(big, n, &got);
	assert_true(ma_findings_has(&f, "dkim.record.too-long"));
	assert_false(got.valid);
	ma_findings_fini(&f);

	/* 10,000 tags are ~50 KB, over the byte cap; 1,000 short ones fit in it and hit the tag cap instead */
	size_t o = 0;
	for (int i = 0; i < 10000 && o + 8 < n; i++)
		o += (size_t)snprintf(big + o, n - o, "a%d=b;", i % 10);
	f = parse(big, o, &got);
	assert_true(ma_findings_has(&f, "dkim.record.too-long"));
	ma_findings_fini(&f);
	o = 0;
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(big + o, n - o, "t%d=b;", i);
	f = parse(big, o, &got);
	assert_true(ma_findings_has(&f, "dkim.record.too-many-tags"));
	assert_false(got.valid);
	ma_findings_fini(&f);
	free(big);
}

static void test_hostile_bytes(void **state)
{
	(void)state;
	/* An embedded NUL is a control byte in a value: a syntax finding, and nothing read past len */
	static const char nul[] = "v=DKIM1; p=QUJD\0REVG";
	struct ma_dkim_key got;
	struct ma_findings f = parse(nul, sizeof nul - 1, &got);
	assert_true(ma_findings_has(&f, "dkim.record.syntax"));
	assert_false(got.valid);
	ma_findings_fini(&f);
	/* Only a prefix of a buffer counts: "v=DKIM1; p=" of a longer string is a revoked key */
	f = parse("v=DKIM1; p=garbage!!", 11, &got);
	assert_true(got.revoked);
	ma_findings_fini(&f);
	/* Findings are optional */
	assert_int_equal(ma_dkim_key_parse("v=DKIM1; p=", 11, &got, NULL), MA_OK);
	assert_true(got.revoked);
}

/* ---- lint contract -------------------------------------------------------------------------------------------- */

static void test_lint_json(void **state)
{
	struct keys *k = *state;
	char *rec = rec_with_key("v=DKIM1; k=rsa; t=y; p=", k->rsa1024);
	struct ma_lint_result r;
	assert_int_equal(ma_dkim_lint(rec, strlen(rec), &r), MA_OK);
	assert_true(r.valid);
	assert_string_equal(json_string_value(json_object_get(r.parsed, "key_type")), "rsa");
	assert_int_equal(json_integer_value(json_object_get(r.parsed, "bits")), 1024);
	assert_true(json_is_false(json_object_get(r.parsed, "revoked")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(r.parsed, "t"), 0)), "y");
	assert_true(ma_findings_has(&r.findings, "dkim.flag.testing"));
	assert_true(ma_findings_has(&r.findings, "dkim.key.rsa-short"));
	ma_lint_result_fini(&r);
	free(rec);

	assert_int_equal(ma_dkim_lint("v=DKIM1; p", 10, &r), MA_OK);
	assert_false(r.valid);
	assert_true(json_is_object(r.parsed));
	assert_int_equal(json_object_size(r.parsed), 0);
	ma_lint_result_fini(&r);
	assert_int_equal(ma_dkim_lint(NULL, 3, &r), MA_ERR_INVAL);
	ma_lint_result_fini(&r);
}

/* ---- shared vectors ------------------------------------------------------------------------------------------ */

static json_t *load_vectors(void)
{
	const char *dir = getenv("MA_SHARED_DIR");
	if (dir == NULL || *dir == '\0')
		return NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/suites/dkim/vectors.json", dir);
	return json_load_file(path, 0, NULL);
}

static void check_vector(const char *suite, json_t *v)
{
	const char *txt = json_string_value(json_object_get(v, "txt"));
	const char *expect = json_string_value(json_object_get(v, "expect"));
	assert_non_null(txt);
	assert_non_null(expect);
	struct ma_lint_result r;
	assert_int_equal(ma_dkim_lint(txt, strlen(txt), &r), MA_OK);
	struct ma_dkim_key key;
	assert_int_equal(ma_dkim_key_parse(txt, strlen(txt), &key, NULL), MA_OK);
	bool has_error = ma_findings_worst(&r.findings) >= MA_SEV_ERROR;
	const char *kind = json_string_value(json_object_get(v, "kind"));
	json_t *is_dkim = json_object_get(v, "is_dkim");
	if (kind != NULL && strcmp(kind, "dkim-report-record") == 0) {
		/* An RFC 6651 reporting record is fine as what it is, but it is not a key record. */
		assert_false(key.is_dkim);
	} else if (strcmp(txt, "v=DKIM1; p=; ") == 0) {
		/* Disagreement, on purpose: mox rejects whitespace after the final ';'; the vectors' notes call it
		 * implementation-defined and most verifiers (and we) accept it. */
		assert_true(r.valid && key.revoked);
	} else if (strcmp(expect, "error") == 0) {
		if (!(has_error && !r.valid))
			fail_msg("%s: '%s' should be rejected", suite, txt);
	} else if (strcmp(expect, "revoked") == 0) {
		assert_true(r.valid && key.revoked);
		assert_true(ma_findings_has(&r.findings, "dkim.key.revoked"));
	} else {
		if (!r.valid || has_error)
			fail_msg("%s: '%s' should be accepted", suite, txt);
	}
	if (is_dkim != NULL && json_is_boolean(is_dkim) && key.is_dkim != json_is_true(is_dkim))
		fail_msg("%s: '%s' is_dkim %d", suite, txt, key.is_dkim);
	ma_lint_result_fini(&r);
}

static void test_shared_vectors(void **state)
{
	(void)state;
	json_t *root = load_vectors();
	if (root == NULL)
		skip();
	size_t n = 0;
	const char *suites[] = {"mox", "stalwart", "rfc8463_appendix_A2"};
	for (size_t s = 0; s < 3; s++) {
		json_t *arr = json_object_get(root, suites[s]);
		assert_true(json_is_array(arr));
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		{
			check_vector(suites[s], v);
			n++;
		}
	}
	assert_true(n >= 20);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rsa_sizes),
	    cmocka_unit_test(test_rsa_whitespace_in_p),
	    cmocka_unit_test(test_pkcs1),
	    cmocka_unit_test(test_ed25519),
	    cmocka_unit_test(test_type_mismatch),
	    cmocka_unit_test(test_findings_table),
	    cmocka_unit_test(test_values_case_and_lists),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_hostile_bytes),
	    cmocka_unit_test(test_lint_json),
	    cmocka_unit_test(test_shared_vectors),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
