/* tests/unit/lib/test_report_quirks.c — every quirk of shared/corpus/reports/QUIRKS.md has a fixture in
 * tests/fixtures/reports/ and a row in quirks.tsv; every row for a lib parser (agg, tls, failure, failure-hashed)
 * gives its expected outcome. Rows for ingest and store are checked here only for their fixture. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "lib/err.h"
#include "lib/report_agg.h"
#include "lib/report_failure.h"
#include "lib/report_tls.h"

#define QUIRKS_MAX 256

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

/* ---- what each parser gave, as one JSON text plus a few numbers ---- */

struct outcome {
	int rc;
	char why[256];
	char *dump; /* compact JSON of everything the parser returned */
	json_t *meta;
	uint64_t records, messages;
};

static int agg_meta(const struct ma_agg_meta *m, void *arg)
{
	json_t *all = arg;
	json_object_set_new(all, "meta", ma_agg_meta_to_json(m));
	return MA_OK;
}

static int agg_rec(const struct ma_agg_record *r, void *arg)
{
	json_t *all = arg;
	json_array_append_new(json_object_get(all, "records"), ma_agg_record_to_json(r));
	return MA_OK;
}

static void run_agg(const char *buf, size_t len, struct outcome *o)
{
	json_t *all = json_object();
	json_object_set_new(all, "records", json_array());
	struct ma_agg_parser_cbs cbs = {.on_meta = agg_meta, .on_record = agg_rec};
	struct ma_agg_parser *p;
	assert_int_equal(ma_agg_parser_new(&cbs, all, &p), MA_OK);
	int rc = MA_OK;
	for (size_t off = 0; off < len && rc == MA_OK; off += 4096)
		rc = ma_agg_parser_feed(p, buf + off, len - off < 4096 ? len - off : 4096);
	if (rc == MA_OK)
		rc = ma_agg_parser_finish(p);
	o->rc = rc;
	snprintf(o->why, sizeof o->why, "%s", ma_agg_parser_why(p));
	o->records = ma_agg_parser_records(p);
	o->messages = ma_agg_parser_messages(p);
	json_object_set_new(all, "findings", ma_findings_to_json(ma_agg_parser_findings(p)));
	ma_agg_parser_free(p);
	o->meta = json_incref(json_object_get(all, "meta"));
	o->dump = json_dumps(all, JSON_COMPACT);
	json_decref(all);
}

static void run_tls(const char *buf, size_t len, struct outcome *o)
{
	struct ma_tls_report r;
	const char *why = "";
	o->rc = ma_tls_report_parse(buf, len, &r, &why);
	snprintf(o->why, sizeof o->why, "%s", why);
	json_t *j = o->rc == MA_OK ? ma_tls_report_to_json(&r) : json_object();
	o->dump = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ma_tls_report_fini(&r);
}

/* The MIME pieces report_failure.h expects, found as src/ingest finds them. */
struct pieces {
	GString *feedback, *headers, *text;
};

static void collect(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct pieces *p = data;
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		if (m != NULL && p->headers->len == 0) {
			char *h = g_mime_object_get_headers(GMIME_OBJECT(m), NULL);
			g_string_append(p->headers, h);
			g_free(h);
		}
		return;
	}
	if (!GMIME_IS_PART(part))
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(part));
	if (w == NULL)
		return;
	GString *dst = NULL;
	if (g_mime_content_type_is_type(ct, "message", "feedback-report"))
		dst = p->feedback;
	else if (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
	         g_mime_content_type_is_type(ct, "text", "rfc822-header"))
		dst = p->headers;
	else if (g_mime_content_type_is_type(ct, "text", "plain"))
		dst = p->text;
	if (dst == NULL || dst->len > 0)
		return;
	GMimeStream *s = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, s);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	g_string_append_len(dst, (const char *)ba->data, (gssize)ba->len);
	g_object_unref(s);
}

static void run_failure(const char *path, bool hashed, struct outcome *o)
{
	static const uint8_t key[] = "quirks-test-key";
	GMimeStream *fs = g_mime_stream_file_open(path, "rb", NULL);
	assert_non_null(fs);
	GMimeParser *parser = g_mime_parser_new_with_stream(fs);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	assert_non_null(msg);
	struct pieces p = {g_string_new(""), g_string_new(""), g_string_new("")};
	g_mime_message_foreach(msg, collect, &p);
	if (GMIME_IS_PART(g_mime_message_get_mime_part(msg)))
		collect(NULL, g_mime_message_get_mime_part(msg), &p);
	struct ma_failure_input in = {.feedback = p.feedback->len ? p.feedback->str : NULL,
	                              .feedback_len = p.feedback->len,
	                              .headers = p.headers->len ? p.headers->str : NULL,
	                              .headers_len = p.headers->len,
	                              .text = p.text->len ? p.text->str : NULL,
	                              .text_len = p.text->len,
	                              .subject = g_mime_message_get_subject(msg),
	                              .received = -1,
	                              .hash_key = hashed ? key : NULL,
	                              .hash_key_len = hashed ? sizeof key - 1 : 0};
	struct ma_failure_report r;
	const char *why = "";
	o->rc = ma_failure_parse(&in, &r, &why);
	snprintf(o->why, sizeof o->why, "%s", why);
	json_t *j = o->rc == MA_OK ? ma_failure_report_to_json(&r) : json_object();
	o->dump = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ma_failure_report_fini(&r);
	g_string_free(p.feedback, TRUE);
	g_string_free(p.headers, TRUE);
	g_string_free(p.text, TRUE);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(fs);
}

/* ---- the expectations ---- */

