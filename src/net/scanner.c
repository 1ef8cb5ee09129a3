/* src/net/scanner.c — many lib/scan.h state machines through one engine, at most `concurrency` domains at once.
 *
 * Each domain is pulled from next() only when a slot is free, stepped until it has nothing more to ask, and
 * every need is dispatched (DNS to the engine, HTTPS to the engine's fetcher with the addresses the scan resolved
 * itself). A finished scan goes to on_done at once and is freed, so memory is bounded by the concurrency, never
 * by the length of the list. */
#include "net/scanner.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lib/err.h"

#define DEFAULT_CONCURRENCY 256
#define NEEDS_BATCH 16

struct scanner;

struct dom {
	struct scanner *sc;
	struct ma_scan *scan;
	const char *domain;
	void *user;
	size_t outstanding; /* needs handed to the engine and not yet answered */
	int err;            /* set when the scan failed; reported once the last answer is back */
	const char *reason;
	bool stepping; /* inside step(): answers given meanwhile are picked up by its loop */
};

struct req {
	struct dom *d;
	uint32_t id;
};

struct scanner {
	const struct ma_scanner_opts *o;
	struct event_base *base;
	unsigned concurrency, active;
	bool exhausted, filling;
	int err; /* an operation error that stops the run */
	struct ma_scan_need needs[NEEDS_BATCH];
};

static void fill(struct scanner *sc);
static void step(struct dom *d);

static void release(struct dom *d)
{
	struct scanner *sc = d->sc;
	if (d->err == MA_OK)
		sc->o->on_done(sc->o->arg, d->user, d->domain, d->scan);
	else if (sc->o->on_error != NULL)
		sc->o->on_error(sc->o->arg, d->user, d->domain, d->err, d->reason);
	ma_scan_free(d->scan);
	free(d);
	sc->active--;
	fill(sc);
	if (sc->exhausted && sc->active == 0)
		event_base_loopbreak(sc->base);
}

static void fail(struct dom *d, int err, const char *reason)
{
	if (d->err == MA_OK) {
		d->err = err;
		d->reason = reason;
	}
}

static void on_dns(void *arg, const struct ma_dns_answer *ans)
{
	struct req *r = arg;
	struct dom *d = r->d;
	d->outstanding--;
	if (d->err == MA_OK) {
		int rc = ma_scan_answer_dns(d->scan, r->id, ans);
		if (rc != MA_OK)
			fail(d, rc, "the scan refused a DNS answer");
	}
	free(r);
	step(d);
}

static void on_https(void *arg, const struct ma_https_result *res)
{
	struct req *r = arg;
	struct dom *d = r->d;
	d->outstanding--;
	if (d->err == MA_OK) {
		int rc = ma_scan_answer_https(d->scan, r->id, res);
		if (rc != MA_OK)
			fail(d, rc, "the scan refused an HTTPS answer");
	}
	free(r);
	step(d);
}

/* Hand one need to the engine. When it cannot even start, the scan is answered at once with what that means, so
 * it still finishes (an unaskable name is malformed, an unstartable fetch a connection failure): never "missing". */
static void dispatch(struct dom *d, const struct ma_scan_need *n)
{
	struct scanner *sc = d->sc;
	struct req *r = malloc(sizeof *r);
	if (r == NULL) {
		fail(d, MA_ERR_NOMEM, "out of memory");
		return;
	}
	r->d = d;
	r->id = n->id;
	int rc;
	if (n->kind == MA_SCAN_NEED_DNS) {
		rc = ma_engine_dns(sc->o->engine, &n->q, on_dns, r);
		if (rc == MA_OK) {
			d->outstanding++;
			return;
		}
		free(r);
		if (rc == MA_ERR_NOMEM) {
			fail(d, rc, "out of memory");
			return;
		}
		struct ma_dns_answer ans = {
		    .status = MA_DNS_MALFORMED,
		    .dnssec = MA_DNSSEC_UNCHECKED,
		    .why = rc == MA_ERR_INVAL ? "not a valid DNS name" : "the resolver could not ask",
		};
		if (ma_scan_answer_dns(d->scan, n->id, &ans) != MA_OK)
			fail(d, MA_ERR_STATE, "the scan refused a DNS answer");
		return;
	}
	if (n->kind == MA_SCAN_NEED_HTTPS) {
		const char *addrs[MA_SCAN_ADDRS_MAX];
		size_t na = n->naddrs > MA_SCAN_ADDRS_MAX ? MA_SCAN_ADDRS_MAX : n->naddrs;
		for (size_t i = 0; i < na; i++)
			addrs[i] = n->addrs[i];
		rc = ma_engine_https_get(sc->o->engine, n->host, n->path, addrs, na, on_https, r);
		if (rc == MA_OK) {
			d->outstanding++;
			return;
		}
		free(r);
		if (rc == MA_ERR_NOMEM) {
			fail(d, rc, "out of memory");
			return;
		}
		struct ma_https_result res = {
		    .status = MA_HTTPS_CONNECT,
		    .why = na == 0 ? "no address to connect to" : "the fetch could not start",
		};
		if (ma_scan_answer_https(d->scan, n->id, &res) != MA_OK)
			fail(d, MA_ERR_STATE, "the scan refused an HTTPS answer");
		return;
	}
	free(r);
	fail(d, MA_ERR_STATE, "the scan asked for something unknown");
}

