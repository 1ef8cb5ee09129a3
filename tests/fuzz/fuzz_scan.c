/* tests/fuzz/fuzz_scan.c — libFuzzer target: a whole-domain scan answered with bytes from the input. The first
 * byte picks the domain and options; then every need, in the order handed out, takes its answer from the input:
 * DNS needs one status/DNSSEC byte, a record count and per record a length byte and that many rdata bytes; HTTPS
 * needs a status byte, an HTTP status byte and a body length (two bytes) and that many bytes. The scan must finish
 * within its question bound and its result document must serialise, whatever comes back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/profile.h"
#include "lib/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const domains[] = {"example.com", "parked.example", "a.b.example.co.uk", "x.example"};
static const char *const sels[] = {"sel1", "google"};

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	uint8_t first = take(&c);
	struct ma_scan_opts o = {.domain = domains[first % 4],
	                         .selectors = sels,
	                         .nselectors = (first >> 2) % 3,
	                         .common_selectors = (first & 0x20) != 0,
	                         .now = 1767225600};
	struct ma_scan *s;
	if (ma_scan_new(&o, &s) != 0)
		return 0;
	struct ma_scan_need needs[16];
	size_t n;
	int rc;
	unsigned rounds = 0;
	while ((rc = ma_scan_step(s, needs, 16, &n)) == MA_SCAN_PENDING && n > 0 && ++rounds < 100000) {
		for (size_t i = 0; i < n; i++) {
			if (needs[i].kind == MA_SCAN_NEED_HTTPS) {
				struct ma_https_result r = {.status = (enum ma_https_status)(take(&c) % 6)};
				r.http_status = take(&c) % 2 ? 200 : 404;
				size_t len = (size_t)take(&c) << 8 | take(&c);
				if (len > c.n)
					len = c.n;
				r.body = (const char *)c.p;
				r.len = len;
				r.content_type = "text/plain";
				c.p += len;
				c.n -= len;
				ma_scan_answer_https(s, needs[i].id, &r);
				continue;
			}
			struct ma_dns_answer a;
			struct ma_dns_rdata rr[RRMAX];
			memset(&a, 0, sizeof a);
			uint8_t st = take(&c);
			a.status = (enum ma_dns_status)(st % 7);
			a.dnssec = (enum ma_dnssec)((st >> 4) % 4);
			if (a.status == MA_DNS_ANSWER) {
				a.count = take(&c) % (RRMAX + 1);
				for (size_t k = 0; k < a.count; k++) {
					size_t len = take(&c);
					if (len > c.n)
						len = c.n;
					rr[k].data = c.p;
					rr[k].len = len;
					c.p += len;
					c.n -= len;
				}
				a.rr = rr;
			}
			ma_scan_answer_dns(s, needs[i].id, &a);
		}
	}
	if (rc == MA_SCAN_PENDING) {
		/* every need was handed out and answered above: pending with nothing handed out is a bug */
		abort();
	}
	if (rc == MA_SCAN_DONE) {
		json_t *j = ma_scan_to_json(s);
		if (j != NULL) {
			char *txt = json_dumps(j, 0);
			for (int p = 0; p < MA_PROFILE_COUNT; p++) {
				bool pass;
				json_decref(ma_profile_grade((enum ma_profile)p, j, &pass));
			}
			free(txt);
			json_decref(j);
		}
	}
	ma_scan_free(s);
	return 0;
}
