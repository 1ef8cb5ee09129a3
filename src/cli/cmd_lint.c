/* src/cli/cmd_lint.c — the 'lint' subcommand. */
#include <stdio.h>

#include "cli/commands.h"

int ma_cmd_lint(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailassure lint: not built yet\n");
	return MA_EXIT_ERROR;
}
