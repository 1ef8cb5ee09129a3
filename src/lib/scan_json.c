/* src/lib/scan_json.c — the scan's result document (lib/scan.h ma_scan_to_json): what was found per area, the
 * MX hosts, and every finding with the profiles it affects, so a stored result can be re-graded (lib/profile.h)
 * without rescanning. Every string in it is either ours or was checked/escaped on the way in; jansson escapes
 * for JSON on the way out. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "lib/profile.h"
#include "lib/scan_impl.h"

static const char *const bucket_names[B_COUNT] = {"mx",      "spf",     "dmarc",  "dkim",
                                                  "mta-sts", "tls-rpt", "dnssec", "mx-tls"};

static json_t *dnssec_json(int v)
{
	return v < 0 ? json_string("inconclusive") : json_string(ma_dnssec_name((enum ma_dnssec)v));
}

static json_t *lookup_json(const struct lookup *l)
{
	return l->done ? json_string(ma_dns_status_name(l->status)) : json_null();
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static json_t *host_json(const struct scan_host *h)
{
	json_t *o = json_object(), *addrs = json_array(), *tl = json_object(), *recs = json_array();
	if (o == NULL || addrs == NULL || tl == NULL || recs == NULL) {
		json_decref(o);
		json_decref(addrs);
		json_decref(tl);
		json_decref(recs);
		return NULL;
	}
	for (size_t i = 0; i < h->naddrs; i++)
		json_array_append_new(addrs, json_string(h->addrs[i]));
	for (size_t i = 0; i < h->ntlsa; i++) {
		const struct scan_tlsa *t = &h->tlsa_rr[i];
		json_t *r = json_object();
		if (r == NULL)
			continue;
		char hx[2 * sizeof t->data + 1] = "";
		if (t->mtype != 0 && t->len <= sizeof t->data)
			hex(t->data, t->len, hx);
		json_object_set_new(r, "usage", json_integer(t->usage));
		json_object_set_new(r, "selector", json_integer(t->selector));
		json_object_set_new(r, "matching_type", json_integer(t->mtype));
		json_object_set_new(r, "data", hx[0] ? json_string(hx) : json_null());
		json_object_set_new(r, "length", json_integer((json_int_t)t->len));
		json_object_set_new(r, "malformed", json_boolean(t->malformed));
		json_array_append_new(recs, r);
	}
	json_object_set_new(tl, "lookup", lookup_json(&h->tlsa));
	json_object_set_new(tl, "dnssec", h->tlsa.done ? json_string(ma_dnssec_name(h->tlsa.dnssec)) : json_null());
	json_object_set_new(tl, "records", recs);
	json_object_set_new(o, "host", json_string(h->name));
	json_object_set_new(o, "pref", json_integer(h->pref));
	json_object_set_new(o, "implicit", json_boolean(h->implicit));
	json_object_set_new(o, "addrs", addrs);
	json_object_set_new(o, "dnssec", dnssec_json(scan_host_dnssec(h)));
	json_object_set_new(o, "tlsa", tl);
	return o;
}

static json_t *dmarc_json(const struct ma_scan *s)
{
	const struct ma_dmarc_discovery *r = ma_dmarc_discover_result(s->dmarc);
	json_t *o = r ? ma_dmarc_discovery_to_json(r) : json_object();
	json_t *dests = json_array();
	if (o == NULL || dests == NULL) {
		json_decref(o);
		json_decref(dests);
		return NULL;
	}
	static const char *const auth[] = {"yes", "no", "inconclusive"};
	for (size_t i = 0; i < s->ndests; i++) {
		const struct scan_dest *d = &s->dests[i];
		enum ma_dmarc_auth v = d->exact_v;
		if (v == MA_DMARC_AUTH_NO && d->wild.done)
			v = d->wild_v;
		json_t *e = json_pack("{s:s, s:s, s:b, s:s, s:s, s:b}", "uri", d->d.uri ? d->d.uri->uri : "", "domain",
		                      d->d.dest_domain, "ruf", d->d.ruf, "query", d->d.query, "authorised",
		                      auth[(unsigned)v < 3 ? v : 2], "wildcard",
		                      d->exact_v == MA_DMARC_AUTH_NO && v == MA_DMARC_AUTH_YES);
		if (e != NULL)
			json_array_append_new(dests, e);
	}
	json_object_set_new(o, "report_destinations", dests);
	return o;
}

static const char *sel_status(const struct ma_scan *s, const struct scan_sel *sel)
{
	if (lookup_failed(&sel->l) || sel->malformed)
		return "inconclusive";
	if (sel->text != NULL) {
		if (sel->source == SEL_COMMON && s->wild.text != NULL && sel->len == s->wild.len &&
		    memcmp(sel->text, s->wild.text, sel->len) == 0)
			return "wildcard";
		struct ma_dkim_key k;
		memset(&k, 0, sizeof k);
		if (ma_dkim_key_parse(sel->text, sel->len, &k, NULL) == MA_OK && k.revoked)
			return "revoked";
		return "found";
	}
	return sel->other_txt ? "not-dkim" : "missing";
}

static json_t *sel_json(const struct ma_scan *s, const struct scan_sel *sel, const char *name)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "selector", json_string(name));
	json_object_set_new(o, "source", json_string(sel->source == SEL_GIVEN ? "given" : "common"));
	json_object_set_new(o, "lookup", lookup_json(&sel->l));
	json_object_set_new(o, "status", json_string(sel->l.done ? sel_status(s, sel) : "unasked"));
	if (sel->text != NULL) {
		struct ma_dkim_key k;
		memset(&k, 0, sizeof k);
		if (ma_dkim_key_parse(sel->text, sel->len, &k, NULL) == MA_OK)
			json_object_set_new(o, "key", ma_dkim_key_to_json(&k));
	}
	return o;
}

static json_t *dkim_json(const struct ma_scan *s)
{
	json_t *o = json_object(), *arr = json_array();
	if (o == NULL || arr == NULL) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < s->nsels; i++) {
		/* Only selectors that answered with something, and every selector that was named, are listed. */
		if (s->sels[i].source == SEL_COMMON && s->sels[i].text == NULL && !lookup_failed(&s->sels[i].l))
			continue;
		json_t *e = sel_json(s, &s->sels[i], s->sels[i].name);
		if (e != NULL)
			json_array_append_new(arr, e);
	}
	json_object_set_new(o, "selectors", arr);
	json_object_set_new(o, "tried", json_integer((json_int_t)s->nsels));
	json_t *w = sel_json(s, &s->wild, "*");
	if (w != NULL) {
		json_object_del(w, "source");
		json_object_set_new(o, "wildcard", w);
	}
	return o;
}

