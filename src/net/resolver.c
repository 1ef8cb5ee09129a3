/* src/net/resolver.c — the CLI's DNS resolver on libunbound: validating, with a hard per-query deadline.
 *
 * Queries go through ub_resolve_async() and a poll() on ub_fd() so a dead server costs at most timeout_ms (unbound's
 * own retry schedule against an unresponsive server can run for minutes). Answers keep libunbound's DNSSEC verdict
 * and every failure stays a distinct status: a timeout or SERVFAIL is never reported as "no such record". */
#include "net/resolver.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "lib/err.h"

#define ROOT_ANCHOR_FILE "/usr/share/dns/root.key"
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_RR 4096 /* records per answer we hand on; more is hostile */

struct ma_resolver {
	struct ub_ctx *ctx;
	bool validate;
	unsigned timeout_ms;
	unsigned long queries;
	struct ub_result *last; /* kept until the next query: the answer points into it */
	struct ma_dns_rdata *rr;
	size_t rrcap;
	char why[256];
};

/* Built-in local zones of libunbound (RFC 6761 special-use names, RFC 6303 / AS112 reverse zones, RFC 8375, RFC 7686,
 * RFC 9462). When every query is meant for one server (a test or internal resolver), unbound must not answer these
 * itself. Each is overridden with an empty `transparent` local zone, which passes every query on to resolution
 * (through ub_ctx_set_option, `nodefault` is accepted but leaves the default in place in unbound 1.17). The list may
 * be a superset across unbound versions: a transparent zone with no data changes nothing elsewhere. */
static const char *const default_local_zones[] = {
	"localhost.", "test.", "invalid.", "onion.", "home.arpa.", "resolver.arpa.", "service.arpa.",
	"127.in-addr.arpa.", "0.in-addr.arpa.", "10.in-addr.arpa.", "254.169.in-addr.arpa.",
	"2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.", "168.192.in-addr.arpa.",
	"16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.", "19.172.in-addr.arpa.",
	"20.172.in-addr.arpa.", "21.172.in-addr.arpa.", "22.172.in-addr.arpa.", "23.172.in-addr.arpa.",
	"24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.", "27.172.in-addr.arpa.",
	"28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.", "31.172.in-addr.arpa.",
	"64.100.in-addr.arpa.", "65.100.in-addr.arpa.", "66.100.in-addr.arpa.", "67.100.in-addr.arpa.",
	"68.100.in-addr.arpa.", "69.100.in-addr.arpa.", "70.100.in-addr.arpa.", "71.100.in-addr.arpa.",
	"72.100.in-addr.arpa.", "73.100.in-addr.arpa.", "74.100.in-addr.arpa.", "75.100.in-addr.arpa.",
	"76.100.in-addr.arpa.", "77.100.in-addr.arpa.", "78.100.in-addr.arpa.", "79.100.in-addr.arpa.",
	"80.100.in-addr.arpa.", "81.100.in-addr.arpa.", "82.100.in-addr.arpa.", "83.100.in-addr.arpa.",
	"84.100.in-addr.arpa.", "85.100.in-addr.arpa.", "86.100.in-addr.arpa.", "87.100.in-addr.arpa.",
	"88.100.in-addr.arpa.", "89.100.in-addr.arpa.", "90.100.in-addr.arpa.", "91.100.in-addr.arpa.",
	"92.100.in-addr.arpa.", "93.100.in-addr.arpa.", "94.100.in-addr.arpa.", "95.100.in-addr.arpa.",
	"96.100.in-addr.arpa.", "97.100.in-addr.arpa.", "98.100.in-addr.arpa.", "99.100.in-addr.arpa.",
	"100.100.in-addr.arpa.", "101.100.in-addr.arpa.", "102.100.in-addr.arpa.", "103.100.in-addr.arpa.",
	"104.100.in-addr.arpa.", "105.100.in-addr.arpa.", "106.100.in-addr.arpa.", "107.100.in-addr.arpa.",
	"108.100.in-addr.arpa.", "109.100.in-addr.arpa.", "110.100.in-addr.arpa.", "111.100.in-addr.arpa.",
	"112.100.in-addr.arpa.", "113.100.in-addr.arpa.", "114.100.in-addr.arpa.", "115.100.in-addr.arpa.",
	"116.100.in-addr.arpa.", "117.100.in-addr.arpa.", "118.100.in-addr.arpa.", "119.100.in-addr.arpa.",
	"120.100.in-addr.arpa.", "121.100.in-addr.arpa.", "122.100.in-addr.arpa.", "123.100.in-addr.arpa.",
	"124.100.in-addr.arpa.", "125.100.in-addr.arpa.", "126.100.in-addr.arpa.", "127.100.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.", "1.1.1.1.in-addr.arpa.",
};

