/* src/cli/cmd_spf.c — the 'spf' subcommand. */
#include <stdio.h>

#include "cli/commands.h"

int ma_cmd_spf(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailassure spf: not built yet\n");
	return MA_EXIT_ERROR;
}
