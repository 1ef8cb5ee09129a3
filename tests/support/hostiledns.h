/* tests/support/hostiledns.h — a deliberately hostile DNS server on loopback (UDP and TCP, in a thread) for the
 * engine's and the scanner's bad-input tests.
 *
 * It serves the zone "hostile." and picks its behaviour from the label just left of "hostile." in the question's
 * name, so a whole domain (and every name under it: _dmarc.X.hostile, _mta-sts.X.hostile ...) misbehaves the same
 * way. Labels and what they do:
 *   good       a sane domain: MX 10 mx.good.hostile (with an A), TXT "v=spf1 -all", _dmarc "v=DMARC1; p=reject"
 *   many       A: 2,000 records, MX: 300 hosts (each with one A), TXT: 300 SPF-looking records — too big for
 *              UDP, so TC=1 there and the whole answer over TCP
 *   toomany    TXT: 4,500 one-octet records (over the parser's 4,096 cap), over TCP
 *   chain      CNAME chain c0 -> c1 -> ... -> c40 (each link answered alone, so the resolver follows it); any
 *              other name under it (_dmarc.chain.hostile) starts at c1
 *   loop       CNAME loop: every name -> l2.loop.hostile -> loop.hostile -> l2.loop.hostile
 *   split      TXT records split into 1-octet character-strings (SPF at the apex, DMARC at _dmarc)
 *   binary     TXT with non-UTF-8 octets and a NUL inside
 *   tcclose    UDP: TC=1 with no records; TCP: the connection is closed at once
 *   tcgarbage  UDP: TC=1; TCP: a length prefix followed by random octets
 *   servfail   RCODE 2;  refused  RCODE 5
 *   silent     no answer at all (the query times out)
 *   slow       the right answer (TXT "v=spf1 -all" at the apex, NXDOMAIN below), 1.5 s late, over UDP
 *   ptrloop    an answer whose owner name is a compression pointer to itself
 *   wrongid    the right answer with the wrong message ID (a spoofing attempt: it must be ignored)
 * Anything else under hostile. is NXDOMAIN, with an SOA in the authority section (RFC 2308). */
#ifndef MA_TEST_HOSTILEDNS_H
#define MA_TEST_HOSTILEDNS_H

struct hostiledns;

/* Listen on addr (NULL: 127.0.20.1) at the first port from first_port (0: 20100) where UDP and TCP both bind, up
 * to 20999. Returns NULL (and prints why) on failure. */
struct hostiledns *hostiledns_start(const char *addr, int first_port);
/* "ADDR@PORT", as ma_engine_opts.server takes it. */
const char *hostiledns_addr(const struct hostiledns *h);
/* Questions received (UDP and TCP), for tests that count retries. */
unsigned hostiledns_queries(const struct hostiledns *h, const char *label);
void hostiledns_stop(struct hostiledns *h);

#endif
