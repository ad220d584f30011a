// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU's backup block jobs over QMP: drive-backup (and the same action in
 * a transaction, so that several disks start at one instant),
 * query-block-jobs, block-job-cancel, block-job-set-speed, job-cancel;
 * query-jobs and job-dismiss list and dismiss them next to the snapshot
 * jobs. The copy itself is the disk's copy-before-write backup
 * (vmm/disk/backup.h), run by its own thread.
 *
 * Status steps, each a JOB_STATUS_CHANGE event as QEMU sends them:
 * created, running, then waiting, pending, BLOCK_JOB_COMPLETED, concluded
 * (an error: aborting, BLOCK_JOB_COMPLETED with "error", concluded; a
 * cancel: aborting, BLOCK_JOB_CANCELLED, concluded), and null once
 * dismissed (auto-dismiss, the default, or job-dismiss).
 *
 * Jobs live in a table guarded by jobs_lock: QMP handlers run in the
 * control thread, the end of a job in its copier thread. A dismissed
 * job's thread is joined later by the control thread (reap()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "vmm/control/backup-job.h"
#include "vmm/control/control.h"
#include "vmm/control/ctl.h"
#include "vmm/disk/backup.h"
#include "vmm/vm-disks.h"
#include "vmm/vm.h"

#define MAX_BJOBS 16
#define IDLE_TIMEOUT_MS 30000

struct bjob {
	bool used; /* the slot holds a job (maybe dismissed, to reap) */
	bool dismissed; /* status null: only its thread is left to join */
	bool ended; /* the copier's done() ran */
	bool auto_dismiss;
	char id[64];
	const char *status;
	char error[512];
	struct vm *vm;
	const struct vm_disk *disk;
	struct disk_backup *bk;
	uint64_t speed, len, offset;
	uint64_t pause_us; /* how long the disks were held at the start */
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bjob bjobs[MAX_BJOBS];

/* Set j's status and send JOB_STATUS_CHANGE (jobs_lock held). */
static void set_status(struct bjob *j, const char *st)
{
	struct json_object *d = json_object_new_object();

	j->status = st;
	json_object_object_add(d, "id", json_object_new_string(j->id));
	json_object_object_add(d, "status", json_object_new_string(st));
	control_event(j->vm, "JOB_STATUS_CHANGE", d);
}

/* j's BLOCK_JOB_* event data (jobs_lock held). */
static struct json_object *job_event(const struct bjob *j)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "type", json_object_new_string("backup"));
	json_object_object_add(d, "device", json_object_new_string(j->id));
	json_object_object_add(d, "len", json_object_new_int64(j->len));
	json_object_object_add(d, "offset", json_object_new_int64(j->offset));
	json_object_object_add(d, "speed", json_object_new_int64(j->speed));
	return d;
}

/* The copier's end of job j (opaque): report it (copier thread). */
static void job_done(void *opaque, enum disk_backup_end end, const char *error)
{
	struct bjob *j = opaque;
	struct json_object *ev;
	bool busy;

	pthread_mutex_lock(&jobs_lock);
	disk_backup_progress(j->bk, &j->offset, &j->len, &busy);
	j->ended = true;
	set_status(j, end == DISK_BACKUP_DONE ? "waiting" : "aborting");
	if (end == DISK_BACKUP_DONE)
		set_status(j, "pending");
	ev = job_event(j);
	if (end == DISK_BACKUP_FAILED) {
		snprintf(j->error, sizeof(j->error), "%s", error);
		json_object_object_add(ev, "error",
				       json_object_new_string(error));
	} else if (end == DISK_BACKUP_CANCELLED) {
		snprintf(j->error, sizeof(j->error),
			 "backup job '%s' was cancelled", j->id);
	}
	control_event(j->vm,
		      end == DISK_BACKUP_CANCELLED ? "BLOCK_JOB_CANCELLED" :
						     "BLOCK_JOB_COMPLETED",
		      ev);
	set_status(j, "concluded");
	if (j->auto_dismiss) {
		set_status(j, "null");
		j->dismissed = true;
	}
	pthread_mutex_unlock(&jobs_lock);
}

