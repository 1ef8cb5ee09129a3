/* src/cli/cmd_dmarc.c — the 'dmarc' subcommand: find the DMARC policy that applies to a domain by both
 * generations (RFC 7489 PSL, RFC 9989 tree walk), say how it was found and where they disagree, and lint it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "cli/commands.h"
#include "cli/netopts.h"
#include "lib/dmarc.h"
#include "lib/err.h"
#include "net/resolver.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: mailassure dmarc DOMAIN [network options] [--json]\n\n"
		     "Find the DMARC policy that applies to DOMAIN: the record at _dmarc.DOMAIN, else the organisational\n"
		     "domain's by the Public Suffix List (RFC 7489) and by the DNS tree walk (RFC 9989); report where\n"
		     "the two disagree, and lint the record.\n\n"
		     "options:\n"
		     "  --json                  print the result as JSON\n"
		     "  -h, --help              show this help\n" MA_NETOPTS_USAGE
		     "\nexit status: 0 a valid policy applies, 1 no policy or an invalid one, 2 usage or operational\n"
		     "error (including a temporary DNS failure: the result is inconclusive).\n");
}

/* Remote text goes to a terminal: printable ASCII only. */
static void print_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

static void print_method(const char *label, const struct ma_dmarc_method *m)
{
	printf("  %-22s ", label);
	switch (m->outcome) {
	case MA_DMARC_FOUND:
		printf("_dmarc.%s (%s%s), policy %s", m->policy_domain, ma_dmarc_how_name(m->how),
		       m->from_psd ? ", public suffix domain" : "", ma_dmarc_policy_name(m->policy));
		if (m->applied != m->policy)
			printf(" (applied as %s: t=y)", ma_dmarc_policy_name(m->applied));
		break;
	case MA_DMARC_NONE:
		printf("no record");
		break;
	default:
		printf("inconclusive");
		break;
	}
	printf("; organisational domain %s\n", m->org_domain[0] ? m->org_domain : "unknown");
}

static void print_text(const struct ma_dmarc_discovery *r, bool no_validate)
{
	const struct ma_dmarc_method *p = r->primary;
	printf("domain: %s\n", r->domain);
	if (no_validate)
		printf("DNSSEC validation off\n");
	if (p->outcome == MA_DMARC_FOUND) {
		printf("record: ");
		print_safe(p->text, p->text_len);
		printf("\nfound:  _dmarc.%s (%s)\n", p->policy_domain,
		       p->how == MA_DMARC_HOW_EXACT ? "exact"
		       : p->how == MA_DMARC_HOW_PSL ? "PSL organisational domain"
						    : p->from_psd ? "tree walk, public suffix domain" : "tree walk");
		if (p->record.applies) {
			printf("policy: %s", ma_dmarc_policy_name(p->policy));
			if (p->applied != p->policy)
				printf(" (applied as %s: t=y testing)", ma_dmarc_policy_name(p->applied));
			printf("\n");
		} else {
			printf("policy: DMARC does not apply (no valid p and no valid rua)\n");
		}
	} else if (p->outcome == MA_DMARC_NONE) {
		printf("record: none\n");
	} else {
		printf("record: inconclusive (DNS failure)\n");
	}
	if (r->author_exists_known && r->author_nxdomain)
		printf("domain does not exist (NXDOMAIN)\n");
	printf("organisational domain: %s (PSL), %s (tree walk)\n",
	       r->psl_used && r->rfc7489.org_domain[0] ? r->rfc7489.org_domain : "unknown",
	       r->rfc9989.org_domain[0] ? r->rfc9989.org_domain : "unknown");
	printf("by method:\n");
	if (r->psl_used)
		print_method("RFC 7489 (PSL):", &r->rfc7489);
	print_method("RFC 9989 (tree walk):", &r->rfc9989);
	if (r->disagree)
		printf("disagreement: the PSL and the tree walk give different results\n");
	if (r->findings.n > 0)
		printf("findings:\n");
	for (size_t i = 0; i < r->findings.n; i++) {
		char *t = ma_finding_text(&r->findings.v[i]);
		printf("  [%s] %s: ", ma_severity_name(r->findings.v[i].def->severity), r->findings.v[i].def->id);
		if (t != NULL)
			print_safe(t, strlen(t));
		printf("\n");
		free(t);
	}
}

/* Drive the sans-I/O discovery with the resolver. */
static int run(struct ma_resolver *res, struct ma_dmarc_discover *d)
{
	struct ma_dns_question q;
	int rc;
	while ((rc = ma_dmarc_discover_next(d, &q)) == 1) {
		struct ma_dns_answer a;
		rc = ma_resolver_query(res, &q, &a);
		if (rc != MA_OK)
			return rc;
		if ((rc = ma_dmarc_discover_answer(d, &a)) != MA_OK)
			return rc;
	}
	return rc;
}

int ma_cmd_dmarc(int argc, char **argv)
{
	struct ma_resolver_opts ro = {0};
	const char *domain = NULL;
	bool json = false;
	for (int i = 1; i < argc;) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return MA_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			i++;
			continue;
		}
		int n = ma_netopts_parse(&ro, argc, argv, &i);
		if (n < 0)
			return MA_EXIT_ERROR;
		if (n > 0)
			continue;
		if (argv[i][0] == '-' || domain != NULL) {
			fprintf(stderr, "mailassure dmarc: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return MA_EXIT_ERROR;
		}
		domain = argv[i++];
	}
	if (domain == NULL) {
		usage(stderr);
		return MA_EXIT_ERROR;
	}

	struct ma_dmarc_discover *d;
	psl_ctx_t *owned_psl = psl_latest(NULL); /* the newest of libpsl's built-in list and the system's */
	const psl_ctx_t *psl = owned_psl ? owned_psl : psl_builtin();
	struct ma_dmarc_discover_opts o = {.domain = domain, .psl = psl};
	int rc = ma_dmarc_discover_new(&o, &d);
	if (rc != MA_OK) {
		fprintf(stderr, "mailassure dmarc: '%s' is not a valid domain name\n", domain);
		psl_free(owned_psl);
		return MA_EXIT_ERROR;
	}
	struct ma_resolver *res = ma_netopts_resolver(&ro);
	if (res == NULL) {
		ma_dmarc_discover_free(d);
		psl_free(owned_psl);
		return MA_EXIT_ERROR;
	}
	rc = run(res, d);
	ma_resolver_free(res);
	int exit_code = MA_EXIT_ERROR;
	if (rc != MA_OK) {
		fprintf(stderr, "mailassure dmarc: %s\n", ma_err_str(rc));
		goto out;
	}
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	if (json) {
		json_t *j = ma_dmarc_discovery_to_json(r);
		if (j == NULL) {
			fprintf(stderr, "mailassure dmarc: %s\n", ma_err_str(MA_ERR_NOMEM));
			goto out;
		}
		json_object_set_new(j, "dnssec_validation", json_boolean(!ro.no_validate));
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(j);
	} else {
		print_text(r, ro.no_validate);
	}
	if (r->outcome == MA_DMARC_INCONCLUSIVE) {
		fprintf(stderr, "mailassure dmarc: %s: a DNS query failed temporarily; the result is inconclusive\n",
			r->domain);
		exit_code = MA_EXIT_ERROR;
	} else if (r->outcome == MA_DMARC_FOUND && r->primary->record.applies &&
		   ma_findings_worst(&r->findings) < MA_SEV_ERROR) {
		exit_code = MA_EXIT_OK;
	} else {
		exit_code = MA_EXIT_FAIL;
	}
out:
	ma_dmarc_discover_free(d);
	psl_free(owned_psl);
	return exit_code;
}
