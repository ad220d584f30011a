// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP migrate to a file (save): runs in its own thread so the control
 * socket stays responsive; MIGRATION events report setup, active,
 * completed, failed or cancelled. The VM stays paused after a completed
 * save ("postmigrate"), like QEMU; cont resumes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "vmm/control/control.h"
#include "vmm/control/ctl.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000ULL + t.tv_nsec / 1000000;
}

/* Set the status (mig_lock held by nobody) and emit MIGRATION. */
static void set_status(struct vm *vm, const char *st)
{
	struct vm_control *c = ctl_of(vm);
	struct json_object *d = json_object_new_object();

	pthread_mutex_lock(&c->mig_lock);
	c->mig_status = st;
	pthread_mutex_unlock(&c->mig_lock);
	json_object_object_add(d, "status", json_object_new_string(st));
	control_event(vm, "MIGRATION", d);
}

static void *migrate_thread(void *arg)
{
	struct vm *vm = arg;
	struct vm_control *c = ctl_of(vm);
	uint64_t t0 = now_ms();
	bool paused_here;
	char why[512] = "";
	int r;

	paused_here = vm_pause(vm);
	if (paused_here)
		control_event(vm, "STOP", NULL);
	set_status(vm, "active");
	r = state_save(vm, c->mig_path, &c->mig_done, &c->mig_cancel, NULL,
		       NULL, why, sizeof(why));
	if (r)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s",
			 sandbox_access_hint(r));
	pthread_mutex_lock(&c->mig_lock);
	c->mig_ms = now_ms() - t0;
	if (r)
		snprintf(c->mig_error, sizeof(c->mig_error), "%s", why);
	pthread_mutex_unlock(&c->mig_lock);
	if (!r) {
		c->state_override = "postmigrate";
		set_status(vm, "completed");
	} else {
		if (r != -ECANCELED)
			wirt_warn("migrate to '%s' failed: %s", c->mig_path,
				  why);
		set_status(vm, r == -ECANCELED ? "cancelled" : "failed");
		if (paused_here && vm_resume(vm))
			control_event(vm, "RESUME", NULL);
	}
	pthread_mutex_lock(&c->mig_lock);
	c->migrating = false;
	pthread_mutex_unlock(&c->mig_lock);
	return NULL;
}

int cmd_migrate(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct vm_control *c = ctl_of(vm);
	struct json_object *u;
	const char *uri;
	char why[160];
	int r;

	json_object_object_get_ex(args, "uri", &u);
	uri = json_object_get_string(u);
	if (strncmp(uri, "file:", 5) || !uri[5] ||
	    strlen(uri + 5) >= sizeof(c->mig_path))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid migration URI '%.64s': only file:PATH is supported",
			uri);
	if (json_object_object_get_ex(args, "blk", &u) &&
	    json_object_get_boolean(u))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"block migration (blk) is not supported: disks stay where they are");
	if (__atomic_load_n(&vm->request, __ATOMIC_ACQUIRE) != VM_RUNNING)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "the VM is shutting down");
	if (!state_check_devices(vm, why, sizeof(why)))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "%s: cannot save this VM", why);
	pthread_mutex_lock(&c->mig_lock);
	if (c->migrating) {
		pthread_mutex_unlock(&c->mig_lock);
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "There's a migration process in progress");
	}
	pthread_mutex_unlock(&c->mig_lock);
	migrate_wait(vm);
	snprintf(c->mig_path, sizeof(c->mig_path), "%s", uri + 5);
	c->mig_error[0] = 0;
	c->mig_done = 0;
	c->mig_total = vm->cfg->memory;
	c->mig_cancel = false;
	c->migrating = true;
	set_status(vm, "setup");
	r = -thread_start(&c->mig_tid, migrate_thread, vm);
	if (r) {
		c->migrating = false;
		set_status(vm, "failed");
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "cannot start the migration thread: %s",
				     strerror(r));
	}
	c->mig_thread = true;
	return 0;
}

int cmd_query_migrate(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct vm_control *c = ctl_of(vm);
	struct json_object *o = json_object_new_object(), *ram;

	pthread_mutex_lock(&c->mig_lock);
	if (c->mig_status) {
		json_object_object_add(o, "status",
				       json_object_new_string(c->mig_status));
		ram = json_object_new_object();
		json_object_object_add(ram, "transferred",
				       json_object_new_int64(c->mig_done));
		json_object_object_add(ram, "total",
				       json_object_new_int64(c->mig_total));
		json_object_object_add(
			ram, "remaining",
			json_object_new_int64(c->mig_total - c->mig_done));
		json_object_object_add(o, "ram", ram);
		if (!c->migrating)
			json_object_object_add(
				o, "total-time",
				json_object_new_int64(c->mig_ms));
		if (c->mig_error[0])
			json_object_object_add(
				o, "error-desc",
				json_object_new_string(c->mig_error));
	}
	pthread_mutex_unlock(&c->mig_lock);
	*ret = o;
	return 0;
}

int cmd_migrate_cancel(void *opaque, struct json_object *args,
		       struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;

	ctl_of(vm)->mig_cancel = true;
	return 0;
}

void migrate_wait(struct vm *vm)
{
	struct vm_control *c = ctl_of(vm);

	if (c && c->mig_thread) {
		pthread_join(c->mig_tid, NULL);
		c->mig_thread = false;
	}
}
