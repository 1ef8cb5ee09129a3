/* src/lib/spf_eval.c — check_host() (RFC 7208 4-6) as a sans-I/O step function.
 *
 * The evaluator keeps an explicit stack of frames, one per record being evaluated (the sender's, then each
 * include or redirect target). Each DNS-querying term costs one of the 10 lookups (4.6.4) and every push costs one,
 * so the stack is at most MA_SPF_LOOKUP_LIMIT + 1 deep and the whole evaluation asks a bounded number of questions:
 * loops end at the lookup limit. %{p} (the validated client name) is resolved once, on first use, and cached. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/spf.h"

#define DEPTH_MAX (MA_SPF_LOOKUP_LIMIT + 2)
#define SENDER_MAX 2048
#define EXPAND_MAX 8192 /* expansion scratch; longer expansions are errors */
#define NAME_SZ (MA_DNS_NAME_MAX + 1)

enum frame_state { FR_RECORD, FR_TERMS, FR_CHILD, FR_REDIRECT };

enum wait {
	W_NONE,
	W_TXT,      /* the frame's record */
	W_A,        /* a mechanism */
	W_MX,       /* mx mechanism: the MX RRset */
	W_MXADDR,   /* mx mechanism: addresses of one exchange */
	W_PTR,      /* ptr mechanism: PTR of the client */
	W_PTRADDR,  /* ptr mechanism: addresses of one name */
	W_EXISTS,
	W_P_PTR,    /* %{p}: PTR of the client */
	W_P_ADDR,   /* %{p}: addresses of one name */
	W_EXP,      /* exp= text */
};

struct frame {
	char domain[NAME_SZ];
	struct ma_spf_record rec;
	enum frame_state state;
	bool via_include;
	unsigned include_depth; /* includes between the root and this frame (exp is used only at 0, 6.2) */
	size_t ti;
	char target[NAME_SZ];
	char names[MA_SPF_NAME_LIMIT][NAME_SZ];
	size_t nnames, ni;
};

struct ma_spf_eval {
	/* inputs */
	uint8_t ip[16];
	bool ipv6;
	char sender[SENDER_MAX];
	char helo[NAME_SZ];
	bool have_helo;
	char receiver[NAME_SZ];
	bool have_receiver;
	int64_t now;
	unsigned void_limit;
	char domain[NAME_SZ];

	struct frame *stack;
	size_t depth;

	enum wait wait;
	struct ma_dns_question q;

	/* %{p} */
	int p_state; /* 0 not started, 1 in progress, 2 done */
	char pnames[MA_SPF_NAME_LIMIT][NAME_SZ];
	bool pvalid[MA_SPF_NAME_LIMIT];
	size_t npnames, pi;

	/* exp= on fail (6.2) */
	int exp_state; /* 0 none, 1 pending lookup, 2 text fetched, waiting to expand, 3 done */
	char exp_spec[NAME_SZ * 2];
	char exp_domain[NAME_SZ];
	char *exp_text;
	char *explanation;

	bool done;
	enum ma_spf_result result;
	char reason[512];
	unsigned lookups, voids, queries;
	char scratch[EXPAND_MAX];
};

/* ---- helpers ----------------------------------------------------------------------------------------------- */

static bool parse_ip(const char *s, uint8_t out[16], bool *v6)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*v6 = false;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		return false;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(out, mapped, 12) == 0) {
		/* IPv4-mapped IPv6 (RFC 4291 2.5.5.2) is the IPv4 client it stands for. */
		memmove(out, out + 12, 4);
		*v6 = false;
	} else {
		*v6 = true;
	}
	return true;
}

/* RFC 7208 4.3: a domain we can check is a valid name of at least two labels (not a literal, not a bare host). */
static bool domain_checkable(const char *d)
{
	size_t n = strlen(d);
	if (n == 0 || !ma_dns_name_is_valid(d, n))
		return false;
	const char *dot = memchr(d, '.', n);
	return dot != NULL && (size_t)(dot - d) + 1 < n;
}

