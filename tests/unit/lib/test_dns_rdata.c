/* tests/unit/lib/test_dns_rdata.c — the wire-format decoders every evaluator trusts with hostile rdata. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
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
		{"\x00\x00", 2, MA_OK, "", 0},                  /* only empty strings */
		{"\x02" "ab\x00", 4, MA_OK, "ab", 2},            /* a trailing empty string */
		{"\x02" "ab\x02", 4, MA_ERR_PARSE, NULL, 0},     /* a length byte with nothing after it */
		{"\x01", 1, MA_ERR_PARSE, NULL, 0},              /* the rdata is only a length byte */
		{"\xff", 1, MA_ERR_PARSE, NULL, 0},
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

/* The longest character-string (255 octets, RFC 1035 3.3) twice: joined to 510 octets, nothing lost. */
static void test_txt_max_string(void **state)
{
	(void)state;
	uint8_t rdata[512];
	rdata[0] = 255;
	memset(rdata + 1, 'x', 255);
	rdata[256] = 255;
	memset(rdata + 257, 'y', 255);
	struct ma_dns_rdata rd = {rdata, sizeof rdata};
	char *got = NULL;
	size_t len = 0;
	assert_int_equal(ma_dns_txt_join(&rd, &got, &len), MA_OK);
	assert_int_equal(len, 510);
	assert_int_equal(got[254], 'x');
	assert_int_equal(got[255], 'y');
	assert_int_equal(got[510], '\0');
	free(got);
	rd.len = 511; /* the second string one octet short */
	assert_int_equal(ma_dns_txt_join(&rd, &got, &len), MA_ERR_PARSE);
	assert_null(got);
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

/* Wire name from labels: "\x03www\x07example\x00" style, built with lengths so tests read clearly. */
static size_t wire_of(uint8_t *w, const char *const *labels, const size_t *lens, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		w[o++] = (uint8_t)lens[i];
		memcpy(w + o, labels[i], lens[i]);
		o += lens[i];
	}
	w[o++] = 0;
	return o;
}

