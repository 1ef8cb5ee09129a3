/* tests/support/hostiledns.c — a hostile DNS server on loopback for bad-input tests; see hostiledns.h. */
#include "hostiledns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 65535
#define SLOW_MS 1500 /* how late "slow" answers come */
#define DELAYED_MAX 256
#define ZONE "hostile"

static const char *const labels[] = {"slow",     "good",    "many",   "toomany", "chain",
                                     "loop",     "split",   "binary", "tcclose", "tcgarbage",
                                     "servfail", "refused", "silent", "ptrloop", "wrongid"};
#define NLABELS (sizeof labels / sizeof labels[0])

struct hostiledns {
	int udp, tcp;
	int stop[2];
	pthread_t thread;
	char addr[64];
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned tcp_threads;
	unsigned counts[NLABELS + 1];
	struct delayed {
		long long due_ms;
		struct sockaddr_storage to;
		socklen_t tolen;
		uint8_t *msg;
		size_t len;
	} delayed[DELAYED_MAX];
	size_t ndelayed;
};

/* A reply under construction. */
struct out {
	uint8_t b[MSG_MAX];
	size_t n;
	bool overflow;
};

static void put(struct out *o, const void *d, size_t n)
{
	if (o->overflow || o->n + n > sizeof o->b) {
		o->overflow = true;
		return;
	}
	memcpy(o->b + o->n, d, n);
	o->n += n;
}

static void put16(struct out *o, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(o, b, 2);
}

static void put32(struct out *o, unsigned long v)
{
	put16(o, (unsigned)(v >> 16));
	put16(o, (unsigned)(v & 0xffff));
}

static void put_name(struct out *o, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
		uint8_t len = (uint8_t)l;
		put(o, &len, 1);
		put(o, dotted, l);
		dotted += l;
		if (*dotted == '.')
			dotted++;
	}
	put(o, "", 1);
}

/* Start a record: owner NULL means the question's name (a pointer to offset 12). Returns where RDLENGTH goes. */
static size_t rr_start(struct out *o, const char *owner, unsigned type)
{
	if (owner == NULL)
		put16(o, 0xC00C);
	else
		put_name(o, owner);
	put16(o, type);
	put16(o, 1);
	put32(o, 60);
	size_t at = o->n;
	put16(o, 0);
	return at;
}

static void rr_end(struct out *o, size_t at)
{
	if (o->overflow)
		return;
	size_t len = o->n - at - 2;
	o->b[at] = (uint8_t)(len >> 8);
	o->b[at + 1] = (uint8_t)len;
}

static void rr_a(struct out *o, const char *owner, unsigned a, unsigned b)
{
	size_t at = rr_start(o, owner, 1);
	uint8_t ip[4] = {192, 0, (uint8_t)a, (uint8_t)b};
	put(o, ip, 4);
	rr_end(o, at);
}

static void rr_txt(struct out *o, const char *owner, const char *s, size_t len, bool one_octet_strings)
{
	size_t at = rr_start(o, owner, 16);
	if (one_octet_strings) {
		for (size_t i = 0; i < len; i++) {
			uint8_t one = 1;
			put(o, &one, 1);
			put(o, s + i, 1);
		}
	} else {
		uint8_t l = (uint8_t)len;
		put(o, &l, 1);
		put(o, s, len);
	}
	rr_end(o, at);
}

static void rr_cname(struct out *o, const char *owner, const char *target)
{
	size_t at = rr_start(o, owner, 5);
	put_name(o, target);
	rr_end(o, at);
}

static void rr_mx(struct out *o, const char *owner, unsigned pref, const char *host)
{
	size_t at = rr_start(o, owner, 15);
	put16(o, pref);
	put_name(o, host);
	rr_end(o, at);
}

static void soa(struct out *o)
{
	size_t at = rr_start(o, ZONE, 6);
	put_name(o, "ns." ZONE);
	put_name(o, "hostmaster." ZONE);
	put32(o, 1);
	put32(o, 3600);
	put32(o, 600);
	put32(o, 86400);
	put32(o, 60);
	rr_end(o, at);
}

enum action { REPLY, DROP, CLOSE, GARBAGE, DELAY };

static unsigned num(const char *s)
{
	return (unsigned)strtoul(s, NULL, 10);
}