static bool name_ends_with(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);
	while (n > 0 && name[n - 1] == '.')
		n--;
	while (d > 0 && dom[d - 1] == '.')
		d--;
	if (d > n)
		return false;
	if (strncasecmp(name + n - d, dom, d) != 0)
		return false;
	return n == d || name[n - d - 1] == '.';
}

/* Decoded names escape every byte outside LDH as \DDD; turn printable ones back into themselves so names compare
 * and print as the records wrote them ("foo:bar/baz.example.com"). '.', '\\', space and non-printables stay escaped. */
static void unescape_printable(char *name)
{
	char *o = name;
	for (const char *p = name; *p;) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' && p[3] >= '0' &&
		    p[3] <= '9') {
			int v = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
			if (v > 0x20 && v < 0x7f && v != '.' && v != '\\') {
				*o++ = (char)v;
				p += 4;
				continue;
			}
			memmove(o, p, 4);
			o += 4;
			p += 4;
			continue;
		}
		if (p[0] == '\\' && p[1] != '\0') {
			*o++ = *p++;
		}
		*o++ = *p++;
	}
	*o = '\0';
}

static struct frame *top(struct ma_spf_eval *ev)
{
	return &ev->stack[ev->depth - 1];
}

static void finish(struct ma_spf_eval *ev, enum ma_spf_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* End the whole evaluation. */
static void finish(struct ma_spf_eval *ev, enum ma_spf_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev->reason, sizeof ev->reason, fmt, ap);
	va_end(ap);
	ev->result = r;
	while (ev->depth > 0)
		ma_spf_record_fini(&ev->stack[--ev->depth].rec);
	ev->done = true;
}

static void ask(struct ma_spf_eval *ev, enum wait w, const char *name, uint16_t type)
{
	snprintf(ev->q.name, sizeof ev->q.name, "%s", name);
	ev->q.type = type;
	ev->wait = w;
	ev->queries++;
}

static uint16_t addr_type(const struct ma_spf_eval *ev)
{
	return ev->ipv6 ? MA_DNS_T_AAAA : MA_DNS_T_A;
}

/* Expand a domain-spec for the frame; the choice of %{p} depends on the frame's domain (7.3). */
static const char *pick_pname(const struct ma_spf_eval *ev, const char *domain)
{
	const char *any = NULL, *sub = NULL;
	for (size_t i = 0; i < ev->npnames; i++) {
		if (!ev->pvalid[i])
			continue;
		if (ma_dns_name_eq(ev->pnames[i], domain))
			return ev->pnames[i];
		if (sub == NULL && name_ends_with(ev->pnames[i], domain))
			sub = ev->pnames[i];
		if (any == NULL)
			any = ev->pnames[i];
	}
	return sub ? sub : any;
}

static int expand(struct ma_spf_eval *ev, const char *spec, const char *domain, bool exp, char *out, size_t outsz)
{
	struct ma_spf_macro_ctx c = {
		.sender = ev->sender,
		.domain = domain,
		.ip = ev->ip,
		.ipv6 = ev->ipv6,
		.helo = ev->have_helo ? ev->helo : NULL,
		.pname = pick_pname(ev, domain),
		.receiver = ev->have_receiver ? ev->receiver : NULL,
		.now = ev->now,
	};
	int rc = ma_spf_macro_expand(spec, &c, exp, !exp, ev->scratch, sizeof ev->scratch);
	if (rc != MA_OK)
		return rc;
	if (strlen(ev->scratch) >= outsz)
		return MA_ERR_TOOBIG;
	memcpy(out, ev->scratch, strlen(ev->scratch) + 1);
	return MA_OK;
}

