/* tests/support/testca.c — a certificate authority made at test time with the OpenSSL 3 API (see testca.h).
 *
 * Certificates are X.509 v3 as public CAs issue them (RFC 5280 4.2): the CA has basicConstraints CA:TRUE (critical)
 * and keyCertSign; leaves have CA:FALSE, digitalSignature (+ keyEncipherment for RSA), extendedKeyUsage serverAuth,
 * subject and authority key identifiers, and their names in subjectAltName, which is what TLS clients match
 * (RFC 6125 6.4.4: the CN is not consulted when a SAN is present). Serial numbers are 16 random bytes. */
#include "testca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct testca {
	char dir[400];
	char ca_file[512];
	EVP_PKEY *key;
	X509 *cert;
};

static void ssl_fail(const char *what)
{
	fprintf(stderr, "testca: %s failed:", what);
	unsigned long e;
	while ((e = ERR_get_error()) != 0) {
		char buf[256];
		ERR_error_string_n(e, buf, sizeof buf);
		fprintf(stderr, " %s", buf);
	}
	fputc('\n', stderr);
}

static EVP_PKEY *make_key(enum testca_key kind)
{
	EVP_PKEY *k = kind == TESTCA_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	if (k == NULL)
		ssl_fail("key generation");
	return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL) {
		ssl_fail(value);
		return -1;
	}
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int random_serial(X509 *cert)
{
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	raw[0] &= 0x7f; /* RFC 5280 4.1.2.2: positive */
	BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
	int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* The fields of a certificate for subject_key named cn, issued by issuer (NULL: self-issued); unsigned. */
static X509 *make_cert(EVP_PKEY *subject_key, const char *cn, X509 *issuer, long nb, long na)
{
	X509 *c = X509_new();
	if (c == NULL)
		return NULL;
	X509_NAME *name = X509_get_subject_name(c);
	if (!X509_set_version(c, X509_VERSION_3) || random_serial(c) != 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(c), nb) == NULL || X509_gmtime_adj(X509_getm_notAfter(c), na) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mailassure tests", -1, -1,
	                                0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_set_pubkey(c, subject_key)) {
		ssl_fail("certificate fields");
		X509_free(c);
		return NULL;
	}
	return c;
}

static int sign(X509 *c, EVP_PKEY *key)
{
	if (X509_sign(c, key, EVP_sha256()) <= 0) {
		ssl_fail("X509_sign");
		return -1;
	}
	return 0;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *const *certs, size_t ncerts)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		fprintf(stderr, "testca: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int ok = 1;
	if (key)
		ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	for (size_t i = 0; i < ncerts && ok; i++)
		ok = PEM_write_X509(fp, certs[i]);
	if (fclose(fp) != 0 || !ok) {
		ssl_fail(path);
		return -1;
	}
	return 0;
}

struct testca *testca_new(const char *dir, enum testca_key kind)
{
	struct testca *ca = calloc(1, sizeof *ca);
	if (ca == NULL)
		return NULL;
	snprintf(ca->dir, sizeof ca->dir, "%s", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "testca: mkdir %s: %s\n", dir, strerror(errno));
		goto fail;
	}
	snprintf(ca->ca_file, sizeof ca->ca_file, "%s/ca.crt", dir);
	char keypath[512];
	snprintf(keypath, sizeof keypath, "%s/ca.key", dir);
	ca->key = make_key(kind);
	if (ca->key == NULL)
		goto fail;
	/* Valid from a day ago for ten years: a CA that is always valid while its leaves vary. */
	ca->cert = make_cert(ca->key, "mailassure test CA", NULL, -86400L, 3650L * 86400L);
	if (ca->cert == NULL || add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
	    add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
	    add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") != 0 || sign(ca->cert, ca->key) != 0)
		goto fail;
	if (write_pem(ca->ca_file, NULL, &ca->cert, 1) != 0 || write_pem(keypath, ca->key, NULL, 0) != 0)
		goto fail;
	return ca;
fail:
	testca_free(ca);
	return NULL;
}

const char *testca_ca_file(const struct testca *ca)
{
	return ca->ca_file;
}

const char *testca_dir(const struct testca *ca)
{
	return ca->dir;
}

void testca_free(struct testca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca);
}

/* "DNS:a,IP:192.0.2.1,..." for the names; -1 when it does not fit. */
static int san_value(const struct testca_leaf_opts *o, char *out, size_t outsz)
{
	size_t off = 0;
	for (size_t i = 0; i < o->nnames; i++) {
		unsigned char tmp[16];
		bool ip = inet_pton(AF_INET, o->names[i], tmp) == 1 || inet_pton(AF_INET6, o->names[i], tmp) == 1;
		int n = snprintf(out + off, outsz - off, "%s%s:%s", i ? "," : "", ip ? "IP" : "DNS", o->names[i]);
		if (n < 0 || (size_t)n >= outsz - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int testca_leaf(struct testca *ca, const struct testca_leaf_opts *o, struct testca_leaf *out)
{
	if (ca == NULL || o == NULL || out == NULL || o->nnames == 0 || o->names == NULL || o->basename == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	long nb = o->not_before, na = o->not_after;
	if (nb == 0 && na == 0) {
		nb = -3600;
		na = 30L * 86400L;
	}
	char san[4096];
	if (san_value(o, san, sizeof san) != 0) {
		fprintf(stderr, "testca: too many names\n");
		return -1;
	}
	int rc = -1;
	EVP_PKEY *key = make_key(o->key);
	X509 *c = NULL;
	if (key == NULL)
		goto out;
	X509 *issuer = o->self_signed ? NULL : ca->cert;
	c = make_cert(key, o->names[0], issuer, nb, na);
	if (c == NULL)
		goto out;
	X509 *ext_issuer = o->self_signed ? c : ca->cert;
	const char *ku =
	    o->key == TESTCA_RSA ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
	if (add_ext(c, ext_issuer, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(c, ext_issuer, NID_key_usage, ku) != 0 ||
	    add_ext(c, ext_issuer, NID_ext_key_usage, "serverAuth") != 0 ||
	    add_ext(c, ext_issuer, NID_subject_key_identifier, "hash") != 0 ||
	    (!o->self_signed && add_ext(c, ext_issuer, NID_authority_key_identifier, "keyid:always") != 0) ||
	    add_ext(c, ext_issuer, NID_subject_alt_name, san) != 0 || sign(c, o->self_signed ? key : ca->key) != 0)
		goto out;
	snprintf(out->cert, sizeof out->cert, "%s/%s.crt", ca->dir, o->basename);
	snprintf(out->chain, sizeof out->chain, "%s/%s.chain.crt", ca->dir, o->basename);
	snprintf(out->key, sizeof out->key, "%s/%s.key", ca->dir, o->basename);
	X509 *chain[2] = {c, ca->cert};
	if (write_pem(out->cert, NULL, &c, 1) != 0 || write_pem(out->chain, NULL, chain, o->self_signed ? 1 : 2) != 0 ||
	    write_pem(out->key, key, NULL, 0) != 0)
		goto out;
	rc = 0;
out:
	X509_free(c);
	EVP_PKEY_free(key);
	return rc;
}
