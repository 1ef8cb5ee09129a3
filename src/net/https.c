/* src/net/https.c — bounded HTTPS GETs: libcurl's multi interface driven by the caller's libevent loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); the
 * loop's events call curl_multi_socket_action, and finished transfers are read with curl_multi_info_read. Nothing
 * blocks and nothing resolves names: every fetch is pinned to the addresses the validating resolver gave
 * (CURLOPT_RESOLVE), so an MTA-STS policy host can never be looked up through another resolver (RFC 8461 3.3 asks
 * for the policy host to be resolved like any other; we go further and keep DNSSEC's verdict meaningful).
 *
 * Caps (STYLE.md "untrusted bytes"): the body is capped in the write callback and by CURLOPT_MAXFILESIZE_LARGE;
 * the whole transfer, connection included, by CURLOPT_TIMEOUT_MS, so a server that trickles bytes ends in
 * MA_HTTPS_TIMEOUT; redirects are never followed (RFC 8461 3.3: "HTTP 3xx redirects MUST NOT be followed"); proxies
 * from the environment are ignored (the fetch must reach the pinned address itself). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <pthread.h>

#include "lib/err.h"
#include "net/https.h"

#define HTTPS_DEFAULT_TIMEOUT_MS 10000u
#define HTTPS_DEFAULT_PARALLEL 64u

struct fetch {
	struct ma_https *h;
	struct fetch *prev, *next; /* in h->active or h->queue */
	CURL *easy;
	struct curl_slist *resolve;
	ma_https_cb cb;
	void *arg;
	char *url;
	unsigned char *body;
	size_t len, cap;
	bool toobig;
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch_list {
	struct fetch *head, *tail;
	size_t n;
};

struct ma_https {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *ca_file;
	unsigned timeout_ms;
	size_t body_max;
	uint16_t port;
	unsigned max_parallel;
	struct fetch_list active, queue;
	uint64_t fetches;
	bool closing;
};

/* ---- Lists ------------------------------------------------------------------------------------------------ */

static void list_push(struct fetch_list *l, struct fetch *f)
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

static void list_remove(struct fetch_list *l, struct fetch *f)
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

static void fetch_free(struct fetch *f)
{
	if (f->easy)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->resolve);
	free(f->url);
	free(f->body);
	free(f);
}

/* ---- Completion ----------------------------------------------------------------------------------------- */

static enum ma_https_status map_error(const struct fetch *f, CURLcode rc)
{
	if (f->toobig || rc == CURLE_FILESIZE_EXCEEDED)
		return MA_HTTPS_TOOBIG;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return MA_HTTPS_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: return MA_HTTPS_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED: return MA_HTTPS_TLS;
	default: return MA_HTTPS_PROTOCOL;
	}
}

/* Hand the result to the caller and forget the fetch. Runs from the loop only. */
static void finish(struct ma_https *h, struct fetch *f, CURLcode rc)
{
	struct ma_https_result res = {0};
	char *ctype = NULL;
	if (rc == CURLE_OK && !f->toobig) {
		long code = 0;
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ctype);
		res.status = MA_HTTPS_OK;
		res.http_status = (int)code;
		res.content_type = ctype;
		res.body = (const char *)f->body;
		res.len = f->len;
	} else {
		res.status = map_error(f, rc);
		res.why = f->toobig      ? "the response body is larger than the cap"
		          : f->errbuf[0] ? f->errbuf
		                         : curl_easy_strerror(rc);
	}
	list_remove(&h->active, f);
	curl_multi_remove_handle(h->multi, f->easy);
	f->cb(f->arg, &res);
	fetch_free(f);
}

static int start(struct ma_https *h, struct fetch *f);

/* Start queued fetches while there is room. A fetch that cannot be started fails from the loop like any other. */
static void pump(struct ma_https *h)
{
	while (!h->closing && h->queue.head != NULL && h->active.n < h->max_parallel) {
		struct fetch *f = h->queue.head;
		list_remove(&h->queue, f);
		if (start(h, f) != MA_OK) {
			struct ma_https_result res = {.status = MA_HTTPS_CONNECT,
			                              .why = "could not start the transfer"};
			f->cb(f->arg, &res);
			fetch_free(f);
		}
	}
}

