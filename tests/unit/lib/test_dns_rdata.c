/* tests/unit/lib/test_dns_rdata.c — the wire-format decoders every evaluator trusts with hostile rdata. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"
#include "lib/err.h"

static void test_txt_join(void **state)
{
	(void)state;
	static const struct {
		const char *wire;
		size_t len;
		int err;
		const char *want;
		size_t wantlen;
	} cases[] = {
		{"\x07v=spf1 \x04-all", 13, MA_OK, "v=spf1 -all", 11},
		{"\x00", 1, MA_OK, "", 0},                      /* one empty string */
		{"\x00\x00\x03" "abc", 6, MA_OK, "abc", 3},     /* empty strings contribute nothing */
		{"\x03" "a\0b", 4, MA_OK, "a\0b", 3},           /* NULs are data */
		{"\x05" "abc", 4, MA_ERR_PARSE, NULL, 0},       /* length runs past the rdata */
		{"\x03" "abc\x01", 5, MA_ERR_PARSE, NULL, 0},   /* truncated second string */
		{"", 0, MA_OK, "", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_dns_rdata rd = {(const uint8_t *)cases[i].wire, cases[i].len};
		char *got = NULL;
		size_t gotlen = 99;
		int err = ma_dns_txt_join(&rd, &got, &gotlen);
		assert_int_equal(err, cases[i].err);
		if (err == MA_OK) {
			assert_int_equal(gotlen, cases[i].wantlen);
			assert_memory_equal(got, cases[i].want, gotlen);
			assert_int_equal(got[gotlen], '\0');
		} else {
			assert_null(got);
		}
		free(got);
	}
}

static void test_name_roundtrip(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int wirelen; /* <0: the error */
		const char *out;
	} cases[] = {
		{"example.com", 13, "example.com"},
		{"example.com.", 13, "example.com"},
		{".", 1, "."},
		{"_dmarc.Example.COM", 20, "_dmarc.Example.COM"},
		{"a\\.b.c", 7, "a\\.b.c"},          /* a dot inside a label */
		{"\\255x.c", 6, "\\255x.c"},        /* a non-ASCII byte */
		{"sp\\032ace.c", 10, "sp\\032ace.c"}, /* a space, escaped on the way out */
		{"a..b", MA_ERR_INVAL, NULL},        /* empty label */
		{"\\999.c", MA_ERR_INVAL, NULL},     /* escape out of range */
		{"trailing\\", MA_ERR_INVAL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t wire[300];
		int w = ma_dns_name_encode(cases[i].in, wire, sizeof wire);
		assert_int_equal(w, cases[i].wirelen);
		if (w < 0)
			continue;
		char out[MA_DNS_NAME_MAX + 1];
		size_t off = 0;
		assert_int_equal(ma_dns_name_decode(wire, (size_t)w, &off, out, sizeof out), MA_OK);
		assert_int_equal(off, (size_t)w);
		assert_string_equal(out, cases[i].out);
	}
}

