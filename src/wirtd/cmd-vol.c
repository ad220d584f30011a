// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's volume commands (vol_list, vol_info, vol_dumpxml,
 * vol_create_as, vol_delete, vol_resize, vol_clone, vol_wipe, vol_open)
 * on the volumes of an active pool, each under pool_lock. Image work
 * goes through vol-blk.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

/* active_pool - args' "pool", active; NULL with c's error. pool_lock held. */
static struct poolrec *active_pool(struct json_object *args, struct cmd_ctx *c)
{
	struct poolrec *p = pool_get(arg_str(args, "pool"), c);

	if (p && !p->active) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: storage pool '%s' is not active (start it with pool-start %s)",
			p->def.name, p->def.name);
		return NULL;
	}
	return p;
}

/* find_vol - the existing volume args' "vol" of p: its path into buf and
 * its details into *v. Returns 0, or -ENOENT with virsh's error. */
static int find_vol(struct poolrec *p, struct json_object *args,
		    const char *key, char *buf, struct volinfo *v,
		    struct cmd_ctx *c)
{
	const char *name = arg_str(args, key);
	int r;

	if (vol_path(p, name, buf, PATH_MAX, c))
		return -EINVAL;
	if (!vol_exists(p, buf)) {
		c->errclass = "StorageVolNotFound";
		snprintf(c->err, c->errlen,
			 "failed to get vol '%s' in pool '%s'", name,
			 p->def.name);
		return -ENOENT;
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->path, sizeof(v->path), "%s", buf);
	/* an LV is raw, whatever its guest wrote into it */
	r = volblk_info(buf, p->def.type == POOL_LOGICAL ? "raw" : NULL, v,
			c->err, c->errlen);
	v->type = p->def.type == POOL_LOGICAL ? "block" : "file";
	if (p->def.type == POOL_LOGICAL) /* an LV is all allocated */
		v->allocation = v->physical = v->capacity;
	return r;
}

/* Volume commands run with the pool active and pool_lock held. */
typedef struct json_object *vol_fn(struct poolrec *p, struct json_object *a,
				   struct cmd_ctx *c);

static struct json_object *with_pool(vol_fn *fn, struct json_object *args,
				     struct cmd_ctx *c)
{
	struct json_object *o = NULL;
	struct poolrec *p;

	pthread_mutex_lock(&pool_lock);
	p = active_pool(args, c);
	if (p)
		o = fn(p, args, c);
	pthread_mutex_unlock(&pool_lock);
	return o;
}

static struct json_object *vol_list_fn(struct poolrec *p, struct json_object *a,
				       struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "volumes", vol_list(p));
	return o;
}

static struct json_object *vol_info_fn(struct poolrec *p, struct json_object *a,
				       struct cmd_ctx *c)
{
	struct json_object *o;
	char path[PATH_MAX];
	struct volinfo v;

	if (find_vol(p, a, "vol", path, &v, c))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(v.name));
	json_object_object_add(o, "path", json_object_new_string(v.path));
	json_object_object_add(o, "type", json_object_new_string(v.type));
	json_object_object_add(o, "format", json_object_new_string(v.format));
	json_object_object_add(o, "capacity",
			       json_object_new_uint64(v.capacity));
	json_object_object_add(o, "allocation",
			       json_object_new_uint64(v.allocation));
	json_object_object_add(o, "physical",
			       json_object_new_uint64(v.physical));
	json_object_object_add(o, "backing", json_object_new_string(v.backing));
	json_object_object_add(o, "backing_format",
			       json_object_new_string(v.backing_fmt));
	return o;
}

