// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP blockdev-snapshot-sync and transaction: live external snapshots.
 * Each action creates a qcow2 overlay whose backing file is the disk's
 * current image (absolute path), before the VM is touched; then, with the
 * vCPUs parked and the devices quiesced, every disk of the transaction
 * switches to its overlay. A failure before the switch removes the
 * overlays created; a failure during it switches the disks already
 * switched back to their images (their overlays are still empty) and
 * removes the overlays: all or nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/blk.h"
#include "vmm/control/blockjob-cmd.h"
#include "vmm/control/blockjob-int.h"
#include "vmm/vm.h"

struct snap_act {
	const struct vm_disk *e;
	char file[PATH_MAX]; /* the new overlay */
	char old[PATH_MAX]; /* the image the disk writes before */
	enum blk_format old_fmt;
	bool created;
};

struct snap_tx {
	unsigned int n, switched;
	struct snap_act a[VM_MAX_DISKS];
};

/* Get string member name of o (NULL when absent); -1 on a wrong type. */
static int get_str(struct json_object *o, const char *name, const char **out,
		   struct qmp_error *err)
{
	struct json_object *v = json_object_object_get(o, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid parameter type for '%s', expected: string",
			name);
	*out = json_object_get_string(v);
	return 0;
}

/* Check one blockdev-snapshot-sync's arguments into a (not created). */
static int parse_action(struct vm *vm, struct snap_tx *t, struct json_object *o,
			struct qmp_error *err)
{
	const char *dev, *node, *file, *fmt, *mode;
	struct snap_act *a = &t->a[t->n];
	unsigned int i;

	if (!json_object_is_type(o, json_type_object))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid parameter type for 'data', expected: object");
	if (get_str(o, "device", &dev, err) ||
	    get_str(o, "node-name", &node, err) ||
	    get_str(o, "snapshot-file", &file, err) ||
	    get_str(o, "format", &fmt, err) || get_str(o, "mode", &mode, err))
		return -1;
	if (!dev && !node)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Cannot find device= nor node-name=");
	if (!file)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Parameter 'snapshot-file' is missing");
	if (fmt && strcmp(fmt, "qcow2"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"snapshot format '%.32s' is not supported: wirt-vmm creates qcow2 overlays (leave out 'format' or give qcow2)",
			fmt);
	if (mode && strcmp(mode, "absolute-paths"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"mode '%.32s' is not supported: wirt-vmm creates the overlay itself (mode absolute-paths)",
			mode);
	a->e = bj_find_disk(vm, dev ? dev : node, err);
	if (!a->e)
		return -1;
	for (i = 0; i < t->n; i++)
		if (t->a[i].e == a->e)
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"disk '%s' appears twice in the transaction",
				a->e->name);
	if (a->e->disk->readonly)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Node '%s' is read only", a->e->name);
	if (a->e->disk->job_busy)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Node '%s' is busy: block device is in use by block job",
			a->e->name);
	if (snprintf(a->file, sizeof(a->file), "%s", file) >=
		    (int)sizeof(a->file) ||
	    !realpath(disk_file(a->e->disk), a->old))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "disk '%s': cannot resolve its image path",
				     a->e->name);
	a->old_fmt = a->e->disk->format;
	t->n++;
	return 0;
}

/* Create action a's overlay. Returns 0 or -1 with err set. */
static int create_overlay(struct snap_act *a, struct qmp_error *err)
{
	struct blk_create_opts co = {
		.size = a->e->disk->size,
		.backing_file = a->old,
		.backing_fmt = blk_format_name(a->old_fmt),
	};
	int r;

	if (!access(a->file, F_OK))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Could not create '%.200s': the file exists (remove it or pick another name)",
			a->file);
	r = blk_create(a->file, BLK_FMT_QCOW2, &co);
	if (r < 0) {
		unlink(a->file);
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Could not create '%.200s': %s", a->file,
				     blk_last_error());
	}
	a->created = true;
	return 0;
}

/* Remove the overlays created by t. */
static void remove_overlays(struct snap_tx *t)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->a[i].created)
			unlink(t->a[i].file);
}

/* bj_held_fn: switch every disk of the transaction, or none. */
static int switch_all(void *arg, char *err, size_t errlen)
{
	struct snap_tx *t = arg;
	char ignore[512];
	int r = 0;

	for (t->switched = 0; t->switched < t->n; t->switched++) {
		struct snap_act *a = &t->a[t->switched];

		r = disk_snapshot_switch(a->e->disk, a->file, err, errlen);
		if (r)
			break;
	}
	if (!r)
		return 0;
	while (t->switched--) {
		struct snap_act *a = &t->a[t->switched];

		if (disk_pivot_layer(a->e->disk, a->old, a->old_fmt, ignore,
				     sizeof(ignore)))
			fprintf(stderr,
				"wirt-vmm: transaction: cannot switch disk '%s' back to '%s': %s\n",
				a->e->name, a->old, ignore);
	}
	return r;
}

/* Create every overlay of t, switch, clean up on failure. */
static int run_tx(struct vm *vm, struct snap_tx *t, struct qmp_error *err)
{
	char msg[512];
	unsigned int i;
	int r;

	for (i = 0; i < t->n; i++)
		if (create_overlay(&t->a[i], err)) {
			remove_overlays(t);
			return -1;
		}
	for (i = 0; i < t->n; i++) /* little is left for the paused flush */
		disk_flush_now(t->a[i].e->disk);
	r = bj_quiesced(vm, "blockdev-snapshot-sync", switch_all, t, msg,
			sizeof(msg));
	if (!r)
		return 0;
	remove_overlays(t);
	return qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
}

/* Parse the transaction's actions into t. Returns 0 or -1 with err. */
static int parse_actions(struct vm *vm, struct snap_tx *t,
			 struct json_object *acts, struct qmp_error *err)
{
	unsigned int i, n;

	if (!json_object_is_type(acts, json_type_array))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid parameter type for 'actions', expected: array");
	n = json_object_array_length(acts);
	if (!n || n > VM_MAX_DISKS)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "a transaction takes 1 to %d actions",
				     VM_MAX_DISKS);
	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(acts, i);
		const char *type;

		if (get_str(a, "type", &type, err))
			return -1;
		if (!type || strcmp(type, "blockdev-snapshot-sync"))
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"action '%.64s' is not supported: wirt-vmm's transaction takes blockdev-snapshot-sync actions",
				type ? type : "(none)");
		if (parse_action(vm, t, json_object_object_get(a, "data"), err))
			return -1;
	}
	return 0;
}

/*
 * Parse one action (single) or the transaction's actions into a new
 * snap_tx and run it. Returns 0 or -1 with err set.
 */
static int parse_and_run(struct vm *vm, struct json_object *args, bool single,
			 struct qmp_error *err)
{
	struct snap_tx *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	bj_reap();
	r = single ?
		    parse_action(vm, t, args, err) :
		    parse_actions(vm, t,
				  json_object_object_get(args, "actions"), err);
	if (!r)
		r = run_tx(vm, t, err);
	free(t);
	return r;
}

int cmd_blockdev_snapshot_sync(void *opaque, struct json_object *args,
			       struct json_object **ret, struct qmp_error *err)
{
	return parse_and_run(opaque, args, true, err);
}

int livesnap_transaction(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	return parse_and_run(opaque, args, false, err);
}