/* Join and free the dismissed jobs (control thread, not jobs_lock). */
static void reap(void)
{
	struct disk_backup *gone[MAX_BJOBS];
	unsigned int i, n = 0;

	pthread_mutex_lock(&jobs_lock);
	for (i = 0; i < MAX_BJOBS; i++)
		if (bjobs[i].used && bjobs[i].dismissed) {
			gone[n++] = bjobs[i].bk;
			bjobs[i].used = false;
		}
	pthread_mutex_unlock(&jobs_lock);
	while (n)
		disk_backup_free(gone[--n]);
}

/* The job named id, not dismissed (jobs_lock held), or NULL. */
static struct bjob *find(const char *id)
{
	unsigned int i;

	for (i = 0; id && i < MAX_BJOBS; i++)
		if (bjobs[i].used && !bjobs[i].dismissed &&
		    !strcmp(bjobs[i].id, id))
			return &bjobs[i];
	return NULL;
}

/* The disk named name (its device or node name), or NULL. */
static const struct vm_disk *find_disk(struct vm *vm, const char *name)
{
	unsigned int i;

	for (i = 0; name && i < vm_disks_count(vm); i++) {
		const struct vm_disk *d = vm_disk_get(vm, i);
		size_t n = strlen(d->name);

		if (!strcmp(name, d->name) || (!strncmp(name, d->name, n) &&
					       !strcmp(name + n, "-format")))
			return d;
	}
	return NULL;
}

/* A string argument, or NULL when absent. */
static const char *str_arg(struct json_object *args, const char *key)
{
	struct json_object *o;

	if (!json_object_object_get_ex(args, key, &o))
		return NULL;
	return json_object_get_string(o);
}

/* A boolean argument, or def when absent. */
static bool bool_arg(struct json_object *args, const char *key, bool def)
{
	struct json_object *o;

	if (!json_object_object_get_ex(args, key, &o))
		return def;
	return json_object_get_boolean(o);
}

/* Whether id is a valid job ID (QEMU's: a letter, then [A-Za-z0-9-._]). */
static bool id_ok(const char *id)
{
	size_t i, n = id ? strlen(id) : 0;

	if (!n || n >= sizeof(bjobs[0].id) ||
	    !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-._",
			    id[i]))
			return false;
	return true;
}

/*
 * Check the options drive-backup has and wirt-vmm does not do (yet).
 * Returns 0, or -1 with the QMP error set.
 */
static int check_unsupported(struct json_object *args, struct qmp_error *err)
{
	const char *sync = str_arg(args, "sync"), *s;

	if (!strcmp(sync, "incremental") || !strcmp(sync, "bitmap") ||
	    str_arg(args, "bitmap") || str_arg(args, "bitmap-mode"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"incremental backups (sync '%.32s', bitmap) are not supported yet: use sync 'full'",
			sync);
	if (strcmp(sync, "full"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"sync '%.32s' is not supported: wirt-vmm backs up whole disks (sync 'full')",
			sync);
	s = str_arg(args, "mode");
	if (s && strcmp(s, "absolute-paths"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"mode '%.32s' is not supported: wirt-vmm creates the target itself (mode 'absolute-paths')",
			s);
	if (!bool_arg(args, "auto-finalize", true))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"auto-finalize false is not supported: backup jobs finalize themselves");
	if (((s = str_arg(args, "on-source-error")) && strcmp(s, "report")) ||
	    ((s = str_arg(args, "on-target-error")) && strcmp(s, "report")))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"on-source-error and on-target-error take only 'report': a failed copy ends the backup job");
	return 0;
}

/* One drive-backup being set up. */
struct plan {
	struct bjob *j;
	struct disk_backup *bk;
};

/*
 * Take a free slot for job id (jobs_lock held). Returns it, or NULL with
 * the QMP error set.
 */
static struct bjob *take_slot(const char *id, struct qmp_error *err)
{
	unsigned int i;

	if (find(id)) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "Job ID '%s' already in use", id);
		return NULL;
	}
	for (i = 0; i < MAX_BJOBS; i++)
		if (!bjobs[i].used) {
			memset(&bjobs[i], 0, sizeof(bjobs[i]));
			bjobs[i].used = true;
			snprintf(bjobs[i].id, sizeof(bjobs[i].id), "%s", id);
			return &bjobs[i];
		}
	qmp_error_set(
		err, QMP_ERR_GENERIC,
		"too many backup jobs: wait for running ones or dismiss concluded ones (job-dismiss)");
	return NULL;
}

