/* tests/support/testca.h — a certificate authority made at test time (OpenSSL 3 API), for TLS tests against real
 * servers on loopback: a CA certificate and leaf certificates with the names, validity window and key type a test
 * needs, written as PEM files into a directory.
 *
 * Use: ca = testca_new(dir, TESTCA_EC); testca_leaf(ca, &(struct testca_leaf_opts){.names = ..., .nnames = 1,
 * .basename = "good"}, &leaf); then hand testca_ca_file(ca) to the client (CURLOPT_CAINFO, --ca-file) and
 * leaf.cert / leaf.key to the server. Errors print why on stderr and return NULL / -1. */
#ifndef MA_TEST_TESTCA_H
#define MA_TEST_TESTCA_H

#include <stdbool.h>
#include <stddef.h>

enum testca_key {
	TESTCA_EC = 0, /* P-256 (fast to make) */
	TESTCA_RSA,    /* RSA 2048 */
};

struct testca;

/* Makes dir (mode 0700, parents must exist) if needed and writes dir/ca.crt and dir/ca.key. */
struct testca *testca_new(const char *dir, enum testca_key key);
/* Path of the CA certificate (PEM): the trust anchor for clients. */
const char *testca_ca_file(const struct testca *ca);
const char *testca_dir(const struct testca *ca);
/* Frees memory only; the files stay (the test's temp directory owns them). */
void testca_free(struct testca *ca);

struct testca_leaf_opts {
	const char *const *names; /* subjectAltName entries: DNS names, or IP literals (IP SAN); names[0] is the CN */
	size_t nnames;            /* at least 1 */
	const char *basename;     /* files dir/<basename>.crt, .key, and .chain.crt (leaf then CA); required */
	long not_before;          /* seconds from now (negative: in the past); 0 with not_after 0: -3600 */
	long not_after;           /* seconds from now; 0 with not_before 0: +30 days. Both negative: expired */
	bool self_signed;         /* signed by its own key, not the CA's (issuer = subject) */
	enum testca_key key;
};

struct testca_leaf {
	char cert[512];  /* the leaf alone */
	char chain[512]; /* leaf followed by the CA certificate (what a server should send) */
	char key[512];   /* its private key, unencrypted PKCS#8 */
};

int testca_leaf(struct testca *ca, const struct testca_leaf_opts *opts, struct testca_leaf *out);

#endif
