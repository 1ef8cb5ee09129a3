/* src/net/engine.c — the scanner's async engine: libunbound's event interface in the caller's libevent loop, with
 * our own per-attempt deadlines, bounded retries and coalescing of identical questions, plus the HTTPS fetcher.
 *
 * Why our own deadline: libunbound's retry schedule against a silent server runs for minutes; each attempt here
 * gets timeout_ms on a libevent timer, after which the libunbound query is cancelled (in event mode ub_cancel()
 * only marks it, so its callback never runs: a late answer cannot reach a freed query) and asked again, up to
 * `retries` more times. Why coalescing: thousands of domains ask for one provider's SPF include or MX name at the
 * same moment; one libunbound query serves every waiter.
 *
 * libunbound may answer inside ub_resolve_event() (local zones, its cache), and calling back into it from its
 * own callback is not safe (the mesh state is being torn down around us), so every answer is copied and handed
 * on from a separate loop event. That also keeps the async contract: never a callback from inside a start call. */
#include "net/engine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <unbound-event.h>
#include <unbound.h>

#include "lib/dns_msg.h"
#include "lib/err.h"
#include "net/https.h"
#include "net/ubconf.h"

#define DEFAULT_TIMEOUT_MS 5000
#define RETRIES_MAX 5 /* whatever the caller asks, an answer takes at most (1 + 5) deadlines */
#define RCODE_SERVFAIL 2
#define BUCKETS_MIN 1024
/* Questions handed to libunbound at once. Every one costs it a socket; past a few hundred on loopback the server's
 * receive buffer overflows, libunbound's retransmits and its server-down backoff take over, and throughput falls
 * by two thirds (measured: 17,000 questions/s at 100-1,000 in flight, 6,500 at 3,000). The rest wait in order. */
#define DEFAULT_MAX_IN_FLIGHT 500

/* One caller waiting for a question's answer. */
struct waiter {
	ma_engine_dns_cb cb;
	void *arg;
	struct waiter *next;
};

/* One question in flight in libunbound, shared by every caller who asked it meanwhile. */
struct dquery {
	struct ma_engine *e;
	struct dquery *hnext; /* hash chain */
	struct dquery *rnext; /* ready list */
	struct dquery *wnext; /* waiting for a slot in libunbound */
	uint32_t hash;
	char *name; /* the question, presentation form (a copy: a full struct ma_dns_question is 1 KiB) */
	uint16_t type;
	struct waiter *waiters, **wtail;
	struct event timer; /* this attempt's deadline */
	int async_id;
	bool ub_pending; /* libunbound holds a live (not cancelled) query with us as its argument */
	bool ready;      /* on the ready list */
	bool waiting;    /* on the waiting list */
	unsigned attempts;
	/* The answer from libunbound's callback, copied: its buffers live only during the call. */
	int rcode;
	int sec; /* libunbound: 0 insecure or unchecked, 1 bogus, 2 secure */
	uint8_t *pkt;
	size_t len;
	char *why_bogus;
};

struct https_req {
	struct ma_engine *e;
	ma_engine_https_cb cb;
	void *arg;
};

struct ma_engine {
	struct event_base *base;
	struct ub_ctx *ctx;
	struct ma_https *https;
	bool validate, closing;
	unsigned timeout_ms, retries;
	unsigned max_ub, ub_inflight; /* questions libunbound works on at once, and the cap */
	struct dquery *wait_head, **wait_tail;
	const struct timeval *deadline_tv; /* a libevent common timeout: O(1) add for thousands of equal timers */
	struct event *ready_ev;
	struct dquery *ready_head, **ready_tail;
	struct dquery **buckets;
	size_t nbuckets, nqueries;
	size_t dns_waiting, https_waiting;
	struct ma_dns_msg msg;    /* reused for every parse; answers are handed on before the next one */
	struct ma_dns_question q; /* the question being parsed, rebuilt from a query's copy */
	struct ma_engine_stats stats;
	char why[256];
};