static void check_done(struct ma_https *h)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct fetch *f = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		CURLcode rc = m->data.result; /* m is invalid once the handle is removed */
		if (f != NULL)
			finish(h, f, rc);
	}
	pump(h);
}

/* ---- libevent <-> curl ---------------------------------------------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct ma_https *h = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ma_https *h = arg;
	int running;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	struct ma_https *h = userp;
	struct event *ev = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (ev) {
			event_free(ev);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	if (ev) {
		event_del(ev);
		event_assign(ev, h->base, s, kind, on_socket_event, h);
	} else {
		ev = event_new(h->base, s, kind, on_socket_event, h);
		if (ev == NULL)
			return -1;
		curl_multi_assign(h->multi, s, ev);
	}
	return event_add(ev, NULL) == 0 ? 0 : -1;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct ma_https *h = userp;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	return evtimer_add(h->timer, &tv) == 0 ? 0 : -1;
}

/* ---- Transfers ------------------------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	size_t n = size * nmemb;
	if (n > f->h->body_max - f->len) {
		f->toobig = true;
		return 0; /* CURLE_WRITE_ERROR: the transfer stops here */
	}
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		while (cap < f->len + n)
			cap *= 2;
		if (cap > f->h->body_max)
			cap = f->h->body_max;
		unsigned char *b = realloc(f->body, cap);
		if (b == NULL)
			return 0;
		f->body = b;
		f->cap = cap;
	}
	memcpy(f->body + f->len, data, n);
	f->len += n;
	return n;
}

#define SETOPT(opt, val)                                                                                               \
	do {                                                                                                           \
		if (curl_easy_setopt(f->easy, opt, val) != CURLE_OK)                                                   \
			return MA_ERR_UNSUPPORTED;                                                                     \
	} while (0)

static int start(struct ma_https *h, struct fetch *f)
{
	f->easy = curl_easy_init();
	if (f->easy == NULL)
		return MA_ERR_NOMEM;
	SETOPT(CURLOPT_URL, f->url);
	SETOPT(CURLOPT_RESOLVE, f->resolve);
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOPROXY, "*");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, h->ca_file);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->body_max);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, f);
	SETOPT(CURLOPT_ERRORBUFFER, f->errbuf);
	SETOPT(CURLOPT_PRIVATE, f);
	SETOPT(CURLOPT_USERAGENT, "mailassure (MTA-STS policy fetch)");
	/* One connection per fetch, closed after: policy hosts differ per domain, and a kept-alive pool of thousands
	 * of idle TLS connections would only cost memory. */
	SETOPT(CURLOPT_FORBID_REUSE, 1L);
	list_push(&h->active, f);
	if (curl_multi_add_handle(h->multi, f->easy) != CURLM_OK) {
		list_remove(&h->active, f);
		return MA_ERR_NOMEM;
	}
	return MA_OK;
}

static bool ip_literal_ok(const char *a)
{
	size_t n = strlen(a);
	if (n == 0 || n > 45)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
		      c == ':'))
			return false;
	}
	return true;
}

