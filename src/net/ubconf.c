/* src/net/ubconf.c — the libunbound configuration shared by the resolver and the engine (see ubconf.h). */
#include "net/ubconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unbound.h>

#include "lib/err.h"
#include "net/resolver.h"

#define ROOT_ANCHOR_FILE "/usr/share/dns/root.key" /* Debian's dns-root-data */
#define TA_FILE_MAX (1024 * 1024)                  /* a trust-anchor file is a few lines; refuse to read more */

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
    "localhost.",
    "127.in-addr.arpa.",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "home.arpa.",
    "onion.",
    "test.",
    "invalid.",
    "resolver.arpa.",
    "service.arpa.",
    /* util/as112.c */
    "10.in-addr.arpa.",
    "16.172.in-addr.arpa.",
    "17.172.in-addr.arpa.",
    "18.172.in-addr.arpa.",
    "19.172.in-addr.arpa.",
    "20.172.in-addr.arpa.",
    "21.172.in-addr.arpa.",
    "22.172.in-addr.arpa.",
    "23.172.in-addr.arpa.",
    "24.172.in-addr.arpa.",
    "25.172.in-addr.arpa.",
    "26.172.in-addr.arpa.",
    "27.172.in-addr.arpa.",
    "28.172.in-addr.arpa.",
    "29.172.in-addr.arpa.",
    "30.172.in-addr.arpa.",
    "31.172.in-addr.arpa.",
    "168.192.in-addr.arpa.",
    "0.in-addr.arpa.",
    "64.100.in-addr.arpa.",
    "65.100.in-addr.arpa.",
    "66.100.in-addr.arpa.",
    "67.100.in-addr.arpa.",
    "68.100.in-addr.arpa.",
    "69.100.in-addr.arpa.",
    "70.100.in-addr.arpa.",
    "71.100.in-addr.arpa.",
    "72.100.in-addr.arpa.",
    "73.100.in-addr.arpa.",
    "74.100.in-addr.arpa.",
    "75.100.in-addr.arpa.",
    "76.100.in-addr.arpa.",
    "77.100.in-addr.arpa.",
    "78.100.in-addr.arpa.",
    "79.100.in-addr.arpa.",
    "80.100.in-addr.arpa.",
    "81.100.in-addr.arpa.",
    "82.100.in-addr.arpa.",
    "83.100.in-addr.arpa.",
    "84.100.in-addr.arpa.",
    "85.100.in-addr.arpa.",
    "86.100.in-addr.arpa.",
    "87.100.in-addr.arpa.",
    "88.100.in-addr.arpa.",
    "89.100.in-addr.arpa.",
    "90.100.in-addr.arpa.",
    "91.100.in-addr.arpa.",
    "92.100.in-addr.arpa.",
    "93.100.in-addr.arpa.",
    "94.100.in-addr.arpa.",
    "95.100.in-addr.arpa.",
    "96.100.in-addr.arpa.",
    "97.100.in-addr.arpa.",
    "98.100.in-addr.arpa.",
    "99.100.in-addr.arpa.",
    "100.100.in-addr.arpa.",
    "101.100.in-addr.arpa.",
    "102.100.in-addr.arpa.",
    "103.100.in-addr.arpa.",
    "104.100.in-addr.arpa.",
    "105.100.in-addr.arpa.",
    "106.100.in-addr.arpa.",
    "107.100.in-addr.arpa.",
    "108.100.in-addr.arpa.",
    "109.100.in-addr.arpa.",
    "110.100.in-addr.arpa.",
    "111.100.in-addr.arpa.",
    "112.100.in-addr.arpa.",
    "113.100.in-addr.arpa.",
    "114.100.in-addr.arpa.",
    "115.100.in-addr.arpa.",
    "116.100.in-addr.arpa.",
    "117.100.in-addr.arpa.",
    "118.100.in-addr.arpa.",
    "119.100.in-addr.arpa.",
    "120.100.in-addr.arpa.",
    "121.100.in-addr.arpa.",
    "122.100.in-addr.arpa.",
    "123.100.in-addr.arpa.",
    "124.100.in-addr.arpa.",
    "125.100.in-addr.arpa.",
    "126.100.in-addr.arpa.",
    "127.100.in-addr.arpa.",
    "254.169.in-addr.arpa.",
    "2.0.192.in-addr.arpa.",
    "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",
    "255.255.255.255.in-addr.arpa.",
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "d.f.ip6.arpa.",
    "8.e.f.ip6.arpa.",
    "9.e.f.ip6.arpa.",
    "a.e.f.ip6.arpa.",
    "b.e.f.ip6.arpa.",
    "8.b.d.0.1.0.0.2.ip6.arpa.",
};

void ma_ubconf_set_err(char **errmsg, const char *fmt, ...)
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

/* A trust-anchor file unbound would load without complaint but with no anchor in it would turn every answer
 * "insecure" without a word: insist on at least one DS or DNSKEY record (RFC 4033 2: the anchor is one of those). */
