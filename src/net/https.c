/* src/net/https.c — bounded HTTPS GETs on a libevent loop: one libcurl multi handle driven by the loop's socket and
 * timer events (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION, curl_multi_socket_action), one easy handle per
 * fetch. See https.h for the contract.
 *
 * Why each bound is here:
 *  - Addresses are pinned with CURLOPT_RESOLVE, and an open-socket hook refuses any address that was not given, so
 *    no other resolver (the system's, without DNSSEC) is ever consulted for a policy host (RFC 8461 3.3 / 10.2).
 *  - https only, no redirects (RFC 8461 3.3: "HTTP 3xx redirects MUST NOT be followed"), no proxy from the
 *    environment, no content decoding (a compressed bomb would only be capped after inflating).
 *  - The whole fetch has a deadline (CURLOPT_TIMEOUT_MS) and a low-speed guard; the body is capped in the write
 *    callback and, when the server announces its length, before the first byte (CURLOPT_MAXFILESIZE_LARGE).
 *  - Fetches beyond max_parallel wait in our own queue rather than curl's, so a fetch's deadline counts only its
 *    own time on the wire.
 *
 * Callbacks run from the loop only: a fetch is handed to curl in ma_https_get, but curl does no work there (it asks
 * for a zero timer), and completions are read with curl_multi_info_read after curl_multi_socket_action returns. */
#include "net/https.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "lib/err.h"

/* CURLOPT_PROTOCOLS_STR came with 7.85.0 and CURLOPT_PREREQFUNCTION with 7.80.0 (Debian 12 has 7.88.1). */
#if LIBCURL_VERSION_NUM < 0x075500
#error "libcurl 7.85.0 or later is needed"
#endif

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_PORT 443
#define DEFAULT_PARALLEL 64
#define HOST_MAX 253 /* RFC 1035 2.3.4: a name in text form */
#define PATH_MAX_LEN 2048
#define ADDRS_MAX 32       /* more pinned addresses than any host needs */
#define LOW_SPEED_BYTES 16 /* bytes/s below which a transfer counts as stalled (see low_speed_secs) */
#define USER_AGENT "mailassure/0.1 (MTA-STS policy fetch)"

struct pinned {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
};

struct fetch {
	struct ma_https *h;
	struct fetch *prev, *next; /* in h->running or h->queue */
	CURL *easy;
	struct curl_slist *resolve;
	ma_https_cb cb;
	void *arg;
	char *body;
	size_t len, cap;
	bool toobig;
	bool off_pin; /* the prerequest check found the connection on an address not given */
	struct pinned pins[ADDRS_MAX];
	size_t npins;
	char errbuf[CURL_ERROR_SIZE];
};

struct list {
	struct fetch *head, *tail;
	size_t n;
};

struct sock {
	struct ma_https *h;
	struct sock *prev, *next;
	curl_socket_t fd;
	struct event *ev;
};

struct pin_seen {
	uint64_t key;  /* hash of "host:port" */
	uint64_t pins; /* hash of the RESOLVE entry (the addresses, in order) */
};

struct ma_https {
	struct event_base *base;
	CURLM *multi;
	CURLSH *share;
	struct event *timer;
	char *ca_file;
	unsigned timeout_ms;
	size_t body_max;
	uint16_t port;
	unsigned max_parallel;
	struct list running, queue;
	struct sock *socks;    /* every socket curl asked us to watch */
	struct pin_seen *seen; /* ring of recent pin sets per host:port (see reuse_ok) */
	size_t nseen, seen_next;
	uint64_t fetches;
	bool closing;         /* ma_https_free is cancelling: no new fetches */
	unsigned dispatching; /* > 0 while a user callback runs from process_done */
	bool free_pending;    /* ma_https_free was called from a callback: finish when it returns */
};

static void free_now(struct ma_https *h);

