/* src/lib/profile.h — grading profiles: what a finding means under a standard.
 *
 * One scan, any profile: grading reads only the scan's result document (lib/scan.h), so a stored scan is re-graded
 * without rescanning. Profiles: "uk-gov" (shared/standards/uk-gov-email-security.md), "nl-ncsc" (internet.nl's mail
 * test and the NCSC-NL TLS guidelines), "bod-18-01" (CISA Binding Operational Directive 18-01). */
#ifndef MA_PROFILE_H
#define MA_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum ma_profile { MA_PROFILE_UK_GOV, MA_PROFILE_NL_NCSC, MA_PROFILE_BOD_18_01, MA_PROFILE_COUNT };

enum ma_effect {
	MA_EFFECT_NONE = 0, /* the profile does not care */
	MA_EFFECT_ADVISE,   /* the profile recommends against it: a warning, the domain still passes */
	MA_EFFECT_FAIL,     /* the domain fails the profile */
};

const char *ma_profile_name(enum ma_profile p);
int ma_profile_from_name(const char *name, enum ma_profile *out); /* MA_ERR_INVAL for an unknown name */
/* What finding `id` means under profile p (a finding may depend on whether the domain is parked). */
enum ma_effect ma_profile_effect(enum ma_profile p, const char *id, bool parked);

/* Grade a scan result document: {"profile","pass":bool,"fail":[ids],"advise":[ids],"inconclusive":[areas],
 * "not_graded":[areas]}; NULL on ENOMEM or a document without "findings". *pass false when any finding fails the
 * profile or an area the profile requires is inconclusive. "not_graded" lists required areas the scan skipped
 * (mx-tls with --no-tls): they neither pass nor fail the domain. Repeated IDs are listed once. */
json_t *ma_profile_grade(enum ma_profile p, const json_t *scan_result, bool *pass);

#endif
