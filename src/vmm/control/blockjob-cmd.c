// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP block jobs (blockjob-cmd.h): block-commit of the active layer,
 * block-stream, query-block-jobs, block-job-cancel, block-job-complete,
 * and the quiesced window the disk switches run in. A job is named by its
 * job-id (default: the device name) or its device.
 */
#include "vmm/control/blockjob-cmd.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "vmm/control/blockjob-int.h"
#include "vmm/control/control.h"
#include "vmm/control/ctl.h"
#include "vmm/disk/blockjob.h"
#include "vmm/vm-pause.h"
#include "vmm/vm.h"

#define MAX_BJOBS 16

struct bjob {
	bool used;
	bool ended; /* the thread ended the job (stream done, failure) */
	char id[64];
	const struct vm_disk *e;
	struct disk_job *j;
	struct vm *vm;
};

/* Job slots: the control thread owns them; job threads set ended. */
static struct bjob bjobs[MAX_BJOBS];
static pthread_mutex_t bjobs_lock = PTHREAD_MUTEX_INITIALIZER;

const struct vm_disk *bj_find_disk(struct vm *vm, const char *name,
				   struct qmp_error *err)
{
	unsigned int i;
	size_t n;

	for (i = 0; i < vm_disks_count(vm); i++) {
		const struct vm_disk *e = vm_disk_get(vm, i);

		n = strlen(e->name);
		if (!strcmp(name, e->name) || (!strncmp(name, e->name, n) &&
					       !strcmp(name + n, "-format")))
			return e;
	}
	qmp_error_set(err, QMP_ERR_DEV_NOT_FOUND,
		      "Cannot find device='%.64s' nor node-name='%.64s'", name,
		      name);
	return NULL;
}

/* Claim the save machinery against a migration or savevm. */
static bool claim(struct vm_control *c)
{
	bool ok;

	if (!c)
		return true;
	pthread_mutex_lock(&c->mig_lock);
	ok = !c->migrating;
	if (ok)
		c->migrating = true;
	pthread_mutex_unlock(&c->mig_lock);
	return ok;
}

static void release(struct vm_control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mig_lock);
	c->migrating = false;
	pthread_mutex_unlock(&c->mig_lock);
}

/* Monotonic time in nanoseconds. */
static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

int bj_quiesced(struct vm *vm, const char *what, bj_held_fn fn, void *arg,
		char *err, size_t errlen)
{
	struct vm_control *c = ctl_of(vm);
	unsigned int n = 0;
	uint64_t t0;
	bool paused;
	int r = 0;

	if (!claim(c)) {
		snprintf(err, errlen, "a migration or snapshot is in progress");
		return -EBUSY;
	}
	t0 = now_ns();
	paused = vm_pause(vm);
	for (; !r && n < vm->nstate_hooks; n++) {
		const struct vm_state_hook *h = &vm->state_hooks[n];

		r = h->quiesce ? h->quiesce(vm, h->opaque) : 0;
		if (r)
			snprintf(err, errlen, "device %s: %s", h->name,
				 strerror(-r));
	}
	if (!r)
		r = fn(arg, err, errlen);
	while (n--)
		if (vm->state_hooks[n].resume)
			vm->state_hooks[n].resume(vm,
						  vm->state_hooks[n].opaque);
	if (paused)
		vm_resume(vm);
	wirt_info("%s: the vCPUs stood still for %.3f ms", what,
		  (now_ns() - t0) / 1e6);
	release(c);
	return r;
}

/* The job named id (job-id or device), or NULL. */
static struct bjob *find_job(const char *id)
{
	unsigned int i;

	for (i = 0; i < MAX_BJOBS; i++)
		if (bjobs[i].used && !bjobs[i].ended &&
		    (!strcmp(bjobs[i].id, id) || !strcmp(bjobs[i].e->name, id)))
			return &bjobs[i];
	return NULL;
}

/* Free slot b (its job's thread stopped). */
static void drop(struct bjob *b)
{
	disk_job_free(b->j);
	pthread_mutex_lock(&bjobs_lock);
	memset(b, 0, sizeof(*b));
	pthread_mutex_unlock(&bjobs_lock);
}

