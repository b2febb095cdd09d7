/*
 * desc: cmdvartab loader (VARDESC / CMDDESC lines).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "desc.h"
#include "log.h"
#include "pconf.h"
#include "util.h"

struct desc_entry {
	char *name;
	char *text;
};

struct desc_list {
	struct desc_entry *v;
	size_t n, cap;
};

struct cmdvartab {
	unsigned generation;
	struct desc_list vars, cmds;
};

static void list_clear(struct desc_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].text);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static const char *list_get(const struct desc_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].name, name) == 0)
			return l->v[i].text;
	return NULL;
}

/* a later entry for the same name replaces the earlier text */
static void list_add(struct desc_list *l, const char *name, const char *text)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcasecmp(l->v[i].name, name) == 0) {
			free(l->v[i].text);
			l->v[i].text = xstrdup(text);
			return;
		}
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].name = xstrdup(name);
	l->v[l->n].text = xstrdup(text);
	l->n++;
}

static int desc_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct cmdvartab *t = arg;

	(void)file;
	(void)line;
	if (argc < 3)
		return 0;
	if (strcmp(argv[0], "VARDESC") == 0)
		list_add(&t->vars, argv[1], argv[2]);
	else if (strcmp(argv[0], "CMDDESC") == 0)
		list_add(&t->cmds, argv[1], argv[2]);
	return 0;
}

static void desc_err(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)arg;
	log_error("Parse error: %s:%u: %s", file, line, msg);
}

static const char *desc_datapath(const struct upsd *d)
{
	return (d->datapath && d->datapath[0]) ? d->datapath : nut_datapath();
}

int desc_load(struct upsd *d)
{
	char fn[512];
	struct cmdvartab *t = d->cmdvartab;

	if (!t) {
		t = xcalloc(1, sizeof(*t));
		d->cmdvartab = t;
	}
	list_clear(&t->vars);
	list_clear(&t->cmds);
	t->generation = d->generation;
	if (path_join(fn, sizeof(fn), desc_datapath(d), "cmdvartab") != 0) {
		log_warnx("cmdvartab path too long - disabling descriptions");
		return -1;
	}
	if (pconf_file(fn, desc_line, desc_err, t) == -1) {
		log_info("%s not found - disabling descriptions", fn);
		return -1;
	}
	return 0;
}

static struct cmdvartab *desc_table(struct upsd *d)
{
	if (!d->cmdvartab || d->cmdvartab->generation != d->generation)
		desc_load(d);
	return d->cmdvartab;
}

const char *desc_get_var(struct upsd *d, const char *name)
{
	return list_get(&desc_table(d)->vars, name);
}

const char *desc_get_cmd(struct upsd *d, const char *name)
{
	return list_get(&desc_table(d)->cmds, name);
}

void desc_free(struct upsd *d)
{
	if (!d->cmdvartab)
		return;
	list_clear(&d->cmdvartab->vars);
	list_clear(&d->cmdvartab->cmds);
	free(d->cmdvartab);
	d->cmdvartab = NULL;
}
