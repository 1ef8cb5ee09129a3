/* src/net/resolver.c — the CLI's DNS resolver on libunbound: validating, with a hard per-query deadline.
 *
 * Queries go through ub_resolve_async() and a poll() on ub_fd() so a dead server costs at most timeout_ms (unbound's
 * own retry schedule against an unresponsive server runs far longer). Answers keep libunbound's DNSSEC verdict and
 * every failure stays a distinct status: a timeout or SERVFAIL is never reported as "no such record".
 * The answer mapping (answer_from_result) is separate from the waiting so the scanner's event-loop engine can put
 * ub_fd() in its loop and reuse it. */
#include "net/resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <unbound.h>

#include "lib/err.h"

#define ROOT_ANCHOR_FILE "/usr/share/dns/root.key" /* Debian's dns-root-data */
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_RR 4096                  /* records per answer we hand on; more is hostile */
#define TA_FILE_MAX (1024 * 1024)    /* a trust-anchor file is a few lines; refuse to read more */
#define RCODE_NXDOMAIN 3             /* RFC 1035 4.1.1 */

struct ma_resolver {
	struct ub_ctx *ctx;
	int fd;          /* ub_fd(): readable when libunbound's worker has an answer */
	bool validate;
	unsigned timeout_ms;
	unsigned long queries;
	struct ub_result *last; /* kept until the next query: the answer points into it */
	struct ma_dns_rdata *rr;
	size_t rrcap;
	char why[512];
};

/* libunbound's built-in local zones, which it answers itself without asking anyone (unbound 1.17.1:
 * services/localzone.c local_zone_enter_defaults() and util/as112.c): RFC 6761 special-use names, RFC 6303 and AS112
 * (RFC 7534) reverse zones, RFC 6598 shared address space, RFC 8375 home.arpa, RFC 7686 onion; resolver.arpa
 * (RFC 9462) and service.arpa came with later unbound releases.
 *
 * With a server given, every question is meant for that server (a test server, an internal resolver), so each of
 * these is replaced by an empty `transparent` local zone, which resolves every query normally (through the server).
 * `local-zone: "test." nodefault` would say it directly, but through ub_ctx_set_option() unbound stores the whole
 * value "test. nodefault" as the zone name (util/config_file.c cfg_parse_local_zone), so the default stays; a zone
 * of our own with the same name keeps the default out instead (local_zone_enter_defaults skips existing zones). */
static const char *const default_local_zones[] = {
	"localhost.", "127.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"home.arpa.", "onion.", "test.", "invalid.", "resolver.arpa.", "service.arpa.",
	/* util/as112.c */
	"10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
	"19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.", "22.172.in-addr.arpa.",
	"23.172.in-addr.arpa.", "24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.",
	"27.172.in-addr.arpa.", "28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
	"31.172.in-addr.arpa.", "168.192.in-addr.arpa.", "0.in-addr.arpa.",
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
	"254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
};

static void set_err(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **errmsg, const char *fmt, ...)
{
	if (errmsg == NULL)
		return;
	free(*errmsg);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
}

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

/* A trust-anchor file unbound would load without complaint but with no anchor in it would turn every answer
 * "insecure" without a word: insist on at least one DS or DNSKEY record (RFC 4033 2: the anchor is one of those). */
static int check_anchor_file(const char *path, char **errmsg)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		set_err(errmsg, "cannot read the DNSSEC trust anchor %s: %s", path, strerror(errno));
		return MA_ERR_IO;
	}
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	int anchors = 0, rc = MA_OK;
	while ((n = getline(&line, &cap, f)) > 0) {
		total += (size_t)n;
		if (total > TA_FILE_MAX) {
			set_err(errmsg, "DNSSEC trust anchor %s is over %d bytes", path, TA_FILE_MAX);
			rc = MA_ERR_TOOBIG;
			break;
		}
		char *semi = memchr(line, ';', (size_t)n); /* zone-file comment (RFC 1035 5.1) */
		if (semi != NULL)
			*semi = '\0';
		/* owner [TTL] [class] type rdata: the type is one of the first four fields. */
		char *p = line;
		for (int field = 0; field < 4; field++) {
			p += strspn(p, " \t\r\n");
			size_t tl = strcspn(p, " \t\r\n");
			if (tl == 0)
				break;
			if ((tl == 2 && strncasecmp(p, "DS", 2) == 0) || (tl == 6 && strncasecmp(p, "DNSKEY", 6) == 0)) {
				anchors++;
				break;
			}
			p += tl;
		}
	}
	if (rc == MA_OK && ferror(f)) {
		set_err(errmsg, "cannot read the DNSSEC trust anchor %s: %s", path, strerror(errno));
		rc = MA_ERR_IO;
	}
	free(line);
	fclose(f);
	if (rc == MA_OK && anchors == 0) {
		set_err(errmsg, "DNSSEC trust anchor %s has no DS or DNSKEY record", path);
		rc = MA_ERR_PARSE;
	}
	return rc;
}

