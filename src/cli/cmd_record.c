/* src/cli/cmd_record.c — the 'record' subcommand: write a zone-file-ready DMARC, SPF, MTA-STS or TLS-RPT record (or
 * an MTA-STS policy file) from options, via the pure generator in lib/record_gen. Reads the clock for the MTA-STS id.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "lib/err.h"
#include "lib/record_gen.h"

#define DEFAULT_TTL 3600u

static const char common_help[] =
    "common options:\n"
    "  --domain D        the domain (required; internationalised names as A-labels, xn--...)\n"
    "  --ttl N           the record's TTL in seconds (default 3600)\n"
    "  -h, --help        show this help\n"
    "Options take their value as '--opt VALUE' or '--opt=VALUE'.\n\n"
    "exit status: 0 the record was written (warnings on stderr), 1 it was written but has an error finding,\n"
    "2 usage error or a bad option value (message on stderr).\n";

static void usage_all(FILE *out)
{
	fprintf(out,
	        "usage: mailassure record {dmarc|spf|mta-sts|tls-rpt} --domain D [options]\n\n"
	        "Write a zone-file-ready record: '<owner> <ttl> IN TXT \"...\"', the TXT data split into strings\n"
	        "of at most 255 bytes (RFC 1035 3.3.14). Findings about the record go to stderr.\n"
	        "'mailassure record KIND --help' lists the options of each kind.\n\n%s",
	        common_help);
}

static void usage_dmarc(FILE *out)
{
	fprintf(
	    out,
	    "usage: mailassure record dmarc --domain D --p POLICY [options]\n\n"
	    "The DMARC record at _dmarc.D, for RFC 7489 and RFC 9989 receivers (see --generation).\n\n"
	    "options:\n"
	    "  --p none|quarantine|reject    the policy (required)\n"
	    "  --sp POLICY                   the policy for subdomains\n"
	    "  --np POLICY                   the policy for non-existent subdomains (RFC 9989)\n"
	    "  --adkim r|s, --aspf r|s       DKIM / SPF alignment: relaxed or strict\n"
	    "  --pct N                       0-100, share of failing mail the policy applies to (RFC 7489); 100 is\n"
	    "                                not written; below 100 with --generation both, t=y is added too\n"
	    "  --t y|n                       testing mode (RFC 9989); t=y with --generation both adds pct=0\n"
	    "  --psd y|n|u                   public suffix domain (RFC 9989)\n"
	    "  --rua URI                     aggregate report address, mailto:... (repeatable)\n"
	    "  --ruf URI                     failure report address, mailto:... (repeatable)\n"
	    "  --fo OPTS                     failure report options: 0, 1, d, s separated by ':'\n"
	    "  --rf afrf, --ri SECONDS       report format and interval (RFC 7489)\n"
	    "  --generation 7489|9989|both   which receivers the record is written for (default both)\n\n%s",
	    common_help);
}

static void usage_spf(FILE *out)
{
	fprintf(
	    out,
	    "usage: mailassure record spf --domain D [options]\n\n"
	    "The SPF record at D. Terms are written cheapest first: ip4, ip6, a, mx, include, exists, then all\n"
	    "(or redirect). With no options it is 'v=spf1 -all', the record of a domain that sends no mail.\n\n"
	    "options (all repeatable except --redirect and --all):\n"
	    "  --ip4 ADDR[/N], --ip6 ADDR[/N]   addresses or networks allowed to send\n"
	    "  --a, --a=DOMAIN[/N]              the domain's (or DOMAIN's) A/AAAA addresses\n"
	    "  --mx, --mx=DOMAIN[/N]            the domain's (or DOMAIN's) MX hosts\n"
	    "  --include DOMAIN                 another domain's SPF record (a sending service)\n"
	    "  --exists DOMAIN                  a domain-spec that passes when it has an A record\n"
	    "  --redirect DOMAIN                use DOMAIN's record instead of an all term\n"
	    "  --all -|~|?|+                    the all qualifier (default -)\n\n"
	    "Warns over 450 bytes (UK standard); more than 10 DNS-querying terms is an error (RFC 7208 4.6.4).\n\n%s",
	    common_help);
}

static void usage_mtasts(FILE *out)
{
	fprintf(
	    out,
	    "usage: mailassure record mta-sts --domain D [--id ID] | --policy --mx PATTERN [options]\n\n"
	    "The MTA-STS TXT record at _mta-sts.D, or with --policy the policy file to serve at\n"
	    "https://mta-sts.D/.well-known/mta-sts.txt (CRLF line ends, RFC 8461 3.2).\n\n"
	    "options:\n"
	    "  --id ID                 1-32 letters and digits; default: the current UTC time, YYYYMMDDhhmmss\n"
	    "  --policy                print the policy file instead of the TXT record\n"
	    "  --mode enforce|testing|none   policy mode (default testing: start there, then enforce)\n"
	    "  --mx PATTERN            an MX host name or *.domain pattern (repeatable; required unless mode none)\n"
	    "  --max-age N             seconds (default 1209600 in enforce, 86400 otherwise)\n\n%s",
	    common_help);
}

static void usage_tlsrpt(FILE *out)
{
	fprintf(out,
	        "usage: mailassure record tls-rpt --domain D --rua URI [--rua URI...]\n\n"
	        "The TLS-RPT record at _smtp._tls.D (RFC 8460 3).\n\n"
	        "options:\n"
	        "  --rua URI     where TLS reports go: mailto:... or https://... (repeatable, at least one)\n\n%s",
	        common_help);
}

/* User-typed text in our messages: printable ASCII only. */
static void print_safe(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			fputc(*p, out);
		else
			fprintf(out, "\\x%02x", *p);
	}
}