void bj_reap(void)
{
	unsigned int i;
	bool ended;

	for (i = 0; i < MAX_BJOBS; i++) {
		pthread_mutex_lock(&bjobs_lock);
		ended = bjobs[i].used && bjobs[i].ended;
		pthread_mutex_unlock(&bjobs_lock);
		if (ended)
			drop(&bjobs[i]);
	}
}

void blockjobs_stop_all(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < MAX_BJOBS; i++)
		if (bjobs[i].used && bjobs[i].vm == vm)
			drop(&bjobs[i]);
}

static const char *const type_name[] = { "commit", "stream" };

/* The BLOCK_JOB_* event data, or a query-block-jobs entry (full). */
static struct json_object *job_json(const struct bjob *b, bool full)
{
	struct json_object *o = json_object_new_object();
	struct disk_job_info i;

	disk_job_get_info(b->j, &i);
	json_object_object_add(o, "type",
			       json_object_new_string(type_name[i.type]));
	json_object_object_add(o, "device", json_object_new_string(b->id));
	json_object_object_add(o, "len", json_object_new_int64(i.len));
	json_object_object_add(o, "offset", json_object_new_int64(i.offset));
	json_object_object_add(o, "speed", json_object_new_int64(0));
	if (i.state == DISK_JOB_FAILED)
		json_object_object_add(o, "error",
				       json_object_new_string(i.error));
	if (!full)
		return o;
	json_object_object_add(
		o, "busy",
		json_object_new_boolean(i.state == DISK_JOB_RUNNING));
	json_object_object_add(o, "paused", json_object_new_boolean(false));
	json_object_object_add(
		o, "ready", json_object_new_boolean(i.state == DISK_JOB_READY));
	json_object_object_add(
		o, "status",
		json_object_new_string(i.state == DISK_JOB_READY ? "ready" :
								   "running"));
	json_object_object_add(o, "io-status", json_object_new_string("ok"));
	json_object_object_add(o, "auto-finalize",
			       json_object_new_boolean(true));
	json_object_object_add(o, "auto-dismiss",
			       json_object_new_boolean(true));
	return o;
}

/* disk_job_notify: the job's thread reports ready, done or failed. */
static void job_notify(void *opaque, struct disk_job *j, enum disk_job_state st)
{
	struct bjob *b = opaque;

	(void)j;
	control_event(b->vm,
		      st == DISK_JOB_READY ? "BLOCK_JOB_READY" :
					     "BLOCK_JOB_COMPLETED",
		      job_json(b, false));
	if (st == DISK_JOB_READY)
		return;
	pthread_mutex_lock(&bjobs_lock);
	b->ended = true;
	pthread_mutex_unlock(&bjobs_lock);
}

/*
 * Start a job of type t on the disk named by args' "device" (job-id:
 * "job-id", default the device name). Returns 0 or -1 with err set.
 */
static int start_job(struct vm *vm, struct json_object *args,
		     enum disk_job_type t, const char *base,
		     struct qmp_error *err)
{
	const char *dev =
		json_object_get_string(json_object_object_get(args, "device"));
	struct json_object *v = json_object_object_get(args, "job-id");
	const char *id = v ? json_object_get_string(v) : dev;
	const struct vm_disk *e = bj_find_disk(vm, dev, err);
	struct bjob *b = NULL;
	char msg[512];
	unsigned int i;
	int r;

	if (!e)
		return -1;
	if (!id[0] || strlen(id) >= sizeof(b->id))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Invalid job ID '%.64s'", id);
	if (find_job(id))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Job ID '%.64s' already in use", id);
	for (i = 0; i < MAX_BJOBS && !b; i++)
		b = bjobs[i].used ? NULL : &bjobs[i];
	if (!b)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "too many block jobs (at most %d)",
				     MAX_BJOBS);
	*b = (struct bjob){ .used = true, .e = e, .vm = vm };
	snprintf(b->id, sizeof(b->id), "%s", id);
	r = disk_job_start(&b->j, e->disk, t, base, job_notify, b, msg,
			   sizeof(msg));
	if (r) {
		memset(b, 0, sizeof(*b));
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
	}
	return 0;
}