/* ---- once-only library setup ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	/* curl_global_init is not reentrant before 7.84 and must run before any other curl call; pthread_once makes
	 * the first ma_https_new of any thread do it exactly once. It is never undone: curl_global_cleanup while
	 * another thread still uses curl is undefined, and the process exit releases it. */
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void set_why(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(char **why, const char *fmt, ...)
{
	if (why == NULL)
		return;
	free(*why);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
}

/* ---- lists ---- */

static void list_push(struct list *l, struct fetch *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
	l->n++;
}

static void list_remove(struct list *l, struct fetch *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
	l->n--;
}

/* ---- curl callbacks ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fetch *f = userp;
	size_t n = size * nmemb; /* curl passes size == 1 */
	if (n > f->h->body_max - f->len) {
		/* Past the cap: a short count makes curl stop the transfer with CURLE_WRITE_ERROR, which we report as
		 * MA_HTTPS_TOOBIG. Nothing more is read or kept. */
		f->toobig = true;
		return 0;
	}
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		while (cap < f->len + n)
			cap *= 2;
		if (cap > f->h->body_max)
			cap = f->h->body_max;
		char *nb = realloc(f->body, cap);
		if (nb == NULL)
			return 0; /* CURLE_WRITE_ERROR without toobig: reported with curl's text */
		f->body = nb;
		f->cap = cap;
	}
	memcpy(f->body + f->len, data, n);
	f->len += n;
	return n;
}

/* The pin, enforced: curl connects only to an address this fetch was given, whatever its DNS cache holds. */
static curl_socket_t on_open_socket(void *userp, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct fetch *f = userp;
	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	bool ok = false;
	for (size_t i = 0; i < f->npins && !ok; i++) {
		if (f->pins[i].family != sa->family)
			continue;
		if (sa->family == AF_INET && sa->addrlen >= sizeof(struct sockaddr_in)) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)&sa->addr;
			ok = memcmp(&in->sin_addr, &f->pins[i].a.v4, sizeof in->sin_addr) == 0;
		} else if (sa->family == AF_INET6 && sa->addrlen >= sizeof(struct sockaddr_in6)) {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa->addr;
			ok = memcmp(&in6->sin6_addr, &f->pins[i].a.v6, sizeof in6->sin6_addr) == 0;
		}
	}
	if (!ok)
		return CURL_SOCKET_BAD;
	return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

static bool pinned(const struct fetch *f, const char *ip)
{
	struct pinned p;
	if (inet_pton(AF_INET, ip, &p.a.v4) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &p.a.v6) == 1)
		p.family = AF_INET6;
	else
		return false;
	for (size_t i = 0; i < f->npins; i++) {
		if (f->pins[i].family != p.family)
			continue;
		if (p.family == AF_INET ? memcmp(&p.a.v4, &f->pins[i].a.v4, sizeof p.a.v4) == 0
		                        : memcmp(&p.a.v6, &f->pins[i].a.v6, sizeof p.a.v6) == 0)
			return true;
	}
	return false;
}

/* Last check before the request is sent, on a new or a reused connection: curl matches cached connections by host
 * and port only, so a connection opened for another fetch's addresses must not carry this one. */
static int on_prereq(void *userp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct fetch *f = userp;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (primary_ip != NULL && pinned(f, primary_ip))
		return CURL_PREREQFUNC_OK;
	f->off_pin = true;
	return CURL_PREREQFUNC_ABORT;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* May this fetch reuse a cached connection to host:port? Only when the last fetch we saw for host:port had the
 * same addresses: a cached connection then goes to one of ours. An unknown or changed pin set asks for a fresh
 * connection (CURLOPT_FRESH_CONNECT) and is remembered. The ring holds a few entries per slot (the connection
 * cache holds one per slot); forgetting a host only costs a reuse. on_prereq is the guarantee either way. */
static bool reuse_ok(struct ma_https *h, const char *resolve)
{
	/* "host:port" is the key (host_ok keeps ':' out of host); the addresses after the second ':' are the pin set.
	 */
	const char *c1 = strchr(resolve, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 == NULL)
		return false;
	uint64_t key = fnv1a(resolve, (size_t)(c2 - resolve));
	uint64_t pins = fnv1a(c2 + 1, strlen(c2 + 1));
	for (size_t i = 0; i < h->nseen; i++) {
		if (h->seen[i].key != key)
			continue;
		bool same = h->seen[i].pins == pins;
		h->seen[i].pins = pins;
		return same;
	}
	size_t cap = 4 * (size_t)h->max_parallel;
	if (h->seen == NULL && (h->seen = calloc(cap, sizeof *h->seen)) == NULL)
		return false;
	size_t slot = h->nseen < cap ? h->nseen++ : h->seen_next;
	h->seen_next = (slot + 1) % cap;
	h->seen[slot] = (struct pin_seen){.key = key, .pins = pins};
	return false;
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg);
static void process_done(struct ma_https *h);

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct ma_https *h = userp;
	struct sock *s = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			if (s->prev)
				s->prev->next = s->next;
			else
				h->socks = s->next;
			if (s->next)
				s->next->prev = s->prev;
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	short flags = EV_PERSIST;
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			return -1; /* curl fails the transfer (CURLM_ABORTED_BY_CALLBACK) */
		s->h = h;
		s->fd = fd;
		s->ev = event_new(h->base, fd, flags, on_sock_event, s);
		if (s->ev == NULL) {
			free(s);
			return -1;
		}
		s->next = h->socks;
		if (h->socks)
			h->socks->prev = s;
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	} else {
		event_del(s->ev);
		event_assign(s->ev, h->base, fd, flags, on_sock_event, s);
	}
	event_add(s->ev, NULL);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct ma_https *h = userp;
	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	/* Zero means "call me as soon as possible": from the loop, never from here (curl is not reentrant). */
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	evtimer_add(h->timer, &tv);
	return 0;
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct sock *s = arg;
	struct ma_https *h = s->h; /* s may be freed inside curl_multi_socket_action */
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int still;
	curl_multi_socket_action(h->multi, fd, action, &still);
	process_done(h);
}

