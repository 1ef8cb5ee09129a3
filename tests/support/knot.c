/* tests/support/knot.c — runs a real knot authoritative server on loopback for integration tests (see knot.h).
 *
 * Signed zones get a combined signing key made with keymgr before knotd starts, so the runner knows every DS up
 * front: a signed zone whose parent is served and signed gets its delegation (NS) and DS in the parent, which makes
 * the chain of trust real; the others' DS records go to the trust-anchor file. A `bogus` zone gets a DS whose digest
 * is wrong, so a validating resolver answers bogus for it (RFC 4035 5.5). */
#include "knot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/dns.h"

struct knot_server {
	pid_t pid;
	int port;
	char dir[512];
	char addr[64];
	char ta[600];
	bool have_ta;
};

static const char *knotd_path(void)
{
	static const char *const cands[] = {"/usr/sbin/knotd", "/usr/local/sbin/knotd", "/usr/bin/knotd"};
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

static const char *keymgr_path(void)
{
	static const char *const cands[] = {"/usr/sbin/keymgr", "/usr/local/sbin/keymgr", "/usr/bin/keymgr"};
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

bool knot_available(void)
{
	return knotd_path() != NULL && keymgr_path() != NULL;
}

/* "example.com." / "example.com" / "." -> canonical lower-case with trailing dot. */
static void canon(const char *in, char *out, size_t outsz)
{
	size_t n = 0;
	for (; *in && n + 2 < outsz; in++)
		out[n++] = (*in >= 'A' && *in <= 'Z') ? (char)(*in + 32) : *in;
	if (n == 0 || out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
	if (strcmp(out, "..") == 0)
		out[1] = '\0';
}

/* True when child is a proper subdomain of parent (both canonical). */
static bool is_below(const char *child, const char *parent)
{
	if (strcmp(parent, ".") == 0)
		return strcmp(child, ".") != 0;
	size_t cl = strlen(child), pl = strlen(parent);
	return cl > pl && child[cl - pl - 1] == '.' && strcmp(child + cl - pl, parent) == 0;
}

static int free_port(const char *addr)
{
	/* A port free for both UDP and TCP right now; knotd binds it moments later. */
	for (int attempt = 0; attempt < 20; attempt++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		if (u < 0 || bind(u, (struct sockaddr *)&sa, sizeof sa) != 0) {
			if (u >= 0)
				close(u);
			return -1;
		}
		socklen_t sl = sizeof sa;
		getsockname(u, (struct sockaddr *)&sa, &sl);
		int t = socket(AF_INET, SOCK_STREAM, 0);
		int ok = t >= 0 && bind(t, (struct sockaddr *)&sa, sizeof sa) == 0;
		if (t >= 0)
			close(t);
		close(u);
		if (ok)
			return ntohs(sa.sin_port);
	}
	return -1;
}

static int run_capture(char *const argv[], char *out, size_t outsz)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fds[0], out + n, outsz - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n + 1 >= outsz)
			break;
	}
	out[n] = '\0';
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One SOA query over UDP; true when the server answers it authoritatively (with an RRSIG when `want_sig`). */
static bool soa_ready(const char *addr, int port, const char *zone, bool want_sig)
{
	uint8_t q[512], r[4096];
	size_t n = 0;
	uint16_t id = (uint16_t)(getpid() ^ (unsigned)time(NULL));
	q[n++] = (uint8_t)(id >> 8);
	q[n++] = (uint8_t)id;
	q[n++] = 0; /* QUERY, RD=0 */
	q[n++] = 0;
	q[n++] = 0, q[n++] = 1; /* QDCOUNT */
	q[n++] = 0, q[n++] = 0;
	q[n++] = 0, q[n++] = 0;
	q[n++] = 0, q[n++] = 1; /* ARCOUNT: OPT */
	int w = ma_dns_name_encode(zone, q + n, sizeof q - n - 32);
	if (w < 0)
		return false;
	n += (size_t)w;
	q[n++] = 0, q[n++] = 6; /* SOA */
	q[n++] = 0, q[n++] = 1; /* IN */
	/* OPT RR (RFC 6891) with the DO bit (RFC 3225) so signatures come back. */
	q[n++] = 0;
	q[n++] = 0, q[n++] = 41;
	q[n++] = 0x10, q[n++] = 0x00; /* UDP size 4096 */
	q[n++] = 0, q[n++] = 0, q[n++] = 0x80, q[n++] = 0;
	q[n++] = 0, q[n++] = 0;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return false;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, addr, &sa.sin_addr);
	bool ok = false;
	if (sendto(s, q, n, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)n) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (poll(&p, 1, 200) == 1) {
			ssize_t got = recv(s, r, sizeof r, 0);
			if (got >= 12 && r[0] == q[0] && r[1] == q[1]) {
				int aa = (r[2] & 0x04) != 0, rcode = r[3] & 0x0f;
				int ancount = r[6] << 8 | r[7];
				ok = aa && rcode == 0 && ancount >= (want_sig ? 2 : 1);
			}
		}
	}
	close(s);
	return ok;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	int ok = fputs(text, f) >= 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* True when some record in the zone text has type SOA: a bare SOA token outside quotes and comments. */
