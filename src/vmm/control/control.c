// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The QMP command set of a VM: run state, stop/cont, power button, reset,
 * quit, vCPU list, and the events the VM emits.
 */
#include "vmm/control/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "vmm/control/backup-job.h"
#include "vmm/control/bitmap-cmd.h"
#include "vmm/control/block-cmd.h"
#include "vmm/control/blockjob-cmd.h"
#include "vmm/control/jobs-cmd.h"
#include "vmm/control/ctl.h"
#include "vmm/control/qmp.h"
#include "vmm/devices/platform.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/vm.h"

void control_event(struct vm *vm, const char *name, struct json_object *data)
{
	struct vm_control *c = ctl_of(vm);

	if (c)
		qmp_server_event(c->srv, name, data);
	else
		json_object_put(data);
}

/* {"guest": guest, "reason": reason}: SHUTDOWN and RESET data. */
static struct json_object *why(bool guest, const char *reason)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "guest", json_object_new_boolean(guest));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	return d;
}

/*
 * The VM stopped for reason req (enum vm_request): emit SHUTDOWN or RESET
 * with QEMU's "guest" and "reason" fields. Main thread, after the vCPUs
 * are gone.
 */
static void vm_stopped(struct vm *vm, int req)
{
	struct vm_control *c = ctl_of(vm);
	const char *host = c ? c->host_reason : NULL;

	if (!c)
		return;
	c->host_reason = NULL;
	switch (req) {
	case VM_POWEROFF:
		control_event(vm, "SHUTDOWN", why(true, "guest-shutdown"));
		break;
	case VM_RESET:
		if (vm->cfg->no_reboot)
			control_event(vm, "SHUTDOWN",
				      why(!host, host ? host : "guest-reset"));
		else
			control_event(vm, "RESET",
				      why(!host, host ? host : "guest-reset"));
		break;
	case VM_QUIT:
		control_event(vm, "SHUTDOWN",
			      why(false, host ? host : "host-signal"));
		break;
	case VM_CRASH:
		control_event(vm, "SHUTDOWN", why(true, "guest-panic"));
		break;
	}
}

/* QEMU's RunState name for the VM now. */
static const char *run_state(struct vm *vm)
{
	struct vm_control *c = ctl_of(vm);
	enum vm_request req = __atomic_load_n(&vm->request, __ATOMIC_ACQUIRE);

	if (req == VM_CRASH)
		return "internal-error";
	if (req != VM_RUNNING && req != VM_RESET)
		return "shutdown";
	if (c->state_override)
		return c->state_override;
	return vm_paused(vm) ? "paused" : "running";
}

static int cmd_query_status(void *opaque, struct json_object *args,
			    struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct json_object *o = json_object_new_object();
	const char *st = run_state(vm);

	json_object_object_add(o, "status", json_object_new_string(st));
	json_object_object_add(o, "singlestep", json_object_new_boolean(0));
	json_object_object_add(o, "running",
			       json_object_new_boolean(!strcmp(st, "running")));
	*ret = o;
	return 0;
}

static int cmd_stop(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;

	if (vm_pause(vm))
		control_event(vm, "STOP", NULL);
	return 0;
}

static int cmd_cont(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct vm_control *c = ctl_of(vm);

	if (c->migrating)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"a migration is in progress: wait for it or use migrate_cancel");
	if (c->state_override && !strcmp(c->state_override, "inmigrate"))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "the VM state is still being restored");
	c->state_override = NULL;
	if (vm_resume(vm))
		control_event(vm, "RESUME", NULL);
	return 0;
}

static int cmd_powerdown(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;

	platform_power_button(vm);
	control_event(vm, "POWERDOWN", NULL);
	return 0;
}

static int cmd_reset(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	if (vm->request == VM_RUNNING)
		ctl_of(vm)->host_reason = "host-qmp-system-reset";
	pthread_mutex_unlock(&vm->lock);
	vm_request_stop(vm, VM_RESET);
	return 0;
}

