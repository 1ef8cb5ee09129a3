/* src/net/resolver.c — the CLI's DNS resolver on libunbound: validating, with a hard per-query deadline.
 *
 * Queries go through ub_resolve_async() and a poll() on ub_fd() so a dead server costs at most timeout_ms (unbound's
 * own retry schedule against an unresponsive server runs far longer). Answers keep libunbound's DNSSEC verdict and
 * every failure stays a distinct status: a timeout or SERVFAIL is never reported as "no such record".
 * The configuration it shares with the scanner's event-loop engine lives in net/ubconf.c. */
#include "net/resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "lib/err.h"
#include "net/ubconf.h"

#define DEFAULT_TIMEOUT_MS 5000
#define MAX_RR 4096      /* records per answer we hand on; more is hostile */
#define RCODE_NXDOMAIN 3 /* RFC 1035 4.1.1 */

struct ma_resolver {
	struct ub_ctx *ctx;
	int fd; /* ub_fd(): readable when libunbound's worker has an answer */
	bool validate;
	unsigned timeout_ms;
	unsigned long queries;
	struct ub_result *last; /* kept until the next query: the answer points into it */
	struct ma_dns_rdata *rr;
	size_t rrcap;
	char why[512];
};

int ma_resolver_parse_server(const char *s, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	size_t hl;
	if (s == NULL)
		return MA_ERR_INVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL)
			return MA_ERR_INVAL;
		hl = (size_t)(end - s - 1);
		if (end[1] == ':' || end[1] == '@')
			port = end + 2;
		else if (end[1] != '\0')
			return MA_ERR_INVAL;
		s++;
	} else {
		const char *at = strchr(s, '@');
		const char *colon = strchr(s, ':');
		const char *sep = at;
		if (sep == NULL && colon != NULL && strchr(colon + 1, ':') == NULL)
			sep = colon; /* one colon: IPv4:PORT; several: a bare IPv6 address */
		hl = sep ? (size_t)(sep - s) : strlen(s);
		if (sep != NULL)
			port = sep + 1;
	}
	if (hl == 0 || hl >= sizeof host)
		return MA_ERR_INVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	/* Numeric only: resolving the resolver's own name would need a resolver. */
	unsigned char bin[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		return MA_ERR_INVAL;
	unsigned long p = 53;
	if (port != NULL) {
		if (*port < '0' || *port > '9')
			return MA_ERR_INVAL; /* strtoul would take "+5" or " 5" */
		char *end;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || p == 0 || p > 65535)
			return MA_ERR_INVAL;
	}
	int w = snprintf(out, outsz, "%s@%lu", host, p);
	return (w < 0 || (size_t)w >= outsz) ? MA_ERR_INVAL : MA_OK;
}

int ma_resolver_new(const struct ma_resolver_opts *opts, struct ma_resolver **out, char **errmsg)
{
	static const struct ma_resolver_opts defaults = {0};
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (opts == NULL)
		opts = &defaults;
	struct ma_resolver *r = calloc(1, sizeof *r);
	if (r == NULL)
		return MA_ERR_NOMEM;
	int rc = MA_ERR_DNS, ub = 0;
	r->validate = !opts->no_validate;
	r->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		ma_ubconf_set_err(errmsg, "cannot create the DNS resolver (libunbound)");
		goto fail;
	}
	r->fd = ub_fd(r->ctx);
	/* A background thread resolves; we wait on its pipe with our own deadline. */
	if ((ub = ub_ctx_async(r->ctx, 1)) != 0) {
		ma_ubconf_set_err(errmsg, "cannot configure the DNS resolver: %s", ub_strerror(ub));
		goto fail;
	}
	const struct ma_ubconf_opts uo = {
	    .server = opts->server,
	    .trust_anchor_file = opts->trust_anchor_file,
	    .no_validate = opts->no_validate,
	};
	if ((rc = ma_ubconf_apply(r->ctx, &uo, errmsg)) != MA_OK)
		goto fail;
	if ((rc = ma_ubconf_finalize(r->ctx, errmsg)) != MA_OK)
		goto fail;
	*out = r;
	return MA_OK;
fail:
	ma_resolver_free(r);
	return rc;
}

void ma_resolver_free(struct ma_resolver *r)
{
	if (r == NULL)
		return;
	if (r->last)
		ub_resolve_free(r->last);
	if (r->ctx)
		ub_ctx_delete(r->ctx); /* stops the worker; cancelled queries go with it */
	free(r->rr);
	free(r);
}

unsigned long ma_resolver_queries(const struct ma_resolver *r)
{
	return r->queries;
}

static const char *rcode_name(int rcode)
{
	switch (rcode) {
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	case 6: return "YXDOMAIN";
	case 9: return "NOTAUTH";
	}
	return NULL;
}

