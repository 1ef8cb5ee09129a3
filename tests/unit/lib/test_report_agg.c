/* tests/unit/lib/test_report_agg.c — DMARC aggregate reports (report_agg.h): every namespace, RFC 9990's fields,
 * the XML quirks of QUIRKS.md, entity bombs and external entities, invalid UTF-8, caps, truncation, a 1,000,000-record
 * report streamed in bounded memory, and every real report in the shared corpus (message totals checked against an
 * independent libxml2 DOM count). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "lib/err.h"
#include "lib/report_agg.h"

/* ---- a harness: parse a document fed in chunks of `chunk` bytes, keep what came out ------------------------ */

struct got {
	int rc;
	char why[512];
	json_t *meta;    /* on_meta's metadata as JSON, NULL when on_meta never ran */
	json_t *records; /* one JSON object per on_record */
	json_t *findings;
	uint64_t nrecords, nmessages;
	int meta_calls;
	bool record_before_meta;
	int stop_after; /* > 0: on_record fails with MA_ERR_IO at this record */
};

static int cb_meta(const struct ma_agg_meta *m, void *arg)
{
	struct got *g = arg;
	g->meta_calls++;
	g->meta = ma_agg_meta_to_json(m);
	assert_non_null(g->meta);
	return MA_OK;
}

static int cb_record(const struct ma_agg_record *r, void *arg)
{
	struct got *g = arg;
	if (g->meta == NULL)
		g->record_before_meta = true;
	json_t *j = ma_agg_record_to_json(r);
	assert_non_null(j);
	json_array_append_new(g->records, j);
	if (g->stop_after > 0 && json_array_size(g->records) == (size_t)g->stop_after)
		return MA_ERR_IO;
	return MA_OK;
}

static void parse_stop(const char *doc, size_t len, size_t chunk, int stop, struct got *g)
{
	memset(g, 0, sizeof *g);
	g->stop_after = stop;
	g->records = json_array();
	struct ma_agg_parser_cbs cbs = {.on_meta = cb_meta, .on_record = cb_record};
	struct ma_agg_parser *p;
	assert_int_equal(ma_agg_parser_new(&cbs, g, &p), MA_OK);
	int rc = MA_OK;
	for (size_t off = 0; off < len && rc == MA_OK; off += chunk)
		rc = ma_agg_parser_feed(p, doc + off, len - off < chunk ? len - off : chunk);
	if (rc == MA_OK)
		rc = ma_agg_parser_finish(p);
	g->rc = rc;
	snprintf(g->why, sizeof g->why, "%s", ma_agg_parser_why(p));
	g->findings = ma_findings_to_json(ma_agg_parser_findings(p));
	g->nrecords = ma_agg_parser_records(p);
	g->nmessages = ma_agg_parser_messages(p);
	ma_agg_parser_free(p);
	assert_false(g->record_before_meta);
}

static void parse_chunks(const char *doc, size_t len, size_t chunk, struct got *g)
{
	parse_stop(doc, len, chunk, 0, g);
}

static void parse(const char *doc, struct got *g)
{
	parse_chunks(doc, strlen(doc), 1u << 20, g);
}

static void got_fini(struct got *g)
{
	json_decref(g->meta);
	json_decref(g->records);
	json_decref(g->findings);
}

static bool has_finding(json_t *findings, const char *id)
{
	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0)
			return true;
	}
	return false;
}

static const char *meta_str(const struct got *g, const char *k)
{
	json_t *v = json_object_get(g->meta, k);
	if (v == NULL)
		v = json_object_get(json_object_get(g->meta, "policy"), k);
	assert_non_null(v);
	return json_string_value(v);
}

static json_t *rec(const struct got *g, size_t i)
{
	json_t *r = json_array_get(g->records, i);
	assert_non_null(r);
	return r;
}

static const char *rec_str(const struct got *g, size_t i, const char *k)
{
	return json_string_value(json_object_get(rec(g, i), k));
}

#define META                                                                                                           \
	"<report_metadata><org_name>Example Org</org_name><email>dmarc@example.org</email>"                            \
	"<report_id>r-1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>"            \
	"</report_metadata>"
#define POLICY                                                                                                         \
	"<policy_published><domain>Example.COM.</domain><adkim>r</adkim><aspf>s</aspf><p>reject</p>"                   \
	"<sp>quarantine</sp><pct>50</pct><fo>1</fo></policy_published>"
#define RECORD(ip, count)                                                                                              \
	"<record><row><source_ip>" ip "</source_ip><count>" count "</count><policy_evaluated>"                         \
	"<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>"                     \
	"<identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim>"                        \
	"<domain>example.com</domain><selector>s1</selector><result>pass</result></dkim><spf>"                         \
	"<domain>bounce.example.net</domain><scope>mfrom</scope><result>fail</result></spf></auth_results>"            \
	"</record>"

/* ---- namespaces and schemas ---------------------------------------------------------------------------------- */