static bool has_soa(const char *text)
{
	bool quoted = false, comment = false;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n') {
			quoted = comment = false;
		} else if (comment) {
			continue;
		} else if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (*p == ';' && !quoted) {
			comment = true;
		} else if (!quoted && (p == text || p[-1] == ' ' || p[-1] == '\t') && strncasecmp(p, "SOA", 3) == 0 &&
			   (p[3] == ' ' || p[3] == '\t' || p[3] == '\n' || p[3] == '\0')) {
			return true;
		}
	}
	return false;
}

/* A growable string. */
struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t l = strlen(s);
	if (b->n + l + 1 > b->cap) {
		b->cap = (b->n + l + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (b->s == NULL)
			abort();
	}
	memcpy(b->s + b->n, s, l + 1);
	b->n += l;
}

/* Spoil a DS line's digest: flip its last hex digit, keeping the record well formed. */
static void spoil_ds(char *line)
{
	size_t l = strlen(line);
	while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == ' '))
		l--;
	if (l == 0)
		return;
	char *c = &line[l - 1];
	*c = (*c == '0') ? '1' : '0';
}

struct zinfo {
	char origin[300];
	char ds[2048]; /* "zone. DS ..." lines (SHA-256 only) */
};

struct knot_server *knot_start(const struct knot_opts *opts, const struct knot_zone *zones, size_t nzones)
{
	struct knot_opts o = opts ? *opts : (struct knot_opts){0};
	const char *kd = knotd_path(), *km = keymgr_path();
	if (kd == NULL || km == NULL) {
		fprintf(stderr, "knot: knotd/keymgr not installed\n");
		return NULL;
	}
	struct knot_server *k = calloc(1, sizeof *k);
	struct zinfo *zi = calloc(nzones ? nzones : 1, sizeof *zi);
	struct sbuf *text = calloc(nzones ? nzones : 1, sizeof *text);
	if (k == NULL || zi == NULL || text == NULL)
		abort();
	const char *addr = o.addr ? o.addr : "127.0.0.1";
	if (o.workdir) {
		snprintf(k->dir, sizeof k->dir, "%s", o.workdir);
		mkdir(k->dir, 0700);
	} else {
		const char *base = getenv("MA_TEST_TMP");
		if (base == NULL || *base == '\0')
			base = "/tmp";
		mkdir(base, 0700);
		snprintf(k->dir, sizeof k->dir, "%s/knot-XXXXXX", base);
		if (mkdtemp(k->dir) == NULL) {
			fprintf(stderr, "knot: mkdtemp %s: %s\n", k->dir, strerror(errno));
			goto fail;
		}
	}
	k->port = o.port ? o.port : free_port(addr);
	if (k->port <= 0) {
		fprintf(stderr, "knot: no free port on %s\n", addr);
		goto fail;
	}
	snprintf(k->addr, sizeof k->addr, "%s@%d", addr, k->port);

