// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt's volume commands, with virsh's output: vol-list (and --details),
 * vol-info, vol-path, vol-dumpxml, vol-create-as, vol-delete, vol-resize,
 * vol-clone, vol-wipe (vol-upload and vol-download: cmd-volio.c), and
 * install's --disk pool= and vol=.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

#define CHUNK (1 << 20)

/* find_pool_of - the pool whose directory holds path, into *pool. */
static int find_pool_of(struct ctx *c, const char *path, char *pool, size_t len)
{
	struct json_object *r = call(c, "pool_list", NULL, NULL), *ps, *p;
	char dir[4096];
	size_t i;
	int rc = -ENOENT;

	if (!r)
		return -EIO;
	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	json_object_object_get_ex(r, "pools", &ps);
	for (i = 0; i < json_object_array_length(ps); i++) {
		p = json_object_array_get_idx(ps, i);
		if (!strcmp(str(p, "target"), dir)) {
			snprintf(pool, len, "%s", str(p, "name"));
			rc = 0;
		}
	}
	json_object_put(r);
	if (rc) {
		snprintf(
			c->err, sizeof(c->err),
			"failed to get vol '%.900s': no pool holds '%.900s' (give --pool)",
			path, dir);
		fail(c);
	}
	return rc;
}

struct json_object *vol_args(struct ctx *c, const char *vol)
{
	const char *pool = value(c, "pool");
	struct json_object *a;
	char found[256], name[4096];

	snprintf(name, sizeof(name), "%s", vol);
	if (!pool) {
		if (vol[0] != '/') {
			snprintf(
				c->err, sizeof(c->err),
				"failed to get vol '%s': give --pool POOL (or the volume's path)",
				vol);
			fail(c);
			return NULL;
		}
		if (find_pool_of(c, vol, found, sizeof(found)))
			return NULL;
		pool = found;
		snprintf(name, sizeof(name), "%s", strrchr(vol, '/') + 1);
	}
	a = json_object_new_object();
	json_object_object_add(a, "pool", json_object_new_string(pool));
	json_object_object_add(a, "vol", json_object_new_string(name));
	return a;
}

