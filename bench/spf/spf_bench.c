/* bench/spf/spf_bench.c — SPF evaluations per second through mailassure's evaluator in-process: the sans-I/O
 * check_host() step function (lib/spf.h) driven by the libunbound resolver (net/resolver.h), exactly as
 * 'mailassure spf' drives it, minus process start-up and printing.
 *
 *   spf_bench --resolver ADDR[:PORT] [--no-validate] [--rounds N] [--results] [--memo] QUERYFILE
 *
 * QUERYFILE holds one evaluation per line: "IP SENDER" (blank lines and '#' comments ignored). One resolver serves
 * the whole run. One untimed pass over the mix warms libunbound's cache; then the mix is evaluated N times (default
 * 20) and the rate printed as "evaluations/s: X". --results prints "IP SENDER RESULT" per query of the first pass,
 * so run.sh can check the peers agree on every answer. --memo keeps a copy of every answer in the bench itself and
 * serves repeats from it without calling the resolver: the evaluator's own cost, without the resolver's per-query
 * round trip through libunbound's worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/err.h"
#include "lib/spf.h"
#include "net/resolver.h"

struct query {
	char *ip, *sender;
};

/* --memo: every answer seen, deep-copied, looked up by (name, type) in an open-addressing hash table. The table has
 * far more slots than the mix asks distinct questions (a few thousand), so probing always ends. */
struct memo_entry {
	char *name;
	uint16_t type;
	struct ma_dns_answer ans;
	struct ma_dns_rdata *rr;
};
#define MEMO_SLOTS 65536u
static struct memo_entry *memo;

static size_t memo_slot(const struct ma_dns_question *q)
{
	size_t h = 5381u + q->type;
	for (const char *c = q->name; *c; c++)
		h = h * 33u + (unsigned char)(*c | 0x20);
	size_t i = h % MEMO_SLOTS;
	while (memo[i].name != NULL && !(memo[i].type == q->type && strcasecmp(memo[i].name, q->name) == 0))
		i = (i + 1) % MEMO_SLOTS;
	return i;
}

static void memo_put(struct memo_entry *e, const struct ma_dns_question *q, const struct ma_dns_answer *a)
{
	e->name = strdup(q->name);
	e->type = q->type;
	e->ans = *a;
	e->ans.why = NULL;
	e->rr = calloc(a->count ? a->count : 1, sizeof *e->rr);
	if (e->name == NULL || e->rr == NULL)
		abort();
	for (size_t i = 0; i < a->count; i++) {
		uint8_t *d = malloc(a->rr[i].len ? a->rr[i].len : 1);
		if (d == NULL)
			abort();
		memcpy(d, a->rr[i].data, a->rr[i].len);
		e->rr[i] = (struct ma_dns_rdata){.data = d, .len = a->rr[i].len};
	}
	e->ans.rr = e->rr;
}

static unsigned long asked; /* questions the evaluator handed out */

