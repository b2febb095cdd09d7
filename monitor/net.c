/*
 * net: connection, login and requests for one UPS (see net.h).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "util.h"

/* errors after which the stream cannot be trusted: reconnect */
static int net_broken(const struct upscli *c)
{
	if (c->fd < 0)
		return 1;
	switch (c->err) {
	case UPSCLI_ERR_SENDFAILURE: case UPSCLI_ERR_RECVFAILURE:
	case UPSCLI_ERR_WRITE: case UPSCLI_ERR_READ: case UPSCLI_ERR_SRVDISC:
	case UPSCLI_ERR_SOCKFAILURE: case UPSCLI_ERR_CONNFAILURE:
	case UPSCLI_ERR_SSLFAIL: case UPSCLI_ERR_SSLERR:
	case UPSCLI_ERR_INVRESP: case UPSCLI_ERR_PROTOCOL: case UPSCLI_ERR_PARSE:
		return 1;
	default:
		return 0;
	}
}

/* send a line and read the raw reply; -1 on transport failure */
static int net_ask(struct ups *u, const char *line, char *reply, size_t replylen)
{
	if (upscli_sendline(&u->conn, line) < 0)
		return -1;
	if (upscli_readraw(&u->conn, reply, replylen) < 0)
		return -1;
	return 0;
}

static int net_primary(struct ups *u)
{
	static const char *const words[] = { "PRIMARY", "MASTER" };
	char line[600], reply[512];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(line, sizeof(line), "%s %s", words[i], u->upsname);
		if (net_ask(u, line, reply, sizeof(reply)) < 0) {
			log_error("Primary managerial privileges unavailable on UPS [%s]", u->sys);
			log_error("Reason: %s", upscli_strerror(&u->conn));
			return -1;
		}
		if (strncmp(reply, "OK", 2) == 0)
			return 0;
		log_debug(3, "UPS [%s]: %s refused (%s)", u->sys, words[i], reply);
	}
	log_error("Primary managerial privileges unavailable on UPS [%s]", u->sys);
	log_error("Response: [%s]", reply);
	return -1;
}

static int net_login(struct ups *u)
{
	char line[600], reply[512];

	snprintf(line, sizeof(line), "USERNAME %s", u->user);
	if (net_ask(u, line, reply, sizeof(reply)) < 0) {
		log_error("Set username on [%s] failed: %s", u->sys, upscli_strerror(&u->conn));
		return -1;
	}
	snprintf(line, sizeof(line), "PASSWORD %s", u->pass);
	if (net_ask(u, line, reply, sizeof(reply)) < 0 || strncmp(reply, "OK", 2) != 0) {
		log_error("Set password on [%s] failed - got [%s]", u->sys,
			u->conn.err ? upscli_strerror(&u->conn) : reply);
		return -1;
	}
	snprintf(line, sizeof(line), "LOGIN %s", u->upsname);
	if (net_ask(u, line, reply, sizeof(reply)) < 0 || strncmp(reply, "OK", 2) != 0) {
		log_error("Login on UPS [%s] failed - got [%s]", u->sys,
			u->conn.err ? upscli_strerror(&u->conn) : reply);
		return -1;
	}
	u->loggedin = 1;
	log_debug(1, "Logged into UPS %s", u->sys);
	return u->primary ? net_primary(u) : 0;
}