/*
 * Check one drive-backup's arguments, reserve its job and create its
 * target (jobs_lock held). Returns 0 with p filled, or -1 with err set.
 */
static int prepare(struct vm *vm, struct json_object *args, struct plan *p,
		   struct qmp_error *err)
{
	const char *dev = str_arg(args, "device"),
		   *id = str_arg(args, "job-id");
	const char *fmt = str_arg(args, "format"), *target;
	struct disk_backup_opts o = { .done = job_done };
	const struct vm_disk *disk = find_disk(vm, dev);
	struct json_object *v;
	char why[DISK_ERR_LEN];

	if (!disk)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Cannot find device='%.64s' nor node-name='%.64s'", dev,
			dev);
	id = id ? id : disk->name;
	if (!id_ok(id))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Invalid job ID '%.64s'", id);
	if (check_unsupported(args, err))
		return -1;
	o.format = disk->disk->format;
	if (fmt && blk_format_parse(fmt, &o.format))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"backup format '%.32s' is not supported: use raw or qcow2",
			fmt);
	target = str_arg(args, "target");
	if (!target || !target[0])
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "target must name the backup's new file");
	o.target = target;
	o.compress = bool_arg(args, "compress", false);
	if (json_object_object_get_ex(args, "speed", &v) &&
	    json_object_get_int64(v) < 0)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Parameter 'speed' expects a non-negative value");
	o.speed = v ? (uint64_t)json_object_get_int64(v) : 0;
	p->j = take_slot(id, err);
	if (!p->j)
		return -1;
	o.opaque = p->j;
	if (disk_backup_new(&p->bk, disk->disk, &o, why, sizeof(why))) {
		p->j->used = false;
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", why);
	}
	p->j->vm = vm;
	p->j->disk = disk;
	p->j->bk = p->bk;
	p->j->speed = o.speed;
	p->j->auto_dismiss = bool_arg(args, "auto-dismiss", true);
	p->j->len = disk->disk->size;
	return 0;
}

/* Undo prepare() of n plans (jobs_lock held): targets removed. */
static void unprepare(struct plan *p, unsigned int n)
{
	while (n--) {
		disk_backup_free(p[n].bk);
		p[n].j->used = false;
	}
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Start the n prepared backups at one instant: hold every disk, wait
 * until none has a request in flight, attach the backups, let the disks
 * go. The time the disks were held is each job's pause_us. jobs_lock
 * held. Returns how many started: n, or fewer with err set (those that
 * started are cancelled).
 */
static unsigned int start_all(struct plan *p, unsigned int n,
			      struct qmp_error *err)
{
	char why[DISK_ERR_LEN] = "";
	unsigned int i, k, started = 0;
	uint64_t t0 = now_us(), us;
	int r = 0;

	for (i = 0; i < n; i++)
		disk_hold(p[i].j->disk->disk);
	for (i = 0; i < n && !r; i++)
		if (disk_wait_idle(p[i].j->disk->disk, IDLE_TIMEOUT_MS))
			r = snprintf(
				why, sizeof(why),
				"disk '%s' did not finish its requests within %u s",
				p[i].j->disk->name, IDLE_TIMEOUT_MS / 1000);
	for (i = 0; i < n && !r; i++, started++)
		r = disk_backup_start(p[i].bk, why, sizeof(why));
	if (r)
		started--;
	for (k = 0; r && k < started; k++)
		disk_backup_cancel(p[k].bk);
	for (i = 0; i < n; i++)
		disk_release(p[i].j->disk->disk);
	us = now_us() - t0;
	for (i = 0; i < started; i++)
		p[i].j->pause_us = us;
	if (r) {
		qmp_error_set(err, QMP_ERR_GENERIC, "%s", why);
		return started;
	}
	wirt_info("backup: %u disk(s) held for %llu us at the start", n,
		  (unsigned long long)us);
	return n;
}

/*
 * Prepare and start the drive-backup actions args[0..n) at one instant.
 * Returns 0, or -1 with err set (no job left, unless one failed to
 * start after others did: those are cancelled).
 */
static int run_backups(struct vm *vm, struct json_object **args, unsigned int n,
		       struct qmp_error *err)
{
	struct plan p[MAX_BJOBS];
	unsigned int i, k, started;

	if (!ctl_of(vm))
		return qmp_error_set(err, QMP_ERR_GENERIC, "no control socket");
	if (n > MAX_BJOBS)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"too many backup jobs at once (at most %d)", MAX_BJOBS);
	reap();
	pthread_mutex_lock(&jobs_lock);
	for (i = 0; i < n; i++) {
		for (k = 0; k < i; k++)
			if (p[k].j->disk ==
			    find_disk(vm, str_arg(args[i], "device")))
				break;
		if (k < i) {
			qmp_error_set(err, QMP_ERR_GENERIC,
				      "disk '%s' is named twice",
				      p[k].j->disk->name);
			break;
		}
		if (prepare(vm, args[i], &p[i], err))
			break;
	}
	if (i < n) {
		unprepare(p, i);
		pthread_mutex_unlock(&jobs_lock);
		return -1;
	}
	for (i = 0; i < n; i++)
		set_status(p[i].j, "created");
	started = start_all(p, n, err);
	for (i = 0; i < started; i++)
		set_status(p[i].j, "running");
	unprepare(p + started, n - started);
	pthread_mutex_unlock(&jobs_lock);
	return started == n ? 0 : -1;
}