	/* Configuration first: keymgr reads the key database location from it. */
	struct sbuf conf = {0};
	char line[4096];
	snprintf(line, sizeof line,
		 "server:\n    rundir: \"%s\"\n    listen: %s@%d\n    udp-workers: 1\n    tcp-workers: 1\n"
		 "    background-workers: 1\n"
		 "database:\n    storage: \"%s\"\n"
		 "log:\n  - target: \"%s/knotd.log\"\n    any: info\n"
		 "policy:\n  - id: manual\n    manual: on\n"
		 "template:\n  - id: default\n    storage: \"%s\"\n    zonefile-sync: -1\n"
		 "    journal-content: none\n    semantic-checks: off\nzone:\n",
		 k->dir, addr, k->port, k->dir, k->dir, k->dir);
	sb_add(&conf, line);
	for (size_t i = 0; i < nzones; i++) {
		canon(zones[i].origin, zi[i].origin, sizeof zi[i].origin);
		snprintf(line, sizeof line, "  - domain: \"%s\"\n    file: \"%s/zone%zu.zone\"\n", zi[i].origin, k->dir,
			 i);
		sb_add(&conf, line);
		if (zones[i].sign)
			sb_add(&conf, "    dnssec-signing: on\n    dnssec-policy: manual\n");
	}
	char confpath[600];
	snprintf(confpath, sizeof confpath, "%s/knot.conf", k->dir);
	int wr = write_file(confpath, conf.s);
	free(conf.s);
	if (wr != 0) {
		fprintf(stderr, "knot: cannot write %s\n", confpath);
		goto fail;
	}

	/* Keys and DS records for the signed zones (ECDSA P-256, RFC 6605; one combined signing key). */
	for (size_t i = 0; i < nzones; i++) {
		if (!zones[i].sign)
			continue;
		char out[4096];
		char *gen[] = {(char *)km, "-c", confpath, zi[i].origin, "generate", "algorithm=ecdsap256sha256",
			       "ksk=yes", "zsk=yes", NULL};
		char *ds[] = {(char *)km, "-c", confpath, zi[i].origin, "ds", NULL};
		if (run_capture(gen, out, sizeof out) != 0 || run_capture(ds, out, sizeof out) != 0) {
			fprintf(stderr, "knot: keymgr failed for %s\n", zi[i].origin);
			goto fail;
		}
		/* Keep the SHA-256 DS lines (digest type 2, RFC 4509): "zone. DS tag alg 2 hex". */
		for (char *l = out; *l != '\0';) {
			char *nl = strchr(l, '\n');
			size_t ll = nl ? (size_t)(nl - l) : strlen(l);
			const char *f = l;
			int field = 0;
			bool sha256 = false;
			for (size_t p = 0; p <= ll; p++) {
				if (p == ll || l[p] == ' ') {
					if (field == 1 && !(p - (size_t)(f - l) == 2 && strncmp(f, "DS", 2) == 0))
						break;
					if (field == 4)
						sha256 = p - (size_t)(f - l) == 1 && *f == '2';
					field++;
					f = l + p + 1;
				}
			}
			if (sha256 && field == 6) {
				size_t cur = strlen(zi[i].ds);
				snprintf(zi[i].ds + cur, sizeof zi[i].ds - cur, "%.*s\n", (int)ll, l);
			}
			l += ll + (nl ? 1 : 0);
		}
		if (zones[i].bogus)
			spoil_ds(zi[i].ds);
	}

