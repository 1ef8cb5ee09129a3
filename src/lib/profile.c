/* src/lib/profile.c — grading profiles: what each finding ID means under a standard (docs/profiles.md).
 *
 * A profile is a table of finding IDs with their effect on a domain that handles mail and on a parked one. Grading
 * reads only the scan's result document (its findings, "parked" and area marks), so a stored scan is re-graded
 * with today's tables without rescanning. The MX TLS items (STARTTLS, protocol versions, weak ciphers) come with
 * the TLS probe's findings. */
#include "lib/profile.h"

#include <string.h>

#include "lib/err.h"

#define N MA_EFFECT_NONE
#define A MA_EFFECT_ADVISE
#define F MA_EFFECT_FAIL

struct rule {
	const char *id;
	enum ma_effect normal, parked;
};

/* Broken records: every profile fails a domain whose records receivers cannot use at all. */
#define BROKEN_SPF                                                                                                     \
	{"spf.record.missing", F, F}, {"spf.record.multiple", F, F}, {"spf.record.syntax", F, F},                      \
	    {"spf.record.not-spf", F, F}, {"spf.record.too-long", F, F}, {"spf.record.too-many-terms", F, F},          \
	    {"spf.lookups.over-limit", F, F}, {"spf.void.over-limit", F, F}, {"spf.include.loop", F, F},               \
	    {"spf.include.no-record", F, F}, {"spf.include.invalid", F, F}, {"spf.redirect.no-record", F, F},          \
	    {"spf.mx.too-many", F, F},                                                                                 \
	{                                                                                                              \
		"spf.all.pass", F, F                                                                                   \
	}
#define BROKEN_DMARC                                                                                                   \
	{"dmarc.discovery.none", F, F}, {"dmarc.discovery.multiple", F, F}, {"dmarc.discovery.bogus", F, F},           \
	    {"dmarc.discovery.malformed", F, F}, {"dmarc.record.empty", F, F}, {"dmarc.record.not-dmarc", F, F},       \
	    {"dmarc.record.version-invalid", F, F}, {"dmarc.record.too-long", F, F},                                   \
	    {"dmarc.record.too-many-tags", F, F}, {"dmarc.policy.missing", F, F}, {"dmarc.policy.as-none", F, F},      \
	{                                                                                                              \
		"dmarc.policy.none", F, F                                                                              \
	}
#define BROKEN_DNS                                                                                                     \
	{"scan.mx.nxdomain", F, F}, {"scan.mx.null-mixed", F, F},                                                      \
	{                                                                                                              \
		"scan.dnssec.bogus", F, F                                                                              \
	}

