/* tests/support/fakedns.c — in-memory zone for unit tests (see fakedns.h). */
#include "fakedns.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"

enum { K_RR, K_EXISTS, K_TIMEOUT, K_SERVFAIL };

struct entry {
	char *name;
	int kind;
	uint16_t type;
	uint8_t *rdata;
	size_t len;
};

struct fakedns {
	struct entry *e;
	size_t n, cap;
	struct ma_dns_rdata *out;
	size_t outcap;
	unsigned queries;
	int hit_timeout;
};

struct fakedns *fakedns_new(void)
{
	return calloc(1, sizeof(struct fakedns));
}

void fakedns_free(struct fakedns *z)
{
	if (z == NULL)
		return;
	for (size_t i = 0; i < z->n; i++) {
		free(z->e[i].name);
		free(z->e[i].rdata);
	}
	free(z->e);
	free(z->out);
	free(z);
}

static void push(struct fakedns *z, const char *name, int kind, uint16_t type, const void *rdata, size_t len)
{
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 16;
		z->e = realloc(z->e, z->cap * sizeof *z->e);
		if (z->e == NULL)
			abort();
	}
	struct entry *e = &z->e[z->n++];
	size_t nl = strlen(name);
	if (nl > 1 && name[nl - 1] == '.')
		nl--;
	e->name = strndup(name, nl);
	e->kind = kind;
	e->type = type;
	e->len = len;
	e->rdata = malloc(len ? len : 1);
	if (e->name == NULL || e->rdata == NULL)
		abort();
	if (len)
		memcpy(e->rdata, rdata, len);
}

void fakedns_add(struct fakedns *z, const char *name, uint16_t type, const void *rdata, size_t len)
{
	push(z, name, K_RR, type, rdata, len);
}

void fakedns_txt_bytes(struct fakedns *z, const char *name, uint16_t type, const char *data, size_t len)
{
	uint8_t *buf = malloc(len + len / 255 + 2);
	size_t o = 0, off = 0;
	if (buf == NULL)
		abort();
	do {
		size_t chunk = len - off > 255 ? 255 : len - off;
		buf[o++] = (uint8_t)chunk;
		memcpy(buf + o, data + off, chunk);
		o += chunk;
		off += chunk;
	} while (off < len);
	fakedns_add(z, name, type, buf, o);
	free(buf);
}

void fakedns_txt(struct fakedns *z, const char *name, ...)
{
	uint8_t buf[65536];
	size_t o = 0;
	va_list ap;
	va_start(ap, name);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		size_t len = strlen(s), off = 0;
		do {
			size_t chunk = len - off > 255 ? 255 : len - off;
			if (o + 1 + chunk > sizeof buf)
				abort();
			buf[o++] = (uint8_t)chunk;
			memcpy(buf + o, s + off, chunk);
			o += chunk;
			off += chunk;
		} while (off < len);
	}
	va_end(ap);
	fakedns_add(z, name, MA_DNS_T_TXT, buf, o);
}

void fakedns_a(struct fakedns *z, const char *name, const char *ipv4)
{
	uint8_t a[4];
	if (inet_pton(AF_INET, ipv4, a) != 1)
		abort();
	fakedns_add(z, name, MA_DNS_T_A, a, 4);
}

void fakedns_aaaa(struct fakedns *z, const char *name, const char *ipv6)
{
	uint8_t a[16];
	if (inet_pton(AF_INET6, ipv6, a) != 1)
		abort();
	fakedns_add(z, name, MA_DNS_T_AAAA, a, 16);
}

static void add_name_rr(struct fakedns *z, const char *name, uint16_t type, const uint8_t *prefix, size_t plen,
			const char *target)
{
	uint8_t buf[300];
	if (plen > 0)
		memcpy(buf, prefix, plen);
	int w = ma_dns_name_encode(target, buf + plen, sizeof buf - plen);
	if (w < 0)
		abort();
	fakedns_add(z, name, type, buf, plen + (size_t)w);
}

