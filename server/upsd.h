/*
 * upsd.h: the internal contract of the upsd daemon.
 *
 * Ownership:
 *   upsd-core : server/upsd.h, upsd.c (main, signals, reload, listeners),
 *               conf.c/.h (upsd.conf, ups.conf), users.c/.h (upsd.users),
 *               client.c/.h (sessions, buffers), driverlink.c/.h (driver sockets)
 *   upsd-cmds : server/netcmds.c/.h (every network command), tracking.c/.h
 *               (TRACKING ids), desc.c/.h (descriptions), conf/cmdvartab
 *
 * upsd-cmds builds on the structures below; upsd-core calls netcmd_dispatch()
 * for every complete line a client sends and tracking_result() for every
 * "TRACKING <id> <result>" line a driver sends.
 */
#ifndef UPSD_H
#define UPSD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "ev.h"
#include "pconf.h"
#include "state.h"

#define UPSD_PORT            "3493"
#define UPSD_MAXAGE_DEFAULT  15      /* seconds */
#define UPSD_MAXCONN_DEFAULT 1024
#define UPSD_TRACKINGDELAY_DEFAULT 3600   /* seconds a result is kept */
#define UPSD_CLIENT_TIMEOUT  60      /* seconds without a complete line */
#define UPSD_CLIENT_OUTMAX   (256 * 1024)  /* bounded output buffer per client */
#define UPSD_READ_CHUNK      512     /* bytes per read (lines may be longer: the
                                        parser caps words and word length) */
#define UPSD_LINE_MAX        2048    /* longest reply line client_send builds */
#define UPSD_NAME_MAX        64
#define UPSD_PASS_MAX        128
#define UPSD_ADDR_MAX        64

/* actions bits of a user */
#define UPSD_ACTION_SET    0x1
#define UPSD_ACTION_FSD    0x2
#define UPSD_ACTION_LOGIN  0x4   /* "upsmon primary|secondary" or actions = LOGIN */
#define UPSD_ACTION_MASTER 0x8   /* "upsmon primary" or actions = MASTER|PRIMARY */

/* upsmon role of a user */
enum upsd_role {
	UPSD_ROLE_NONE = 0,
	UPSD_ROLE_PRIMARY,     /* "primary" or "master" */
	UPSD_ROLE_SECONDARY    /* "secondary" or "slave" */
};

struct upsd_user {
	char *name;
	char *password;          /* NULL when none set: login always fails */
	unsigned actions;        /* UPSD_ACTION_* */
	char **instcmds;         /* names; "all" (any case) = every command */
	size_t ninstcmds;
	enum upsd_role role;
	struct upsd_user *next;
};

struct upsd_ups {
	char *name;
	char *desc;              /* "desc" from ups.conf or NULL */
	char *driver;
	char *port;
	char sockpath[256];      /* STATEPATH/<driver>-<ups> */
	struct st_tree state;

	/* driver link */
	int fd;                  /* -1 when not connected */
	int connected;           /* socket open */
	int dumpdone;            /* DUMPDONE received since connect */
	int driver_stale;        /* last word from the driver was DATASTALE */
	int stale;               /* last computed availability (for transition logs) */
	uint64_t last_heard_ms;  /* ev_now_ms of the last line from the driver */
	uint64_t last_ping_ms;
	int logged_gone;         /* "can't connect" logged once */
	struct pconf parser;     /* socket protocol tokenizer */
	struct buf out;          /* pending bytes to the driver */
	uint64_t last_attempt_ms; /* last connect attempt */
	int wantwrite;           /* waiting for EV_WRITE */
	unsigned long badnames;  /* messages refused for their name (this connection) */

	int fsd;                 /* FSD latch: "FSD" added to ups.status on LIST/GET */
	int numlogins;           /* clients LOGIN'ed to this UPS */
	int retain;              /* reload bookkeeping (private to upsd-core) */
	struct upsd *upsd;       /* back pointer */
	struct upsd_ups *next;
};

struct upsd_client {
	int fd;
	char addr[UPSD_ADDR_MAX];   /* peer address text */
	char *username;             /* set by USERNAME, NULL otherwise */
	char *password;             /* set by PASSWORD, NULL otherwise */
	struct upsd_ups *loginups;  /* set by LOGIN, NULL otherwise; LOGIN also does
	                               loginups->numlogins++, client.c decrements it
	                               when the connection is freed (not on LOGOUT) */
	int primary;                /* PRIMARY/MASTER granted */
	int tracking;               /* SET TRACKING ON */
	int tls;                    /* STARTTLS accepted (ALREADY-SSL-MODE from now on) */
	int tls_state;              /* STARTTLS_* (starttls.h) */
	struct tls_conn *tlsconn;   /* NSS session once the handshake began; owns fd */
	char *tls_early;            /* bytes after the STARTTLS line: first TLS input */
	size_t tls_earlylen;
	struct pconf parser;
	struct buf out;             /* bounded output buffer */
	uint64_t last_line_ms;      /* for the idle timeout */
	int wantwrite;              /* waiting for EV_WRITE (output pending) */
	int closing;                /* close once out is flushed */
	int dead;                   /* to be freed at the safe point */
	struct upsd *upsd;
	struct upsd_client *next, *prev;   /* upsd->clients */
	/* client.c only: on upsd->pending (work for the next safe point) */
	int pending;
	struct upsd_client *pending_next;
};