/* UK government email security standard (shared/standards/uk-gov-email-security.md). */
static const struct rule uk_gov[] = {
    BROKEN_SPF,
    BROKEN_DMARC,
    BROKEN_DNS,
    /* SPF: ends in -all or ~all, no ptr, advise above 6 lookups and over 450 bytes. */
    {"spf.all.neutral", F, F},
    {"spf.all.missing", F, F},
    {"spf.ptr.used", F, F},
    {"spf.lookups.high", A, A},
    {"spf.record.long", A, A},
    {"spf.redirect.ignored", A, A},
    {"spf.terms.after-all", A, A},
    {"spf.ip.broad", A, A},
    /* DMARC: p and sp at quarantine or reject, pct=100, rua to the central service, at most two mailto rua,
     * no ruf to the central service, one record at _dmarc.<domain>. */
    {"dmarc.tag.duplicate", F, F},
    {"dmarc.tag.invalid", F, F},
    {"dmarc.pct.partial", F, F},
    {"scan.dmarc.sp-none", F, F},
    {"dmarc.sp.weaker", A, A},
    {"dmarc.np.weaker", A, A},
    {"dmarc.testing", A, A},
    {"dmarc.rua.missing", F, F},
    {"scan.dmarc.rua-no-uk-central", F, F},
    {"dmarc.rua.too-many", A, A},
    {"dmarc.uri.not-mailto", A, A},
    {"dmarc.uri.invalid", F, F},
    {"dmarc.uri.mailto-invalid", F, F},
    {"dmarc.ruf.central-service", F, F},
    {"dmarc.discovery.inherited", A, A},
    {"dmarc.discovery.disagree", A, A},
    {"dmarc.report.external-unauthorized", A, A},
    {"dmarc.tag.p-not-second", A, A},
    /* DKIM: RSA at least 2048 bits (warn 1024-2047, fail below), keys usable. */
    {"dkim.key.rsa-weak", F, F},
    {"dkim.key.rsa-short", A, A},
    {"dkim.key.invalid", F, F},
    {"dkim.key.base64-invalid", F, F},
    {"dkim.key.missing", F, F},
    {"dkim.key.type-unknown", F, F},
    {"dkim.key.type-mismatch", F, F},
    {"dkim.hash.sha1-only", F, F},
    {"dkim.service.not-email", A, A},
    {"dkim.flag.testing", A, A},
    {"scan.dkim.selector-missing", A, A},
    /* MTA-STS (receiving domains; a parked domain gets no scan.mtasts.none). */
    {"scan.mtasts.none", F, N},
    {"scan.mtasts.host-no-address", F, F},
    {"scan.mtasts.policy-unreachable", F, F},
    {"scan.mtasts.policy-tls", F, F},
    {"scan.mtasts.policy-missing", F, F},
    {"scan.mtasts.policy-http-status", F, F},
    {"scan.mtasts.policy-too-big", F, F},
    {"scan.mtasts.policy-protocol", F, F},
    {"scan.mtasts.policy-without-txt", F, F},
    {"scan.mtasts.mx-not-covered", A, A},
    {"scan.mtasts.mx-not-covered-enforce", F, F},
    {"scan.mtasts.content-type", A, A},
    {"mta-sts.txt.version", F, F},
    {"mta-sts.txt.syntax", F, F},
    {"mta-sts.txt.id-missing", F, F},
    {"mta-sts.txt.id-invalid", F, F},
    {"mta-sts.txt.multiple", F, F},
    {"mta-sts.policy.syntax", F, F},
    {"mta-sts.policy.version-missing", F, F},
    {"mta-sts.policy.version-invalid", F, F},
    {"mta-sts.policy.mode-missing", F, F},
    {"mta-sts.policy.mode-invalid", F, F},
    {"mta-sts.policy.max-age-missing", F, F},
    {"mta-sts.policy.max-age-invalid", F, F},
    {"mta-sts.policy.mx-missing", F, F},
    {"mta-sts.policy.mx-invalid", F, F},
    {"mta-sts.policy.max-age-short", A, A},
    {"mta-sts.policy.lf", A, A},
    {"mta-sts.policy.mode-none", A, A},
    /* TLS-RPT. */
    {"scan.tlsrpt.none", F, N},
    {"tlsrpt.record.version", F, F},
    {"tlsrpt.record.syntax", F, F},
    {"tlsrpt.record.multiple", F, F},
    {"tlsrpt.rua.missing", F, F},
    {"tlsrpt.rua.invalid", F, F},
    /* MX. */
    {"scan.mx.host-no-address", A, A},
    {"scan.mx.implicit", A, A},
    /* Parked domains: v=spf1 -all, DMARC reject/strict, revoked *._domainkey, null MX. */
    {"scan.parked.spf", F, F},
    {"scan.parked.dmarc", F, F},
    {"scan.parked.dkim", F, F},
    {"scan.parked.null-mx", F, F},
    {NULL, N, N},
};

/* internet.nl's mail test (NCSC-NL): SPF and DMARC present and sufficiently strict, DKIM present, DNSSEC for the
 * domain and its MX domains, DANE for every MX, STARTTLS per the NCSC-NL TLS guidelines (with the TLS probe). For
 * a domain with a null MX, SPF -all and DMARC p=reject are what counts; DKIM and DANE do not apply. */
static const struct rule nl_ncsc[] = {
    BROKEN_SPF,
    BROKEN_DMARC,
    BROKEN_DNS,
    {"spf.all.neutral", F, F},
    {"spf.all.missing", F, F},
    {"spf.ptr.used", A, A},
    {"dmarc.tag.invalid", F, F},
    {"scan.dmarc.sp-none", F, F},
    {"dmarc.pct.partial", A, A},
    {"dmarc.testing", A, A},
    {"dmarc.report.external-unauthorized", F, F},
    {"dmarc.discovery.disagree", A, A},
    {"scan.dkim.unknown", A, N},
    {"scan.dkim.selector-missing", A, N},
    {"dkim.key.rsa-weak", F, F},
    {"dkim.key.rsa-short", A, A},
    {"dkim.key.invalid", F, F},
    {"dkim.key.base64-invalid", F, F},
    {"dkim.hash.sha1-only", F, F},
    {"scan.dnssec.unsigned", F, F},
    {"scan.dnssec.mx-unsigned", F, F},
    {"scan.dnssec.mx-bogus", F, F},
    {"scan.tlsa.none", F, N},
    {"scan.tlsa.insecure", F, N},
    {"scan.tlsa.malformed", F, F},
    {"scan.tlsa.pkix-usage", A, A},
    {"scan.tlsrpt.none", A, N},
    {"scan.mx.host-no-address", F, F},
    {"scan.mx.implicit", A, A},
    {"scan.parked.spf", F, F},
    {"scan.parked.dmarc", F, F},
    {"scan.parked.dkim", A, A},
    {"scan.parked.null-mx", A, A},
    {NULL, N, N},
};

/* CISA BOD 18-01: valid SPF, DMARC p=reject with pct=100 and rua to CISA, STARTTLS without SSLv2/SSLv3/3DES/RC4
 * (with the TLS probe). */
