/* tests/unit/lib/test_findings_registry.c — every registered finding is well formed, unique, and exercised by a
 * test: its ID must appear in some test source other than this file (a test that asserts it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/finding.h"

struct corpus {
	char *text;
	size_t len;
};

static void slurp_dir(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
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
			if (strcmp(de->d_name, "corpus") != 0) /* fuzz seeds assert nothing */
				slurp_dir(c, path);
			continue;
		}
		if (strcmp(de->d_name, "test_findings_registry.c") == 0)
			continue;
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		c->text = realloc(c->text, c->len + (size_t)st.st_size + 2);
		assert_non_null(c->text);
		size_t got = fread(c->text + c->len, 1, (size_t)st.st_size, f);
		/* binary fixtures (gzip, zip) hold NUL bytes, which would end the text strstr() searches */
		for (size_t i = 0; i < got; i++)
			if (c->text[c->len + i] == '\0')
				c->text[c->len + i] = ' ';
		c->len += got;
		c->text[c->len++] = '\n';
		c->text[c->len] = '\0';
		fclose(f);
	}
	closedir(d);
}

static void test_ids_well_formed_and_unique(void **state)
{
	(void)state;
	size_t n = ma_finding_def_count();
	for (size_t i = 0; i < n; i++) {
		const struct ma_finding_def *d = ma_finding_def_at(i);
		assert_non_null(d->message);
		assert_non_null(d->advice);
		assert_true(strlen(d->message) > 0 && strlen(d->advice) > 0);
		for (const char *p = d->id; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
				fail_msg("finding id %s: only a-z 0-9 . - allowed", d->id);
		assert_non_null(strchr(d->id, '.'));
		assert_null(strchr(d->message, '\n'));
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(d->id, ma_finding_def_at(j)->id) == 0)
				fail_msg("finding id %s registered twice", d->id);
		assert_ptr_equal(ma_finding_def_find(d->id), d);
	}
}

static void test_every_id_exercised(void **state)
{
	(void)state;
	const char *src = getenv("MA_SOURCE_DIR");
	if (src == NULL)
		skip();
	struct corpus c = {NULL, 0};
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests", src);
	slurp_dir(&c, dir);
	assert_non_null(c.text);
	size_t n = ma_finding_def_count(), missing = 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = ma_finding_def_at(i)->id;
		char quoted[256];
		snprintf(quoted, sizeof quoted, "\"%s\"", id);
		char tabbed[256];
		snprintf(tabbed, sizeof tabbed, "\t%s\n", id);
		if (strstr(c.text, quoted) == NULL && strstr(c.text, tabbed) == NULL) {
			print_message("finding %s is not exercised by any test\n", id);
			missing++;
		}
	}
	free(c.text);
	assert_int_equal(missing, 0);
}

static void test_findings_list(void **state)
{
	(void)state;
	struct ma_findings f;
	ma_findings_init(&f);
	assert_int_equal(ma_findings_worst(&f), MA_SEV_OK);
	if (ma_finding_def_count() > 0) {
		const struct ma_finding_def *d = ma_finding_def_at(0);
		assert_int_equal(ma_findings_add(&f, d->id, "detail %d", 42), 0);
		assert_true(ma_findings_has(&f, d->id));
		char *t = ma_finding_text(&f.v[0]);
		assert_non_null(strstr(t, "detail 42"));
		free(t);
		json_t *j = ma_findings_to_json(&f);
		assert_int_equal(json_array_size(j), 1);
		json_decref(j);
	}
	ma_findings_fini(&f);
	assert_int_equal(f.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_well_formed_and_unique),
		cmocka_unit_test(test_every_id_exercised),
		cmocka_unit_test(test_findings_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