static void test_name_limits(void **state)
{
	(void)state;
	char label63[64], label64[65];
	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'a', 64);
	label64[64] = '\0';
	uint8_t wire[512];
	assert_int_equal(ma_dns_name_encode(label63, wire, sizeof wire), 65);
	assert_int_equal(ma_dns_name_encode(label64, wire, sizeof wire), MA_ERR_INVAL);
	assert_true(ma_dns_name_is_valid(label63, 63));
	assert_false(ma_dns_name_is_valid(label64, 64));

	/* 253 presentation characters (255 on the wire) is the longest name; one more is too long. */
	char name[300];
	size_t n = 0;
	while (n + 64 <= 253) {
		memcpy(name + n, label63, 63);
		n += 63;
		name[n++] = '.';
	}
	while (n < 253)
		name[n++] = 'b';
	name[n] = '\0';
	assert_true(ma_dns_name_is_valid(name, n));
	assert_int_equal(ma_dns_name_encode(name, wire, sizeof wire), 255);
	name[n++] = 'b';
	name[n] = '\0';
	assert_false(ma_dns_name_is_valid(name, n));
	assert_int_equal(ma_dns_name_encode(name, wire, sizeof wire), MA_ERR_INVAL);

	assert_false(ma_dns_name_is_valid("", 0));
	assert_false(ma_dns_name_is_valid("a..b", 4));
	assert_true(ma_dns_name_is_valid("a.b.", 4));

	/* Decoding refuses over-long wire names and labels running past the data. */
	uint8_t longwire[300];
	size_t o = 0;
	for (int l = 0; l < 4; l++) {
		longwire[o++] = 63;
		memset(longwire + o, 'x', 63);
		o += 63;
	}
	longwire[o++] = 0;
	char out[MA_DNS_NAME_MAX + 1];
	size_t off = 0;
	assert_int_equal(ma_dns_name_decode(longwire, o, &off, out, sizeof out), MA_ERR_PARSE);
	static const uint8_t past[] = {5, 'a', 'b'};
	off = 0;
	assert_int_equal(ma_dns_name_decode(past, sizeof past, &off, out, sizeof out), MA_ERR_PARSE);
	static const uint8_t pointer[] = {0xc0, 0x0c};
	off = 0;
	assert_int_equal(ma_dns_name_decode(pointer, sizeof pointer, &off, out, sizeof out), MA_ERR_PARSE);
	/* An output buffer too small is an error, never an overflow. */
	static const uint8_t ok[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	off = 0;
	assert_int_equal(ma_dns_name_decode(ok, sizeof ok, &off, out, 8), MA_ERR_TOOBIG);
}

static void test_fixed_rdata(void **state)
{
	(void)state;
	static const uint8_t mx[] = {0, 10, 4, 'm', 'a', 'i', 'l', 2, 'e', 'x', 0};
	struct ma_dns_rdata rd = {mx, sizeof mx};
	uint16_t pref;
	char host[MA_DNS_NAME_MAX + 1];
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, host, sizeof host), MA_OK);
	assert_int_equal(pref, 10);
	assert_string_equal(host, "mail.ex");
	static const uint8_t nullmx[] = {0, 0, 0}; /* RFC 7505 "MX 0 ." */
	rd = (struct ma_dns_rdata){nullmx, sizeof nullmx};
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, host, sizeof host), MA_OK);
	assert_string_equal(host, ".");
	rd = (struct ma_dns_rdata){mx, 2};
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, host, sizeof host), MA_ERR_PARSE);
	static const uint8_t trailing[] = {0, 10, 0, 'x'};
	rd = (struct ma_dns_rdata){trailing, sizeof trailing};
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, host, sizeof host), MA_ERR_PARSE);

	uint8_t v4[4], v6[16];
	static const uint8_t a[] = {192, 0, 2, 1};
	rd = (struct ma_dns_rdata){a, 4};
	assert_int_equal(ma_dns_rdata_a(&rd, v4), MA_OK);
	rd.len = 3;
	assert_int_equal(ma_dns_rdata_a(&rd, v4), MA_ERR_PARSE);
	assert_int_equal(ma_dns_rdata_aaaa(&rd, v6), MA_ERR_PARSE);
	rd = (struct ma_dns_rdata){mx, 0};
	assert_int_equal(ma_dns_rdata_name(&rd, host, sizeof host), MA_ERR_PARSE);
}

static void test_names_and_helpers(void **state)
{
	(void)state;
	assert_true(ma_dns_name_eq("Example.COM.", "example.com"));
	assert_false(ma_dns_name_eq("example.com", "example.co"));
	assert_true(ma_dns_status_is_temporary(MA_DNS_TIMEOUT));
	assert_true(ma_dns_status_is_temporary(MA_DNS_SERVFAIL));
	assert_false(ma_dns_status_is_temporary(MA_DNS_NXDOMAIN));
	assert_string_equal(ma_dns_type_name(MA_DNS_T_TLSA), "TLSA");
	assert_string_equal(ma_dns_type_name(65000), "TYPE65000");
	assert_string_equal(ma_dns_status_name(MA_DNS_BOGUS), "bogus");
	assert_string_equal(ma_dnssec_name(MA_DNSSEC_SECURE), "secure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt_join),
		cmocka_unit_test(test_name_roundtrip),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_fixed_rdata),
		cmocka_unit_test(test_names_and_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
