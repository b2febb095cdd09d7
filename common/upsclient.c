/*
 * upsclient: client side of the NUT network protocol. Replies are read one
 * bounded line at a time and split with pconf; error texts are those of
 * NUT 2.8.0's libupsclient so the clients print the same messages.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>

#include "sock.h"
#include "tls.h"
#include "upsclient.h"
#include "upsclient_tls.h"
#include "util.h"

#define UPSCLI_LINE_MAX 4096   /* longest reply line accepted */
#define UPSCLI_CMD_MAX  2048   /* longest request built by get/list */

/* how the message of each code is formatted (EF_SYS/EF_PARSE append ": detail") */
enum { EF_PLAIN, EF_SYS, EF_SSL, EF_PARSE };

static const struct {
	int kind;
	const char *text;
} upscli_errtab[UPSCLI_ERR_MAX] = {
	[UPSCLI_ERR_UNKNOWN] = { EF_PLAIN, "Unknown error" },
	[UPSCLI_ERR_VARNOTSUPP] = { EF_PLAIN, "Variable not supported by UPS" },
	[UPSCLI_ERR_NOSUCHHOST] = { EF_PLAIN, "No such host" },
	[UPSCLI_ERR_INVRESP] = { EF_PLAIN, "Invalid response from server" },
	[UPSCLI_ERR_UNKNOWNUPS] = { EF_PLAIN, "Unknown UPS" },
	[UPSCLI_ERR_INVLISTTYPE] = { EF_PLAIN, "Invalid list type" },
	[UPSCLI_ERR_ACCESSDENIED] = { EF_PLAIN, "Access denied" },
	[UPSCLI_ERR_PWDREQUIRED] = { EF_PLAIN, "Password required" },
	[UPSCLI_ERR_PWDINCORRECT] = { EF_PLAIN, "Password incorrect" },
	[UPSCLI_ERR_MISSINGARG] = { EF_PLAIN, "Missing argument" },
	[UPSCLI_ERR_DATASTALE] = { EF_PLAIN, "Data stale" },
	[UPSCLI_ERR_VARUNKNOWN] = { EF_PLAIN, "Variable unknown" },
	[UPSCLI_ERR_LOGINTWICE] = { EF_PLAIN, "Already logged in" },
	[UPSCLI_ERR_PWDSETTWICE] = { EF_PLAIN, "Already set password" },
	[UPSCLI_ERR_UNKNOWNTYPE] = { EF_PLAIN, "Unknown variable type" },
	[UPSCLI_ERR_UNKNOWNVAR] = { EF_PLAIN, "Unknown variable" },
	[UPSCLI_ERR_VARREADONLY] = { EF_PLAIN, "Read-only variable" },
	[UPSCLI_ERR_TOOLONG] = { EF_PLAIN, "New value is too long" },
	[UPSCLI_ERR_INVALIDVALUE] = { EF_PLAIN, "Invalid value for variable" },
	[UPSCLI_ERR_SETFAILED] = { EF_PLAIN, "Set command failed" },
	[UPSCLI_ERR_UNKINSTCMD] = { EF_PLAIN, "Unknown instant command" },
	[UPSCLI_ERR_INSTCMDFAILED] = { EF_PLAIN, "Instant command failed" },
	[UPSCLI_ERR_CMDNOTSUPP] = { EF_PLAIN, "Instant command not supported" },
	[UPSCLI_ERR_INVUSERNAME] = { EF_PLAIN, "Invalid username" },
	[UPSCLI_ERR_USERSETTWICE] = { EF_PLAIN, "Already set username" },
	[UPSCLI_ERR_UNKCOMMAND] = { EF_PLAIN, "Unknown command" },
	[UPSCLI_ERR_INVALIDARG] = { EF_PLAIN, "Invalid argument" },
	[UPSCLI_ERR_SENDFAILURE] = { EF_SYS, "Send failure" },
	[UPSCLI_ERR_RECVFAILURE] = { EF_SYS, "Receive failure" },
	[UPSCLI_ERR_SOCKFAILURE] = { EF_SYS, "socket failure" },
	[UPSCLI_ERR_BINDFAILURE] = { EF_SYS, "bind failure" },
	[UPSCLI_ERR_CONNFAILURE] = { EF_SYS, "Connection failure" },
	[UPSCLI_ERR_WRITE] = { EF_SYS, "Write error" },
	[UPSCLI_ERR_READ] = { EF_SYS, "Read error" },
	[UPSCLI_ERR_INVPASSWORD] = { EF_PLAIN, "Invalid password" },
	[UPSCLI_ERR_USERREQUIRED] = { EF_PLAIN, "Username required" },
	[UPSCLI_ERR_SSLFAIL] = { EF_PLAIN, "SSL is not available" },
	[UPSCLI_ERR_SSLERR] = { EF_SSL, "SSL error" },
	[UPSCLI_ERR_SRVDISC] = { EF_PLAIN, "Server disconnected" },
	[UPSCLI_ERR_DRVNOTCONN] = { EF_PLAIN, "Driver not connected" },
	[UPSCLI_ERR_NOMEM] = { EF_PLAIN, "Memory allocation failure" },
	[UPSCLI_ERR_PARSE] = { EF_PARSE, "Parse error" },
	[UPSCLI_ERR_PROTOCOL] = { EF_PLAIN, "Protocol error" },
};

