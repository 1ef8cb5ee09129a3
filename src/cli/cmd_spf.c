/* src/cli/cmd_spf.c — the 'spf' subcommand: check_host() (RFC 7208) for a client IP and a MAIL FROM (or, for a
 * null reverse-path, the HELO name) against live DNS, driving the sans-I/O evaluator with the shared resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/netopts.h"
#include "lib/err.h"
#include "lib/spf.h"
#include "net/resolver.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: mailassure spf IP SENDER [--helo NAME] [network options] [--json]\n\n"
		     "Evaluate SPF (RFC 7208 check_host) for a message from IP with MAIL FROM SENDER. An empty SENDER\n"
		     "(\"\") is the null reverse-path: the HELO name is checked instead (RFC 7208 2.4).\n\n"
		     "Prints the result (pass, fail, softfail, neutral, none, permerror, temperror) on the first line,\n"
		     "then the explanation of a fail when the domain publishes one.\n\n"
		     "options:\n"
		     "  --helo NAME             the HELO/EHLO name (required when SENDER is empty)\n"
		     "  --receiver NAME         this host's name, for the %%{r} macro\n"
		     "  --json                  print {\"result\",\"explanation\",\"lookups\",\"void_lookups\"}\n"
		     "  -h, --help              show this help\n" MA_NETOPTS_USAGE
		     "\nexit status: 0 pass, neutral or none; 1 fail, softfail or permerror; 2 temperror, usage or\n"
		     "operational error.\n");
}

/* Remote text goes to a terminal: printable ASCII only. */
static void print_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

static int run(struct ma_resolver *res, struct ma_spf_eval *ev)
{
	struct ma_dns_question q;
	int rc;
	while ((rc = ma_spf_eval_step(ev, &q)) == MA_SPF_NEED_DNS) {
		struct ma_dns_answer a;
		if ((rc = ma_resolver_query(res, &q, &a)) != MA_OK)
			return rc;
		if ((rc = ma_spf_eval_answer(ev, &a)) != MA_OK)
			return rc;
	}
	return rc < 0 ? rc : MA_OK;
}

int ma_cmd_spf(int argc, char **argv)
{
	struct ma_resolver_opts ro = {0};
	const char *pos[2] = {NULL, NULL};
	int npos = 0;
	const char *helo = NULL, *receiver = NULL;
	bool json = false;
	for (int i = 1; i < argc;) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return MA_EXIT_OK;
		}
		if (strcmp(a, "--json") == 0) {
			json = true;
			i++;
			continue;
		}
		if (strcmp(a, "--helo") == 0 || strcmp(a, "--receiver") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mailassure spf: %s needs a value\n", a);
				return MA_EXIT_ERROR;
			}
			*(a[2] == 'h' ? &helo : &receiver) = argv[i + 1];
			i += 2;
			continue;
		}
		if (a[0] == '-' && a[1] == '-') {
			int n = ma_netopts_parse(&ro, argc, argv, &i);
			if (n < 0)
				return MA_EXIT_ERROR;
			if (n > 0)
				continue;
		}
		if ((a[0] == '-' && a[1] != '\0') || npos == 2) {
			fprintf(stderr, "mailassure spf: unexpected argument '%s'\n", a);
			usage(stderr);
			return MA_EXIT_ERROR;
		}
		pos[npos++] = a;
		i++;
	}
	if (npos != 2) {
		usage(stderr);
		return MA_EXIT_ERROR;
	}
	if (pos[1][0] == '\0' && helo == NULL) {
		fprintf(stderr, "mailassure spf: an empty SENDER (null reverse-path) needs --helo NAME\n");
		return MA_EXIT_ERROR;
	}
	struct ma_spf_eval_opts o = {
		.ip = pos[0],
		.sender = pos[1],
		.helo = helo,
		.receiver = receiver,
		.now = (int64_t)time(NULL), /* %{t}: lib takes "now" as a parameter */
	};
	struct ma_spf_eval *ev;
	int rc = ma_spf_eval_new(&o, &ev);
	if (rc != MA_OK) {
		fprintf(stderr, "mailassure spf: %s\n",
			rc == MA_ERR_INVAL ? "IP is not an IPv4 or IPv6 address, or an argument is too long"
					   : ma_err_str(rc));
		return MA_EXIT_ERROR;
	}
	struct ma_resolver *res = ma_netopts_resolver(&ro);
	if (res == NULL) {
		ma_spf_eval_free(ev);
		return MA_EXIT_ERROR;
	}
	rc = run(res, ev);
	ma_resolver_free(res);
	struct ma_spf_outcome out;
	if (rc != MA_OK || ma_spf_eval_outcome(ev, &out) != MA_OK) {
		fprintf(stderr, "mailassure spf: %s\n", ma_err_str(rc != MA_OK ? rc : MA_ERR_STATE));
		ma_spf_eval_free(ev);
		return MA_EXIT_ERROR;
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:s?, s:i, s:i, s:s, s:s}", "result", ma_spf_result_name(out.result),
				      "explanation", out.explanation, "lookups", (json_int_t)out.lookups,
				      "void_lookups", (json_int_t)out.void_lookups, "domain", out.domain, "reason",
				      out.reason);
		if (j != NULL && ro.no_validate)
			json_object_set_new(j, "dnssec", json_string("not validated (--no-validate)"));
		if (j == NULL) {
			fprintf(stderr, "mailassure spf: %s\n", ma_err_str(MA_ERR_NOMEM));
			ma_spf_eval_free(ev);
			return MA_EXIT_ERROR;
		}
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(j);
	} else {
		printf("%s\n", ma_spf_result_name(out.result));
		if (out.explanation != NULL) {
			printf("explanation: ");
			print_safe(out.explanation);
			putchar('\n');
		}
		printf("domain: ");
		print_safe(out.domain);
		printf("\nreason: ");
		print_safe(out.reason);
		printf("\nlookups: %u of %d, void lookups: %u of %d\n", out.lookups, MA_SPF_LOOKUP_LIMIT,
		       out.void_lookups, MA_SPF_VOID_LIMIT);
		if (ro.no_validate)
			printf("dnssec: not validated (--no-validate)\n");
	}
	int exit_code;
	switch (out.result) {
	case MA_SPF_PASS:
	case MA_SPF_NEUTRAL:
	case MA_SPF_NONE:
		exit_code = MA_EXIT_OK;
		break;
	case MA_SPF_TEMPERROR:
		fprintf(stderr, "mailassure spf: a DNS query failed temporarily; the result is inconclusive\n");
		exit_code = MA_EXIT_ERROR;
		break;
	default:
		exit_code = MA_EXIT_FAIL;
	}
	ma_spf_eval_free(ev);
	return exit_code;
}
