/* src/lib/dns_msg.h — a DNS wire message (RFC 1035 4.1) parsed into the struct ma_dns_answer the evaluators take.
 *
 * The scanner's engine gets each answer from libunbound as the reply packet plus the validator's verdict; this
 * turns it into the same answer net/resolver.c builds from a struct ub_result: the records of the asked type at
 * the end of the CNAME chain that starts at the question's name, names in their rdata uncompressed, and every
 * outcome a distinct status. Everything in the packet is treated as hostile: compression pointers must point
 * strictly backwards and are counted, record counts and sizes are checked against the bytes present, CNAME
 * chains are bounded and loops detected, and a message with the TC bit set is never read as complete. */
#ifndef MA_DNS_MSG_H
#define MA_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"

#define MA_DNS_MSG_LEN_MAX 65535 /* RFC 1035 4.2.2: the TCP length prefix is 16 bits */
#define MA_DNS_MSG_RR_MAX 4096   /* records of the asked type handed on (as net/resolver.c); more is hostile */
#define MA_DNS_MSG_CNAME_MAX 16  /* CNAMEs followed from the question's name (unbound itself stops earlier) */
#define MA_DNS_MSG_JUMPS_MAX 64  /* compression pointers followed in one name (a name has at most 127 labels) */

struct ma_dns_msg {
	/* The result of the last ma_dns_msg_parse. It points into this struct and into the packet: it stays valid
	 * while both do, until the next parse or fini. */
	struct ma_dns_answer ans;
	uint8_t rcode; /* the header's RCODE (RFC 1035 4.1.1) */
	size_t cnames; /* CNAMEs followed to reach the records */
	char why[256]; /* ans.why points here when set */
	/* private */
	struct ma_dns_rdata *rr;
	size_t rrcap;
	uint8_t *rdbuf; /* rdata with compressed names written out */
	size_t rdcap;
	struct ma_dns_msg_rec *recs;
	size_t reccap;
};

struct ma_dns_msg_in {
	const uint8_t *pkt; /* the reply message; may be NULL when len is 0 */
	size_t len;
	const struct ma_dns_question *q; /* what was asked (class IN) */
	/* The validator's verdict on the message: MA_DNSSEC_UNCHECKED when validation is off, else INSECURE,
	 * SECURE or BOGUS. A bogus message is never read (RFC 4035 5.5): its status is MA_DNS_BOGUS. */
	enum ma_dnssec verdict;
	const char *why_bogus; /* the validator's reason for BOGUS, may be NULL */
};

void ma_dns_msg_init(struct ma_dns_msg *m);
void ma_dns_msg_fini(struct ma_dns_msg *m);

/* Parse in->pkt as the answer to in->q into m->ans. DNS outcomes are statuses, never errors:
 *   ANSWER     the records of q->type at the end of the CNAME chain from q->name (count >= 1); for q->type CNAME
 *              the CNAME records at q->name themselves
 *   NODATA / NXDOMAIN   RCODE 0 / 3 with no such records (after the chain, as a resolver reports them)
 *   SERVFAIL   any other RCODE (why names it)
 *   BOGUS      in->verdict was MA_DNSSEC_BOGUS (why: in->why_bogus)
 *   MALFORMED  not a response, for another question, truncated (TC set, or counts running past the bytes), a bad
 *              name or compression pointer, a CNAME loop or chain over MA_DNS_MSG_CNAME_MAX, several CNAMEs at one
 *              name (RFC 2181 10.1), rdata of the wrong size, more than MA_DNS_MSG_RR_MAX records (why says which)
 * ans.dnssec is in->verdict for ANSWER, NODATA and NXDOMAIN, MA_DNSSEC_BOGUS for BOGUS and MA_DNSSEC_UNCHECKED
 * otherwise. Returns MA_OK, MA_ERR_INVAL when q->name is not a valid name, or MA_ERR_NOMEM. */
int ma_dns_msg_parse(struct ma_dns_msg *m, const struct ma_dns_msg_in *in);

#endif
