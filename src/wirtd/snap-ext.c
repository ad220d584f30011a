// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disk-only (external) snapshots of a shut-off domain: each writable file
 * disk gets a new qcow2 overlay IMAGE-WITHOUT-EXTENSION.NAME over its
 * image, and the definition is switched to the overlays; deleting the
 * newest such snapshot merges each overlay's own data back into its
 * backing image (block library, in-process) and switches the definition
 * back. A running domain's disks are switched and merged by its wirt-vmm
 * (snap-live.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/blk.h"
#include "block/info.h"
#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

#define CHUNK (1 << 20)

/* overlay_path - DIR/STEM.NAME for the image at path. */
int snap_overlay_path(const char *path, const char *name, char *out, size_t len)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	size_t stem = dot && slash && dot > slash + 1 ? (size_t)(dot - path) :
							strlen(path);
	int n = snprintf(out, len, "%.*s.%s", (int)stem, path, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* make_overlay - a new qcow2 at ov over the image base (format fmt, or
 * probed when NULL). Returns 0 or -errno with err set. */
static int make_overlay(const char *base, const char *fmt, const char *ov,
			char *err, size_t errlen)
{
	struct blk_create_opts o = { 0 };
	char bfmt[16];
	enum blk_format f = BLK_FMT_PROBE;
	struct blk *b;
	int r;

	if (fmt && blk_format_parse(fmt, &f)) {
		snprintf(
			err, errlen,
			"disk image '%s' has unknown format '%s' (use raw or qcow2)",
			base, fmt);
		return -EINVAL;
	}
	r = blk_open(&b, base, f, BLK_O_NO_PROBE_WARN | BLK_O_NO_BACKING);
	if (r) {
		snprintf(err, errlen, "cannot open disk image '%s': %s", base,
			 blk_last_error()[0] ? blk_last_error() : strerror(-r));
		return r;
	}
	o.size = blk_getlength(b);
	snprintf(bfmt, sizeof(bfmt), "%s", blk_format_name(blk_get_format(b)));
	blk_close(b);
	o.backing_file = base;
	o.backing_fmt = bfmt;
	r = blk_create(ov, BLK_FMT_QCOW2, &o);
	if (r)
		snprintf(err, errlen, "cannot create the overlay '%s': %s", ov,
			 blk_last_error()[0] ? blk_last_error() : strerror(-r));
	return r;
}

/* disk_index - the index of the definition's disk named target, or -1. */
int snap_disk_index(const struct dom_def *d, const char *target)
{
	unsigned int i;

	for (i = 0; i < d->ndisks; i++)
		if (!strcmp(d->disks[i].target, target))
			return (int)i;
	return -1;
}

/* switch_disks - the definition's disks named in s onto their files
 * (overlays), or back onto bases[] (undo / merge). Returns 0 or -errno. */
int snap_switch_disks(struct vmrec *vm, const struct snap_def *s, char **paths,
		      const char **fmts, char *err, size_t errlen)
{
	unsigned int k;
	int i, r = 0;

	for (k = 0; !r && k < s->ndisks; k++) {
		i = snap_disk_index(domain_def(vm->def), s->disks[k].name);
		if (s->disks[k].file && i >= 0 && paths[k])
			r = domain_set_disk(vm->def, i, paths[k],
					    fmts ? fmts[k] : "qcow2", err,
					    errlen);
	}
	if (!r && vm->persistent)
		r = store_save_def(vm, err, errlen);
	return r;
}

/* unmake - remove the overlays of s made so far (a failed create). */
static void unmake(struct snap_def *s)
{
	unsigned int k;

	for (k = 0; k < s->ndisks; k++)
		if (s->disks[k].file) {
			unlink(s->disks[k].file);
			free(s->disks[k].file);
			s->disks[k].file = NULL;
		}
}

/* snap_disk_part - 1 when disk d takes part in a disk-only snapshot, 0
 * when it is skipped, -ENOTSUP with err when it is not an image file. */
static int snap_disk_part(const struct dom_disk *d, char *err, size_t errlen)
{
	if (d->readonly || d->device != DOM_DEV_DISK)
		return 0;
	if (d->type != DOM_DISK_FILE || !d->source) {
		snprintf(
			err, errlen,
			"unsupported configuration: disk '%s' is not an image file: disk-only snapshots need file disks",
			d->target);
		return -ENOTSUP;
	}
	return 1;
}

int snap_backing(const char *path, int fmt, char *base, size_t len, char *bfmt,
		 size_t bfmtlen, char *err, size_t errlen)
{
	struct blk_info i;
	struct blk *b;
	int r = blk_open(&b, path, fmt, BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN);

	if (r) {
		snprintf(err, errlen, "cannot open the image '%s': %s", path,
			 blk_last_error());
		return r;
	}
	blk_get_info(b, &i);
	r = i.backing_file && i.backing_file[0] ? 0 : -EINVAL;
	if (r)
		snprintf(err, errlen,
			 "invalid argument: the image '%s' has no backing file",
			 path);
	snprintf(base, len, "%s", i.full_backing ?: i.backing_file ?: "");
	snprintf(bfmt, bfmtlen, "%s",
		 i.backing_fmt && !strcmp(i.backing_fmt, "raw") ? "raw" :
								  "qcow2");
	blk_info_free(&i);
	blk_close(b);
	return r;
}

int snap_overlay_plan(const struct dom_def *d, struct snap_def *s,
		      unsigned int k, const struct dom_disk **dk, char *ov,
		      size_t ovlen, char *err, size_t errlen)
{
	int i = snap_disk_index(d, s->disks[k].name), r;

	if (i < 0)
		return -ENOENT;
	*dk = &d->disks[i];
	s->disks[k].internal = false;
	r = snap_disk_part(*dk, err, errlen);
	if (r <= 0)
		return r;
	if (snap_overlay_path((*dk)->source, s->name, ov, ovlen)) {
		snprintf(err, errlen, "the overlay name of '%s' is too long",
			 (*dk)->source);
		return -ENAMETOOLONG;
	}
	if (!access(ov, F_OK)) {
		snprintf(
			err, errlen,
			"operation failed: the overlay '%s' already exists (move it away or pick another snapshot name)",
			ov);
		return -EEXIST;
	}
	return 1;
}

/* ext_disk - disk k of s (on definition d) gets its overlay when it takes
 * part. Returns 0 or -errno with err. */
static int ext_disk(const struct dom_def *d, struct snap_def *s, unsigned int k,
		    char *err, size_t errlen)
{
	const struct dom_disk *dk;
	char ov[PATH_MAX];
	int r = snap_overlay_plan(d, s, k, &dk, ov, sizeof(ov), err, errlen);

	if (r <= 0)
		return r;
	r = make_overlay(dk->source,
			 dk->format == DOM_FMT_RAW   ? "raw" :
			 dk->format == DOM_FMT_QCOW2 ? "qcow2" :
						       NULL,
			 ov, err, errlen);
	if (!r && !(s->disks[k].file = strdup(ov))) {
		unlink(ov);
		r = -ENOMEM;
	}
	return r;
}

/* base_of - the image disk target of vm uses now and its format (NULL:
 * probed), copied. Returns 0 or -ENOMEM. */
static int base_of(struct vmrec *vm, const char *target, char **path,
		   const char **fmt)
{
	const struct dom_def *d = domain_def(vm->def);
	int i = snap_disk_index(d, target);

	*path = NULL;
	*fmt = NULL;
	if (i < 0 || !d->disks[i].source)
		return 0;
	*fmt = d->disks[i].format == DOM_FMT_RAW   ? "raw" :
	       d->disks[i].format == DOM_FMT_QCOW2 ? "qcow2" :
						     NULL;
	*path = strdup(d->disks[i].source);
	return *path ? 0 : -ENOMEM;
}

int snap_ext_create(struct vmrec *vm, struct snap_def *s, char *err,
		    size_t errlen)
{
	const struct dom_def *d = domain_def(vm->def);
	char *files[DOMAIN_DISKS_MAX] = { 0 }, *bases[DOMAIN_DISKS_MAX] = { 0 };
	const char *fmts[DOMAIN_DISKS_MAX];
	char ignore[256];
	unsigned int k, made = 0;
	int r = 0;

	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		return snap_live_create(vm, s, err, errlen);
	s->state = SNAP_DISK_ONLY;
	s->memory = false;
	for (k = 0; !r && k < s->ndisks; k++) {
		r = ext_disk(d, s, k, err, errlen);
		files[k] = s->disks[k].file;
		made += !!files[k];
		if (!r && files[k])
			r = base_of(vm, s->disks[k].name, &bases[k], &fmts[k]);
	}
	if (!r && !made) {
		snprintf(
			err, errlen,
			"unsupported configuration: domain '%s' has no writable disk to put on an overlay",
			vm->name);
		r = -ENOTSUP;
	}
	if (!r && snap_switch_disks(vm, s, files, NULL, err, errlen)) {
		snap_switch_disks(vm, s, bases, fmts, ignore, sizeof(ignore));
		r = -EIO;
	}
	if (r)
		unmake(s);
	for (k = 0; k < s->ndisks; k++)
		free(bases[k]);
	return r;
}

/* merge_range - [off, off+n) of overlay ov written into base. */
static int merge_range(struct blk *ov, struct blk *base, uint64_t off,
		       uint64_t n, bool zero, uint8_t *buf)
{
	size_t c;
	int r = 0;

	if (zero)
		return blk_pwrite_zeroes(base, off, n, 0);
	for (; !r && n; off += c, n -= c) {
		c = n < CHUNK ? n : CHUNK;
		r = blk_pread(ov, off, buf, c);
		if (!r)
			r = blk_pwrite(base, off, buf, c);
	}
	return r;
}

/* merge - what the overlay at path holds itself, written into its
 * backing image, whose path and format go into base/fmt. Returns 0 or
 * -errno with err set. */
static int merge(const char *path, char *base, size_t len, char *fmt,
		 size_t fmtlen, char *err, size_t errlen)
{
	struct blk *ov, *b = NULL;
	enum blk_format bf;
	uint64_t off, size, pnum, map;
	uint8_t *buf = malloc(CHUNK);
	int st, r = buf ? blk_open(&ov, path, BLK_FMT_QCOW2, 0) : -ENOMEM;

	if (!r && !blk_backing(ov)) {
		blk_close(ov);
		r = -EINVAL;
	}
	if (r) {
		free(buf);
		snprintf(
			err, errlen,
			"cannot open the overlay '%s' with its backing image: %s",
			path,
			blk_last_error()[0] ? blk_last_error() : strerror(-r));
		return r;
	}
	snprintf(base, len, "%s", blk_filename(blk_backing(ov)));
	bf = blk_get_format(blk_backing(ov));
	snprintf(fmt, fmtlen, "%s", blk_format_name(bf));
	blk_close(ov);
	r = blk_open(&ov, path, BLK_FMT_QCOW2, BLK_O_NO_BACKING);
	if (r)
		ov = NULL;
	if (!r && blk_open(&b, base, bf, BLK_O_RDWR | BLK_O_NO_BACKING)) {
		b = NULL;
		r = -EIO;
	}
	size = r ? 0 : blk_getlength(ov);
	for (off = 0; !r && off < size; off += pnum) {
		st = blk_block_status(ov, off, size - off, &pnum, &map);
		if (st < 0)
			r = st;
		else if (st & BLK_ST_ALLOCATED)
			r = merge_range(ov, b, off, pnum, st & BLK_ST_ZERO,
					buf);
	}
	if (b && blk_close(b) && !r)
		r = -EIO;
	if (ov)
		blk_close(ov);
	free(buf);
	if (r)
		snprintf(err, errlen,
			 "cannot merge the overlay '%s' into '%s': %s", path,
			 base,
			 blk_last_error()[0] ? blk_last_error() : strerror(-r));
	return r;
}

int snap_ext_delete(struct vmrec *vm, const struct snap_def *s, char *err,
		    size_t errlen)
{
	char base[PATH_MAX], fmt[16], *paths[DOMAIN_DISKS_MAX] = { 0 };
	const char *fmts[DOMAIN_DISKS_MAX] = { 0 };
	const struct dom_def *d = domain_def(vm->def);
	unsigned int k;
	int i, r = 0;

	for (k = 0; k < s->ndisks; k++) {
		i = snap_disk_index(d, s->disks[k].name);
		if (s->disks[k].file &&
		    (i < 0 || !d->disks[i].source ||
		     strcmp(d->disks[i].source, s->disks[k].file))) {
			snprintf(
				err, errlen,
				"Requested operation is not valid: disk '%s' is not on snapshot '%s''s overlay '%s' any more: delete the newer disk-only snapshots first",
				s->disks[k].name, s->name, s->disks[k].file);
			return -EBUSY;
		}
	}
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		return snap_live_delete(vm, s, err, errlen);
	for (k = 0; !r && k < s->ndisks; k++) {
		if (!s->disks[k].file)
			continue;
		r = merge(s->disks[k].file, base, sizeof(base), fmt,
			  sizeof(fmt), err, errlen);
		if (!r && !(paths[k] = strdup(base)))
			r = -ENOMEM;
		fmts[k] = !strcmp(fmt, "raw") ? "raw" : "qcow2";
	}
	if (!r)
		r = snap_switch_disks(vm, s, paths, fmts, err, errlen);
	for (k = 0; k < s->ndisks; k++) {
		if (!r && paths[k])
			unlink(s->disks[k].file);
		free(paths[k]);
	}
	return r;
}
