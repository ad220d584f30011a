// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snapshot-create-as, snapshot-list [--parent|--tree|--name],
 * snapshot-info, snapshot-dumpxml, snapshot-current, snapshot-revert,
 * snapshot-delete, printed as virsh prints them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "wirt/wirt.h"

/* snap_args - {"domain": pos[0], "name": pos[1] or --snapshotname}, or
 * no name with --current (the current snapshot). */
static struct json_object *snap_args(const struct ctx *c)
{
	struct json_object *a = dom_args(c);
	const char *name =
		c->cl.npos > 1 ? c->cl.pos[1] : value(c, "snapshotname");

	if (name)
		json_object_object_add(a, "name", json_object_new_string(name));
	return a;
}

/* needs_name - a snapshot is named, or --current given; else the error
 * virsh prints. */
static bool needs_name(const struct ctx *c)
{
	if (c->cl.npos > 1 || value(c, "snapshotname") || flag(c, "current"))
		return true;
	fprintf(stderr, "error: --snapshotname or --current is required\n\n");
	return false;
}

int do_snapshot_create_as(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r;
	const char *name = c->cl.npos > 1 ? c->cl.pos[1] : value(c, "name");
	const char *desc =
		c->cl.npos > 2 ? c->cl.pos[2] : value(c, "description");

	if (name)
		json_object_object_add(a, "name", json_object_new_string(name));
	if (desc)
		json_object_object_add(a, "description",
				       json_object_new_string(desc));
	json_object_object_add(a, "disk_only",
			       json_object_new_boolean(flag(c, "disk-only")));
	json_object_object_add(a, "atomic",
			       json_object_new_boolean(flag(c, "atomic")));
	r = call(c, "snapshot_create", a, NULL);
	if (!r)
		return 1;
	printf("Domain snapshot %s created\n", str(r, "name"));
	json_object_put(r);
	return 0;
}

/* ---- snapshot-list ---- */
struct snaps {
	struct json_object *all; /* the array */
	size_t n;
};

static struct json_object *snap_at(const struct snaps *s, size_t i)
{
	return json_object_array_get_idx(s->all, i);
}

/* parent_of - the parent's name of snapshot i, NULL for a root. */
static const char *parent_of(const struct snaps *s, size_t i)
{
	const char *p = str(snap_at(s, i), "parent");

	return *p ? p : NULL;
}

/*
 * tree - snapshot i and its descendants, as virsh's tree: indent holds
 * the prefix so far, last is the index of the last sibling (i itself for
 * a root).
 */
static void tree(const struct snaps *s, size_t i, size_t last, bool root,
		 char *indent, size_t cap)
{
	const char *name = str(snap_at(s, i), "name");
	size_t k, lastkid = (size_t)-1, len = strlen(indent);

	printf("%s%s%s\n", indent, root ? "" : "+- ", name);
	if (!root && len + 4 < cap) {
		indent[len++] = i == last ? ' ' : '|';
		indent[len++] = ' ';
		indent[len] = 0;
	}
	for (k = 0; k < s->n; k++)
		if (parent_of(s, k) && !strcmp(parent_of(s, k), name))
			lastkid = k;
	if (lastkid != (size_t)-1)
		printf("%s  |\n", indent);
	if (strlen(indent) + 3 < cap) {
		strcat(indent, "  ");
		for (k = 0; k < s->n; k++)
			if (parent_of(s, k) && !strcmp(parent_of(s, k), name))
				tree(s, k, lastkid, false, indent, cap);
		indent[strlen(indent) - 2] = 0;
	}
	if (lastkid == (size_t)-1 && i == last)
		printf("%s\n", indent);
	if (!root)
		indent[strlen(indent) - 2] = 0;
}

/* created - creation time as virsh shows it (local time). */
static void created(struct json_object *o, char *buf, size_t len)
{
	time_t t = (time_t)num(o, "creation_time");
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

static void list_table(const struct ctx *c, const struct snaps *s)
{
	static const char *const heads[] = { "Name", "Creation Time", "State",
					     "Parent" };
	bool parent = flag(c, "parent");
	struct table *t = table_new(parent ? 4 : 3, heads);
	char when[64];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct json_object *o = snap_at(s, i);
		const char *row[4] = { str(o, "name"), when, str(o, "state"),
				       str(o, "parent") };

		created(o, when, sizeof(when));
		table_add(t, row);
	}
	table_print(t);
}

/* exclusive - a and b are not both given; else virsh's error. */
static bool exclusive(const struct ctx *c, const char *a, const char *b)
{
	if (!flag(c, a) || !flag(c, b))
		return true;
	fprintf(stderr,
		"error: Options --%s and --%s are mutually exclusive\n\n", a,
		b);
	return false;
}

