/* tests/support/nginx.c — runs Debian's nginx on loopback for integration tests (see nginx.h).
 *
 * master_process off keeps nginx one process (the child we fork), running as the test's user, so it can read the
 * test's 0700 temp directories and a single signal stops it. -e points the early error log into the work directory
 * (nginx otherwise opens /var/log/nginx/error.log before reading the config). */
#include "nginx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NGINX_BIN "/usr/sbin/nginx"

struct nginx_server {
	pid_t pid;
	int port;
	bool own_dir;
	char dir[400];
	char access_log[512];
};

bool nginx_available(void)
{
	return access(NGINX_BIN, X_OK) == 0;
}

/* A port free on addr right now (nginx binds it moments later; a lost race is caught by the pid-file check and
 * retried). From [lo, hi] starting at a per-process offset, so parallel tests spread out; else the kernel's. */
static int free_port(const char *addr, int lo, int hi, int attempt)
{
	int span = lo > 0 && hi >= lo ? hi - lo + 1 : 0;
	for (int i = 0; i < (span ? span : 1); i++) {
		int port =
		    span
		        ? lo + (int)(((unsigned)getpid() * 7u + (unsigned)attempt * 13u + (unsigned)i) % (unsigned)span)
		        : 0;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			socklen_t sl = sizeof sa;
			getsockname(fd, (struct sockaddr *)&sa, &sl);
			close(fd);
			return ntohs(sa.sin_port);
		}
		close(fd);
	}
	return -1;
}

/* nginx writes its pid file after it has bound every listening socket (ngx_create_pidfile after ngx_init_cycle). */
static bool pidfile_is(const char *path, pid_t pid)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return false;
	char buf[32] = {0};
	bool ok = fgets(buf, sizeof buf, fp) != NULL && strtol(buf, NULL, 10) == (long)pid;
	fclose(fp);
	return ok;
}

static void print_log_tail(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return;
	char buf[4096];
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	fseek(fp, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	fprintf(stderr, "nginx: %s:\n%s\n", path, buf);
}

/* Values go into nginx.conf unquoted: refuse anything that could end a directive early. */
static bool conf_safe(const char *s)
{
	return s != NULL && strpbrk(s, " \t\r\n;{}\"'#$\\") == NULL;
}

static int write_conf(struct nginx_server *n, const struct nginx_opts *o, const char *addr, const char *path)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL)
		return -1;
	const char *d = n->dir;
	fprintf(
	    fp,
	    "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log info;\n"
	    "events { worker_connections 1024; }\n"
	    "http {\n"
	    "  log_format ma '$connection $request';\n"
	    "  access_log %s ma;\n"
	    "  client_body_temp_path %s/tmp/body;\n  proxy_temp_path %s/tmp/proxy;\n"
	    "  fastcgi_temp_path %s/tmp/fastcgi;\n  uwsgi_temp_path %s/tmp/uwsgi;\n  scgi_temp_path %s/tmp/scgi;\n"
	    "  types { text/plain txt; text/html html; application/json json; application/octet-stream bin; }\n"
	    "  default_type application/octet-stream;\n"
	    "  server_tokens off;\n  keepalive_requests 10000;\n"
	    "%s\n",
	    d, d, n->access_log, d, d, d, d, d, o->http_conf ? o->http_conf : "");
	for (size_t i = 0; i < o->nvhosts; i++) {
		const struct nginx_vhost *v = &o->vhosts[i];
		const char *def = i == 0 ? " default_server" : "";
		fprintf(fp, "  server {\n    listen %s:%d ssl http2%s;\n", addr, n->port, def);
		if (o->addr6)
			fprintf(fp, "    listen [%s]:%d ssl http2%s;\n", o->addr6, n->port, def);
		fprintf(fp,
		        "    server_name %s;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n"
		        "    root %s%s;\n    %s\n  }\n",
		        v->name, v->cert, v->key, v->root ? v->root : n->dir, v->root ? "" : "/www",
		        v->conf ? v->conf : "");
	}
	fprintf(fp, "}\n");
	return fclose(fp) == 0 ? 0 : -1;
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