/* Runs after quit's reply is queued: then the VM stops. */
static void do_quit(void *arg)
{
	struct vm *vm = arg;

	vm_request_stop(vm, VM_QUIT);
}

static int cmd_quit(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	if (vm->request == VM_RUNNING)
		ctl_of(vm)->host_reason = "host-qmp-quit";
	pthread_mutex_unlock(&vm->lock);
	qmp_server_defer(ctl_of(vm)->srv, do_quit, vm);
	return 0;
}

static int cmd_query_cpus_fast(void *opaque, struct json_object *args,
			       struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++) {
		struct json_object *o = json_object_new_object();
		struct json_object *p = json_object_new_object();
		char path[64];

		snprintf(path, sizeof(path), "/machine/unattached/device[%u]",
			 i);
		json_object_object_add(o, "cpu-index", json_object_new_int(i));
		json_object_object_add(o, "qom-path",
				       json_object_new_string(path));
		json_object_object_add(
			o, "thread-id",
			json_object_new_int(__atomic_load_n(&vm->vcpus[i].tid,
							    __ATOMIC_RELAXED)));
		json_object_object_add(p, "core-id", json_object_new_int(0));
		json_object_object_add(p, "thread-id", json_object_new_int(0));
		json_object_object_add(p, "socket-id", json_object_new_int(i));
		json_object_object_add(o, "props", p);
		json_object_object_add(o, "target",
				       json_object_new_string("x86_64"));
		json_object_array_add(a, o);
	}
	*ret = a;
	return 0;
}

