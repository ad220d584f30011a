// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Backups of running domains: backup (every writable disk at one
 * instant, through wirt-vmm's copy-before-write drive-backup jobs in one
 * QMP transaction, waited for), domjobinfo and domjobabort.
 *
 * The sandboxed wirt-vmm may write only where its user can: it writes
 * the copies into a stage directory .NAME.backup-STAMP beside each copy's
 * final name, given to that user, and wirtd moves each finished copy to DIR/NAME-DISK-STAMP.qcow2,
 * owned by root, once every disk's copy completed. A failed or aborted
 * backup leaves nothing in DIR.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "domain/backup.h"
#include "wirtd/backup.h"
#include "wirtd/cmds.h"
#include "wirtd/wirtd.h"

#define POLL_NS 100000000L

/* The string member k of o, or "". */
static const char *str_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) :
						     "";
}

/*
 * Disk i's stage directory, DIRNAME(final)/.NAME.backup-STAMP, made and
 * given to the VM user (root wirtd) unless an earlier disk's is the same.
 * 0 or -1 with c->err set.
 */
static int make_stage(struct bplan *p, unsigned int i, const char *stamp,
		      struct cmd_ctx *c)
{
	char dir[PATH_MAX];
	struct passwd *pw;
	unsigned int j;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s", p->final[i]);
	*strrchr(dir, '/') = '\0';
	if (snprintf(p->stage[i], sizeof(p->stage[i]), "%s/.%s.backup-%s", dir,
		     p->name, stamp) >= (int)sizeof(p->stage[i]))
		r = -ENAMETOOLONG;
	for (j = 0; !r && j < i; j++)
		if (!strcmp(p->stage[j], p->stage[i]))
			return 0;
	if (!r && mkdir(p->stage[i], 0700))
		r = -errno;
	p->made[i] = !r;
	pw = !r && geteuid() == 0 ? getpwnam(VMM_USER) : NULL;
	if (pw && chown(p->stage[i], pw->pw_uid, pw->pw_gid))
		r = -errno;
	if (r)
		snprintf(
			c->err, c->errlen,
			"cannot make a directory for the backup of disk '%s' in '%s': %s",
			p->disk[i], dir[0] ? dir : "/", strerror(-r));
	return r ? -1 : 0;
}

/* Remove the stage directories p made (empty by now). */
static void rm_stages(struct bplan *p)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (p->made[i])
			rmdir(p->stage[i]);
}

/* One drive-backup action of the transaction for disk i of p. */
static struct json_object *action(const struct bplan *p, unsigned int i)
{
	struct json_object *a = json_object_new_object(),
			   *d = json_object_new_object();

	json_object_object_add(d, "job-id", json_object_new_string(p->id[i]));
	json_object_object_add(d, "device", json_object_new_string(p->disk[i]));
	json_object_object_add(d, "target",
			       json_object_new_string(p->staged[i]));
	json_object_object_add(d, "format", json_object_new_string("qcow2"));
	json_object_object_add(
		d, "sync",
		json_object_new_string(
			p->ch[i].mode == CHAIN_INC ? "incremental" : "full"));
	if (p->ch[i].mode != CHAIN_NONE)
		json_object_object_add(d, "bitmap",
				       json_object_new_string(CHAIN_BITMAP));
	if (p->ch[i].mode == CHAIN_INC)
		json_object_object_add(
			d, "x-backing-file",
			json_object_new_string(p->ch[i].backing));
	json_object_object_add(d, "auto-dismiss", json_object_new_boolean(0));
	if (p->speed)
		json_object_object_add(d, "speed",
				       json_object_new_int64(p->speed));
	if (p->compress)
		json_object_object_add(d, "compress",
				       json_object_new_boolean(1));
	json_object_object_add(a, "type",
			       json_object_new_string("drive-backup"));
	json_object_object_add(a, "data", d);
	return a;
}

/*
 * Disk k of p (the next one) with its copy's final name: the spec's
 * target file, else DIR/NAME-DISK-STAMP.qcow2. 0 or -1 (c->err).
 */
