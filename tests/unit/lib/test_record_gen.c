/* tests/unit/lib/test_record_gen.c — the record generator: every option of every kind, bad values refused with a
 * message, the DMARC generation rules (pct/t), SPF size and lookup findings, TXT splitting at 255/256/510 bytes and
 * escapes, and every generated record, split into zone-file strings, re-joined and linted through ma_lint(): valid,
 * with exactly the warnings and errors its options ask for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/lint.h"
#include "lib/record_gen.h"

#define L(...) ((const char *const[]){__VA_ARGS__})
#define N(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* ---- Helpers ------------------------------------------------------------------------------------------------- */

/* Parse presentation-format character-strings back (the reverse of ma_record_gen_txt_strings): each at most 255
 * bytes, joined. Returns the number of strings; *out malloc'd. */
static size_t unsplit(const char *s, char **out, size_t *outlen)
{
	char *buf = malloc(strlen(s) + 1);
	assert_non_null(buf);
	size_t n = 0, len = 0;
	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (*s == '\n')
			break;
		assert_int_equal(*s, '"');
		s++;
		size_t part = 0;
		while (*s != '"') {
			assert_true(*s != '\0');
			unsigned char c = (unsigned char)*s++;
			if (c == '\\') {
				if (s[0] >= '0' && s[0] <= '9') {
					c = (unsigned char)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
					s += 3;
				} else {
					c = (unsigned char)*s++;
				}
			} else {
				assert_true(c >= 0x20 && c < 0x7f); /* everything else must have been escaped */
			}
			buf[len++] = (char)c;
			part++;
		}
		s++;
		if (part > 255)
			fail_msg("a character-string of %zu bytes", part);
		n++;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return n;
}

/* The IDs of warning and error findings, space-separated, in order. */
static void bad_ids(const struct ma_findings *f, char *out, size_t outsz)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < f->n && n < outsz; i++)
		if (f->v[i].def->severity >= MA_SEV_WARNING)
			n += (size_t)snprintf(out + n, outsz - n, "%s%s", n ? " " : "", f->v[i].def->id);
}

/* Lint `len` bytes: valid, and the warnings/errors are exactly `want` (space-separated IDs in lint order). */
static void lint_is(enum ma_lint_kind kind, const char *data, size_t len, const char *want)
{
	struct ma_lint_result r;
	assert_int_equal(ma_lint(kind, data, len, &r), MA_OK);
	char got[1024];
	bad_ids(&r.findings, got, sizeof got);
	if (!r.valid || strcmp(got, want) != 0)
		fail_msg("lint %s of '%.*s': valid=%d, got [%s], want [%s]", ma_lint_kind_name(kind), (int)len, data,
		         r.valid, got, want);
	ma_lint_result_fini(&r);
}

/* The zone line of a generated TXT record: owner, TTL, strings of at most 255 bytes that re-join to the text,
 * and that text lints as `want`. Returns the number of strings. */
static size_t zone_lints(const struct ma_record_gen *g, enum ma_lint_kind kind, const char *want)
{
	char *line;
	assert_int_equal(ma_record_gen_zone(g, 300, &line), MA_OK);
	char prefix[1100];
	snprintf(prefix, sizeof prefix, "%s 300 IN TXT ", g->owner);
	assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
	assert_int_equal(line[strlen(line) - 1], '\n');
	char *joined;
	size_t jl;
	size_t n = unsplit(line + strlen(prefix), &joined, &jl);
	assert_int_equal(jl, g->len);
	assert_memory_equal(joined, g->text, jl);
	assert_int_equal(n, ma_record_gen_txt_count(g->len));
	lint_is(kind, joined, jl, want);
	free(joined);
	free(line);
	return n;
}

static bool only_finding(const struct ma_record_gen *g, const char *id)
{
	return id == NULL ? g->findings.n == 0 : g->findings.n == 1 && strcmp(g->findings.v[0].def->id, id) == 0;
}

/* ---- DMARC --------------------------------------------------------------------------------------------------- */

struct dmarc_case {
	struct ma_record_gen_dmarc_opts o;
	const char *want_text;
	const char *want_lint;    /* warning/error IDs the linter gives */
	const char *want_finding; /* the generator's own finding, or NULL */
};