static const struct rule bod_18_01[] = {
    BROKEN_SPF,
    BROKEN_DMARC,
    BROKEN_DNS,
    {"dmarc.tag.invalid", F, F},
    {"scan.dmarc.not-reject", F, F},
    {"dmarc.testing", F, F},
    {"dmarc.pct.partial", F, F},
    {"dmarc.rua.missing", F, F},
    {"scan.dmarc.rua-no-cisa", F, F},
    {"dmarc.sp.weaker", A, A},
    {"scan.dmarc.sp-none", A, A},
    {"dmarc.report.external-unauthorized", A, A},
    {"spf.all.neutral", A, A},
    {"spf.ptr.used", A, A},
    {"scan.parked.dmarc", F, F},
    {"scan.parked.spf", A, A},
    {NULL, N, N},
};

static const struct {
	const char *name;
	const struct rule *rules;
	unsigned required; /* bits of areas (lib/scan.h enum ma_scan_area) that must not be inconclusive */
} profiles[MA_PROFILE_COUNT] = {
    [MA_PROFILE_UK_GOV] = {"uk-gov", uk_gov,
                           1u << 0 | 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 6}, /* all but DNSSEC */
    [MA_PROFILE_NL_NCSC] = {"nl-ncsc", nl_ncsc, 1u << 0 | 1u << 1 | 1u << 2 | 1u << 5 | 1u << 6},
    [MA_PROFILE_BOD_18_01] = {"bod-18-01", bod_18_01, 1u << 0 | 1u << 1 | 1u << 6},
};

/* The area names of lib/scan.h, in its order (kept here so profile.c reads documents without a scan). */
static const char *const area_names[] = {"spf", "dmarc", "dkim", "mta-sts", "tls-rpt", "dnssec", "mx-tls"};

const char *ma_profile_name(enum ma_profile p)
{
	return (unsigned)p < MA_PROFILE_COUNT ? profiles[p].name : "unknown";
}

int ma_profile_from_name(const char *name, enum ma_profile *out)
{
	for (int i = 0; name != NULL && i < MA_PROFILE_COUNT; i++) {
		if (strcmp(name, profiles[i].name) == 0) {
			*out = (enum ma_profile)i;
			return MA_OK;
		}
	}
	return MA_ERR_INVAL;
}

enum ma_effect ma_profile_effect(enum ma_profile p, const char *id, bool parked)
{
	if ((unsigned)p >= MA_PROFILE_COUNT || id == NULL)
		return N;
	for (const struct rule *r = profiles[p].rules; r->id != NULL; r++)
		if (strcmp(r->id, id) == 0)
			return parked ? r->parked : r->normal;
	return N;
}

static bool listed(const json_t *arr, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

json_t *ma_profile_grade(enum ma_profile p, const json_t *scan_result, bool *pass)
{
	*pass = false;
	const json_t *findings = json_object_get(scan_result, "findings");
	if ((unsigned)p >= MA_PROFILE_COUNT || !json_is_array(findings))
		return NULL;
	bool parked = json_is_true(json_object_get(scan_result, "parked"));
	json_t *fail = json_array(), *advise = json_array(), *inconc = json_array(), *skipped = json_array();
	json_t *out = json_object();
	bool bad = fail == NULL || advise == NULL || inconc == NULL || skipped == NULL || out == NULL;
	size_t i;
	const json_t *f;
	json_array_foreach(findings, i, f)
	{
		const char *id = json_string_value(json_object_get(f, "id"));
		if (bad || id == NULL)
			continue;
		enum ma_effect e = ma_profile_effect(p, id, parked);
		json_t *to = e == F ? fail : e == A ? advise : NULL;
		if (to != NULL && !listed(to, id))
			bad |= json_array_append_new(to, json_string(id)) != 0;
	}
	const json_t *areas = json_object_get(scan_result, "areas");
	for (unsigned a = 0; !bad && a < sizeof area_names / sizeof *area_names; a++) {
		if (!(profiles[p].required & (1u << a)))
			continue;
		const char *mark = json_string_value(json_object_get(json_object_get(areas, area_names[a]), "mark"));
		if (mark == NULL)
			continue;
		if (strcmp(mark, "inconclusive") == 0)
			bad |= json_array_append_new(inconc, json_string(area_names[a])) != 0;
		else if (strcmp(mark, "skipped") == 0)
			bad |= json_array_append_new(skipped, json_string(area_names[a])) != 0;
	}
	if (bad) {
		json_decref(fail);
		json_decref(advise);
		json_decref(inconc);
		json_decref(skipped);
		json_decref(out);
		return NULL;
	}
	*pass = json_array_size(fail) == 0 && json_array_size(inconc) == 0;
	json_object_set_new(out, "profile", json_string(profiles[p].name));
	json_object_set_new(out, "pass", json_boolean(*pass));
	json_object_set_new(out, "fail", fail);
	json_object_set_new(out, "advise", advise);
	json_object_set_new(out, "inconclusive", inconc);
	json_object_set_new(out, "not_graded", skipped);
	return out;
}
