// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backup --method=lvm-snapshot: the way hosts with LVM-backed VMs have
 * long done it. Every writable disk of the domain must be an LVM logical
 * volume. The VM is paused (QMP stop), each disk's device flushed and an
 * LVM snapshot of it taken, and the VM resumed at once: the pause lasts
 * as long as the lvcreate calls. The snapshots, frozen at that instant,
 * are then copied into qcow2 files DIR/NAME-DISK-STAMP.qcow2 (all-zero
 * clusters left unallocated) while the guest runs on, and removed.
 * A copy is written as DIR/.NAME-DISK-STAMP.qcow2.part and renamed once
 * complete and synced: a failed backup leaves no file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "block/blk.h"
#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

#define COW_MIN (16ULL << 20)

/* One disk of an LVM snapshot backup. */
struct lvdisk {
	char target[32];
	char dev[PATH_MAX]; /* the origin's device node */
	struct lvm_lv lv;
	char snap[160]; /* the snapshot LV's name, "" until made */
	char part[PATH_MAX], final[PATH_MAX];
};

struct lvplan {
	unsigned int n;
	bool compress; /* the copies' clusters compressed */
	struct lvdisk d[DOMAIN_DISKS_MAX];
	int64_t pause_us;
};

/* The device node of the definition's disk i (a block disk, or a pool volume),
 * into dev. 0, or -1 with err when it is neither. */
static int disk_dev(const struct dom_def *def, unsigned int i, char *dev,
		    size_t len, struct cmd_ctx *c)
{
	struct pool_disks *pd = NULL;
	const struct dom_disk *k = &def->disks[i];

	if (k->type == DOM_DISK_VOLUME) {
		if (pool_resolve_disks(def, &pd, c->err, c->errlen))
			return -1;
		snprintf(dev, len, "%s", pd ? pd->def.disks[i].source : "");
		free(pd);
		return 0;
	}
	if (k->type == DOM_DISK_BLOCK && k->source) {
		snprintf(dev, len, "%s", k->source);
		return 0;
	}
	snprintf(
		c->err, c->errlen,
		"disk '%s' is not on LVM (%s): --method=lvm-snapshot needs every writable disk to be a logical volume; back it up without --method",
		k->target, k->source ? k->source : "no source");
	return -1;
}

/*
 * Plan the backup of vm's writable disks into dir: each one's logical
 * volume and file names. Returns 0, or -1 with c->err set.
 */
static int plan(struct vmrec *vm, const char *dir, struct lvplan *p,
		struct cmd_ctx *c)
{
	const struct dom_def *def = domain_def(vm->def);
	char stamp[32], file[DOMAIN_NAME_MAX + 96];
	time_t now = time(NULL);
	struct lvdisk *x;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	for (unsigned int i = 0; i < def->ndisks; i++) {
		const struct dom_disk *k = &def->disks[i];

		if (k->readonly || k->device != DOM_DEV_DISK)
			continue;
		x = &p->d[p->n++];
		snprintf(x->target, sizeof(x->target), "%s", k->target);
		if (disk_dev(def, i, x->dev, sizeof(x->dev), c))
			return -1;
		if (lvm_lv_of(x->dev, &x->lv, c->err, c->errlen)) {
			snprintf(
				c->err, c->errlen,
				"disk '%s' (%s) is not an LVM logical volume: --method=lvm-snapshot needs every writable disk on LVM; back it up without --method",
				x->target, x->dev);
			return -1;
		}
		snprintf(file, sizeof(file), "%s-%s-%s", vm->name, x->target,
			 stamp);
		if (path_of(x->final, sizeof(x->final), dir, file, ".qcow2") ||
		    snprintf(x->part, sizeof(x->part), "%s/.%s.qcow2.part", dir,
			     file) >= (int)sizeof(x->part)) {
			snprintf(c->err, c->errlen,
				 "backup directory '%s': name too long", dir);
			return -1;
		}
		if (!access(x->final, F_OK)) {
			snprintf(
				c->err, c->errlen,
				"backup file '%s' exists already (a backup in the same second): try again",
				x->final);
			return -1;
		}
	}
	if (!p->n)
		snprintf(c->err, c->errlen,
			 "domain '%s' has no writable disk to back up",
			 vm->name);
	return p->n ? 0 : -1;
}

/* Remove the snapshots made so far (warning when one stays behind). */
static void drop_snaps(struct lvplan *p)
{
	char err[512];

	for (unsigned int i = 0; i < p->n; i++) {
		if (!p->d[i].snap[0])
			continue;
		if (lvm_lv_remove(p->d[i].lv.vg, p->d[i].snap, err,
				  sizeof(err)))
			wirt_warn("backup: the snapshot %s/%s stays: %s",
				  p->d[i].lv.vg, p->d[i].snap, err);
		p->d[i].snap[0] = '\0';
	}
}

/* Flush what the host caches of dev (the VM's writes it acknowledged)
 * to the device. 0 or -errno. */