static void test_dmarc_records(void **state)
{
	(void)state;
	const struct dmarc_case cases[] = {
	    /* The UK standard's parked-domain record. */
	    {{.domain = "example.gov.uk",
	      .p = "reject",
	      .sp = "reject",
	      .adkim = "s",
	      .aspf = "s",
	      .rua = L("mailto:dmarc-rua@dmarc.service.gov.uk"),
	      .nrua = 1},
	     "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s; rua=mailto:dmarc-rua@dmarc.service.gov.uk",
	     "",
	     NULL},
	    /* p=none: monitoring mode is asked for, the linter says so. Values are case-insensitive. */
	    {{.domain = "example.com", .p = "NONE", .rua = L("mailto:d@example.com"), .nrua = 1},
	     "v=DMARC1; p=none; rua=mailto:d@example.com",
	     "dmarc.policy.none",
	     NULL},
	    /* pct=100 is the default: never written. */
	    {{.domain = "example.com", .p = "reject", .pct = "100", .rua = L("mailto:d@example.com"), .nrua = 1},
	     "v=DMARC1; p=reject; rua=mailto:d@example.com",
	     "",
	     NULL},
	    /* A partial rollout for both generations: pct=N and t=y (RFC 9989 A.6). */
	    {{.domain = "example.com", .p = "quarantine", .pct = "50", .rua = L("mailto:d@example.com"), .nrua = 1},
	     "v=DMARC1; p=quarantine; pct=50; t=y; rua=mailto:d@example.com",
	     "dmarc.pct.partial dmarc.testing",
	     "record.dmarc.testing-both"},
	    /* t=y for both generations: pct=0 for RFC 7489 receivers. */
	    {{.domain = "example.com", .p = "reject", .t = "y", .rua = L("mailto:d@example.com"), .nrua = 1},
	     "v=DMARC1; p=reject; pct=0; t=y; rua=mailto:d@example.com",
	     "dmarc.pct.partial dmarc.testing",
	     "record.dmarc.testing-both"},
	    /* pct=0 with an explicit t=y: nothing to add. */
	    {{.domain = "example.com",
	      .p = "reject",
	      .pct = "0",
	      .t = "y",
	      .rua = L("mailto:d@example.com"),
	      .nrua = 1},
	     "v=DMARC1; p=reject; pct=0; t=y; rua=mailto:d@example.com",
	     "dmarc.pct.partial dmarc.testing",
	     NULL},
	    /* RFC 7489 only: pct alone. */
	    {{.domain = "example.com",
	      .generation = MA_RECORD_DMARC_RFC7489,
	      .p = "reject",
	      .pct = "25",
	      .rf = "AFRF",
	      .ri = "3600",
	      .rua = L("mailto:d@example.com"),
	      .nrua = 1},
	     "v=DMARC1; p=reject; pct=25; rf=afrf; ri=3600; rua=mailto:d@example.com",
	     "dmarc.pct.partial",
	     NULL},
	    /* RFC 9989 only: t, np, psd. */
	    {{.domain = "example.com",
	      .generation = MA_RECORD_DMARC_RFC9989,
	      .p = "reject",
	      .sp = "quarantine",
	      .np = "reject",
	      .t = "n",
	      .psd = "n",
	      .rua = L("mailto:d@example.com"),
	      .nrua = 1},
	     "v=DMARC1; p=reject; sp=quarantine; np=reject; t=n; psd=n; rua=mailto:d@example.com",
	     "dmarc.sp.weaker",
	     NULL},
	    /* Every tag at once, for both generations, in canonical order. */
	    {{.domain = "example.com.",
	      .p = "reject",
	      .sp = "reject",
	      .np = "reject",
	      .adkim = "r",
	      .aspf = "S",
	      .pct = "100",
	      .t = "n",
	      .psd = "u",
	      .fo = "D:s:1",
	      .rf = "afrf",
	      .ri = "86400",
	      .rua = L("mailto:a@example.com", "mailto:b@example.net"),
	      .nrua = 2,
	      .ruf = L("mailto:f@example.com"),
	      .nruf = 1},
	     "v=DMARC1; p=reject; sp=reject; np=reject; adkim=r; aspf=s; t=n; psd=u; fo=d:s:1; rf=afrf; ri=86400; "
	     "rua=mailto:a@example.com,mailto:b@example.net; ruf=mailto:f@example.com",
	     "",
	     NULL},
	    /* psd=y is asked for (a public suffix operator). */
	    {{.domain = "example", .p = "reject", .psd = "y", .rua = L("mailto:d@example.com"), .nrua = 1},
	     "v=DMARC1; p=reject; psd=y; rua=mailto:d@example.com",
	     "",
	     NULL},
	    /* No rua is allowed (the linter warns). */
	    {{.domain = "example.com", .p = "reject"}, "v=DMARC1; p=reject", "dmarc.rua.missing", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_dmarc(&cases[i].o, &g);
		if (rc != MA_OK)
			fail_msg("case %zu: %s", i, g.error);
		assert_string_equal(g.text, cases[i].want_text);
		assert_int_equal(g.len, strlen(cases[i].want_text));
		assert_string_equal(g.owner, i == 0   ? "_dmarc.example.gov.uk."
		                             : i == 9 ? "_dmarc.example."
		                                      : "_dmarc.example.com.");
		if (!only_finding(&g, cases[i].want_finding))
			fail_msg("case %zu: generator findings", i);
		assert_int_equal(zone_lints(&g, MA_LINT_DMARC, cases[i].want_lint), 1);
		ma_record_gen_fini(&g);
	}
}

struct bad_case {
	struct ma_record_gen_dmarc_opts o;
	const char *want_in_error;
};

static void test_dmarc_bad(void **state)
{
	(void)state;
	const char *rua[] = {"mailto:d@example.com"};
	char long_label[80];
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".com", 5);
	const struct bad_case cases[] = {
	    {{.domain = "example.com"}, "p: required"},
	    {{.domain = "example.com", .p = "block"}, "p: 'block' is not none, quarantine or reject"},
	    {{.domain = "example.com", .p = "reject", .sp = "x"}, "sp: 'x'"},
	    {{.domain = "example.com", .p = "reject", .np = "rejected"}, "np: 'rejected'"},
	    {{.domain = "example.com", .p = "reject", .adkim = "strict"}, "adkim: 'strict' is not r or s"},
	    {{.domain = "example.com", .p = "reject", .aspf = ""}, "aspf: ''"},
	    {{.domain = "example.com", .p = "reject", .pct = "101"}, "pct: '101' is not a whole number from 0 to 100"},
	    {{.domain = "example.com", .p = "reject", .pct = "-1"}, "pct: '-1'"},
	    {{.domain = "example.com", .p = "reject", .pct = "5a"}, "pct: '5a'"},
	    {{.domain = "example.com", .p = "reject", .pct = ""}, "pct: ''"},
	    {{.domain = "example.com", .p = "reject", .ri = "1h"}, "ri: '1h'"},
	    {{.domain = "example.com", .p = "reject", .ri = "4294967296"}, "ri: '4294967296'"},
	    {{.domain = "example.com", .p = "reject", .rf = "iodef"}, "rf: 'iodef' is not afrf"},
	    {{.domain = "example.com", .p = "reject", .fo = "2"}, "fo: '2'"},
	    {{.domain = "example.com", .p = "reject", .fo = "0:0"}, "fo: '0' is given twice"},
	    {{.domain = "example.com", .p = "reject", .fo = "1:"}, "fo: '1:' ends in ':'"},
	    {{.domain = "example.com", .p = "reject", .fo = "ds"}, "fo: 'ds'"},
	    {{.domain = "example.com", .p = "reject", .fo = ""}, "fo: empty"},
	    {{.domain = "example.com", .p = "reject", .t = "yes"}, "t: 'yes' is not y or n"},
	    {{.domain = "example.com", .p = "reject", .psd = "x"}, "psd: 'x' is not y, n or u"},
	    {{.domain = "example.com", .p = "reject", .rua = L("d@example.com"), .nrua = 1},
	     "did you mean mailto:d@example.com?"},
	    {{.domain = "example.com", .p = "reject", .rua = L("https://example.com/dmarc"), .nrua = 1},
	     "is not a mailto:local@domain URI"},
	    {{.domain = "example.com", .p = "reject", .rua = L("mailto:a@example.com,mailto:b@example.com"), .nrua = 1},
	     "percent-encode"},
	    {{.domain = "example.com", .p = "reject", .rua = L("mailto:a@example.com; p=none"), .nrua = 1},
	     "percent-encode"},
	    {{.domain = "example.com", .p = "reject", .rua = L("mailto:a@-bad-.com"), .nrua = 1}, "is not a mailto:"},
	    {{.domain = "example.com",
	      .p = "reject",
	      .rua = L("mailto:a@example.com", "MAILTO:a@example.com"),
	      .nrua = 2},
	     "given twice"},
	    {{.domain = "example.com", .p = "reject", .ruf = L("mailto:"), .nruf = 1}, "ruf: 'mailto:'"},
	    {{.domain = "example.com", .p = "reject", .rua = rua, .nrua = 1, .ruf = L("x\ty@example.com"), .nruf = 1},
	     "ruf: 'x\\x09y@example.com' has a space"},
	    /* Generations. */
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC9989, .p = "reject", .pct = "50"},
	     "use t=y for testing mode"},
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC9989, .p = "reject", .pct = "100"},
	     "RFC 9989 removed pct"},
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC9989, .p = "reject", .rf = "afrf"},
	     "rf: RFC 9989 removed"},
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC9989, .p = "reject", .ri = "60"},
	     "ri: RFC 9989 removed"},
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC7489, .p = "reject", .t = "y"},
	     "use pct=0 for testing mode"},
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC7489, .p = "reject", .np = "reject"},
	     "np: RFC 7489 has no np tag"},
	    {{.domain = "example.com", .generation = MA_RECORD_DMARC_RFC7489, .p = "reject", .psd = "n"},
	     "psd: RFC 7489 has no psd tag"},
	    {{.domain = "example.com", .generation = (enum ma_record_dmarc_generation)7, .p = "reject"},
	     "generation: unknown"},
	    {{.domain = "example.com", .p = "reject", .pct = "50", .t = "n"}, "pct=50 with t=n"},
	    {{.domain = "example.com", .p = "reject", .pct = "100", .t = "y"}, "pct=100 with t=y"},
	    /* Domains. */
	    {{.p = "reject"}, "a domain is required"},
	    {{.domain = "", .p = "reject"}, "a domain is required"},
	    {{.domain = "exa mple.com", .p = "reject"}, "'exa mple.com' is not a valid domain name"},
	    {{.domain = "-bad.com", .p = "reject"}, "'-bad.com' is not a valid domain name"},
	    {{.domain = "bad-.com", .p = "reject"}, "'bad-.com' is not a valid domain name"},
	    {{.domain = "a..com", .p = "reject"}, "'a..com' is not a valid domain name"},
	    {{.domain = long_label, .p = "reject"}, "is not a valid domain name"},
	    {{.domain = "b\xc3\xbc"
	                "cher.example",
	      .p = "reject"},
	     "A-labels (xn--...)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_dmarc(&cases[i].o, &g);
		if (rc != MA_ERR_INVAL || strstr(g.error, cases[i].want_in_error) == NULL)
			fail_msg("case %zu: rc %d, error '%s', want '%s'", i, rc, g.error, cases[i].want_in_error);
		assert_null(g.text);
		ma_record_gen_fini(&g);
	}
}