static int query(struct ma_resolver *res, const struct ma_dns_question *q, struct ma_dns_answer *a)
{
	asked++;
	if (memo == NULL)
		return ma_resolver_query(res, q, a);
	struct memo_entry *e = &memo[memo_slot(q)];
	if (e->name == NULL) {
		int rc = ma_resolver_query(res, q, a);
		if (rc != MA_OK)
			return rc;
		memo_put(e, q, a);
	}
	*a = e->ans;
	return MA_OK;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One check_host(): returns MA_OK with *result set, or an operation error. */
static int evaluate(struct ma_resolver *res, const struct query *q, enum ma_spf_result *result)
{
	struct ma_spf_eval_opts o = {.ip = q->ip, .sender = q->sender, .now = 0};
	struct ma_spf_eval *ev;
	int rc = ma_spf_eval_new(&o, &ev);
	if (rc != MA_OK)
		return rc;
	struct ma_dns_question dq;
	while ((rc = ma_spf_eval_step(ev, &dq)) == MA_SPF_NEED_DNS) {
		struct ma_dns_answer a;
		if ((rc = query(res, &dq, &a)) != MA_OK || (rc = ma_spf_eval_answer(ev, &a)) != MA_OK)
			break;
	}
	if (rc == MA_SPF_DONE) {
		struct ma_spf_outcome out;
		rc = ma_spf_eval_outcome(ev, &out);
		if (rc == MA_OK)
			*result = out.result;
	}
	ma_spf_eval_free(ev);
	return rc;
}

static int load(const char *path, struct query **out, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	struct query *qs = NULL;
	size_t cap = 0, len = 0;
	char *line = NULL;
	size_t linecap = 0;
	while (getline(&line, &linecap, f) > 0) {
		static const char ws[] = " \t\r\n";
		char *ip = line + strspn(line, ws);
		size_t iplen = strcspn(ip, ws);
		if (iplen == 0 || ip[0] == '#')
			continue;
		char *sender = ip + iplen + strspn(ip + iplen, ws);
		size_t senderlen = strcspn(sender, ws);
		ip[iplen] = '\0';
		sender[senderlen] = '\0';
		if (senderlen == 0) {
			fprintf(stderr, "%s: a line without a sender\n", path);
			free(line);
			fclose(f);
			return -1;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 256;
			struct query *nq = realloc(qs, cap * sizeof *qs);
			if (nq == NULL)
				abort();
			qs = nq;
		}
		qs[len].ip = strdup(ip);
		qs[len].sender = strdup(sender);
		if (qs[len].ip == NULL || qs[len].sender == NULL)
			abort();
		len++;
	}
	free(line);
	fclose(f);
	*out = qs;
	*n = len;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: spf_bench --resolver ADDR[:PORT] [--no-validate] [--rounds N] [--results] [--memo] QUERYFILE\n");
}

int main(int argc, char **argv)
{
	struct ma_resolver_opts ro = {.timeout_ms = 5000};
	const char *file = NULL;
	long rounds = 20;
	int results = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--resolver") == 0 && i + 1 < argc)
			ro.server = argv[++i];
		else if (strcmp(argv[i], "--no-validate") == 0)
			ro.no_validate = true;
		else if (strcmp(argv[i], "--results") == 0)
			results = 1;
		else if (strcmp(argv[i], "--memo") == 0 && memo == NULL) {
			if ((memo = calloc(MEMO_SLOTS, sizeof *memo)) == NULL)
				abort();
		}
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			char *end;
			rounds = strtol(argv[++i], &end, 10);
			if (*end != '\0' || rounds < 1) {
				usage();
				return 2;
			}
		} else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else {
			usage();
			return 2;
		}
	}
	if (file == NULL || ro.server == NULL) {
		usage();
		return 2;
	}
	struct query *qs;
	size_t n;
	if (load(file, &qs, &n) != 0 || n == 0)
		return 2;
	struct ma_resolver *res;
	char *why = NULL;
	if (ma_resolver_new(&ro, &res, &why) != MA_OK) {
		fprintf(stderr, "spf_bench: resolver: %s\n", why ? why : "failed");
		free(why);
		return 2;
	}
	enum ma_spf_result *first = calloc(n, sizeof *first);
	if (first == NULL)
		abort();
	int rc = 0;
	/* Warm-up pass (untimed): fills libunbound's cache and records each result. */
	for (size_t i = 0; i < n && rc == 0; i++)
		if (evaluate(res, &qs[i], &first[i]) != MA_OK) {
			fprintf(stderr, "spf_bench: %s %s: evaluation failed\n", qs[i].ip, qs[i].sender);
			rc = 2;
		}
	unsigned long warm_queries = asked;
	double t0 = now_s();
	for (long r = 0; r < rounds && rc == 0; r++)
		for (size_t i = 0; i < n && rc == 0; i++) {
			enum ma_spf_result got;
			if (evaluate(res, &qs[i], &got) != MA_OK || got != first[i]) {
				fprintf(stderr, "spf_bench: %s %s: evaluation failed or changed\n", qs[i].ip,
					qs[i].sender);
				rc = 2;
			}
		}
	double dt = now_s() - t0;
	if (rc == 0) {
		if (results)
			for (size_t i = 0; i < n; i++)
				printf("%s %s %s\n", qs[i].ip, qs[i].sender, ma_spf_result_name(first[i]));
		double evals = (double)rounds * (double)n;
		printf("evaluations: %.0f in %.3f s\n", evals, dt);
		printf("dns questions per pass: %lu\n", warm_queries);
		printf("evaluations/s: %.1f\n", evals / dt);
	}
	ma_resolver_free(res);
	for (size_t i = 0; i < n; i++) {
		free(qs[i].ip);
		free(qs[i].sender);
	}
	free(qs);
	free(first);
	for (size_t i = 0; memo != NULL && i < MEMO_SLOTS; i++) {
		for (size_t k = 0; memo[i].name != NULL && k < memo[i].ans.count; k++)
			free((void *)memo[i].rr[k].data);
		free(memo[i].rr);
		free(memo[i].name);
	}
	free(memo);
	return rc;
}