/* upsd's ERR tokens */
static const struct {
	int code;
	const char *token;
} upscli_tokens[] = {
	{ UPSCLI_ERR_VARNOTSUPP, "VAR-NOT-SUPPORTED" },
	{ UPSCLI_ERR_UNKNOWNUPS, "UNKNOWN-UPS" },
	{ UPSCLI_ERR_ACCESSDENIED, "ACCESS-DENIED" },
	{ UPSCLI_ERR_PWDREQUIRED, "PASSWORD-REQUIRED" },
	{ UPSCLI_ERR_PWDINCORRECT, "PASSWORD-INCORRECT" },
	{ UPSCLI_ERR_MISSINGARG, "MISSING-ARGUMENT" },
	{ UPSCLI_ERR_DATASTALE, "DATA-STALE" },
	{ UPSCLI_ERR_VARUNKNOWN, "VAR-UNKNOWN" },
	{ UPSCLI_ERR_LOGINTWICE, "ALREADY-LOGGED-IN" },
	{ UPSCLI_ERR_PWDSETTWICE, "ALREADY-SET-PASSWORD" },
	{ UPSCLI_ERR_UNKNOWNTYPE, "UNKNOWN-TYPE" },
	{ UPSCLI_ERR_UNKNOWNVAR, "UNKNOWN-VAR" },
	{ UPSCLI_ERR_VARREADONLY, "READONLY" },
	{ UPSCLI_ERR_TOOLONG, "TOO-LONG" },
	{ UPSCLI_ERR_INVALIDVALUE, "INVALID-VALUE" },
	{ UPSCLI_ERR_SETFAILED, "SET-FAILED" },
	{ UPSCLI_ERR_UNKINSTCMD, "UNKNOWN-INSTCMD" },
	{ UPSCLI_ERR_INSTCMDFAILED, "INSTCMD-FAILED" },
	{ UPSCLI_ERR_CMDNOTSUPP, "CMD-NOT-SUPPORTED" },
	{ UPSCLI_ERR_INVUSERNAME, "INVALID-USERNAME" },
	{ UPSCLI_ERR_USERSETTWICE, "ALREADY-SET-USERNAME" },
	{ UPSCLI_ERR_UNKCOMMAND, "UNKNOWN-COMMAND" },
	{ UPSCLI_ERR_INVPASSWORD, "INVALID-PASSWORD" },
	{ UPSCLI_ERR_USERREQUIRED, "USERNAME-REQUIRED" },
	{ UPSCLI_ERR_DRVNOTCONN, "DRIVER-NOT-CONNECTED" },
};

static int upscli_starttls(struct upscli *c, int flags);
static int tls_send_all(struct upscli *c, const char *data, size_t len);
static int tls_fill(struct upscli *c);
static int raw_line(struct upscli *c, char *out, size_t outlen, size_t *lenp);

static int fail(struct upscli *c, int err, int syserr)
{
	c->err = err;
	c->syserrno = syserr;
	return -1;
}

