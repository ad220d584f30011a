// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disk-only snapshots of a running domain through its wirt-vmm: taking
 * one is a QMP transaction of blockdev-snapshot-sync actions (every
 * writable disk switched to its overlay at one instant, or none);
 * deleting the newest merges each overlay back into its backing image
 * with an active block-commit and pivots the disk onto that image, while
 * the guest goes on writing. The overlays are named as for a shut-off
 * domain (snap-ext.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "block/blk.h"
#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

#define POLL_MS 50

/* One blockdev-snapshot-sync action for disk target onto file. */
static struct json_object *snap_action(const char *target, const char *file)
{
	struct json_object *a = json_object_new_object();
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "device", json_object_new_string(target));
	json_object_object_add(d, "snapshot-file",
			       json_object_new_string(file));
	json_object_object_add(d, "format", json_object_new_string("qcow2"));
	json_object_object_add(
		a, "type", json_object_new_string("blockdev-snapshot-sync"));
	json_object_object_add(a, "data", d);
	return a;
}

/*
 * Name the overlay of disk k of s (on definition d) in s->disks[k].file
 * when it takes part. Returns 0 or -errno with err.
 */
static int plan_disk(const struct dom_def *d, struct snap_def *s,
		     unsigned int k, char *err, size_t errlen)
{
	const struct dom_disk *dk;
	char ov[PATH_MAX];
	int r = snap_overlay_plan(d, s, k, &dk, ov, sizeof(ov), err, errlen);

	if (r <= 0)
		return r;
	s->disks[k].file = strdup(ov);
	return s->disks[k].file ? 0 : -ENOMEM;
}

/* Forget the overlay names of s (wirt-vmm removed what it created). */
static void unplan(struct snap_def *s)
{
	unsigned int k;

	for (k = 0; k < s->ndisks; k++) {
		free(s->disks[k].file);
		s->disks[k].file = NULL;
	}
}

int snap_live_create(struct vmrec *vm, struct snap_def *s, char *err,
		     size_t errlen)
{
	const struct dom_def *d = domain_def(vm->def);
	struct json_object *acts = json_object_new_array(), *a;
	char *files[DOMAIN_DISKS_MAX] = { 0 };
	unsigned int k;
	int r = 0;

	s->state = SNAP_DISK_ONLY;
	s->memory = false;
	for (k = 0; !r && k < s->ndisks; k++) {
		r = plan_disk(d, s, k, err, errlen);
		files[k] = s->disks[k].file;
		if (!r && files[k])
			json_object_array_add(
				acts, snap_action(s->disks[k].name, files[k]));
	}
	if (!r && !json_object_array_length(acts)) {
		snprintf(
			err, errlen,
			"unsupported configuration: domain '%s' has no writable disk to put on an overlay",
			vm->name);
		r = -ENOTSUP;
	}
	if (r) {
		json_object_put(acts);
		unplan(s);
		return r;
	}
	a = json_object_new_object();
	json_object_object_add(a, "actions", acts);
	r = vm_qmp(vm, "transaction", a, NULL, err, errlen);
	if (!r)
		r = snap_switch_disks(vm, s, files, NULL, err, errlen);
	if (r)
		unplan(s);
	return r;
}

/* Sleep POLL_MS. */
static void nap(void)
{
	nanosleep(&(struct timespec){ 0, POLL_MS * 1000000L }, NULL);
}

/*
 * The block job of disk target of vm in *job (a new reference, NULL
 * when it has none). Returns 0 or -errno with err.
 */
static int find_job(struct vmrec *vm, const char *target,
		    struct json_object **job, char *err, size_t errlen)
{
	struct json_object *r = NULL, *v;
	size_t i;

	*job = NULL;
	if (vm_qmp(vm, "query-block-jobs", NULL, &r, err, errlen))
		return -EIO;
	for (i = 0; r && i < json_object_array_length(r); i++) {
		struct json_object *j = json_object_array_get_idx(r, i);

		if (json_object_object_get_ex(j, "device", &v) &&
		    !strcmp(json_object_get_string(v), target))
			*job = json_object_get(j);
	}
	json_object_put(r);
	return 0;
}

/* Wait up to timeout_s for the job of target to be ready. */
static int wait_ready(struct vmrec *vm, const char *target, int timeout_s,
		      char *err, size_t errlen)
{
	struct json_object *job, *v;
	int n, r;

	for (n = 0; n < timeout_s * (1000 / POLL_MS); n++) {
		r = find_job(vm, target, &job, err, errlen);
		if (r)
			return r;
		if (!job) {
			snprintf(
				err, errlen,
				"internal error: the commit of disk '%s' ended before it was ready",
				target);
			return -EIO;
		}
		r = json_object_object_get_ex(job, "ready", &v) &&
		    json_object_get_boolean(v);
		json_object_put(job);
		if (r)
			return 0;
		nap();
	}
	snprintf(
		err, errlen,
		"operation failed: the commit of disk '%s' was not ready within %d s (the guest writes faster than it copies)",
		target, timeout_s);
	return -ETIMEDOUT;
}

int blockjob_commit_pivot(struct vmrec *vm, const char *target,
			  const char *base, int timeout_s, char *err,
			  size_t errlen)
{
	struct json_object *a = json_object_new_object();
	char ignore[256];
	int r;

	json_object_object_add(a, "device", json_object_new_string(target));
	json_object_object_add(a, "job-id", json_object_new_string(target));
	if (base)
		json_object_object_add(a, "base", json_object_new_string(base));
	r = vm_qmp(vm, "block-commit", a, NULL, err, errlen);
	if (r)
		return r;
	r = wait_ready(vm, target, timeout_s, err, errlen);
	if (!r) {
		a = json_object_new_object();
		json_object_object_add(a, "device",
				       json_object_new_string(target));
		r = vm_qmp(vm, "block-job-complete", a, NULL, err, errlen);
	}
	if (r) {
		a = json_object_new_object();
		json_object_object_add(a, "device",
				       json_object_new_string(target));
		vm_qmp(vm, "block-job-cancel", a, NULL, ignore, sizeof(ignore));
	}
	return r;
}

int snap_live_delete(struct vmrec *vm, const struct snap_def *s, char *err,
		     size_t errlen)
{
	char base[PATH_MAX], fmt[16], *paths[DOMAIN_DISKS_MAX] = { 0 };
	const char *fmts[DOMAIN_DISKS_MAX] = { 0 };
	unsigned int k;
	int r = 0;

	for (k = 0; !r && k < s->ndisks; k++) {
		if (!s->disks[k].file)
			continue;
		r = snap_backing(s->disks[k].file, BLK_FMT_QCOW2, base,
				 sizeof(base), fmt, sizeof(fmt), err, errlen);
		r = r	  ?:
			    blockjob_commit_pivot(vm, s->disks[k].name, base,
						  600, err, errlen);
		if (!r && !(paths[k] = strdup(base)))
			r = -ENOMEM;
		fmts[k] = !strcmp(fmt, "raw") ? "raw" : "qcow2";
	}
	/* the disks merged so far run on their bases: record them */
	if (snap_switch_disks(vm, s, paths, fmts, r ? base : err,
			      r ? sizeof(base) : errlen) &&
	    !r)
		r = -EIO;
	for (k = 0; k < s->ndisks; k++) {
		if (paths[k])
			unlink(s->disks[k].file);
		free(paths[k]);
	}
	return r;
}
