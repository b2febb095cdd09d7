/*
 * tlsprobe: a test client for upsclient's TLS API, the way upsmon uses it
 * (upsmon.conf CERTPATH, CERTIDENT, CERTHOST, CERTVERIFY, FORCESSL).
 *
 *   tlsprobe [-p certpath] [-i nickname] [-w dbpass] [-v] [-f] [-n]
 *            [-H host,certname,verify,force] [-u user -P pass] ups@host:port
 *
 * Prints "ssl=0|1", then for -u the replies to USERNAME, PASSWORD and
 * LOGIN, then "status=<ups.status>". Exit 0 on success, 2 when the
 * connection failed ("error: <text>" on stdout), 1 on a later failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upsclient.h"

struct probe {
	struct upscli_tlsconf conf;
	int flags, init;
	const char *user, *pass;
};

static int add_host(const char *spec)
{
	char host[256], name[256];
	int verify, force;

	if (sscanf(spec, "%255[^,],%255[^,],%d,%d", host, name, &verify, &force) != 4) {
		fprintf(stderr, "bad -H %s\n", spec);
		return -1;
	}
	return upscli_tls_add_host(host, name, verify, force);
}

static int cmd(struct upscli *c, const char *line, const char *label)
{
	char reply[512];

	if (upscli_sendline(c, line) < 0 || upscli_readraw(c, reply, sizeof(reply)) < 0) {
		printf("%s: error: %s\n", label, upscli_strerror(c));
		return -1;
	}
	printf("%s: %s\n", label, reply);
	return strncmp(reply, "OK", 2) == 0 ? 0 : -1;
}

static int parse(int argc, char **argv, struct probe *p)
{
	int ch;

	memset(p, 0, sizeof(*p));
	p->flags = UPSCLI_CONN_TRYSSL;
	while ((ch = getopt(argc, argv, "p:i:w:vfnH:u:P:")) != -1) {
		switch (ch) {
		case 'p': p->conf.certpath = optarg; p->init = 1; break;
		case 'i': p->conf.certname = optarg; p->init = 1; break;
		case 'w': p->conf.certpasswd = optarg; break;
		case 'v': p->flags |= UPSCLI_CONN_CERTVERIF; break;
		case 'f': p->flags |= UPSCLI_CONN_REQSSL; break;
		case 'n': p->flags &= ~UPSCLI_CONN_TRYSSL; break;
		case 'H': if (add_host(optarg) < 0) return -1; break;
		case 'u': p->user = optarg; break;
		case 'P': p->pass = optarg; break;
		default: return -1;
		}
	}
	return optind == argc - 1 ? optind : -1;
}

/* the connected part: optional login, then ups.status. 0 or 1 */
static int session(struct upscli *c, const struct probe *p, const char *ups)
{
	char line[600];
	const char *q[3] = { "VAR", ups, "ups.status" };
	char **ans;
	int numa, rc = 0;

	printf("ssl=%d\n", upscli_ssl(c));
	if (p->user) {
		snprintf(line, sizeof(line), "USERNAME %s", p->user);
		rc |= cmd(c, line, "username");
		snprintf(line, sizeof(line), "PASSWORD %s", p->pass ? p->pass : "");
		rc |= cmd(c, line, "password");
		snprintf(line, sizeof(line), "LOGIN %s", ups);
		rc |= cmd(c, line, "login");
	}
	if (upscli_get(c, 3, q, &numa, &ans) == 0 && numa >= 4) {
		printf("status=%s\n", ans[3]);
	} else {
		printf("status error: %s\n", upscli_strerror(c));
		rc = -1;
	}
	upscli_disconnect(c);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct probe p;
	struct upscli c;
	char *ups, *host, err[300];
	int port, i = parse(argc, argv, &p), rc;

	if (i < 0 || upscli_splitname(argv[i], &ups, &host, &port) < 0) {
		fprintf(stderr, "usage: see the head of tlsprobe.c\n");
		return 64;
	}
	if (p.init && upscli_tls_init(&p.conf, err, sizeof(err)) < 0) {
		printf("init error: %s\n", err);
		rc = 3;
	} else if (upscli_connect(&c, host, port, p.flags) < 0) {
		printf("error: %s\n", upscli_strerror(&c));
		rc = 2;
	} else {
		rc = session(&c, &p, ups);
	}
	upscli_tls_cleanup();
	free(ups);
	free(host);
	return rc;
}
