// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snapshot_revert: a full snapshot (taken running or paused) is loaded by
 * wirt-vmm's loadvm, the domain started paused first when it is shut off;
 * a shut-off snapshot's disks are reverted with the block library, the
 * domain destroyed first when it runs. The domain ends running or paused
 * as the snapshot was, unless "running" or "paused" says otherwise (a
 * shut-off snapshot stays shut off unless one of them is given).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "block/blk-snap.h"
#include "wirtd/cmds.h"
#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

/* set_run_state - vCPUs running or stopped after a revert, as asked. */
static int set_run_state(struct vmrec *vm, bool paused, struct cmd_ctx *c)
{
	if (vm_qmp(vm, paused ? "stop" : "cont", NULL, NULL, c->err, c->errlen))
		return -EIO;
	vm->state = paused ? VM_PAUSED : VM_RUNNING;
	vm->reason = paused ? R_FROM_SNAPSHOT : R_RUNNING_FROM_SNAPSHOT;
	store_save_status(vm);
	return 0;
}

/* revert_full - load full snapshot s into vm (started paused if off). */
static int revert_full(struct vmrec *vm, const struct snap_def *s, bool paused,
		       struct cmd_ctx *c)
{
	bool started = vm->state != VM_RUNNING && vm->state != VM_PAUSED;
	char line[128], ignore[256];

	if (started) {
		vm->start_paused = true;
		if (vm_start(vm, NULL, c->err, c->errlen))
			return -EIO;
	}
	snprintf(line, sizeof(line), "loadvm %s", s->name);
	if (snap_hmp(vm, line, c->err, c->errlen)) {
		if (started) /* not left paused at its boot */
			vm_destroy(vm, ignore, sizeof(ignore));
		return -EIO;
	}
	return set_run_state(vm, paused, c);
}

/* revert_disks - revert vm's disks to shut-off snapshot s (vm destroyed
 * first when it runs), then start it when asked. */
static int revert_disks(struct vmrec *vm, const struct snap_def *s, bool start,
			bool paused, struct cmd_ctx *c)
{
	struct snap_disks sd;
	int r = snap_disks_get(vm, &sd, c->err, c->errlen);

	if (r)
		return r;
	if ((vm->state == VM_RUNNING || vm->state == VM_PAUSED) &&
	    vm_destroy(vm, c->err, c->errlen))
		return -EIO;
	r = snap_disks_op(&sd, BLK_SNAP_APPLY, s->name, c->err, c->errlen);
	if (r)
		return r;
	vm->reason = R_FROM_SNAPSHOT;
	store_save_status(vm);
	if (!start)
		return 0;
	vm->start_paused = paused;
	if (vm_start(vm, NULL, c->err, c->errlen))
		return -EIO;
	if (paused) {
		vm->reason = R_FROM_SNAPSHOT;
		store_save_status(vm);
	}
	return 0;
}

struct json_object *cmd_snapshot_revert(struct json_object *args,
					struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	bool run = arg_bool(args, "running"), pause = arg_bool(args, "paused");
	struct json_object *o = NULL;
	struct snap_def *v, *s;
	unsigned int n;
	int r;

	if (!vm)
		return NULL;
	s = snap_lookup(vm, args, &v, &n, c);
	if (!s)
		goto out;
	c->errclass = "GenericError";
	if (run && pause) {
		snprintf(
			c->err, c->errlen,
			"invalid argument: --running and --paused are mutually exclusive");
	} else if (s->state == SNAP_DISK_ONLY) {
		snprintf(
			c->err, c->errlen,
			"unsupported configuration: reverting to disk-only snapshot '%s' is not supported yet (its overlays hold what was written since; snapshot-delete merges them back into the images)",
			s->name);
	} else {
		if (s->state == SNAP_SHUTOFF)
			r = revert_disks(vm, s, run || pause, pause, c);
		else
			r = revert_full(
				vm, s,
				pause || (s->state == SNAP_PAUSED && !run), c);
		if (!r && !snap_set_current(vm, s->name)) {
			o = ok();
			json_object_object_add(o, "name",
					       json_object_new_string(s->name));
		}
	}
	snaps_free(v, n);
out:
	pthread_mutex_unlock(&vm->lock);
	return o;
}
