/*
 * desc: variable and command descriptions from DATAPATH/cmdvartab
 * (owner: upsd-cmds). Loaded lazily on first use and again after every
 * reload (struct upsd.generation changes). A missing file is not an error:
 * every lookup then returns NULL ("Description unavailable").
 */
#ifndef UPSD_DESC_H
#define UPSD_DESC_H

#include "upsd.h"

/* (re)load now; 0, or -1 when the file cannot be read (logged once) */
int desc_load(struct upsd *d);
/* description text or NULL; names match case-insensitively */
const char *desc_get_var(struct upsd *d, const char *name);
const char *desc_get_cmd(struct upsd *d, const char *name);
void desc_free(struct upsd *d);

#endif