static bool host_ok(const char *host)
{
	size_t n = strlen(host);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool path_ok(const char *path)
{
	if (path[0] != '/' || strlen(path) > 1024)
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

int ma_https_get(struct ma_https *h, const char *host, const char *path, const char *const *addrs, size_t naddrs,
                 ma_https_cb cb, void *arg)
{
	if (h == NULL || host == NULL || path == NULL || addrs == NULL || naddrs == 0 || cb == NULL)
		return MA_ERR_INVAL;
	if (h->closing)
		return MA_ERR_STATE;
	if (!host_ok(host) || !path_ok(path))
		return MA_ERR_INVAL;
	struct fetch *f = calloc(1, sizeof *f);
	if (f == NULL)
		return MA_ERR_NOMEM;
	f->h = h;
	f->cb = cb;
	f->arg = arg;
	size_t ulen = strlen(host) + strlen(path) + 32;
	f->url = malloc(ulen);
	/* "HOST:PORT:ADDR[,ADDR]..." with IPv6 literals in brackets (curl 7.59+ takes several addresses). */
	size_t rlen = strlen(host) + 16 + naddrs * 50;
	char *entry = malloc(rlen);
	if (f->url == NULL || entry == NULL) {
		free(entry);
		fetch_free(f);
		return MA_ERR_NOMEM;
	}
	snprintf(f->url, ulen, "https://%s:%u%s", host, (unsigned)h->port, path);
	size_t off = (size_t)snprintf(entry, rlen, "%s:%u:", host, (unsigned)h->port);
	for (size_t i = 0; i < naddrs; i++) {
		if (!ip_literal_ok(addrs[i])) {
			free(entry);
			fetch_free(f);
			return MA_ERR_INVAL;
		}
		bool v6 = strchr(addrs[i], ':') != NULL;
		off += (size_t)snprintf(entry + off, rlen - off, "%s%s%s%s", i ? "," : "", v6 ? "[" : "", addrs[i],
		                        v6 ? "]" : "");
	}
	f->resolve = curl_slist_append(NULL, entry);
	free(entry);
	if (f->resolve == NULL) {
		fetch_free(f);
		return MA_ERR_NOMEM;
	}
	/* Always queued and started from the loop, so the callback can never run inside this call. */
	list_push(&h->queue, f);
	h->fetches++;
	struct timeval now = {0, 0};
	evtimer_add(h->timer, &now); /* a zero timer: on_timer pumps the queue */
	return MA_OK;
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	on_timer(fd, what, arg);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ma_https_new(const struct ma_https_opts *opts, struct ma_https **out, char **why)
{
	*out = NULL;
	if (why)
		*why = NULL;
	if (opts == NULL || opts->base == NULL)
		return MA_ERR_INVAL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		if (why)
			*why = strdup("libcurl could not be initialised");
		return MA_ERR_UNSUPPORTED;
	}
	struct ma_https *h = calloc(1, sizeof *h);
	if (h == NULL)
		return MA_ERR_NOMEM;
	h->base = opts->base;
	h->timeout_ms = opts->timeout_ms ? opts->timeout_ms : HTTPS_DEFAULT_TIMEOUT_MS;
	h->body_max = opts->body_max ? opts->body_max : MA_SCAN_HTTPS_BODY_MAX;
	h->port = opts->port ? opts->port : 443;
	h->max_parallel = opts->max_parallel ? opts->max_parallel : HTTPS_DEFAULT_PARALLEL;
	h->ca_file = opts->ca_file ? strdup(opts->ca_file) : NULL;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(h->base, on_kick, h);
	if (h->multi == NULL || h->timer == NULL || (opts->ca_file && h->ca_file == NULL)) {
		ma_https_free(h);
		return MA_ERR_NOMEM;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	*out = h;
	return MA_OK;
}

void ma_https_free(struct ma_https *h)
{
	if (h == NULL)
		return;
	h->closing = true;
	struct ma_https_result cancelled = {.status = MA_HTTPS_TIMEOUT, .why = "cancelled"};
	struct fetch *f;
	while ((f = h->active.head) != NULL) {
		list_remove(&h->active, f);
		curl_multi_remove_handle(h->multi, f->easy);
		f->cb(f->arg, &cancelled);
		fetch_free(f);
	}
	while ((f = h->queue.head) != NULL) {
		list_remove(&h->queue, f);
		f->cb(f->arg, &cancelled);
		fetch_free(f);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->timer)
		event_free(h->timer);
	free(h->ca_file);
	free(h);
}

uint64_t ma_https_fetches(const struct ma_https *h)
{
	return h ? h->fetches : 0;
}
