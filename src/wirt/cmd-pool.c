// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt's storage pool commands, with virsh's output: pool-list (and
 * --details), pool-info, pool-dumpxml, pool-define, pool-define-as,
 * pool-build, pool-start, pool-destroy, pool-undefine, pool-autostart,
 * pool-refresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

void pretty_size(unsigned long long v, char *buf, size_t len)
{
	static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	double d = (double)v;
	int i = 0;

	while (d >= 1024 && i < 6) {
		d /= 1024;
		i++;
	}
	snprintf(buf, len, "%.2f %s", d, units[i]);
}

struct json_object *call_as(struct ctx *c, const char *cmd,
			    struct json_object *args, int *fd, const char *what)
{
	struct json_object *r =
		wc_call(c->sock, cmd, args, fd, c->err, sizeof(c->err));

	if (r)
		return r;
	fprintf(stderr, "error: %s\nerror: %s\n\n", what, c->err);
	return NULL;
}

/* pool_args - {"pool": the first positional argument}. */
static struct json_object *pool_args(const struct ctx *c)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "pool", json_object_new_string(c->cl.pos[0]));
	return a;
}

/* pool_match - the pool passes pool-list's filters. */
static bool pool_match(const struct ctx *c, struct json_object *p)
{
	bool active = yes(p, "active");

	if (flag(c, "autostart") && !yes(p, "autostart"))
		return false;
	if (flag(c, "no-autostart") && yes(p, "autostart"))
		return false;
	if (flag(c, "type") && strcmp(value(c, "type"), str(p, "type")))
		return false;
	if (flag(c, "inactive"))
		return !active;
	return active || flag(c, "all");
}

/* pool_row - one row of pool-list (--details: seven columns). */
static void pool_row(const struct ctx *c, struct table *t,
		     struct json_object *p)
{
	bool active = yes(p, "active"), det = flag(c, "details");
	const char *st = active ? (det ? "running" : "active") : "inactive";
	char cap[32] = "-", alloc[32] = "-", avail[32] = "-";
	const char *row[7] = { str(p, "name"), st,
			       yes(p, "autostart") ? "yes" : "no",
			       yes(p, "persistent") ? "yes" : "no" };

	if (!det) { /* a three-column table reads the first three */
		table_add(t, row);
		return;
	}
	if (active) {
		pretty_size(num(p, "capacity"), cap, sizeof(cap));
		pretty_size(num(p, "allocation"), alloc, sizeof(alloc));
		pretty_size(num(p, "available"), avail, sizeof(avail));
	}
	row[4] = cap;
	row[5] = alloc;
	row[6] = avail;
	table_add(t, row);
}

