/* tests/unit/lib/test_psl_vectors.c — the Public Suffix List's own test vectors (suites/psl/test_psl.txt) through
 * ma_dmarc_org_psl(), with libpsl's data: psl_latest() (the newest of the built-in list and Debian's
 * /usr/share/publicsuffix) and, when present, the Debian dafsa loaded explicitly.
 * checkPublicSuffix(name, null) means the name has no organisational domain (a public suffix, a leading dot). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"

/* One quoted JavaScript argument, or null. Returns the position after it, NULL on a parse error. */
static const char *js_arg(const char *p, char *out, size_t outsz, bool *is_null)
{
	while (*p == ' ')
		p++;
	if (strncmp(p, "null", 4) == 0) {
		*is_null = true;
		out[0] = '\0';
		return p + 4;
	}
	if (*p != '\'')
		return NULL;
	p++;
	size_t n = 0;
	while (*p && *p != '\'' && n + 1 < outsz)
		out[n++] = *p++;
	if (*p != '\'')
		return NULL;
	out[n] = '\0';
	*is_null = false;
	return p + 1;
}

static size_t run_vectors(const psl_ctx_t *psl, const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[1024];
	size_t n = 0, failed = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		const char *p = strstr(line, "checkPublicSuffix(");
		if (p == NULL || strncmp(line, "//", 2) == 0)
			continue;
		p += strlen("checkPublicSuffix(");
		char in[512], want[512];
		bool in_null, want_null;
		p = js_arg(p, in, sizeof in, &in_null);
		assert_non_null(p);
		while (*p == ',' || *p == ' ')
			p++;
		assert_non_null(js_arg(p, want, sizeof want, &want_null));
		n++;
		char got[MA_DNS_NAME_MAX + 1];
		int rc = in_null ? MA_ERR_INVAL : ma_dmarc_org_psl(psl, in, got, sizeof got);
		if (want_null) {
			if (rc == MA_OK) {
				print_message("%s: got %s, want none\n", in, got);
				failed++;
			}
		} else if (rc != MA_OK || strcmp(got, want) != 0) {
			print_message("%s: got %s (%d), want %s\n", in, rc == MA_OK ? got : "none", rc, want);
			failed++;
		}
	}
	fclose(f);
	assert_int_equal(failed, 0);
	return n;
}

static const char *vectors_path(char *buf, size_t sz)
{
	const char *dir = getenv("MA_SHARED_DIR");
	if (dir == NULL)
		return NULL;
	snprintf(buf, sz, "%s/suites/psl/test_psl.txt", dir);
	FILE *f = fopen(buf, "r");
	if (f == NULL)
		return NULL;
	fclose(f);
	return buf;
}

static void test_psl_latest(void **state)
{
	(void)state;
	char path[4096];
	if (vectors_path(path, sizeof path) == NULL)
		skip();
	psl_ctx_t *psl = psl_latest(NULL);
	assert_non_null(psl);
	assert_true(run_vectors(psl, path) >= 70);
	psl_free(psl);
}

static void test_psl_debian_dafsa(void **state)
{
	(void)state;
	char path[4096];
	if (vectors_path(path, sizeof path) == NULL)
		skip();
	psl_ctx_t *psl = psl_load_file("/usr/share/publicsuffix/public_suffix_list.dafsa");
	if (psl == NULL)
		skip(); /* Debian package 'publicsuffix' not installed */
	assert_true(run_vectors(psl, path) >= 70);
	psl_free(psl);
}

static void test_org_psl_errors(void **state)
{
	(void)state;
	psl_ctx_t *psl = psl_latest(NULL);
	char out[MA_DNS_NAME_MAX + 1];
	assert_int_equal(ma_dmarc_org_psl(NULL, "example.com", out, sizeof out), MA_ERR_INVAL);
	assert_int_equal(ma_dmarc_org_psl(psl, "", out, sizeof out), MA_ERR_INVAL);
	assert_int_equal(ma_dmarc_org_psl(psl, "a..b.com", out, sizeof out), MA_ERR_INVAL);
	assert_int_equal(ma_dmarc_org_psl(psl, "co.uk", out, sizeof out), MA_ERR_NOTFOUND);
	assert_int_equal(ma_dmarc_org_psl(psl, "WWW.Example.co.uk.", out, sizeof out), MA_OK);
	assert_string_equal(out, "example.co.uk");
	assert_int_equal(ma_dmarc_org_psl(psl, "www.example.co.uk", out, 5), MA_ERR_INVAL);
	psl_free(psl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psl_latest),
		cmocka_unit_test(test_psl_debian_dafsa),
		cmocka_unit_test(test_org_psl_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
