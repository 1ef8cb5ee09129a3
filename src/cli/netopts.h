/* src/cli/netopts.h — the network options every DNS-querying subcommand shares:
 *   --resolver ADDR[:PORT]   send every query to that server
 *   --trust-anchor FILE      replace the root trust anchor
 *   --no-validate            turn DNSSEC validation off (the output says so)
 *   --timeout SECONDS        per-query timeout */
#ifndef MA_CLI_NETOPTS_H
#define MA_CLI_NETOPTS_H

#include "net/resolver.h"

#define MA_NETOPTS_USAGE \
	"  --resolver ADDR[:PORT]  send every DNS query to this server\n" \
	"  --trust-anchor FILE     DNSSEC trust anchor file (default: the root anchor)\n" \
	"  --no-validate           do not validate DNSSEC\n" \
	"  --timeout SECONDS       per-query timeout (default 5)\n"

/* If argv[*i] is a network option, consume it (and its value), advance *i past it and return 1; return 0 when it
 * is not one; return -1 after printing a message to stderr when its value is missing or bad. */
int ma_netopts_parse(struct ma_resolver_opts *o, int argc, char **argv, int *i);

/* Create the resolver, printing the reason to stderr on failure (returns NULL then). */
struct ma_resolver *ma_netopts_resolver(const struct ma_resolver_opts *o);

#endif