/* True (and starts resolving) when the string needs %{p} and it is not known yet. */
static bool need_p(struct ma_spf_eval *ev, const char *s)
{
	if (ev->p_state == 2 || s == NULL || !ma_spf_macro_uses_p(s))
		return false;
	if (ev->p_state == 0) {
		char rev[NAME_SZ];
		ma_spf_reverse_name(ev->ip, ev->ipv6, rev, sizeof rev);
		ev->p_state = 1;
		ask(ev, W_P_PTR, rev, MA_DNS_T_PTR);
	}
	return true;
}

static bool count_lookup(struct ma_spf_eval *ev, const char *term)
{
	/* RFC 7208 4.6.4: more than 10 DNS-querying terms is a permerror. */
	if (++ev->lookups > MA_SPF_LOOKUP_LIMIT) {
		finish(ev, MA_SPF_PERMERROR, "more than %d DNS-querying terms (at '%s')", MA_SPF_LOOKUP_LIMIT, term);
		return false;
	}
	return true;
}

static bool count_void(struct ma_spf_eval *ev, const char *term)
{
	if (++ev->voids > ev->void_limit) {
		finish(ev, MA_SPF_PERMERROR, "more than %u void lookups (at '%s')", ev->void_limit, term);
		return false;
	}
	return true;
}

static bool push(struct ma_spf_eval *ev, const char *domain, bool via_include)
{
	if (ev->depth == DEPTH_MAX) {
		finish(ev, MA_SPF_PERMERROR, "nesting too deep");
		return false;
	}
	unsigned idepth = ev->depth ? top(ev)->include_depth : 0;
	struct frame *f = &ev->stack[ev->depth++];
	memset(f, 0, sizeof *f);
	ma_spf_record_init(&f->rec);
	snprintf(f->domain, sizeof f->domain, "%s", domain);
	f->state = FR_RECORD;
	f->via_include = via_include;
	f->include_depth = idepth + (via_include ? 1 : 0);
	return true;
}

static void frame_result(struct ma_spf_eval *ev, enum ma_spf_result r, const char *why);

static enum ma_spf_result qual_result(enum ma_spf_qual q)
{
	switch (q) {
	case MA_SPF_Q_FAIL: return MA_SPF_FAIL;
	case MA_SPF_Q_SOFTFAIL: return MA_SPF_SOFTFAIL;
	case MA_SPF_Q_NEUTRAL: return MA_SPF_NEUTRAL;
	default: return MA_SPF_PASS;
	}
}

/* The current term matched. */
static void matched(struct ma_spf_eval *ev)
{
	struct frame *f = top(ev);
	const struct ma_spf_term *t = &f->rec.terms[f->ti];
	enum ma_spf_result r = qual_result(t->qual);
	if (r == MA_SPF_FAIL && f->rec.exp >= 0 && f->include_depth == 0) {
		/* 6.2: the explanation of the record that failed, never an included one's */
		snprintf(ev->exp_spec, sizeof ev->exp_spec, "%s", f->rec.terms[f->rec.exp].spec);
		snprintf(ev->exp_domain, sizeof ev->exp_domain, "%s", f->domain);
		ev->exp_state = 1;
	}
	char why[600];
	snprintf(why, sizeof why, "matched '%.200s' in %.300s", t->text, f->domain);
	frame_result(ev, r, why);
}

static void next_term(struct ma_spf_eval *ev)
{
	struct frame *f = top(ev);
	f->ti++;
	f->state = FR_TERMS;
}