static void test_namespaces(void **state)
{
	(void)state;
	static const struct {
		const char *open, *close;
		const char *want_schema;
		bool want_unknown_finding;
	} cases[] = {
	    {"<feedback>", "</feedback>", "rfc7489", false},
	    {"<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">", "</feedback>", "rfc9990", false},
	    {"<feedback xmlns=\"http://dmarc.org/dmarc-xml/0.2\">", "</feedback>", "draft2021", false},
	    /* AOL: the root in a prefix, the children in no namespace (valid XML, QUIRKS.md) */
	    {"<ns1:feedback xmlns:ns1=\"http://dmarc.org/dmarc-xml/0.1\">", "</ns1:feedback>", "rfc7489", false},
	    {"<x:feedback xmlns:x=\"urn:ietf:params:xml:ns:dmarc-2.0\">", "</x:feedback>", "rfc9990", false},
	    {"<feedback xmlns=\"http://example.net/not-dmarc\">", "</feedback>", "unknown", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char doc[4096];
		snprintf(doc, sizeof doc, "<?xml version='1.0'?>%s" META POLICY RECORD("192.0.2.1", "3") "%s",
		         cases[i].open, cases[i].close);
		struct got g;
		parse(doc, &g);
		assert_int_equal(g.rc, MA_OK);
		assert_string_equal(meta_str(&g, "schema"), cases[i].want_schema);
		assert_string_equal(meta_str(&g, "domain"), "example.com");
		assert_int_equal(g.nrecords, 1);
		assert_int_equal(g.nmessages, 3);
		assert_int_equal(has_finding(g.findings, "report.agg.namespace-unknown"),
		                 cases[i].want_unknown_finding);
		got_fini(&g);
	}
}

static void test_rfc7489_fields(void **state)
{
	(void)state;
	struct got g;
	parse("<feedback>" META POLICY RECORD("2001:DB8:0:0::1", "7") "</feedback>", &g);
	assert_int_equal(g.rc, MA_OK);
	assert_string_equal(meta_str(&g, "org_name"), "Example Org");
	assert_string_equal(meta_str(&g, "email"), "dmarc@example.org");
	assert_string_equal(meta_str(&g, "report_id"), "r-1");
	assert_int_equal(json_integer_value(json_object_get(g.meta, "begin")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(g.meta, "end")), 1700086399);
	assert_string_equal(meta_str(&g, "adkim"), "r");
	assert_string_equal(meta_str(&g, "aspf"), "s");
	assert_string_equal(meta_str(&g, "p"), "reject");
	assert_string_equal(meta_str(&g, "sp"), "quarantine");
	assert_string_equal(meta_str(&g, "np"), "");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g.meta, "policy"), "pct")), 50);
	assert_string_equal(rec_str(&g, 0, "source_ip"), "2001:db8::1"); /* canonical */
	assert_string_equal(rec_str(&g, 0, "source_ip_raw"), "2001:DB8:0:0::1");
	assert_string_equal(rec_str(&g, 0, "disposition"), "none");
	assert_string_equal(rec_str(&g, 0, "dkim"), "pass");
	assert_string_equal(rec_str(&g, 0, "spf"), "fail");
	assert_string_equal(rec_str(&g, 0, "header_from"), "example.com");
	json_t *dk = json_array_get(json_object_get(rec(&g, 0), "auth_dkim"), 0);
	assert_string_equal(json_string_value(json_object_get(dk, "selector")), "s1");
	json_t *sp = json_array_get(json_object_get(rec(&g, 0), "auth_spf"), 0);
	assert_string_equal(json_string_value(json_object_get(sp, "scope")), "mfrom");
	assert_string_equal(json_string_value(json_object_get(sp, "result")), "fail");
	assert_int_equal(json_array_size(g.findings), 0);
	got_fini(&g);
}

static void test_rfc9990_fields(void **state)
{
	(void)state;
	struct got g;
	parse("<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\"><version>1.0</version><report_metadata>"
	      "<org_name>GMX</org_name><email>a@gmx.net</email><report_id>6d2b</report_id><date_range><begin>1"
	      "</begin><end>86400</end></date_range><generator>Example Reporter v1.2</generator></report_metadata>"
	      "<policy_published><domain>example.com</domain><discovery_method>treewalk</discovery_method>"
	      "<p>quarantine</p><sp>none</sp><np>reject</np><testing>y</testing></policy_published>"
	      "<extension><x:whatever xmlns:x=\"urn:example\"><record><row><count>999</count></row></record>"
	      "</x:whatever></extension>"
	      "<record><row><source_ip>192.0.2.123</source_ip><count>123</count><policy_evaluated>"
	      "<disposition>pass</disposition><dkim>pass</dkim><spf>fail</spf><reason><type>policy_test_mode</type>"
	      "<comment>t=y</comment></reason></policy_evaluated></row><identifiers><header_from>example.com"
	      "</header_from></identifiers><auth_results><dkim><domain>example.com</domain><result>pass</result>"
	      "</dkim></auth_results></record></feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_string_equal(meta_str(&g, "schema"), "rfc9990");
	assert_string_equal(meta_str(&g, "version"), "1.0");
	assert_string_equal(meta_str(&g, "generator"), "Example Reporter v1.2");
	assert_string_equal(meta_str(&g, "np"), "reject");
	assert_string_equal(meta_str(&g, "testing"), "y");
	assert_string_equal(meta_str(&g, "discovery_method"), "treewalk");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g.meta, "policy"), "pct")), -1);
	/* the <record> inside <extension> is foreign: only the real record counts */
	assert_int_equal(g.nrecords, 1);
	assert_int_equal(g.nmessages, 123);
	assert_string_equal(rec_str(&g, 0, "disposition"), "pass");
	json_t *r0 = json_array_get(json_object_get(rec(&g, 0), "reasons"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "type")), "policy_test_mode");
	assert_string_equal(json_string_value(json_object_get(r0, "comment")), "t=y");
	json_t *dk = json_array_get(json_object_get(rec(&g, 0), "auth_dkim"), 0);
	assert_string_equal(json_string_value(json_object_get(dk, "selector")), ""); /* missing: a quirk */
	got_fini(&g);
}