/* Make libunbound apply its configuration now (context_finalize: modules, trust anchors, local zones) so a bad setup
 * is an error of ma_resolver_new, not of the first query. No public call does only that; removing the local zone
 * "." — which no configuration of ours has — finalizes and changes nothing. unbound's log lines during this step
 * are caught to explain a failure. */
static int finalize(struct ma_resolver *r, char **errmsg)
{
	char *log = NULL;
	size_t loglen = 0;
	FILE *mem = open_memstream(&log, &loglen);
	if (mem != NULL)
		ub_ctx_debugout(r->ctx, mem);
	int ub = ub_ctx_zone_remove(r->ctx, ".");
	/* From here on libunbound logs nowhere: its outcomes reach the caller as statuses. */
	ub_ctx_debugout(r->ctx, NULL);
	if (mem != NULL)
		fclose(mem);
	if (ub != 0) {
		/* unbound's lines look like "[time] libunbound[pid:tid] error: reason"; keep the last reason. */
		const char *reason = NULL;
		for (char *l = log; l != NULL && *l != '\0';) {
			char *nl = strchr(l, '\n');
			if (nl != NULL)
				*nl = '\0';
			char *e = strstr(l, "error: ");
			if (e != NULL)
				reason = e + 7;
			l = nl ? nl + 1 : NULL;
		}
		set_err(errmsg, "cannot set up the DNS resolver: %s%s%s", ub_strerror(ub), reason ? ": " : "",
			reason ? reason : "");
	}
	free(log);
	return ub == 0 ? MA_OK : MA_ERR_DNS;
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
		set_err(errmsg, "cannot create the DNS resolver (libunbound)");
		goto fail;
	}
	r->fd = ub_fd(r->ctx);
	/* A background thread resolves; we wait on its pipe with our own deadline. */
	if ((ub = ub_ctx_async(r->ctx, 1)) != 0)
		goto ub_fail;
	/* Record why validation failed (unbound's errinf is only collected at val-log-level 2); it reaches the caller
	 * as the BOGUS answer's why, the log itself goes nowhere. */
	if ((ub = ub_ctx_set_option(r->ctx, "val-log-level:", "2")) != 0)
		goto ub_fail;
	if (opts->server != NULL) {
		char fwd[INET6_ADDRSTRLEN + 16];
		if (ma_resolver_parse_server(opts->server, fwd, sizeof fwd) != MA_OK) {
			set_err(errmsg, "bad resolver address '%s': want an IP address as ADDR, ADDR:PORT, [IPV6]:PORT "
					"or ADDR@PORT", opts->server);
			rc = MA_ERR_INVAL;
			goto fail;
		}
		/* The server may be on loopback (a local resolver or a test server). */
		if ((ub = ub_ctx_set_option(r->ctx, "do-not-query-localhost:", "no")) != 0)
			goto ub_fail;
		if ((ub = ub_ctx_set_fwd(r->ctx, fwd)) != 0) {
			set_err(errmsg, "bad resolver address '%s': %s", opts->server, ub_strerror(ub));
			rc = MA_ERR_INVAL;
			goto fail;
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
		if ((rc = check_anchor_file(ta, errmsg)) != MA_OK)
			goto fail;
		/* A static anchor (RFC 4033), not RFC 5011 tracking: the file is read, never written. */
		if ((ub = ub_ctx_add_ta_file(r->ctx, ta)) != 0) {
			set_err(errmsg, "bad DNSSEC trust anchor %s: %s", ta, ub_strerror(ub));
			rc = MA_ERR_INVAL;
			goto fail;
		}
	} else {
		/* No validator module: nothing is checked, nothing marked secure or bogus. */
		if ((ub = ub_ctx_set_option(r->ctx, "module-config:", "iterator")) != 0)
			goto ub_fail;
	}
	if ((rc = finalize(r, errmsg)) != MA_OK)
		goto fail;
	*out = r;
	return MA_OK;
ub_fail:
	set_err(errmsg, "cannot configure the DNS resolver: %s", ub_strerror(ub));
	rc = MA_ERR_DNS;
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
		/* Nothing validated. unbound turns a forwarder's REFUSED (and a dead zone's lame answers) into SERVFAIL. */
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