/* vol_xml - v as libvirt's vol-dumpxml writes a file volume. */
static char *vol_xml(const struct volinfo *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "<volume type='%s'>\n  <name>", v->type);
	fput_xml(f, v->name, false);
	fprintf(f, "</name>\n  <key>");
	fput_xml(f, v->path, false);
	fprintf(f,
		"</key>\n  <capacity unit='bytes'>%llu</capacity>\n"
		"  <allocation unit='bytes'>%llu</allocation>\n"
		"  <physical unit='bytes'>%llu</physical>\n  <target>\n    <path>",
		(unsigned long long)v->capacity,
		(unsigned long long)v->allocation,
		(unsigned long long)v->physical);
	fput_xml(f, v->path, false);
	fprintf(f, "</path>\n    <format type='%s'/>\n  </target>\n",
		v->format);
	if (v->backing[0]) {
		fprintf(f, "  <backingStore>\n    <path>");
		fput_xml(f, v->backing, false);
		fprintf(f,
			"</path>\n    <format type='%s'/>\n  </backingStore>\n",
			v->backing_fmt);
	}
	fprintf(f, "</volume>\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static struct json_object *
vol_dumpxml_fn(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	struct json_object *o;
	char path[PATH_MAX], *xml;
	struct volinfo v;

	if (find_vol(p, a, "vol", path, &v, c) || !(xml = vol_xml(&v)))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "xml", json_object_new_string(xml));
	free(xml);
	return o;
}

/* new_vol - the path of a volume args' key that must not exist yet. */
static int new_vol(struct poolrec *p, struct json_object *a, const char *key,
		   char *buf, struct cmd_ctx *c)
{
	if (vol_path(p, arg_str(a, key), buf, PATH_MAX, c))
		return -EINVAL;
	if (!access(buf, F_OK)) {
		snprintf(
			c->err, c->errlen,
			"storage volume name '%s' already in use (in pool '%s')",
			arg_str(a, key), p->def.name);
		return -EEXIST;
	}
	return 0;
}

/* backing_path - --backing-vol: a volume of p by name, or a path. */
static int backing_path(struct poolrec *p, const char *b, char *buf,
			struct cmd_ctx *c)
{
	if (b[0] == '/')
		return snprintf(buf, PATH_MAX, "%s", b) >= PATH_MAX ?
			       -ENAMETOOLONG :
			       0;
	if (vol_path(p, b, buf, PATH_MAX, c))
		return -EINVAL;
	if (access(buf, R_OK)) {
		snprintf(c->err, c->errlen,
			 "backing volume '%s' not found in pool '%s'", b,
			 p->def.name);
		return -ENOENT;
	}
	return 0;
}

/* arg_u64 - unsigned number argument name of args (0 when absent). */
static uint64_t arg_u64(struct json_object *args, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, name, &v))
		return 0;
	return (uint64_t)json_object_get_int64(v);
}

static struct json_object *
vol_create_fn(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	const char *fmt = arg_str(a, "format") ?: "raw";
	const char *b = arg_str(a, "backing");
	const char *bf = arg_str(a, "backing_format");
	uint64_t size = arg_u64(a, "size");
	char path[PATH_MAX], bpath[PATH_MAX];

	if (new_vol(p, a, "name", path, c))
		return NULL;
	if (strcmp(fmt, "raw") && strcmp(fmt, "qcow2")) {
		snprintf(c->err, c->errlen,
			 "unsupported volume format '%s': use raw or qcow2",
			 fmt);
		return NULL;
	}
	if (bf && strcmp(bf, "raw") && strcmp(bf, "qcow2")) {
		snprintf(c->err, c->errlen,
			 "unsupported backing format '%s': use raw or qcow2",
			 bf);
		return NULL;
	}
	if (b && strcmp(fmt, "qcow2")) {
		snprintf(
			c->err, c->errlen,
			"a volume with a backing volume must be qcow2 (--format qcow2)");
		return NULL;
	}
	if ((b && backing_path(p, b, bpath, c)) || (!b && !size)) {
		if (!b)
			snprintf(c->err, c->errlen,
				 "volume '%s': give a capacity above 0",
				 arg_str(a, "name"));
		return NULL;
	}
	if (p->def.type == POOL_LOGICAL) {
		if (b || strcmp(fmt, "raw")) {
			snprintf(
				c->err, c->errlen,
				"pool '%s' is logical: its volumes are raw LVs, without backing volumes",
				p->def.name);
			return NULL;
		}
		return lvm_vol_create(p, arg_str(a, "name"), size, c) ? NULL :
									ok();
	}
	if (volblk_create(path, fmt, size, b ? bpath : NULL, bf, c->err,
			  c->errlen))
		return NULL;
	return ok();
}