static void set_err(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **errmsg, const char *fmt, ...)
{
	if (errmsg == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", "[V6]", "V6", "ADDR@PORT" -> unbound's "ADDR@PORT" form. */
static int server_to_unbound(const char *s, char *out, size_t outsz)
{
	char host[128];
	const char *port = NULL;
	size_t hl;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL)
			return MA_ERR_INVAL;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof host)
			return MA_ERR_INVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (end[1] == ':' || end[1] == '@')
			port = end + 2;
		else if (end[1] != '\0')
			return MA_ERR_INVAL;
	} else {
		const char *at = strchr(s, '@');
		const char *colon = strchr(s, ':');
		const char *sep = at;
		if (sep == NULL && colon != NULL && strchr(colon + 1, ':') == NULL)
			sep = colon; /* one colon: IPv4:PORT; several: a bare IPv6 address */
		hl = sep ? (size_t)(sep - s) : strlen(s);
		if (hl == 0 || hl >= sizeof host)
			return MA_ERR_INVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (sep != NULL)
			port = sep + 1;
	}
	unsigned long p = 53;
	if (port != NULL) {
		char *end;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno != 0 || end == port || *end != '\0' || p == 0 || p > 65535)
			return MA_ERR_INVAL;
	}
	int w = snprintf(out, outsz, "%s@%lu", host, p);
	return (w < 0 || (size_t)w >= outsz) ? MA_ERR_INVAL : MA_OK;
}

int ma_resolver_new(const struct ma_resolver_opts *opts, struct ma_resolver **out, char **errmsg)
{
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	struct ma_resolver *r = calloc(1, sizeof *r);
	if (r == NULL)
		return MA_ERR_NOMEM;
	r->validate = !opts->no_validate;
	r->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		free(r);
		set_err(errmsg, "cannot create the DNS resolver");
		return MA_ERR_DNS;
	}
	int ub;
	/* A background thread does the resolving; we wait on its fd with our own deadline. */
	if ((ub = ub_ctx_async(r->ctx, 1)) != 0)
		goto ub_fail;
	if (opts->server != NULL) {
		char fwd[160];
		if (server_to_unbound(opts->server, fwd, sizeof fwd) != MA_OK) {
			set_err(errmsg, "bad resolver address '%s': want ADDR, ADDR:PORT or [IPV6]:PORT", opts->server);
			ma_resolver_free(r);
			return MA_ERR_INVAL;
		}
		/* The server may be on loopback (a local resolver or a test server). */
		if ((ub = ub_ctx_set_option(r->ctx, "do-not-query-localhost:", "no")) != 0)
			goto ub_fail;
		if ((ub = ub_ctx_set_fwd(r->ctx, fwd)) != 0) {
			set_err(errmsg, "bad resolver address '%s': %s", opts->server, ub_strerror(ub));
			ma_resolver_free(r);
			return MA_ERR_INVAL;
		}
		for (size_t i = 0; i < sizeof default_local_zones / sizeof default_local_zones[0]; i++) {
			char zone[128];
			snprintf(zone, sizeof zone, "%s transparent", default_local_zones[i]);
			if ((ub = ub_ctx_set_option(r->ctx, "local-zone:", zone)) != 0)
				goto ub_fail;
		}
	}
	if (r->validate) {
		const char *ta = opts->trust_anchor_file ? opts->trust_anchor_file : ROOT_ANCHOR_FILE;
		FILE *f = fopen(ta, "r");
		if (f == NULL) {
			set_err(errmsg, "cannot read the DNSSEC trust anchor %s: %s", ta, strerror(errno));
			ma_resolver_free(r);
			return MA_ERR_IO;
		}
		fclose(f);
		if ((ub = ub_ctx_add_ta_file(r->ctx, ta)) != 0) {
			set_err(errmsg, "bad DNSSEC trust anchor %s: %s", ta, ub_strerror(ub));
			ma_resolver_free(r);
			return MA_ERR_INVAL;
		}
	} else {
		/* No anchors at all: unbound validates nothing and marks nothing secure. */
		if ((ub = ub_ctx_set_option(r->ctx, "module-config:", "iterator")) != 0)
			goto ub_fail;
	}
	*out = r;
	return MA_OK;