struct upsd_listener {
	int fd;
	char addr[UPSD_ADDR_MAX];
	char port[16];
	struct upsd_listener *next;
};

struct tracking_table;   /* owned by tracking.c (upsd-cmds) */
struct starttls;         /* owned by starttls.c (tls) */
struct tls_conn;         /* common/tls.h */
struct cmdvartab;        /* owned by desc.c (upsd-cmds) */

struct upsd {
	struct ev_loop *ev;
	struct upsd_listener *listeners;
	struct upsd_ups *ups;        /* list, ups.conf order */
	size_t nups;
	struct upsd_user *users;
	struct upsd_client *clients; /* most recent first; skip entries with ->dead */
	/*
	 * client.c only: the clients the safe point must visit (output queued,
	 * closing, dead), so that it costs nothing per idle client
	 */
	struct upsd_client *pending;
	size_t nclients;
	/*
	 * Refusing connections (client.c): a descriptor kept in reserve, given
	 * up for a moment to accept and close a client when the process has no
	 * descriptor left (-1 when none could be had); listeners are unwatched
	 * until the next tick when even that fails; refusals counted so that a
	 * burst is logged as one line plus one count line.
	 */
	int spare_fd;
	int accept_paused;
	unsigned long refused, refused_at_tick;

	/* upsd.conf */
	long maxage;                 /* MAXAGE, seconds */
	long maxconn;                /* MAXCONN */
	long trackingdelay;          /* TRACKINGDELAY, seconds */
	int allow_no_device;         /* ALLOW_NO_DEVICE */
	char *statepath;             /* NUT_STATEPATH env, else STATEPATH, else built-in */
	char *datapath;              /* DATAPATH, else NUT_DATAPATH env / built-in */
	char *certfile, *certpath, *certident, *certident_pass;
	int certrequest;
	int disable_weak_ssl;
	struct starttls *starttls;   /* TLS state (starttls.c), NULL until set up */

	/* command line */
	int family;                  /* AF_UNSPEC, or AF_INET (-4) / AF_INET6 (-6) */
	const char *user;            /* -u */
	int debug_cmdline;           /* -D count (DEBUG_MIN may raise it) */
	char confpath[256];

	/*
	 * Owned by upsd-cmds, created lazily by their code (NULL at start).
	 * generation is incremented by every reload (SIGHUP): desc.c can
	 * compare it to re-read cmdvartab from datapath.
	 */
	struct tracking_table *tracking;   /* tracking.c */
	struct cmdvartab *cmdvartab;       /* desc.c */
	unsigned generation;
	void *priv;                  /* upsd-core private data */
};

/* --- lookups (upsd.c) --- */
struct upsd_ups *upsd_find_ups(struct upsd *d, const char *name);   /* case-insensitive */

/*
 * 0 when the UPS data may be served, else the ERR token:
 * "DRIVER-NOT-CONNECTED" (no driver link) or "DATA-STALE" (link up but
 * the initial dump is not complete, the driver said DATASTALE, or nothing
 * was heard from it for more than MAXAGE seconds). Evaluated live.
 * (returns NULL when available)
 */
const char *ups_available(const struct upsd_ups *ups);

/* --- clients (client.c) --- */
/*
 * Queue one line (a "\n" is appended). Output is flushed once per loop turn
 * so a multi-line reply leaves in one write when possible. Returns 0, or -1
 * when the output buffer is full (the client is then closed).
 */
int client_send(struct upsd_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* queue raw bytes, no newline added; 0 or -1 */
int client_send_raw(struct upsd_client *c, const void *data, size_t len);
/* close after pending output is written (LOGOUT) */
void client_close_later(struct upsd_client *c);

/* --- users (users.c) --- */
struct upsd_user *users_find(struct upsd *d, const char *name);
/* 1 when user exists and pass matches (constant time), else 0 */
int users_auth(struct upsd *d, const char *user, const char *pass);
int users_has_action(const struct upsd_user *u, unsigned action);   /* 1/0 */
int users_has_instcmd(const struct upsd_user *u, const char *cmd);  /* 1/0, "all" */

/* --- driver links (driverlink.c) --- */
/* send one line (newline appended) to the driver; 0, or -1 if not connected */
int driverlink_send(struct upsd_ups *ups, const char *line);

#endif