/* A frame is done: hand its result to the parent (include/redirect semantics) or end the evaluation. */
static void frame_result(struct ma_spf_eval *ev, enum ma_spf_result r, const char *why)
{
	struct frame *f = top(ev);
	bool via_include = f->via_include;
	char dom[NAME_SZ];
	snprintf(dom, sizeof dom, "%s", f->domain);
	if (ev->depth == 1) {
		ma_spf_record_fini(&f->rec);
		ev->depth = 0;
		ev->result = r;
		snprintf(ev->reason, sizeof ev->reason, "%s", why);
		if (r != MA_SPF_FAIL)
			ev->exp_state = 0;
		if (ev->exp_state == 0)
			ev->done = true;
		return;
	}
	ma_spf_record_fini(&f->rec);
	ev->depth--;
	struct frame *p = top(ev);
	if (via_include) {
		/* RFC 7208 5.2 table */
		switch (r) {
		case MA_SPF_PASS:
			matched(ev);
			return;
		case MA_SPF_FAIL:
		case MA_SPF_SOFTFAIL:
		case MA_SPF_NEUTRAL:
			ev->exp_state = 0; /* an included record's fail never explains (6.2) */
			next_term(ev);
			return;
		case MA_SPF_NONE:
			finish(ev, MA_SPF_PERMERROR, "include:%.300s has no SPF record", dom);
			return;
		default:
			finish(ev, r, "%.400s (in include:%.80s)", why, dom);
			return;
		}
	}
	/* redirect (6.1): the target's result is this record's, except none which is a permerror */
	(void)p;
	if (r == MA_SPF_NONE) {
		finish(ev, MA_SPF_PERMERROR, "redirect=%.300s has no SPF record", dom);
		return;
	}
	frame_result(ev, r, why);
}

/* ---- one step of the top frame ----------------------------------------------------------------------------- */

static void eval_term(struct ma_spf_eval *ev)
{
	struct frame *f = top(ev);
	if (f->ti >= f->rec.nterms) {
		/* No mechanism matched (4.7): redirect, else neutral. */
		if (f->rec.redirect < 0) {
			frame_result(ev, MA_SPF_NEUTRAL, "no mechanism matched");
			return;
		}
		const struct ma_spf_term *t = &f->rec.terms[f->rec.redirect];
		if (need_p(ev, t->spec))
			return;
		if (!count_lookup(ev, t->text))
			return;
		char target[NAME_SZ];
		if (expand(ev, t->spec, f->domain, false, target, sizeof target) != MA_OK) {
			finish(ev, MA_SPF_PERMERROR, "cannot expand '%.300s'", t->text);
			return;
		}
		if (!domain_checkable(target)) {
			/* 4.8/6.1: a target that is not a domain has no record: none -> permerror */
			finish(ev, MA_SPF_PERMERROR, "redirect to an invalid domain '%.300s'", target);
			return;
		}
		f->state = FR_CHILD;
		push(ev, target, false);
		return;
	}
	const struct ma_spf_term *t = &f->rec.terms[f->ti];
	switch (t->kind) {
	case MA_SPF_ALL:
		matched(ev);
		return;
	case MA_SPF_IP4:
	case MA_SPF_IP6: {
		bool v6 = t->kind == MA_SPF_IP6;
		if (v6 == ev->ipv6 && ma_spf_cidr_match(ev->ip, t->addr, v6, v6 ? t->cidr6 : t->cidr4))
			matched(ev);
		else
			next_term(ev);
		return;
	}
	case MA_SPF_REDIRECT:
	case MA_SPF_EXP:
	case MA_SPF_UNKNOWN:
		next_term(ev);
		return;
	default:
		break;
	}
	/* include, a, mx, ptr, exists: DNS-querying terms */
	if (need_p(ev, t->spec))
		return;
	if (!count_lookup(ev, t->text))
		return;
	if (t->spec != NULL) {
		if (expand(ev, t->spec, f->domain, false, f->target, sizeof f->target) != MA_OK) {
			finish(ev, MA_SPF_PERMERROR, "cannot expand '%.300s'", t->text);
			return;
		}
	} else {
		snprintf(f->target, sizeof f->target, "%s", f->domain);
	}
	bool valid = f->target[0] != '\0' && ma_dns_name_is_valid(f->target, strlen(f->target));
	switch (t->kind) {
	case MA_SPF_INCLUDE:
		if (!domain_checkable(f->target)) {
			finish(ev, MA_SPF_PERMERROR, "include of an invalid domain '%.300s'", f->target);
			return;
		}
		f->state = FR_CHILD;
		push(ev, f->target, true);
		return;
	case MA_SPF_A:
		if (!valid)
			break;
		ask(ev, W_A, f->target, addr_type(ev));
		return;
	case MA_SPF_MX:
		if (!valid)
			break;
		ask(ev, W_MX, f->target, MA_DNS_T_MX);
		return;
	case MA_SPF_EXISTS:
		if (!valid)
			break;
		ask(ev, W_EXISTS, f->target, MA_DNS_T_A); /* 5.7: always A, whatever the client's family */
		return;
	case MA_SPF_PTR: {
		char rev[NAME_SZ];
		ma_spf_reverse_name(ev->ip, ev->ipv6, rev, sizeof rev);
		ask(ev, W_PTR, rev, MA_DNS_T_PTR);
		return;
	}
	default:
		break;
	}
	/* A name that cannot exist (empty or over-long label after expansion): no such domain, a void lookup. */
	if (count_void(ev, t->text))
		next_term(ev);
}

