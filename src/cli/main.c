/* src/cli/main.c — mailassure's entry point: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

#ifndef MA_VERSION
#define MA_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"lint", ma_cmd_lint, "lint a SPF, DMARC, DKIM, MTA-STS, MTA-STS policy or TLS-RPT record"},
	{"spf", ma_cmd_spf, "evaluate SPF for an IP address and sender (RFC 7208)"},
	{"dmarc", ma_cmd_dmarc, "find the DMARC policy that applies to a domain"},
	{"record", ma_cmd_record, "generate a zone-file-ready DMARC, SPF, MTA-STS or TLS-RPT record"},
	{"findings", ma_cmd_findings, "list every finding ID with its advice"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mailassure COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'mailassure COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MA_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return MA_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("mailassure %s\n", MA_VERSION);
		return MA_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mailassure: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return MA_EXIT_ERROR;
}
