/* src/cli/cmd_record.c — the 'record' subcommand. */
#include <stdio.h>

#include "cli/commands.h"

int ma_cmd_record(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailassure record: not built yet\n");
	return MA_EXIT_ERROR;
}