static void eval_exp(struct ma_spf_eval *ev)
{
	if (ev->exp_state == 1) {
		if (need_p(ev, ev->exp_spec))
			return;
		char target[NAME_SZ];
		if (expand(ev, ev->exp_spec, ev->exp_domain, false, target, sizeof target) != MA_OK ||
		    !ma_dns_name_is_valid(target, strlen(target)) || target[0] == '\0') {
			ev->exp_state = 3; /* 6.2: any failure to build the explanation is ignored */
			return;
		}
		ask(ev, W_EXP, target, MA_DNS_T_TXT);
		return;
	}
	if (ev->exp_state == 2) {
		if (need_p(ev, ev->exp_text))
			return;
		char *buf = malloc(EXPAND_MAX);
		if (buf != NULL && expand(ev, ev->exp_text, ev->exp_domain, true, buf, EXPAND_MAX) == MA_OK)
			ev->explanation = buf;
		else
			free(buf);
		ev->exp_state = 3;
		return;
	}
	ev->done = true;
}

static void run(struct ma_spf_eval *ev)
{
	while (!ev->done && ev->wait == W_NONE) {
		if (ev->depth == 0) {
			eval_exp(ev);
			continue;
		}
		struct frame *f = top(ev);
		switch (f->state) {
		case FR_RECORD:
			ask(ev, W_TXT, f->domain, MA_DNS_T_TXT);
			break;
		case FR_TERMS:
			eval_term(ev);
			break;
		default:
			/* FR_CHILD / FR_REDIRECT frames are resumed by frame_result() */
			finish(ev, MA_SPF_PERMERROR, "internal state");
			break;
		}
	}
}

/* ---- answers ----------------------------------------------------------------------------------------------- */

static bool is_temp(enum ma_dns_status s)
{
	return s == MA_DNS_SERVFAIL || s == MA_DNS_TIMEOUT || s == MA_DNS_BOGUS || s == MA_DNS_MALFORMED;
}

static bool is_void(const struct ma_dns_answer *a)
{
	return a->status == MA_DNS_NXDOMAIN || a->status == MA_DNS_NODATA ||
	       (a->status == MA_DNS_ANSWER && a->count == 0);
}

static bool answer_has_ip(const struct ma_spf_eval *ev, const struct ma_dns_answer *a, int c4, int c6)
{
	if (a->status != MA_DNS_ANSWER)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		uint8_t addr[16];
		if (ev->ipv6) {
			if (ma_dns_rdata_aaaa(&a->rr[i], addr) == MA_OK && ma_spf_cidr_match(ev->ip, addr, true, c6))
				return true;
		} else if (ma_dns_rdata_a(&a->rr[i], addr) == MA_OK && ma_spf_cidr_match(ev->ip, addr, false, c4)) {
			return true;
		}
	}
	return false;
}