/* Eight long rua URIs: over 255 bytes, split, and the re-joined record still lints. */
static void test_dmarc_split(void **state)
{
	(void)state;
	const char *rua[] = {
	    "mailto:aggregate-reports-for-example@reports.dmarc-provider-one.example.net",
	    "mailto:aggregate-reports-for-example@reports.dmarc-provider-two.example.net",
	    "mailto:aggregate-reports-for-example@reports.dmarc-provider-three.example.net",
	    "mailto:aggregate-reports-for-example@reports.dmarc-provider-four.example.net",
	};
	struct ma_record_gen g;
	ma_record_gen_init(&g);
	struct ma_record_gen_dmarc_opts o = {.domain = "example.com", .p = "reject", .rua = rua, .nrua = 4};
	assert_int_equal(ma_record_gen_dmarc(&o, &g), MA_OK);
	assert_true(g.len > 255 && g.len <= 510);
	assert_true(only_finding(&g, "record.txt.split"));
	assert_int_equal(zone_lints(&g, MA_LINT_DMARC, "dmarc.rua.too-many"), 2);
	ma_record_gen_fini(&g);

	/* Over the rua cap. */
	const char *many[40];
	char buf[40][40];
	for (int i = 0; i < 40; i++) {
		snprintf(buf[i], sizeof buf[i], "mailto:r%d@example.com", i);
		many[i] = buf[i];
	}
	ma_record_gen_init(&g);
	o.rua = many;
	o.nrua = 40;
	assert_int_equal(ma_record_gen_dmarc(&o, &g), MA_ERR_TOOBIG);
	assert_non_null(strstr(g.error, "rua: 40 values"));
	ma_record_gen_fini(&g);
}