static void on_timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct ma_https *h = arg;
	(void)fd;
	(void)what;
	int still;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	process_done(h);
}

/* ---- fetch lifecycle ---- */

static void fetch_free(struct fetch *f)
{
	if (f == NULL)
		return;
	if (f->easy)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->resolve);
	free(f->body);
	free(f);
}

static enum ma_https_status map_code(const struct fetch *f, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK: return MA_HTTPS_OK;
	case CURLE_WRITE_ERROR: return f->toobig ? MA_HTTPS_TOOBIG : MA_HTTPS_PROTOCOL;
	case CURLE_FILESIZE_EXCEEDED: /* Content-Length over the cap, refused before the body */ return MA_HTTPS_TOOBIG;
	case CURLE_OPERATION_TIMEDOUT: /* the deadline or the low-speed guard */ return MA_HTTPS_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: /* only if a pin did not take; never from DNS */ return MA_HTTPS_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED: return MA_HTTPS_TLS;
	default:
		/* CURLE_WEIRD_SERVER_REPLY, CURLE_GOT_NOTHING, CURLE_HTTP2*, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE ...:
		 * the peer spoke TLS but not (complete) HTTP. */
		return MA_HTTPS_PROTOCOL;
	}
}

static void deliver(struct fetch *f, CURLcode rc)
{
	struct ma_https_result res = {.status = map_code(f, rc)};
	if (res.status == MA_HTTPS_OK) {
		long code = 0;
		char *ct = NULL;
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct);
		res.http_status = code > 0 && code < 1000 ? (int)code : 0;
		res.content_type = ct;
		res.body = f->body ? f->body : "";
		res.len = f->len;
	} else if (res.status == MA_HTTPS_TOOBIG) {
		res.why = f->errbuf[0] && rc != CURLE_WRITE_ERROR ? f->errbuf : "body over the size cap";
	} else if (f->off_pin) {
		res.why = "connected to an address not given";
	} else {
		res.why = f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc);
	}
	f->cb(f->arg, &res);
}

static void deliver_status(struct fetch *f, enum ma_https_status st, const char *why)
{
	struct ma_https_result res = {.status = st, .why = why};
	f->cb(f->arg, &res);
}

/* Hand queued fetches to curl while there is room. Called from the loop only. */
static void start_queued(struct ma_https *h)
{
	while (h->queue.head != NULL && h->running.n < h->max_parallel && !h->closing && !h->free_pending) {
		struct fetch *f = h->queue.head;
		list_remove(&h->queue, f);
		if (curl_multi_add_handle(h->multi, f->easy) != CURLM_OK) {
			h->dispatching++;
			deliver_status(f, MA_HTTPS_CONNECT, "could not start the transfer");
			h->dispatching--;
			fetch_free(f);
			continue;
		}
		list_push(&h->running, f);
	}
}

/* Read finished transfers and run their callbacks. Nothing may touch h after it returns when free_pending was set. */
static void process_done(struct ma_https *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result; /* msg is invalid after remove_handle */
		struct fetch *f = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&f);
		curl_multi_remove_handle(h->multi, easy);
		list_remove(&h->running, f);
		start_queued(h);
		h->dispatching++;
		deliver(f, rc);
		h->dispatching--;
		fetch_free(f);
		if (h->free_pending && h->dispatching == 0) {
			free_now(h);
			return;
		}
	}
	start_queued(h);
	if (h->free_pending && h->dispatching == 0)
		free_now(h);
}