struct nginx_server *nginx_start(const struct nginx_opts *o)
{
	if (o == NULL || o->vhosts == NULL || o->nvhosts == 0) {
		fprintf(stderr, "nginx: no virtual hosts\n");
		return NULL;
	}
	const char *addr = o->addr ? o->addr : "127.0.0.1";
	for (size_t i = 0; i < o->nvhosts; i++) {
		const struct nginx_vhost *v = &o->vhosts[i];
		if (!conf_safe(v->name) || !conf_safe(v->cert) || !conf_safe(v->key) ||
		    (v->root && !conf_safe(v->root))) {
			fprintf(stderr, "nginx: vhost %zu: a name or path nginx.conf cannot hold unquoted\n", i);
			return NULL;
		}
	}
	struct nginx_server *n = calloc(1, sizeof *n);
	if (n == NULL)
		return NULL;
	if (o->workdir) {
		snprintf(n->dir, sizeof n->dir, "%s", o->workdir);
		mkdir(n->dir, 0700);
	} else {
		const char *base = getenv("MA_TEST_TMP");
		if (base == NULL || *base == '\0')
			base = "/tmp";
		mkdir(base, 0700);
		snprintf(n->dir, sizeof n->dir, "%s/nginx-XXXXXX", base);
		if (mkdtemp(n->dir) == NULL) {
			fprintf(stderr, "nginx: mkdtemp %s: %s\n", n->dir, strerror(errno));
			free(n);
			return NULL;
		}
		n->own_dir = true;
	}
	char path[600];
	snprintf(path, sizeof path, "%s/tmp", n->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/www", n->dir);
	mkdir(path, 0700);
	snprintf(n->access_log, sizeof n->access_log, "%s/access.log", n->dir);
	char conf[600], errlog[600], pidfile[600];
	snprintf(conf, sizeof conf, "%s/nginx.conf", n->dir);
	snprintf(errlog, sizeof errlog, "%s/error.log", n->dir);
	snprintf(pidfile, sizeof pidfile, "%s/nginx.pid", n->dir);
	for (int attempt = 0; attempt < (o->port ? 1 : 5); attempt++) {
		n->port = o->port ? o->port : free_port(addr, o->port_lo, o->port_hi, attempt);
		if (n->port <= 0) {
			fprintf(stderr, "nginx: no free port on %s\n", addr);
			goto fail;
		}
		unlink(pidfile);
		if (!conf_safe(n->dir) || write_conf(n, o, addr, conf) != 0) {
			fprintf(stderr, "nginx: cannot write %s\n", conf);
			goto fail;
		}
		pid_t parent = getpid();
		n->pid = fork();
		if (n->pid < 0)
			goto fail;
		if (n->pid == 0) {
			/* Never outlive the test that started us. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(127);
			int devnull = open("/dev/null", O_RDWR);
			if (devnull >= 0) {
				dup2(devnull, 0);
				dup2(devnull, 1);
				dup2(devnull, 2); /* its messages go to errlog (-e) */
			}
			execl(NGINX_BIN, "nginx", "-p", n->dir, "-c", conf, "-e", errlog, (char *)NULL);
			_exit(127);
		}
		/* nginx retries a busy port for ~2.5 s before giving up; wait up to 10 s for its pid file. */
		for (int tries = 0; tries < 200; tries++) {
			if (pidfile_is(pidfile, n->pid))
				return n;
			int st;
			if (waitpid(n->pid, &st, WNOHANG) == n->pid) {
				n->pid = 0;
				break;
			}
			usleep(50 * 1000);
		}
		if (n->pid > 0) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, NULL, 0);
			n->pid = 0;
		}
		fprintf(stderr, "nginx: server did not come up on %s:%d\n", addr, n->port);
		print_log_tail(errlog);
	}
fail:
	nginx_stop(n);
	return NULL;
}

int nginx_port(const struct nginx_server *n)
{
	return n->port;
}

const char *nginx_workdir(const struct nginx_server *n)
{
	return n->dir;
}

int nginx_requests(const struct nginx_server *n, const char *needle)
{
	FILE *fp = fopen(n->access_log, "r");
	if (fp == NULL)
		return 0;
	int count = 0;
	char line[4096];
	while (fgets(line, sizeof line, fp) != NULL)
		if (strstr(line, needle) != NULL)
			count++;
	fclose(fp);
	return count;
}

int nginx_connections(const struct nginx_server *n)
{
	/* Each line starts with nginx's connection serial number; count the distinct ones. */
	FILE *fp = fopen(n->access_log, "r");
	if (fp == NULL)
		return 0;
	size_t cap = 0, count = 0;
	unsigned long *seen = NULL;
	char line[4096];
	while (fgets(line, sizeof line, fp) != NULL) {
		char *end;
		unsigned long c = strtoul(line, &end, 10);
		if (end == line)
			continue;
		bool dup = false;
		for (size_t i = 0; i < count && !dup; i++)
			dup = seen[i] == c;
		if (dup)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			unsigned long *ns = realloc(seen, cap * sizeof *ns);
			if (ns == NULL)
				break;
			seen = ns;
		}
		seen[count++] = c;
	}
	fclose(fp);
	free(seen);
	return (int)count;
}

void nginx_stop(struct nginx_server *n)
{
	if (n == NULL)
		return;
	if (n->pid > 0) {
		/* SIGTERM: nginx's fast shutdown. */
		kill(n->pid, SIGTERM);
		int st;
		for (int i = 0; i < 100 && waitpid(n->pid, &st, WNOHANG) == 0; i++)
			usleep(20 * 1000);
		if (waitpid(n->pid, &st, WNOHANG) == 0) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, &st, 0);
		}
	}
	const char *keep = getenv("MA_KEEP_TMP");
	if (n->own_dir && (keep == NULL || *keep == '\0'))
		rm_rf(n->dir);
	free(n);
}
