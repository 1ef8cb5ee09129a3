/* src/lib/spf_tree.c — the expanded SPF tree of a domain, without a client IP: every include and redirect walked,
 * the DNS lookups each term costs against RFC 7208 4.6.4's limits, loops, missing or broken targets, temporary
 * failures (inconclusive, never "missing"), and the IP ranges the policy flattens to. A sans-I/O step function like
 * the evaluator; the domain scanner drives it.
 *
 * Only terms a receiver can reach are walked: those before the first 'all', and redirect only when there is no
 * 'all' (RFC 7208 4.6.2, 6.1). Every walk is bounded: MAX_NODES records, MAX_DEPTH nesting, MAX_QUESTIONS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/lint.h"
#include "lib/spf.h"

#define MAX_DEPTH 12
#define MAX_NODES 64
#define MAX_QUESTIONS 1000
#define MAX_RANGES 4096
#define NAME_SZ (MA_DNS_NAME_MAX + 1)

enum phase { P_TXT, P_TERMS, P_A4, P_A6, P_MX, P_MXA4, P_MXA6, P_EXISTS, P_CHILD };
enum via { VIA_ROOT, VIA_INCLUDE, VIA_REDIRECT };

struct tframe {
	char domain[NAME_SZ];
	enum via via;
	bool pass;               /* reached only through '+' includes: its '+' ranges authorise */
	struct ma_spf_record rec;
	json_t *node, *terms, *cur;
	size_t ti, stop;         /* terms [0, stop) are reachable */
	enum phase phase;
	char target[NAME_SZ];
	char names[MA_SPF_NAME_LIMIT][NAME_SZ];
	size_t nnames, ni;
	bool got_addr;
	bool has_all, redirect_done;
};

struct ma_spf_tree {
	char domain[NAME_SZ];
	struct tframe stack[MAX_DEPTH];
	size_t depth;
	unsigned nodes, questions, lookups, voids;
	bool done, found, inconclusive, waiting, loop, too_deep;
	struct ma_dns_question q;
	json_t *root, *ip4, *ip6;
	struct ma_findings findings;
	bool oom;
};

static void add(struct ma_spf_tree *t, const char *id, const char *detail)
{
	if (ma_findings_add(&t->findings, id, "%s", detail) != MA_OK)
		t->oom = true;
}

static void jset(struct ma_spf_tree *t, json_t *o, const char *k, json_t *v)
{
	if (o == NULL || v == NULL || json_object_set_new(o, k, v) != 0)
		t->oom = true;
}

static void ask(struct ma_spf_tree *t, const char *name, uint16_t type)
{
	snprintf(t->q.name, sizeof t->q.name, "%s", name);
	t->q.type = type;
	t->waiting = true;
	t->questions++;
}

static struct tframe *top(struct ma_spf_tree *t)
{
	return &t->stack[t->depth - 1];
}

static void add_range(struct ma_spf_tree *t, bool v6, const uint8_t *addr, int prefix)
{
	char buf[80], ip[64];
	if (v6) {
		size_t o = 0;
		for (int i = 0; i < 16; i += 2) {
			unsigned w = (unsigned)addr[i] << 8 | addr[i + 1];
			o += (size_t)snprintf(ip + o, sizeof ip - o, "%s%x", i ? ":" : "", w);
		}
	} else {
		snprintf(ip, sizeof ip, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
	}
	int bits = v6 ? 128 : 32;
	snprintf(buf, sizeof buf, "%s/%d", ip, (prefix < 0 || prefix > bits) ? bits : prefix);
	json_t *arr = v6 ? t->ip6 : t->ip4;
	if (json_array_size(arr) >= MAX_RANGES)
		return;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), buf) == 0)
			return;
	if (json_array_append_new(arr, json_string(buf)) != 0)
		t->oom = true;
}

static bool term_pass(const struct tframe *f)
{
	return f->pass && f->rec.terms[f->ti].qual == MA_SPF_Q_PASS;
}

static bool has_macro(const char *s)
{
	return s != NULL && strchr(s, '%') != NULL;
}