/* transport failure: the stream is unusable, drop it without LOGOUT */
static int fail_drop(struct upscli *c, int err, int syserr)
{
	if (c->tls) {
		tls_close(c->tls);     /* closes fd too */
		c->tls = NULL;
		c->fd = -1;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->rlen = c->roff = 0;
	return fail(c, err, syserr);
}

/* token after "ERR" (prefix match, as libupsclient) */
static int errtoken(const char *tok)
{
	size_t i, n;

	for (i = 0; i < sizeof(upscli_tokens) / sizeof(upscli_tokens[0]); i++) {
		n = strlen(upscli_tokens[i].token);
		if (strncmp(tok, upscli_tokens[i].token, n) == 0)
			return upscli_tokens[i].code;
	}
	return UPSCLI_ERR_UNKNOWN;
}

int upscli_errcode(const char *line)
{
	if (!line || strncmp(line, "ERR", 3) != 0)
		return -1;
	if (line[3] != '\0' && line[3] != ' ' && line[3] != '\t')
		return -1;
	line += 3;
	while (*line == ' ' || *line == '\t')
		line++;
	return errtoken(line);
}

const char *upscli_strerror(struct upscli *c)
{
	if (!c)
		return upscli_errtab[UPSCLI_ERR_INVALIDARG].text;
	if (c->err < 0 || c->err >= UPSCLI_ERR_MAX)
		return "Invalid error number";
	switch (upscli_errtab[c->err].kind) {
	case EF_SYS:
		snprintf(c->errbuf, sizeof(c->errbuf), "%s: %s", upscli_errtab[c->err].text,
			 strerror(c->syserrno));
		return c->errbuf;
	case EF_SSL:
		if (!tls_available())
			snprintf(c->errbuf, sizeof(c->errbuf), "%s",
				 "SSL error, but SSL wasn't enabled at compile-time");
		else
			snprintf(c->errbuf, sizeof(c->errbuf), "%s: %s", upscli_errtab[c->err].text,
				 c->tlserr[0] ? c->tlserr : "unknown");
		return c->errbuf;
	case EF_PARSE:
		snprintf(c->errbuf, sizeof(c->errbuf), "%s: %s", upscli_errtab[c->err].text,
			 c->pc.errmsg);
		return c->errbuf;
	default:
		return upscli_errtab[c->err].text;
	}
}

int upscli_upserror(const struct upscli *c)
{
	return c ? c->err : -1;
}

/* resolve first so a bad name gives "No such host" as libupsclient does */
static int check_host(struct upscli *c, const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL;
	int rc, tries = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	do
		rc = getaddrinfo(host, port, &hints, &res);
	while (rc == EAI_AGAIN && ++tries < 3);
	if (rc == 0) {
		freeaddrinfo(res);
		return 0;
	}
	if (rc == EAI_NONAME)
		return fail(c, UPSCLI_ERR_NOSUCHHOST, 0);
	if (rc == EAI_MEMORY)
		return fail(c, UPSCLI_ERR_NOMEM, 0);
	return fail(c, UPSCLI_ERR_UNKNOWN, rc == EAI_SYSTEM ? errno : 0);
}

int upscli_connect(struct upscli *c, const char *host, int port, int flags)
{
	char sport[16], err[256];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->flags = flags;
	c->timeout_ms = UPSCLI_TIMEOUT_MS;
	if (!host || port < 1 || port > 65535)
		return fail(c, host ? UPSCLI_ERR_INVALIDARG : UPSCLI_ERR_NOSUCHHOST, 0);
	snprintf(sport, sizeof(sport), "%d", port);
	if (check_host(c, host, sport) < 0)
		return -1;
	errno = 0;
	c->fd = sock_connect_tcp(host, sport, c->timeout_ms, err, sizeof(err));
	if (c->fd < 0)
		return fail(c, UPSCLI_ERR_CONNFAILURE, errno ? errno : ECONNREFUSED);
	pconf_init(&c->pc);
	c->host = xstrdup(host);
	c->port = port;
	return upscli_starttls(c, flags);
}

/* send everything or fail; MSG_NOSIGNAL so a closed peer is an error, not SIGPIPE */
static int send_all(struct upscli *c, const char *data, size_t len)
{
	struct pollfd pfd;
	ssize_t n;
	int rc;

	if (c->tls)
		return tls_send_all(c, data, len);
	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail_drop(c, UPSCLI_ERR_WRITE, errno);
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, c->timeout_ms > 0 ? c->timeout_ms : UPSCLI_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return fail_drop(c, UPSCLI_ERR_WRITE, errno);
		if (rc == 0)
			return fail_drop(c, UPSCLI_ERR_SRVDISC, 0);
	}
	return 0;
}

