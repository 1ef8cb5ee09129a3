/* tests/fuzz/fuzz_dmarc_discover.c — libFuzzer target: DMARC discovery (and the tree walk for an organisational
 * domain) fed garbage answers. The input picks the author domain, then supplies each answer in turn:
 * one status byte, one record-count byte, and per record a length byte and that many rdata bytes.
 * Discovery must finish within its query bound whatever comes back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const domains[] = {
	"example.com", "a.mail.example.com", "a.b.c.d.e.f.g.h.i.j.mail.example.com", "com", "x.co.uk",
	"giant.bank.example", "sub.example.com", "b.c.d.e.f.g.example.com",
};

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct cursor *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

#define RRMAX 8

/* An answer from the next input bytes; rr points into the input (the evaluator must respect lengths). */
static void answer(struct cursor *c, struct ma_dns_answer *a, struct ma_dns_rdata *rr)
{
	memset(a, 0, sizeof *a);
	uint8_t st = take(c);
	a->status = (enum ma_dns_status)(st % 7);
	a->dnssec = (enum ma_dnssec)((st >> 4) % 4);
	if (a->status != MA_DNS_ANSWER)
		return;
	size_t count = take(c) % (RRMAX + 1);
	for (size_t i = 0; i < count; i++) {
		size_t len = take(c);
		if (len > c->n)
			len = c->n;
		rr[i].data = c->p;
		rr[i].len = len;
		c->p += len;
		c->n -= len;
	}
	a->count = count;
	a->rr = rr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	const char *domain = domains[take(&c) % (sizeof domains / sizeof domains[0])];
	psl_ctx_t *psl = (take(&c) & 1) ? NULL : (psl_ctx_t *)psl_builtin();

	struct ma_dmarc_discover *d;
	struct ma_dmarc_discover_opts o = {.domain = domain, .psl = psl};
	if (ma_dmarc_discover_new(&o, &d) != 0)
		return 0;
	struct ma_dns_question q;
	struct ma_dns_rdata rr[RRMAX];
	struct ma_dns_answer a;
	unsigned asked = 0;
	while (ma_dmarc_discover_next(d, &q) == 1) {
		if (++asked > 16)
			abort(); /* the walk is bounded: 1 + 1 + 7 + 1 questions at most */
		answer(&c, &a, rr);
		if (ma_dmarc_discover_answer(d, &a) != 0)
			break;
	}
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(d);
	if (r != NULL) {
		json_decref(ma_dmarc_discovery_to_json(r));
		if (r->primary->outcome == MA_DMARC_FOUND) {
			struct ma_dmarc_report_dest *dests = NULL;
			size_t n = 0;
			if (ma_dmarc_report_dests(&r->primary->record, r->primary->policy_domain, psl, &dests, &n) == 0) {
				for (size_t i = 0; i < n; i++) {
					answer(&c, &a, rr);
					(void)ma_dmarc_report_auth_judge(&a);
				}
				free(dests);
			}
		}
	}
	ma_dmarc_discover_free(d);

	struct ma_dmarc_orgwalk *w;
	if (ma_dmarc_orgwalk_new(domain, &w) == 0) {
		asked = 0;
		while (ma_dmarc_orgwalk_next(w, &q) == 1) {
			if (++asked > MA_DMARC_WALK_MAX)
				abort();
			answer(&c, &a, rr);
			if (ma_dmarc_orgwalk_answer(w, &a) != 0)
				break;
		}
		const char *org;
		(void)ma_dmarc_orgwalk_result(w, &org);
		ma_dmarc_orgwalk_free(w);
	}
	return 0;
}