static void push(struct ma_spf_tree *t, const char *domain, enum via via, bool pass, json_t *parent_term)
{
	if (t->depth == MAX_DEPTH || t->nodes >= MAX_NODES) {
		t->too_deep = true;
		jset(t, parent_term, "error", json_string("not walked: the tree is too deep or too large"));
		return;
	}
	struct tframe *f = &t->stack[t->depth++];
	memset(f, 0, sizeof *f);
	ma_spf_record_init(&f->rec);
	snprintf(f->domain, sizeof f->domain, "%s", domain);
	f->via = via;
	f->pass = pass;
	f->phase = P_TXT;
	f->node = json_object();
	jset(t, f->node, "domain", json_string(domain));
	if (parent_term != NULL)
		jset(t, parent_term, via == VIA_INCLUDE ? "include" : "redirect", json_incref(f->node));
	else
		t->root = json_incref(f->node);
	t->nodes++;
}

static void pop(struct ma_spf_tree *t)
{
	struct tframe *f = top(t);
	ma_spf_record_fini(&f->rec);
	json_decref(f->node);
	t->depth--;
	if (t->depth > 0)
		top(t)->ti++;
	else
		t->done = true;
}

static void term_lookup(struct ma_spf_tree *t, struct tframe *f)
{
	t->lookups++;
	jset(t, f->cur, "lookups", json_integer(1));
}

static void inconclusive(struct ma_spf_tree *t, struct tframe *f, const char *name)
{
	t->inconclusive = true;
	add(t, "spf.lookup.inconclusive", name);
	if (f->cur)
		jset(t, f->cur, "status", json_string("temperror"));
	else
		jset(t, f->node, "status", json_string("temperror"));
}

static void void_lookup(struct ma_spf_tree *t, struct tframe *f)
{
	t->voids++;
	jset(t, f->cur, "status", json_string("void"));
}

static bool on_path(struct ma_spf_tree *t, const char *domain)
{
	for (size_t i = 0; i < t->depth; i++)
		if (ma_dns_name_eq(t->stack[i].domain, domain))
			return true;
	return false;
}

/* Start the next reachable term of the top frame (or finish the frame). */
static void walk_term(struct ma_spf_tree *t)
{
	struct tframe *f = top(t);
	if (f->ti >= f->stop) {
		if (f->rec.redirect >= 0 && !f->has_all && !f->redirect_done) {
			/* redirect (6.1): reached only when no 'all' */
			const struct ma_spf_term *r = &f->rec.terms[f->rec.redirect];
			f->redirect_done = true;
			f->cur = json_object();
			jset(t, f->cur, "term", json_string(r->text));
			if (json_array_append_new(f->terms, f->cur) != 0)
				t->oom = true;
			term_lookup(t, f);
			if (has_macro(r->spec)) {
				add(t, "spf.tree.macro", r->text);
			} else if (on_path(t, r->spec)) {
				t->loop = true;
				add(t, "spf.include.loop", r->text);
			} else {
				f->phase = P_CHILD;
				push(t, r->spec, VIA_REDIRECT, f->pass, f->cur);
				return;
			}
		}
		pop(t);
		return;
	}
	const struct ma_spf_term *tm = &f->rec.terms[f->ti];
	if (tm->kind == MA_SPF_REDIRECT || tm->kind == MA_SPF_EXP || tm->kind == MA_SPF_UNKNOWN) {
		f->ti++;
		return;
	}
	f->cur = json_object();
	jset(t, f->cur, "term", json_string(tm->text));
	if (json_array_append_new(f->terms, f->cur) != 0)
		t->oom = true;
	const char *spec = tm->spec ? tm->spec : f->domain;
	snprintf(f->target, sizeof f->target, "%s", spec);
	switch (tm->kind) {
	case MA_SPF_ALL:
		f->ti++;
		return;
	case MA_SPF_IP4:
	case MA_SPF_IP6:
		if (term_pass(f))
			add_range(t, tm->kind == MA_SPF_IP6, tm->addr, tm->kind == MA_SPF_IP6 ? tm->cidr6 : tm->cidr4);
		f->ti++;
		return;
	default:
		break;
	}
	term_lookup(t, f);
	if (has_macro(spec) && tm->kind != MA_SPF_PTR) {
		add(t, "spf.tree.macro", tm->text);
		f->ti++;
		return;
	}
	switch (tm->kind) {
	case MA_SPF_INCLUDE:
		if (on_path(t, spec)) {
			t->loop = true;
			add(t, "spf.include.loop", tm->text);
			f->ti++;
			return;
		}
		f->phase = P_CHILD;
		push(t, spec, VIA_INCLUDE, term_pass(f), f->cur);
		if (top(t) == f) /* not pushed */
			f->ti++;
		return;
	case MA_SPF_A:
		f->phase = P_A4;
		f->got_addr = false;
		ask(t, spec, MA_DNS_T_A);
		return;
	case MA_SPF_MX:
		f->phase = P_MX;
		ask(t, spec, MA_DNS_T_MX);
		return;
	case MA_SPF_EXISTS:
		f->phase = P_EXISTS;
		ask(t, spec, MA_DNS_T_A);
		return;
	default: /* ptr: depends on the client, nothing to flatten */
		f->ti++;
		return;
	}
}

