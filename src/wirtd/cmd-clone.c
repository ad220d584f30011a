// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virt-clone's job (clone) and disk images for `wirt install`
 * (vol_create), through the block library that wirt-img uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "block/blk.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/wirtd.h"

#define COPY_CHUNK (1 << 20)

/* all_zero - the buffer holds only zero bytes. */
static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/*
 * copy_image - a full copy of image src (format fmt, with its backing
 * chain flattened) into a new image dst of the same format and size;
 * zero ranges stay unallocated. Returns 0 or -errno with err set.
 */
static int copy_image(const char *src, enum blk_format fmt, const char *dst,
		      char *err, size_t errlen)
{
	struct blk_create_opts o = { 0 };
	struct blk *in = NULL, *out = NULL;
	uint64_t off, size;
	uint8_t *buf = malloc(COPY_CHUNK);
	size_t n;
	int r;

	r = buf ? blk_open(&in, src, fmt, BLK_O_NO_PROBE_WARN) : -ENOMEM;
	if (r)
		goto out;
	o.size = size = blk_getlength(in);
	r = blk_create(dst, blk_get_format(in), &o);
	if (!r)
		r = blk_open(&out, dst, blk_get_format(in), BLK_O_RDWR);
	for (off = 0; !r && off < size; off += n) {
		n = size - off < COPY_CHUNK ? size - off : COPY_CHUNK;
		r = blk_pread(in, off, buf, n);
		if (!r && !all_zero(buf, n))
			r = blk_pwrite(out, off, buf, n);
	}
	if (!r)
		r = blk_flush(out);
out:
	if (r)
		snprintf(err, errlen, "copying '%s' to '%s' failed: %s", src,
			 dst,
			 blk_last_error()[0] ? blk_last_error() : strerror(-r));
	if (out && blk_close(out) && !r)
		r = -EIO;
	if (in)
		blk_close(in);
	free(buf);
	return r;
}

/* thin_image - a qcow2 overlay dst over src (format fmt). */
static int thin_image(const char *src, enum blk_format fmt, const char *dst,
		      char *err, size_t errlen)
{
	struct blk_create_opts o = { .backing_file = src,
				     .backing_fmt = blk_format_name(fmt) };
	struct blk *in;
	int r = blk_open(&in, src, fmt, BLK_O_NO_PROBE_WARN);

	if (!r) {
		o.size = blk_getlength(in);
		blk_close(in);
		r = blk_create(dst, BLK_FMT_QCOW2, &o);
	}
	if (r)
		snprintf(err, errlen,
			 "creating the overlay '%s' over '%s' failed: %s", dst,
			 src, blk_last_error());
	return r;
}

/* clone_path - "DIR/BASE-clone.EXT" beside src (then -clone-1, -clone-2,
 * ...), the first that is free. */
static int clone_path(const char *src, char *out, size_t len)
{
	const char *slash = strrchr(src, '/');
	const char *dot = strrchr(slash ? slash : src, '.');
	int stem = dot ? (int)(dot - src) : (int)strlen(src);
	int i;

	for (i = 0; i < 100; i++) {
		if (snprintf(out, len, "%.*s-clone%s%.0d%s", stem, src,
			     i ? "-" : "", i, dot ? dot : "") >= (int)len)
			return -ENAMETOOLONG;
		if (access(out, F_OK))
			return 0;
	}
	return -EEXIST;
}

/* clone_disks - new images for the writable disks of d (a copy of the
 * original's definition); their paths go into made. */
static int clone_disks(struct domain *d, struct json_object *args,
		       struct json_object *made, struct cmd_ctx *c)
{
	const struct dom_def *v = domain_def(d);
	struct json_object *files = NULL, *f;
	char path[PATH_MAX], src[PATH_MAX];
	bool thin = arg_bool(args, "thin");
	unsigned int i, k = 0;
	enum blk_format fmt;
	int r = 0;