static void on_txt(struct ma_spf_eval *ev, const struct ma_dns_answer *a)
{
	struct frame *f = top(ev);
	if (is_temp(a->status)) {
		/* a timeout is never "no record" (STYLE.md): temperror, propagated through includes */
		frame_result(ev, MA_SPF_TEMPERROR, "DNS failure looking up the SPF record");
		return;
	}
	if (a->status != MA_DNS_ANSWER) {
		frame_result(ev, MA_SPF_NONE, "no SPF record");
		return;
	}
	/* 4.5: keep the records that start with v=spf1; exactly one may remain. */
	char *found = NULL;
	size_t foundlen = 0, n = 0;
	for (size_t i = 0; i < a->count && i < MA_SPF_RR_MAX; i++) {
		char *txt;
		size_t len;
		if (ma_dns_txt_join(&a->rr[i], &txt, &len) != MA_OK)
			continue;
		if (ma_spf_is_record(txt, len) && n++ == 0) {
			found = txt;
			foundlen = len;
		} else {
			free(txt);
		}
	}
	if (n == 0) {
		frame_result(ev, MA_SPF_NONE, "no SPF record");
		return;
	}
	if (n > 1) {
		free(found);
		frame_result(ev, MA_SPF_PERMERROR, "more than one SPF record");
		return;
	}
	int rc = ma_spf_parse(found, foundlen, &f->rec);
	free(found);
	if (rc != MA_OK) {
		finish(ev, MA_SPF_TEMPERROR, "out of memory");
		return;
	}
	if (!f->rec.valid) {
		char why[400];
		snprintf(why, sizeof why, "syntax error in %.100s: %.250s", f->domain, f->rec.error);
		frame_result(ev, MA_SPF_PERMERROR, why);
		return;
	}
	f->state = FR_TERMS;
	f->ti = 0;
}

static void on_mx(struct ma_spf_eval *ev, const struct ma_dns_answer *a)
{
	struct frame *f = top(ev);
	const struct ma_spf_term *t = &f->rec.terms[f->ti];
	f->nnames = f->ni = 0;
	for (size_t i = 0; a->status == MA_DNS_ANSWER && i < a->count; i++) {
		uint16_t pref;
		char name[NAME_SZ];
		if (ma_dns_rdata_mx(&a->rr[i], &pref, name, sizeof name) != MA_OK)
			continue;
		unescape_printable(name);
		if (f->nnames == MA_SPF_NAME_LIMIT) {
			/* 4.6.4: more than 10 MX names is a permerror */
			finish(ev, MA_SPF_PERMERROR, "more than %d MX names at '%s'", MA_SPF_NAME_LIMIT, t->text);
			return;
		}
		if (strcmp(name, ".") == 0 || name[0] == '\0')
			continue; /* null MX (RFC 7505) has no addresses */
		snprintf(f->names[f->nnames++], NAME_SZ, "%s", name);
	}
	if (f->nnames == 0) {
		next_term(ev);
		return;
	}
	ask(ev, W_MXADDR, f->names[0], addr_type(ev));
}

static void on_ptr(struct ma_spf_eval *ev, const struct ma_dns_answer *a, bool for_p)
{
	size_t n = 0;
	struct frame *f = for_p ? NULL : top(ev);
	for (size_t i = 0; a->status == MA_DNS_ANSWER && i < a->count && n < MA_SPF_NAME_LIMIT; i++) {
		/* 4.6.4 / 5.5: only the first 10 names are considered */
		char name[NAME_SZ];
		if (ma_dns_rdata_name(&a->rr[i], name, sizeof name) != MA_OK)
			continue;
		unescape_printable(name);
		n++;
		if (for_p) {
			snprintf(ev->pnames[ev->npnames], NAME_SZ, "%s", name);
			ev->pvalid[ev->npnames++] = false;
		} else if (name_ends_with(name, f->target)) {
			/* only names in the target domain could match: others need no validation */
			snprintf(f->names[f->nnames++], NAME_SZ, "%s", name);
		}
	}
	if (for_p) {
		ev->pi = 0;
		if (ev->npnames == 0)
			ev->p_state = 2;
		else
			ask(ev, W_P_ADDR, ev->pnames[0], addr_type(ev));
		return;
	}
	if (f->nnames == 0) {
		next_term(ev);
		return;
	}
	ask(ev, W_PTRADDR, f->names[0], addr_type(ev));
}

