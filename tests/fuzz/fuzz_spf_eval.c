/* tests/fuzz/fuzz_spf_eval.c — libFuzzer target: check_host() fed a client address, a sender and then every DNS
 * answer from the fuzz input (status byte, record count, per record a length byte and the rdata). The evaluation
 * must end within its lookup bounds whatever comes back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ips[] = {"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "10.0.0.1"};
static const char *const senders[] = {"user@example.com", "", "@example.com", "a.b@sub.example.org"};

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

#define RRMAX 12

static void answer(struct cursor *c, struct ma_dns_answer *a, struct ma_dns_rdata *rr)
{
	memset(a, 0, sizeof *a);
	uint8_t st = take(c);
	a->status = (enum ma_dns_status)(st % 7);
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
	uint8_t sel = take(&c);
	struct ma_spf_eval_opts o = {
		.ip = ips[sel % 4],
		.sender = senders[(sel >> 2) % 4],
		.helo = "mail.example.net",
		.now = 1700000000,
	};
	struct ma_spf_eval *ev;
	if (ma_spf_eval_new(&o, &ev) != 0)
		return 0;
	struct ma_dns_question q;
	struct ma_dns_rdata rr[RRMAX];
	struct ma_dns_answer a;
	unsigned asked = 0;
	while (ma_spf_eval_step(ev, &q) == MA_SPF_NEED_DNS) {
		/* 11 records + 10 terms x (1 + 10 names) + %{p} (1 + 10) + exp: far below 400 */
		if (++asked > 400)
			abort();
		answer(&c, &a, rr);
		if (ma_spf_eval_answer(ev, &a) != 0)
			abort();
	}
	struct ma_spf_outcome out;
	if (ma_spf_eval_outcome(ev, &out) != 0)
		abort();
	ma_spf_eval_free(ev);

	struct ma_spf_tree *t;
	struct ma_spf_tree_opts to = {.domain = "example.com"};
	if (ma_spf_tree_new(&to, &t) == 0) {
		asked = 0;
		while (ma_spf_tree_step(t, &q) == MA_SPF_NEED_DNS) {
			if (++asked > 2000)
				abort();
			answer(&c, &a, rr);
			if (ma_spf_tree_answer(t, &a) != 0)
				abort();
		}
		json_decref(ma_spf_tree_to_json(t));
		ma_spf_tree_free(t);
	}
	return 0;
}
