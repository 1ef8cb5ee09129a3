/* src/cli/cmd_dmarc.c — the 'dmarc' subcommand. */
#include <stdio.h>

#include "cli/commands.h"

int ma_cmd_dmarc(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailassure dmarc: not built yet\n");
	return MA_EXIT_ERROR;
}