int ma_spf_eval_answer(struct ma_spf_eval *ev, const struct ma_dns_answer *a)
{
	if (ev == NULL || a == NULL)
		return MA_ERR_INVAL;
	if (ev->wait == W_NONE || ev->done)
		return MA_ERR_STATE;
	enum wait w = ev->wait;
	ev->wait = W_NONE;
	struct frame *f = ev->depth ? top(ev) : NULL;
	const struct ma_spf_term *t = (f && f->state == FR_TERMS && f->ti < f->rec.nterms) ? &f->rec.terms[f->ti]
											    : NULL;
	switch (w) {
	case W_TXT:
		on_txt(ev, a);
		break;
	case W_A:
	case W_EXISTS:
	case W_MX:
		if (is_temp(a->status)) {
			finish(ev, MA_SPF_TEMPERROR, "DNS failure for %.300s at '%.150s'", ev->q.name, t->text);
			break;
		}
		if (is_void(a)) {
			if (count_void(ev, t->text))
				next_term(ev);
			break;
		}
		if (w == W_MX)
			on_mx(ev, a);
		else if (w == W_EXISTS ? a->count > 0 : answer_has_ip(ev, a, t->cidr4, t->cidr6))
			matched(ev);
		else
			next_term(ev);
		break;
	case W_MXADDR:
		if (is_temp(a->status)) {
			finish(ev, MA_SPF_TEMPERROR, "DNS failure for %.300s at '%.150s'", ev->q.name, t->text);
			break;
		}
		if (answer_has_ip(ev, a, t->cidr4, t->cidr6)) {
			matched(ev);
		} else if (++f->ni < f->nnames) {
			ask(ev, W_MXADDR, f->names[f->ni], addr_type(ev));
		} else {
			next_term(ev);
		}
		break;
	case W_PTR:
		/* 5.5: a DNS error on the PTR lookup means no match; no names is a void lookup */
		if (is_temp(a->status)) {
			next_term(ev);
		} else if (is_void(a)) {
			if (count_void(ev, t->text))
				next_term(ev);
		} else {
			on_ptr(ev, a, false);
		}
		break;
	case W_PTRADDR:
		/* 5.5: an error on an address lookup skips that name */
		if (answer_has_ip(ev, a, -1, -1)) {
			matched(ev);
		} else if (++f->ni < f->nnames) {
			ask(ev, W_PTRADDR, f->names[f->ni], addr_type(ev));
		} else {
			next_term(ev);
		}
		break;
	case W_P_PTR:
		if (a->status != MA_DNS_ANSWER)
			ev->p_state = 2; /* %{p} becomes "unknown" */
		else
			on_ptr(ev, a, true);
		break;
	case W_P_ADDR:
		if (answer_has_ip(ev, a, -1, -1))
			ev->pvalid[ev->pi] = true;
		if (++ev->pi < ev->npnames)
			ask(ev, W_P_ADDR, ev->pnames[ev->pi], addr_type(ev));
		else
			ev->p_state = 2;
		break;
	case W_EXP:
		/* 6.2: exactly one TXT record, else no explanation */
		ev->exp_state = 3;
		if (a->status == MA_DNS_ANSWER && a->count == 1) {
			char *txt;
			size_t len;
			if (ma_dns_txt_join(&a->rr[0], &txt, &len) == MA_OK) {
				if (strlen(txt) == len && ma_spf_macro_valid(txt, len, true)) {
					ev->exp_text = txt;
					ev->exp_state = 2;
				} else {
					free(txt);
				}
			}
		}
		break;
	default:
		return MA_ERR_STATE;
	}
	return MA_OK;
}

/* ---- public ------------------------------------------------------------------------------------------------ */

