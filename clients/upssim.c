/*
 * upssim: drive a simulated UPS (usbhid-ups with port = "sim:MODEL") from
 * outside, through its control socket STATEPATH/usbhid-ups-<UPS>.sim.
 *
 *   upssim -a UPSNAME COMMAND [ARGS...]
 *   upssim -s SOCKETPATH COMMAND [ARGS...]
 *
 * Commands (see drivers/sim-transport.c): cut-mains, restore-mains,
 * set PATH VALUE, get PATH, set-rate DISCHARGE [CHARGE], unplug, replug,
 * garbage [N], interrupt HH..., status, dump, help. Prints the reply; exits 0 on OK,
 * 1 on ERR or when the simulator cannot be reached, 2 on usage errors.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sock.h"
#include "util.h"

#define UPSSIM_TIMEOUT_MS 10000

static void usage(void)
{
	printf("usage: upssim -a UPSNAME COMMAND [ARGS...]\n"
		"       upssim -s SOCKETPATH COMMAND [ARGS...]\n\n"
		"Drives a simulated UPS (usbhid-ups with port = \"sim:MODEL\").\n\n"
		"  cut-mains | restore-mains        mains power lost / back\n"
		"  set PATH VALUE | get PATH        a HID value, e.g. UPS.PowerSummary.RemainingCapacity\n"
		"  set-rate DISCHARGE [CHARGE]      battery change in %% per second\n"
		"  unplug | replug                  USB cable out / in\n"
		"  garbage [N]                      the next N answers are junk\n"
		"  interrupt HH HH ...              send raw bytes as an interrupt report\n"
		"  status | dump | help\n");
}

/* the request line, every word quoted */
static int build_request(int argc, char **argv, struct buf *req)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (i)
			buf_puts(req, " ");
		buf_quoted(req, argv[i]);
	}
	buf_puts(req, "\n");
	return req->overflow ? -1 : 0;
}

/* read until a final OK / ERR line; prints the lines before it; 0, 1 or -1 */
static int read_reply(int fd)
{
	char data[4096], *line, *nl;
	struct buf in;
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;
	int rc = -1;

	buf_init(&in, 4 * 1024 * 1024);
	for (;;) {
		if (poll(&p, 1, UPSSIM_TIMEOUT_MS) <= 0)
			break;
		n = read(fd, data, sizeof(data));
		if (n <= 0 || buf_append(&in, data, (size_t)n) < 0)
			break;
		buf_append(&in, "", 1);
		in.len--;
		line = in.data;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(line, "OK") == 0) {
				rc = 0;
				goto out;
			}
			if (strncmp(line, "ERR", 3) == 0) {
				fprintf(stderr, "upssim: %s\n", line[3] ? line + 4 : "error");
				rc = 1;
				goto out;
			}
			printf("%s\n", line);
			line = nl + 1;
		}
		buf_consume(&in, (size_t)(line - in.data));
	}
out:
	buf_free(&in);
	return rc;
}

int main(int argc, char **argv)
{
	char path[512], name[256], err[256];
	const char *ups = NULL, *sockpath = NULL;
	struct buf req;
	int opt, fd, rc;

	while ((opt = getopt(argc, argv, "+a:s:h")) != -1) {
		switch (opt) {
		case 'a': ups = optarg; break;
		case 's': sockpath = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if ((!ups && !sockpath) || optind >= argc) {
		usage();
		return 2;
	}
	if (!sockpath) {
		snprintf(name, sizeof(name), "usbhid-ups-%s.sim", ups);
		if (path_join(path, sizeof(path), nut_statepath(), name) < 0) {
			fprintf(stderr, "upssim: socket path too long\n");
			return 2;
		}
		sockpath = path;
	}
	fd = sock_connect_unix(sockpath, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "upssim: cannot reach the simulator at %s: %s\n"
			"(is usbhid-ups running with port = \"sim:...\"?)\n", sockpath, err);
		return 1;
	}
	buf_init(&req, 64 * 1024);
	if (build_request(argc - optind, argv + optind, &req) < 0 ||
	    sock_write_all(fd, req.data, req.len, UPSSIM_TIMEOUT_MS) < 0) {
		fprintf(stderr, "upssim: cannot send the request: %s\n", strerror(errno));
		buf_free(&req);
		close(fd);
		return 1;
	}
	buf_free(&req);
	rc = read_reply(fd);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "upssim: no complete answer from %s\n", sockpath);
		return 1;
	}
	return rc;
}
