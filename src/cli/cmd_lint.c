/* src/cli/cmd_lint.c — the 'lint' subcommand: lint one SPF, DMARC, DKIM, MTA-STS, MTA-STS policy or TLS-RPT record
 * given on the command line or on standard input. Pure: no DNS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "lib/err.h"
#include "lib/lint.h"

#define STDIN_MAX (1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: mailassure lint {spf|dmarc|dkim|mta-sts|mta-sts-policy|tls-rpt} [--json] [--] RECORD\n\n"
	        "Lint one record's text (no DNS queries). RECORD '-' reads it from standard input (up to 1 MiB):\n"
	        "use that for an MTA-STS policy file. For TXT records give the strings joined, as receivers do.\n\n"
	        "options:\n"
	        "  --json       print {\"kind\",\"valid\",\"parsed\",\"findings\":[{\"id\",\"severity\",\"message\","
	        "\"advice\"}]}\n"
	        "  -h, --help   show this help\n"
	        "  --           end of options (for a RECORD that starts with '-')\n\n"
	        "exit status: 0 no error finding, 1 an error finding, 2 usage or operational error.\n");
}

/* Print untrusted text to a terminal: control bytes and non-ASCII escaped, so a record cannot move the cursor. */
static void print_safe(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			fputc(*p, out);
		else
			fprintf(out, "\\x%02x", *p);
	}
}

static int read_stdin(char **out, size_t *outlen)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return MA_ERR_NOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > STDIN_MAX) {
				free(buf);
				return MA_ERR_TOOBIG;
			}
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return MA_ERR_NOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len, stdin);
		if (got == 0)
			break;
		len += got;
	}
	if (ferror(stdin) || len > STDIN_MAX) {
		free(buf);
		return len > STDIN_MAX ? MA_ERR_TOOBIG : MA_ERR_IO;
	}
	*out = buf;
	*outlen = len;
	return MA_OK;
}

int ma_cmd_lint(int argc, char **argv)
{
	const char *kind_name = NULL, *record = NULL;
	bool json = false, options = true;
	for (int i = 1; i < argc; i++) {
		if (options && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
			usage(stdout);
			return MA_EXIT_OK;
		} else if (options && strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (options && strcmp(argv[i], "--") == 0) {
			options = false; /* a record that starts with '-' follows */
		} else if (options && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "mailassure lint: unknown option '");
			print_safe(stderr, argv[i]);
			fprintf(stderr, "'\n");
			usage(stderr);
			return MA_EXIT_ERROR;
		} else if (kind_name == NULL) {
			kind_name = argv[i];
		} else if (record == NULL) {
			record = argv[i];
		} else {
			fprintf(stderr, "mailassure lint: unexpected argument '");
			print_safe(stderr, argv[i]);
			fprintf(stderr, "'\n");
			usage(stderr);
			return MA_EXIT_ERROR;
		}
	}
	if (kind_name == NULL || record == NULL) {
		usage(stderr);
		return MA_EXIT_ERROR;
	}
	int kind = ma_lint_kind_from_name(kind_name);
	if (kind < 0) {
		fprintf(stderr, "mailassure lint: unknown kind '");
		print_safe(stderr, kind_name);
		fprintf(stderr, "'\n");
		usage(stderr);
		return MA_EXIT_ERROR;
	}
	char *data = NULL;
	size_t len;
	if (strcmp(record, "-") == 0) {
		int err = read_stdin(&data, &len);
		if (err != MA_OK) {
			fprintf(stderr, "mailassure lint: standard input: %s%s\n", ma_err_str(err),
			        err == MA_ERR_TOOBIG ? " (over 1 MiB)" : "");
			return MA_EXIT_ERROR;
		}
		/* A TXT record piped from a file or `dig +short` ends in a newline that is not part of it. */
		if (kind != MA_LINT_MTA_STS_POLICY)
			while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
				len--;
	} else {
		len = strlen(record);
	}
	struct ma_lint_result res;
	ma_lint_result_init(&res);
	int err = ma_lint((enum ma_lint_kind)kind, data ? data : record, len, &res);
	free(data);
	if (err != MA_OK) {
		fprintf(stderr, "mailassure lint: %s\n", ma_err_str(err));
		ma_lint_result_fini(&res);
		return MA_EXIT_ERROR;
	}
	bool has_error = ma_findings_worst(&res.findings) >= MA_SEV_ERROR;
	if (json) {
		json_t *findings = ma_findings_to_json(&res.findings);
		json_t *o = findings ? json_pack("{s:s, s:b, s:O, s:o}", "kind", ma_lint_kind_name(kind), "valid",
		                                 res.valid, "parsed", res.parsed, "findings", findings)
		                     : NULL;
		if (o == NULL || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
			json_decref(o);
			ma_lint_result_fini(&res);
			fprintf(stderr, "mailassure lint: out of memory\n");
			return MA_EXIT_ERROR;
		}
		putchar('\n');
		json_decref(o);
	} else {
		printf("%s record: %s\n", ma_lint_kind_name(kind),
		       !res.valid  ? "INVALID"
		       : has_error ? "valid, with errors"
		                   : "valid");
		for (size_t i = 0; i < res.findings.n; i++) {
			const struct ma_finding *fd = &res.findings.v[i];
			char *text = ma_finding_text(fd);
			printf("  [%s] %s: ", ma_severity_name(fd->def->severity), fd->def->id);
			print_safe(stdout, text ? text : fd->def->message);
			printf("\n      advice: %s\n", fd->def->advice);
			free(text);
		}
		if (res.findings.n == 0)
			printf("  no findings\n");
	}
	ma_lint_result_fini(&res);
	return has_error ? MA_EXIT_FAIL : MA_EXIT_OK;
}
