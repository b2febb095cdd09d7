/*
 * fuzz_upsclient: libFuzzer target for the client library (common/
 * upsclient.c, plaintext path) reading a hostile server's replies.
 *
 * Input: the first FUZZ_PROG bytes are a small program, one request per
 * byte (VER, GET VAR ups.status as upsmon polls, LIST UPS/VAR/CMD/RW/
 * ENUM/RANGE as upsc/upsrw/upscmd walk them, GET NUMLOGINS/TYPE/UPSDESC/
 * CMDDESC, and upsmon's raw "FSD" exchange); the rest is everything the
 * server says. A struct upscli is set up as upscli_connect leaves it after
 * a plain connection (its fields are public), on one end of a socketpair;
 * the server's bytes are written to the other end, which is then shut for
 * writing, so the library reads them through its own recv/poll path and
 * sees "Server disconnected" at the end instead of waiting. The program
 * is run in a loop, as long as the connection stays up (64 requests).
 *
 * Oracle: the sanitizers, plus: every answer has argv[argc] == NULL,
 * 1..PCONF_MAX_WORDS words of at most PCONF_MAX_WORDLEN printable
 * characters; GET and LIST items echo their query; raw lines are
 * NUL-terminated within the buffer; the error code is in range and has a
 * message; a dropped connection has fd -1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pconf.h"
#include "upsclient.h"

#define FUZZ_PROG 8
#define FUZZ_MAX_REQUESTS 64
#define FUZZ_MAX_ITEMS 4096
#define FUZZ_MAX_INPUT (64 * 1024)   /* fits a socketpair's buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_words(int argc, char **argv)
{
	int i;
	size_t j, n;

	if (argc < 0 || argc > PCONF_MAX_WORDS || argv[argc] != NULL)
		abort();
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (n > PCONF_MAX_WORDLEN)
			abort();
		for (j = 0; j < n; j++)
			if ((unsigned char)argv[i][j] < 0x20 || (unsigned char)argv[i][j] > 0x7e)
				abort();
	}
}

static void check_echo(int numq, const char **query, int numa, char **answer)
{
	int i;

	if (numa < numq)
		abort();
	for (i = 0; i < numq; i++)
		if (strcasecmp(query[i], answer[i]) != 0)
			abort();
}

static void check_err(struct upscli *c)
{
	const char *msg;

	if (c->err < 0 || c->err >= UPSCLI_ERR_MAX)
		abort();
	msg = upscli_strerror(c);
	if (!msg || !msg[0] || strlen(msg) >= sizeof(c->errbuf))
		abort();
}

static void do_get(struct upscli *c, int numq, const char **query)
{
	char **answer;
	int numa;

	if (upscli_get(c, numq, query, &numa, &answer) < 0) {
		check_err(c);
		return;
	}
	check_words(numa, answer);
	check_echo(numq, query, numa, answer);
}

static void do_list(struct upscli *c, int numq, const char **query)
{
	char **answer = NULL;
	int numa = 0, rc = 1, n;

	if (upscli_list_start(c, numq, query) < 0) {
		check_err(c);
		return;
	}
	for (n = 0; n < FUZZ_MAX_ITEMS && (rc = upscli_list_next(c, numq, query, &numa, &answer)) == 1; n++) {
		check_words(numa, answer);
		check_echo(numq, query, numa, answer);
	}
	if (rc == 0 && (numa < 2 || strcmp(answer[0], "END") != 0))
		abort();
	if (rc < 0)
		check_err(c);
}

/* a line and its raw reply, as VER and upsmon's PRIMARY/FSD/LOGIN do */
static void do_raw(struct upscli *c, const char *line, size_t outlen)
{
	char reply[512];

	if (upscli_sendline(c, line) < 0 || upscli_readraw(c, reply, outlen) < 0) {
		check_err(c);
		return;
	}
	if (memchr(reply, '\0', outlen) == NULL || strchr(reply, '\n'))
		abort();
}

static void run_request(struct upscli *c, uint8_t op)
{
	static const char *const q_status[] = { "VAR", "ups", "ups.status" };
	static const char *const q_ups[] = { "UPS" };
	static const char *const q_var[] = { "VAR", "ups" };
	static const char *const q_cmd[] = { "CMD", "ups" };
	static const char *const q_rw[] = { "RW", "ups" };
	static const char *const q_logins[] = { "NUMLOGINS", "ups" };
	static const char *const q_enum[] = { "ENUM", "ups", "ups.beeper.status" };
	static const char *const q_range[] = { "RANGE", "ups", "input.transfer.low" };
	static const char *const q_type[] = { "TYPE", "ups", "ups.id" };
	static const char *const q_desc[] = { "UPSDESC", "ups" };
	static const char *const q_cmddesc[] = { "CMDDESC", "ups", "load.off" };

	switch (op % 13) {
	case 0: do_raw(c, "VER", 512); break;
	case 1: do_get(c, 3, (const char **)q_status); break;
	case 2: do_list(c, 1, (const char **)q_ups); break;
	case 3: do_list(c, 2, (const char **)q_var); break;
	case 4: do_list(c, 2, (const char **)q_cmd); break;
	case 5: do_list(c, 2, (const char **)q_rw); break;
	case 6: do_get(c, 2, (const char **)q_logins); break;
	case 7: do_list(c, 3, (const char **)q_enum); break;
	case 8: do_list(c, 3, (const char **)q_range); break;
	case 9: do_get(c, 3, (const char **)q_type); break;
	case 10: do_get(c, 2, (const char **)q_desc); break;
	case 11: do_get(c, 3, (const char **)q_cmddesc); break;
	default: do_raw(c, "FSD ups", 1 + op % 64); break;   /* small buffers too */
	}
}

/* throw away the requests the client wrote */
static void drain(int fd)
{
	char sink[4096];

	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upscli c;
	int sv[2], i;

	if (size < FUZZ_PROG || size - FUZZ_PROG > FUZZ_MAX_INPUT)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size > FUZZ_PROG &&
	    send(sv[1], data + FUZZ_PROG, size - FUZZ_PROG, MSG_NOSIGNAL) != (ssize_t)(size - FUZZ_PROG))
		abort();
	shutdown(sv[1], SHUT_WR);

	/* what upscli_connect leaves after a plain connection */
	memset(&c, 0, sizeof(c));
	c.fd = sv[0];
	c.timeout_ms = 1000;
	c.port = UPSCLI_DEFAULT_PORT;
	pconf_init(&c.pc);

	for (i = 0; i < FUZZ_MAX_REQUESTS && c.fd >= 0; i++) {
		run_request(&c, data[i % FUZZ_PROG]);
		drain(sv[1]);
	}
	if (c.fd < 0 && (c.rlen != 0 || c.roff != 0))
		abort();
	check_err(&c);
	upscli_disconnect(&c);
	if (c.fd != -1)
		abort();
	close(sv[1]);
	return 0;
}