	json_object_object_get_ex(args, "files", &files);
	for (i = 0; !r && i < v->ndisks; i++) {
		if (v->disks[i].type == DOM_DISK_VOLUME &&
		    !v->disks[i].readonly) {
			snprintf(
				c->err, c->errlen,
				"disk '%s' is volume '%s' of pool '%s': clone it with vol-clone and define the copy (clone does not copy pool volumes yet)",
				v->disks[i].target, v->disks[i].volume,
				v->disks[i].pool);
			return -ENOTSUP;
		}
		if (v->disks[i].readonly || !v->disks[i].source)
			continue; /* shared, as virt-clone does */
		fmt = v->disks[i].format == DOM_FMT_QCOW2 ? BLK_FMT_QCOW2 :
							    BLK_FMT_RAW;
		snprintf(src, sizeof(src), "%s", v->disks[i].source);
		f = files ? json_object_array_get_idx(files, k++) : NULL;
		if (f)
			snprintf(path, sizeof(path), "%s",
				 json_object_get_string(f));
		else if (!arg_bool(args, "auto_clone") ||
			 clone_path(src, path, sizeof(path))) {
			snprintf(
				c->err, c->errlen,
				"give a --file for disk '%s' or use --auto-clone",
				v->disks[i].target);
			return -EINVAL;
		}
		if (!access(path, F_OK)) {
			snprintf(c->err, c->errlen,
				 "'%s' exists already; choose another --file",
				 path);
			return -EEXIST;
		}
		r = thin ? thin_image(src, fmt, path, c->err, c->errlen) :
			   copy_image(src, fmt, path, c->err, c->errlen);
		if (!r) {
			json_object_array_add(made,
					      json_object_new_string(path));
			r = domain_set_disk(
				d, i, path,
				blk_format_name(thin ? BLK_FMT_QCOW2 : fmt),
				c->err, c->errlen);
			v = domain_def(d);
		}
	}
	return r;
}

struct json_object *cmd_clone(struct json_object *args, struct cmd_ctx *c)
{
	const char *name = arg_str(args, "name");
	struct json_object *made = json_object_new_array(), *o;
	struct domain *d = NULL;
	struct vmrec *vm, *nvm;
	char *xml;
	size_t i;
	int r = -EINVAL;

	if (!name || vmtab_find(name)) {
		snprintf(
			c->err, c->errlen,
			"Invalid name for new guest: Guest name '%s' is already in use.",
			name ? name : "");
		json_object_put(made);
		return NULL;
	}
	vm = lock_vm(args, c);
	if (!vm) {
		json_object_put(made);
		return NULL;
	}
	if (vm->state == VM_RUNNING && !arg_bool(args, "force")) {
		snprintf(
			c->err, c->errlen,
			"Domain with devices to clone must be paused or shutoff.");
		goto out;
	}
	xml = domain_format(vm->def);
	r = xml ? domain_parse(xml, strlen(xml), name, &d, c->err, c->errlen) :
		  -ENOMEM;
	free(xml);
	if (!r)
		r = domain_set_name(d, name, c->err, c->errlen);
	if (!r)
		r = domain_new_identity(d, c->err, c->errlen);
	if (!r)
		r = clone_disks(d, args, made, c);
out:
	pthread_mutex_unlock(&vm->lock);
	nvm = r ? NULL : vmtab_add(name, d);
	if (nvm) {
		pthread_mutex_lock(&nvm->lock);
		nvm->persistent = true;
		r = store_save_def(nvm, c->err, c->errlen);
		pthread_mutex_unlock(&nvm->lock);
	} else if (!r) {
		r = -ENOMEM;
	}
	if (r) {
		for (i = 0; i < json_object_array_length(made); i++)
			unlink(json_object_get_string(
				json_object_array_get_idx(made, i)));
		json_object_put(made);
		if (!nvm)
			domain_free(d);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "files", made);
	return o;
}

struct json_object *cmd_vol_create(struct json_object *args, struct cmd_ctx *c)
{
	const char *name = arg_str(args, "name"),
		   *fmt = arg_str(args, "format");
	struct blk_create_opts o = { 0 };
	enum blk_format f = BLK_FMT_QCOW2;
	struct json_object *v, *ret;
	char dir[PATH_MAX], path[PATH_MAX];

