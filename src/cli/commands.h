/* src/cli/commands.h — the subcommands main() dispatches to. Each returns the process exit code:
 * 0 ok, 1 the input was judged invalid or failing, 2 usage or operational error (message on stderr). */
#ifndef MA_CLI_COMMANDS_H
#define MA_CLI_COMMANDS_H

enum { MA_EXIT_OK = 0, MA_EXIT_FAIL = 1, MA_EXIT_ERROR = 2 };

int ma_cmd_lint(int argc, char **argv);
int ma_cmd_spf(int argc, char **argv);
int ma_cmd_dmarc(int argc, char **argv);
int ma_cmd_record(int argc, char **argv);
int ma_cmd_findings(int argc, char **argv);

#endif