struct query {
	uint16_t id, flags, type;
	char name[300]; /* lowercased, no trailing dot */
	const uint8_t *qsec;
	size_t qseclen;
	unsigned udp_size;
	bool edns;
};

static bool parse_query(const uint8_t *p, size_t len, struct query *q)
{
	if (len < 12 || ((p[4] << 8) | p[5]) != 1)
		return false;
	q->id = (uint16_t)((p[0] << 8) | p[1]);
	q->flags = (uint16_t)((p[2] << 8) | p[3]);
	size_t off = 12, n = 0;
	while (off < len && p[off] != 0) {
		size_t l = p[off];
		if (l > 63 || off + 1 + l > len || n + l + 2 > sizeof q->name)
			return false;
		if (n > 0)
			q->name[n++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)p[off + 1 + i];
			q->name[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		off += 1 + l;
	}
	q->name[n] = '\0';
	if (off + 5 > len)
		return false;
	off++;
	q->type = (uint16_t)((p[off] << 8) | p[off + 1]);
	off += 4;
	q->qsec = p + 12;
	q->qseclen = off - 12;
	q->udp_size = 512;
	q->edns = false;
	unsigned ar = (unsigned)((p[10] << 8) | p[11]);
	if (ar >= 1 && off + 11 <= len && p[off] == 0 && p[off + 1] == 0 && p[off + 2] == 41) {
		q->edns = true;
		unsigned sz = (unsigned)((p[off + 3] << 8) | p[off + 4]);
		q->udp_size = sz < 512 ? 512 : sz > 1232 ? 1232 : sz;
	}
	return true;
}

static void header(struct out *o, const struct query *q, unsigned rcode, bool tc, unsigned an, unsigned ns)
{
	o->n = 0;
	o->overflow = false;
	put16(o, q->id);
	put16(o, 0x8000 | 0x0400 /* AA */ | (q->flags & 0x0100) /* RD */ | (tc ? 0x0200 : 0) | rcode);
	put16(o, 1);
	put16(o, an);
	put16(o, ns);
	put16(o, q->edns ? 1 : 0);
	put(o, q->qsec, q->qseclen);
}

static void set_counts(struct out *o, unsigned an, unsigned ns)
{
	o->b[6] = (uint8_t)(an >> 8);
	o->b[7] = (uint8_t)an;
	o->b[8] = (uint8_t)(ns >> 8);
	o->b[9] = (uint8_t)ns;
}

static void opt(struct out *o, const struct query *q)
{
	if (!q->edns)
		return;
	put(o, "", 1);
	put16(o, 41);
	put16(o, 1232);
	put32(o, 0);
	put16(o, 0);
}

/* Which behaviour (index into labels, or NLABELS) and the labels left of it ("" at the domain's apex). */
static size_t classify(const char *name, char *sub, size_t subsz)
{
	size_t n = strlen(name), zl = strlen(ZONE);
	sub[0] = '\0';
	if (n < zl || strcmp(name + n - zl, ZONE) != 0 || (n > zl && name[n - zl - 1] != '.'))
		return NLABELS;
	if (n == zl)
		return NLABELS;
	size_t end = n - zl - 1, start = end;
	while (start > 0 && name[start - 1] != '.')
		start--;
	for (size_t i = 0; i < NLABELS; i++) {
		if (strlen(labels[i]) == end - start && memcmp(name + start, labels[i], end - start) == 0) {
			if (start > 0)
				snprintf(sub, subsz, "%.*s", (int)(start - 1), name);
			return i;
		}
	}
	return NLABELS;
}

/* The answer for q: fills o and returns what to do with it. */
static enum action respond(struct hostiledns *h, const struct query *q, bool tcp, struct out *o)
{
	char sub[300], owner[400];
	size_t k = classify(q->name, sub, sizeof sub);
	pthread_mutex_lock(&h->lock);
	h->counts[k]++;
	pthread_mutex_unlock(&h->lock);
	const char *label = k < NLABELS ? labels[k] : "";
	unsigned an = 0, rcode = 0;
	bool apex = sub[0] == '\0', exists = apex && k < NLABELS;
	header(o, q, 0, false, 0, 0);

	if (strcmp(label, "silent") == 0)
		return DROP;
	if (strcmp(label, "slow") == 0) {
		/* The right answer, too late for the first deadline. */
		if (apex && q->type == 16) {
			rr_txt(o, NULL, "v=spf1 -all", 11, false);
			opt(o, q);
			set_counts(o, 1, 0);
		} else {
			soa(o);
			opt(o, q);
			set_counts(o, 0, 1);
			o->b[3] = (uint8_t)((o->b[3] & 0xF0) | (apex ? 0 : 3));
		}
		return DELAY;
	}
	if (strcmp(label, "servfail") == 0 || strcmp(label, "refused") == 0) {
		header(o, q, label[0] == 's' ? 2 : 5, false, 0, 0);
		opt(o, q);
		return REPLY;
	}
	if (strcmp(label, "tcclose") == 0 || strcmp(label, "tcgarbage") == 0) {
		if (tcp)
			return label[2] == 'c' ? CLOSE : GARBAGE;
		header(o, q, 0, true, 0, 0);
		opt(o, q);
		return REPLY;
	}
	if (strcmp(label, "ptrloop") == 0) {
		header(o, q, 0, false, 1, 0);
		size_t here = o->n;
		put16(o, 0xC000 | (unsigned)here); /* the owner name points at itself */
		put16(o, q->type);
		put16(o, 1);
		put32(o, 60);
		put16(o, 4);
		put(o, "\x7f\0\0\1", 4);
		return REPLY;
	}
	if (strcmp(label, "good") == 0 || strcmp(label, "wrongid") == 0) {
		if (apex && q->type == 15) {
			snprintf(owner, sizeof owner, "mx.%s." ZONE, label);
			rr_mx(o, NULL, 10, owner), an++;
		} else if (apex && q->type == 16) {
			rr_txt(o, NULL, "v=spf1 -all", 11, false), an++;
		} else if (strcmp(sub, "_dmarc") == 0) {
			exists = true;
			if (q->type == 16)
				rr_txt(o, NULL, "v=DMARC1; p=reject", 18, false), an++;
		} else if (strcmp(sub, "mx") == 0) {
			exists = true;
			if (q->type == 1)
				rr_a(o, NULL, 2, 25), an++;
		}
	} else if (strcmp(label, "many") == 0) {
		if (apex && q->type == 1) {
			for (unsigned i = 0; i < 2000; i++)
				rr_a(o, NULL, 1 + i / 250, i % 250), an++;
		} else if (apex && q->type == 15) {
			for (unsigned i = 0; i < 300; i++) {
				snprintf(owner, sizeof owner, "mx%u.many." ZONE, i);
				rr_mx(o, NULL, i, owner), an++;
			}
		} else if (apex && q->type == 16) {
			for (unsigned i = 0; i < 300; i++) {
				char spf[64];
				int l = snprintf(spf, sizeof spf, "v=spf1 ip4:192.0.2.%u -all", i % 250);
				rr_txt(o, NULL, spf, (size_t)l, false), an++;
			}
		} else if (strncmp(sub, "mx", 2) == 0 && strchr(sub, '.') == NULL) {
			exists = true;
			if (q->type == 1)
				rr_a(o, NULL, 2, num(sub + 2) % 250), an++;
		}
	} else if (strcmp(label, "toomany") == 0) {
		if (apex && q->type == 16)
			for (unsigned i = 0; i < 4500; i++)
				rr_txt(o, NULL, "", 0, false), an++;
	} else if (strcmp(label, "chain") == 0) {
		unsigned hop = 0;
		if (!apex && sub[0] == 'c' && strchr(sub, '.') == NULL)
			hop = num(sub + 1);
		else if (!apex)
			hop = 0; /* _dmarc.chain.hostile and the like start a chain of their own */
		if (hop < 40) {
			exists = true;
			snprintf(owner, sizeof owner, "c%u.chain." ZONE, hop + 1);
			rr_cname(o, NULL, owner), an++;
		} else if (hop == 40) {
			exists = true;
			if (q->type == 1)
				rr_a(o, NULL, 2, 40), an++;
		}
	} else if (strcmp(label, "loop") == 0) {
		/* Every name under it joins the loop. */
		if (strcmp(sub, "l2") == 0)
			rr_cname(o, NULL, "loop." ZONE), an++;
		else
			rr_cname(o, NULL, "l2.loop." ZONE), an++;
	} else if (strcmp(label, "split") == 0 || strcmp(label, "binary") == 0) {
		bool split = label[0] == 's';
		if (apex && q->type == 16) {
			if (split)
				rr_txt(o, NULL, "v=spf1 -all", 11, true), an++;
			else
				rr_txt(o, NULL, "v=spf1 \xff\xfe\0 -all", 16, false), an++;
		} else if (strcmp(sub, "_dmarc") == 0) {
			exists = true;
			if (q->type == 16) {
				if (split)
					rr_txt(o, NULL, "v=DMARC1; p=reject", 18, true), an++;
				else
					rr_txt(o, NULL, "v=DMARC1; p=reject\xc3\x28", 20, false), an++;
			}
		}
	} else if (k == NLABELS && strcmp(q->name, ZONE) == 0) {
		exists = true;
	}
	unsigned ns = 0;
	if (an == 0) {
		rcode = exists ? 0 : 3;
		soa(o), ns++;
	}
	opt(o, q);
	set_counts(o, an, ns);
	o->b[3] = (uint8_t)((o->b[3] & 0xF0) | rcode);
	if (o->overflow || (!tcp && o->n > q->udp_size)) {
		/* RFC 1035 4.2.1, RFC 7766: too big for UDP, so TC=1 and nothing else; the client asks over TCP. */
		header(o, q, 0, true, 0, 0);
		opt(o, q);
	}
	if (strcmp(label, "wrongid") == 0) {
		o->b[0] ^= 0x55;
		o->b[1] ^= 0xAA;
	}
	return REPLY;
}

static void serve_tcp(struct hostiledns *h, int c)
{
	struct out *op = malloc(sizeof *op);
	if (op == NULL) {
		close(c);
		return;
	}
	struct timeval tv = {.tv_sec = 0, .tv_usec = 300000};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (;;) {
		uint8_t lenb[2];
		if (recv(c, lenb, 2, MSG_WAITALL) != 2)
			break;
		size_t len = (size_t)((lenb[0] << 8) | lenb[1]);
		uint8_t msg[MSG_MAX];
		if (len == 0 || recv(c, msg, len, MSG_WAITALL) != (ssize_t)len)
			break;
		struct query q;
		if (!parse_query(msg, len, &q))
			break;
		enum action a = respond(h, &q, true, op);
		if (a == CLOSE || a == DROP || a == DELAY)
			break;
		if (a == GARBAGE) {
			uint8_t junk[600];
			junk[0] = 0x02;
			junk[1] = 0x40;                         /* claims 576 octets */
			uint32_t x = 2463534242u ^ (uint32_t)c; /* xorshift: any bytes will do */
			for (size_t i = 2; i < sizeof junk; i++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				junk[i] = (uint8_t)x;
			}
			(void)send(c, junk, sizeof junk, MSG_NOSIGNAL);
			break;
		}
		uint8_t pre[2] = {(uint8_t)(op->n >> 8), (uint8_t)op->n};
		if (send(c, pre, 2, MSG_NOSIGNAL) != 2 || send(c, op->b, op->n, MSG_NOSIGNAL) != (ssize_t)op->n)
			break;
	}
	close(c);
	free(op);
}

/* Each TCP connection in a thread of its own, so a slow or silent one (the resolver pipelines, or waits) never
 * holds up the next; hostiledns_stop waits for them all. */
struct tcp_job {
	struct hostiledns *h;
	int fd;
};

static void *tcp_thread(void *arg)
{
	struct tcp_job *j = arg;
	struct hostiledns *h = j->h;
	serve_tcp(h, j->fd);
	free(j);
	pthread_mutex_lock(&h->lock);
	h->tcp_threads--;
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void start_tcp(struct hostiledns *h, int fd)
{
	struct tcp_job *j = malloc(sizeof *j);
	pthread_t t;
	pthread_attr_t attr;
	if (j == NULL) {
		close(fd);
		return;
	}
	j->h = h;
	j->fd = fd;
	pthread_mutex_lock(&h->lock);
	h->tcp_threads++;
	pthread_mutex_unlock(&h->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, tcp_thread, j) != 0) {
		pthread_mutex_lock(&h->lock);
		h->tcp_threads--;
		pthread_mutex_unlock(&h->lock);
		close(fd);
		free(j);
	}
	pthread_attr_destroy(&attr);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send the delayed replies that are due; returns the poll timeout until the next one (-1: none). */
static int send_due(struct hostiledns *h)
{
	long long now = now_ms(), next = -1;
	for (size_t i = 0; i < h->ndelayed;) {
		struct delayed *d = &h->delayed[i];
		if (d->due_ms <= now) {
			(void)sendto(h->udp, d->msg, d->len, 0, (struct sockaddr *)&d->to, d->tolen);
			free(d->msg);
			*d = h->delayed[--h->ndelayed];
			continue;
		}
		if (next < 0 || d->due_ms - now < next)
			next = d->due_ms - now;
		i++;
	}
	return (int)next;
}

static void *run(void *arg)
{
	struct hostiledns *h = arg;
	static struct out o;
	for (;;) {
		struct pollfd p[3] = {{h->udp, POLLIN, 0}, {h->tcp, POLLIN, 0}, {h->stop[0], POLLIN, 0}};
		int wait = send_due(h);
		if (poll(p, 3, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents)
			break;
		if (p[0].revents & POLLIN) {
			uint8_t msg[MSG_MAX];
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(h->udp, msg, sizeof msg, 0, (struct sockaddr *)&from, &fl);
			struct query q;
			enum action a = n > 0 && parse_query(msg, (size_t)n, &q) ? respond(h, &q, false, &o) : DROP;
			if (a == REPLY) {
				(void)sendto(h->udp, o.b, o.n, 0, (struct sockaddr *)&from, fl);
			} else if (a == DELAY && h->ndelayed < DELAYED_MAX) {
				struct delayed *d = &h->delayed[h->ndelayed];
				d->msg = malloc(o.n);
				if (d->msg != NULL) {
					memcpy(d->msg, o.b, o.n);
					d->len = o.n;
					d->to = from;
					d->tolen = fl;
					d->due_ms = now_ms() + SLOW_MS;
					h->ndelayed++;
				}
			}
		}
		if (p[1].revents & POLLIN) {
			int c = accept(h->tcp, NULL, NULL);
			if (c >= 0)
				start_tcp(h, c);
		}
	}
	return NULL;
}

struct hostiledns *hostiledns_start(const char *addr, int first_port)
{
	if (addr == NULL)
		addr = "127.0.20.1";
	if (first_port == 0)
		first_port = 20100;
	struct hostiledns *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->idle, NULL);
	h->udp = h->tcp = -1;
	for (int port = first_port; port <= 20999; port++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
			fprintf(stderr, "hostiledns: bad address %s\n", addr);
			free(h);
			return NULL;
		}
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    bind(t, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(t, 64) == 0) {
			h->udp = u;
			h->tcp = t;
			snprintf(h->addr, sizeof h->addr, "%s@%d", addr, port);
			break;
		}
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
	}
	if (h->udp < 0 || pipe(h->stop) != 0) {
		fprintf(stderr, "hostiledns: no free port on %s from %d\n", addr, first_port);
		if (h->udp >= 0) {
			close(h->udp);
			close(h->tcp);
		}
		free(h);
		return NULL;
	}
	if (pthread_create(&h->thread, NULL, run, h) != 0) {
		fprintf(stderr, "hostiledns: cannot start the server thread\n");
		close(h->udp);
		close(h->tcp);
		close(h->stop[0]);
		close(h->stop[1]);
		free(h);
		return NULL;
	}
	return h;
}

const char *hostiledns_addr(const struct hostiledns *h)
{
	return h->addr;
}

unsigned hostiledns_queries(const struct hostiledns *h, const char *label)
{
	struct hostiledns *m = (struct hostiledns *)h;
	unsigned n = 0;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < NLABELS; i++)
		if (strcmp(labels[i], label) == 0)
			n = m->counts[i];
	pthread_mutex_unlock(&m->lock);
	return n;
}

void hostiledns_stop(struct hostiledns *h)
{
	if (h == NULL)
		return;
	(void)write(h->stop[1], "x", 1);
	pthread_join(h->thread, NULL);
	pthread_mutex_lock(&h->lock);
	while (h->tcp_threads > 0)
		pthread_cond_wait(&h->idle, &h->lock);
	pthread_mutex_unlock(&h->lock);
	pthread_cond_destroy(&h->idle);
	for (size_t i = 0; i < h->ndelayed; i++)
		free(h->delayed[i].msg);
	close(h->udp);
	close(h->tcp);
	close(h->stop[0]);
	close(h->stop[1]);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