/* A list of option values, at most argc of them. */
struct list {
	const char **v;
	size_t n;
};

/* The command line of one kind: every option any kind accepts; each kind rejects those not its own. */
struct args {
	const char *domain, *ttl;
	/* dmarc */
	const char *p, *sp, *np, *adkim, *aspf, *pct, *fo, *rf, *ri, *t, *psd, *generation;
	struct list rua, ruf;
	/* spf */
	struct list ip4, ip6, a, mx, include, exists;
	const char *redirect, *all;
	/* mta-sts */
	const char *id, *mode, *max_age;
	bool policy;
};

enum opt_kind { OPT_ONE, OPT_LIST, OPT_FLAG, OPT_FLAG_OR_LIST };

struct opt {
	const char *name; /* without the leading "--" */
	enum opt_kind kind;
	size_t off; /* offset of the field in struct args */
};

#define ONE(n, f)                                                                                                      \
	{                                                                                                              \
		n, OPT_ONE, offsetof(struct args, f)                                                                   \
	}
#define LIST(n, f)                                                                                                     \
	{                                                                                                              \
		n, OPT_LIST, offsetof(struct args, f)                                                                  \
	}

static const struct opt common_opts[] = {ONE("domain", domain), ONE("ttl", ttl), {NULL, OPT_ONE, 0}};
static const struct opt dmarc_opts[] = {ONE("p", p),         ONE("sp", sp),     ONE("np", np),
                                        ONE("adkim", adkim), ONE("aspf", aspf), ONE("pct", pct),
                                        ONE("fo", fo),       ONE("rf", rf),     ONE("ri", ri),
                                        ONE("t", t),         ONE("psd", psd),   ONE("generation", generation),
                                        LIST("rua", rua),    LIST("ruf", ruf),  {NULL, OPT_ONE, 0}};
static const struct opt spf_opts[] = {LIST("ip4", ip4),
                                      LIST("ip6", ip6),
                                      {"a", OPT_FLAG_OR_LIST, offsetof(struct args, a)},
                                      {"mx", OPT_FLAG_OR_LIST, offsetof(struct args, mx)},
                                      LIST("include", include),
                                      LIST("exists", exists),
                                      ONE("redirect", redirect),
                                      ONE("all", all),
                                      {NULL, OPT_ONE, 0}};
static const struct opt mtasts_opts[] = {ONE("id", id),           {"policy", OPT_FLAG, offsetof(struct args, policy)},
                                         ONE("mode", mode),       LIST("mx", mx),
                                         ONE("max-age", max_age), {NULL, OPT_ONE, 0}};
static const struct opt tlsrpt_opts[] = {LIST("rua", rua), {NULL, OPT_ONE, 0}};

static const struct opt *find_opt(const struct opt *tab, const char *name, size_t n)
{
	for (; tab->name != NULL; tab++)
		if (strlen(tab->name) == n && strncmp(tab->name, name, n) == 0)
			return tab;
	return NULL;
}