static int plan_disk(struct bplan *p, const struct dom_disk *k, const char *dir,
		     const char *stamp, struct cmd_ctx *c)
{
	struct backup_disk *s =
		p->spec ? backup_find(p->spec, k->target) : NULL;
	char file[DOMAIN_NAME_MAX + 96];
	unsigned int i = p->n;
	bool named = s && s->file;

	if (s && s->skip)
		return 0;
	snprintf(p->disk[i], sizeof(p->disk[0]), "%s", k->target);
	snprintf(p->id[i], sizeof(p->id[0]), "backup-%s", k->target);
	p->inc[i] = p->want_inc && !(s && s->full);
	snprintf(file, sizeof(file), "%s-%s-%s", p->name, k->target, stamp);
	if (named ? snprintf(p->final[i], sizeof(p->final[0]), "%s", s->file) >=
			    (int)sizeof(p->final[0]) :
		    path_of(p->final[i], sizeof(p->final[0]), dir, file,
			    ".qcow2"))
		return err_set(c->err, c->errlen, -1,
			       "backup of disk '%s': file name too long",
			       k->target);
	p->n++;
	if (!access(p->final[i], F_OK))
		return err_set(
			c->err, c->errlen, -1,
			"backup file '%s' exists already%s: give another name or remove it",
			p->final[i],
			named ? "" : " (a backup in the same second)");
	if (!named && mkdirs(dir, 0755))
		return err_set(c->err, c->errlen, -1,
			       "cannot make the backup directory '%s': %s", dir,
			       strerror(errno));
	return 0;
}

/* The disks of vm that p copies, named. 0 or -1 with c->err set. */
static int plan_disks(struct vmrec *vm, const char *dir, const char *stamp,
		      struct bplan *p, struct cmd_ctx *c)
{
	const struct dom_def *d = domain_def(vm->def);
	const struct dom_disk *k;
	unsigned int i, j;

	for (i = 0; p->spec && i < p->spec->ndisks; i++) {
		for (j = 0; j < d->ndisks; j++)
			if (!strcmp(d->disks[j].target, p->spec->disks[i].name))
				break;
		k = j < d->ndisks ? &d->disks[j] : NULL;
		if (!k || k->readonly || k->device != DOM_DEV_DISK ||
		    !k->source)
			return err_set(
				c->err, c->errlen, -1,
				"backup XML names disk '%s': domain '%s' has no writable disk of that name",
				p->spec->disks[i].name, vm->name);
	}
	for (i = 0; i < d->ndisks; i++) {
		k = &d->disks[i];
		if (k->readonly || k->device != DOM_DEV_DISK || !k->source)
			continue;
		if (plan_disk(p, k, dir, stamp, c))
			return -1;
	}
	if (!p->n)
		return err_set(c->err, c->errlen, -1,
			       "domain '%s' has no writable disk to back up",
			       vm->name);
	return 0;
}

int backup_start(struct vmrec *vm, const char *dir, struct bplan *p,
		 struct cmd_ctx *c)
{
	struct json_object *acts, *t;
	char stamp[32];
	time_t now = time(NULL);
	unsigned int i;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	if (plan_disks(vm, dir, stamp, p, c))
		return -1;
	for (i = 0; i < p->n; i++)
		if (make_stage(p, i, stamp, c) ||
		    path_of(p->staged[i], sizeof(p->staged[0]), p->stage[i],
			    p->disk[i], ".qcow2")) {
			if (!c->err[0])
				snprintf(c->err, c->errlen,
					 "backup directory: name too long");
			rm_stages(p);
			return -1;
		}
	acts = json_object_new_array();
	for (i = 0; i < p->n; i++) {
		if (chain_prepare(vm, p->disk[i], p->inc[i], &p->ch[i], c->err,
				  c->errlen)) {
			json_object_put(acts);
			rm_stages(p);
			return -1;
		}
		json_object_array_add(acts, action(p, i));
	}
	t = json_object_new_object();
	json_object_object_add(t, "actions", acts);
	if (vm_qmp(vm, "transaction", t, NULL, c->err, c->errlen)) {
		rm_stages(p);
		return -1;
	}
	return 0;
}

/* Note job o's end in p when it is one of p's and concluded. */
static void note_job(struct bplan *p, struct json_object *o)
{
	struct json_object *v;
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(str_of(o, "id"), p->id[i]))
			break;
	if (i == p->n || p->done[i] || strcmp(str_of(o, "status"), "concluded"))
		return;
	p->done[i] = true;
	if (json_object_object_get_ex(o, "x-wirt-pause-us", &v))
		p->pause_us = MAX(p->pause_us, json_object_get_int64(v));
	if (json_object_object_get_ex(o, "error", &v) && !p->error[0])
		snprintf(p->error, sizeof(p->error), "disk '%s': %s",
			 p->disk[i], json_object_get_string(v));
}