static const struct qmp_cmd vm_cmds[] = {
	{ "query-status", cmd_query_status, { { NULL } } },
	{ "stop", cmd_stop, { { NULL } } },
	{ "cont", cmd_cont, { { NULL } } },
	{ "system_powerdown", cmd_powerdown, { { NULL } } },
	{ "system_reset", cmd_reset, { { NULL } } },
	{ "quit", cmd_quit, { { NULL } } },
	{ "query-cpus-fast", cmd_query_cpus_fast, { { NULL } } },
	{ "query-block", cmd_query_block, { { NULL } } },
	{ "query-blockstats",
	  cmd_query_blockstats,
	  { { "query-nodes", QMP_T_BOOL, 0 } } },
	{ "block-dirty-bitmap-add",
	  cmd_bitmap_add,
	  { { "node", QMP_T_STR, 1 },
	    { "name", QMP_T_STR, 1 },
	    { "granularity", QMP_T_INT, 0 },
	    { "persistent", QMP_T_BOOL, 0 },
	    { "disabled", QMP_T_BOOL, 0 } } },
	{ "block-dirty-bitmap-remove",
	  cmd_bitmap_remove,
	  { { "node", QMP_T_STR, 1 }, { "name", QMP_T_STR, 1 } } },
	{ "block-dirty-bitmap-clear",
	  cmd_bitmap_clear,
	  { { "node", QMP_T_STR, 1 }, { "name", QMP_T_STR, 1 } } },
	{ "balloon", cmd_balloon, { { "value", QMP_T_INT, 1 } } },
	{ "query-balloon", cmd_query_balloon, { { NULL } } },
	{ "eject",
	  cmd_eject,
	  { { "device", QMP_T_STR, 0 },
	    { "id", QMP_T_STR, 0 },
	    { "force", QMP_T_BOOL, 0 } } },
	{ "blockdev-change-medium",
	  cmd_change_medium,
	  { { "device", QMP_T_STR, 0 },
	    { "id", QMP_T_STR, 0 },
	    { "filename", QMP_T_STR, 1 },
	    { "format", QMP_T_STR, 0 },
	    { "read-only-mode", QMP_T_STR, 0 } } },
	{ "qom-list", cmd_qom_list, { { "path", QMP_T_STR, 1 } } },
	{ "qom-get",
	  cmd_qom_get,
	  { { "path", QMP_T_STR, 1 }, { "property", QMP_T_STR, 1 } } },
	{ "qom-set",
	  cmd_qom_set,
	  { { "path", QMP_T_STR, 1 },
	    { "property", QMP_T_STR, 1 },
	    { "value", QMP_T_ANY, 1 } } },
	{ "migrate",
	  cmd_migrate,
	  { { "uri", QMP_T_STR, 1 },
	    { "detach", QMP_T_BOOL, 0 },
	    { "blk", QMP_T_BOOL, 0 },
	    { "inc", QMP_T_BOOL, 0 },
	    { "resume", QMP_T_BOOL, 0 } } },
	{ "query-migrate", cmd_query_migrate, { { NULL } } },
	{ "snapshot-save",
	  cmd_snapshot_save,
	  { { "job-id", QMP_T_STR, 1 },
	    { "tag", QMP_T_STR, 1 },
	    { "vmstate", QMP_T_STR, 1 },
	    { "devices", QMP_T_ANY, 1 } } },
	{ "snapshot-load",
	  cmd_snapshot_load,
	  { { "job-id", QMP_T_STR, 1 },
	    { "tag", QMP_T_STR, 1 },
	    { "vmstate", QMP_T_STR, 1 },
	    { "devices", QMP_T_ANY, 1 } } },
	{ "snapshot-delete",
	  cmd_snapshot_delete,
	  { { "job-id", QMP_T_STR, 1 },
	    { "tag", QMP_T_STR, 1 },
	    { "devices", QMP_T_ANY, 1 } } },
	{ "query-jobs", cmd_query_jobs, { { NULL } } },
	{ "job-dismiss", cmd_job_dismiss, { { "id", QMP_T_STR, 1 } } },
	{ "human-monitor-command",
	  cmd_hmp,
	  { { "command-line", QMP_T_STR, 1 }, { "cpu-index", QMP_T_INT, 0 } } },
	{ "migrate_cancel", cmd_migrate_cancel, { { NULL } } },
	{ "drive-backup",
	  cmd_drive_backup,
	  { { "job-id", QMP_T_STR, 0 },
	    { "device", QMP_T_STR, 1 },
	    { "target", QMP_T_STR, 1 },
	    { "format", QMP_T_STR, 0 },
	    { "sync", QMP_T_STR, 1 },
	    { "mode", QMP_T_STR, 0 },
	    { "speed", QMP_T_INT, 0 },
	    { "bitmap", QMP_T_STR, 0 },
	    { "bitmap-mode", QMP_T_STR, 0 },
	    { "compress", QMP_T_BOOL, 0 },
	    { "x-backing-file", QMP_T_STR, 0 },
	    { "on-source-error", QMP_T_STR, 0 },
	    { "on-target-error", QMP_T_STR, 0 },
	    { "auto-finalize", QMP_T_BOOL, 0 },
	    { "auto-dismiss", QMP_T_BOOL, 0 } } },
	{ "transaction",
	  cmd_transaction,
	  { { "actions", QMP_T_ANY, 1 }, { "properties", QMP_T_ANY, 0 } } },
	{ "blockdev-snapshot-sync",
	  cmd_blockdev_snapshot_sync,
	  { { "device", QMP_T_STR, 0 },
	    { "node-name", QMP_T_STR, 0 },
	    { "snapshot-file", QMP_T_STR, 1 },
	    { "snapshot-node-name", QMP_T_STR, 0 },
	    { "format", QMP_T_STR, 0 },
	    { "mode", QMP_T_STR, 0 } } },
	{ "block-commit",
	  cmd_block_commit,
	  { { "device", QMP_T_STR, 1 },
	    { "job-id", QMP_T_STR, 0 },
	    { "base", QMP_T_STR, 0 },
	    { "top", QMP_T_STR, 0 },
	    { "speed", QMP_T_INT, 0 },
	    { "auto-dismiss", QMP_T_BOOL, 0 } } },
	{ "block-stream",
	  cmd_block_stream,
	  { { "device", QMP_T_STR, 1 },
	    { "job-id", QMP_T_STR, 0 },
	    { "base", QMP_T_STR, 0 },
	    { "speed", QMP_T_INT, 0 },
	    { "auto-dismiss", QMP_T_BOOL, 0 } } },
	{ "query-block-jobs", cmd_query_block_jobs, { { NULL } } },
	{ "block-job-cancel",
	  cmd_block_job_cancel,
	  { { "device", QMP_T_STR, 1 }, { "force", QMP_T_BOOL, 0 } } },
	{ "block-job-set-speed",
	  cmd_block_job_set_speed,
	  { { "device", QMP_T_STR, 1 }, { "speed", QMP_T_INT, 1 } } },
	{ "job-cancel", cmd_job_cancel, { { "id", QMP_T_STR, 1 } } },
	{ "block-job-complete",
	  cmd_block_job_complete,
	  { { "device", QMP_T_STR, 1 } } },
};