/* Parse argv[2..] into *a. Returns 0, 1 for --help (printed), or -1 after a message. */
static int parse_args(int argc, char **argv, const struct opt *kind_opts, void (*usage)(FILE *), const char *kind,
                      struct args *a)
{
	struct list *lists[] = {&a->rua, &a->ruf, &a->ip4, &a->ip6, &a->a, &a->mx, &a->include, &a->exists};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		lists[i]->v = calloc((size_t)argc, sizeof *lists[i]->v);
		if (lists[i]->v == NULL) {
			fprintf(stderr, "mailassure record: %s\n", ma_err_str(MA_ERR_NOMEM));
			return -1;
		}
	}
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			fprintf(stderr, "mailassure record %s: unexpected argument '", kind);
			print_safe(stderr, arg);
			fprintf(stderr, "' (see --help)\n");
			return -1;
		}
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt *o = find_opt(common_opts, name, n);
		if (o == NULL)
			o = find_opt(kind_opts, name, n);
		if (o == NULL) {
			fprintf(stderr, "mailassure record %s: unknown option '--", kind);
			print_safe(stderr, name);
			fprintf(stderr, "' (see --help)\n");
			return -1;
		}
		char *field = (char *)a + o->off;
		const char *val = eq ? eq + 1 : NULL;
		if (o->kind == OPT_FLAG || (o->kind == OPT_FLAG_OR_LIST && val == NULL)) {
			if (o->kind == OPT_FLAG) {
				if (val != NULL) {
					fprintf(stderr, "mailassure record %s: --%s takes no value\n", kind, o->name);
					return -1;
				}
				*(bool *)(void *)field = true;
			} else {
				struct list *l = (struct list *)(void *)field;
				l->v[l->n++] = ""; /* the domain itself */
			}
			continue;
		}
		if (val == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mailassure record %s: --%s needs a value\n", kind, o->name);
				return -1;
			}
			val = argv[++i];
		}
		if (o->kind == OPT_ONE) {
			const char **slot = (const char **)(void *)field;
			if (*slot != NULL) {
				fprintf(stderr, "mailassure record %s: --%s given twice\n", kind, o->name);
				return -1;
			}
			*slot = val;
		} else {
			struct list *l = (struct list *)(void *)field;
			l->v[l->n++] = val;
		}
	}
	if (a->domain == NULL) {
		fprintf(stderr, "mailassure record %s: --domain is required\n", kind);
		return -1;
	}
	return 0;
}

static void free_args(struct args *a)
{
	struct list *lists[] = {&a->rua, &a->ruf, &a->ip4, &a->ip6, &a->a, &a->mx, &a->include, &a->exists};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		free(lists[i]->v);
}

