/*
 * upsc: read-only client, command line and output as NUT 2.8.0's upsc.
 *   upsc -l | -L [host[:port]]    upsc ups[@host[:port]] [var]    upsc -c ups
 * Results on stdout; errors on stderr as "Error: <text>", exit 1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upsclient.h"
#include "util.h"

struct upsc {
	struct upscli conn;
	int connected;
	char *upsname;
	char *hostname;
	int port;
};

static void upsc_cleanup(struct upsc *u)
{
	if (u->connected)
		upscli_disconnect(&u->conn);
	u->connected = 0;
	free(u->upsname);
	free(u->hostname);
	u->upsname = u->hostname = NULL;
}

__attribute__((noreturn, format(printf, 2, 3)))
static void upsc_die(struct upsc *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	upsc_cleanup(u);
	exit(EXIT_FAILURE);
}

static void usage(const char *prog)
{
	printf("Network UPS Tools upsc %s\n\n", NUT_VERSION);
	printf("usage: %s -l | -L [<hostname>[:port]]\n", prog);
	printf("       %s <ups> [<variable>]\n", prog);
	printf("       %s -c <ups>\n", prog);
	printf("\nDemo program to display UPS variables.\n\n");
	printf("First form (lists UPSes):\n");
	printf("  -l         - lists each UPS on <hostname>, one per line.\n");
	printf("  -L         - lists each UPS followed by its description (from ups.conf).\n");
	printf("               Default hostname: localhost\n");
	printf("\nSecond form (lists variables and values):\n");
	printf("  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n");
	printf("  <variable> - optional, display this variable only.\n");
	printf("               Default: list all variables for <host>\n");
	printf("\nThird form (lists clients connected to a device):\n");
	printf("  -c         - lists each client connected on <ups>, one per line.\n");
	printf("  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n");
}

/* failure of a LIST start: an old upsd gets its own message */
static void list_failed(struct upsc *u)
{
	if (upscli_upserror(&u->conn) == UPSCLI_ERR_UNKCOMMAND)
		upsc_die(u, "Error: upsd is too old to support this query");
	upsc_die(u, "Error: %s", upscli_strerror(&u->conn));
}

static void print_var(struct upsc *u, const char *var)
{
	const char *query[3] = { "VAR", u->upsname, var };
	char **answer;
	int numa;

	if (!strchr(var, '.'))
		upsc_die(u, "Error: old-style variable names are not supported");
	if (upscli_get(&u->conn, 3, query, &numa, &answer) < 0) {
		if (upscli_upserror(&u->conn) == UPSCLI_ERR_UNKCOMMAND)
			upsc_die(u, "Error: variable unknown (old upsd detected)");
		upsc_die(u, "Error: %s", upscli_strerror(&u->conn));
	}
	if (numa < 3)
		upsc_die(u, "Error: insufficient data (got %d args, need at least 3)", numa);
	/* a bare "VAR ups name" reply: glibc's rendering of the missing value */
	printf("%s\n", numa > 3 ? answer[3] : "(null)");
}

/*
 * Run a LIST and print field a (and b, "a: b", when b >= 0) of each item.
 * Like upsc 2.8.0, an error in the middle of the list just ends it.
 */
static void print_list(struct upsc *u, int numq, const char **query, int need, int a, int b)
{
	char **answer;
	int numa;

	if (upscli_list_start(&u->conn, numq, query) < 0)
		list_failed(u);
	while (upscli_list_next(&u->conn, numq, query, &numa, &answer) == 1) {
		if (numa < need)
			upsc_die(u, "Error: insufficient data (got %d args, need at least %d)",
				 numa, need);
		if (b >= 0)
			printf("%s: %s\n", answer[a], answer[b]);
		else
			printf("%s\n", answer[a]);
	}
}

static void parse_target(struct upsc *u, int hostlist, const char *arg)
{
	if (hostlist) {
		if (upscli_splitaddr(arg ? arg : "localhost", &u->hostname, &u->port) != 0)
			upsc_die(u, "Error: invalid hostname.\nRequired format: [hostname[:port]]");
	} else {
		if (upscli_splitname(arg, &u->upsname, &u->hostname, &u->port) != 0)
			upsc_die(u, "Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]");
	}
}

int main(int argc, char **argv)
{
	struct upsc u;
	int opt, hostlist = 0, clientlist = 0, verbose = 0;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	memset(&u, 0, sizeof(u));
	while ((opt = getopt(argc, argv, "+hlLcV")) != -1) {
		switch (opt) {
		case 'L':
			verbose = 1;
			hostlist = 1;
			break;
		case 'l':
			hostlist = 1;
			break;
		case 'c':
			clientlist = 1;
			break;
		case 'V':
			/* 2.8.0 really names upscmd here, on stderr */
			fprintf(stderr, "Network UPS Tools upscmd %s\n", NUT_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(prog);
			return EXIT_SUCCESS;
		}
	}
	argc -= optind;
	argv += optind;

	parse_target(&u, hostlist, argc > 0 ? argv[0] : NULL);
	if (upscli_connect(&u.conn, u.hostname, u.port, UPSCLI_CONN_TRYSSL) < 0)
		upsc_die(&u, "Error: %s", upscli_strerror(&u.conn));
	u.connected = 1;

	if (hostlist) {
		const char *q[1] = { "UPS" };
		print_list(&u, 1, q, 3, 1, verbose ? 2 : -1);
	} else if (clientlist) {
		const char *q[2] = { "CLIENT", u.upsname };
		print_list(&u, 2, q, 3, 2, -1);
	} else if (argc > 1) {
		print_var(&u, argv[1]);
	} else {
		const char *q[2] = { "VAR", u.upsname };
		print_list(&u, 2, q, 4, 2, 3);
	}
	upsc_cleanup(&u);
	return EXIT_SUCCESS;
}