static json_t *mtasts_json(const struct ma_scan *s)
{
	static const char *const st[] = {"ok", "connect", "tls", "timeout", "too-big", "protocol"};
	json_t *o = json_object(), *addrs = json_array();
	if (o == NULL || addrs == NULL) {
		json_decref(o);
		json_decref(addrs);
		return NULL;
	}
	json_object_set_new(o, "txt_lookup", lookup_json(&s->sts_txt));
	json_object_set_new(o, "records", json_integer((json_int_t)s->txt_found));
	if (s->txt_found == 1)
		json_object_set_new(o, "txt", ma_mtasts_txt_to_json(&s->txt));
	for (size_t i = 0; i < s->sts_naddrs; i++)
		json_array_append_new(addrs, json_string(s->sts_addrs[i]));
	json_object_set_new(o, "policy_host_addrs", addrs);
	if (s->https_done) {
		json_t *f = json_object();
		if (f != NULL) {
			json_object_set_new(f, "status",
			                    json_string(st[(unsigned)s->https_status < 6 ? s->https_status : 5]));
			if (s->https_status == MA_HTTPS_OK)
				json_object_set_new(f, "http_status", json_integer(s->http_status));
			json_object_set_new(f, "content_type",
			                    s->content_type ? json_string(s->content_type) : json_null());
			json_object_set_new(f, "why", s->https_why ? json_string(s->https_why) : json_null());
			json_object_set_new(o, "fetch", f);
		}
		if (s->https_status == MA_HTTPS_OK && s->http_status == 200) {
			struct ma_mtasts_policy pol;
			memset(&pol, 0, sizeof pol);
			if (ma_mtasts_policy_parse(s->body ? s->body : "", s->body_len, &pol, NULL) == MA_OK)
				json_object_set_new(o, "policy", ma_mtasts_policy_to_json(&pol));
			ma_mtasts_policy_fini(&pol);
		}
	}
	return o;
}

static json_t *tlsrpt_json(const struct ma_scan *s)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "lookup", lookup_json(&s->rpt));
	json_object_set_new(o, "records", json_integer((json_int_t)s->rpt_found));
	if (s->rpt_found == 1)
		json_object_set_new(o, "record", ma_tlsrpt_record_to_json(&s->rpt_rec));
	return o;
}