/* ---- quirks (QUIRKS.md "XML" and "Fields") ------------------------------------------------------------------- */

static void test_field_quirks(void **state)
{
	(void)state;
	struct got g;
	parse("<?xml version='1.0' encoding='utf-8'?>\n<feedback>stray text<report_metadata><org_name>"
	      "&lt;script&gt;alert(1)&lt;/script&gt;</org_name><email></email><report_id><![CDATA[<id@host>]]>"
	      "</report_id><date_range><begin> 1337270400.0 </begin><end>\n1337356799\n</end></date_range>"
	      "</report_metadata><policy_published><domain>example.com</domain><sp></sp><pct>abc</pct>"
	      "</policy_published><policy_published><domain>other.example</domain></policy_published>"
	      "<record><row><source_ip>108r.166.1.1</source_ip><count> 5 </count><policy_evaluated>"
	      "<disposition>Quarantine</disposition><dkim>Pass</dkim><spf>hardfail</spf></policy_evaluated></row>"
	      "<identifiers><header_from>example.com</header_from></identifiers><auth_results>"
	      "<dkim><domain>a.example</domain><result>unknown</result></dkim><dkim><domain>b.example</domain>"
	      "<result>error</result></dkim><dkim><domain>c.example</domain><result>weird</result></dkim>"
	      "<spf><domain>NULL</domain><result>SoftFail</result></spf></auth_results></record>"
	      "<record/><record></record></feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	/* stored verbatim, never interpreted */
	assert_string_equal(meta_str(&g, "org_name"), "<script>alert(1)</script>");
	assert_string_equal(meta_str(&g, "report_id"), "<id@host>");
	assert_int_equal(json_integer_value(json_object_get(g.meta, "begin")), 1337270400);
	assert_int_equal(json_integer_value(json_object_get(g.meta, "end")), 1337356799);
	assert_string_equal(meta_str(&g, "domain"), "example.com"); /* the first policy_published */
	assert_true(has_finding(g.findings, "report.agg.float-epoch"));
	assert_true(has_finding(g.findings, "report.agg.policy-repeated"));
	assert_true(has_finding(g.findings, "report.agg.field-missing")); /* email */
	assert_true(has_finding(g.findings, "report.agg.value-invalid")); /* pct */
	assert_true(has_finding(g.findings, "report.agg.record-empty"));
	assert_int_equal(g.nrecords, 1);
	assert_int_equal(g.nmessages, 5);
	json_t *r = rec(&g, 0);
	assert_string_equal(rec_str(&g, 0, "source_ip"), "");
	assert_string_equal(rec_str(&g, 0, "source_ip_raw"), "108r.166.1.1");
	assert_string_equal(rec_str(&g, 0, "disposition"), "quarantine");
	assert_string_equal(rec_str(&g, 0, "dkim"), "pass");
	assert_string_equal(rec_str(&g, 0, "spf"), "fail");
	json_t *dk = json_object_get(r, "auth_dkim");
	assert_int_equal(json_array_size(dk), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(dk, 0), "result")), "permerror");
	assert_string_equal(json_string_value(json_object_get(json_array_get(dk, 1), "result")), "temperror");
	assert_string_equal(json_string_value(json_object_get(json_array_get(dk, 2), "result")), "unknown");
	assert_string_equal(json_string_value(json_object_get(json_array_get(dk, 2), "result_text")), "weird");
	json_t *sp = json_array_get(json_object_get(r, "auth_spf"), 0);
	assert_string_equal(json_string_value(json_object_get(sp, "domain")), "");
	assert_string_equal(json_string_value(json_object_get(sp, "result")), "softfail");
	json_t *rf = json_object_get(r, "findings");
	assert_true(has_finding(rf, "report.agg.source-ip-invalid"));
	assert_true(has_finding(rf, "report.agg.result-spelling"));
	assert_true(has_finding(rf, "report.agg.result-unknown"));
	assert_true(has_finding(rf, "report.agg.spf-domain-null"));
	got_fini(&g);
}