int do_vol_list(struct ctx *c)
{
	static const char *const heads[] = { "Name", "Path", "Type", "Capacity",
					     "Allocation" };
	struct json_object *a = json_object_new_object(), *r, *vs, *v;
	bool det = flag(c, "details");
	char cap[32], alloc[32];
	struct table *t;
	size_t i;

	json_object_object_add(a, "pool", json_object_new_string(c->cl.pos[0]));
	r = call(c, "vol_list", a, NULL);
	if (!r)
		return 1;
	json_object_object_get_ex(r, "volumes", &vs);
	t = table_new(det ? 5 : 2, heads);
	for (i = 0; i < json_object_array_length(vs); i++) {
		const char *row[5];

		v = json_object_array_get_idx(vs, i);
		pretty_size(num(v, "capacity"), cap, sizeof(cap));
		pretty_size(num(v, "allocation"), alloc, sizeof(alloc));
		row[0] = str(v, "name");
		row[1] = str(v, "path");
		row[2] = str(v, "type");
		row[3] = cap;
		row[4] = alloc;
		table_add(t, row);
	}
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

/* vol_call - cmd on the volume named by pos[0] (and --pool). */
static struct json_object *vol_call(struct ctx *c, const char *cmd,
				    struct json_object **args)
{
	struct json_object *a = vol_args(c, c->cl.pos[0]);

	if (!a)
		return NULL;
	if (args)
		*args = json_object_get(a);
	return call(c, cmd, a, NULL);
}

int do_vol_info(struct ctx *c)
{
	struct json_object *r = vol_call(c, "vol_info", NULL);
	char b[32];

	if (!r)
		return 1;
	printf("%-15s %s\n", "Name:", str(r, "name"));
	printf("%-15s %s\n", "Type:", str(r, "type"));
	pretty_size(num(r, "capacity"), b, sizeof(b));
	printf("%-15s %s\n", "Capacity:", b);
	pretty_size(num(r, "allocation"), b, sizeof(b));
	printf("%-15s %s\n\n", "Allocation:", b);
	json_object_put(r);
	return 0;
}

int do_vol_path(struct ctx *c)
{
	struct json_object *r = vol_call(c, "vol_info", NULL);

	if (!r)
		return 1;
	printf("%s\n\n", str(r, "path"));
	json_object_put(r);
	return 0;
}

int do_vol_dumpxml(struct ctx *c)
{
	struct json_object *r = vol_call(c, "vol_dumpxml", NULL);

	if (!r)
		return 1;
	printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

/* size_arg - a capacity as virsh takes it (bytes, or with K M G T). */
static int size_arg(struct ctx *c, const char *s, uint64_t *out)
{
	if (!parse_size(s, out))
		return 0;
	snprintf(c->err, sizeof(c->err),
		 "Malformed size %s: give bytes or a number with K, M, G or T",
		 s);
	return fail(c);
}

int do_vol_create_as(struct ctx *c)
{
	struct json_object *a, *r;
	const char *b = value(c, "backing-vol"), *fmt = value(c, "format");
	char what[300];
	uint64_t size = 0;

	if (c->cl.npos < 3 && !b) {
		fprintf(stderr,
			"error: command 'vol-create-as' requires <capacity> option\n");
		return 1;
	}
	if (c->cl.npos >= 3 && size_arg(c, c->cl.pos[2], &size))
		return 1;
	a = json_object_new_object();
	json_object_object_add(a, "pool", json_object_new_string(c->cl.pos[0]));
	json_object_object_add(a, "name", json_object_new_string(c->cl.pos[1]));
	json_object_object_add(a, "size", json_object_new_int64((int64_t)size));
	if (fmt)
		json_object_object_add(a, "format",
				       json_object_new_string(fmt));
	if (b)
		json_object_object_add(a, "backing", json_object_new_string(b));
	if (value(c, "backing-vol-format"))
		json_object_object_add(
			a, "backing_format",
			json_object_new_string(value(c, "backing-vol-format")));
	snprintf(what, sizeof(what), "Failed to create vol %s", c->cl.pos[1]);
	r = call_as(c, "vol_create_as", a, NULL, what);
	if (!r)
		return 1;
	printf("Vol %s created\n\n", c->cl.pos[1]);
	json_object_put(r);
	return 0;
}

/* Volume commands that print "Vol NAME MSG". */
static const char *const vol_simple[][4] = {
	{ "vol-delete", "vol_delete", "deleted", "Failed to delete vol" },
	{ "vol-wipe", "vol_wipe", "wiped", "Failed to wipe vol" },
};

int do_vol_simple(struct ctx *c)
{
	struct json_object *r = NULL, *a;
	char what[300];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vol_simple); i++)
		if (!strcmp(vol_simple[i][0], c->cmd))
			break;
	a = i < ARRAY_SIZE(vol_simple) ? vol_args(c, c->cl.pos[0]) : NULL;
	if (!a)
		return 1;
	snprintf(what, sizeof(what), "%s %s", vol_simple[i][3], c->cl.pos[0]);
	r = call_as(c, vol_simple[i][1], a, NULL, what);
	if (!r)
		return 1;
	printf("Vol %s %s\n\n", c->cl.pos[0], vol_simple[i][2]);
	json_object_put(r);
	return 0;
}

int do_vol_resize(struct ctx *c)
{
	struct json_object *a = vol_args(c, c->cl.pos[0]), *r;
	char what[600];
	uint64_t size;

	if (!a)
		return 1;
	if (size_arg(c, c->cl.pos[1], &size)) {
		json_object_put(a);
		return 1;
	}
	json_object_object_add(a, "size", json_object_new_int64((int64_t)size));
	json_object_object_add(a, "delta",
			       json_object_new_boolean(flag(c, "delta")));
	json_object_object_add(a, "shrink",
			       json_object_new_boolean(flag(c, "shrink")));
	snprintf(what, sizeof(what),
		 "Failed to change size of volume '%s' to %s", c->cl.pos[0],
		 c->cl.pos[1]);
	r = call_as(c, "vol_resize", a, NULL, what);
	if (!r)
		return 1;
	printf("Size of volume '%s' successfully changed to %s\n\n",
	       c->cl.pos[0], c->cl.pos[1]);
	json_object_put(r);
	return 0;
}