void fakedns_mx(struct fakedns *z, const char *name, uint16_t pref, const char *host)
{
	uint8_t p[2] = {(uint8_t)(pref >> 8), (uint8_t)pref};
	add_name_rr(z, name, MA_DNS_T_MX, p, 2, host);
}

void fakedns_ptr(struct fakedns *z, const char *name, const char *target)
{
	add_name_rr(z, name, MA_DNS_T_PTR, NULL, 0, target);
}

void fakedns_cname(struct fakedns *z, const char *name, const char *target)
{
	add_name_rr(z, name, MA_DNS_T_CNAME, NULL, 0, target);
}

void fakedns_exists(struct fakedns *z, const char *name)
{
	push(z, name, K_EXISTS, 0, NULL, 0);
}

void fakedns_timeout(struct fakedns *z, const char *name)
{
	push(z, name, K_TIMEOUT, 0, NULL, 0);
}

void fakedns_servfail(struct fakedns *z, const char *name)
{
	push(z, name, K_SERVFAIL, 0, NULL, 0);
}

void fakedns_answer(struct fakedns *z, const struct ma_dns_question *q, struct ma_dns_answer *ans)
{
	char name[MA_DNS_NAME_MAX + 1];
	char cname[MA_DNS_NAME_MAX + 1];
	memset(ans, 0, sizeof *ans);
	ans->dnssec = MA_DNSSEC_UNCHECKED;
	z->queries++;
	strncpy(name, q->name, sizeof name - 1);
	name[sizeof name - 1] = '\0';
	for (int hops = 0; hops < 8; hops++) {
		size_t found = 0, exists = 0;
		const struct entry *cn = NULL;
		for (size_t i = 0; i < z->n; i++) {
			const struct entry *e = &z->e[i];
			if (!ma_dns_name_eq(e->name, name))
				continue;
			exists++;
			if (e->kind == K_TIMEOUT) {
				z->hit_timeout = 1;
				ans->status = MA_DNS_TIMEOUT;
				return;
			}
			if (e->kind == K_SERVFAIL) {
				ans->status = MA_DNS_SERVFAIL;
				return;
			}
			if (e->kind == K_RR && e->type == q->type)
				found++;
			if (e->kind == K_RR && e->type == MA_DNS_T_CNAME)
				cn = e;
		}
		if (found) {
			if (z->outcap < found) {
				z->outcap = found;
				z->out = realloc(z->out, found * sizeof *z->out);
				if (z->out == NULL)
					abort();
			}
			size_t k = 0;
			for (size_t i = 0; i < z->n; i++) {
				const struct entry *e = &z->e[i];
				if (e->kind == K_RR && e->type == q->type && ma_dns_name_eq(e->name, name)) {
					z->out[k].data = e->rdata;
					z->out[k].len = e->len;
					k++;
				}
			}
			ans->status = MA_DNS_ANSWER;
			ans->count = k;
			ans->rr = z->out;
			return;
		}
		if (cn != NULL && q->type != MA_DNS_T_CNAME) {
			struct ma_dns_rdata rd = {cn->rdata, cn->len};
			if (ma_dns_rdata_name(&rd, cname, sizeof cname) != 0)
				break;
			strcpy(name, cname);
			continue;
		}
		ans->status = exists ? MA_DNS_NODATA : MA_DNS_NXDOMAIN;
		/* A name with records only below it exists too (an empty non-terminal, RFC 8020). */
		if (!exists) {
			size_t nl = strlen(name);
			for (size_t i = 0; i < z->n; i++) {
				size_t el = strlen(z->e[i].name);
				if (el > nl + 1 && z->e[i].name[el - nl - 1] == '.' &&
				    ma_dns_name_eq(z->e[i].name + el - nl, name)) {
					ans->status = MA_DNS_NODATA;
					break;
				}
			}
		}
		return;
	}
	ans->status = MA_DNS_SERVFAIL; /* CNAME loop */
}

unsigned fakedns_queries(const struct fakedns *z)
{
	return z->queries;
}

int fakedns_hit_timeout(const struct fakedns *z)
{
	return z->hit_timeout;
}

void fakedns_reset_counters(struct fakedns *z)
{
	z->queries = 0;
	z->hit_timeout = 0;
}