int upscli_sendline(struct upscli *c, const char *line)
{
	size_t len;

	if (!c)
		return -1;
	if (c->fd < 0)
		return fail(c, UPSCLI_ERR_DRVNOTCONN, 0);
	if (!line || !*line)
		return fail(c, UPSCLI_ERR_INVALIDARG, 0);
	len = strlen(line);
	if (send_all(c, line, len) < 0)
		return -1;
	if (line[len - 1] != '\n')
		return send_all(c, "\n", 1);
	return 0;
}

/* refill rbuf: waits at most timeout_ms; no data in time = server gone */
static int fill(struct upscli *c)
{
	struct pollfd pfd;
	ssize_t n;
	int rc;

	if (c->tls)
		return tls_fill(c);
	for (;;) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, c->timeout_ms > 0 ? c->timeout_ms : UPSCLI_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return fail_drop(c, UPSCLI_ERR_READ, errno);
		if (rc == 0)
			return fail_drop(c, UPSCLI_ERR_SRVDISC, 0);
		n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return fail_drop(c, UPSCLI_ERR_READ, errno);
		if (n == 0)
			return fail_drop(c, UPSCLI_ERR_SRVDISC, 0);
		c->rlen = (size_t)n;
		c->roff = 0;
		return 0;
	}
}

/*
 * One line into out (newline and a trailing CR stripped). A line that does
 * not fit is an invalid response; the rest of the stream cannot be trusted,
 * so the connection is dropped.
 */
static int raw_line(struct upscli *c, char *out, size_t outlen, size_t *lenp)
{
	size_t len = 0;
	char ch;

	for (;;) {
		if (c->roff >= c->rlen && fill(c) < 0)
			return -1;
		ch = c->rbuf[c->roff++];
		if (ch == '\n')
			break;
		if (len + 1 >= outlen)
			return fail_drop(c, UPSCLI_ERR_INVRESP, 0);
		out[len++] = ch;
	}
	if (len > 0 && out[len - 1] == '\r')
		len--;
	out[len] = '\0';
	if (lenp)
		*lenp = len;
	return 0;
}

int upscli_readraw(struct upscli *c, char *out, size_t outlen)
{
	if (!c)
		return -1;
	if (c->fd < 0)
		return fail(c, UPSCLI_ERR_DRVNOTCONN, 0);
	if (!out || outlen < 1)
		return fail(c, UPSCLI_ERR_INVALIDARG, 0);
	return raw_line(c, out, outlen, NULL);
}

/* split one complete line with pconf */
static int split_line(struct upscli *c, const char *line, size_t len, int *argc, char ***argv)
{
	enum pconf_result r;
	size_t used;

	pconf_reset(&c->pc);
	r = pconf_feed(&c->pc, line, len, &used);
	if (r == PCONF_MORE)
		r = pconf_feed(&c->pc, "\n", 1, &used);
	if (r == PCONF_MORE)
		r = pconf_eof(&c->pc);
	if (r == PCONF_ERROR)
		return fail(c, UPSCLI_ERR_PARSE, 0);
	if (r == PCONF_LINE) {
		*argc = c->pc.argc;
		*argv = c->pc.argv;
	} else {
		*argc = 0;
		c->pc.argv[0] = NULL;
		*argv = c->pc.argv;
	}
	return 0;
}

int upscli_readline(struct upscli *c, int *argc, char ***argv)
{
	char line[UPSCLI_LINE_MAX];
	size_t len;

	if (!c)
		return -1;
	if (c->fd < 0)
		return fail(c, UPSCLI_ERR_DRVNOTCONN, 0);
	if (!argc || !argv)
		return fail(c, UPSCLI_ERR_INVALIDARG, 0);
	if (raw_line(c, line, sizeof(line), &len) < 0)
		return -1;
	return split_line(c, line, len, argc, argv);
}

/*
 * append one word: quoted when empty or holding a separator or '=' (which
 * the parser would split off); \ " # escaped
 */
static int put_word(char *out, size_t outlen, size_t *pos, const char *w)
{
	int quote = (*w == '\0' || strpbrk(w, " \t=") != NULL);
	size_t p = *pos;

	if (p + 2 >= outlen)
		return -1;
	out[p++] = ' ';
	if (quote)
		out[p++] = '"';
	for (; *w; w++) {
		if (p + 3 >= outlen || (unsigned char)*w < 0x20)
			return -1;   /* no room, or a byte that could end the line early */
		if (*w == '\\' || *w == '"' || *w == '#')
			out[p++] = '\\';
		out[p++] = *w;
	}
	if (quote) {
		if (p + 1 >= outlen)
			return -1;
		out[p++] = '"';
	}
	out[p] = '\0';
	*pos = p;
	return 0;
}