/* Whether path (may be NULL) is the file disk e writes now. */
static bool is_active_file(const struct vm_disk *e, const char *path)
{
	char a[4096], b[4096];

	return path && realpath(path, a) && realpath(disk_file(e->disk), b) &&
	       !strcmp(a, b);
}

int cmd_block_commit(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	const char *dev =
		json_object_get_string(json_object_object_get(args, "device"));
	struct json_object *top = json_object_object_get(args, "top");
	struct json_object *base = json_object_object_get(args, "base");
	struct json_object *speed = json_object_object_get(args, "speed");
	const struct vm_disk *e;

	(void)ret;
	bj_reap();
	e = bj_find_disk(vm, dev, err);
	if (!e)
		return -1;
	if (speed && json_object_get_int64(speed))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"wirt-vmm copies at full speed: 'speed' must be 0");
	if (top && !is_active_file(e, json_object_get_string(top)))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"top '%.200s' is not the active image of '%s': wirt-vmm commits the active layer only (leave out 'top')",
			json_object_get_string(top), e->name);
	return start_job(vm, args, DISK_JOB_COMMIT,
			 base ? json_object_get_string(base) : NULL, err);
}

int cmd_block_stream(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	struct json_object *speed = json_object_object_get(args, "speed");

	(void)ret;
	bj_reap();
	if (json_object_object_get(args, "base"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"wirt-vmm streams the whole backing chain into the active image: leave out 'base'");
	if (speed && json_object_get_int64(speed))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"wirt-vmm copies at full speed: 'speed' must be 0");
	return start_job(opaque, args, DISK_JOB_STREAM, NULL, err);
}

void blockjobs_query(struct json_object *a)
{
	unsigned int i;

	bj_reap();
	for (i = 0; i < MAX_BJOBS; i++)
		if (bjobs[i].used && !bjobs[i].ended)
			json_object_array_add(a, job_json(&bjobs[i], true));
}

bool blockjob_exists(const char *id)
{
	bj_reap();
	return id && find_job(id);
}

/* The job named by args' "device", or NULL with err set. */
static struct bjob *job_arg(struct json_object *args, struct qmp_error *err)
{
	const char *id =
		json_object_get_string(json_object_object_get(args, "device"));
	struct bjob *b;

	bj_reap();
	b = find_job(id);
	if (!b)
		qmp_error_set(err, QMP_ERR_NOT_ACTIVE,
			      "No active block job on device '%.64s'", id);
	return b;
}

int blockjob_cancel(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct bjob *b = job_arg(args, err);

	(void)opaque;
	(void)ret;
	if (!b)
		return -1;
	control_event(b->vm, "BLOCK_JOB_CANCELLED", job_json(b, false));
	drop(b);
	return 0;
}

/* bj_held_fn of block-job-complete: finish the commit. */
static int finish_held(void *arg, char *err, size_t errlen)
{
	struct bjob *b = arg;

	return disk_job_finish(b->j, err, errlen);
}

int cmd_block_job_complete(void *opaque, struct json_object *args,
			   struct json_object **ret, struct qmp_error *err)
{
	struct bjob *b = job_arg(args, err);
	struct disk_job_info i;
	char msg[512];
	int r;

	(void)opaque;
	(void)ret;
	if (!b)
		return -1;
	disk_job_get_info(b->j, &i);
	if (i.state != DISK_JOB_READY)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"The active block job '%s' cannot be completed (it is not ready yet: wait for BLOCK_JOB_READY)",
			b->id);
	r = bj_quiesced(b->vm, "block-job-complete", finish_held, b, msg,
			sizeof(msg));
	control_event(b->vm, "BLOCK_JOB_COMPLETED", job_json(b, false));
	drop(b);
	if (r)
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
	return 0;
}