static struct json_object *
vol_delete_fn(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	char path[PATH_MAX];
	struct volinfo v;

	if (find_vol(p, a, "vol", path, &v, c))
		return NULL;
	if (p->def.type == POOL_LOGICAL)
		return lvm_vol_delete(p, v.name, c) ? NULL : ok();
	if (unlink(path) || tmpfile_sync_dir(path)) {
		snprintf(c->err, c->errlen, "cannot remove volume '%s': %s",
			 path, strerror(errno));
		return NULL;
	}
	return ok();
}

static struct json_object *
vol_resize_fn(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	uint64_t size = arg_u64(a, "size");
	char path[PATH_MAX];
	struct volinfo v;

	if (find_vol(p, a, "vol", path, &v, c))
		return NULL;
	if (arg_bool(a, "delta"))
		size += v.capacity;
	if (size < v.capacity && !arg_bool(a, "shrink")) {
		snprintf(
			c->err, c->errlen,
			"invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified");
		return NULL;
	}
	if (size && p->def.type == POOL_LOGICAL) /* lvresize, in extents */
		return lvm_vol_resize(p, v.name, size, c) ? NULL : ok();
	if (!size ||
	    volblk_resize(path, size, size < v.capacity, c->err, c->errlen)) {
		if (!size)
			snprintf(c->err, c->errlen,
				 "volume '%s': give a capacity above 0",
				 v.name);
		return NULL;
	}
	return ok();
}

static struct json_object *
vol_clone_fn(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct volinfo v;

	if (find_vol(p, a, "vol", src, &v, c) || new_vol(p, a, "name", dst, c))
		return NULL;
	if (p->def.type == POOL_LOGICAL) {
		if (lvm_vol_create(p, arg_str(a, "name"), v.capacity, c))
			return NULL;
		if (volblk_copy_into(src, dst, c->err, c->errlen)) {
			lvm_vol_delete(p, arg_str(a, "name"), c);
			return NULL;
		}
		return ok();
	}
	if (volblk_copy(src, dst, c->err, c->errlen)) {
		unlink(dst);
		return NULL;
	}
	return ok();
}

static struct json_object *vol_wipe_fn(struct poolrec *p, struct json_object *a,
				       struct cmd_ctx *c)
{
	char path[PATH_MAX];
	struct volinfo v;

	if (find_vol(p, a, "vol", path, &v, c) ||
	    volblk_wipe(path, p->def.type == POOL_LOGICAL ? "raw" : NULL,
			c->err, c->errlen))
		return NULL;
	return ok();
}

/* vol_open_fn - the volume's file opened for vol-upload (write) or
 * vol-download, passed to the client; its size in the reply. */
static struct json_object *vol_open_fn(struct poolrec *p, struct json_object *a,
				       struct cmd_ctx *c)
{
	bool wr = arg_bool(a, "write");
	struct json_object *o;
	char path[PATH_MAX];
	struct volinfo v;
	struct stat st;

	if (find_vol(p, a, "vol", path, &v, c))
		return NULL;
	/* an LV's /dev/VG/NAME is lvm2's symbolic link to its device */
	c->fd = open(path,
		     (wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC |
			     (p->def.type == POOL_LOGICAL ? 0 : O_NOFOLLOW));
	if (c->fd < 0 || fstat(c->fd, &st)) {
		snprintf(c->err, c->errlen, "cannot open volume '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(
		o, "size",
		json_object_new_int64(S_ISBLK(st.st_mode) ?
					      (int64_t)v.capacity :
					      st.st_size));
	return o;
}

#define VOL_CMD(cmd, fn)                                                     \
	struct json_object *cmd(struct json_object *args, struct cmd_ctx *c) \
	{                                                                    \
		return with_pool(fn, args, c);                               \
	}

VOL_CMD(cmd_vol_list, vol_list_fn)
VOL_CMD(cmd_vol_info, vol_info_fn)
VOL_CMD(cmd_vol_dumpxml, vol_dumpxml_fn)
VOL_CMD(cmd_vol_create_as, vol_create_fn)
VOL_CMD(cmd_vol_delete, vol_delete_fn)
VOL_CMD(cmd_vol_resize, vol_resize_fn)
VOL_CMD(cmd_vol_clone, vol_clone_fn)
VOL_CMD(cmd_vol_wipe, vol_wipe_fn)
VOL_CMD(cmd_vol_open, vol_open_fn)
