// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Snapshots of a disk in use (QMP/HMP savevm, loadvm, delvm): for a
 * qcow2 image, its internal snapshot table, changed through the block
 * library while the VM's devices are quiesced, so no request is in
 * flight; the image stays one that qemu-img lists and checks clean. A
 * writable raw image takes its snapshots as external qcow2 overlays
 * instead (disk-layer.c).
 */
#include "vmm/disk/disk-snap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "block/blk.h"
#include "block/qcow2.h"
#include "vmm/disk/disk-layer.h"

const char *disk_snapshot_unsupported(const struct disk *d)
{
	if (d->readonly)
		return NULL; /* nothing to keep: it cannot change */
	if (d->raw_base)
		return disk_layer_unsupported(d);
	if (!d->blk || strcmp(d->format, "qcow2"))
		return "it is not a qcow2 image (convert it: wirt-img convert -O qcow2 FILE NEW.qcow2)";
	return NULL;
}

/* Whether d is a writable raw image with external snapshots. */
static bool external(const struct disk *d)
{
	return !d->readonly && d->raw_base;
}

/* The open qcow2 image of d with internal snapshots, or NULL. */
static struct qcow2 *qcow2_of(const struct disk *d)
{
	if (d->readonly || d->raw_base || !d->blk || strcmp(d->format, "qcow2"))
		return NULL;
	return blk_opaque(d->blk);
}

bool disk_snapshot_has(const struct disk *d, const char *tag)
{
	struct qcow2 *q = qcow2_of(d);
	bool has;

	if (external(d))
		return disk_layer_has(d, tag);
	if (!q)
		return false;
	pthread_mutex_lock(&q->lock);
	has = qcow2_snapshot_find(q, tag) >= 0;
	pthread_mutex_unlock(&q->lock);
	return has;
}

/* Run op ('c', 'a', 'd') on d's image under its lock; why on failure. */
static int snap_op(struct disk *d, char op, const char *tag, char *why,
		   size_t whylen)
{
	struct qcow2 *q = qcow2_of(d);
	int r = 0;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	switch (op) {
	case 'c':
		if (qcow2_snapshot_find(q, tag) >= 0)
			r = qcow2_snapshot_delete(q, tag);
		if (!r)
			r = qcow2_snapshot_create(q, tag);
		break;
	case 'a':
		r = qcow2_snapshot_find(q, tag);
		if (r >= 0 && q->snaps[r].disk_size != q->size)
			r = -EMEDIUMTYPE;
		else if (r >= 0)
			r = qcow2_snapshot_apply(q, tag);
		break;
	case 'd':
		r = qcow2_snapshot_find(q, tag) >= 0 ?
			    qcow2_snapshot_delete(q, tag) :
			    0;
		break;
	}
	pthread_mutex_unlock(&q->lock);
	if (r == -EMEDIUMTYPE)
		snprintf(
			why, whylen,
			"'%s': the snapshot's disk size differs from the disk's now",
			d->opts.path);
	else if (r < 0)
		snprintf(why, whylen, "'%s': %s", d->opts.path,
			 blk_last_error());
	return r < 0 ? r : 0;
}

int disk_snapshot_create(struct disk *d, const char *tag, char *why,
			 size_t whylen)
{
	if (external(d))
		return disk_layer_create(d, tag, why, whylen);
	return snap_op(d, 'c', tag, why, whylen);
}

int disk_snapshot_prepare(struct disk *d, const char *tag, char *why,
			  size_t whylen)
{
	return external(d) ? disk_layer_prepare(d, tag, why, whylen) : 0;
}

void disk_snapshot_unprepare(struct disk *d)
{
	if (external(d))
		disk_layer_unprepare(d);
}

int disk_snapshot_apply(struct disk *d, const char *tag, char *why,
			size_t whylen)
{
	if (external(d))
		return disk_layer_apply(d, tag, why, whylen);
	return snap_op(d, 'a', tag, why, whylen);
}

int disk_snapshot_delete(struct disk *d, const char *tag, char *why,
			 size_t whylen)
{
	if (external(d))
		return disk_layer_delete(d, tag, why, whylen);
	return snap_op(d, 'd', tag, why, whylen);
}

int disk_snapshot_list(const struct disk *d, struct disk_snap_info *out,
		       unsigned int max)
{
	struct qcow2 *q = qcow2_of(d);
	unsigned int i, n = 0;

	if (external(d))
		return disk_layer_list(d, out, max);
	if (!q)
		return -ENOENT;
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->nr_snaps && n < max; i++, n++) {
		const struct qcow2_snapshot *s = &q->snaps[i];

		snprintf(out[n].id, sizeof(out[n].id), "%s", s->id);
		snprintf(out[n].name, sizeof(out[n].name), "%s", s->name);
		out[n].date_sec = s->date_sec;
		out[n].date_nsec = s->date_nsec;
		out[n].vm_clock_nsec = s->vm_clock_nsec;
		out[n].vm_state_size = s->vm_state_size;
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}
