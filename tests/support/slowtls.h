/* tests/support/slowtls.h — a hostile HTTPS server on loopback for client tests (OpenSSL): one that trickles its
 * response, floods an endless chunked body, stalls before the handshake, or speaks plain text on a TLS port.
 *
 * It runs in a forked process (one more per connection), listening before slowtls_start() returns, and dies with
 * the test (PR_SET_PDEATHSIG) or at slowtls_stop(). */
#ifndef MA_TEST_SLOWTLS_H
#define MA_TEST_SLOWTLS_H

#include <stddef.h>

enum slowtls_mode {
	SLOWTLS_TRICKLE, /* handshake, read the request, then a valid 200 response one byte per interval_ms */
	SLOWTLS_FLOOD,   /* handshake, then "200, chunked" and chunks as fast as the client reads, up to total_bytes */
	SLOWTLS_STALL,   /* accept the TCP connection and say nothing (the client's handshake waits) */
	SLOWTLS_GARBAGE, /* no TLS: plain-text lines, then close */
};

struct slowtls_opts {
	const char *addr; /* IPv4 literal; default "127.0.0.1" */
	int port; /* 0: the first free port of [port_lo, port_hi] (from a per-process offset), else the kernel's */
	int port_lo, port_hi;
	const char *cert; /* PEM chain and key, for the TLS modes */
	const char *key;
	enum slowtls_mode mode;
	unsigned interval_ms; /* TRICKLE: between bytes; 0: 1000 */
	size_t total_bytes;   /* FLOOD: body bytes before the server gives up; 0: 64 MiB */
};

struct slowtls;

/* NULL (and why on stderr) on failure. */
struct slowtls *slowtls_start(const struct slowtls_opts *opts);
int slowtls_port(const struct slowtls *s);
void slowtls_stop(struct slowtls *s);

#endif