int ma_spf_eval_new(const struct ma_spf_eval_opts *o, struct ma_spf_eval **out)
{
	*out = NULL;
	if (o == NULL || o->ip == NULL)
		return MA_ERR_INVAL;
	struct ma_spf_eval *ev = calloc(1, sizeof *ev);
	if (ev == NULL)
		return MA_ERR_NOMEM;
	ev->stack = calloc(DEPTH_MAX, sizeof *ev->stack);
	if (ev->stack == NULL) {
		free(ev);
		return MA_ERR_NOMEM;
	}
	if (!parse_ip(o->ip, ev->ip, &ev->ipv6))
		goto inval;
	const char *sender = o->sender ? o->sender : "";
	if (o->helo != NULL) {
		if (strlen(o->helo) >= sizeof ev->helo)
			goto inval;
		snprintf(ev->helo, sizeof ev->helo, "%s", o->helo);
		ev->have_helo = true;
	}
	if (o->receiver != NULL && strlen(o->receiver) < sizeof ev->receiver) {
		snprintf(ev->receiver, sizeof ev->receiver, "%s", o->receiver);
		ev->have_receiver = true;
	}
	if (strlen(sender) >= SENDER_MAX - 16)
		goto inval;
	/* 2.4: a null reverse-path checks the HELO identity as postmaster@helo; 4.3: no local-part is
	 * "postmaster". */
	const char *at = strrchr(sender, '@');
	if (sender[0] == '\0') {
		if (!ev->have_helo)
			goto inval;
		snprintf(ev->sender, sizeof ev->sender, "postmaster@%s", ev->helo);
	} else if (at == NULL) {
		snprintf(ev->sender, sizeof ev->sender, "postmaster@%s", sender);
	} else if (at == sender) {
		snprintf(ev->sender, sizeof ev->sender, "postmaster%s", sender);
	} else {
		snprintf(ev->sender, sizeof ev->sender, "%s", sender);
	}
	snprintf(ev->domain, sizeof ev->domain, "%s", strrchr(ev->sender, '@') + 1);
	ev->now = o->now;
	ev->void_limit = o->void_limit ? o->void_limit : MA_SPF_VOID_LIMIT;
	*out = ev;
	/* 4.3: a domain that is not a valid multi-label name gives "none" without any query. */
	if (!domain_checkable(ev->domain)) {
		finish(ev, MA_SPF_NONE, "'%.300s' is not a valid domain", ev->domain);
		return MA_OK;
	}
	push(ev, ev->domain, false);
	return MA_OK;
inval:
	free(ev->stack);
	free(ev);
	return MA_ERR_INVAL;
}

void ma_spf_eval_free(struct ma_spf_eval *ev)
{
	if (ev == NULL)
		return;
	while (ev->depth > 0)
		ma_spf_record_fini(&ev->stack[--ev->depth].rec);
	free(ev->stack);
	free(ev->exp_text);
	free(ev->explanation);
	free(ev);
}

int ma_spf_eval_step(struct ma_spf_eval *ev, struct ma_dns_question *q)
{
	if (ev == NULL || q == NULL)
		return MA_ERR_INVAL;
	run(ev);
	if (ev->done)
		return MA_SPF_DONE;
	*q = ev->q;
	return MA_SPF_NEED_DNS;
}

int ma_spf_eval_outcome(const struct ma_spf_eval *ev, struct ma_spf_outcome *out)
{
	if (ev == NULL || out == NULL)
		return MA_ERR_INVAL;
	if (!ev->done)
		return MA_ERR_STATE;
	out->result = ev->result;
	out->explanation = ev->result == MA_SPF_FAIL ? ev->explanation : NULL;
	out->reason = ev->reason;
	out->domain = ev->domain;
	out->lookups = ev->lookups > MA_SPF_LOOKUP_LIMIT ? MA_SPF_LOOKUP_LIMIT + 1 : ev->lookups;
	out->void_lookups = ev->voids;
	out->queries = ev->queries;
	return MA_OK;
}