int control_init(struct vm *vm)
{
	const char *path = vm->cfg->api_socket;
	struct vm_control *c;
	int r;

	if (!path)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->vm = vm;
	pthread_mutex_init(&c->mig_lock, NULL);
	c->srv = qmp_server_new(vm_cmds, ARRAY_SIZE(vm_cmds), vm);
	if (!c->srv) {
		r = -errno;
		wirt_err("--api-socket '%s': cannot create the server: %s",
			 path, strerror(-r));
		free(c);
		return r;
	}
	vm_set_events(vm, &(struct vm_events){ control_vm_event, c });
	r = qmp_server_listen(c->srv, path);
	if (r) {
		const char *hint = unix_socket_hint(r);

		wirt_err("--api-socket '%s': %s%s", path, strerror(-r), hint);
		return r;
	}
	r = qmp_server_start(c->srv);
	if (r)
		wirt_err("--api-socket '%s': cannot start its thread: %s", path,
			 strerror(-r));
	return r;
}

/*
 * The vCPUs left for a stop that ends this KVM VM (not a snapshot
 * revert): cancel a running save (migrate, savevm) and wait until it let
 * go of the VM, before its vCPUs are destroyed.
 */
static void vm_stopping(struct vm *vm)
{
	struct vm_control *c = ctl_of(vm);
	bool busy = true;

	if (!c)
		return;
	backup_jobs_stop(vm);
	c->mig_cancel = true;
	while (busy) {
		pthread_mutex_lock(&c->mig_lock);
		busy = c->migrating;
		pthread_mutex_unlock(&c->mig_lock);
		if (busy)
			nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	migrate_wait(vm);
}

/* Flush and close the control socket (vm_destroy). */
static void control_free(struct vm *vm)
{
	struct vm_control *c = ctl_of(vm);

	if (!c)
		return;
	migrate_wait(vm);
	blockjobs_stop_all(vm);
	qmp_server_free(c->srv);
	pthread_mutex_destroy(&c->mig_lock);
	free(c);
	vm_set_events(vm, &(struct vm_events){ NULL, NULL });
}

/* BALLOON_CHANGE with the guest's memory now, in bytes. */
static void balloon_changed(struct vm *vm, uint64_t actual)
{
	struct json_object *data = json_object_new_object();

	json_object_object_add(data, "actual",
			       json_object_new_int64((int64_t)actual));
	control_event(vm, "BALLOON_CHANGE", data);
}

void control_vm_event(void *opaque, struct vm *vm, enum vm_event ev,
		      uint64_t arg)
{
	switch (ev) {
	case VM_EV_STOPPING:
		vm_stopping(vm);
		break;
	case VM_EV_STOPPED:
		vm_stopped(vm, (int)arg);
		break;
	case VM_EV_BALLOON_CHANGE:
		balloon_changed(vm, arg);
		break;
	case VM_EV_DESTROY:
		control_free(vm);
		break;
	}
}
