/* tests/support/spf_suite.c — load the openspf YAML suites with libyaml and run their tests through the SPF
 * evaluator (see spf_suite.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <yaml.h>

#include "fakedns.h"
#include "spf_suite.h"

static char *dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static const char *scalar(yaml_document_t *d, yaml_node_t *n, size_t *len)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (len)
		*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

static char *scalar_dup(yaml_document_t *d, yaml_node_t *n)
{
	size_t len;
	const char *s = scalar(d, n, &len);
	return s ? dupn(s, len) : NULL;
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(d, yaml_document_get_node(d, p->key), NULL);
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static uint16_t type_of(const char *t)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {
		{"TXT", MA_DNS_T_TXT}, {"SPF", MA_DNS_T_SPF}, {"A", MA_DNS_T_A},         {"AAAA", MA_DNS_T_AAAA},
		{"MX", MA_DNS_T_MX},   {"PTR", MA_DNS_T_PTR}, {"CNAME", MA_DNS_T_CNAME},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].name, t) == 0)
			return types[i].type;
	return 0;
}

static void load_zone(yaml_document_t *d, yaml_node_t *zone, struct spf_suite_scenario *sc)
{
	if (zone == NULL || zone->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = zone->data.mapping.pairs.start; p < zone->data.mapping.pairs.top; p++) {
		const char *name = scalar(d, yaml_document_get_node(d, p->key), NULL);
		yaml_node_t *list = yaml_document_get_node(d, p->value);
		if (name == NULL || list == NULL || list->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(d, *it);
			const char *s = scalar(d, e, NULL);
			if (s != NULL) {
				if (strcmp(s, "TIMEOUT") == 0) {
					sc->timeouts = realloc(sc->timeouts, (sc->ntimeouts + 1) * sizeof *sc->timeouts);
					sc->timeouts[sc->ntimeouts++] = dupn(name, strlen(name));
				}
				continue;
			}
			if (e == NULL || e->type != YAML_MAPPING_NODE || e->data.mapping.pairs.top == e->data.mapping.pairs.start)
				continue;
			yaml_node_pair_t *kv = e->data.mapping.pairs.start;
			const char *tname = scalar(d, yaml_document_get_node(d, kv->key), NULL);
			yaml_node_t *v = yaml_document_get_node(d, kv->value);
			uint16_t type = tname ? type_of(tname) : 0;
			if (type == 0)
				continue;
			sc->rr = realloc(sc->rr, (sc->nrr + 1) * sizeof *sc->rr);
			struct spf_suite_rr *rr = &sc->rr[sc->nrr++];
			memset(rr, 0, sizeof *rr);
			rr->name = dupn(name, strlen(name));
			rr->type = type;
			if (type == MA_DNS_T_TXT || type == MA_DNS_T_SPF) {
				size_t len;
				const char *sv = scalar(d, v, &len);
				if (sv != NULL && type == MA_DNS_T_TXT && strcmp(sv, "NONE") == 0) {
					rr->none = true;
				} else if (sv != NULL) {
					rr->str = malloc(sizeof *rr->str);
					rr->len = malloc(sizeof *rr->len);
					rr->str[0] = dupn(sv, len);
					rr->len[0] = len;
					rr->nstr = 1;
				} else if (v && v->type == YAML_SEQUENCE_NODE) {
					size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
					rr->str = calloc(n + 1, sizeof *rr->str);
					rr->len = calloc(n + 1, sizeof *rr->len);
					for (size_t i = 0; i < n; i++) {
						sv = scalar(d, yaml_document_get_node(d, v->data.sequence.items.start[i]), &len);
						if (sv == NULL)
							continue;
						rr->str[rr->nstr] = dupn(sv, len);
						rr->len[rr->nstr++] = len;
					}
				}
			} else if (type == MA_DNS_T_MX) {
				if (v && v->type == YAML_SEQUENCE_NODE &&
				    v->data.sequence.items.top - v->data.sequence.items.start == 2) {
					const char *pref = scalar(d, yaml_document_get_node(d, v->data.sequence.items.start[0]), NULL);
					rr->pref = (uint16_t)strtoul(pref ? pref : "0", NULL, 10);
					rr->value = scalar_dup(d, yaml_document_get_node(d, v->data.sequence.items.start[1]));
				}
			} else {
				rr->value = scalar_dup(d, v);
			}
			if (rr->value == NULL && type != MA_DNS_T_TXT && type != MA_DNS_T_SPF)
				rr->value = dupn("", 0);
		}
	}
}

static void load_tests(yaml_document_t *d, yaml_node_t *tests, struct spf_suite_scenario *sc)
{
	if (tests == NULL || tests->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
		yaml_node_t *t = yaml_document_get_node(d, p->value);
		sc->tests = realloc(sc->tests, (sc->ntests + 1) * sizeof *sc->tests);
		struct spf_suite_test *st = &sc->tests[sc->ntests++];
		memset(st, 0, sizeof *st);
		st->name = scalar_dup(d, yaml_document_get_node(d, p->key));
		st->spec = scalar_dup(d, map_get(d, t, "spec"));
		st->helo = scalar_dup(d, map_get(d, t, "helo"));
		st->host = scalar_dup(d, map_get(d, t, "host"));
		st->mailfrom = scalar_dup(d, map_get(d, t, "mailfrom"));
		st->explanation = scalar_dup(d, map_get(d, t, "explanation"));
		if (st->explanation && strcmp(st->explanation, "DEFAULT") == 0) {
			/* the implementation's default text: nothing to compare */
			free(st->explanation);
			st->explanation = NULL;
		}
		yaml_node_t *r = map_get(d, t, "result");
		if (r && r->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = r->data.sequence.items.start;
			     it < r->data.sequence.items.top && st->nresults < 8; it++)
				st->results[st->nresults++] = scalar_dup(d, yaml_document_get_node(d, *it));
		} else if (r) {
			st->results[st->nresults++] = scalar_dup(d, r);
		}
		if (st->mailfrom == NULL)
			st->mailfrom = dupn("", 0);
	}
}