int do_pool_list(struct ctx *c)
{
	static const char *const heads[] = { "Name",	  "State",
					     "Autostart", "Persistent",
					     "Capacity",  "Allocation",
					     "Available" };
	struct json_object *r = call(c, "pool_list", NULL, NULL), *ps, *p;
	struct table *t;
	size_t i;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "pools", &ps);
	if (flag(c, "name")) {
		for (i = 0; i < json_object_array_length(ps); i++)
			if (pool_match(c, p = json_object_array_get_idx(ps, i)))
				printf("%s\n", str(p, "name"));
		putchar('\n');
		json_object_put(r);
		return 0;
	}
	t = table_new(flag(c, "details") ? 7 : 3, heads);
	for (i = 0; i < json_object_array_length(ps); i++)
		if (pool_match(c, p = json_object_array_get_idx(ps, i)))
			pool_row(c, t, p);
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_pool_info(struct ctx *c)
{
	struct json_object *r = call(c, "pool_info", pool_args(c), NULL);
	char b[32];

	if (!r)
		return 1;
	printf("%-15s %s\n", "Name:", str(r, "name"));
	printf("%-15s %s\n", "UUID:", str(r, "uuid"));
	printf("%-15s %s\n",
	       "State:", yes(r, "active") ? "running" : "inactive");
	printf("%-15s %s\n",
	       "Persistent:", yes(r, "persistent") ? "yes" : "no");
	printf("%-15s %s\n", "Autostart:", yes(r, "autostart") ? "yes" : "no");
	if (yes(r, "active")) {
		pretty_size(num(r, "capacity"), b, sizeof(b));
		printf("%-15s %s\n", "Capacity:", b);
		pretty_size(num(r, "allocation"), b, sizeof(b));
		printf("%-15s %s\n", "Allocation:", b);
		pretty_size(num(r, "available"), b, sizeof(b));
		printf("%-15s %s\n", "Available:", b);
	}
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_pool_dumpxml(struct ctx *c)
{
	struct json_object *r = call(c, "pool_dumpxml", pool_args(c), NULL);

	if (!r)
		return 1;
	printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

/* define_xml - send xml to pool_define; prints virsh's message. */
static int define_xml(struct ctx *c, const char *xml, const char *file)
{
	struct json_object *a = json_object_new_object(), *r;

	json_object_object_add(a, "xml", json_object_new_string(xml));
	r = call_as(c, "pool_define", a, NULL, "Failed to define pool");
	if (!r)
		return 1;
	if (file)
		printf("Pool %s defined from %s\n\n", str(r, "name"), file);
	else
		printf("Pool %s defined\n\n", str(r, "name"));
	json_object_put(r);
	return 0;
}

int do_pool_define(struct ctx *c)
{
	FILE *f = fopen(c->cl.pos[0], "r");
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!f || getdelim(&buf, &len, '\0', f) < 0) {
		snprintf(c->err, sizeof(c->err), "Failed to open file '%s': %s",
			 c->cl.pos[0], strerror(errno));
		if (f)
			fclose(f);
		free(buf);
		return fail(c);
	}
	fclose(f);
	rc = define_xml(c, buf, c->cl.pos[0]);
	free(buf);
	return rc;
}

/* put_elem - <NAME>text</NAME> escaped, with an indent. */
static void put_elem(FILE *f, const char *indent, const char *name,
		     const char *text)
{
	fprintf(f, "%s<%s>", indent, name);
	fput_xml(f, text, false);
	fprintf(f, "</%s>\n", name);
}

int do_pool_define_as(struct ctx *c)
{
	const char *type = c->cl.npos > 1 ? c->cl.pos[1] : "dir";
	const char *dev = value(c, "source-dev"), *vg = value(c, "source-name");
	const char *target = value(c, "target");
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);
	int rc;

	if (!f)
		return 1;
	fprintf(f, "<pool type='");
	fput_xml(f, type, true);
	fprintf(f, "'>\n");
	put_elem(f, "  ", "name", c->cl.pos[0]);
	fprintf(f, "  <source>\n");
	if (dev) {
		fprintf(f, "    <device path='");
		fput_xml(f, dev, true);
		fprintf(f, "'/>\n");
	}
	if (vg)
		put_elem(f, "    ", "name", vg);
	fprintf(f, "  </source>\n  <target>\n");
	if (target)
		put_elem(f, "    ", "path", target);
	fprintf(f, "  </target>\n</pool>\n");
	fclose(f);
	rc = define_xml(c, xml, NULL);
	free(xml);
	return rc;
}

/* Pool commands that print "Pool NAME MSG": wirtd's command and virsh's
 * message, by wirt's command name. */
static const char *const pool_simple[][4] = {
	{ "pool-build", "pool_build", "built", "Failed to build pool" },
	{ "pool-start", "pool_start", "started", "Failed to start pool" },
	{ "pool-destroy", "pool_destroy", "destroyed",
	  "Failed to destroy pool" },
	{ "pool-undefine", "pool_undefine", "has been undefined",
	  "Failed to undefine pool" },
	{ "pool-refresh", "pool_refresh", "refreshed",
	  "Failed to refresh pool" },
	{ "pool-autostart", "pool_autostart", "marked as autostarted",
	  "failed to mark pool as autostarted:" },
};

int do_pool_simple(struct ctx *c)
{
	struct json_object *a = pool_args(c), *r;
	bool off = flag(c, "disable");
	char what[300];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pool_simple); i++)
		if (!strcmp(pool_simple[i][0], c->cmd))
			break;
	if (i == ARRAY_SIZE(pool_simple)) {
		json_object_put(a);
		return 1;
	}
	json_object_object_add(a, "disable", json_object_new_boolean(off));
	snprintf(what, sizeof(what), "%s %s", pool_simple[i][3], c->cl.pos[0]);
	r = call_as(c, pool_simple[i][1], a, NULL, what);
	if (!r)
		return 1;
	printf("Pool %s %s\n\n", c->cl.pos[0],
	       off ? "unmarked as autostarted" : pool_simple[i][2]);
	json_object_put(r);
	return 0;
}
