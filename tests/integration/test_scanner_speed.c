/* tests/integration/test_scanner_speed.c — a synthetic estate scanned through knot on loopback, the figures printed
 * (domains/s, questions/s, coalesced share) and never asserted: a loaded machine is not a failure. What is asserted
 * is what a user would notice at any speed: every domain handed back once, nothing inconclusive when the server
 * answers everything, and the engine idle at the end.
 *
 * MA_SCANNER_SPEED_DOMAINS (default 3000) and MA_SCANNER_SPEED_CONCURRENCY (default 1000) size the run;
 * MA_SCANNER_SPEED_SIGN=1 signs the zone and validates; MA_SCANNER_SPEED_IN_FLIGHT sets the engine's max_in_flight.
 * bench/scan measures the whole command against dnsperf. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>

#include "knot.h"
#include "lib/err.h"
#include "lib/scan.h"
#include "net/engine.h"
#include "net/scanner.h"

static unsigned env_num(const char *name, unsigned def)
{
	const char *v = getenv(name);
	if (v == NULL || *v < '0' || *v > '9')
		return def;
	return (unsigned)strtoul(v, NULL, 10);
}

struct dyn {
	char *s;
	size_t n, cap;
};

static void add(struct dyn *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct dyn *d, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int w = vsnprintf(d->s + d->n, d->cap - d->n, fmt, ap);
		va_end(ap);
		assert_true(w >= 0);
		if ((size_t)w < d->cap - d->n) {
			d->n += (size_t)w;
			return;
		}
		d->cap = d->cap * 2 + (size_t)w + 1;
		d->s = realloc(d->s, d->cap);
		assert_non_null(d->s);
	}
}

/* An organisation's estate: most domains on one of a few providers (shared MX and SPF include), the rest with
 * their own MX; SPF, DMARC, a DKIM key under a common selector and TLS-RPT everywhere. */
static char *estate(unsigned n)
{
	static const char *const providers[] = {"hostedmail", "officecloud", "mailco", "relaycorp"};
	struct dyn z = {malloc(1 << 16), 0, 1 << 16};
	assert_non_null(z.s);
	z.s[0] = '\0';
	for (unsigned p = 0; p < 4; p++) {
		add(&z, "_spf.%s TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:%x::/48 -all\"\n", providers[p], p + 1);
		for (unsigned k = 1; k <= 2; k++) {
			add(&z, "mx%u.%s A 192.0.2.%u\n", k, providers[p], 10 * p + k);
			add(&z, "mx%u.%s AAAA 2001:db8::%x:%u\n", k, providers[p], p + 1, k);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (i % 10 < 3) {
			add(&z, "d%u MX 10 mx.d%u\nmx.d%u A 203.0.113.%u\nd%u TXT \"v=spf1 mx -all\"\n", i, i, i,
			    i % 250 + 1, i);
		} else {
			const char *p = providers[i % 4];
			add(&z, "d%u MX 10 mx1.%s\nd%u MX 20 mx2.%s\nd%u TXT \"v=spf1 include:_spf.%s.bench -all\"\n",
			    i, p, i, p, i, p);
		}
		add(&z, "_dmarc.d%u TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@d%u.bench\"\n", i, i);
		add(&z,
		    "selector1._domainkey.d%u TXT \"v=DKIM1; k=ed25519; "
		    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n",
		    i);
		add(&z, "_smtp._tls.d%u TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@d%u.bench\"\n", i, i);
	}
	return z.s;
}

struct run {
	unsigned n, next, done, inconclusive;
	char name[64];
};

static bool next_dom(void *arg, const char **domain, const char *const **sel, size_t *nsel, void **user)
{
	struct run *r = arg;
	if (r->next == r->n)
		return false;
	/* The string must live until on_done: one per domain, freed there. */
	char *d = malloc(32);
	assert_non_null(d);
	snprintf(d, 32, "d%u.bench", r->next++);
	*domain = d;
	*sel = NULL;
	*nsel = 0;
	*user = d;
	return true;
}

static void on_done(void *arg, void *user, const char *domain, const struct ma_scan *scan)
{
	struct run *r = arg;
	r->done++;
	for (int a = MA_AREA_SPF; a <= MA_AREA_TLSRPT; a++)
		if (ma_scan_mark(scan, (enum ma_scan_area)a) == MA_MARK_INCONCLUSIVE) {
			if (r->inconclusive++ == 0)
				snprintf(r->name, sizeof r->name, "%s %s", domain,
				         ma_scan_area_name((enum ma_scan_area)a));
			break;
		}
	free(user);
}

static void on_error(void *arg, void *user, const char *domain, int err, const char *reason)
{
	(void)arg;
	fail_msg("%s: %s (%s)", domain, reason, ma_err_str(err));
	free(user);
}

static void test_estate(void **state)
{
	(void)state;
	if (!knot_available()) {
		fprintf(stderr, "knotd not installed: skipped\n");
		skip();
	}
	unsigned n = env_num("MA_SCANNER_SPEED_DOMAINS", 3000);
	unsigned conc = env_num("MA_SCANNER_SPEED_CONCURRENCY", 1000);
	bool sign = env_num("MA_SCANNER_SPEED_SIGN", 0) == 1;
	char *text = estate(n);
	struct knot_zone zone = {.origin = "bench.", .text = text, .sign = sign};
	struct knot_server *k = knot_start(NULL, &zone, 1);
	assert_non_null(k);

	struct event_base *base = event_base_new();
	struct ma_engine_opts eo = {
	    .base = base,
	    .server = knot_server_addr(k),
	    .trust_anchor_file = sign ? knot_trust_anchor_file(k) : NULL,
	    .no_validate = !sign,
	    .timeout_ms = 3000,
	    .retries = 1,
	};
	struct ma_engine *e = NULL;
	char *why = NULL;
	if (ma_engine_new(&eo, &e, &why) != MA_OK)
		fail_msg("engine: %s", why);
	struct run r = {.n = n};
	struct ma_scanner_opts so = {
	    .engine = e,
	    .concurrency = conc,
	    .no_tls = true,
	    .common_selectors = true,
	    .now = 1790000000,
	    .next = next_dom,
	    .on_done = on_done,
	    .on_error = on_error,
	    .arg = &r,
	};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ma_scanner_run(&so), MA_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct ma_engine_stats st;
	ma_engine_stats(e, &st);
	double asked = (double)(st.dns_queries + st.dns_coalesced);
	printf("# %u domains (%s, concurrency %u) in %.2f s: %.0f domains/s; %.0f questions/s asked "
	       "(%llu to libunbound, %llu coalesced), %llu retries, %llu timeouts\n",
	       n, sign ? "signed, validating" : "unsigned, no validation", conc, s, n / s, asked / s,
	       (unsigned long long)st.dns_queries, (unsigned long long)st.dns_coalesced,
	       (unsigned long long)st.dns_retries, (unsigned long long)st.dns_timeouts);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("# peak RSS %.0f MB\n", ru.ru_maxrss / 1024.0);
	assert_int_equal(r.done, n);
	assert_int_equal(st.in_flight, 0);
	if (r.inconclusive != 0)
		fail_msg("%u domains with an inconclusive area, first %s", r.inconclusive, r.name);
	ma_engine_free(e);
	event_base_free(base);
	knot_stop(k);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_estate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