int net_connect(struct ups *u, const struct net_tls *tls, int quiet)
{
	int flags = tls->forcessl ? UPSCLI_CONN_REQSSL : UPSCLI_CONN_TRYSSL;

	if (tls->certverify)
		flags |= UPSCLI_CONN_CERTCOMP;
	log_debug(1, "Trying to connect to UPS [%s]", u->sys);
	memset(&u->conn, 0, sizeof(u->conn));
	u->conn.fd = -1;
	if (upscli_connect(&u->conn, u->host, u->port, flags) < 0) {
		if (quiet)
			log_debug(1, "UPS [%s]: connect failed: %s", u->sys, upscli_strerror(&u->conn));
		else if ((tls->forcessl || tls->certverify) && u->conn.err == UPSCLI_ERR_SSLFAIL)
			log_error("UPS [%s]: %s is set for this server but no TLS session "
				"could be set up (%s): refusing to talk plaintext", u->sys,
				tls->forcessl ? "FORCESSL" : "CERTVERIFY",
				u->conn.tlserr[0] ? u->conn.tlserr : upscli_strerror(&u->conn));
		else
			log_error("UPS [%s]: connect failed: %s", u->sys, upscli_strerror(&u->conn));
		upscli_disconnect(&u->conn);
		u->conn.fd = -1;
		return -1;
	}
	fcntl(u->conn.fd, F_SETFD, FD_CLOEXEC);
	u->connected = 1;
	u->loggedin = 0;
	u->conn.err = 0;
	if (net_login(u) < 0 && net_broken(&u->conn))
		net_close(u);
	return u->connected ? 0 : -1;
}

static void net_fail(struct ups *u, const char *what, int quiet)
{
	if (quiet)
		log_debug(1, "%s UPS [%s] failed - %s", what, u->sys, upscli_strerror(&u->conn));
	else if (upscli_upserror(&u->conn) == UPSCLI_ERR_UNKNOWNUPS)
		log_error("%s UPS [%s] failed - [%s] does not exist on server %s",
			what, u->sys, u->upsname, u->host);
	else
		log_error("%s UPS [%s] failed - %s", what, u->sys, upscli_strerror(&u->conn));
	if (net_broken(&u->conn))
		net_close(u);
}

int net_get_var(struct ups *u, const char *var, char *out, size_t outlen)
{
	const char *query[3] = { "VAR", u->upsname, var };
	int numa;
	char **answer;

	u->conn.err = 0;
	if (upscli_get(&u->conn, 3, query, &numa, &answer) < 0 || numa < 4) {
		if (net_broken(&u->conn))
			net_close(u);
		return -1;
	}
	str_copy(out, answer[3], outlen);
	return 0;
}

int net_get_status(struct ups *u, char *out, size_t outlen, int quiet)
{
	const char *query[3] = { "VAR", u->upsname, "ups.status" };
	int numa;
	char **answer;

	u->conn.err = 0;
	if (upscli_get(&u->conn, 3, query, &numa, &answer) < 0) {
		net_fail(u, "Poll", quiet);
		return -1;
	}
	if (numa < 4) {
		if (!quiet)
			log_error("Poll UPS [%s] failed - short reply", u->sys);
		return -1;
	}
	str_copy(out, answer[3], outlen);
	return 0;
}

int net_set_fsd(struct ups *u)
{
	char line[600], reply[512];

	if (!u->connected) {
		log_error("FSD set on UPS %s failed: not connected", u->sys);
		return -1;
	}
	log_debug(2, "Setting FSD on UPS %s", u->sys);
	snprintf(line, sizeof(line), "FSD %s", u->upsname);
	u->conn.err = 0;
	if (net_ask(u, line, reply, sizeof(reply)) < 0) {
		log_error("FSD set on UPS %s failed: %s", u->sys, upscli_strerror(&u->conn));
		if (net_broken(&u->conn))
			net_close(u);
		return -1;
	}
	if (strncmp(reply, "OK", 2) != 0) {
		log_error("FSD set on UPS %s failed: %s", u->sys, reply);
		return -1;
	}
	return 0;
}

int net_numlogins(struct ups *u, long *n)
{
	const char *query[2] = { "NUMLOGINS", u->upsname };
	int numa;
	char **answer;

	if (!u->connected)
		return -1;
	u->conn.err = 0;
	if (upscli_get(&u->conn, 2, query, &numa, &answer) < 0) {
		if (net_broken(&u->conn))
			net_close(u);
		return -1;
	}
	if (numa < 3 || parse_long(answer[2], 0, LONG_MAX, n) < 0)
		return -1;
	return 0;
}

void net_close(struct ups *u)
{
	if (u->conn.fd >= 0)
		upscli_disconnect(&u->conn);
	u->conn.fd = -1;
	u->connected = 0;
	u->loggedin = 0;
}