static uint32_t qhash(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;
	size_t n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static struct dquery **find_slot(struct ma_engine *e, const struct ma_dns_question *q, uint32_t h)
{
	struct dquery **pp = &e->buckets[h & (e->nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((*pp)->hash == h && (*pp)->type == q->type && ma_dns_name_eq((*pp)->name, q->name))
			return pp;
	return pp;
}

static void unlink_query(struct ma_engine *e, struct dquery *dq)
{
	struct dquery **pp = &e->buckets[dq->hash & (e->nbuckets - 1)];
	while (*pp != NULL && *pp != dq)
		pp = &(*pp)->hnext;
	if (*pp == dq) {
		*pp = dq->hnext;
		e->nqueries--;
	}
}

static int grow(struct ma_engine *e)
{
	size_t n = e->nbuckets * 2;
	struct dquery **nb = calloc(n, sizeof *nb);
	if (nb == NULL)
		return MA_ERR_NOMEM;
	for (size_t i = 0; i < e->nbuckets; i++) {
		for (struct dquery *dq = e->buckets[i], *next; dq != NULL; dq = next) {
			next = dq->hnext;
			dq->hnext = nb[dq->hash & (n - 1)];
			nb[dq->hash & (n - 1)] = dq;
		}
	}
	free(e->buckets);
	e->buckets = nb;
	e->nbuckets = n;
	return MA_OK;
}

/* Hand ans to every waiter of dq and free dq. dq must be out of the table already, so a waiter asking the same
 * question again starts a fresh query. */
static void deliver(struct ma_engine *e, struct dquery *dq, const struct ma_dns_answer *ans)
{
	evtimer_del(&dq->timer);
	for (struct waiter *w = dq->waiters, *next; w != NULL; w = next) {
		next = w->next;
		e->dns_waiting--;
		w->cb(w->arg, ans);
		free(w);
	}
	free(dq->pkt);
	free(dq->why_bogus);
	free(dq->name);
	free(dq);
}

static void deliver_status(struct ma_engine *e, struct dquery *dq, enum ma_dns_status st, const char *why)
{
	struct ma_dns_answer ans = {.status = st, .dnssec = MA_DNSSEC_UNCHECKED, .why = why};
	unlink_query(e, dq);
	deliver(e, dq, &ans);
}

static void on_ub(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus, int was_ratelimited);

/* Start (or restart) libunbound's query for dq and arm its deadline. */
static int start_attempt(struct ma_engine *e, struct dquery *dq)
{
	dq->attempts++;
	dq->ub_pending = true;
	e->ub_inflight++;
	dq->async_id = 0;
	int ub = ub_resolve_event(e->ctx, dq->name, dq->type, 1 /* IN */, dq, on_ub, &dq->async_id);
	if (ub != 0) {
		dq->ub_pending = false;
		e->ub_inflight--;
		snprintf(e->why, sizeof e->why, "resolver: %s", ub_strerror(ub));
		return ub == UB_NOMEM ? MA_ERR_NOMEM : MA_ERR_DNS;
	}
	/* Answered at once (cache, local zone): it is on the ready list, no deadline needed. */
	if (dq->ub_pending)
		evtimer_add(&dq->timer, e->deadline_tv);
	return MA_OK;
}

/* Start dq now if libunbound has room, else queue it; the queue moves on from loop events (pump), never from
 * inside libunbound's callback. */
static int admit(struct ma_engine *e, struct dquery *dq)
{
	if (e->ub_inflight < e->max_ub && e->wait_head == NULL)
		return start_attempt(e, dq);
	dq->waiting = true;
	dq->wnext = NULL;
	*e->wait_tail = dq;
	e->wait_tail = &dq->wnext;
	return MA_OK;
}

static void pump(struct ma_engine *e)
{
	while (e->wait_head != NULL && e->ub_inflight < e->max_ub) {
		struct dquery *dq = e->wait_head;
		e->wait_head = dq->wnext;
		if (e->wait_head == NULL)
			e->wait_tail = &e->wait_head;
		dq->waiting = false;
		if (start_attempt(e, dq) != MA_OK)
			deliver_status(e, dq, MA_DNS_SERVFAIL, e->why);
	}
}

static void on_ub(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus, int was_ratelimited)
{
	struct dquery *dq = arg;
	struct ma_engine *e = dq->e;
	(void)was_ratelimited;
	dq->ub_pending = false;
	e->ub_inflight--;
	dq->async_id = 0;
	evtimer_del(&dq->timer);
	dq->rcode = rcode;
	dq->sec = sec;
	free(dq->pkt);
	dq->pkt = NULL;
	dq->len = 0;
	free(dq->why_bogus);
	dq->why_bogus = NULL;
	if (pkt != NULL && len > 0) {
		dq->pkt = malloc((size_t)len);
		if (dq->pkt != NULL) {
			memcpy(dq->pkt, pkt, (size_t)len);
			dq->len = (size_t)len;
		}
	}
	if (why_bogus != NULL)
		dq->why_bogus = strdup(why_bogus);
	if (!dq->ready) {
		dq->ready = true;
		dq->rnext = NULL;
		*e->ready_tail = dq;
		e->ready_tail = &dq->rnext;
		event_active(e->ready_ev, EV_READ, 0);
	}
}

static void answer_from(struct ma_engine *e, struct dquery *dq)
{
	unlink_query(e, dq);
	if (dq->rcode != 0 && dq->rcode != 3 && dq->pkt == NULL) {
		/* libunbound's own failure (no reply message at all). */
		struct ma_dns_answer ans = {.status = MA_DNS_SERVFAIL, .dnssec = MA_DNSSEC_UNCHECKED};
		snprintf(e->why, sizeof e->why, "%s", dq->rcode == RCODE_SERVFAIL ? "SERVFAIL" : "resolver failure");
		ans.why = e->why;
		deliver(e, dq, &ans);
		return;
	}
	enum ma_dnssec verdict = !e->validate   ? MA_DNSSEC_UNCHECKED
	                         : dq->sec == 2 ? MA_DNSSEC_SECURE
	                         : dq->sec == 1 ? MA_DNSSEC_BOGUS
	                                        : MA_DNSSEC_INSECURE;
	snprintf(e->q.name, sizeof e->q.name, "%s", dq->name);
	e->q.type = dq->type;
	struct ma_dns_msg_in in = {
	    .pkt = dq->pkt,
	    .len = dq->len,
	    .q = &e->q,
	    .verdict = verdict,
	    .why_bogus = dq->why_bogus,
	};
	if (dq->pkt == NULL && verdict != MA_DNSSEC_BOGUS) {
		struct ma_dns_answer ans = {.status = MA_DNS_SERVFAIL, .dnssec = MA_DNSSEC_UNCHECKED};
		ans.why = "no reply message (out of memory)";
		deliver(e, dq, &ans);
		return;
	}
	int rc = ma_dns_msg_parse(&e->msg, &in);
	if (rc != MA_OK) {
		struct ma_dns_answer ans = {.status = MA_DNS_SERVFAIL, .dnssec = MA_DNSSEC_UNCHECKED};
		ans.why = rc == MA_ERR_NOMEM ? "out of memory reading the answer" : "the question cannot be asked";
		deliver(e, dq, &ans);
		return;
	}
	/* libunbound reports its own failures with an RCODE and a bare reply; keep its RCODE when the message says
	 * otherwise, so a failure is never read as an empty answer. */
	if (dq->rcode != 0 && dq->rcode != 3 && e->msg.ans.status != MA_DNS_SERVFAIL &&
	    e->msg.ans.status != MA_DNS_BOGUS) {
		struct ma_dns_answer ans = {.status = MA_DNS_SERVFAIL, .dnssec = MA_DNSSEC_UNCHECKED};
		if (dq->rcode == RCODE_SERVFAIL)
			snprintf(e->why, sizeof e->why, "SERVFAIL");
		else
			snprintf(e->why, sizeof e->why, "RCODE%d", dq->rcode);
		ans.why = e->why;
		deliver(e, dq, &ans);
		return;
	}
	deliver(e, dq, &e->msg.ans);
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct ma_engine *e = arg;
	(void)fd;
	(void)what;
	/* Take the list as it is now: answers arriving while we hand these on wait for the next round. */
	struct dquery *list = e->ready_head;
	e->ready_head = NULL;
	e->ready_tail = &e->ready_head;
	while (list != NULL) {
		struct dquery *dq = list;
		list = dq->rnext;
		dq->ready = false;
		/* SERVFAIL is temporary: ask again while attempts remain (a bogus verdict is final). */
		if (dq->rcode == RCODE_SERVFAIL && dq->sec != 1 && dq->attempts <= e->retries) {
			e->stats.dns_retries++;
			if (admit(e, dq) == MA_OK)
				continue;
			deliver_status(e, dq, MA_DNS_SERVFAIL, e->why);
			continue;
		}
		answer_from(e, dq);
	}
	pump(e);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dquery *dq = arg;
	struct ma_engine *e = dq->e;
	(void)fd;
	(void)what;
	if (!dq->ub_pending)
		return;
	/* Event mode: this only marks libunbound's query, whose callback then never runs. */
	ub_cancel(e->ctx, dq->async_id);
	dq->ub_pending = false;
	e->ub_inflight--;
	if (dq->attempts <= e->retries) {
		e->stats.dns_retries++;
		if (admit(e, dq) != MA_OK)
			deliver_status(e, dq, MA_DNS_SERVFAIL, e->why);
	} else {
		e->stats.dns_timeouts++;
		snprintf(e->why, sizeof e->why, "no answer within %u ms (%u attempts)", e->timeout_ms, dq->attempts);
		deliver_status(e, dq, MA_DNS_TIMEOUT, e->why);
	}
	pump(e);
}

/* Sized for thousands of questions in flight: libunbound opens one UDP socket per outgoing query
 * (outgoing-range), so that is bounded by our descriptor limit with room left for HTTPS and the caller. */
static int tune(struct ma_engine *e, char **why)
{
	/* A port per question in flight with room for libunbound's retransmissions, at most 4096. */
	unsigned range = e->max_ub > 2048 ? 4096 : e->max_ub * 2 < 64 ? 64 : e->max_ub * 2;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		rlim_t half = rl.rlim_cur / 2;
		if (half < range)
			range = half < 64 ? 64 : (unsigned)half;
	}
	char range_s[16];
	snprintf(range_s, sizeof range_s, "%u", range);
	static const char *const opts[][2] = {
	    /* Questions in one mesh: with far fewer, unbound drops the oldest under load. */
	    {"num-queries-per-thread:", "16384"},
	    /* TCP fallback after TC=1 (RFC 7766) for many answers at once. */
	    {"outgoing-num-tcp:", "64"},
	    /* Caches shared by every domain of a scan. What they pay for is the names many domains share (a
	     * provider's MX hosts and SPF include), which stay at the hot end of the LRU; most other names are asked
	     * once. Kept small so 100,000 domains stay under 200 MB (30,000 domains at concurrency 256 peaked at
	     * 208 MB with 24m/48m/8m/4m caches). */
	    {"msg-cache-size:", "8m"},
	    {"rrset-cache-size:", "16m"},
	    {"key-cache-size:", "4m"},
	    {"neg-cache-size:", "2m"},
	};
	int rc;
	if ((rc = ma_ubconf_set(e->ctx, "outgoing-range:", range_s, why)) != MA_OK)
		return rc;
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if ((rc = ma_ubconf_set(e->ctx, opts[i][0], opts[i][1], why)) != MA_OK)
			return rc;
	return MA_OK;
}

int ma_engine_new(const struct ma_engine_opts *opts, struct ma_engine **out, char **why)
{
	*out = NULL;
	if (why != NULL)
		*why = NULL;
	if (opts == NULL || opts->base == NULL) {
		ma_ubconf_set_err(why, "the engine needs an event loop");
		return MA_ERR_INVAL;
	}
	/* libunbound writes queries to TCP connections the server may already have closed (RFC 7766 fallback after
	 * TC=1, a server that hangs up); that write must fail with EPIPE, not kill the process. Only a default
	 * disposition is changed: a caller's own handler stays. */
	struct sigaction old;
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
		struct sigaction ign = {.sa_handler = SIG_IGN};
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, NULL);
	}
	struct ma_engine *e = calloc(1, sizeof *e);
	if (e == NULL)
		return MA_ERR_NOMEM;
	int rc = MA_ERR_NOMEM;
	e->base = opts->base;
	e->validate = !opts->no_validate;
	e->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	e->retries = opts->retries > RETRIES_MAX ? RETRIES_MAX : opts->retries;
	e->ready_tail = &e->ready_head;
	e->wait_tail = &e->wait_head;
	e->max_ub = opts->max_in_flight ? opts->max_in_flight : DEFAULT_MAX_IN_FLIGHT;
	ma_dns_msg_init(&e->msg);
	e->nbuckets = BUCKETS_MIN;
	e->buckets = calloc(e->nbuckets, sizeof *e->buckets);
	if (e->buckets == NULL)
		goto fail;
	struct timeval tv = {.tv_sec = e->timeout_ms / 1000, .tv_usec = (e->timeout_ms % 1000) * 1000};
	e->deadline_tv = event_base_init_common_timeout(e->base, &tv);
	e->ready_ev = event_new(e->base, -1, 0, on_ready, e);
	if (e->deadline_tv == NULL || e->ready_ev == NULL)
		goto fail;
	e->ctx = ub_ctx_create_event(e->base);
	if (e->ctx == NULL) {
		ma_ubconf_set_err(why, "cannot create the DNS resolver (libunbound with libevent)");
		rc = MA_ERR_DNS;
		goto fail;
	}
	const struct ma_ubconf_opts uo = {
	    .server = opts->server,
	    .trust_anchor_file = opts->trust_anchor_file,
	    .no_validate = opts->no_validate,
	};
	if ((rc = ma_ubconf_apply(e->ctx, &uo, why)) != MA_OK || (rc = tune(e, why)) != MA_OK ||
	    (rc = ma_ubconf_finalize(e->ctx, why)) != MA_OK)
		goto fail;
	const struct ma_https_opts ho = {
	    .base = e->base,
	    .ca_file = opts->ca_file,
	    .timeout_ms = opts->https_timeout_ms,
	    .body_max = opts->https_body_max,
	    .port = opts->https_port,
	};
	if ((rc = ma_https_new(&ho, &e->https, why)) != MA_OK)
		goto fail;
	*out = e;
	return MA_OK;
fail:
	if (rc == MA_ERR_NOMEM && why != NULL && *why == NULL)
		ma_ubconf_set_err(why, "out of memory");
	ma_engine_free(e);
	return rc;
}