static void run(struct ma_spf_tree *t)
{
	while (!t->done && !t->waiting) {
		if (t->questions >= MAX_QUESTIONS) {
			t->inconclusive = true;
			while (t->depth > 0)
				pop(t);
			break;
		}
		struct tframe *f = top(t);
		if (f->phase == P_TXT)
			ask(t, f->domain, MA_DNS_T_TXT);
		else
			walk_term(t);
	}
}

static void collect(struct ma_spf_tree *t, struct tframe *f, const struct ma_dns_answer *a, bool v6)
{
	const struct ma_spf_term *tm = &f->rec.terms[f->ti];
	for (size_t i = 0; a->status == MA_DNS_ANSWER && i < a->count; i++) {
		uint8_t addr[16];
		if (v6 ? ma_dns_rdata_aaaa(&a->rr[i], addr) != MA_OK : ma_dns_rdata_a(&a->rr[i], addr) != MA_OK)
			continue;
		f->got_addr = true;
		if (term_pass(f))
			add_range(t, v6, addr, v6 ? tm->cidr6 : tm->cidr4);
	}
}

static void on_record(struct ma_spf_tree *t, struct tframe *f, const struct ma_dns_answer *a)
{
	if (ma_dns_status_is_temporary(a->status) || a->status == MA_DNS_BOGUS || a->status == MA_DNS_MALFORMED) {
		inconclusive(t, f, f->domain);
		pop(t);
		return;
	}
	char *found = NULL;
	size_t foundlen = 0, n = 0;
	for (size_t i = 0; a->status == MA_DNS_ANSWER && i < a->count && i < MA_SPF_RR_MAX; i++) {
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
	if (n != 1) {
		free(found);
		if (n > 1)
			add(t, "spf.record.multiple", f->domain);
		else if (f->via == VIA_ROOT)
			add(t, "spf.record.missing", f->domain);
		else
			add(t, f->via == VIA_INCLUDE ? "spf.include.no-record" : "spf.redirect.no-record", f->domain);
		jset(t, f->node, "status", json_string(n > 1 ? "multiple" : "none"));
		pop(t);
		return;
	}
	if (f->via == VIA_ROOT) {
		t->found = true;
		/* the record's own lint findings; lookup totals come from the walk instead */
		struct ma_lint_result lr;
		if (ma_spf_lint(found, foundlen, &lr) == MA_OK) {
			for (size_t i = 0; i < lr.findings.n; i++) {
				const char *id = lr.findings.v[i].def->id;
				if (strncmp(id, "spf.lookups.", 12) == 0)
					continue;
				if (ma_findings_add(&t->findings, id, "%s",
						    lr.findings.v[i].detail ? lr.findings.v[i].detail : "") != MA_OK)
					t->oom = true;
			}
		}
		json_decref(lr.parsed);
		ma_findings_fini(&lr.findings);
	}
	char *shown = strndup(found, foundlen);
	if (shown != NULL)
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				*p = '?';
	jset(t, f->node, "record", json_string(shown ? shown : ""));
	free(shown);
	int rc = ma_spf_parse(found, foundlen, &f->rec);
	free(found);
	if (rc != MA_OK) {
		t->oom = true;
		pop(t);
		return;
	}
	if (!f->rec.valid) {
		if (f->via != VIA_ROOT)
			add(t, "spf.include.invalid", f->domain);
		jset(t, f->node, "error", json_string(f->rec.error ? f->rec.error : "syntax error"));
		pop(t);
		return;
	}
	f->terms = json_array();
	jset(t, f->node, "terms", json_incref(f->terms));
	json_decref(f->terms); /* owned by the node */
	f->stop = f->rec.nterms;
	for (size_t i = 0; i < f->rec.nterms; i++)
		if (f->rec.terms[i].kind == MA_SPF_ALL) {
			f->stop = i + 1;
			f->has_all = true;
			break;
		}
	f->phase = P_TERMS;
	f->ti = 0;
}

int ma_spf_tree_answer(struct ma_spf_tree *t, const struct ma_dns_answer *a)
{
	if (t == NULL || a == NULL)
		return MA_ERR_INVAL;
	if (!t->waiting || t->done)
		return MA_ERR_STATE;
	t->waiting = false;
	struct tframe *f = top(t);
	bool temp = ma_dns_status_is_temporary(a->status) || a->status == MA_DNS_BOGUS ||
		    a->status == MA_DNS_MALFORMED;
	bool isvoid = !temp && (a->status != MA_DNS_ANSWER || a->count == 0);
	switch (f->phase) {
	case P_TXT:
		on_record(t, f, a);
		break;
	case P_A4:
		if (temp) {
			inconclusive(t, f, t->q.name);
			f->phase = P_TERMS;
			f->ti++;
			break;
		}
		collect(t, f, a, false);
		f->phase = P_A6;
		ask(t, f->target, MA_DNS_T_AAAA);
		break;
	case P_A6:
		if (temp)
			inconclusive(t, f, t->q.name);
		collect(t, f, a, true);
		if (!temp && !f->got_addr)
			void_lookup(t, f);
		f->phase = P_TERMS;
		f->ti++;
		break;
	case P_MX:
		f->nnames = f->ni = 0;
		if (temp) {
			inconclusive(t, f, t->q.name);
		} else if (isvoid) {
			void_lookup(t, f);
		} else {
			for (size_t i = 0; i < a->count; i++) {
				uint16_t pref;
				char name[NAME_SZ];
				if (ma_dns_rdata_mx(&a->rr[i], &pref, name, sizeof name) != MA_OK ||
				    strcmp(name, ".") == 0)
					continue;
				if (f->nnames == MA_SPF_NAME_LIMIT) {
					add(t, "spf.mx.too-many", f->target);
					break;
				}
				snprintf(f->names[f->nnames++], NAME_SZ, "%s", name);
			}
		}
		if (f->nnames > 0) {
			f->phase = P_MXA4;
			ask(t, f->names[0], MA_DNS_T_A);
		} else {
			f->phase = P_TERMS;
			f->ti++;
		}
		break;
	case P_MXA4:
	case P_MXA6:
		if (temp)
			inconclusive(t, f, t->q.name);
		else
			collect(t, f, a, f->phase == P_MXA6);
		if (f->phase == P_MXA4) {
			f->phase = P_MXA6;
			ask(t, f->names[f->ni], MA_DNS_T_AAAA);
		} else if (++f->ni < f->nnames) {
			f->phase = P_MXA4;
			ask(t, f->names[f->ni], MA_DNS_T_A);
		} else {
			f->phase = P_TERMS;
			f->ti++;
		}
		break;
	case P_EXISTS:
		if (temp)
			inconclusive(t, f, t->q.name);
		else if (isvoid)
			void_lookup(t, f);
		f->phase = P_TERMS;
		f->ti++;
		break;
	default:
		return MA_ERR_STATE;
	}
	return t->oom ? MA_ERR_NOMEM : MA_OK;
}

int ma_spf_tree_new(const struct ma_spf_tree_opts *o, struct ma_spf_tree **out)
{
	*out = NULL;
	if (o == NULL || o->domain == NULL || !ma_dns_name_is_valid(o->domain, strlen(o->domain)))
		return MA_ERR_INVAL;
	struct ma_spf_tree *t = calloc(1, sizeof *t);
	if (t == NULL)
		return MA_ERR_NOMEM;
	snprintf(t->domain, sizeof t->domain, "%s", o->domain);
	t->ip4 = json_array();
	t->ip6 = json_array();
	push(t, t->domain, VIA_ROOT, true, NULL);
	if (t->ip4 == NULL || t->ip6 == NULL || t->oom) {
		ma_spf_tree_free(t);
		return MA_ERR_NOMEM;
	}
	*out = t;
	return MA_OK;
}

void ma_spf_tree_free(struct ma_spf_tree *t)
{
	if (t == NULL)
		return;
	while (t->depth > 0) {
		ma_spf_record_fini(&top(t)->rec);
		json_decref(top(t)->node);
		t->depth--;
	}
	json_decref(t->root);
	json_decref(t->ip4);
	json_decref(t->ip6);
	ma_findings_fini(&t->findings);
	free(t);
}

/* Totals against the limits, once the walk is over. */
static void conclude(struct ma_spf_tree *t)
{
	char d[64];
	snprintf(d, sizeof d, "%u DNS-querying terms in the expanded tree", t->lookups);
	if (t->lookups > MA_SPF_LOOKUP_LIMIT)
		add(t, "spf.lookups.over-limit", d);
	else if (t->lookups > MA_SPF_LOOKUP_ADVISE)
		add(t, "spf.lookups.high", d);
	snprintf(d, sizeof d, "%u void lookups", t->voids);
	if (t->voids > MA_SPF_VOID_LIMIT)
		add(t, "spf.void.over-limit", d);
}

int ma_spf_tree_step(struct ma_spf_tree *t, struct ma_dns_question *q)
{
	if (t == NULL || q == NULL)
		return MA_ERR_INVAL;
	bool was_done = t->done;
	run(t);
	if (t->oom)
		return MA_ERR_NOMEM;
	if (t->done) {
		if (!was_done)
			conclude(t);
		return MA_SPF_DONE;
	}
	*q = t->q;
	return MA_SPF_NEED_DNS;
}

int ma_spf_tree_summary(const struct ma_spf_tree *t, struct ma_spf_tree_summary *out)
{
	if (t == NULL || out == NULL)
		return MA_ERR_INVAL;
	if (!t->done)
		return MA_ERR_STATE;
	out->found = t->found;
	out->inconclusive = t->inconclusive;
	out->lookups = t->lookups;
	out->void_lookups = t->voids;
	out->nranges4 = json_array_size(t->ip4);
	out->nranges6 = json_array_size(t->ip6);
	return MA_OK;
}

const struct ma_findings *ma_spf_tree_findings(const struct ma_spf_tree *t)
{
	return t->done ? &t->findings : NULL;
}

json_t *ma_spf_tree_to_json(const struct ma_spf_tree *t)
{
	if (t == NULL || !t->done)
		return NULL;
	json_t *o = json_object(), *fj = ma_findings_to_json(&t->findings);
	if (o == NULL || fj == NULL) {
		json_decref(o);
		json_decref(fj);
		return NULL;
	}
	int bad = json_object_set_new(o, "domain", json_string(t->domain));
	bad |= json_object_set_new(o, "found", json_boolean(t->found));
	bad |= json_object_set_new(o, "inconclusive", json_boolean(t->inconclusive));
	bad |= json_object_set_new(o, "lookups", json_integer(t->lookups));
	bad |= json_object_set_new(o, "lookup_limit", json_integer(MA_SPF_LOOKUP_LIMIT));
	bad |= json_object_set_new(o, "void_lookups", json_integer(t->voids));
	bad |= json_object_set_new(o, "void_limit", json_integer(MA_SPF_VOID_LIMIT));
	bad |= json_object_set(o, "tree", t->root ? t->root : json_null());
	bad |= json_object_set(o, "ip4", t->ip4);
	bad |= json_object_set(o, "ip6", t->ip6);
	bad |= json_object_set_new(o, "findings", fj);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