int cmd_drive_backup(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	return run_backups(opaque, &args, 1, err);
}

/*
 * transaction: every action must be a drive-backup; they start at one
 * instant or none does.
 */
int cmd_transaction(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct json_object *acts, *a, *t, *data, *list[MAX_BJOBS];
	unsigned int i, n;

	json_object_object_get_ex(args, "actions", &acts);
	if (!json_object_is_type(acts, json_type_array))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid parameter type for 'actions', expected: array");
	n = json_object_array_length(acts);
	if (n > MAX_BJOBS)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "too many actions (at most %d)",
				     MAX_BJOBS);
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(acts, i);
		if (!json_object_object_get_ex(a, "type", &t) ||
		    strcmp(json_object_get_string(t), "drive-backup"))
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"transaction action %u: only 'drive-backup' actions are supported",
				i);
		if (!json_object_object_get_ex(a, "data", &data) ||
		    !json_object_is_type(data, json_type_object) ||
		    !str_arg(data, "device") || !str_arg(data, "target") ||
		    !str_arg(data, "sync"))
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"transaction action %u: 'data' needs 'device', 'target' and 'sync'",
				i);
		list[i] = data;
	}
	return run_backups(opaque, list, n, err);
}

/* The query-block-jobs entry of j (jobs_lock held). */
static struct json_object *block_job_json(struct bjob *j)
{
	struct json_object *o = job_event(j);
	bool busy = false;

	if (!j->ended)
		disk_backup_progress(j->bk, &j->offset, &j->len, &busy);
	json_object_object_add(o, "busy", json_object_new_boolean(busy));
	json_object_object_add(o, "paused", json_object_new_boolean(false));
	json_object_object_add(o, "io-status", json_object_new_string("ok"));
	json_object_object_add(o, "ready", json_object_new_boolean(false));
	json_object_object_add(o, "status", json_object_new_string(j->status));
	json_object_object_add(o, "auto-finalize",
			       json_object_new_boolean(true));
	json_object_object_add(o, "auto-dismiss",
			       json_object_new_boolean(j->auto_dismiss));
	if (j->error[0] && j->ended)
		json_object_object_add(o, "error",
				       json_object_new_string(j->error));
	return o;
}

int cmd_query_block_jobs(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;

	reap();
	pthread_mutex_lock(&jobs_lock);
	for (i = 0; i < MAX_BJOBS; i++)
		if (bjobs[i].used && !bjobs[i].dismissed)
			json_object_array_add(a, block_job_json(&bjobs[i]));
	pthread_mutex_unlock(&jobs_lock);
	*ret = a;
	return 0;
}