static int flush_dev(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

/* Snapshot every disk of p at one instant (vm paused around it unless
 * it was paused already). Returns 0, or -1 with c->err (none left). */
static int snap_all(struct vmrec *vm, struct lvplan *p, struct cmd_ctx *c)
{
	bool pause = vm->state == VM_RUNNING;
	struct timespec t0, t1;
	char err[256], snap[sizeof(p->d[0].snap)];
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pause && vm_qmp(vm, "stop", NULL, NULL, c->err, c->errlen))
		return -1;
	for (unsigned int i = 0; !r && i < p->n; i++) {
		struct lvdisk *x = &p->d[i];
		uint64_t cow = MAX(x->lv.size / 4, COW_MIN);

		r = flush_dev(x->dev);
		if (r) {
			snprintf(c->err, c->errlen,
				 "cannot flush disk '%s' (%s): %s", x->target,
				 x->dev, strerror(-r));
			break;
		}
		snprintf(snap, sizeof(snap), "%.100s-wirtbak", x->lv.name);
		memcpy(x->snap, snap, sizeof(snap));
		r = lvm_snapshot(&x->lv, x->snap, MIN(cow, x->lv.size), c->err,
				 c->errlen);
		if (r)
			x->snap[0] = '\0';
	}
	if (pause && vm_qmp(vm, "cont", NULL, NULL, err, sizeof(err)))
		wirt_warn("backup of '%s': cannot resume the VM: %s", vm->name,
			  err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	p->pause_us = (t1.tv_sec - t0.tv_sec) * 1000000 +
		      (t1.tv_nsec - t0.tv_nsec) / 1000;
	if (r)
		drop_snaps(p);
	return r ? -1 : 0;
}

/* Copy the snapshot of disk x into a new qcow2 x->part (compressed
 * clusters when compress), synced. Returns 0, or -errno with err. */
static int copy_snap(struct lvdisk *x, bool compress, char *err, size_t errlen)
{
	char dev[PATH_MAX + 256];
	struct blk *in = NULL, *out = NULL;
	struct blk_create_opts o = { .size = x->lv.size };
	int r;

	snprintf(dev, sizeof(dev), "/dev/%s/%s", x->lv.vg, x->snap);
	r = blk_open(&in, dev, BLK_FMT_RAW, 0);
	r = r ?: blk_create(x->part, BLK_FMT_QCOW2, &o);
	r = r ?: blk_open(&out, x->part, BLK_FMT_QCOW2, BLK_O_RDWR);
	r = r	  ?:
		    volblk_copy_data(in, out,
				     VOLBLK_SKIP_ZERO |
					     (compress ? VOLBLK_COMPRESS : 0));
	if (!r && blk_datasync(out))
		r = -EIO;
	if (r)
		snprintf(err, errlen, "disk '%s': copying the snapshot %s: %s",
			 x->target, dev, blk_last_error());
	if (out && blk_close(out) && !r) {
		r = -EIO;
		snprintf(err, errlen, "disk '%s': cannot write '%s': %s",
			 x->target, x->part, blk_last_error());
	}
	if (in)
		blk_close(in);
	return r;
}

/* Copy every snapshot and publish the files; on failure none is left.
 * 0, or -1 with c->err. */
static int copy_all(struct lvplan *p, struct cmd_ctx *c)
{
	unsigned int i, moved = 0;
	int r = 0;

	for (i = 0; !r && i < p->n; i++)
		r = copy_snap(&p->d[i], p->compress, c->err, c->errlen);
	for (i = 0; !r && i < p->n; i++, moved++)
		if (rename(p->d[i].part, p->d[i].final)) {
			r = -errno;
			snprintf(
				c->err, c->errlen,
				"cannot move the backup of disk '%s' to '%s': %s",
				p->d[i].target, p->d[i].final, strerror(errno));
		}
	for (i = 0; i < p->n; i++) {
		if (!r) {
			tmpfile_sync_dir(p->d[i].final);
			continue;
		}
		unlink(p->d[i].part);
		if (i < moved)
			unlink(p->d[i].final);
	}
	return r ? -1 : 0;
}

/* The result of the completed backup p, as cmd_backup gives it. */
static struct json_object *result(const struct lvplan *p, double secs)
{
	struct json_object *o = json_object_new_object(),
			   *a = json_object_new_array(), *e;

	for (unsigned int i = 0; i < p->n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "disk",
				       json_object_new_string(p->d[i].target));
		json_object_object_add(e, "file",
				       json_object_new_string(p->d[i].final));
		json_object_object_add(e, "mode",
				       json_object_new_string("full"));
		json_object_object_add(
			e, "note",
			json_object_new_string("copied from an LVM snapshot"));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "files", a);
	json_object_object_add(o, "pause_us",
			       json_object_new_int64(p->pause_us));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	return o;
}

struct json_object *backup_lvm(struct vmrec *vm, const char *dir, bool compress,
			       struct cmd_ctx *c)
{
	struct lvplan *p = calloc(1, sizeof(*p));
	struct json_object *o = NULL;
	struct timespec t0, t1;
	int r = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (p)
		p->compress = compress;
	if (!p) {
		snprintf(c->err, c->errlen, "out of memory");
	} else if (!plan(vm, dir, p, c)) {
		r = mkdirs(dir, 0755);
		if (r)
			snprintf(c->err, c->errlen,
				 "cannot make the backup directory '%s': %s",
				 dir, strerror(-r));
		else
			r = snap_all(vm, p, c);
	}
	pthread_mutex_unlock(&vm->lock);
	if (!r) {
		r = copy_all(p, c);
		drop_snaps(p);
	}
	if (!r) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		o = result(p, (double)(t1.tv_sec - t0.tv_sec) +
				      (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	free(p);
	return o;
}