static int check_anchor_file(const char *path, char **errmsg)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		ma_ubconf_set_err(errmsg, "cannot read the DNSSEC trust anchor %s: %s", path, strerror(errno));
		return MA_ERR_IO;
	}
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	int anchors = 0, rc = MA_OK;
	while ((n = getline(&line, &cap, f)) > 0) {
		total += (size_t)n;
		if (total > TA_FILE_MAX) {
			ma_ubconf_set_err(errmsg, "DNSSEC trust anchor %s is over %d bytes", path, TA_FILE_MAX);
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
			if ((tl == 2 && strncasecmp(p, "DS", 2) == 0) ||
			    (tl == 6 && strncasecmp(p, "DNSKEY", 6) == 0)) {
				anchors++;
				break;
			}
			p += tl;
		}
	}
	if (rc == MA_OK && ferror(f)) {
		ma_ubconf_set_err(errmsg, "cannot read the DNSSEC trust anchor %s: %s", path, strerror(errno));
		rc = MA_ERR_IO;
	}
	free(line);
	fclose(f);
	if (rc == MA_OK && anchors == 0) {
		ma_ubconf_set_err(errmsg, "DNSSEC trust anchor %s has no DS or DNSKEY record", path);
		rc = MA_ERR_PARSE;
	}
	return rc;
}

/* Make libunbound apply its configuration now (context_finalize: modules, trust anchors, local zones) so a bad setup
 * is an error of creating the resolver, not of the first query. No public call does only that; removing the local zone
 * "." — which no configuration of ours has — finalizes and changes nothing. unbound's log lines during this step
 * are caught to explain a failure. */
int ma_ubconf_finalize(struct ub_ctx *ctx, char **errmsg)
{
	char *log = NULL;
	size_t loglen = 0;
	FILE *mem = open_memstream(&log, &loglen);
	if (mem != NULL)
		ub_ctx_debugout(ctx, mem);
	int ub = ub_ctx_zone_remove(ctx, ".");
	/* From here on libunbound logs nowhere: its outcomes reach the caller as statuses. */
	ub_ctx_debugout(ctx, NULL);
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
		ma_ubconf_set_err(errmsg, "cannot set up the DNS resolver: %s%s%s", ub_strerror(ub), reason ? ": " : "",
		                  reason ? reason : "");
	}
	free(log);
	return ub == 0 ? MA_OK : MA_ERR_DNS;
}

int ma_ubconf_set(struct ub_ctx *ctx, const char *name, const char *value, char **errmsg)
{
	int ub = ub_ctx_set_option(ctx, name, value);
	if (ub != 0) {
		ma_ubconf_set_err(errmsg, "cannot configure the DNS resolver: %s %s: %s", name, value, ub_strerror(ub));
		return MA_ERR_DNS;
	}
	return MA_OK;
}

int ma_ubconf_apply(struct ub_ctx *ctx, const struct ma_ubconf_opts *opts, char **errmsg)
{
	int rc;
	/* Record why validation failed (unbound's errinf is only collected at val-log-level 2); it reaches the caller
	 * as the BOGUS answer's why, the log itself goes nowhere. */
	if ((rc = ma_ubconf_set(ctx, "val-log-level:", "2", errmsg)) != MA_OK)
		return rc;
	if (opts->server != NULL) {
		char fwd[INET6_ADDRSTRLEN + 16];
		if (ma_resolver_parse_server(opts->server, fwd, sizeof fwd) != MA_OK) {
			ma_ubconf_set_err(
			    errmsg,
			    "bad resolver address '%s': want an IP address as ADDR, ADDR:PORT, [IPV6]:PORT "
			    "or ADDR@PORT",
			    opts->server);
			return MA_ERR_INVAL;
		}
		/* The server may be on loopback (a local resolver or a test server). */
		if ((rc = ma_ubconf_set(ctx, "do-not-query-localhost:", "no", errmsg)) != MA_OK)
			return rc;
		int ub = ub_ctx_set_fwd(ctx, fwd);
		if (ub != 0) {
			ma_ubconf_set_err(errmsg, "bad resolver address '%s': %s", opts->server, ub_strerror(ub));
			return MA_ERR_INVAL;
		}
		for (size_t i = 0; i < sizeof default_local_zones / sizeof default_local_zones[0]; i++) {
			char zone[128];
			snprintf(zone, sizeof zone, "%s transparent", default_local_zones[i]);
			if ((rc = ma_ubconf_set(ctx, "local-zone:", zone, errmsg)) != MA_OK)
				return rc;
		}
	}
	if (!opts->no_validate) {
		const char *ta = opts->trust_anchor_file ? opts->trust_anchor_file : ROOT_ANCHOR_FILE;
		if ((rc = check_anchor_file(ta, errmsg)) != MA_OK)
			return rc;
		/* A static anchor (RFC 4033), not RFC 5011 tracking: the file is read, never written. */
		int ub = ub_ctx_add_ta_file(ctx, ta);
		if (ub != 0) {
			ma_ubconf_set_err(errmsg, "bad DNSSEC trust anchor %s: %s", ta, ub_strerror(ub));
			return MA_ERR_INVAL;
		}
	} else {
		/* No validator module: nothing is checked, nothing marked secure or bogus. */
		if ((rc = ma_ubconf_set(ctx, "module-config:", "iterator", errmsg)) != MA_OK)
			return rc;
	}
	return MA_OK;
}