void backup_jobs_query(struct json_object *a)
{
	unsigned int i;

	pthread_mutex_lock(&jobs_lock);
	for (i = 0; i < MAX_BJOBS; i++) {
		struct bjob *j = &bjobs[i];
		struct json_object *o;
		bool busy;

		if (!j->used || j->dismissed)
			continue;
		if (!j->ended)
			disk_backup_progress(j->bk, &j->offset, &j->len, &busy);
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(j->id));
		json_object_object_add(o, "type",
				       json_object_new_string("backup"));
		json_object_object_add(o, "status",
				       json_object_new_string(j->status));
		json_object_object_add(o, "current-progress",
				       json_object_new_int64(j->offset));
		json_object_object_add(o, "total-progress",
				       json_object_new_int64(j->len));
		if (j->error[0] && j->ended)
			json_object_object_add(
				o, "error", json_object_new_string(j->error));
		json_object_object_add(o, "x-wirt-pause-us",
				       json_object_new_int64(j->pause_us));
		json_object_array_add(a, o);
	}
	pthread_mutex_unlock(&jobs_lock);
}

/*
 * Cancel (or set the speed of, speed >= 0) job id. Returns 0, or -1
 * with err set: no such job, or it ended.
 */
static int job_verb(const char *id, int64_t speed, struct qmp_error *err)
{
	struct bjob *j;
	int r = 0;

	reap();
	pthread_mutex_lock(&jobs_lock);
	j = find(id);
	if (!j)
		r = qmp_error_set(err, QMP_ERR_DEV_NOT_FOUND,
				  "Block job '%.64s' not found", id ? id : "");
	else if (j->ended)
		r = qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Job '%s' in state '%s' cannot accept command verb '%s'",
			j->id, j->status, speed < 0 ? "cancel" : "set-speed");
	else if (speed < 0)
		disk_backup_cancel(j->bk);
	else
		disk_backup_set_speed(j->bk, (uint64_t)(j->speed = speed));
	pthread_mutex_unlock(&jobs_lock);
	return r;
}

int cmd_block_job_cancel(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	return job_verb(str_arg(args, "device"), -1, err);
}

int cmd_job_cancel(void *opaque, struct json_object *args,
		   struct json_object **ret, struct qmp_error *err)
{
	return job_verb(str_arg(args, "id"), -1, err);
}

int cmd_block_job_set_speed(void *opaque, struct json_object *args,
			    struct json_object **ret, struct qmp_error *err)
{
	struct json_object *v;

	json_object_object_get_ex(args, "speed", &v);
	if (json_object_get_int64(v) < 0)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Parameter 'speed' expects a non-negative value");
	return job_verb(str_arg(args, "device"), json_object_get_int64(v), err);
}

int backup_job_dismiss(const char *id, struct qmp_error *err)
{
	struct bjob *j;
	int r = 1;

	pthread_mutex_lock(&jobs_lock);
	j = find(id);
	if (j && !j->ended)
		r = qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Job '%s' in state '%s' cannot accept command verb 'dismiss'",
			j->id, j->status);
	else if (j) {
		set_status(j, "null");
		j->dismissed = true;
		r = 0;
	}
	pthread_mutex_unlock(&jobs_lock);
	reap();
	return r;
}

void backup_jobs_stop(struct vm *vm)
{
	unsigned int i;
	bool left = true;

	pthread_mutex_lock(&jobs_lock);
	for (i = 0; i < MAX_BJOBS; i++)
		if (bjobs[i].used && bjobs[i].vm == vm && !bjobs[i].ended)
			disk_backup_cancel(bjobs[i].bk);
	pthread_mutex_unlock(&jobs_lock);
	while (left) { /* their copiers end, then they are all freed */
		left = false;
		pthread_mutex_lock(&jobs_lock);
		for (i = 0; i < MAX_BJOBS; i++) {
			if (!bjobs[i].used || bjobs[i].vm != vm)
				continue;
			left |= !bjobs[i].ended;
			bjobs[i].dismissed |= bjobs[i].ended;
		}
		pthread_mutex_unlock(&jobs_lock);
		if (left)
			nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	}
	reap();
}
