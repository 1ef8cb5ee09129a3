/* src/lib/scan_impl.h — the inside of struct ma_scan, shared by the scan_*.c files (not a public header).
 *
 * Each line of enquiry keeps the raw facts its answers gave (statuses, DNSSEC verdicts, record text); findings and
 * marks are computed once, when every answer is in (scan_judge.c), so the order answers arrive in cannot change the
 * result. */
#ifndef MA_SCAN_IMPL_H
#define MA_SCAN_IMPL_H

#include "lib/dkim.h"
#include "lib/dmarc.h"
#include "lib/mtasts.h"
#include "lib/scan.h"
#include "lib/spf.h"
#include "lib/tlsrpt.h"

/* Who asked a question, so its answer goes back to the right line of enquiry. */
enum scan_owner {
	OWN_MX,
	OWN_DOMAIN_A, /* implicit MX (RFC 5321 5.1) */
	OWN_DOMAIN_AAAA,
	OWN_HOST_A,
	OWN_HOST_AAAA,
	OWN_HOST_TLSA,
	OWN_SPF,
	OWN_DMARC,
	OWN_REPORT_AUTH,      /* <policy>._report._dmarc.<dest> */
	OWN_REPORT_AUTH_WILD, /* *._report._dmarc.<dest> */
	OWN_DKIM,
	OWN_DKIM_WILD, /* *._domainkey.<domain> (parked-domain rule) */
	OWN_MTASTS_TXT,
	OWN_MTASTS_A,
	OWN_MTASTS_AAAA,
	OWN_MTASTS_HTTPS,
	OWN_TLSRPT,
};

struct scan_need {
	struct ma_scan_need n;
	enum scan_owner owner;
	size_t idx; /* which host, selector or destination */
	bool handed, answered;
};

/* What one lookup gave: enough to judge it and to say why it was inconclusive. */
struct lookup {
	bool done;
	enum ma_dns_status status;
	enum ma_dnssec dnssec;
};

/* Sub-areas that can be inconclusive; the reason kept is the smallest string, so it does not depend on the order
 * answers arrived in. */
enum scan_bucket {
	B_MX,
	B_SPF,
	B_DMARC,
	B_DKIM,
	B_MTASTS,
	B_TLSRPT,
	B_DNSSEC,
	B_MXTLS,
	B_COUNT,
};

#define SCAN_REASON_MAX (MA_DNS_NAME_MAX + 96)
#define SCAN_HOST_ADDRS 16 /* addresses kept per MX host (A and AAAA together) */
#define SCAN_TLSA_MAX 8    /* TLSA records kept per MX host */

struct scan_tlsa {
	uint8_t usage, selector, mtype;
	bool malformed;
	uint8_t data[64]; /* SHA-256 / SHA-512 digests; full certificates (mtype 0) are kept by length only */
	size_t len;
};

struct scan_host {
	char name[MA_DNS_NAME_MAX + 1]; /* lower-cased */
	uint16_t pref;
	bool implicit; /* the domain itself, no MX published */
	struct lookup a, aaaa, tlsa;
	char addrs[SCAN_HOST_ADDRS][46];
	size_t naddrs;
	struct scan_tlsa tlsa_rr[SCAN_TLSA_MAX];
	size_t ntlsa;
};

enum sel_source { SEL_GIVEN, SEL_COMMON };

struct scan_sel {
	char name[MA_DNS_NAME_MAX + 1];
	enum sel_source source;
	struct lookup l;
	char *text; /* owned: the first TXT record that looks like a DKIM key, NUL-terminated copy */
	size_t len;
	bool other_txt; /* TXT records present, none a DKIM key */
	bool malformed;
};

struct scan_dest {
	struct ma_dmarc_report_dest d;
	struct lookup exact, wild;
	enum ma_dmarc_auth exact_v, wild_v;
};