/* "VERB q1 q2 ...\n" */
static int build_cmd(struct upscli *c, char *out, size_t outlen, const char *verb,
		     int numq, const char **query)
{
	size_t pos;
	int i;

	if (numq < 1 || !query)
		return fail(c, UPSCLI_ERR_INVALIDARG, 0);
	pos = str_copy(out, verb, outlen);
	for (i = 0; i < numq; i++) {
		if (!query[i] || put_word(out, outlen, &pos, query[i]) < 0)
			return fail(c, UPSCLI_ERR_INVALIDARG, 0);
	}
	if (pos + 2 > outlen)
		return fail(c, UPSCLI_ERR_INVALIDARG, 0);
	out[pos++] = '\n';
	out[pos] = '\0';
	return 0;
}

/* read a reply line; ERR replies become c->err */
static int read_reply(struct upscli *c, int *argc, char ***argv)
{
	if (upscli_readline(c, argc, argv) < 0)
		return -1;
	if (*argc >= 1 && strcmp((*argv)[0], "ERR") == 0)
		return fail(c, errtoken(*argc >= 2 ? (*argv)[1] : ""), 0);
	return 0;
}

/* does the reply (from its first word) echo every query word? */
static int echoes(int numq, const char **query, int numa, char **answer)
{
	int i;

	if (numa < numq)
		return 0;
	for (i = 0; i < numq; i++)
		if (strcasecmp(query[i], answer[i]) != 0)
			return 0;
	return 1;
}

int upscli_get(struct upscli *c, int numq, const char **query, int *numa, char ***answer)
{
	char cmd[UPSCLI_CMD_MAX];
	char **av;
	int ac;

	if (!c)
		return -1;
	if (build_cmd(c, cmd, sizeof(cmd), "GET", numq, query) < 0)
		return -1;
	if (upscli_sendline(c, cmd) < 0 || read_reply(c, &ac, &av) < 0)
		return -1;
	if (!echoes(numq, query, ac, av))
		return fail(c, UPSCLI_ERR_PROTOCOL, 0);
	*numa = ac;
	*answer = av;
	return 0;
}

int upscli_list_start(struct upscli *c, int numq, const char **query)
{
	char cmd[UPSCLI_CMD_MAX];
	char **av;
	int ac;

	if (!c)
		return -1;
	if (build_cmd(c, cmd, sizeof(cmd), "LIST", numq, query) < 0)
		return -1;
	if (upscli_sendline(c, cmd) < 0 || read_reply(c, &ac, &av) < 0)
		return -1;
	if (ac < 2 || strcasecmp(av[0], "BEGIN") != 0 || strcasecmp(av[1], "LIST") != 0)
		return fail(c, UPSCLI_ERR_PROTOCOL, 0);
	if (!echoes(numq, query, ac - 2, av + 2))
		return fail(c, UPSCLI_ERR_PROTOCOL, 0);
	return 0;
}

int upscli_list_next(struct upscli *c, int numq, const char **query, int *numa, char ***answer)
{
	char **av;
	int ac;

	if (!c)
		return -1;
	if (read_reply(c, &ac, &av) < 0)
		return -1;
	if (ac < 1)
		return fail(c, UPSCLI_ERR_PROTOCOL, 0);
	*numa = ac;
	*answer = av;
	if (ac >= 2 && strcmp(av[0], "END") == 0 && strcmp(av[1], "LIST") == 0)
		return 0;
	if (!echoes(numq, query, ac, av))
		return fail(c, UPSCLI_ERR_PROTOCOL, 0);
	return 1;
}

