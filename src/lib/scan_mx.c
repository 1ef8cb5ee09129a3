/* src/lib/scan_mx.c — the scan's MX line of enquiry: the MX RRset (RFC 5321 5.1, null MX per RFC 7505), the
 * implicit MX when none is published, and for each MX host its A and AAAA records and its TLSA RRset at
 * _25._tcp.<host> (RFC 7672 2.2). Only facts are kept here; scan_judge.c turns them into findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/scan_impl.h"

int scan_mx_start(struct ma_scan *s)
{
	return scan_ask_dns(s, OWN_MX, 0, s->domain, MA_DNS_T_MX);
}

static void lower(char *p)
{
	for (; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

/* An exchange written as a dotted-quad: RFC 5321 5.1 wants a host name; such "hosts" are NXDOMAIN or worse. */
static bool ip_literal(const char *name)
{
	size_t dots = 0, digits = 0;
	for (const char *p = name; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return false;
	}
	return dots == 3 && digits > 0;
}

static int host_cmp(const void *a, const void *b)
{
	const struct scan_host *x = a, *y = b;
	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int ask_host(struct ma_scan *s, size_t i)
{
	char tlsa[MA_DNS_NAME_MAX + 16];
	int rc = scan_ask_dns(s, OWN_HOST_A, i, s->hosts[i].name, MA_DNS_T_A);
	if (rc == MA_OK)
		rc = scan_ask_dns(s, OWN_HOST_AAAA, i, s->hosts[i].name, MA_DNS_T_AAAA);
	/* RFC 7672 2.2.1: the TLSA base domain is the MX host name (after the resolver has followed any CNAME). */
	int w = snprintf(tlsa, sizeof tlsa, "_25._tcp.%s", s->hosts[i].name);
	if (rc == MA_OK && w > 0 && (size_t)w < sizeof tlsa && ma_dns_name_is_valid(tlsa, (size_t)w))
		rc = scan_ask_dns(s, OWN_HOST_TLSA, i, tlsa, MA_DNS_T_TLSA);
	else if (rc == MA_OK)
		s->hosts[i].tlsa.done = false; /* name too long for a TLSA query: no DANE possible */
	return rc;
}

static int on_mx(struct ma_scan *s, const struct ma_dns_answer *a)
{
	lookup_set(&s->mx, a);
	if (lookup_failed(&s->mx)) {
		scan_inconclusive(s, B_MX, s->domain, MA_DNS_T_MX, a);
		return MA_OK;
	}
	if (s->mx.status == MA_DNS_NODATA) {
		/* RFC 5321 5.1: no MX, so the domain itself is the implicit MX if it has an address. */
		int rc = scan_ask_dns(s, OWN_DOMAIN_A, 0, s->domain, MA_DNS_T_A);
		return rc == MA_OK ? scan_ask_dns(s, OWN_DOMAIN_AAAA, 0, s->domain, MA_DNS_T_AAAA) : rc;
	}
	if (s->mx.status != MA_DNS_ANSWER)
		return MA_OK;                         /* NXDOMAIN: nothing more to ask */
	size_t cap = a->count < 256 ? a->count : 256; /* an RRset can hold thousands: look at a sane prefix */
	struct scan_host *hv = calloc(cap ? cap : 1, sizeof *hv);
	if (hv == NULL)
		return MA_ERR_NOMEM;
	size_t n = 0, real = 0;
	for (size_t i = 0; i < cap; i++) {
		uint16_t pref;
		char name[MA_DNS_NAME_MAX + 1];
		if (ma_dns_rdata_mx(&a->rr[i], &pref, name, sizeof name) != MA_OK) {
			s->mx_malformed = true;
			continue;
		}
		/* RFC 7505 3: the null MX is preference 0 and the root as exchange. */
		if (strcmp(name, ".") == 0) {
			s->null_mx = true;
			continue;
		}
		real++;
		lower(name);
		if (ip_literal(name)) {
			if (s->nmx_bad < sizeof s->mx_bad / sizeof s->mx_bad[0])
				memcpy(s->mx_bad[s->nmx_bad++], name, sizeof name);
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < n; j++) {
			if (strcmp(hv[j].name, name) == 0) {
				if (pref < hv[j].pref)
					hv[j].pref = pref;
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		memcpy(hv[n].name, name, sizeof name);
		hv[n].pref = pref;
		n++;
	}
	s->null_mixed = s->null_mx && real > 0;
	/* Sorted by preference then name, so the host list (and its findings) does not depend on RRset order. */
	qsort(hv, n, sizeof *hv, host_cmp);
	s->mx_total = n;
	if (n > MA_SCAN_MX_MAX)
		n = MA_SCAN_MX_MAX;
	s->hosts = hv;
	s->nhosts = n;
	for (size_t i = 0; i < n; i++) {
		int rc = ask_host(s, i);
		if (rc != MA_OK)
			return rc;
	}
	return MA_OK;
}

static void addr_text(const uint8_t *b, bool v6, char *out, size_t outsz)
{
	if (!v6) {
		snprintf(out, outsz, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return;
	}
	/* RFC 5952 4.2.3: the longest run of two or more zero groups becomes "::". */
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < 8 && o < outsz; i++) {
		if (i == best) {
			o += (size_t)snprintf(out + o, outsz - o, "::");
			i += bestlen - 1;
			continue;
		}
		bool colon = i > 0 && !(best >= 0 && i == best + bestlen);
		o += (size_t)snprintf(out + o, outsz - o, "%s%x", colon ? ":" : "", g[i]);
	}
}

static void collect_addrs(struct scan_host *h, const struct ma_dns_answer *a, bool v6)
{
	for (size_t i = 0; i < a->count && h->naddrs < SCAN_HOST_ADDRS; i++) {
		uint8_t b[16];
		if (v6 ? ma_dns_rdata_aaaa(&a->rr[i], b) != MA_OK : ma_dns_rdata_a(&a->rr[i], b) != MA_OK)
			continue;
		char t[46];
		addr_text(b, v6, t, sizeof t);
		bool dup = false;
		for (size_t j = 0; j < h->naddrs && !dup; j++)
			dup = strcmp(h->addrs[j], t) == 0;
		if (!dup)
			memcpy(h->addrs[h->naddrs++], t, sizeof t);
	}
}

/* RFC 6698 2.1: usage, selector, matching type, then the association data. */
static void collect_tlsa(struct scan_host *h, const struct ma_dns_answer *a)
{
	for (size_t i = 0; i < a->count && h->ntlsa < SCAN_TLSA_MAX; i++) {
		const struct ma_dns_rdata *rd = &a->rr[i];
		struct scan_tlsa *t = &h->tlsa_rr[h->ntlsa++];
		memset(t, 0, sizeof *t);
		if (rd->data == NULL || rd->len < 4) {
			t->malformed = true;
			continue;
		}
		t->usage = rd->data[0];
		t->selector = rd->data[1];
		t->mtype = rd->data[2];
		t->len = rd->len - 3;
		/* RFC 6698 2.1.1-2.1.3 and RFC 7218: usages 0-3, selectors 0-1, matching types 0-2, and the digest
		 * lengths of SHA-256 (32) and SHA-512 (64). */
		if (t->usage > 3 || t->selector > 1 || t->mtype > 2 || (t->mtype == 1 && t->len != 32) ||
		    (t->mtype == 2 && t->len != 64))
			t->malformed = true;
		if (t->mtype != 0 && t->len <= sizeof t->data)
			memcpy(t->data, rd->data + 3, t->len);
	}
}

int scan_mx_answer(struct ma_scan *s, enum scan_owner owner, size_t idx, const struct ma_dns_question *q,
                   const struct ma_dns_answer *a)
{
	switch (owner) {
	case OWN_MX: return on_mx(s, a);
	case OWN_DOMAIN_A:
	case OWN_DOMAIN_AAAA: {
		bool v6 = owner == OWN_DOMAIN_AAAA;
		lookup_set(v6 ? &s->dom_aaaa : &s->dom_a, a);
		if (answer_failed(a)) {
			scan_inconclusive(s, B_MX, q->name, q->type, a);
			return MA_OK;
		}
		if (a->status != MA_DNS_ANSWER || a->count == 0)
			return MA_OK;
		/* The implicit MX: the domain itself, at preference 0 (RFC 5321 5.1). Created by whichever address
		 * answer comes first; the other adds to it. */
		if (s->nhosts == 0) {
			s->hosts = calloc(1, sizeof *s->hosts);
			if (s->hosts == NULL)
				return MA_ERR_NOMEM;
			s->nhosts = 1;
			struct scan_host *h = &s->hosts[0];
			memcpy(h->name, s->domain, sizeof h->name);
			h->implicit = true;
			char tlsa[MA_DNS_NAME_MAX + 16];
			int w = snprintf(tlsa, sizeof tlsa, "_25._tcp.%s", s->domain);
			if (w > 0 && (size_t)w < sizeof tlsa && ma_dns_name_is_valid(tlsa, (size_t)w)) {
				int rc = scan_ask_dns(s, OWN_HOST_TLSA, 0, tlsa, MA_DNS_T_TLSA);
				if (rc != MA_OK)
					return rc;
			}
		}
		struct scan_host *h = &s->hosts[0];
		lookup_set(v6 ? &h->aaaa : &h->a, a);
		collect_addrs(h, a, v6);
		return MA_OK;
	}
	case OWN_HOST_A:
	case OWN_HOST_AAAA:
	case OWN_HOST_TLSA: {
		if (idx >= s->nhosts)
			return MA_ERR_STATE;
		struct scan_host *h = &s->hosts[idx];
		if (owner == OWN_HOST_TLSA) {
			lookup_set(&h->tlsa, a);
			if (answer_failed(a) && a->status != MA_DNS_BOGUS && a->dnssec != MA_DNSSEC_BOGUS)
				scan_inconclusive(s, B_DNSSEC, q->name, q->type, a);
			else if (a->status == MA_DNS_ANSWER && !answer_failed(a))
				collect_tlsa(h, a);
			return MA_OK;
		}
		bool v6 = owner == OWN_HOST_AAAA;
		lookup_set(v6 ? &h->aaaa : &h->a, a);
		if (answer_failed(a))
			scan_inconclusive(s, B_MX, q->name, q->type, a);
		else if (a->status == MA_DNS_ANSWER)
			collect_addrs(h, a, v6);
		return MA_OK;
	}
	default: return MA_ERR_STATE;
	}
}
