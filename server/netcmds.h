/*
 * netcmds: every network protocol command (owner: upsd-cmds).
 * Initial declaration written by upsd-core; upsd-cmds extends this header.
 */
#ifndef NETCMDS_H
#define NETCMDS_H

#include "upsd.h"

/*
 * Handle one complete request line from client c. Always argc >= 1: an
 * empty line is answered "ERR UNKNOWN-COMMAND" by client.c itself.
 * argv is owned by the parser and valid only during the call.
 */
void netcmd_dispatch(struct upsd *d, struct upsd_client *c, int argc, char **argv);

#endif