/* ---- SPF ----------------------------------------------------------------------------------------------------- */

struct spf_case {
	struct ma_record_gen_spf_opts o;
	const char *want_text;
	const char *want_lint;
	const char *want_finding;
};

static void test_spf_records(void **state)
{
	(void)state;
	const struct spf_case cases[] = {
	    /* A domain that sends no mail. */
	    {{.domain = "example.com"}, "v=spf1 -all", "", NULL},
	    /* Every mechanism, cheapest first; addresses canonical, full-length prefixes dropped. */
	    {{.domain = "example.com",
	      .ip4 = L("192.0.2.0/24", "198.51.100.7/32", "203.0.113.9"),
	      .nip4 = 3,
	      .ip6 = L("2001:DB8:0:0::/48", "2001:db8::1/128"),
	      .nip6 = 2,
	      .a = L("", "mail.example.com", "/28"),
	      .na = 3,
	      .mx = L("", "example.net/24"),
	      .nmx = 2,
	      .include = L("_spf.google.com"),
	      .ninclude = 1,
	      .exists = L("%{i}._spf.example.com"),
	      .nexists = 1,
	      .all = "~"},
	     "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.7 ip4:203.0.113.9 ip6:2001:db8::/48 ip6:2001:db8::1 a "
	     "a:mail.example.com a/28 mx mx:example.net/24 include:_spf.google.com exists:%{i}._spf.example.com ~all",
	     "spf.lookups.high",
	     NULL},
	    /* redirect instead of all. */
	    {{.domain = "example.com", .ip4 = L("192.0.2.1"), .nip4 = 1, .redirect = "_spf.example.net"},
	     "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net",
	     "",
	     NULL},
	    {{.domain = "example.com", .all = "?"}, "v=spf1 ?all", "spf.all.neutral", NULL},
	    {{.domain = "example.com", .all = "-"}, "v=spf1 -all", "", NULL},
	    /* +all is asked for: written, but an error finding both here and in the linter. */
	    {{.domain = "example.com", .all = "+"}, "v=spf1 +all", "spf.all.pass", "record.spf.all-pass"},
	    /* A /4 is broad (the linter warns) but allowed. */
	    {{.domain = "example.com", .ip4 = L("0.0.0.0/4"), .nip4 = 1},
	     "v=spf1 ip4:0.0.0.0/4 -all",
	     "spf.ip.broad",
	     NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_spf(&cases[i].o, &g);
		if (rc != MA_OK)
			fail_msg("case %zu: %s", i, g.error);
		assert_string_equal(g.text, cases[i].want_text);
		assert_string_equal(g.owner, "example.com.");
		if (!only_finding(&g, cases[i].want_finding))
			fail_msg("case %zu: generator findings", i);
		zone_lints(&g, MA_LINT_SPF, cases[i].want_lint);
		ma_record_gen_fini(&g);
	}
}

/* RFC 7208 4.6.4: 10 DNS-querying terms are allowed, 11 are an error finding (the linter agrees). */
static void test_spf_lookups(void **state)
{
	(void)state;
	const char *inc[11] = {"i0.example.com", "i1.example.com", "i2.example.com", "i3.example.com",
	                       "i4.example.com", "i5.example.com", "i6.example.com", "i7.example.com",
	                       "i8.example.com", "i9.example.com", "i10.example.com"};
	struct ma_record_gen g;
	ma_record_gen_init(&g);
	struct ma_record_gen_spf_opts o = {.domain = "example.com", .include = inc, .ninclude = 10};
	assert_int_equal(ma_record_gen_spf(&o, &g), MA_OK);
	assert_true(only_finding(&g, NULL));
	zone_lints(&g, MA_LINT_SPF, "spf.lookups.high");
	ma_record_gen_fini(&g);

	ma_record_gen_init(&g);
	o.ninclude = 11;
	assert_int_equal(ma_record_gen_spf(&o, &g), MA_OK);
	assert_true(ma_findings_has(&g.findings, "record.spf.lookups-over-limit"));
	assert_string_equal(g.findings.v[0].detail, "11 DNS-querying terms");
	assert_int_equal(ma_findings_worst(&g.findings), MA_SEV_ERROR);
	zone_lints(&g, MA_LINT_SPF, "spf.lookups.over-limit");
	ma_record_gen_fini(&g);

	/* redirect counts too: 10 includes + redirect. */
	ma_record_gen_init(&g);
	o.ninclude = 10;
	o.redirect = "r.example.com";
	assert_int_equal(ma_record_gen_spf(&o, &g), MA_OK);
	assert_int_equal(g.findings.n, 2); /* 259 bytes: split too */
	assert_true(ma_findings_has(&g.findings, "record.spf.lookups-over-limit"));
	assert_true(ma_findings_has(&g.findings, "record.txt.split"));
	ma_record_gen_fini(&g);

	/* a and mx count like include. */
	ma_record_gen_init(&g);
	struct ma_record_gen_spf_opts o2 = {
	    .domain = "example.com", .a = L(""), .na = 1, .mx = L(""), .nmx = 1, .include = inc, .ninclude = 9};
	assert_int_equal(ma_record_gen_spf(&o2, &g), MA_OK);
	assert_true(only_finding(&g, "record.spf.lookups-over-limit"));
	ma_record_gen_fini(&g);
}

/* UK standard: warn over 450 bytes. 32 ip4 terms 10.0.0.1..32 make exactly 450; 33 make 464. */
static void test_spf_long(void **state)
{
	(void)state;
	char addrs[40][20];
	const char *ip4[40];
	for (int i = 0; i < 40; i++) {
		snprintf(addrs[i], sizeof addrs[i], "10.0.0.%d", i + 1);
		ip4[i] = addrs[i];
	}
	for (size_t n = 1; n <= 40; n++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		struct ma_record_gen_spf_opts o = {.domain = "example.com", .ip4 = ip4, .nip4 = n};
		assert_int_equal(ma_record_gen_spf(&o, &g), MA_OK);
		assert_true(ma_findings_has(&g.findings, "record.spf.long") == (g.len > 450));
		assert_true(ma_findings_has(&g.findings, "record.txt.split") == (g.len > 255));
		if (n == 32) {
			assert_int_equal(g.len, 450);
			assert_true(only_finding(&g, "record.txt.split"));
			zone_lints(&g, MA_LINT_SPF, "");
		}
		if (n == 33) {
			assert_int_equal(g.len, 464);
			assert_true(ma_findings_has(&g.findings, "record.spf.long"));
			assert_int_equal(ma_findings_worst(&g.findings), MA_SEV_WARNING);
			assert_int_equal(zone_lints(&g, MA_LINT_SPF, "spf.record.long"), 2);
		}
		ma_record_gen_fini(&g);
	}
}

struct spf_bad {
	struct ma_record_gen_spf_opts o;
	const char *want_in_error;
};

static void test_spf_bad(void **state)
{
	(void)state;
	const struct spf_bad cases[] = {
	    {{.domain = "example.com", .ip4 = L("300.1.1.1"), .nip4 = 1}, "ip4: '300.1.1.1' is not an IPv4 address"},
	    {{.domain = "example.com", .ip4 = L("2001:db8::1"), .nip4 = 1}, "is not an IPv4 address"},
	    {{.domain = "example.com", .ip4 = L("192.0.2.0/33"), .nip4 = 1}, "bad prefix length (0-32)"},
	    {{.domain = "example.com", .ip4 = L("192.0.2.0/"), .nip4 = 1}, "bad prefix length"},
	    {{.domain = "example.com", .ip4 = L("192.0.2.0/+8"), .nip4 = 1}, "bad prefix length"},
	    {{.domain = "example.com", .ip4 = L("/24"), .nip4 = 1}, "is not an IPv4 address"},
	    {{.domain = "example.com", .ip4 = L("192.0.2.1/24"), .nip4 = 1}, "did you mean 192.0.2.0/24?"},
	    {{.domain = "example.com", .ip6 = L("2001:db8::1/129"), .nip6 = 1}, "bad prefix length (0-128)"},
	    {{.domain = "example.com", .ip6 = L("2001:db8::1/64"), .nip6 = 1}, "did you mean 2001:db8::/64?"},
	    {{.domain = "example.com", .ip6 = L("192.0.2.1"), .nip6 = 1}, "is not an IPv6 address"},
	    {{.domain = "example.com", .include = L(""), .ninclude = 1}, "include: a domain is required"},
	    {{.domain = "example.com", .include = L("example.com -all"), .ninclude = 1}, "include: 'example.com -all'"},
	    {{.domain = "example.com", .include = L("example.com ip4:0.0.0.0/0"), .ninclude = 1},
	     "not a valid domain-spec"},
	    {{.domain = "example.com", .include = L("bad..example.com"), .ninclude = 1}, "not a valid domain-spec"},
	    {{.domain = "example.com", .exists = L("%{z}.example.com"), .nexists = 1}, "exists: '%{z}.example.com'"},
	    {{.domain = "example.com", .a = L("host.example.com/33"), .na = 1}, "a: 'host.example.com/33'"},
	    {{.domain = "example.com", .mx = L("mx\x01.example.com"), .nmx = 1}, "mx: 'mx\\x01.example.com'"},
	    {{.domain = "example.com", .redirect = ""}, "redirect: a domain is required"},
	    {{.domain = "example.com", .redirect = "r.example.com", .all = "-"}, "RFC 7208 6.1"},
	    {{.domain = "example.com", .all = "x"}, "all: 'x' is not one of - ~ ? +"},
	    {{.domain = "example.com", .all = "-~"}, "all: '-~'"},
	    {{.domain = "example.com", .include = L("a.example.com", "A.example.com"), .ninclude = 2}, "given twice"},
	    {{.domain = "example.com", .include = NULL, .ninclude = 1}, "include: list is missing"},
	    {{.domain = "bad domain"}, "is not a valid domain name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_spf(&cases[i].o, &g);
		if (rc != MA_ERR_INVAL || strstr(g.error, cases[i].want_in_error) == NULL)
			fail_msg("case %zu: rc %d, error '%s', want '%s'", i, rc, g.error, cases[i].want_in_error);
		assert_null(g.text);
		ma_record_gen_fini(&g);
	}
	/* Caps: 65 ip4 values; a value over 1024 bytes. */
	const char *many[65];
	for (int i = 0; i < 65; i++)
		many[i] = "192.0.2.1";
	struct ma_record_gen g;
	ma_record_gen_init(&g);
	assert_int_equal(
	    ma_record_gen_spf(&(struct ma_record_gen_spf_opts){.domain = "example.com", .ip4 = many, .nip4 = 65}, &g),
	    MA_ERR_TOOBIG);
	ma_record_gen_fini(&g);
	char big[1100];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	const char *bigl[] = {big};
	ma_record_gen_init(&g);
	assert_int_equal(
	    ma_record_gen_spf(&(struct ma_record_gen_spf_opts){.domain = "example.com", .include = bigl, .ninclude = 1},
	                      &g),
	    MA_ERR_INVAL);
	assert_non_null(strstr(g.error, "too long"));
	ma_record_gen_fini(&g);
	/* 64 includes of 60-byte names: over the 4096-byte text cap. */
	char names[64][64];
	const char *inc[64];
	for (int i = 0; i < 64; i++) {
		snprintf(names[i], sizeof names[i], "include-number-%02d.a-rather-long-sending-service.example.net", i);
		inc[i] = names[i];
	}
	ma_record_gen_init(&g);
	assert_int_equal(
	    ma_record_gen_spf(&(struct ma_record_gen_spf_opts){.domain = "example.com", .include = inc, .ninclude = 64},
	                      &g),
	    MA_ERR_TOOBIG);
	assert_non_null(strstr(g.error, "over 4096 bytes"));
	ma_record_gen_fini(&g);
}

/* ---- MTA-STS ------------------------------------------------------------------------------------------------- */

static void test_mtasts_txt(void **state)
{
	(void)state;
	const struct {
		struct ma_record_gen_mtasts_opts o;
		const char *want;
	} cases[] = {
	    {{.domain = "example.com", .id = "abc123"}, "v=STSv1; id=abc123"},
	    {{.domain = "example.com", .id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
	     "v=STSv1; id=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
	    /* The id from the injected time, UTC. */
	    {{.domain = "example.com", .now = 1700000000}, "v=STSv1; id=20231114221320"},
	    {{.domain = "example.com", .now = 951782400}, "v=STSv1; id=20000229000000"},
	    {{.domain = "example.com", .now = 4102444799}, "v=STSv1; id=20991231235959"},
	    {{.domain = "example.com", .now = 1}, "v=STSv1; id=19700101000001"},
	    /* A given id wins over the time. */
	    {{.domain = "example.com", .id = "7", .now = 1700000000}, "v=STSv1; id=7"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_mtasts(&cases[i].o, &g);
		if (rc != MA_OK)
			fail_msg("case %zu: %s", i, g.error);
		assert_string_equal(g.text, cases[i].want);
		assert_string_equal(g.owner, "_mta-sts.example.com.");
		assert_true(only_finding(&g, NULL));
		zone_lints(&g, MA_LINT_MTA_STS, "");
		ma_record_gen_fini(&g);
	}
	const struct {
		struct ma_record_gen_mtasts_opts o;
		const char *want_in_error;
	} bad[] = {
	    {{.domain = "example.com", .id = ""}, "id: '' is not 1 to 32 letters and digits"},
	    {{.domain = "example.com", .id = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"}, "is not 1 to 32"},
	    {{.domain = "example.com", .id = "2026-01-01"}, "id: '2026-01-01'"},
	    {{.domain = "example.com", .id = "a b"}, "id: 'a b'"},
	    {{.domain = "example.com"}, "no valid current time"},
	    {{.domain = "example.com", .now = -5}, "no valid current time"},
	    {{.domain = "example.com", .now = 253402300800}, "no valid current time"},
	    {{.domain = ".", .id = "1"}, "is not a valid domain name"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_mtasts(&bad[i].o, &g);
		if (rc != MA_ERR_INVAL || strstr(g.error, bad[i].want_in_error) == NULL)
			fail_msg("case %zu: rc %d, error '%s'", i, rc, g.error);
		ma_record_gen_fini(&g);
	}
}

static void test_mtasts_policy(void **state)
{
	(void)state;
	const struct {
		struct ma_record_gen_mtasts_policy_opts o;
		const char *want;
		const char *want_lint;
	} cases[] = {
	    {{.domain = "example.com", .mode = "enforce", .mx = L("mail.example.com", "*.Example.NET."), .nmx = 2},
	     "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 1209600\r\n",
	     ""},
	    /* testing is the default mode, with a day's max_age. */
	    {{.domain = "example.com", .mx = L("mx1.example.com"), .nmx = 1},
	     "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n",
	     ""},
	    {{.domain = "example.com", .mode = "TESTING", .mx = L("mx1.example.com"), .nmx = 1, .max_age = "604800"},
	     "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n",
	     ""},
	    /* mode none needs no mx (RFC 8461 3.2). */
	    {{.domain = "example.com", .mode = "none"}, "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n", ""},
	    /* A short enforce max_age is allowed; the linter warns (UK standard). */
	    {{.domain = "example.com", .mode = "enforce", .mx = L("mx.example.com"), .nmx = 1, .max_age = "3600"},
	     "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 3600\r\n",
	     "mta-sts.policy.max-age-short"},
	    {{.domain = "example.com", .mode = "enforce", .mx = L("mx.example.com"), .nmx = 1, .max_age = "31557600"},
	     "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 31557600\r\n",
	     ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_mtasts_policy(&cases[i].o, &g);
		if (rc != MA_OK)
			fail_msg("case %zu: %s", i, g.error);
		assert_string_equal(g.text, cases[i].want);
		assert_string_equal(g.owner, "");
		assert_string_equal(g.location, "https://mta-sts.example.com/.well-known/mta-sts.txt");
		lint_is(MA_LINT_MTA_STS_POLICY, g.text, g.len, cases[i].want_lint);
		/* No zone line for a file. */
		char *line = (char *)1;
		assert_int_equal(ma_record_gen_zone(&g, 300, &line), MA_ERR_INVAL);
		assert_null(line);
		ma_record_gen_fini(&g);
	}
	const struct {
		struct ma_record_gen_mtasts_policy_opts o;
		const char *want_in_error;
	} bad[] = {
	    {{.domain = "example.com", .mode = "on", .mx = L("mx.example.com"), .nmx = 1},
	     "mode: 'on' is not enforce, testing or none"},
	    {{.domain = "example.com", .mode = "enforce"}, "at least one pattern is required in enforce mode"},
	    {{.domain = "example.com"}, "required in testing mode"},
	    {{.domain = "example.com", .mx = L("*.*.example.com"), .nmx = 1}, "mx: '*.*.example.com'"},
	    {{.domain = "example.com", .mx = L("mail"), .nmx = 1}, "mx: 'mail' is not a host name pattern"},
	    {{.domain = "example.com", .mx = L("*.com."), .nmx = 1}, "mx: '*.com.'"},
	    {{.domain = "example.com", .mx = L("mail.example.com", "MAIL.example.com"), .nmx = 2}, "given twice"},
	    {{.domain = "example.com", .mx = L("mx.example.com"), .nmx = 1, .max_age = "31557601"},
	     "max_age: '31557601' is not a number of seconds from 0 to 31557600"},
	    {{.domain = "example.com", .mx = L("mx.example.com"), .nmx = 1, .max_age = "-1"}, "max_age: '-1'"},
	    {{.domain = "example.com", .mx = L("mx.example.com"), .nmx = 1, .max_age = "1w"}, "max_age: '1w'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_mtasts_policy(&bad[i].o, &g);
		if (rc != MA_ERR_INVAL || strstr(g.error, bad[i].want_in_error) == NULL)
			fail_msg("case %zu: rc %d, error '%s'", i, rc, g.error);
		ma_record_gen_fini(&g);
	}
}

/* ---- TLS-RPT ------------------------------------------------------------------------------------------------- */

static void test_tlsrpt(void **state)
{
	(void)state;
	const struct {
		struct ma_record_gen_tlsrpt_opts o;
		const char *want;
	} cases[] = {
	    {{.domain = "example.gov.uk", .rua = L("mailto:tls-rua@mailcheck.service.ncsc.gov.uk"), .nrua = 1},
	     "v=TLSRPTv1; rua=mailto:tls-rua@mailcheck.service.ncsc.gov.uk"},
	    {{.domain = "example.gov.uk",
	      .rua = L("mailto:tls@example.com", "https://reports.example.net:8443/tls?x=1"),
	      .nrua = 2},
	     "v=TLSRPTv1; rua=mailto:tls@example.com,https://reports.example.net:8443/tls?x=1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_tlsrpt(&cases[i].o, &g);
		if (rc != MA_OK)
			fail_msg("case %zu: %s", i, g.error);
		assert_string_equal(g.text, cases[i].want);
		assert_string_equal(g.owner, "_smtp._tls.example.gov.uk.");
		zone_lints(&g, MA_LINT_TLS_RPT, "");
		ma_record_gen_fini(&g);
	}
	const struct {
		struct ma_record_gen_tlsrpt_opts o;
		const char *want_in_error;
	} bad[] = {
	    {{.domain = "example.com"}, "rua: at least one"},
	    {{.domain = "example.com", .rua = L("http://reports.example.net/"), .nrua = 1}, "is not a mailto:"},
	    {{.domain = "example.com", .rua = L("tls@example.com"), .nrua = 1}, "did you mean mailto:tls@example.com?"},
	    {{.domain = "example.com", .rua = L("mailto:a@example.com,mailto:b@example.com"), .nrua = 1},
	     "percent-encode"},
	    {{.domain = "example.com", .rua = L("https://"), .nrua = 1}, "rua: 'https://'"},
	    {{.domain = "example.com", .rua = L("https://reports.example.net:0/"), .nrua = 1}, "is not a mailto:"},
	    {{.domain = "example.com", .rua = L("https://reports.example.net:99999/"), .nrua = 1}, "is not a mailto:"},
	    {{.domain = "example.com", .rua = L("mailto:@example.com"), .nrua = 1}, "is not a mailto:"},
	    {{.domain = "example.com", .rua = L("mailto:a@example.com?subject=x"), .nrua = 1}, "is not a mailto:"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ma_record_gen g;
		ma_record_gen_init(&g);
		int rc = ma_record_gen_tlsrpt(&bad[i].o, &g);
		if (rc != MA_ERR_INVAL || strstr(g.error, bad[i].want_in_error) == NULL)
			fail_msg("case %zu: rc %d, error '%s'", i, rc, g.error);
		ma_record_gen_fini(&g);
	}
	const char *many[17];
	char buf[17][32];
	for (int i = 0; i < 17; i++) {
		snprintf(buf[i], sizeof buf[i], "mailto:t%d@example.com", i);
		many[i] = buf[i];
	}
	struct ma_record_gen g;
	ma_record_gen_init(&g);
	assert_int_equal(ma_record_gen_tlsrpt(
	                     &(struct ma_record_gen_tlsrpt_opts){.domain = "example.com", .rua = many, .nrua = 17}, &g),
	                 MA_ERR_TOOBIG);
	ma_record_gen_fini(&g);
}

/* ---- Splitting and escaping ---------------------------------------------------------------------------------- */

static void test_txt_split(void **state)
{
	(void)state;
	char data[1024];
	memset(data, 'a', sizeof data);
	const struct {
		size_t len;
		size_t strings;
		size_t last; /* bytes in the last string */
	} cases[] = {{0, 1, 0},     {1, 1, 1},     {254, 1, 254}, {255, 1, 255}, {256, 2, 1},
	             {509, 2, 254}, {510, 2, 255}, {511, 3, 1},   {1024, 5, 4}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s;
		assert_int_equal(ma_record_gen_txt_strings(data, cases[i].len, &s), MA_OK);
		assert_int_equal(ma_record_gen_txt_count(cases[i].len), cases[i].strings);
		/* "aaa" "aaa": 2 quotes per string, a space between strings. */
		assert_int_equal(strlen(s), cases[i].len + 2 * cases[i].strings + cases[i].strings - 1);
		const char *last = strrchr(s, ' ');
		last = last ? last + 1 : s;
		assert_int_equal(strlen(last), cases[i].last + 2);
		char *joined;
		size_t jl;
		assert_int_equal(unsplit(s, &joined, &jl), cases[i].strings);
		assert_int_equal(jl, cases[i].len);
		assert_memory_equal(joined, data, jl);
		free(joined);
		free(s);
	}
	char *s;
	assert_int_equal(ma_record_gen_txt_strings("", 0, &s), MA_OK);
	assert_string_equal(s, "\"\"");
	free(s);
	assert_int_equal(ma_record_gen_txt_strings(data, MA_RECORD_GEN_TEXT_MAX + 1, &s), MA_ERR_TOOBIG);
	assert_null(s);
}

static void test_txt_escape(void **state)
{
	(void)state;
	char *s;
	const char raw[] = "a\"b\\c\x01\x7f\xff;";
	assert_int_equal(ma_record_gen_txt_strings(raw, sizeof raw - 1, &s), MA_OK);
	assert_string_equal(s, "\"a\\\"b\\\\c\\001\\127\\255;\"");
	free(s);
	/* An embedded NUL is data too. */
	assert_int_equal(ma_record_gen_txt_strings("a\0b", 3, &s), MA_OK);
	assert_string_equal(s, "\"a\\000b\"");
	free(s);

	/* The 255 counts unescaped bytes: 254 'a' then '"' fill the first string exactly; 'b' starts the second. */
	char data[300];
	memset(data, 'a', 254);
	data[254] = '"';
	data[255] = 'b';
	assert_int_equal(ma_record_gen_txt_strings(data, 256, &s), MA_OK);
	assert_int_equal(strlen(s), 1 + 254 + 2 + 1 + 1 + 3);
	assert_string_equal(s + 1 + 254, "\\\"\" \"b\"");
	char *joined;
	size_t jl;
	assert_int_equal(unsplit(s, &joined, &jl), 2);
	assert_int_equal(jl, 256);
	assert_memory_equal(joined, data, 256);
	free(joined);
	free(s);
	/* 255 backslashes: one string of 510 escaped characters. */
	memset(data, '\\', 255);
	assert_int_equal(ma_record_gen_txt_strings(data, 255, &s), MA_OK);
	assert_int_equal(strlen(s), 512);
	free(s);
	assert_int_equal(ma_record_gen_txt_strings(NULL, 1, &s), MA_ERR_INVAL);
}

static void test_zone_line(void **state)
{
	(void)state;
	struct ma_record_gen g;
	ma_record_gen_init(&g);
	assert_int_equal(ma_record_gen_spf(&(struct ma_record_gen_spf_opts){.domain = "Example.COM."}, &g), MA_OK);
	char *line;
	assert_int_equal(ma_record_gen_zone(&g, 3600, &line), MA_OK);
	assert_string_equal(line, "Example.COM. 3600 IN TXT \"v=spf1 -all\"\n");
	free(line);
	assert_int_equal(ma_record_gen_zone(&g, 0, &line), MA_OK);
	assert_string_equal(line, "Example.COM. 0 IN TXT \"v=spf1 -all\"\n");
	free(line);
	assert_int_equal(ma_record_gen_zone(&g, MA_RECORD_GEN_TTL_MAX, &line), MA_OK);
	assert_string_equal(line, "Example.COM. 2147483647 IN TXT \"v=spf1 -all\"\n");
	free(line);
	assert_int_equal(ma_record_gen_zone(&g, MA_RECORD_GEN_TTL_MAX + 1u, &line), MA_ERR_INVAL);
	assert_null(line);
	/* A filled result is not overwritten (the old text would leak). */
	assert_int_equal(ma_record_gen_spf(&(struct ma_record_gen_spf_opts){.domain = "example.com"}, &g),
	                 MA_ERR_STATE);
	assert_string_equal(g.text, "v=spf1 -all");
	ma_record_gen_fini(&g);
	/* fini leaves a reusable empty result. */
	assert_null(g.text);
	assert_int_equal(g.findings.n, 0);
	assert_int_equal(ma_record_gen_zone(&g, 300, &line), MA_ERR_INVAL);

	/* Owner names: the longest domain that still fits under _smtp._tls. and one that does not. */
	char dom[300];
	size_t n = 0;
	while (n + 64 <= 253 - 11) { /* labels of 63 + '.' */
		memset(dom + n, 'a', 63);
		dom[n + 63] = '.';
		n += 64;
	}
	memcpy(dom + n, "com", 4); /* 192 + 3 = 195 bytes */
	ma_record_gen_init(&g);
	assert_int_equal(
	    ma_record_gen_tlsrpt(
	        &(struct ma_record_gen_tlsrpt_opts){.domain = dom, .rua = L("mailto:t@example.com"), .nrua = 1}, &g),
	    MA_OK);
	ma_record_gen_fini(&g);
	memset(dom + n, 'b', 50);
	memcpy(dom + n + 50, ".com", 5); /* 246 bytes: valid alone, too long with _smtp._tls. */
	ma_record_gen_init(&g);
	assert_int_equal(
	    ma_record_gen_tlsrpt(
	        &(struct ma_record_gen_tlsrpt_opts){.domain = dom, .rua = L("mailto:t@example.com"), .nrua = 1}, &g),
	    MA_ERR_INVAL);
	assert_non_null(strstr(g.error, "too long for the name _smtp._tls.<domain>"));
	ma_record_gen_fini(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dmarc_records), cmocka_unit_test(test_dmarc_bad),
	    cmocka_unit_test(test_dmarc_split),   cmocka_unit_test(test_spf_records),
	    cmocka_unit_test(test_spf_lookups),   cmocka_unit_test(test_spf_long),
	    cmocka_unit_test(test_spf_bad),       cmocka_unit_test(test_mtasts_txt),
	    cmocka_unit_test(test_mtasts_policy), cmocka_unit_test(test_tlsrpt),
	    cmocka_unit_test(test_txt_split),     cmocka_unit_test(test_txt_escape),
	    cmocka_unit_test(test_zone_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