static bool check(const char *where, const struct outcome *o, const char *expect)
{
	if (strncmp(expect, "reject:", 7) == 0) {
		if (o->rc != MA_ERR_PARSE || strstr(o->why, expect + 7) == NULL) {
			print_error("%s: want rejection '%s', got rc %d why '%s'\n", where, expect + 7, o->rc, o->why);
			return false;
		}
		return true;
	}
	if (strncmp(expect, "ok", 2) != 0) {
		print_error("%s: bad expectation '%s'\n", where, expect);
		return false;
	}
	if (o->rc != MA_OK) {
		print_error("%s: rc %d why '%s'\n", where, o->rc, o->why);
		return false;
	}
	if (expect[2] != ':')
		return true;
	char *list = strdup(expect + 3);
	bool ok = true;
	for (char *save = NULL, *c = strtok_r(list, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
		char want[512];
		bool good;
		if (strncmp(c, "has=", 4) == 0) {
			good = strstr(o->dump, c + 4) != NULL;
		} else if (c[0] == '!') {
			good = strstr(o->dump, c + 1) == NULL;
		} else if (strncmp(c, "messages=", 9) == 0) {
			good = o->messages == strtoull(c + 9, NULL, 10);
		} else if (strncmp(c, "records=", 8) == 0) {
			good = o->records == strtoull(c + 8, NULL, 10);
		} else if (strncmp(c, "begin=", 6) == 0 || strncmp(c, "end=", 4) == 0) {
			char *eq = strchr(c, '=');
			*eq = '\0';
			good = json_integer_value(json_object_get(o->meta, c)) == strtoll(eq + 1, NULL, 10);
			*eq = '=';
		} else if (strncmp(c, "domain=", 7) == 0) {
			const char *d =
			    json_string_value(json_object_get(json_object_get(o->meta, "policy"), "domain"));
			good = d != NULL && strcmp(d, c + 7) == 0;
		} else if (strncmp(c, "schema=", 7) == 0) {
			const char *s = json_string_value(json_object_get(o->meta, "schema"));
			good = s != NULL && strcmp(s, c + 7) == 0;
		} else {
			/* a finding ID: present in the report's or a record's findings */
			snprintf(want, sizeof want, "\"id\":\"%s\"", c);
			good = strstr(o->dump, want) != NULL;
		}
		if (!good) {
			print_error("%s: check '%s' failed\n", where, c);
			ok = false;
		}
	}
	free(list);
	return ok;
}

static void test_quirks(void **state)
{
	(void)state;
	const char *src = getenv("MA_SOURCE_DIR");
	assert_non_null(src);
	char dir[4096], path[8192];
	snprintf(dir, sizeof dir, "%s/tests/fixtures/reports", src);
	snprintf(path, sizeof path, "%s/quirks.tsv", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	g_mime_init();

	bool covered[QUIRKS_MAX] = {false};
	char line[4096];
	int rows = 0, failed = 0, lib_rows = 0;
	bool header = false;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!header) {
			assert_string_equal(line, "quirk\tfixture\tkind\texpect");
			header = true;
			continue;
		}
		char *save = NULL;
		char *quirk = strtok_r(line, "\t", &save);
		char *fixture = strtok_r(NULL, "\t", &save);
		char *kind = strtok_r(NULL, "\t", &save);
		char *expect = strtok_r(NULL, "\t", &save);
		assert_non_null(expect);
		int q = (int)strtol(quirk, NULL, 10);
		assert_true(q >= 1 && q < QUIRKS_MAX);
		covered[q] = true;
		rows++;
		snprintf(path, sizeof path, "%s/%s", dir, fixture);
		size_t len = 0;
		char *buf = slurp(path, &len);
		if (buf == NULL || len == 0) {
			print_error("quirk %s: fixture %s missing or empty\n", quirk, fixture);
			failed++;
			free(buf);
			continue;
		}
		struct outcome o = {0};
		char where[512];
		snprintf(where, sizeof where, "quirk %s %s (%s)", quirk, fixture, kind);
		if (strcmp(kind, "agg") == 0)
			run_agg(buf, len, &o);
		else if (strcmp(kind, "tls") == 0)
			run_tls(buf, len, &o);
		else if (strcmp(kind, "failure") == 0 || strcmp(kind, "failure-hashed") == 0)
			run_failure(path, strcmp(kind, "failure-hashed") == 0, &o);
		else if (strcmp(kind, "ingest") == 0 || strcmp(kind, "store") == 0) {
			free(buf);
			continue;
		} else {
			print_error("%s: unknown kind\n", where);
			failed++;
			free(buf);
			continue;
		}
		lib_rows++;
		if (!check(where, &o, expect))
			failed++;
		free(o.dump);
		json_decref(o.meta);
		free(buf);
	}
	fclose(f);
	assert_true(header);
	assert_int_equal(failed, 0);
	assert_true(lib_rows >= 40);

	/* every bullet of QUIRKS.md, counted in document order, has at least one row */
	const char *shared = getenv("MA_SHARED_DIR");
	if (shared == NULL)
		skip();
	snprintf(path, sizeof path, "%s/corpus/reports/QUIRKS.md", shared);
	f = fopen(path, "r");
	if (f == NULL)
		skip();
	int bullets = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "- ", 2) != 0)
			continue;
		bullets++;
		assert_true(bullets < QUIRKS_MAX);
		if (!covered[bullets]) {
			print_error("QUIRKS.md bullet %d has no row in quirks.tsv: %s", bullets, line);
			failed++;
		}
	}
	fclose(f);
	assert_true(bullets >= 30);
	assert_int_equal(failed, 0);
	for (int q = bullets + 1; q < QUIRKS_MAX; q++)
		assert_false(covered[q]); /* a row for a quirk that does not exist */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quirks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
