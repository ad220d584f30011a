// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU's QMP snapshot jobs (QEMU 6.0 and later, used by libvirt for
 * internal snapshots): snapshot-save, snapshot-load, snapshot-delete,
 * with query-jobs, job-dismiss and JOB_STATUS_CHANGE events.
 *
 * A job is answered at once; its work runs right after the reply, in the
 * control thread, and its status goes created, running, then waiting,
 * pending, concluded (or aborting, concluded with an error), each step an
 * event, as QEMU reports a job with auto-finalize and no auto-dismiss.
 * wirt-vmm snapshots every writable disk together, so "devices" must
 * list all of them (by device or node name) and "vmstate" one of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/control/backup-job.h"
#include "vmm/control/control.h"
#include "vmm/control/ctl.h"
#include "vmm/vm-disks.h"
#include "vmm/vm.h"

#define MAX_JOBS 16

enum job_kind { JOB_SAVE, JOB_LOAD, JOB_DELETE };

static const char *const kind_name[] = { "snapshot-save", "snapshot-load",
					 "snapshot-delete" };

struct job {
	bool used;
	char id[64];
	char tag[72];
	enum job_kind kind;
	const char *status;
	char error[512];
	struct vm *vm;
};

/* Jobs live with the control thread, which alone touches them. */
static struct job jobs[MAX_JOBS];

static struct job *find_job(const char *id)
{
	unsigned int i;

	for (i = 0; i < MAX_JOBS; i++)
		if (jobs[i].used && !strcmp(jobs[i].id, id))
			return &jobs[i];
	return NULL;
}

static void set_status(struct job *j, const char *st)
{
	struct json_object *d = json_object_new_object();

	j->status = st;
	json_object_object_add(d, "id", json_object_new_string(j->id));
	json_object_object_add(d, "status", json_object_new_string(st));
	control_event(j->vm, "JOB_STATUS_CHANGE", d);
}

/* Whether name is disk d's device name or its node name. */
static bool names_disk(const struct vm_disk *d, const char *name)
{
	size_t n = strlen(d->name);

	return !strcmp(name, d->name) ||
	       (!strncmp(name, d->name, n) && !strcmp(name + n, "-format"));
}

/*
 * Check "devices" (and "vmstate" when given): every name is a disk and
 * every writable disk is named. Returns 0, or -1 with the QMP error set.
 */
static int check_devices(struct vm *vm, struct json_object *devs,
			 const char *vmstate, struct qmp_error *err)
{
	unsigned int i, k, n;
	bool found;

	if (!json_object_is_type(devs, json_type_array))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid parameter type for 'devices', expected: array");
	n = json_object_array_length(devs);
	for (k = 0; k < n; k++) {
		const char *name = json_object_get_string(
			json_object_array_get_idx(devs, k));

		for (i = 0, found = false; name && i < vm_disks_count(vm); i++)
			found |= names_disk(vm_disk_get(vm, i), name);
		if (!found)
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "No block device node '%.64s'",
					     name ? name : "(not a string)");
	}
	for (i = 0; i < vm_disks_count(vm); i++) {
		const struct vm_disk *d = vm_disk_get(vm, i);

		if (d->disk->readonly)
			continue;
		for (k = 0, found = false; k < n; k++)
			found |= names_disk(
				d,
				json_object_get_string(json_object_array_get_idx(devs, k)) ?:
					"");
		if (!found)
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"disk '%s' must take part: wirt-vmm snapshots every writable disk together (list it in 'devices')",
				d->name);
	}
	if (!vmstate)
		return 0;
	for (i = 0; i < vm_disks_count(vm); i++)
		if (names_disk(vm_disk_get(vm, i), vmstate))
			return 0;
	return qmp_error_set(err, QMP_ERR_GENERIC,
			     "No block device node '%.64s'", vmstate);
}