int do_vol_clone(struct ctx *c)
{
	struct json_object *a = vol_args(c, c->cl.pos[0]), *r;
	char what[300];

	if (!a)
		return 1;
	json_object_object_add(a, "name", json_object_new_string(c->cl.pos[1]));
	snprintf(what, sizeof(what), "Failed to clone vol from %s",
		 c->cl.pos[0]);
	r = call_as(c, "vol_clone", a, NULL, what);
	if (!r)
		return 1;
	printf("Vol %s cloned from %s\n\n", c->cl.pos[1], c->cl.pos[0]);
	json_object_put(r);
	return 0;
}

/* new_install_vol - vol_create_as of install's volume NAME[-N].FMT of
 * gib GiB in pool; its name into vol. */
static int new_install_vol(struct ctx *c, const char *pool, const char *spec,
			   int idx, char *vol, size_t len, char *fmt)
{
	struct json_object *a, *r;
	char size[32];
	uint64_t gib;

	if (!opt_kv(spec, "size", size, sizeof(size)) ||
	    parse_uint(size, 1, 65536, &gib)) {
		snprintf(c->err, sizeof(c->err),
			 "--disk '%s': give size=GiB with pool=POOL", spec);
		return -EINVAL;
	}
	snprintf(vol, len, "%s%s%.0d.%s", c->cl.pos[0], idx ? "-" : "", idx,
		 fmt);
	a = json_object_new_object();
	json_object_object_add(a, "pool", json_object_new_string(pool));
	json_object_object_add(a, "name", json_object_new_string(vol));
	json_object_object_add(a, "size", json_object_new_int64(gib << 30));
	json_object_object_add(a, "format", json_object_new_string(fmt));
	r = call(c, "vol_create_as", a, NULL);
	if (!r)
		return -EIO;
	printf("Allocating '%s' in pool '%s'\n", vol, pool);
	json_object_put(r);
	return 0;
}

int install_vol_disk(struct ctx *c, FILE *x, const char *spec, int idx)
{
	char pool[256], vol[512], fmt[16] = "", *slash;
	struct json_object *a, *r;
	bool scsi;

	if (install_disk_bus(c, spec, &scsi))
		return -EINVAL;
	if (opt_kv(spec, "pool", pool, sizeof(pool))) {
		if (!opt_kv(spec, "format", fmt, sizeof(fmt)))
			strcpy(fmt, "qcow2");
		if (new_install_vol(c, pool, spec, idx, vol, sizeof(vol), fmt))
			return -EIO;
	} else {
		opt_kv(spec, "vol", pool, sizeof(pool));
		slash = strchr(pool, '/');
		if (!slash) {
			snprintf(c->err, sizeof(c->err),
				 "--disk '%s': give vol=POOL/VOLUME", spec);
			return -EINVAL;
		}
		*slash = '\0';
		snprintf(vol, sizeof(vol), "%s", slash + 1);
		a = json_object_new_object();
		json_object_object_add(a, "pool", json_object_new_string(pool));
		json_object_object_add(a, "vol", json_object_new_string(vol));
		r = call(c, "vol_info", a, NULL);
		if (!r)
			return -EIO;
		snprintf(fmt, sizeof(fmt), "%s", str(r, "format"));
		json_object_put(r);
	}
	fprintf(x, "    <disk type='volume' device='disk'>\n"
		   "      <driver name='qemu' type='");
	fput_xml(x, fmt, true);
	fprintf(x, "'/>\n      <source pool='");
	fput_xml(x, pool, true);
	fprintf(x, "' volume='");
	fput_xml(x, vol, true);
	fprintf(x, "'/>\n");
	install_target(x, scsi, idx);
	fprintf(x, "    </disk>\n");
	return 0;
}
