/* src/cli/netopts.c — parsing of the network options every DNS-querying subcommand shares (see netopts.h). */
#include "cli/netopts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

/* Match "--name VALUE" or "--name=VALUE"; on a match *val is the value (NULL when missing) and *i advanced. */
static int match_valued(const char *name, int argc, char **argv, int *i, const char **val)
{
	const char *a = argv[*i];
	size_t nl = strlen(name);
	if (strncmp(a, name, nl) != 0)
		return 0;
	if (a[nl] == '=') {
		*val = a + nl + 1;
		*i += 1;
		return 1;
	}
	if (a[nl] != '\0')
		return 0;
	*val = (*i + 1 < argc) ? argv[*i + 1] : NULL;
	*i += *val ? 2 : 1;
	return 1;
}

int ma_netopts_parse(struct ma_resolver_opts *o, int argc, char **argv, int *i)
{
	const char *val = NULL;
	if (strcmp(argv[*i], "--no-validate") == 0) {
		o->no_validate = true;
		*i += 1;
		return 1;
	}
	if (match_valued("--resolver", argc, argv, i, &val)) {
		char fwd[128];
		if (val == NULL || *val == '\0') {
			fprintf(stderr, "mailassure: --resolver needs ADDR[:PORT]\n");
			return -1;
		}
		if (ma_resolver_parse_server(val, fwd, sizeof fwd) != MA_OK) {
			fprintf(stderr, "mailassure: --resolver '%s': want an IP address as ADDR, ADDR:PORT, [IPV6]:PORT "
					"or ADDR@PORT (port 1-65535)\n", val);
			return -1;
		}
		o->server = val;
		return 1;
	}
	if (match_valued("--trust-anchor", argc, argv, i, &val)) {
		if (val == NULL || *val == '\0') {
			fprintf(stderr, "mailassure: --trust-anchor needs a FILE\n");
			return -1;
		}
		o->trust_anchor_file = val;
		return 1;
	}
	if (match_valued("--timeout", argc, argv, i, &val)) {
		char *end = NULL;
		errno = 0;
		double s = val ? strtod(val, &end) : 0;
		if (val == NULL || errno != 0 || end == val || *end != '\0' || !(s > 0) || s > 3600) {
			fprintf(stderr, "mailassure: --timeout needs a number of seconds (0 < S <= 3600)\n");
			return -1;
		}
		o->timeout_ms = (unsigned)(s * 1000.0 + 0.5);
		if (o->timeout_ms == 0)
			o->timeout_ms = 1;
		return 1;
	}
	return 0;
}

struct ma_resolver *ma_netopts_resolver(const struct ma_resolver_opts *o)
{
	struct ma_resolver *r = NULL;
	char *why = NULL;
	int err = ma_resolver_new(o, &r, &why);
	if (err != MA_OK) {
		fprintf(stderr, "mailassure: %s\n", why ? why : ma_err_str(err));
		free(why);
		return NULL;
	}
	return r;
}