/* Map one ub_result onto *ans. Takes res (kept in r->last until the next query). */
static int answer_from_result(struct ma_resolver *r, struct ub_result *res, struct ma_dns_answer *ans)
{
	r->last = res;
	if (res->bogus) {
		/* libunbound hands bogus data back with bogus set (RFC 4035 5.5): never use it. */
		ans->status = MA_DNS_BOGUS;
		ans->dnssec = MA_DNSSEC_BOGUS;
		snprintf(r->why, sizeof r->why, "%s", res->why_bogus ? res->why_bogus : "DNSSEC validation failed");
		ans->why = r->why;
		return MA_OK;
	}
	if (res->rcode != 0 && res->rcode != RCODE_NXDOMAIN) {
		/* Nothing validated. unbound turns a forwarder's REFUSED (and a dead zone's lame answers) into
		 * SERVFAIL. */
		ans->status = MA_DNS_SERVFAIL;
		ans->dnssec = MA_DNSSEC_UNCHECKED;
		const char *name = rcode_name(res->rcode);
		if (name != NULL)
			snprintf(r->why, sizeof r->why, "%s", name);
		else
			snprintf(r->why, sizeof r->why, "RCODE%d", res->rcode);
		ans->why = r->why;
		return MA_OK;
	}
	if (!r->validate)
		ans->dnssec = MA_DNSSEC_UNCHECKED;
	else
		ans->dnssec = res->secure ? MA_DNSSEC_SECURE : MA_DNSSEC_INSECURE;
	if (res->rcode == RCODE_NXDOMAIN) {
		ans->status = MA_DNS_NXDOMAIN;
		return MA_OK;
	}
	if (!res->havedata || res->data == NULL || res->data[0] == NULL) {
		ans->status = MA_DNS_NODATA;
		return MA_OK;
	}
	size_t n = 0;
	while (res->data[n] != NULL) {
		if (++n > MAX_RR) {
			ans->status = MA_DNS_MALFORMED;
			ans->dnssec = MA_DNSSEC_UNCHECKED;
			snprintf(r->why, sizeof r->why, "more than %d records", MAX_RR);
			ans->why = r->why;
			return MA_OK;
		}
	}
	if (n > r->rrcap) {
		struct ma_dns_rdata *nrr = realloc(r->rr, n * sizeof *nrr);
		if (nrr == NULL)
			return MA_ERR_NOMEM;
		r->rr = nrr;
		r->rrcap = n;
	}
	for (size_t i = 0; i < n; i++) {
		if (res->len[i] < 0) {
			ans->status = MA_DNS_MALFORMED;
			ans->dnssec = MA_DNSSEC_UNCHECKED;
			snprintf(r->why, sizeof r->why, "record with a negative length");
			ans->why = r->why;
			return MA_OK;
		}
		r->rr[i].data = (const uint8_t *)res->data[i];
		r->rr[i].len = (size_t)res->len[i];
	}
	ans->status = MA_DNS_ANSWER;
	ans->count = n;
	ans->rr = r->rr;
	return MA_OK;
}

struct pending {
	bool done;
	int err;
	struct ub_result *result;
};

static void on_result(void *arg, int err, struct ub_result *result)
{
	struct pending *p = arg;
	p->done = true;
	p->err = err;
	p->result = result;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ub_to_err(int ub)
{
	switch (ub) {
	case UB_NOMEM: return MA_ERR_NOMEM;
	case UB_SYNTAX: return MA_ERR_INVAL;
	}
	return MA_ERR_DNS;
}

int ma_resolver_query(struct ma_resolver *r, const struct ma_dns_question *q, struct ma_dns_answer *ans)
{
	memset(ans, 0, sizeof *ans);
	if (r->last) {
		ub_resolve_free(r->last);
		r->last = NULL;
	}
	r->why[0] = '\0';
	/* A question libunbound could not put on the wire is the caller's bug, not a DNS outcome (RFC 1035 2.3.4). */
	uint8_t wire[256];
	if (memchr(q->name, '\0', sizeof q->name) == NULL || q->name[0] == '\0' ||
	    ma_dns_name_encode(q->name, wire, sizeof wire) < 0)
		return MA_ERR_INVAL;

	struct pending p = {false, 0, NULL};
	int async_id = 0;
	int ub = ub_resolve_async(r->ctx, q->name, q->type, 1 /* IN */, &p, on_result, &async_id);
	if (ub != 0)
		return ub_to_err(ub);
	r->queries++;
	long long deadline = now_ms() + r->timeout_ms;
	while (!p.done) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			/* The worker may still be retrying; cancelling keeps on_result from ever seeing &p again. */
			ub_cancel(r->ctx, async_id);
			ans->status = MA_DNS_TIMEOUT;
			ans->dnssec = MA_DNSSEC_UNCHECKED;
			snprintf(r->why, sizeof r->why, "no answer within %u ms", r->timeout_ms);
			ans->why = r->why;
			return MA_OK;
		}
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int pr = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (pr < 0 && errno != EINTR) {
			ub_cancel(r->ctx, async_id);
			return MA_ERR_IO;
		}
		if (pr > 0 && (ub = ub_process(r->ctx)) != 0) {
			if (!p.done)
				ub_cancel(r->ctx, async_id);
			else if (p.result != NULL)
				ub_resolve_free(p.result);
			return ub_to_err(ub);
		}
	}
	if (p.err != 0 || p.result == NULL)
		return p.err != 0 ? ub_to_err(p.err) : MA_ERR_DNS;
	return answer_from_result(r, p.result, ans);
}