static bool parse_ttl(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	if (s == NULL || *s == '\0' || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > MA_RECORD_GEN_TTL_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int gen_dmarc(const struct args *a, struct ma_record_gen *g)
{
	enum ma_record_dmarc_generation gen = MA_RECORD_DMARC_BOTH;
	const char *gs = a->generation;
	if (gs != NULL) {
		if (strcmp(gs, "7489") == 0 || strcmp(gs, "rfc7489") == 0) {
			gen = MA_RECORD_DMARC_RFC7489;
		} else if (strcmp(gs, "9989") == 0 || strcmp(gs, "rfc9989") == 0) {
			gen = MA_RECORD_DMARC_RFC9989;
		} else if (strcmp(gs, "both") != 0) {
			snprintf(g->error, sizeof g->error, "generation: not 7489, 9989 or both");
			return MA_ERR_INVAL;
		}
	}
	struct ma_record_gen_dmarc_opts o = {
	    .domain = a->domain,
	    .generation = gen,
	    .p = a->p,
	    .sp = a->sp,
	    .np = a->np,
	    .adkim = a->adkim,
	    .aspf = a->aspf,
	    .pct = a->pct,
	    .fo = a->fo,
	    .rf = a->rf,
	    .ri = a->ri,
	    .t = a->t,
	    .psd = a->psd,
	    .rua = a->rua.v,
	    .nrua = a->rua.n,
	    .ruf = a->ruf.v,
	    .nruf = a->ruf.n,
	};
	return ma_record_gen_dmarc(&o, g);
}

static int gen_spf(const struct args *a, struct ma_record_gen *g)
{
	struct ma_record_gen_spf_opts o = {
	    .domain = a->domain,
	    .ip4 = a->ip4.v,
	    .nip4 = a->ip4.n,
	    .ip6 = a->ip6.v,
	    .nip6 = a->ip6.n,
	    .a = a->a.v,
	    .na = a->a.n,
	    .mx = a->mx.v,
	    .nmx = a->mx.n,
	    .include = a->include.v,
	    .ninclude = a->include.n,
	    .exists = a->exists.v,
	    .nexists = a->exists.n,
	    .redirect = a->redirect,
	    .all = a->all,
	};
	return ma_record_gen_spf(&o, g);
}

static int gen_mtasts(const struct args *a, struct ma_record_gen *g)
{
	if (a->policy) {
		if (a->id != NULL) {
			snprintf(g->error, sizeof g->error, "--id belongs to the TXT record, not the policy file");
			return MA_ERR_INVAL;
		}
		struct ma_record_gen_mtasts_policy_opts o = {
		    .domain = a->domain,
		    .mode = a->mode,
		    .mx = a->mx.v,
		    .nmx = a->mx.n,
		    .max_age = a->max_age,
		};
		return ma_record_gen_mtasts_policy(&o, g);
	}
	if (a->mode != NULL || a->mx.n > 0 || a->max_age != NULL) {
		snprintf(g->error, sizeof g->error,
		         "--mode, --mx and --max-age belong to the policy file: add --policy");
		return MA_ERR_INVAL;
	}
	struct ma_record_gen_mtasts_opts o = {.domain = a->domain, .id = a->id, .now = (int64_t)time(NULL)};
	return ma_record_gen_mtasts(&o, g);
}

static int gen_tlsrpt(const struct args *a, struct ma_record_gen *g)
{
	struct ma_record_gen_tlsrpt_opts o = {.domain = a->domain, .rua = a->rua.v, .nrua = a->rua.n};
	return ma_record_gen_tlsrpt(&o, g);
}

static const struct {
	const char *name;
	const struct opt *opts;
	void (*usage)(FILE *);
	int (*gen)(const struct args *, struct ma_record_gen *);
} kinds[] = {
    {"dmarc", dmarc_opts, usage_dmarc, gen_dmarc},
    {"spf", spf_opts, usage_spf, gen_spf},
    {"mta-sts", mtasts_opts, usage_mtasts, gen_mtasts},
    {"tls-rpt", tlsrpt_opts, usage_tlsrpt, gen_tlsrpt},
};

int ma_cmd_record(int argc, char **argv)
{
	if (argc < 2) {
		usage_all(stderr);
		return MA_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_all(stdout);
		return MA_EXIT_OK;
	}
	size_t k = 0;
	while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, argv[1]) != 0)
		k++;
	if (k == sizeof kinds / sizeof kinds[0]) {
		fprintf(stderr, "mailassure record: unknown kind '");
		print_safe(stderr, argv[1]);
		fprintf(stderr, "' (dmarc, spf, mta-sts or tls-rpt)\n");
		usage_all(stderr);
		return MA_EXIT_ERROR;
	}
	const char *kind = kinds[k].name;

	struct args a = {0};
	int exit_code = MA_EXIT_ERROR;
	int pr = parse_args(argc, argv, kinds[k].opts, kinds[k].usage, kind, &a);
	if (pr != 0) {
		free_args(&a);
		return pr > 0 ? MA_EXIT_OK : MA_EXIT_ERROR;
	}
	uint32_t ttl = DEFAULT_TTL;
	if (a.ttl != NULL && !parse_ttl(a.ttl, &ttl)) {
		fprintf(stderr, "mailassure record %s: --ttl: '", kind);
		print_safe(stderr, a.ttl);
		fprintf(stderr, "' is not a number of seconds from 0 to %u (RFC 2181 8)\n", MA_RECORD_GEN_TTL_MAX);
		free_args(&a);
		return MA_EXIT_ERROR;
	}

	struct ma_record_gen g;
	ma_record_gen_init(&g);
	int rc = kinds[k].gen(&a, &g);
	if (rc != MA_OK) {
		fprintf(stderr, "mailassure record %s: ", kind);
		print_safe(stderr, g.error[0] ? g.error : ma_err_str(rc));
		fprintf(stderr, "\n");
		goto out;
	}
	if (g.owner[0] == '\0') {
		/* The MTA-STS policy file: printed as it is to be served. */
		fwrite(g.text, 1, g.len, stdout);
		fprintf(stderr, "mailassure record %s: serve this file at %s\n", kind, g.location);
	} else {
		char *line;
		if ((rc = ma_record_gen_zone(&g, ttl, &line)) != MA_OK) {
			fprintf(stderr, "mailassure record %s: %s\n", kind, ma_err_str(rc));
			goto out;
		}
		fputs(line, stdout);
		free(line);
	}
	for (size_t i = 0; i < g.findings.n; i++) {
		char *t = ma_finding_text(&g.findings.v[i]);
		fprintf(stderr, "mailassure record %s: [%s] %s: ", kind,
		        ma_severity_name(g.findings.v[i].def->severity), g.findings.v[i].def->id);
		print_safe(stderr, t != NULL ? t : g.findings.v[i].def->message);
		fprintf(stderr, "\n  %s\n", g.findings.v[i].def->advice);
		free(t);
	}
	exit_code = ma_findings_worst(&g.findings) >= MA_SEV_ERROR ? MA_EXIT_FAIL : MA_EXIT_OK;
out:
	ma_record_gen_fini(&g);
	free_args(&a);
	return exit_code;
}