/* ---- public API ---- */

int ma_https_new(const struct ma_https_opts *opts, struct ma_https **out, char **why)
{
	if (out == NULL)
		return MA_ERR_INVAL;
	*out = NULL;
	if (opts == NULL || opts->base == NULL) {
		set_why(why, "no event base");
		return MA_ERR_INVAL;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		set_why(why, "curl_global_init: %s", curl_easy_strerror(global_rc));
		return MA_ERR_IO;
	}
	struct ma_https *h = calloc(1, sizeof *h);
	if (h == NULL)
		return MA_ERR_NOMEM;
	h->base = opts->base;
	h->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	h->body_max = opts->body_max ? opts->body_max : MA_SCAN_HTTPS_BODY_MAX;
	h->port = opts->port ? opts->port : DEFAULT_PORT;
	h->max_parallel = opts->max_parallel ? opts->max_parallel : DEFAULT_PARALLEL;
	if (opts->ca_file != NULL && (h->ca_file = strdup(opts->ca_file)) == NULL)
		goto nomem;
	h->multi = curl_multi_init();
	h->share = curl_share_init();
	h->timer = evtimer_new(h->base, on_timer_event, h);
	if (h->multi == NULL || h->share == NULL || h->timer == NULL)
		goto nomem;
	/* TLS sessions are resumed across fetches to the same host (the multi handle already keeps connections);
	 * one loop, one thread, so the share needs no lock functions. */
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	/* Idle connections kept for reuse: at most one per slot, so a scan of thousands of policy hosts does not
	 * hold thousands of idle TLS connections (curl's default is four per handle ever added). */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->max_parallel);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	*out = h;
	return MA_OK;
nomem:
	set_why(why, "out of memory");
	if (h->timer)
		event_free(h->timer);
	if (h->share)
		curl_share_cleanup(h->share);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->ca_file);
	free(h);
	return MA_ERR_NOMEM;
}

/* A host name as it may appear in a URL's authority: LDH labels (A-labels for IDNs), '_' tolerated. Anything else
 * (':', '/', '@', '[', spaces) could change what the URL means, so it is refused rather than escaped. */
static bool host_ok(const char *host)
{
	size_t n = strlen(host);
	if (n == 0 || n > HOST_MAX || host[0] == '.' || host[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		          c == '.' || c == '_';
		if (!ok)
			return false;
	}
	return true;
}

/* RFC 3986 3.3 path (with query): visible ASCII only; '#' would start a fragment. */
static bool path_ok(const char *path)
{
	size_t n = strlen(path);
	if (n == 0 || path[0] != '/' || n > PATH_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c <= 0x20 || c >= 0x7f || c == '#')
			return false;
	}
	return true;
}

static unsigned low_speed_secs(unsigned timeout_ms)
{
	/* A transfer slower than LOW_SPEED_BYTES/s for half the deadline will not make it: end it then (a server
	 * trickling a byte a second would otherwise hold the slot to the last millisecond). At least 2 s so a slow
	 * but honest handshake is not cut. */
	unsigned s = timeout_ms / 2000;
	return s < 2 ? 2 : s;
}