static void test_metadata_findings(void **state)
{
	(void)state;
	struct got g;
	/* a years-long range with an unreadable end, the reporter's own <error>, no records */
	parse("<feedback><report_metadata><org_name>o</org_name><email>e@o</email><report_id>1</report_id>"
	      "<date_range><begin>1000</begin><end>1e9</end></date_range><error>DNS lookup failed</error>"
	      "<error>second</error></report_metadata>" POLICY "</feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_int_equal(json_integer_value(json_object_get(g.meta, "end")), -1);
	assert_true(has_finding(g.findings, "report.agg.date-invalid"));
	assert_true(has_finding(g.findings, "report.agg.field-missing")); /* date_range unusable */
	assert_true(has_finding(g.findings, "report.agg.reporter-error"));
	assert_true(has_finding(g.findings, "report.agg.no-records"));
	json_t *errs = json_object_get(g.meta, "errors");
	assert_int_equal(json_array_size(errs), 2);
	assert_string_equal(json_string_value(json_array_get(errs, 0)), "DNS lookup failed");
	got_fini(&g);

	static const struct {
		const char *begin, *end;
		bool want_unusual;
	} ranges[] = {
	    {"1700000000", "1700086399", false}, {"1700000000", "1700000000", true}, /* zero-length */
	    {"1700086399", "1700000000", true},                                      /* inverted */
	    {"1600000000", "1700000000", true},                                      /* years */
	    {"1700000000", "1701209600", false},                                     /* two weeks */
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		char doc[2048];
		snprintf(doc, sizeof doc,
		         "<feedback><report_metadata><org_name>o</org_name><email>e@o</email><report_id>1</report_id>"
		         "<date_range><begin>%s</begin><end>%s</end></date_range></report_metadata>" POLICY RECORD(
		             "192.0.2.1", "1") "</feedback>",
		         ranges[i].begin, ranges[i].end);
		parse(doc, &g);
		assert_int_equal(g.rc, MA_OK);
		assert_int_equal(has_finding(g.findings, "report.agg.range-unusual"), ranges[i].want_unusual);
		assert_false(has_finding(g.findings, "report.agg.no-records"));
		got_fini(&g);
	}
}

static void test_record_findings(void **state)
{
	(void)state;
	struct got g;
	parse("<feedback>" META POLICY "<record><row><count>x</count><policy_evaluated><disposition>drop"
	      "</disposition></policy_evaluated></row></record></feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	json_t *rf = json_object_get(rec(&g, 0), "findings");
	assert_true(has_finding(rf, "report.agg.count-invalid"));
	assert_true(has_finding(rf, "report.agg.disposition-unknown"));
	assert_true(has_finding(rf, "report.agg.source-ip-invalid")); /* missing */
	assert_int_equal(g.nmessages, 0);
	got_fini(&g);

	/* more auth results than the cap: the first MA_AGG_RESULTS_MAX kept */
	size_t cap = 200000;
	char *doc = malloc(cap);
	size_t n = (size_t)snprintf(doc, cap,
	                            "<feedback>" META POLICY "<record><row><source_ip>192.0.2.1</source_ip>"
	                            "<count>1</count></row><auth_results>");
	for (int i = 0; i < MA_AGG_RESULTS_MAX + 10; i++)
		n += (size_t)snprintf(doc + n, cap - n,
		                      "<dkim><domain>d%d.example</domain><result>pass</result></dkim>", i);
	for (int i = 0; i < MA_AGG_REASONS_MAX + 3; i++)
		n += (size_t)snprintf(doc + n, cap - n, "<spf><domain>s%d.example</domain><result>pass</result></spf>",
		                      i);
	snprintf(doc + n, cap - n, "</auth_results></record></feedback>");
	parse(doc, &g);
	assert_int_equal(g.rc, MA_OK);
	assert_int_equal(json_array_size(json_object_get(rec(&g, 0), "auth_dkim")), MA_AGG_RESULTS_MAX);
	assert_int_equal(json_array_size(json_object_get(rec(&g, 0), "auth_spf")), MA_AGG_REASONS_MAX + 3);
	assert_true(has_finding(json_object_get(rec(&g, 0), "findings"), "report.agg.results-dropped"));
	got_fini(&g);
	free(doc);
}

static void test_element_order(void **state)
{
	(void)state;
	struct got g;
	/* records before the metadata are held back and delivered after on_meta (the harness asserts the order) */
	parse("<feedback>" RECORD("192.0.2.1", "2") RECORD("192.0.2.2", "3") POLICY
	      "<record><row><source_ip>192.0.2.3</source_ip><count>4</count></row></record>" META RECORD(
	          "192.0.2.5", "5") "</feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_int_equal(g.meta_calls, 1);
	assert_int_equal(g.nrecords, 4);
	assert_int_equal(g.nmessages, 14);
	assert_string_equal(rec_str(&g, 0, "source_ip"), "192.0.2.1");
	assert_string_equal(rec_str(&g, 3, "source_ip"), "192.0.2.5");
	json_t *dk = json_array_get(json_object_get(rec(&g, 1), "auth_dkim"), 0);
	assert_string_equal(json_string_value(json_object_get(dk, "selector")), "s1"); /* deep copy survived */
	got_fini(&g);

	/* element names in the wrong case are matched, with a finding */
	parse("<Feedback><Report_Metadata><ORG_NAME>x</ORG_NAME><email>e@x</email><report_id>1</report_id><date_range>"
	      "<begin>1</begin><end>2</end></date_range></Report_Metadata><policy_published><DOMAIN>example.com"
	      "</DOMAIN></policy_published>" RECORD("192.0.2.9", "1") "</Feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_string_equal(meta_str(&g, "org_name"), "x");
	assert_true(has_finding(g.findings, "report.agg.element-case"));
	assert_int_equal(g.nrecords, 1);
	got_fini(&g);
}

static void test_wrapped_and_malformed(void **state)
{
	(void)state;
	struct got g;
	/* the report inside an unclosed <xs:schema> (QUIRKS.md): read, with findings */
	parse("<?xml version=\"1.0\"?><xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><feedback>" META POLICY
	          RECORD("192.0.2.1", "1") "</feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_true(has_finding(g.findings, "report.agg.wrapped"));
	assert_int_equal(g.nrecords, 1);
	got_fini(&g);

	/* an unescaped '<' inside a record value: recovered, the record is kept */
	parse("<feedback>" META POLICY "<record><row><source_ip>192.0.2.1</source_ip><count>2</count></row>"
	      "<identifiers><header_from>a & b</header_from></identifiers></record></feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_true(has_finding(g.findings, "report.agg.xml-malformed"));
	assert_int_equal(g.nmessages, 2);
	got_fini(&g);

	/* not a report at all: Yahoo's "unused", an empty file, JSON, a non-DMARC XML document */
	static const char *const junk[] = {"unused", "", "{\"a\":1}", "<html><body>hi</body></html>",
	                                   "<feedback><report_metadata><org_name>x</org_name></report_metadata>"
	                                   "</feedback>"};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		parse(junk[i], &g);
		assert_int_equal(g.rc, MA_ERR_PARSE);
		assert_true(strlen(g.why) > 0);
		assert_null(g.meta);
		got_fini(&g);
	}
}

/* ---- hostile input --------------------------------------------------------------------------------------------- */

static void test_billion_laughs(void **state)
{
	(void)state;
	struct got g;
	const char *doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [\n <!ENTITY lol \"lol\">\n"
	                  " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	                  " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	                  " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	                  " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	                  " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	                  " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	                  " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	                  " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	                  " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	                  "]>\n<feedback><report_metadata><org_name>&lol9;</org_name><email>e@x</email><report_id>1"
	                  "</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata>"
	                  "<policy_published><domain>example.com</domain></policy_published>"
	                  "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row>"
	                  "<identifiers><header_from>&lol9;&lol9;</header_from></identifiers></record></feedback>";
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	parse(doc, &g);
	getrusage(RUSAGE_SELF, &after);
	/* ignored, never expanded: the report reads, the values that used the entity are empty */
	assert_int_equal(g.rc, MA_OK);
	assert_string_equal(meta_str(&g, "org_name"), "");
	assert_string_equal(rec_str(&g, 0, "header_from"), "");
	assert_true(has_finding(g.findings, "report.agg.dtd-ignored"));
	assert_true(after.ru_maxrss - before.ru_maxrss < 16 * 1024); /* KiB: no 3 GB expansion */
	got_fini(&g);
}

static void test_external_entity(void **state)
{
	(void)state;
	static const char *const docs[] = {
	    "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<feedback>" META "<policy_published><domain>example.com</domain><p>&xxe;</p></policy_published>" RECORD(
	        "192.0.2.1", "1") "</feedback>",
	    /* a parameter entity pulling an external DTD, and an external DTD subset */
	    "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY % ext SYSTEM \"file:///etc/passwd\"> %ext;]>"
	    "<feedback>" META POLICY RECORD("192.0.2.1", "1") "</feedback>",
	    "<?xml version=\"1.0\"?><!DOCTYPE feedback SYSTEM \"http://127.0.0.1:9/x.dtd\">"
	    "<feedback>" META "<policy_published><domain>example.com</domain><p>&xxe;</p></policy_published>" RECORD(
	        "192.0.2.1", "1") "</feedback>",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		struct got g;
		parse(docs[i], &g);
		char *all = json_dumps(g.meta, 0);
		if (g.rc == MA_OK) {
			assert_non_null(all);
			assert_null(strstr(all, "root:"));
			assert_string_equal(meta_str(&g, "p"), i == 1 ? "reject" : "");
			assert_true(has_finding(g.findings, "report.agg.dtd-ignored"));
		} else {
			assert_int_equal(g.rc, MA_ERR_PARSE);
		}
		free(all);
		got_fini(&g);
	}
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	struct got g;
	/* a lone continuation byte, a truncated sequence, an overlong '/', a surrogate, a control character */
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feedback>" META POLICY
	                  "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><identifiers>"
	                  "<header_from>bad\x91|\xE2\x82|\xC0\xAF|\xED\xA0\x80|\x01|caf\xC3\xA9</header_from>"
	                  "</identifiers></record></feedback>";
	/* byte by byte too: sequences split across feeds are put back together */
	for (size_t chunk = 1; chunk <= 4096; chunk *= 4096) {
		parse_chunks(doc, strlen(doc), chunk, &g);
		assert_int_equal(g.rc, MA_OK);
		assert_string_equal(rec_str(&g, 0, "header_from"),
		                    "bad\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
		                    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD|caf\xC3\xA9");
		assert_true(has_finding(g.findings, "report.agg.invalid-utf8"));
		got_fini(&g);
	}
	/* each byte in its own allocation, as a network reader hands them over: nothing reads outside a buffer */
	{
		struct got g2;
		memset(&g2, 0, sizeof g2);
		g2.records = json_array();
		struct ma_agg_parser_cbs cbs = {.on_meta = cb_meta, .on_record = cb_record};
		struct ma_agg_parser *p;
		assert_int_equal(ma_agg_parser_new(&cbs, &g2, &p), MA_OK);
		for (size_t i = 0; doc[i] != '\0'; i++) {
			char *one = malloc(1);
			*one = doc[i];
			assert_int_equal(ma_agg_parser_feed(p, one, 1), MA_OK);
			free(one);
		}
		assert_int_equal(ma_agg_parser_finish(p), MA_OK);
		assert_string_equal(json_string_value(json_object_get(json_array_get(g2.records, 0), "header_from")),
		                    "bad\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
		                    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD|caf\xC3\xA9");
		ma_agg_parser_free(p);
		got_fini(&g2);
	}
	/* a document ending inside a sequence */
	const char *cut = "<feedback>" META POLICY "</feedback>\xE2\x82";
	parse(cut, &g);
	assert_int_equal(g.rc, MA_OK);
	assert_true(has_finding(g.findings, "report.agg.invalid-utf8"));
	got_fini(&g);
	/* feeding after finish is a caller bug, refused */
	{
		struct ma_agg_parser *p;
		assert_int_equal(ma_agg_parser_new(NULL, NULL, &p), MA_OK);
		assert_int_equal(ma_agg_parser_feed(p, "<feedback>" META POLICY "</feedback>",
		                                    strlen("<feedback>" META POLICY "</feedback>")),
		                 MA_OK);
		assert_int_equal(ma_agg_parser_finish(p), MA_OK);
		assert_int_equal(ma_agg_parser_feed(p, "x", 1), MA_ERR_STATE);
		assert_int_equal(ma_agg_parser_finish(p), MA_ERR_STATE);
		ma_agg_parser_free(p);
	}
	/* declared windows-1252: decoded by libxml2, not "repaired" */
	parse("<?xml version=\"1.0\" encoding=\"windows-1252\"?><feedback><report_metadata><org_name>Caf\xE9 \x80"
	      "</org_name></report_metadata>" POLICY "</feedback>",
	      &g);
	assert_int_equal(g.rc, MA_OK);
	assert_string_equal(meta_str(&g, "org_name"), "Caf\xC3\xA9 \xE2\x82\xAC");
	assert_false(has_finding(g.findings, "report.agg.invalid-utf8"));
	got_fini(&g);
}

static void test_caps(void **state)
{
	(void)state;
	struct got g;
	/* depth */
	char deep[8192];
	size_t n = (size_t)snprintf(deep, sizeof deep, "<feedback>" META POLICY "<record>");
	for (int i = 0; i < MA_AGG_DEPTH_MAX + 5; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "<x>");
	parse(deep, &g);
	assert_int_equal(g.rc, MA_ERR_TOOBIG);
	assert_non_null(strstr(g.why, "deeper"));
	got_fini(&g);

	/* a 5 MB value: truncated to MA_AGG_FIELD_MAX, memory flat */
	size_t big = 5u << 20;
	char *doc = malloc(big + 1024);
	n = (size_t)snprintf(doc, 1024,
	                     "<feedback>" META POLICY "<record><row><source_ip>192.0.2.1</source_ip>"
	                     "<count>1</count></row><identifiers><header_from>");
	memset(doc + n, 'a', big);
	n += big;
	doc[n - 1] = '\xA9'; /* make the cut fall mid-character for a multibyte tail */
	doc[n - 2] = '\xC3';
	snprintf(doc + n, 1024, "</header_from></identifiers></record></feedback>");
	parse_chunks(doc, strlen(doc), 65536, &g);
	assert_int_equal(g.rc, MA_OK);
	assert_int_equal(strlen(rec_str(&g, 0, "header_from")), MA_AGG_FIELD_MAX);
	assert_true(has_finding(json_object_get(rec(&g, 0), "findings"), "report.agg.field-truncated"));
	got_fini(&g);

	/* a 5 MB start tag: libxml2 would buffer it whole, so it is refused */
	n = (size_t)snprintf(doc, 1024, "<feedback>" META POLICY "<record a=\"");
	memset(doc + n, 'b', big);
	snprintf(doc + n + big, 1024, "\"/></feedback>");
	parse_chunks(doc, strlen(doc), 65536, &g);
	assert_int_equal(g.rc, MA_ERR_TOOBIG);
	got_fini(&g);
	free(doc);

	/* more than MA_AGG_PENDING_MAX records before the metadata */
	size_t one = strlen("<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>");
	size_t cap = (MA_AGG_PENDING_MAX + 2) * one + 4096;
	doc = malloc(cap);
	n = (size_t)snprintf(doc, cap, "<feedback>");
	for (int i = 0; i <= MA_AGG_PENDING_MAX; i++) {
		memcpy(doc + n, "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>", one);
		n += one;
	}
	snprintf(doc + n, cap - n, META POLICY "</feedback>");
	parse_chunks(doc, strlen(doc), 1u << 16, &g);
	assert_int_equal(g.rc, MA_ERR_TOOBIG);
	assert_non_null(strstr(g.why, "before"));
	got_fini(&g);
	free(doc);
}

static void test_truncated(void **state)
{
	(void)state;
	struct got g;
	const char *full = "<feedback>" META POLICY RECORD("192.0.2.1", "2") RECORD("192.0.2.2", "3") "</feedback>";
	/* cut inside the second record: the report fails after begin, the first record was delivered (the caller
	 * rolls it back), the reason says where */
	const char *cut = strstr(full, "192.0.2.2");
	parse_chunks(full, (size_t)(cut - full), 7, &g);
	assert_int_equal(g.rc, MA_ERR_PARSE);
	assert_int_equal(g.meta_calls, 1);
	assert_int_equal(json_array_size(g.records), 1);
	assert_non_null(strstr(g.why, "truncated after 1 complete records"));
	got_fini(&g);
	/* cut right after the metadata, before any record */
	cut = strstr(full, "<record>");
	parse_chunks(full, (size_t)(cut - full), 5, &g);
	assert_int_equal(g.rc, MA_ERR_PARSE);
	assert_non_null(strstr(g.why, "truncated after 0 complete records"));
	got_fini(&g);
	/* cut inside the metadata: nothing sound, rejected with the reason */
	cut = strstr(full, "<date_range>");
	parse_chunks(full, (size_t)(cut - full), 7, &g);
	assert_int_equal(g.rc, MA_ERR_PARSE);
	assert_null(g.meta);
	assert_non_null(strstr(g.why, "truncated inside <report_metadata>"));
	got_fini(&g);
	cut = strstr(full, "<p>");
	parse_chunks(full, (size_t)(cut - full), 7, &g);
	assert_int_equal(g.rc, MA_ERR_PARSE);
	assert_non_null(strstr(g.why, "truncated inside <policy_published>"));
	got_fini(&g);
}

static void test_callback_error(void **state)
{
	(void)state;
	struct got g;
	const char *doc = "<feedback>" META POLICY RECORD("192.0.2.1", "1") RECORD("192.0.2.2", "1")
	    RECORD("192.0.2.3", "1") "</feedback>";
	parse_stop(doc, strlen(doc), 1u << 20, 2, &g);
	assert_int_equal(g.rc, MA_ERR_IO);
	assert_int_equal(json_array_size(g.records), 2);
	got_fini(&g);
}

/* ---- a 1,000,000-record report, generated as it is fed: memory must not grow with the records ----------- */

struct stream_state {
	uint64_t n, messages;
	size_t base_inuse, peak_inuse;
};

static int big_meta(const struct ma_agg_meta *m, void *arg)
{
	assert_string_equal(m->domain, "example.com");
	return MA_OK;
}

static int big_record(const struct ma_agg_record *r, void *arg)
{
	struct stream_state *s = arg;
	s->n++;
	s->messages += r->count;
	if (s->n % 4096 == 0) {
		struct mallinfo2 mi = mallinfo2();
		if (mi.uordblks > s->peak_inuse)
			s->peak_inuse = mi.uordblks;
	}
	return MA_OK;
}

static void test_million_records(void **state)
{
	(void)state;
	struct stream_state s = {0};
	struct ma_agg_parser_cbs cbs = {.on_meta = big_meta, .on_record = big_record};
	struct ma_agg_parser *p;
	s.base_inuse = mallinfo2().uordblks;
	assert_int_equal(ma_agg_parser_new(&cbs, &s, &p), MA_OK);
	const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>" META POLICY;
	assert_int_equal(ma_agg_parser_feed(p, head, strlen(head)), MA_OK);
	char buf[1 << 16];
	size_t n = 0;
	uint64_t want = 0;
	for (unsigned i = 0; i < 1000000; i++) {
		int w =
		    snprintf(buf + n, sizeof buf - n,
		             "<record><row><source_ip>10.%u.%u.%u</source_ip><count>%u</count><policy_evaluated>"
		             "<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>"
		             "</row><identifiers><header_from>example.com</header_from></identifiers><auth_results>"
		             "<spf><domain>example.com</domain><result>pass</result></spf></auth_results></record>\n",
		             (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 5 + 1);
		want += i % 5 + 1;
		n += (size_t)w;
		if (sizeof buf - n < 512) {
			assert_int_equal(ma_agg_parser_feed(p, buf, n), MA_OK);
			n = 0;
		}
	}
	memcpy(buf + n, "</feedback>\n", 12);
	assert_int_equal(ma_agg_parser_feed(p, buf, n + 12), MA_OK);
	assert_int_equal(ma_agg_parser_finish(p), MA_OK);
	assert_int_equal(ma_agg_parser_records(p), 1000000);
	assert_int_equal(ma_agg_parser_messages(p), want);
	assert_int_equal(s.n, 1000000);
	assert_int_equal(s.messages, want);
	ma_agg_parser_free(p);
	/* ~190 MB of XML went through; the heap in use stayed within a few MB (0 under ASan, which bypasses
	 * glibc's allocator: then this bound holds trivially and ASan's own checks apply) */
	size_t grew = s.peak_inuse > s.base_inuse ? s.peak_inuse - s.base_inuse : 0;
	assert_true(grew < (8u << 20));
}

/* ---- the real reports in the shared corpus --------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		return NULL;
	}
	char *b = malloc((size_t)st.st_size + 1);
	size_t n = fread(b, 1, (size_t)st.st_size, f);
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

/* The independent count: libxml2's DOM, strictly (no recovery), sum of every record/row/count. -1 when the file
 * is not well-formed XML. */
static long long dom_count(const char *doc, size_t len)
{
	xmlDocPtr d =
	    xmlReadMemory(doc, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d == NULL)
		return -1;
	xmlXPathContextPtr x = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(
	    BAD_CAST "//*[local-name()='feedback']/*[local-name()='record']/*[local-name()='row']/"
	             "*[local-name()='count']",
	    x);
	long long sum = 0;
	for (int i = 0; o != NULL && o->nodesetval != NULL && i < o->nodesetval->nodeNr; i++) {
		xmlChar *t = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		sum += strtoll((const char *)t, NULL, 10);
		xmlFree(t);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(x);
	xmlFreeDoc(d);
	return sum;
}

static int walk(const char *dir, int *nfiles, int *nok)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, nfiles, nok);
			continue;
		}
		size_t l = strlen(de->d_name);
		bool xml = (l > 4 && strcmp(de->d_name + l - 4, ".xml") == 0) ||
		           (l > 11 && strcmp(de->d_name + l - 11, ".xml.sample") == 0);
		if (!xml)
			continue;
		size_t len = 0;
		char *doc = slurp(path, &len);
		assert_non_null(doc);
		struct got whole, bytes;
		parse_chunks(doc, len, len ? len : 1, &whole);
		(*nfiles)++;
		if (whole.rc == MA_OK) {
			(*nok)++;
			assert_non_null(whole.meta);
			assert_true(strlen(json_string_value(
			                json_object_get(json_object_get(whole.meta, "policy"), "domain"))) > 0);
			long long want = dom_count(doc, len);
			if (want >= 0 && (long long)whole.nmessages != want) {
				print_error("%s: parser says %llu messages, DOM count %lld\n", path,
				            (unsigned long long)whole.nmessages, want);
				fail();
			}
		} else {
			/* rejected, with a reason */
			assert_int_equal(whole.rc, MA_ERR_PARSE);
			if (strlen(whole.why) == 0) {
				print_error("%s: rejected without a reason\n", path);
				fail();
			}
		}
		/* feeding byte by byte changes nothing */
		parse_chunks(doc, len, 1, &bytes);
		assert_int_equal(bytes.rc, whole.rc);
		assert_int_equal(bytes.nmessages, whole.nmessages);
		assert_true(json_equal(bytes.records, whole.records));
		assert_true(json_equal(bytes.findings, whole.findings));
		got_fini(&whole);
		got_fini(&bytes);
		free(doc);
	}
	closedir(d);
	return 0;
}

static void test_corpus(void **state)
{
	(void)state;
	const char *shared = getenv("MA_SHARED_DIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/corpus/reports", shared ? shared : "");
	struct stat st;
	if (shared == NULL || stat(dir, &st) != 0)
		skip();
	int nfiles = 0, nok = 0;
	assert_int_equal(walk(dir, &nfiles, &nok), 0);
	assert_true(nfiles >= 30);
	assert_true(nok >= nfiles - 3); /* empty.xml, invalid_xml.xml: rejected with reasons */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_namespaces),      cmocka_unit_test(test_rfc7489_fields),
	    cmocka_unit_test(test_rfc9990_fields),  cmocka_unit_test(test_field_quirks),
	    cmocka_unit_test(test_record_findings), cmocka_unit_test(test_metadata_findings),
	    cmocka_unit_test(test_element_order),   cmocka_unit_test(test_wrapped_and_malformed),
	    cmocka_unit_test(test_billion_laughs),  cmocka_unit_test(test_external_entity),
	    cmocka_unit_test(test_invalid_utf8),    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_truncated),       cmocka_unit_test(test_callback_error),
	    cmocka_unit_test(test_million_records), cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