int spf_suite_load(const char *path, struct spf_suite *out)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	int rc = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(stderr, "%s: YAML error: %s (line %zu)\n", path, parser.problem ? parser.problem : "?",
				parser.problem_mark.line + 1);
			rc = -1;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (root == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		out->sc = realloc(out->sc, (out->nsc + 1) * sizeof *out->sc);
		struct spf_suite_scenario *sc = &out->sc[out->nsc++];
		memset(sc, 0, sizeof *sc);
		sc->description = scalar_dup(&doc, map_get(&doc, root, "description"));
		load_zone(&doc, map_get(&doc, root, "zonedata"), sc);
		load_tests(&doc, map_get(&doc, root, "tests"), sc);
		out->ntests += sc->ntests;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

void spf_suite_free(struct spf_suite *s)
{
	for (size_t i = 0; i < s->nsc; i++) {
		struct spf_suite_scenario *sc = &s->sc[i];
		for (size_t j = 0; j < sc->nrr; j++) {
			for (size_t k = 0; k < sc->rr[j].nstr; k++)
				free(sc->rr[j].str[k]);
			free(sc->rr[j].str);
			free(sc->rr[j].len);
			free(sc->rr[j].name);
			free(sc->rr[j].value);
		}
		free(sc->rr);
		for (size_t j = 0; j < sc->ntimeouts; j++)
			free(sc->timeouts[j]);
		free(sc->timeouts);
		for (size_t j = 0; j < sc->ntests; j++) {
			struct spf_suite_test *t = &sc->tests[j];
			free(t->name);
			free(t->spec);
			free(t->helo);
			free(t->host);
			free(t->mailfrom);
			free(t->explanation);
			for (size_t k = 0; k < t->nresults; k++)
				free(t->results[k]);
		}
		free(sc->tests);
		free(sc->description);
	}
	free(s->sc);
	memset(s, 0, sizeof *s);
}

/* TXT rdata from character-strings (each split at 255 bytes). */
static uint8_t *txt_rdata(const struct spf_suite_rr *rr, size_t *outlen)
{
	size_t cap = 1;
	for (size_t i = 0; i < rr->nstr; i++)
		cap += rr->len[i] + rr->len[i] / 255 + 2;
	uint8_t *b = malloc(cap), *o = b;
	for (size_t i = 0; i < rr->nstr; i++) {
		size_t left = rr->len[i];
		const char *p = rr->str[i];
		do {
			size_t n = left > 255 ? 255 : left;
			*o++ = (uint8_t)n;
			memcpy(o, p, n);
			o += n;
			p += n;
			left -= n;
		} while (left > 0);
	}
	*outlen = (size_t)(o - b);
	return b;
}

static bool name_has(const struct spf_suite_scenario *sc, const char *name, uint16_t type)
{
	for (size_t i = 0; i < sc->nrr; i++)
		if (sc->rr[i].type == type && strcasecmp(sc->rr[i].name, name) == 0)
			return true;
	return false;
}

static const char *target(const char *v)
{
	return (v == NULL || v[0] == '\0') ? "." : v;
}

/* Does the scenario give the name real records of this type (TXT includes those derived from SPF entries)? */
static bool has_data(const struct spf_suite_scenario *sc, const char *name, uint16_t type)
{
	for (size_t i = 0; i < sc->nrr; i++) {
		const struct spf_suite_rr *rr = &sc->rr[i];
		if (strcasecmp(rr->name, name) != 0 || rr->none)
			continue;
		if (rr->type == type || (type == MA_DNS_T_TXT && rr->type == MA_DNS_T_SPF &&
					 !name_has(sc, name, MA_DNS_T_TXT)))
			return true;
	}
	return false;
}

bool spf_suite_is_timeout(const struct spf_suite_scenario *sc, const struct ma_dns_question *q)
{
	for (size_t i = 0; i < sc->ntimeouts; i++)
		if (ma_dns_name_eq(sc->timeouts[i], q->name))
			return !has_data(sc, q->name, q->type);
	return false;
}

void spf_suite_fake_resolve(void *ctx, const struct ma_dns_question *q, struct ma_dns_answer *a)
{
	struct spf_suite_fake *f = ctx;
	if (spf_suite_is_timeout(f->sc, q)) {
		f->hit_timeout = true;
		memset(a, 0, sizeof *a);
		a->status = MA_DNS_TIMEOUT;
		return;
	}
	fakedns_answer(f->z, q, a);
}

void spf_suite_name_rr(struct fakedns *z, uint16_t type, const char *name, const char *target)
{
	uint8_t wire[256];
	int n = ma_dns_name_encode(target, wire, sizeof wire);
	if (n < 0)
		abort();
	fakedns_add(z, name, type, wire, (size_t)n);
}

void spf_suite_fakedns(const struct spf_suite_scenario *sc, struct fakedns *z)
{
	for (size_t i = 0; i < sc->nrr; i++) {
		const struct spf_suite_rr *rr = &sc->rr[i];
		size_t len;
		uint8_t *rd;
		switch (rr->type) {
		case MA_DNS_T_TXT:
		case MA_DNS_T_SPF:
			if (rr->none) {
				fakedns_exists(z, rr->name);
				break;
			}
			rd = txt_rdata(rr, &len);
			fakedns_add(z, rr->name, rr->type, rd, len);
			if (rr->type == MA_DNS_T_SPF && !name_has(sc, rr->name, MA_DNS_T_TXT))
				fakedns_add(z, rr->name, MA_DNS_T_TXT, rd, len);
			free(rd);
			break;
		case MA_DNS_T_A:
			fakedns_a(z, rr->name, rr->value);
			break;
		case MA_DNS_T_AAAA:
			fakedns_aaaa(z, rr->name, rr->value);
			break;
		case MA_DNS_T_MX:
			fakedns_mx(z, rr->name, rr->pref, target(rr->value));
			break;
		case MA_DNS_T_PTR:
			spf_suite_name_rr(z, MA_DNS_T_PTR, rr->name, target(rr->value));
			break;
		case MA_DNS_T_CNAME:
			spf_suite_name_rr(z, MA_DNS_T_CNAME, rr->name, target(rr->value));
			break;
		default:
			break;
		}
	}
}

/* ---- zone file for knot ------------------------------------------------------------------------------------ */

struct buf {
	char *p;
	size_t n, cap;
};

static void bput(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

/* An absolute owner/target name with every byte outside LDH, '_' and '*' written as \DDD, or false when the name
 * cannot be a DNS name at all. */
static bool abs_name(const char *name, char *out, size_t outsz)
{
	uint8_t wire[256];
	if (strcmp(name, ".") == 0 || name[0] == '\0') {
		snprintf(out, outsz, ".");
		return true;
	}
	if (ma_dns_name_encode(name, wire, sizeof wire) < 0)
		return false;
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < outsz; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     *p == '-' || *p == '_' || *p == '*' || *p == '.';
		if (plain)
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\%03u", *p);
	}
	if (o > 0 && out[o - 1] != '.')
		out[o++] = '.';
	out[o] = '\0';
	return true;
}

static void put_strings(struct buf *b, const struct spf_suite_rr *rr)
{
	for (size_t i = 0; i < rr->nstr; i++) {
		size_t left = rr->len[i];
		const unsigned char *p = (const unsigned char *)rr->str[i];
		do {
			size_t n = left > 255 ? 255 : left;
			bputs(b, " \"");
			for (size_t k = 0; k < n; k++) {
				char e[8];
				if (p[k] < 0x20 || p[k] >= 0x7f || p[k] == '"' || p[k] == '\\') {
					snprintf(e, sizeof e, "\\%03u", p[k]);
					bputs(b, e);
				} else {
					bput(b, (const char *)&p[k], 1);
				}
			}
			bputs(b, "\"");
			p += n;
			left -= n;
		} while (left > 0);
	}
	if (rr->nstr == 0)
		bputs(b, " \"\""); /* a TXT RR needs one string; the empty record is the closest a zone can say */
}

char *spf_suite_zone_text(const struct spf_suite_scenario *sc)
{
	struct buf b = {0};
	bputs(&b, "");
	for (size_t i = 0; i < sc->nrr; i++) {
		const struct spf_suite_rr *rr = &sc->rr[i];
		char owner[MA_DNS_NAME_MAX + 2], tgt[MA_DNS_NAME_MAX + 2];
		if (!abs_name(rr->name, owner, sizeof owner))
			continue;
		char line[2 * MA_DNS_NAME_MAX + 64];
		switch (rr->type) {
		case MA_DNS_T_TXT:
		case MA_DNS_T_SPF:
			if (rr->none)
				break;
			snprintf(line, sizeof line, "%s 300 IN %s", owner, rr->type == MA_DNS_T_SPF ? "SPF" : "TXT");
			bputs(&b, line);
			put_strings(&b, rr);
			bputs(&b, "\n");
			if (rr->type == MA_DNS_T_SPF && !name_has(sc, rr->name, MA_DNS_T_TXT)) {
				snprintf(line, sizeof line, "%s 300 IN TXT", owner);
				bputs(&b, line);
				put_strings(&b, rr);
				bputs(&b, "\n");
			}
			break;
		case MA_DNS_T_A:
		case MA_DNS_T_AAAA:
			snprintf(line, sizeof line, "%s 300 IN %s %s\n", owner, rr->type == MA_DNS_T_A ? "A" : "AAAA",
				 rr->value);
			bputs(&b, line);
			break;
		case MA_DNS_T_MX:
		case MA_DNS_T_PTR:
		case MA_DNS_T_CNAME:
			if (!abs_name(target(rr->value), tgt, sizeof tgt))
				break;
			if (rr->type == MA_DNS_T_MX)
				snprintf(line, sizeof line, "%s 300 IN MX %u %s\n", owner, rr->pref, tgt);
			else
				snprintf(line, sizeof line, "%s 300 IN %s %s\n", owner,
					 rr->type == MA_DNS_T_PTR ? "PTR" : "CNAME", tgt);
			bputs(&b, line);
			break;
		default:
			break;
		}
	}
	/* A "TXT: NONE" name must still exist (NODATA, not NXDOMAIN) when it has nothing else. */
	for (size_t i = 0; i < sc->nrr; i++) {
		char owner[MA_DNS_NAME_MAX + 2], line[MA_DNS_NAME_MAX + 64];
		if (!sc->rr[i].none || !abs_name(sc->rr[i].name, owner, sizeof owner))
			continue;
		bool other = false;
		for (size_t j = 0; j < sc->nrr; j++)
			if (j != i && strcasecmp(sc->rr[j].name, sc->rr[i].name) == 0 && !sc->rr[j].none)
				other = true;
		if (!other) {
			snprintf(line, sizeof line, "%s 300 IN HINFO \"suite\" \"none\"\n", owner);
			bputs(&b, line);
		}
	}
	return b.p;
}

/* ---- running ----------------------------------------------------------------------------------------------- */

void spf_suite_want(const struct spf_suite_test *t, char *buf, size_t bufsz)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < t->nresults && o < bufsz; i++)
		o += (size_t)snprintf(buf + o, bufsz - o, "%s%s", i ? "|" : "", t->results[i]);
}