void upscli_disconnect(struct upscli *c)
{
	if (!c)
		return;
	if (c->tls) {
		/* best effort, then close_notify; the session owns the fd */
		(void)tls_write(c->tls, "LOGOUT\n", 7);
		tls_close(c->tls);
		c->tls = NULL;
		c->fd = -1;
	}
	if (c->fd >= 0) {
		/* best effort, as the stock clients: no wait for "OK Goodbye" */
		(void)send(c->fd, "LOGOUT\n", 7, MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(c->fd, SHUT_RDWR);
		close(c->fd);
		c->fd = -1;
	}
	if (c->pc.buf)
		pconf_free(&c->pc);
	memset(&c->pc, 0, sizeof(c->pc));
	free(c->host);
	c->host = NULL;
	c->rlen = c->roff = 0;
}

/* host part of "host[:port]" / "[v6][:port]": *rest points after it */
static int split_host(const char *buf, char **hostname, const char **rest)
{
	const char *end;

	if (*buf == '[') {
		end = strchr(buf, ']');
		if (!end) {
			fprintf(stderr, "upscli_splitaddr: missing closing bracket in [domain literal]\n");
			return -1;
		}
		*hostname = strndup(buf + 1, (size_t)(end - buf - 1));
		*rest = end + 1;
	} else {
		end = strchr(buf, ':');
		if (!end)
			end = buf + strlen(buf);
		*hostname = strndup(buf, (size_t)(end - buf));
		*rest = end;
	}
	if (!*hostname) {
		fprintf(stderr, "upscli_splitaddr: strdup failed\n");
		return -1;
	}
	if (**hostname == '\0') {
		fprintf(stderr, "upscli_splitaddr: can't parse empty string\n");
		free(*hostname);
		*hostname = NULL;
		return -1;
	}
	return 0;
}

int upscli_splitaddr(const char *buf, char **hostname, int *port)
{
	const char *rest;
	long p;

	if (!buf || !hostname || !port)
		return -1;
	*hostname = NULL;
	if (*buf == '\0') {
		fprintf(stderr, "upscli_splitaddr: can't parse empty string\n");
		return -1;
	}
	if (split_host(buf, hostname, &rest) < 0)
		return -1;
	if (*rest == '\0') {
		*port = UPSCLI_DEFAULT_PORT;
		return 0;
	}
	if (*rest != ':' || parse_long(rest + 1, 1, 65535, &p) < 0) {
		fprintf(stderr, "upscli_splitaddr: no port specified after ':' separator\n");
		free(*hostname);
		*hostname = NULL;
		return -1;
	}
	*port = (int)p;
	return 0;
}

int upscli_splitname(const char *buf, char **upsname, char **hostname, int *port)
{
	const char *at;

	if (!buf || !upsname || !hostname || !port)
		return -1;
	*upsname = *hostname = NULL;
	if (*buf == '\0' || *buf == '@') {
		fprintf(stderr, "upscli_splitname: can't parse empty string\n");
		return -1;
	}
	at = strchr(buf, '@');
	*upsname = at ? strndup(buf, (size_t)(at - buf)) : strdup(buf);
	if (!*upsname) {
		fprintf(stderr, "upscli_splitname: strdup failed\n");
		return -1;
	}
	if (!at) {
		*hostname = xstrdup("localhost");
		*port = UPSCLI_DEFAULT_PORT;
		return 0;
	}
	if (upscli_splitaddr(at + 1, hostname, port) < 0) {
		free(*upsname);
		*upsname = NULL;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ TLS (STARTTLS) */

int upscli_ssl(const struct upscli *c)
{
	return c && c->tls ? 1 : 0;
}

/* give the connection up: code, with why (copied) as the TLS detail */
static int tls_refuse(struct upscli *c, int code, const char *why)
{
	char text[sizeof(c->tlserr)];

	str_copy(text, why ? why : "", sizeof(text));
	if (c->tls) {
		tls_close(c->tls);
		c->tls = NULL;
		c->fd = -1;
	}
	upscli_disconnect(c);
	str_copy(c->tlserr, text, sizeof(c->tlserr));
	return fail(c, code, 0);
}

/*
 * Give up after "OK STARTTLS" but before the handshake: the server now
 * expects TLS records, so close without the LOGOUT line in clear.
 */
static int tls_refuse_started(struct upscli *c, const char *why)
{
	if (!c->tls && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	return tls_refuse(c, UPSCLI_ERR_SSLERR, why);
}

/* wait until fd is ready for what TLS wants; -1 on timeout or error */
static int tls_wait(struct upscli *c, int want)
{
	struct pollfd pfd;
	int rc;

	pfd.fd = c->fd;
	pfd.events = want == TLS_WANT_WRITE ? POLLOUT : POLLIN;
	do
		rc = poll(&pfd, 1, c->timeout_ms > 0 ? c->timeout_ms : UPSCLI_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	return rc > 0 ? 0 : -1;
}

static int tls_handshake_all(struct upscli *c)
{
	int rc;

	while ((rc = tls_handshake(c->tls)) != 0) {
		if (rc != TLS_WANT_READ && rc != TLS_WANT_WRITE)
			return tls_refuse(c, UPSCLI_ERR_SSLERR, tls_errstr(c->tls));
		if (tls_wait(c, rc) < 0)
			return tls_refuse(c, UPSCLI_ERR_SSLERR, "no answer during the TLS handshake");
	}
	return 0;
}

/*
 * STARTTLS as libupsclient: TRYSSL falls back to plaintext only when the
 * server says no; once it said "OK STARTTLS" every failure is fatal.
 */
static int upscli_starttls(struct upscli *c, int flags)
{
	const struct upscli_hostcert *hc = upscli_tls_host(c->host);
	int verify = hc ? hc->certverify : (flags & UPSCLI_CONN_CERTVERIF) != 0;
	int force = hc ? hc->forcessl : (flags & UPSCLI_CONN_REQSSL) != 0;
	char line[UPSCLI_LINE_MAX], err[sizeof(c->tlserr)];
	struct tls_ctx *ctx;

	if (!force && !verify && !(flags & UPSCLI_CONN_TRYSSL))
		return 0;
	if (!tls_available()) {
		/* as a NUT client built without SSL: no STARTTLS at all */
		if (force || verify)
			return tls_refuse(c, UPSCLI_ERR_SSLFAIL, "TLS support not built");
		return 0;
	}
	if (verify && !upscli_tls_have_db())
		return tls_refuse(c, UPSCLI_ERR_SSLERR, "certificate verification needs CERTPATH");
	if (upscli_sendline(c, "STARTTLS\n") < 0 || raw_line(c, line, sizeof(line), NULL) < 0) {
		int code = force ? UPSCLI_ERR_SSLFAIL : c->err;

		upscli_disconnect(c);
		return fail(c, code, c->syserrno);
	}
	if (strncmp(line, "OK STARTTLS", 11) != 0) {
		if (force || verify)
			return tls_refuse(c, UPSCLI_ERR_SSLFAIL, "the server does not offer TLS");
		return 0;   /* as with any server without TLS */
	}
	/* nothing may come in clear between "OK STARTTLS" and the handshake */
	if (c->roff < c->rlen)
		return tls_refuse_started(c, "data in clear after OK STARTTLS");
	ctx = upscli_tls_ctx(c->tlserr, sizeof(c->tlserr));
	if (!ctx)
		return tls_refuse_started(c, c->tlserr);
	c->tls = tls_connect(ctx, c->fd, hc && hc->certname ? hc->certname : c->host, verify,
		err, sizeof(err));
	if (!c->tls) {
		c->fd = -1;          /* closed by tls_connect */
		return tls_refuse(c, UPSCLI_ERR_SSLERR, err);
	}
	return tls_handshake_all(c);
}

static int tls_io_failed(struct upscli *c, long rc)
{
	if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE)
		return fail_drop(c, UPSCLI_ERR_SRVDISC, 0);   /* timed out */
	str_copy(c->tlserr, tls_errstr(c->tls), sizeof(c->tlserr));
	return fail_drop(c, UPSCLI_ERR_SSLERR, 0);
}

static int tls_send_all(struct upscli *c, const char *data, size_t len)
{
	long n;

	while (len > 0 || tls_unsent(c->tls)) {
		n = len > 0 ? tls_write(c->tls, data, len) : tls_flush(c->tls);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n == 0 && len == 0) {
			break;
		} else if ((n != TLS_WANT_READ && n != TLS_WANT_WRITE) || tls_wait(c, (int)n) < 0) {
			return tls_io_failed(c, n);
		}
	}
	return 0;
}

static int tls_fill(struct upscli *c)
{
	long n;

	for (;;) {
		n = tls_read(c->tls, c->rbuf, sizeof(c->rbuf));
		if (n > 0) {
			c->rlen = (size_t)n;
			c->roff = 0;
			return 0;
		}
		if (n == 0)
			return fail_drop(c, UPSCLI_ERR_SRVDISC, 0);
		if ((n != TLS_WANT_READ && n != TLS_WANT_WRITE) || tls_wait(c, (int)n) < 0)
			return tls_io_failed(c, n);
	}
}