/* Step d until it waits for answers, is done, or failed; release it when nothing of it is left in flight. */
static void step(struct dom *d)
{
	if (d->stepping)
		return;
	d->stepping = true;
	int st = MA_SCAN_PENDING;
	while (d->err == MA_OK) {
		size_t n = 0;
		st = ma_scan_step(d->scan, d->sc->needs, NEEDS_BATCH, &n);
		if (st < 0) {
			fail(d, st, "the scan failed");
			break;
		}
		/* Copy out: dispatching may answer at once and the next step reuses the buffer. */
		struct ma_scan_need *needs = d->sc->needs;
		for (size_t i = 0; i < n && d->err == MA_OK; i++)
			dispatch(d, &needs[i]);
		if (st == MA_SCAN_DONE || n == 0)
			break;
	}
	d->stepping = false;
	if (d->outstanding == 0 && (d->err != MA_OK || st == MA_SCAN_DONE))
		release(d);
	else if (d->outstanding == 0 && d->err == MA_OK) {
		/* Pending with nothing in flight and nothing to ask: the scan would wait forever. */
		fail(d, MA_ERR_STATE, "the scan stalled");
		release(d);
	}
}

static void start_one(struct scanner *sc, const char *domain, const char *const *sel, size_t nsel, void *user)
{
	struct dom *d = calloc(1, sizeof *d);
	if (d == NULL) {
		if (sc->o->on_error != NULL)
			sc->o->on_error(sc->o->arg, user, domain, MA_ERR_NOMEM, "out of memory");
		return;
	}
	d->sc = sc;
	d->domain = domain;
	d->user = user;
	const struct ma_scan_opts so = {
	    .domain = domain,
	    .selectors = sel,
	    .nselectors = nsel,
	    .common_selectors = sc->o->common_selectors,
	    .no_tls = sc->o->no_tls,
	    .now = sc->o->now,
	    .psl = sc->o->psl,
	};
	int rc = ma_scan_new(&so, &d->scan);
	if (rc != MA_OK) {
		free(d);
		if (sc->o->on_error != NULL)
			sc->o->on_error(sc->o->arg, user, domain, rc,
			                rc == MA_ERR_INVAL ? "not a valid domain name" : "cannot start the scan");
		return;
	}
	sc->active++;
	step(d);
}

/* Pull domains while slots are free. Re-entered from release() (a scan may finish inside step()), so a flag
 * keeps one loop running. */
static void fill(struct scanner *sc)
{
	if (sc->filling)
		return;
	sc->filling = true;
	while (!sc->exhausted && sc->active < sc->concurrency) {
		const char *domain = NULL;
		const char *const *sel = NULL;
		size_t nsel = 0;
		void *user = NULL;
		if (!sc->o->next(sc->o->arg, &domain, &sel, &nsel, &user)) {
			sc->exhausted = true;
			break;
		}
		start_one(sc, domain, sel, nsel, user);
	}
	sc->filling = false;
}

int ma_scanner_run(const struct ma_scanner_opts *opts)
{
	if (opts == NULL || opts->engine == NULL || opts->next == NULL || opts->on_done == NULL)
		return MA_ERR_INVAL;
	struct event_base *base = ma_engine_base(opts->engine);
	struct scanner *sc = calloc(1, sizeof *sc);
	if (sc == NULL)
		return MA_ERR_NOMEM;
	sc->o = opts;
	sc->base = base;
	sc->concurrency = opts->concurrency ? opts->concurrency : DEFAULT_CONCURRENCY;
	fill(sc);
	int rc = MA_OK;
	while (!(sc->exhausted && sc->active == 0)) {
		int r = event_base_dispatch(base);
		if (r < 0) {
			rc = MA_ERR_IO;
			break;
		}
		if (r == 1 && !(sc->exhausted && sc->active == 0)) {
			/* No events left but domains still in flight: nothing would ever finish them. */
			rc = MA_ERR_STATE;
			break;
		}
	}
	/* After a failure with domains still in flight their answers may yet arrive (ma_engine_free cancels them):
	 * the state they point to must outlive the run, so it is left allocated rather than freed under them. */
	if (sc->active == 0)
		free(sc);
	return rc;
}
