// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The disks a domain snapshot covers, and what happens to them: offline
 * (shut-off domain) through the block library in-process, online through
 * wirt-vmm's savevm/loadvm/delvm over its QMP socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "block/blk-snap.h"
#include "block/blk.h"
#include "wirtd/pool.h"
#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

/* probe_name - "raw" or "qcow2" for the image at path, NULL when it
 * cannot be opened. */
static const char *probe_name(const char *path)
{
	enum blk_format f;
	struct blk *b;

	if (blk_open(&b, path, BLK_FMT_PROBE,
		     BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN))
		return NULL;
	f = blk_get_format(b);
	blk_close(b);
	return blk_format_name(f);
}

/* add_disk - disk k (file at path) into sd, when it is a writable
 * qcow2 image; err says why not. */
static int add_disk(const struct dom_disk *k, const char *path,
		    struct snap_disks *sd, char *err, size_t errlen)
{
	const char *fmt = k->format == DOM_FMT_RAW   ? "raw" :
			  k->format == DOM_FMT_QCOW2 ? "qcow2" :
						       probe_name(path);

	if (k->type != DOM_DISK_FILE || !path) {
		snprintf(
			err, errlen,
			"unsupported configuration: disk '%s' is not an image file: internal snapshots need qcow2 image files",
			k->target);
		return -ENOTSUP;
	}
	if (!fmt || strcmp(fmt, "qcow2")) {
		snprintf(
			err, errlen,
			"unsupported configuration: internal snapshot of disk '%s' needs a qcow2 image, '%s' is %s (convert it: wirt-img convert -O qcow2)",
			k->target, path, fmt ? fmt : "unreadable");
		return -ENOTSUP;
	}
	if (strlen(k->target) > SNAP_DISK_NAME_MAX || strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(sd->target[sd->n], k->target);
	strcpy(sd->path[sd->n++], path);
	return 0;
}

int snap_disks_get(struct vmrec *vm, struct snap_disks *sd, char *err,
		   size_t errlen)
{
	const struct dom_def *d = domain_def(vm->def);
	struct pool_disks *pd = NULL;
	unsigned int i;
	int r;

	memset(sd, 0, sizeof(*sd));
	r = pool_resolve_disks(d, &pd, err, errlen);
	if (r)
		return r;
	if (pd)
		d = &pd->def;
	for (i = 0; !r && i < d->ndisks; i++)
		if (!d->disks[i].readonly && d->disks[i].device == DOM_DEV_DISK)
			r = add_disk(&d->disks[i], d->disks[i].source, sd, err,
				     errlen);
	free(pd);
	if (!r && !sd->n) {
		snprintf(
			err, errlen,
			"unsupported configuration: domain '%s' has no writable qcow2 disk to hold an internal snapshot",
			vm->name);
		r = -ENOTSUP;
	}
	return r;
}

int snap_disks_op(const struct snap_disks *sd, int op, const char *name,
		  char *err, size_t errlen)
{
	char ignore[256];
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < sd->n; i++) {
		r = blk_snapshot_path(sd->path[i], op, name, err, errlen);
		if (r == -ENOENT && op == BLK_SNAP_DELETE)
			r = 0;
	}
	if (r && op == BLK_SNAP_CREATE)
		for (i--; i-- > 0;)
			blk_snapshot_path(sd->path[i], BLK_SNAP_DELETE, name,
					  ignore, sizeof(ignore));
	return r;
}

void snap_state_file_remove(const struct snap_disks *sd, const char *name)
{
	char path[PATH_MAX + 96];

	if (!sd->n)
		return;
	snprintf(path, sizeof(path), "%s.snapshots/%s.state", sd->path[0],
		 name);
	unlink(path);
	snprintf(path, sizeof(path), "%s.snapshots", sd->path[0]);
	rmdir(path); /* when it is empty */
}

int snap_hmp(struct vmrec *vm, const char *line, char *err, size_t errlen)
{
	struct json_object *a = json_object_new_object(), *ret = NULL;
	const char *t;
	int r;

	json_object_object_add(a, "command-line", json_object_new_string(line));
	r = vm_qmp(vm, "human-monitor-command", a, &ret, err, errlen);
	if (r)
		return r;
	t = json_object_get_string(ret);
	if (t && !strncmp(t, "Error", 5)) {
		snprintf(err, errlen,
			 "operation failed: %s of domain '%s': %.*s", line,
			 vm->name, (int)strcspn(t, "\r\n"), t);
		r = -EIO;
	}
	json_object_put(ret);
	return r;
}