static json_t *finding_json(const struct ma_scan *s, size_t i)
{
	const struct ma_finding *f = &s->findings.v[i];
	json_t *prof = json_object();
	if (prof == NULL)
		return NULL;
	for (int p = 0; p < MA_PROFILE_COUNT; p++) {
		enum ma_effect e = ma_profile_effect((enum ma_profile)p, f->def->id, s->parked);
		if (e != MA_EFFECT_NONE)
			json_object_set_new(prof, ma_profile_name((enum ma_profile)p),
			                    json_string(e == MA_EFFECT_FAIL ? "fail" : "advise"));
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "id", f->def->id, "severity",
	                 ma_severity_name(f->def->severity), "message", f->def->message, "detail",
	                 f->detail ? json_string(f->detail) : json_null(), "advice", f->def->advice, "area",
	                 bucket_names[s->farea[i]], "profiles", prof);
}

json_t *ma_scan_to_json(const struct ma_scan *s)
{
	if (s == NULL || !s->done)
		return NULL;
	char when[32] = "";
	struct tm tm;
	time_t t = (time_t)s->now;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *doc = json_object(), *areas = json_object(), *mx = json_array(), *fs = json_array(),
	       *dsec = json_object(), *dmx = json_object();
	bool bad = doc == NULL || areas == NULL || mx == NULL || fs == NULL || dsec == NULL || dmx == NULL;
	for (int a = 0; !bad && a < MA_AREA_COUNT; a++) {
		json_t *e = json_pack("{s:s}", "mark", ma_mark_name(s->marks[a]));
		if (e != NULL && s->mark_reason[a][0] != '\0')
			json_object_set_new(e, "reason", json_string(s->mark_reason[a]));
		bad |= e == NULL || json_object_set_new(areas, ma_scan_area_name((enum ma_scan_area)a), e) != 0;
	}
	for (size_t i = 0; !bad && i < s->nhosts; i++) {
		bad |= json_array_append_new(mx, host_json(&s->hosts[i])) != 0;
		if (!s->hosts[i].implicit)
			json_object_set_new(dmx, s->hosts[i].name, dnssec_json(scan_host_dnssec(&s->hosts[i])));
	}
	for (size_t i = 0; !bad && i < s->findings.n; i++)
		bad |= json_array_append_new(fs, finding_json(s, i)) != 0;
	if (bad) {
		json_decref(doc);
		json_decref(areas);
		json_decref(mx);
		json_decref(fs);
		json_decref(dsec);
		json_decref(dmx);
		return NULL;
	}
	json_object_set_new(dsec, "domain", dnssec_json(scan_domain_dnssec(s)));
	json_object_set_new(dsec, "mx", dmx);
	const char *mxs = !s->mx.done                       ? "unasked"
	                  : lookup_failed(&s->mx)           ? "inconclusive"
	                  : s->null_mx                      ? (s->null_mixed ? "null-mixed" : "null")
	                  : s->mx.status == MA_DNS_NODATA   ? (s->nhosts ? "implicit" : "none")
	                  : s->mx.status == MA_DNS_NXDOMAIN ? "nxdomain"
	                                                    : "published";
	int e = 0;
	e |= json_object_set_new(doc, "domain", json_string(s->domain));
	e |= json_object_set_new(doc, "scanned_at", json_string(when));
	e |= json_object_set_new(doc, "parked", json_boolean(s->parked));
	e |= json_object_set_new(doc, "receives_mail", json_boolean(s->receives));
	e |= json_object_set_new(doc, "areas", areas);
	e |= json_object_set_new(doc, "mx_status", json_string(mxs));
	e |= json_object_set_new(doc, "mx", mx);
	json_t *spf = ma_spf_tree_to_json(s->spf);
	e |= json_object_set_new(doc, "spf", spf ? spf : json_null());
	json_t *dm = dmarc_json(s), *dk = dkim_json(s), *st = mtasts_json(s), *rp = tlsrpt_json(s);
	e |= json_object_set_new(doc, "dmarc", dm ? dm : json_null());
	e |= json_object_set_new(doc, "dkim", dk ? dk : json_null());
	e |= json_object_set_new(doc, "mta_sts", st ? st : json_null());
	e |= json_object_set_new(doc, "tls_rpt", rp ? rp : json_null());
	e |= json_object_set_new(doc, "dnssec", dsec);
	e |= json_object_set_new(doc, "findings", fs);
	if (e != 0 || dm == NULL || dk == NULL || st == NULL || rp == NULL) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