int do_snapshot_list(struct ctx *c)
{
	struct json_object *r;
	struct snaps s;
	char indent[512] = "";
	size_t i;

	if (!exclusive(c, "parent", "tree") || !exclusive(c, "tree", "name") ||
	    !(r = call(c, "snapshot_list", dom_args(c), NULL)))
		return 1;
	json_object_object_get_ex(r, "snapshots", &s.all);
	s.n = json_object_array_length(s.all);
	if (flag(c, "tree")) {
		for (i = 0; i < s.n; i++)
			if (!parent_of(&s, i))
				tree(&s, i, i, true, indent, sizeof(indent));
	} else if (flag(c, "name")) {
		for (i = 0; i < s.n; i++)
			printf("%s\n", str(snap_at(&s, i), "name"));
	} else {
		list_table(c, &s);
	}
	putchar('\n');
	json_object_put(r);
	return 0;
}

/* descendants - how many snapshots descend from name (children: *kids). */
static int descendants(const struct snaps *s, const char *name, int *kids)
{
	int n = 0, sub;
	size_t k;

	for (k = 0; k < s->n; k++)
		if (parent_of(s, k) && !strcmp(parent_of(s, k), name)) {
			n += 1 +
			     descendants(s, str(snap_at(s, k), "name"), &sub);
			(*kids)++;
		}
	return n;
}

int do_snapshot_info(struct ctx *c)
{
	struct json_object *r, *o = NULL;
	const char *want;
	struct snaps s;
	int kids = 0, desc;
	size_t i;

	if (!needs_name(c) ||
	    !(r = call(c, "snapshot_list", dom_args(c), NULL)))
		return 1;
	want = c->cl.npos > 1 ? c->cl.pos[1] : value(c, "snapshotname");
	if (!want)
		want = str(r, "current");
	json_object_object_get_ex(r, "snapshots", &s.all);
	s.n = json_object_array_length(s.all);
	for (i = 0; i < s.n && !o; i++)
		if (!strcmp(str(snap_at(&s, i), "name"), want))
			o = snap_at(&s, i);
	if (!o) {
		if (*want)
			snprintf(
				c->err, sizeof(c->err),
				"Domain snapshot not found: no domain snapshot with matching name '%s'",
				want);
		else
			snprintf(
				c->err, sizeof(c->err),
				"Domain snapshot not found: the domain does not have a current snapshot");
		json_object_put(r);
		return fail(c);
	}
	desc = descendants(&s, want, &kids);
	printf("%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n",
	       "Name:", want, "Domain:", c->cl.pos[0],
	       "Current:", yes(o, "current") ? "yes" : "no",
	       "State:", str(o, "state"), "Location:", str(o, "location"));
	printf("%-15s %s\n%-15s %d\n%-15s %d\n%-15s %s\n\n",
	       "Parent:", *str(o, "parent") ? str(o, "parent") : "-",
	       "Children:", kids, "Descendants:", desc, "Metadata:", "yes");
	json_object_put(r);
	return 0;
}

int do_snapshot_dumpxml(struct ctx *c)
{
	struct json_object *r;

	if (c->cl.npos < 2) {
		fprintf(stderr,
			"error: command 'snapshot-dumpxml' requires <snapshotname> option\n");
		return 1;
	}
	r = call(c, "snapshot_dumpxml", snap_args(c), NULL);
	if (!r)
		return 1;
	printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

int do_snapshot_current(struct ctx *c)
{
	struct json_object *r = call(c, "snapshot_list", dom_args(c), NULL);

	if (!r)
		return 1;
	if (!*str(r, "current")) {
		snprintf(c->err, sizeof(c->err),
			 "domain '%s' has no current snapshot", c->cl.pos[0]);
		json_object_put(r);
		return fail(c);
	}
	json_object_put(r);
	r = call(c, "snapshot_dumpxml", dom_args(c), NULL);
	if (!r)
		return 1;
	if (flag(c, "name"))
		printf("%s\n", str(r, "name"));
	else
		printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

/* do_snapshot_change - snapshot-revert and snapshot-delete. */
int do_snapshot_change(struct ctx *c)
{
	bool rev = !strcmp(c->cmd, "snapshot-revert");
	struct json_object *a, *r;

	if (!needs_name(c) || !exclusive(c, "running", "paused"))
		return 1;
	a = snap_args(c);
	json_object_object_add(a, "running",
			       json_object_new_boolean(flag(c, "running")));
	json_object_object_add(a, "paused",
			       json_object_new_boolean(flag(c, "paused")));
	r = call(c, rev ? "snapshot_revert" : "snapshot_delete", a, NULL);
	if (!r)
		return 1;
	printf("Domain snapshot %s %s\n\n", str(r, "name"),
	       rev ? "reverted" : "deleted");
	json_object_put(r);
	return 0;
}