bool spf_suite_run(const struct spf_suite_test *t, spf_suite_resolve_fn resolve, void *ctx,
		   struct spf_suite_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->result = MA_SPF_PERMERROR;
	struct ma_spf_eval_opts o = {
		.ip = t->host,
		.sender = t->mailfrom,
		.helo = t->helo,
		.receiver = SPF_SUITE_RECEIVER,
		.now = SPF_SUITE_NOW,
	};
	struct ma_spf_eval *ev;
	if (ma_spf_eval_new(&o, &ev) != 0) {
		snprintf(out->reason, sizeof out->reason, "ma_spf_eval_new failed");
		return false;
	}
	struct ma_dns_question q;
	unsigned asked = 0;
	int rc;
	while ((rc = ma_spf_eval_step(ev, &q)) == MA_SPF_NEED_DNS) {
		if (++asked > 200) {
			snprintf(out->reason, sizeof out->reason, "too many questions");
			ma_spf_eval_free(ev);
			return false;
		}
		struct ma_dns_answer a;
		resolve(ctx, &q, &a);
		if (ma_spf_eval_answer(ev, &a) != 0)
			break;
	}
	struct ma_spf_outcome oc;
	if (ma_spf_eval_outcome(ev, &oc) != 0) {
		snprintf(out->reason, sizeof out->reason, "no outcome");
		ma_spf_eval_free(ev);
		return false;
	}
	out->result = oc.result;
	snprintf(out->explanation, sizeof out->explanation, "%s", oc.explanation ? oc.explanation : "");
	snprintf(out->reason, sizeof out->reason, "%s", oc.reason);
	out->lookups = oc.lookups;
	out->void_lookups = oc.void_lookups;
	out->queries = oc.queries;
	ma_spf_eval_free(ev);

	bool ok = false;
	for (size_t i = 0; i < t->nresults; i++)
		if (strcasecmp(t->results[i], ma_spf_result_name(oc.result)) == 0)
			ok = true;
	/* Compared case-insensitively: the suite's own expectation spells %{ir} nibbles of IPv6 in upper case
	 * (v-macro-ip6) while RFC 7208 7.3's example, which we follow, is lower case. */
	if (ok && t->explanation != NULL && strcasecmp(t->explanation, out->explanation) != 0)
		ok = false;
	return ok;
}