struct ma_scan {
	char domain[MA_DNS_NAME_MAX + 1]; /* lower-cased, no trailing dot */
	bool common_selectors, no_tls;
	int64_t now;
	const psl_ctx_t *psl;
	int err; /* a sub-machine's operation error, reported by the next step */

	struct scan_need *needs;
	size_t nneeds, capneeds;
	uint32_t next_id;

	/* MX */
	struct lookup mx;
	bool null_mx, null_mixed, mx_malformed;
	size_t mx_total;                     /* distinct hosts published, before the cap */
	char mx_bad[4][MA_DNS_NAME_MAX + 1]; /* IP-literal exchanges, reported */
	size_t nmx_bad;
	struct lookup dom_a, dom_aaaa;
	struct scan_host *hosts;
	size_t nhosts;

	/* Domain DNSSEC, merged over the answers for the domain's own name */
	bool dsec_secure, dsec_insecure, dsec_bogus, dsec_unchecked;

	/* SPF */
	struct ma_spf_tree *spf;
	bool spf_done;

	/* DMARC */
	struct ma_dmarc_discover *dmarc;
	bool dmarc_done;
	struct ma_dmarc_report_dest *rawdests;
	struct scan_dest *dests;
	size_t ndests;

	/* DKIM */
	struct scan_sel *sels;
	size_t nsels;
	struct scan_sel wild;

	/* MTA-STS */
	struct lookup sts_txt, sts_a, sts_aaaa;
	struct ma_mtasts_txt txt;
	size_t txt_found;
	bool txt_malformed;
	struct ma_findings txt_findings;
	char sts_addrs[MA_SCAN_ADDRS_MAX][46];
	size_t sts_naddrs;
	bool https_asked, https_done;
	enum ma_https_status https_status;
	int http_status;
	char *content_type, *body, *https_why;
	size_t body_len;

	/* TLS-RPT */
	struct lookup rpt;
	struct ma_tlsrpt_record rpt_rec;
	size_t rpt_found;
	bool rpt_malformed;
	struct ma_findings rpt_findings;

	/* Inconclusive reasons per bucket */
	char reason[B_COUNT][SCAN_REASON_MAX];

	/* The judgement, made once all answers are in */
	bool done, parked, receives;
	struct ma_findings findings;
	enum scan_bucket *farea; /* the bucket of each finding, parallel to findings.v */
	enum ma_mark marks[MA_AREA_COUNT];
	char mark_reason[MA_AREA_COUNT][SCAN_REASON_MAX];
};

/* scan.c */
int scan_ask_dns(struct ma_scan *s, enum scan_owner owner, size_t idx, const char *name, uint16_t type);
void scan_inconclusive(struct ma_scan *s, enum scan_bucket b, const char *name, uint16_t type,
                       const struct ma_dns_answer *a);
void lookup_set(struct lookup *l, const struct ma_dns_answer *a);
bool lookup_failed(const struct lookup *l); /* temporary, bogus or malformed */
bool answer_failed(const struct ma_dns_answer *a);

/* scan_mx.c: MX, host addresses, TLSA */
int scan_mx_start(struct ma_scan *s);
int scan_mx_answer(struct ma_scan *s, enum scan_owner owner, size_t idx, const struct ma_dns_question *q,
                   const struct ma_dns_answer *a);

/* scan_records.c: SPF, DMARC, DKIM, MTA-STS, TLS-RPT */
int scan_records_start(struct ma_scan *s, const char *const *selectors, size_t nselectors);
int scan_records_answer(struct ma_scan *s, enum scan_owner owner, size_t idx, const struct ma_dns_question *q,
                        const struct ma_dns_answer *a);
int scan_https_answer(struct ma_scan *s, const struct ma_https_result *res);
void scan_records_fini(struct ma_scan *s);

/* scan_judge.c: findings, marks, parked */
int scan_judge(struct ma_scan *s);
int scan_domain_dnssec(const struct ma_scan *s); /* enum ma_dnssec, or -1 when no usable answer came */
int scan_host_dnssec(const struct scan_host *h); /* the same over a host's address answers */

#endif