static void test_name_decode(void **state)
{
	(void)state;
	char out[MA_DNS_NAME_MAX + 1];
	size_t off;
	/* What gets escaped: the zone-file specials and non-printables; '/', '+', '=' stay (RFC 2317 labels). */
	static const struct {
		const char *label;
		size_t len;
		const char *want;
	} esc[] = {
		{"a.b", 3, "a\\.b"},        {"a\\b", 3, "a\\\\b"},     {"a b", 3, "a\\032b"},
		{"0/25", 4, "0/25"},         {"a+b=", 4, "a+b="},         {"_x-Y*", 5, "_x-Y*"},
		{"\"", 1, "\\034"},         {";", 1, "\\059"},           {"\0", 1, "\\000"},
		{"\xff", 1, "\\255"},       {"(", 1, "\\040"},           {"@$", 2, "\\064\\036"},
	};
	for (size_t i = 0; i < sizeof esc / sizeof esc[0]; i++) {
		uint8_t w[80];
		const char *labels[] = {esc[i].label, "c"};
		const size_t lens[] = {esc[i].len, 1};
		size_t wl = wire_of(w, labels, lens, 2);
		off = 0;
		assert_int_equal(ma_dns_name_decode(w, wl, &off, out, sizeof out), MA_OK);
		assert_int_equal(off, wl);
		char want[64];
		snprintf(want, sizeof want, "%s.c", esc[i].want);
		assert_string_equal(out, want);
		/* ... and the presentation form encodes back to the same bytes. */
		uint8_t back[80];
		assert_int_equal(ma_dns_name_encode(out, back, sizeof back), (int)wl);
		assert_memory_equal(back, w, wl);
	}

	/* Labels of 63 octets decode, 64 (and the 0x40/0xC0 pointer prefixes) do not. */
	uint8_t w[300];
	char l63[64];
	memset(l63, 'x', 63);
	const char *labels[] = {l63};
	size_t lens[] = {63};
	size_t wl = wire_of(w, labels, lens, 1);
	off = 0;
	assert_int_equal(ma_dns_name_decode(w, wl, &off, out, sizeof out), MA_OK);
	assert_int_equal(strlen(out), 63);
	w[0] = 64;
	off = 0;
	assert_int_equal(ma_dns_name_decode(w, wl + 1, &off, out, sizeof out), MA_ERR_PARSE);

	/* 255 octets on the wire decode; 256 do not (RFC 1035 2.3.4). */
	const char *l4[] = {l63, l63, l63, l63};
	size_t lens255[] = {63, 63, 63, 61}; /* 64 * 3 + 62 + 1 = 255 */
	wl = wire_of(w, l4, lens255, 4);
	assert_int_equal(wl, 255);
	off = 0;
	assert_int_equal(ma_dns_name_decode(w, wl, &off, out, sizeof out), MA_OK);
	assert_int_equal(strlen(out), 253);
	size_t lens256[] = {63, 63, 63, 62};
	wl = wire_of(w, l4, lens256, 4);
	off = 0;
	assert_int_equal(ma_dns_name_decode(w, wl, &off, out, sizeof out), MA_ERR_PARSE);

	/* The worst case for the output: 255 wire octets of bytes that all need \DDD fit MA_DNS_NAME_MAX + 1. */
	memset(l63, 0x01, 63);
	wl = wire_of(w, l4, lens255, 4);
	off = 0;
	assert_int_equal(ma_dns_name_decode(w, wl, &off, out, sizeof out), MA_OK);
	assert_int_equal(strlen(out), 250 * 4 + 3);

	/* Root, a name at an offset, and a name that never ends. */
	static const uint8_t root[] = {0};
	off = 0;
	assert_int_equal(ma_dns_name_decode(root, 1, &off, out, sizeof out), MA_OK);
	assert_string_equal(out, ".");
	assert_int_equal(off, 1);
	static const uint8_t at2[] = {0xff, 0xff, 1, 'a', 0, 0xee};
	off = 2;
	assert_int_equal(ma_dns_name_decode(at2, sizeof at2, &off, out, sizeof out), MA_OK);
	assert_string_equal(out, "a");
	assert_int_equal(off, 5);
	static const uint8_t endless[] = {1, 'a', 1, 'b'};
	off = 0;
	assert_int_equal(ma_dns_name_decode(endless, sizeof endless, &off, out, sizeof out), MA_ERR_PARSE);
	off = 0;
	assert_int_equal(ma_dns_name_decode(endless, 0, &off, out, sizeof out), MA_ERR_PARSE);

	/* Exactly enough output space works, one byte less is TOOBIG; *off only moves on success. */
	static const uint8_t ex[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	off = 0;
	assert_int_equal(ma_dns_name_decode(ex, sizeof ex, &off, out, 12), MA_OK);
	assert_string_equal(out, "example.com");
	off = 0;
	assert_int_equal(ma_dns_name_decode(ex, sizeof ex, &off, out, 11), MA_ERR_TOOBIG);
	assert_int_equal(off, 0);
}

static void test_name_encode_limits(void **state)
{
	(void)state;
	uint8_t w[600];
	char name[600];
	/* A name over 255 octets is invalid however large the buffer ... */
	memset(name, 'a', sizeof name);
	for (size_t i = 63; i < 400; i += 64)
		name[i] = '.';
	name[300] = '\0';
	assert_int_equal(ma_dns_name_encode(name, w, sizeof w), MA_ERR_INVAL);
	assert_int_equal(ma_dns_name_encode(name, w, 300), MA_ERR_INVAL);
	/* ... escapes count as the one octet they stand for ... */
	char esc[1024];
	size_t n = 0;
	for (int l = 0; l < 3; l++) {
		for (int i = 0; i < 63; i++) {
			memcpy(esc + n, "\\065", 4);
			n += 4;
		}
		esc[n++] = '.';
	}
	for (int i = 0; i < 61; i++)
		esc[n++] = 'b';
	esc[n] = '\0';
	assert_int_equal(ma_dns_name_encode(esc, w, sizeof w), 255);
	assert_int_equal(w[1], 'A');
	assert_false(ma_dns_name_is_valid(esc, n)); /* counts presentation characters, as documented */
	/* ... and a valid name that does not fit the buffer is TOOBIG, never a write past it. */
	assert_int_equal(ma_dns_name_encode("example.com", w, 13), 13);
	assert_int_equal(ma_dns_name_encode("example.com", w, 12), MA_ERR_TOOBIG);
	assert_int_equal(ma_dns_name_encode("example.com", w, 1), MA_ERR_TOOBIG);
	assert_int_equal(ma_dns_name_encode(".", w, 0), MA_ERR_TOOBIG);
	assert_int_equal(ma_dns_name_encode("", w, sizeof w), 1);
	assert_int_equal(ma_dns_name_encode(".a", w, sizeof w), MA_ERR_INVAL);
	assert_int_equal(ma_dns_name_encode("a..", w, sizeof w), MA_ERR_INVAL);
	assert_int_equal(ma_dns_name_encode("\\", w, sizeof w), MA_ERR_INVAL);
	assert_int_equal(ma_dns_name_encode("\\1", w, sizeof w), 3); /* not \DDD: an escaped '1' */
	assert_int_equal(w[1], '1');
	assert_int_equal(ma_dns_name_encode("\\256", w, sizeof w), MA_ERR_INVAL);
	assert_int_equal(ma_dns_name_encode("\\000", w, sizeof w), 3);
	assert_int_equal(w[1], 0);
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

	static const uint8_t mxmax[] = {0xff, 0xfe, 1, 'm', 0}; /* preference is network byte order */
	rd = (struct ma_dns_rdata){mxmax, sizeof mxmax};
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, host, sizeof host), MA_OK);
	assert_int_equal(pref, 0xfffe);
	rd = (struct ma_dns_rdata){mxmax, sizeof mxmax - 1}; /* name cut short */
	assert_int_equal(ma_dns_rdata_mx(&rd, &pref, host, sizeof host), MA_ERR_PARSE);

	/* A and AAAA: exactly 4 and 16 octets (RFC 1035 3.4.1, RFC 3596 2.2). */
	uint8_t v4[4], v6[16];
	static const uint8_t addr[17] = {192, 0, 2, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
	static const struct {
		size_t len;
		int a, aaaa;
	} sizes[] = {
		{0, MA_ERR_PARSE, MA_ERR_PARSE}, {3, MA_ERR_PARSE, MA_ERR_PARSE}, {4, MA_OK, MA_ERR_PARSE},
		{5, MA_ERR_PARSE, MA_ERR_PARSE}, {15, MA_ERR_PARSE, MA_ERR_PARSE}, {16, MA_ERR_PARSE, MA_OK},
		{17, MA_ERR_PARSE, MA_ERR_PARSE},
	};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		rd = (struct ma_dns_rdata){addr, sizes[i].len};
		assert_int_equal(ma_dns_rdata_a(&rd, v4), sizes[i].a);
		assert_int_equal(ma_dns_rdata_aaaa(&rd, v6), sizes[i].aaaa);
	}
	rd = (struct ma_dns_rdata){addr, 4};
	assert_int_equal(ma_dns_rdata_a(&rd, v4), MA_OK);
	assert_memory_equal(v4, addr, 4);
	rd = (struct ma_dns_rdata){addr, 16};
	assert_int_equal(ma_dns_rdata_aaaa(&rd, v6), MA_OK);
	assert_memory_equal(v6, addr, 16);

	/* PTR / CNAME / NS: one name filling the rdata exactly. */
	static const uint8_t ptr[] = {4, 'm', 'a', 'i', 'l', 4, 't', 'e', 's', 't', 0};
	rd = (struct ma_dns_rdata){ptr, sizeof ptr};
	assert_int_equal(ma_dns_rdata_name(&rd, host, sizeof host), MA_OK);
	assert_string_equal(host, "mail.test");
	static const uint8_t ptr_trailing[] = {1, 'a', 0, 0};
	rd = (struct ma_dns_rdata){ptr_trailing, sizeof ptr_trailing};
	assert_int_equal(ma_dns_rdata_name(&rd, host, sizeof host), MA_ERR_PARSE);
	rd = (struct ma_dns_rdata){ptr, sizeof ptr - 1};
	assert_int_equal(ma_dns_rdata_name(&rd, host, sizeof host), MA_ERR_PARSE);
	rd = (struct ma_dns_rdata){ptr, 1};
	assert_int_equal(ma_dns_rdata_name(&rd, host, sizeof host), MA_ERR_PARSE);
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
		cmocka_unit_test(test_name_decode),
		cmocka_unit_test(test_name_encode_limits),
		cmocka_unit_test(test_txt_max_string),
		cmocka_unit_test(test_fixed_rdata),
		cmocka_unit_test(test_names_and_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