int backup_wait(struct json_object *args, struct bplan *p, struct cmd_ctx *c)
{
	struct json_object *r;
	struct vmrec *vm;
	unsigned int i, left = p->n;
	int e;

	while (left) {
		nanosleep(&(struct timespec){ 0, POLL_NS }, NULL);
		vm = lock_vm(args, c);
		if (!vm)
			return -1;
		r = NULL;
		e = running(vm, c) ? vm_qmp(vm, "query-jobs", NULL, &r, c->err,
					    c->errlen) :
				     -1;
		pthread_mutex_unlock(&vm->lock);
		if (e)
			return -1;
		for (i = 0; i < json_object_array_length(r); i++)
			note_job(p, json_object_array_get_idx(r, i));
		json_object_put(r);
		for (left = 0, i = 0; i < p->n; i++)
			left += !p->done[i];
	}
	vm = lock_vm(args, c);
	for (i = 0; vm && i < p->n; i++) { /* concluded: dismiss them */
		char err[256];
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, "id",
				       json_object_new_string(p->id[i]));
		vm_qmp(vm, "job-dismiss", a, NULL, err, sizeof(err));
	}
	if (vm)
		pthread_mutex_unlock(&vm->lock);
	return 0;
}

int backup_publish(struct bplan *p, struct cmd_ctx *c)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < p->n; i++) {
		if (p->error[0] || r) {
			unlink(p->staged[i]);
			continue;
		}
		if ((chown(p->staged[i], 0, 0) && geteuid() == 0) ||
		    rename(p->staged[i], p->final[i])) {
			r = -errno;
			snprintf(
				c->err, c->errlen,
				"cannot move the backup of disk '%s' to '%s': %s",
				p->disk[i], p->final[i], strerror(errno));
			unlink(p->staged[i]);
		}
	}
	for (i = 0; !r && !p->error[0] && i < p->n; i++) {
		tmpfile_sync_dir(p->final[i]);
		if (p->ch[i].mode != CHAIN_NONE &&
		    chain_record(p->name, p->disk[i], p->final[i],
				 p->ch[i].mode == CHAIN_INC))
			wirt_warn(
				"backup of '%s': cannot record '%s' as the last backup of disk '%s': the next one will be full",
				p->name, p->final[i], p->disk[i]);
	}
	rm_stages(p);
	if (p->error[0] && !r)
		snprintf(c->err, c->errlen, "backup failed: %s", p->error);
	return r || p->error[0] ? -1 : 0;
}

void backup_drop(struct bplan *p)
{
	char part[PATH_MAX + 8];
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		unlink(p->staged[i]);
		snprintf(part, sizeof(part), "%s.part", p->staged[i]);
		unlink(part);
	}
	rm_stages(p);
}

/* The result of a completed backup p. */
static struct json_object *result(const struct bplan *p, double secs)
{
	struct json_object *o = json_object_new_object(),
			   *a = json_object_new_array(), *e;
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "disk",
				       json_object_new_string(p->disk[i]));
		json_object_object_add(e, "file",
				       json_object_new_string(p->final[i]));
		json_object_object_add(
			e, "mode",
			json_object_new_string(p->ch[i].mode == CHAIN_INC ?
						       "incremental" :
						       "full"));
		if (p->ch[i].mode == CHAIN_INC)
			json_object_object_add(
				e, "backing",
				json_object_new_string(p->ch[i].backing));
		if (p->ch[i].note[0])
			json_object_object_add(
				e, "note",
				json_object_new_string(p->ch[i].note));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "files", a);
	json_object_object_add(o, "pause_us",
			       json_object_new_int64(p->pause_us));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	return o;
}

int backup_dir(struct vmrec *vm, const char *to, char *dir, size_t len,
	       struct cmd_ctx *c)
{
	char base[PATH_MAX];

	if (to && to[0] != '/') {
		snprintf(c->err, c->errlen,
			 "give the backup directory as an absolute path");
		return -1;
	}
	if (to ? snprintf(dir, len, "%s", to) >= (int)len :
		 path_of(base, sizeof(base), W->paths.lib, "backups", "") ||
			    path_of(dir, len, base, vm->name, "")) {
		snprintf(c->err, c->errlen, "backup directory: name too long");
		return -1;
	}
	return 0;
}