/* After the reply: do the work and report the job's steps. */
static void run_job(void *arg)
{
	struct job *j = arg;
	int r;

	set_status(j, "running");
	switch (j->kind) {
	case JOB_SAVE:
		r = snapshot_save(j->vm, j->tag, j->error, sizeof(j->error));
		break;
	case JOB_LOAD:
		r = snapshot_load(j->vm, j->tag, j->error, sizeof(j->error));
		break;
	default:
		r = snapshot_delete(j->vm, j->tag, j->error, sizeof(j->error));
		break;
	}
	if (r) {
		set_status(j, "aborting");
	} else {
		j->error[0] = 0;
		set_status(j, "waiting");
		set_status(j, "pending");
	}
	set_status(j, "concluded");
}

/* The three commands: check, create the job, run it after the reply. */
static int start_job(struct vm *vm, struct json_object *args,
		     enum job_kind kind, struct qmp_error *err)
{
	struct json_object *o, *devs = NULL;
	const char *id, *tag, *vmstate = NULL;
	struct job *j = NULL;
	unsigned int i;
	int r;

	json_object_object_get_ex(args, "job-id", &o);
	id = json_object_get_string(o);
	json_object_object_get_ex(args, "tag", &o);
	tag = json_object_get_string(o);
	json_object_object_get_ex(args, "devices", &devs);
	if (json_object_object_get_ex(args, "vmstate", &o))
		vmstate = json_object_get_string(o);
	if (!id[0] || strlen(id) >= sizeof(jobs[0].id))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Invalid job ID '%.64s'", id);
	if (find_job(id))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Job ID '%s' already in use", id);
	if (!snapshot_tag_ok(tag))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"snapshot name '%.64s' is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'",
			tag);
	r = check_devices(vm, devs, vmstate, err);
	if (r)
		return r;
	for (i = 0; i < MAX_JOBS && !j; i++)
		if (!jobs[i].used)
			j = &jobs[i];
	if (!j)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"too many jobs: dismiss concluded ones (job-dismiss)");
	memset(j, 0, sizeof(*j));
	j->used = true;
	j->vm = vm;
	j->kind = kind;
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->tag, sizeof(j->tag), "%s", tag);
	set_status(j, "created");
	qmp_server_defer(ctl_of(vm)->srv, run_job, j);
	return 0;
}

int cmd_snapshot_save(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err)
{
	return start_job(opaque, args, JOB_SAVE, err);
}

int cmd_snapshot_load(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err)
{
	return start_job(opaque, args, JOB_LOAD, err);
}

int cmd_snapshot_delete(void *opaque, struct json_object *args,
			struct json_object **ret, struct qmp_error *err)
{
	return start_job(opaque, args, JOB_DELETE, err);
}

int cmd_query_jobs(void *opaque, struct json_object *args,
		   struct json_object **ret, struct qmp_error *err)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < MAX_JOBS; i++) {
		const struct job *j = &jobs[i];
		struct json_object *o;
		bool done;

		if (!j->used)
			continue;
		done = !strcmp(j->status, "concluded");
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(j->id));
		json_object_object_add(
			o, "type", json_object_new_string(kind_name[j->kind]));
		json_object_object_add(o, "status",
				       json_object_new_string(j->status));
		json_object_object_add(o, "current-progress",
				       json_object_new_int(done));
		json_object_object_add(o, "total-progress",
				       json_object_new_int(1));
		if (j->error[0])
			json_object_object_add(
				o, "error", json_object_new_string(j->error));
		json_object_array_add(a, o);
	}
	backup_jobs_query(a);
	*ret = a;
	return 0;
}

int cmd_job_dismiss(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct json_object *o;
	struct job *j;

	json_object_object_get_ex(args, "id", &o);
	j = find_job(json_object_get_string(o));
	if (!j && backup_job_dismiss(json_object_get_string(o), err) <= 0)
		return err->desc[0] ? -1 : 0;
	if (!j)
		return qmp_error_set(err, QMP_ERR_GENERIC, "Job not found");
	if (strcmp(j->status, "concluded"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Job '%s' in state '%s' cannot accept command verb 'dismiss'",
			j->id, j->status);
	j->used = false;
	return 0;
}