void ma_engine_free(struct ma_engine *e)
{
	if (e == NULL)
		return;
	e->closing = true;
	/* Cancel every libunbound query first, so deleting the context calls none of them back. */
	for (size_t i = 0; i < e->nbuckets && e->buckets != NULL; i++) {
		for (struct dquery *dq = e->buckets[i]; dq != NULL; dq = dq->hnext) {
			if (dq->ub_pending)
				ub_cancel(e->ctx, dq->async_id);
			dq->ub_pending = false;
			evtimer_del(&dq->timer);
		}
	}
	if (e->ctx != NULL)
		ub_ctx_delete(e->ctx);
	e->ctx = NULL;
	for (size_t i = 0; i < e->nbuckets && e->buckets != NULL; i++) {
		while (e->buckets[i] != NULL)
			deliver_status(e, e->buckets[i], MA_DNS_TIMEOUT, "cancelled");
	}
	ma_https_free(e->https);
	if (e->ready_ev != NULL)
		event_free(e->ready_ev);
	free(e->buckets);
	ma_dns_msg_fini(&e->msg);
	free(e);
}

int ma_engine_dns(struct ma_engine *e, const struct ma_dns_question *q, ma_engine_dns_cb cb, void *arg)
{
	if (e == NULL || q == NULL || cb == NULL)
		return MA_ERR_INVAL;
	if (e->closing)
		return MA_ERR_STATE;
	/* A question libunbound could not put on the wire is the caller's bug, not a DNS outcome (RFC 1035 2.3.4). */
	uint8_t wire[256];
	if (memchr(q->name, '\0', sizeof q->name) == NULL || q->name[0] == '\0' ||
	    ma_dns_name_encode(q->name, wire, sizeof wire) < 0)
		return MA_ERR_INVAL;
	struct waiter *w = malloc(sizeof *w);
	if (w == NULL)
		return MA_ERR_NOMEM;
	w->cb = cb;
	w->arg = arg;
	w->next = NULL;
	uint32_t h = qhash(q->name, q->type);
	struct dquery **slot = find_slot(e, q, h);
	if (*slot != NULL) {
		struct dquery *dq = *slot;
		*dq->wtail = w;
		dq->wtail = &w->next;
		e->stats.dns_coalesced++;
		e->dns_waiting++;
		return MA_OK;
	}
	struct dquery *dq = calloc(1, sizeof *dq);
	if (dq == NULL) {
		free(w);
		return MA_ERR_NOMEM;
	}
	dq->e = e;
	dq->hash = h;
	dq->type = q->type;
	dq->name = strdup(q->name);
	if (dq->name == NULL) {
		free(dq);
		free(w);
		return MA_ERR_NOMEM;
	}
	dq->waiters = w;
	dq->wtail = &w->next;
	evtimer_assign(&dq->timer, e->base, on_deadline, dq);
	dq->hnext = *slot;
	*slot = dq;
	e->nqueries++;
	int rc = admit(e, dq);
	if (rc != MA_OK) {
		unlink_query(e, dq);
		free(dq->name);
		free(dq);
		free(w);
		return rc;
	}
	e->stats.dns_queries++;
	e->dns_waiting++;
	if (e->nqueries > e->nbuckets)
		(void)grow(e); /* longer chains if it fails, nothing worse */
	return MA_OK;
}

static void on_https(void *arg, const struct ma_https_result *res)
{
	struct https_req *r = arg;
	r->e->https_waiting--;
	r->cb(r->arg, res);
	free(r);
}

int ma_engine_https_get(struct ma_engine *e, const char *host, const char *path, const char *const *addrs,
                        size_t naddrs, ma_engine_https_cb cb, void *arg)
{
	if (e == NULL || cb == NULL)
		return MA_ERR_INVAL;
	if (e->closing)
		return MA_ERR_STATE;
	struct https_req *r = malloc(sizeof *r);
	if (r == NULL)
		return MA_ERR_NOMEM;
	r->e = e;
	r->cb = cb;
	r->arg = arg;
	int rc = ma_https_get(e->https, host, path, addrs, naddrs, on_https, r);
	if (rc != MA_OK) {
		free(r);
		return rc;
	}
	e->https_waiting++;
	return MA_OK;
}

void ma_engine_stats(const struct ma_engine *e, struct ma_engine_stats *out)
{
	*out = e->stats;
	out->https_fetches = e->https != NULL ? ma_https_fetches(e->https) : 0;
	out->in_flight = e->dns_waiting + e->https_waiting;
}

struct event_base *ma_engine_base(const struct ma_engine *e)
{
	return e->base;
}