	if (args && json_object_object_get_ex(args, "size", &v))
		o.size = (uint64_t)json_object_get_int64(v);
	if (!name || !*name || strchr(name, '/') || name[0] == '.' || !o.size) {
		snprintf(c->err, c->errlen,
			 "a volume needs a plain file name and a size above 0");
		return NULL;
	}
	if (fmt && blk_format_parse(fmt, &f) < 0) {
		snprintf(c->err, c->errlen, "format '%s': use qcow2 or raw",
			 fmt);
		return NULL;
	}
	if (path_of(dir, sizeof(dir), W->paths.lib, "images", "") ||
	    path_of(path, sizeof(path), dir, name, ""))
		return NULL;
	mkdir(dir, 0711);
	if (!access(path, F_OK)) {
		snprintf(c->err, c->errlen, "volume '%s' exists already", path);
		return NULL;
	}
	if (blk_create(path, f, &o)) {
		snprintf(c->err, c->errlen, "cannot create '%s': %s", path,
			 blk_last_error());
		return NULL;
	}
	ret = json_object_new_object();
	json_object_object_add(ret, "path", json_object_new_string(path));
	return ret;
}

/* save_xml - the definition beside a save file, FILE.xml, for restore. */
static int save_xml(struct vmrec *vm, const char *file, struct cmd_ctx *c)
{
	char path[PATH_MAX], *xml = domain_format(vm->def);
	int r = -ENOMEM;

	if (xml &&
	    snprintf(path, sizeof(path), "%s.xml", file) < (int)sizeof(path))
		r = store_write(path, xml, strlen(xml), 0600);
	free(xml);
	if (r)
		snprintf(c->err, c->errlen, "cannot write '%s.xml': %s", file,
			 strerror(-r));
	return r;
}

struct json_object *cmd_save(struct json_object *args, struct cmd_ctx *c)
{
	const char *file = arg_str(args, "file");
	struct vmrec *vm;
	char path[PATH_MAX];
	int r;

	if (!file || !realpath(file, path)) {
		/* the file need not exist yet: its directory must */
		if (!file ||
		    snprintf(path, sizeof(path), "%s", file) >=
			    (int)sizeof(path) ||
		    path[0] != '/') {
			snprintf(c->err, c->errlen,
				 "give the save file as an absolute path");
			return NULL;
		}
	}
	vm = lock_vm(args, c);
	if (!vm)
		return NULL;
	r = save_xml(vm, path, c);
	if (!r)
		r = vm_save(vm, path, c->err, c->errlen);
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}

struct json_object *cmd_managedsave(struct json_object *args, struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	char path[PATH_MAX];
	int r;

	if (!vm)
		return NULL;
	r = managed_save_path(vm, path, sizeof(path));
	if (!r && arg_bool(args, "remove")) {
		if (unlink(path)) {
			snprintf(
				c->err, c->errlen,
				"Requested operation is not valid: domain has no managed save image");
			r = -ENOENT;
		}
	} else if (!r) {
		if (!vm->persistent) {
			snprintf(
				c->err, c->errlen,
				"Requested operation is not valid: cannot do managed save for transient domain");
			r = -EINVAL;
		} else {
			r = vm_save(vm, path, c->err, c->errlen);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}

struct json_object *cmd_restore(struct json_object *args, struct cmd_ctx *c)
{
	const char *file = arg_str(args, "file");
	char path[PATH_MAX], *xml;
	struct json_object *o;
	struct domain *d;
	struct vmrec *vm;
	size_t len;
	int r;

	if (!file ||
	    snprintf(path, sizeof(path), "%s.xml", file) >= (int)sizeof(path) ||
	    store_read(path, &xml, &len, DOMAIN_XML_MAX)) {
		snprintf(
			c->err, c->errlen,
			"'%s' is not a save made by wirt save ('%s.xml' is missing)",
			file ? file : "", file ? file : "");
		return NULL;
	}
	r = domain_parse(xml, len, path, &d, c->err, c->errlen);
	free(xml);
	if (r)
		return NULL;
	vm = vmtab_find(domain_def(d)->name);
	if (!vm || !vm->name[0]) {
		vm = vmtab_add(domain_def(d)->name, d);
		if (!vm) {
			domain_free(d);
			return NULL;
		}
	} else {
		domain_free(d);
	}
	pthread_mutex_lock(&vm->lock);
	snprintf(vm->incoming, sizeof(vm->incoming), "%s", file);
	r = vm_start(vm, NULL, c->err, c->errlen);
	if (r && !vm->persistent)
		vmtab_remove(vm);
	o = r ? NULL : json_object_new_object();
	if (o)
		json_object_object_add(o, "name",
				       json_object_new_string(vm->name));
	pthread_mutex_unlock(&vm->lock);
	return o;
}