	/* Zone texts, with delegations and DS records of served children added to their closest served parent. */
	struct sbuf ta = {0};
	for (size_t i = 0; i < nzones; i++) {
		snprintf(line, sizeof line, "$ORIGIN %s\n$TTL 300\n", zi[i].origin);
		sb_add(&text[i], line);
		if (!has_soa(zones[i].text)) {
			sb_add(&text[i], "@ 300 IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60\n"
					 "@ 300 IN NS ns.invalid.\n");
		}
		sb_add(&text[i], zones[i].text);
		sb_add(&text[i], "\n");
	}
	for (size_t i = 0; i < nzones; i++) {
		ssize_t parent = -1;
		for (size_t j = 0; j < nzones; j++)
			if (j != i && is_below(zi[i].origin, zi[j].origin) &&
			    (parent < 0 || strlen(zi[j].origin) > strlen(zi[parent].origin)))
				parent = (ssize_t)j;
		if (parent >= 0) {
			snprintf(line, sizeof line, "$ORIGIN %s\n%s 300 IN NS ns.invalid.\n", zi[parent].origin,
				 zi[i].origin);
			sb_add(&text[parent], line);
			if (zones[i].sign && zones[parent].sign) {
				sb_add(&text[parent], zi[i].ds);
				continue;
			}
		}
		if (zones[i].sign)
			sb_add(&ta, zi[i].ds);
	}
	for (size_t i = 0; i < nzones; i++) {
		char zpath[600];
		snprintf(zpath, sizeof zpath, "%s/zone%zu.zone", k->dir, i);
		if (write_file(zpath, text[i].s) != 0) {
			fprintf(stderr, "knot: cannot write %s\n", zpath);
			free(ta.s);
			goto fail;
		}
	}
	if (ta.n > 0) {
		snprintf(k->ta, sizeof k->ta, "%s/trust-anchor.ds", k->dir);
		k->have_ta = write_file(k->ta, ta.s) == 0;
	}
	free(ta.s);

	pid_t parent = getpid();
	k->pid = fork();
	if (k->pid < 0)
		goto fail;
	if (k->pid == 0) {
		/* Never outlive the test that started us (and if it died before prctl took effect, go now). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		char *argv[] = {(char *)kd, "-c", confpath, NULL};
		execv(kd, argv);
		_exit(127);
	}
	/* Wait until every zone answers (signed ones with signatures): at most ~10 s. */
	for (int tries = 0; tries < 100; tries++) {
		size_t ready = 0;
		for (size_t i = 0; i < nzones; i++)
			ready += soa_ready(addr, k->port, zi[i].origin, zones[i].sign);
		if (ready == nzones)
			goto started;
		int st;
		if (waitpid(k->pid, &st, WNOHANG) == k->pid) {
			k->pid = 0;
			break;
		}
		usleep(50 * 1000);
	}
	fprintf(stderr, "knot: server did not come up; its log is %s/knotd.log\n", k->dir);
	goto fail;
started:
	for (size_t i = 0; i < nzones; i++)
		free(text[i].s);
	free(text);
	free(zi);
	return k;
fail:
	for (size_t i = 0; i < nzones; i++)
		free(text[i].s);
	free(text);
	free(zi);
	knot_stop(k);
	return NULL;
}

const char *knot_server_addr(const struct knot_server *k)
{
	return k->addr;
}

int knot_server_port(const struct knot_server *k)
{
	return k->port;
}

const char *knot_trust_anchor_file(const struct knot_server *k)
{
	return k->have_ta ? k->ta : NULL;
}

static void rm_rf(const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void knot_stop(struct knot_server *k)
{
	if (k == NULL)
		return;
	if (k->pid > 0) {
		kill(k->pid, SIGTERM);
		int st;
		for (int i = 0; i < 100 && waitpid(k->pid, &st, WNOHANG) == 0; i++)
			usleep(20 * 1000);
		if (waitpid(k->pid, &st, WNOHANG) == 0) {
			kill(k->pid, SIGKILL);
			waitpid(k->pid, &st, 0);
		}
	}
	const char *keep = getenv("MA_KEEP_TMP");
	if (k->dir[0] != '\0' && (keep == NULL || *keep == '\0'))
		rm_rf(k->dir);
	free(k);
}