int ma_https_get(struct ma_https *h, const char *host, const char *path, const char *const *addrs, size_t naddrs,
                 ma_https_cb cb, void *arg)
{
	if (h == NULL || cb == NULL || host == NULL || path == NULL || addrs == NULL || naddrs == 0)
		return MA_ERR_INVAL;
	if (h->closing || h->free_pending)
		return MA_ERR_STATE;
	if (!host_ok(host) || !path_ok(path) || naddrs > ADDRS_MAX)
		return MA_ERR_INVAL;

	struct fetch *f = calloc(1, sizeof *f);
	if (f == NULL)
		return MA_ERR_NOMEM;
	f->h = h;
	f->cb = cb;
	f->arg = arg;

	/* "host:port:a1,[v6],a2": curl tries the addresses in this order (both families, Happy Eyeballs between
	 * them, RFC 8305). Each is parsed and re-printed, so only a literal address reaches curl. */
	char resolve[HOST_MAX + 8 + ADDRS_MAX * (INET6_ADDRSTRLEN + 3)];
	size_t off = (size_t)snprintf(resolve, sizeof resolve, "%s:%u:", host, (unsigned)h->port);
	for (size_t i = 0; i < naddrs; i++) {
		char txt[INET6_ADDRSTRLEN];
		struct pinned *p = &f->pins[f->npins];
		if (addrs[i] != NULL && inet_pton(AF_INET, addrs[i], &p->a.v4) == 1) {
			p->family = AF_INET;
			inet_ntop(AF_INET, &p->a.v4, txt, sizeof txt);
			off += (size_t)snprintf(resolve + off, sizeof resolve - off, "%s%s", i ? "," : "", txt);
		} else if (addrs[i] != NULL && inet_pton(AF_INET6, addrs[i], &p->a.v6) == 1) {
			p->family = AF_INET6;
			inet_ntop(AF_INET6, &p->a.v6, txt, sizeof txt);
			off += (size_t)snprintf(resolve + off, sizeof resolve - off, "%s[%s]", i ? "," : "", txt);
		} else {
			free(f);
			return MA_ERR_INVAL;
		}
		f->npins++;
	}
	char url[HOST_MAX + PATH_MAX_LEN + 32];
	snprintf(url, sizeof url, "https://%s:%u%s", host, (unsigned)h->port, path);

	int rc = MA_ERR_NOMEM;
	f->easy = curl_easy_init();
	if (f->easy == NULL || (f->resolve = curl_slist_append(NULL, resolve)) == NULL)
		goto fail;
	CURL *e = f->easy;
	CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                                                  \
	do {                                                                                                           \
		if (c == CURLE_OK)                                                                                     \
			c = curl_easy_setopt(e, opt, val);                                                             \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_RESOLVE, f->resolve);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	SET(CURLOPT_OPENSOCKETDATA, f);
	SET(CURLOPT_PREREQFUNCTION, on_prereq);
	SET(CURLOPT_PREREQDATA, f);
	if (!reuse_ok(h, resolve))
		SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_PROXY, ""); /* never a proxy from https_proxy/ALL_PROXY: the pin is the point */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file != NULL)
		SET(CURLOPT_CAINFO, h->ca_file);
	SET(CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, (long)low_speed_secs(h->timeout_ms));
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->body_max);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
	SET(CURLOPT_PRIVATE, (void *)f);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_SHARE, h->share);
	/* Several fetches to one host at once: wait for the first connection and multiplex on it (HTTP/2) rather than
	 * open one connection each. */
	SET(CURLOPT_PIPEWAIT, 1L);
#undef SET
	if (c != CURLE_OK) {
		rc = c == CURLE_OUT_OF_MEMORY ? MA_ERR_NOMEM : MA_ERR_INVAL;
		goto fail;
	}

	if (h->running.n < h->max_parallel) {
		/* curl does no network work here: it sets a zero timer, and the transfer starts from the loop. */
		if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
			rc = MA_ERR_NOMEM;
			goto fail;
		}
		list_push(&h->running, f);
	} else {
		list_push(&h->queue, f);
	}
	h->fetches++;
	return MA_OK;
fail:
	fetch_free(f);
	return rc;
}

uint64_t ma_https_fetches(const struct ma_https *h)
{
	return h ? h->fetches : 0;
}

static void free_now(struct ma_https *h)
{
	h->closing = true;
	h->free_pending = false;
	/* Every pending callback runs once, queued ones too (the async contract). A callback may not start new
	 * fetches now (MA_ERR_STATE). */
	struct fetch *f;
	h->dispatching++; /* a callback calling ma_https_free again is a no-op */
	while ((f = h->running.head) != NULL) {
		list_remove(&h->running, f);
		curl_multi_remove_handle(h->multi, f->easy);
		deliver_status(f, MA_HTTPS_TIMEOUT, "cancelled");
		fetch_free(f);
	}
	while ((f = h->queue.head) != NULL) {
		list_remove(&h->queue, f);
		deliver_status(f, MA_HTTPS_TIMEOUT, "cancelled");
		fetch_free(f);
	}
	h->dispatching--;
	/* Closing cached connections may still call on_socket(REMOVE) and on_timer: both stay valid until here. */
	curl_multi_cleanup(h->multi);
	curl_share_cleanup(h->share);
	while (h->socks != NULL) {
		struct sock *s = h->socks;
		h->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	event_free(h->timer);
	free(h->seen);
	free(h->ca_file);
	free(h);
}

void ma_https_free(struct ma_https *h)
{
	if (h == NULL)
		return;
	if (h->dispatching > 0) {
		/* Called from one of our callbacks: finish once it has returned, in process_done. */
		h->free_pending = true;
		return;
	}
	free_now(h);
}