/* backup --method M (inc, compress: --incremental, --compress) of vm (locked: unlocked on
 * return) into dir; the result, or NULL with c->err. */
static struct json_object *backup_method(struct vmrec *vm, const char *m,
					 bool inc, bool compress,
					 const char *dir, struct cmd_ctx *c)
{
	if (!strcmp(m, "lvm-snapshot") && inc)
		snprintf(
			c->err, c->errlen,
			"--incremental works with wirt-vmm's own backups only: drop --method=lvm-snapshot (an LVM snapshot backup is always full)");
	else if (!strcmp(m, "lvm-snapshot") && running(vm, c))
		return backup_lvm(vm, dir, compress, c);
	else if (strcmp(m, "lvm-snapshot"))
		snprintf(
			c->err, c->errlen,
			"--method '%s': not a backup method; give lvm-snapshot, or no --method for wirt-vmm's own copy-before-write backup",
			m);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

struct json_object *cmd_backup(struct json_object *args, struct cmd_ctx *c)
{
	struct bplan *p = calloc(1, sizeof(*p));
	struct json_object *o = NULL, *v;
	char dir[PATH_MAX];
	struct vmrec *vm = p ? lock_vm(args, c) : NULL;
	struct timespec t0, t1;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!vm) {
		free(p);
		return NULL;
	}
	if (json_object_object_get_ex(args, "bandwidth", &v))
		p->speed = json_object_get_int64(v) * 1024 * 1024;
	p->compress = json_object_object_get_ex(args, "compress", &v) &&
		      json_object_get_boolean(v);
	p->want_inc = json_object_object_get_ex(args, "incremental", &v) &&
		      json_object_get_boolean(v);
	snprintf(p->name, sizeof(p->name), "%s", vm->name);
	r = backup_dir(vm, arg_str(args, "to"), dir, sizeof(dir), c);
	if (!r && arg_str(args, "method")) {
		bool inc = p->want_inc, z = p->compress;

		free(p);
		return backup_method(vm, arg_str(args, "method"), inc, z, dir,
				     c);
	}
	if (!r && (p->speed < 0 || p->speed > ((int64_t)1 << 50))) {
		snprintf(
			c->err, c->errlen,
			"--bandwidth takes MiB/s, a number from 0 (no limit) up");
		r = -1;
	}
	if (!r)
		r = running(vm, c) ? backup_start(vm, dir, p, c) : -1;
	pthread_mutex_unlock(&vm->lock);
	if (!r && backup_wait(args, p, c)) {
		backup_drop(p);
		r = -1;
	}
	if (!r && !backup_publish(p, c)) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		o = result(p, (double)(t1.tv_sec - t0.tv_sec) +
				      (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	free(p);
	return o;
}

/* The domain's backup jobs (query-jobs entries), or NULL with c->err. */
static struct json_object *backup_jobs(struct json_object *args,
				       struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *r = NULL, *a, *e;
	unsigned int i;

	if (!vm)
		return NULL;
	if (running(vm, c))
		vm_qmp(vm, "query-jobs", NULL, &r, c->err, c->errlen);
	pthread_mutex_unlock(&vm->lock);
	if (!r)
		return NULL;
	a = json_object_new_array();
	for (i = 0; i < json_object_array_length(r); i++) {
		e = json_object_array_get_idx(r, i);
		if (!strcmp(str_of(e, "type"), "backup"))
			json_object_array_add(a, json_object_get(e));
	}
	json_object_put(r);
	return a;
}

struct json_object *cmd_domjobinfo(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *a = backup_jobs(args, c), *o;

	if (!a)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "jobs", a);
	return o;
}

struct json_object *cmd_domjobabort(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *a = backup_jobs(args, c), *q;
	struct vmrec *vm;
	unsigned int i, n = 0;

	if (!a)
		return NULL;
	vm = lock_vm(args, c);
	for (i = 0; vm && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!strcmp(str_of(e, "status"), "concluded"))
			continue;
		q = json_object_new_object();
		json_object_object_add(q, "id",
				       json_object_new_string(str_of(e, "id")));
		n += !vm_qmp(vm, "job-cancel", q, NULL, c->err, c->errlen);
	}
	if (vm)
		pthread_mutex_unlock(&vm->lock);
	json_object_put(a);
	if (!vm)
		return NULL;
	if (!n) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: no job is active on the domain");
		return NULL;
	}
	return ok();
}