ub_fail:
	set_err(errmsg, "cannot configure the DNS resolver: %s", ub_strerror(ub));
	ma_resolver_free(r);
	return MA_ERR_DNS;
}

void ma_resolver_free(struct ma_resolver *r)
{
	if (r == NULL)
		return;
	if (r->last)
		ub_resolve_free(r->last);
	if (r->ctx)
		ub_ctx_delete(r->ctx);
	free(r->rr);
	free(r);
}

unsigned long ma_resolver_queries(const struct ma_resolver *r)
{
	return r->queries;
}

struct pending {
	int done;
	int err;
	struct ub_result *result;
};

static void on_result(void *arg, int err, struct ub_result *result)
{
	struct pending *p = arg;
	p->done = 1;
	p->err = err;
	p->result = result;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *rcode_name(int rcode)
{
	switch (rcode) {
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	}
	return "error rcode";
}

int ma_resolver_query(struct ma_resolver *r, const struct ma_dns_question *q, struct ma_dns_answer *ans)
{
	memset(ans, 0, sizeof *ans);
	if (r->last) {
		ub_resolve_free(r->last);
		r->last = NULL;
	}
	r->why[0] = '\0';
	r->queries++;
	struct pending p = {0, 0, NULL};
	int async_id = 0;
	int ub = ub_resolve_async(r->ctx, q->name, q->type, 1 /* IN */, &p, on_result, &async_id);
	if (ub != 0) {
		snprintf(r->why, sizeof r->why, "%s", ub_strerror(ub));
		ans->status = MA_DNS_SERVFAIL;
		ans->why = r->why;
		return MA_OK;
	}
	long long deadline = now_ms() + r->timeout_ms;
	while (!p.done) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			ub_cancel(r->ctx, async_id);
			ans->status = MA_DNS_TIMEOUT;
			ans->dnssec = r->validate ? MA_DNSSEC_INSECURE : MA_DNSSEC_UNCHECKED;
			snprintf(r->why, sizeof r->why, "no answer within %u ms", r->timeout_ms);
			ans->why = r->why;
			return MA_OK;
		}
		struct pollfd pfd = {.fd = ub_fd(r->ctx), .events = POLLIN};
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno != EINTR)
			return MA_ERR_IO;
		if (pr > 0 && (ub = ub_process(r->ctx)) != 0) {
			snprintf(r->why, sizeof r->why, "%s", ub_strerror(ub));
			ans->status = MA_DNS_SERVFAIL;
			ans->why = r->why;
			return MA_OK;
		}
	}
	if (p.err != 0 || p.result == NULL) {
		snprintf(r->why, sizeof r->why, "%s", ub_strerror(p.err));
		ans->status = MA_DNS_SERVFAIL;
		ans->why = r->why;
		return MA_OK;
	}
	struct ub_result *res = p.result;
	r->last = res;
	if (!r->validate)
		ans->dnssec = MA_DNSSEC_UNCHECKED;
	else if (res->bogus)
		ans->dnssec = MA_DNSSEC_BOGUS;
	else if (res->secure)
		ans->dnssec = MA_DNSSEC_SECURE;
	else
		ans->dnssec = MA_DNSSEC_INSECURE;

	if (res->bogus) {
		ans->status = MA_DNS_BOGUS;
		snprintf(r->why, sizeof r->why, "%s", res->why_bogus ? res->why_bogus : "DNSSEC validation failed");
		ans->why = r->why;
		return MA_OK;
	}
	switch (res->rcode) {
	case 0:
		break;
	case 3:
		ans->status = MA_DNS_NXDOMAIN;
		return MA_OK;
	default:
		ans->status = MA_DNS_SERVFAIL;
		snprintf(r->why, sizeof r->why, "%s from the server", rcode_name(res->rcode));
		ans->why = r->why;
		return MA_OK;
	}
	if (!res->havedata) {
		ans->status = res->nxdomain ? MA_DNS_NXDOMAIN : MA_DNS_NODATA;
		return MA_OK;
	}
	size_t n = 0;
	while (res->data[n] != NULL && n < MAX_RR)
		n++;
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
