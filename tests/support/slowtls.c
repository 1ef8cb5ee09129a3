/* tests/support/slowtls.c — hostile HTTPS servers for client tests (see slowtls.h).
 *
 * The listening socket is bound in the test's process before the fork, so the port accepts connections as soon as
 * slowtls_start() returns. The server process forks a handler per connection with blocking I/O: each handler's
 * life is one connection, and a client that gives up makes its next write fail (SIGPIPE ignored), which ends it. */
#include "slowtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct slowtls {
	pid_t pid;
	int port;
};

static const char trickle_response[] = "HTTP/1.1 200 OK\r\n"
                                       "Content-Type: text/plain\r\n"
                                       "Content-Length: 40\r\n"
                                       "Connection: close\r\n"
                                       "\r\n"
                                       "version: STSv1\r\nmode: enforce\r\nmax_age: 1\r\n";

/* Reads the request head (up to a blank line or 8 KiB): the client must have sent its request before we answer. */
static int read_request(SSL *ssl)
{
	char buf[8192];
	size_t n = 0;
	while (n < sizeof buf - 1) {
		int r = SSL_read(ssl, buf + n, (int)(sizeof buf - 1 - n));
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return 0;
}

static void handle(int fd, SSL_CTX *ctx, const struct slowtls_opts *o)
{
	if (o->mode == SLOWTLS_STALL) {
		char c;
		while (read(fd, &c, 1) > 0) /* until the client closes */
			;
		return;
	}
	if (o->mode == SLOWTLS_GARBAGE) {
		static const char junk[] = "220 this is not TLS, nor HTTP\r\n";
		for (int i = 0; i < 20; i++)
			if (write(fd, junk, sizeof junk - 1) < 0)
				return;
		shutdown(fd, SHUT_WR);
		char c;
		while (read(fd, &c, 1) > 0)
			;
		return;
	}
	SSL *ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1 || read_request(ssl) != 0) {
		SSL_free(ssl);
		return;
	}
	if (o->mode == SLOWTLS_TRICKLE) {
		unsigned ms = o->interval_ms ? o->interval_ms : 1000;
		for (size_t i = 0; i < sizeof trickle_response - 1; i++) {
			if (SSL_write(ssl, trickle_response + i, 1) != 1)
				break;
			usleep(ms * 1000);
		}
	} else { /* SLOWTLS_FLOOD */
		static const char head[] =
		    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
		char chunk[16384 + 16];
		int hl = snprintf(chunk, sizeof chunk, "4000\r\n");
		memset(chunk + hl, 'x', 16384);
		memcpy(chunk + hl + 16384, "\r\n", 2);
		int clen = hl + 16384 + 2;
		size_t total = o->total_bytes ? o->total_bytes : (size_t)64 << 20;
		if (SSL_write(ssl, head, (int)sizeof head - 1) > 0)
			for (size_t sent = 0; sent < total; sent += 16384)
				if (SSL_write(ssl, chunk, clen) != clen)
					break;
		SSL_write(ssl, "0\r\n\r\n", 5);
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
}

static void serve(int lfd, const struct slowtls_opts *o)
{
	SSL_CTX *ctx = NULL;
	if (o->mode != SLOWTLS_GARBAGE && o->mode != SLOWTLS_STALL) {
		ctx = SSL_CTX_new(TLS_server_method());
		if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1) {
			ERR_print_errors_fp(stderr);
			_exit(1);
		}
	}
	signal(SIGCHLD, SIG_IGN); /* handlers are reaped by the kernel */
	pid_t server = getpid();
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != server)
				_exit(0);
			close(lfd);
			handle(fd, ctx, o);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

struct slowtls *slowtls_start(const struct slowtls_opts *o)
{
	if (o == NULL || o->port < 0 ||
	    ((o->mode == SLOWTLS_TRICKLE || o->mode == SLOWTLS_FLOOD) && (o->cert == NULL || o->key == NULL))) {
		fprintf(stderr, "slowtls: bad options\n");
		return NULL;
	}
	const char *addr = o->addr ? o->addr : "127.0.0.1";
	int span = o->port == 0 && o->port_lo > 0 && o->port_hi >= o->port_lo ? o->port_hi - o->port_lo + 1 : 0;
	int lfd = -1, port = -1;
	for (int i = 0; i < (span ? span : 1) && lfd < 0; i++) {
		port = o->port ? o->port
		       : span  ? o->port_lo + (int)(((unsigned)getpid() * 7u + (unsigned)i) % (unsigned)span)
		               : 0;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 256) == 0) {
			socklen_t sl = sizeof sa;
			getsockname(fd, (struct sockaddr *)&sa, &sl);
			port = ntohs(sa.sin_port);
			lfd = fd;
		} else {
			close(fd);
		}
	}
	if (lfd < 0) {
		fprintf(stderr, "slowtls: cannot listen on %s (port %d): %s\n", addr, o->port, strerror(errno));
		return NULL;
	}
	struct slowtls *s = calloc(1, sizeof *s);
	if (s == NULL) {
		close(lfd);
		return NULL;
	}
	s->port = port;
	pid_t parent = getpid();
	s->pid = fork();
	if (s->pid < 0) {
		close(lfd);
		free(s);
		return NULL;
	}
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGPIPE, SIG_IGN);
		serve(lfd, o);
		_exit(0);
	}
	close(lfd);
	return s;
}

int slowtls_port(const struct slowtls *s)
{
	return s->port;
}

void slowtls_stop(struct slowtls *s)
{
	if (s == NULL)
		return;
	/* The handlers die with the server (their PR_SET_PDEATHSIG). */
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	free(s);
}
