// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt backup-restore NAME --from BACKUP [--disk DISK] [--to FILE]: a disk
 * put back from a full backup or an incremental chain; wirt backup
 * --verify NAME (or backup-verify): every recorded chain checked.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "wirt/wirt.h"

/* Add path p (made absolute against the working directory) as key k. */
static void add_path(struct json_object *a, const char *k, const char *p)
{
	char buf[PATH_MAX * 2];

	if (p[0] != '/' && getcwd(buf, PATH_MAX))
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%s",
			 p);
	else
		snprintf(buf, sizeof(buf), "%s", p);
	json_object_object_add(a, k, json_object_new_string(buf));
}

int do_backup_restore(struct ctx *c)
{
	struct json_object *a, *r;

	if (!value(c, "from")) {
		snprintf(
			c->err, sizeof(c->err),
			"backup-restore needs --from BACKUP, the file of a backup as wirt backup printed it");
		return fail(c);
	}
	a = dom_args(c);
	add_path(a, "from", value(c, "from"));
	if (value(c, "to"))
		add_path(a, "to", value(c, "to"));
	if (value(c, "disk"))
		json_object_object_add(
			a, "disk", json_object_new_string(value(c, "disk")));
	r = call(c, "backup_restore", a, NULL);
	if (!r)
		return 1;
	printf("Disk %s of domain '%s' restored into %s (%s, %.1f MiB) from %s, a chain of %lld backup%s\n\n",
	       str(r, "disk"), c->cl.pos[0], str(r, "file"), str(r, "format"),
	       num(r, "bytes") / 1048576.0, str(r, "from"), num(r, "links"),
	       num(r, "links") == 1 ? "" : "s");
	json_object_put(r);
	return 0;
}

/* Print one chain of backup --verify; returns whether it is broken. */
static bool print_chain(const char *dom, struct json_object *ch)
{
	struct json_object *links, *l;
	const char *broken = str(ch, "broken");
	size_t i, n;

	json_object_object_get_ex(ch, "links", &links);
	n = links ? json_object_array_length(links) : 0;
	printf("Backup chain of disk %s of domain '%s': %zu backup%s, %s\n",
	       str(ch, "disk"), dom, n, n == 1 ? "" : "s",
	       *broken ? "BROKEN" : "ok");
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(links, i);
		printf("  %-12s %-8s %s\n", str(l, "kind"),
		       *str(l, "problem") ? "BAD" : "ok", str(l, "file"));
		if (*str(l, "problem"))
			printf("      %s\n", str(l, "problem"));
		if (*str(l, "note"))
			printf("      %s\n", str(l, "note"));
	}
	printf("  dirty bitmap %s: %s\n", "wirt-backup", str(ch, "bitmap"));
	return *broken;
}

int do_backup_verify(struct ctx *c)
{
	struct json_object *r = call(c, "backup_verify", dom_args(c), NULL), *a;
	size_t i, n, bad = 0;
	char first[sizeof(c->err)] = "";

	if (!r)
		return 1;
	json_object_object_get_ex(r, "chains", &a);
	n = a ? json_object_array_length(a) : 0;
	if (!n)
		printf("Domain '%s' has no recorded backup chain (wirt backup starts one for each qcow2 disk)\n",
		       c->cl.pos[0]);
	for (i = 0; i < n; i++) {
		struct json_object *ch = json_object_array_get_idx(a, i);

		if (print_chain(c->cl.pos[0], ch) && !bad++)
			snprintf(first, sizeof(first), "disk '%s': %s",
				 str(ch, "disk"), str(ch, "broken"));
	}
	putchar('\n');
	json_object_put(r);
	if (!bad)
		return 0;
	snprintf(
		c->err, sizeof(c->err),
		"%zu backup chain%s of domain '%s' broken (%s): take a new full backup (wirt backup without --incremental)",
		bad, bad == 1 ? "" : "s", c->cl.pos[0], first);
	return fail(c);
}
