// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dirty bitmaps of a disk: which granules the guest wrote (write,
 * write-zeroes, discard), for incremental backups.  Bitmaps are in memory
 * (common/bitmap.h); persistent ones live in a qcow2 image as well: loaded
 * and marked in use there when the disk opens, stored and marked clean when
 * it closes, so one found in use at the next start missed writes (a crash)
 * and is reported inconsistent.  Requests mark bitmaps when they complete,
 * so a write that ends after a backup took and cleared the dirty set is in
 * the next one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bitmap.h"
#include "common/util.h"
#include "vmm/disk/disk.h"

/* One dirty bitmap of a disk. */
struct disk_dirty {
	struct disk_dirty *next;
	char *name;
	uint64_t granularity;
	struct bitmap *bm; /* NULL when inconsistent */
	bool recording;
	bool persistent; /* also in the qcow2 image */
	bool inconsistent; /* found in use in the image: not loaded */
	bool readonly; /* of a read-only disk's image: never changed */
};

/* Whether d's bitmaps can persist: a writable qcow2 image of its own. */
static bool can_persist(const struct disk *d)
{
	return d->blk && !d->raw_base && !d->readonly &&
	       blk_get_format(d->blk) == BLK_FMT_QCOW2;
}

/* Bitmap @name of d, or NULL; under dirty_lock. */
static struct disk_dirty *find(struct disk *d, const char *name)
{
	for (struct disk_dirty *x = d->dirty; x; x = x->next)
		if (!strcmp(x->name, name))
			return x;
	return NULL;
}

static void dirty_free(struct disk_dirty *x)
{
	if (!x)
		return;
	bitmap_free(x->bm);
	free(x->name);
	free(x);
}

/* Append @x to d's list and count it when it records; under dirty_lock. */
static void link_dirty(struct disk *d, struct disk_dirty *x)
{
	struct disk_dirty **p = &d->dirty;

	while (*p)
		p = &(*p)->next;
	*p = x;
	if (x->recording)
		atomic_fetch_add(&d->recording, 1);
}

/* A new entry @name (bm may be NULL); NULL when out of memory. */
static struct disk_dirty *new_dirty(const char *name, uint64_t gran,
				    struct bitmap *bm)
{
	struct disk_dirty *x = calloc(1, sizeof(*x));

	if (x)
		x->name = strdup(name);
	if (!x || !x->name) {
		free(x);
		return NULL;
	}
	x->granularity = gran;
	x->bm = bm;
	return x;
}

/* Load image bitmap @l of d and mark it in use; 0 or -errno (err set). */
static int load_one(struct disk *d, const struct blk_bitmap_info *l, char *err,
		    size_t errlen)
{
	struct bitmap *bm = NULL;
	struct disk_dirty *x;
	int r = 0;

	if (!(l->flags & BLK_BM_IN_USE) && l->usable) {
		r = blk_bitmap_load(d->blk, l->name, &bm);
		if (!r && !d->readonly)
			r = blk_bitmap_set_in_use(d->blk, l->name, true);
		if (r < 0) {
			bitmap_free(bm);
			return err_set(err, errlen, r, "disk '%s': %s",
				       d->opts.path, blk_last_error());
		}
	}
	x = new_dirty(l->name, l->granularity, bm);
	if (!x) {
		bitmap_free(bm);
		return err_set(err, errlen, -ENOMEM, "disk: out of memory");
	}
	x->persistent = true;
	x->inconsistent = !bm;
	x->readonly = d->readonly;
	x->recording = bm && (l->flags & BLK_BM_AUTO) && !d->readonly;
	if (x->inconsistent)
		wirt_warn(
			"disk '%s': dirty bitmap '%s' is inconsistent (%s); the next backup must be a full one, then remove it with block-dirty-bitmap-remove and add it again",
			d->opts.path, l->name,
			l->usable ? "its writer stopped without saving it" :
				    "it has extra data of an unknown kind");
	pthread_mutex_lock(&d->dirty_lock);
	link_dirty(d, x);
	pthread_mutex_unlock(&d->dirty_lock);
	return 0;
}

int disk_bitmaps_load(struct disk *d, char *err, size_t errlen)
{
	struct blk_bitmap_info *l;
	int n, r = 0;

	/* a read-only disk's image bitmaps are listed, never changed */
	if (!can_persist(d) &&
	    !(d->readonly && d->blk && blk_get_format(d->blk) == BLK_FMT_QCOW2))
		return 0;
	n = blk_bitmap_list(d->blk, &l);
	if (n < 0)
		return err_set(err, errlen, n, "disk '%s': %s", d->opts.path,
			       blk_last_error());
	for (int i = 0; i < n && !r; i++)
		r = load_one(d, &l[i], err, errlen);
	blk_bitmap_list_free(l, n);
	return r;
}

/* Store persistent bitmap @x of d clean in the image; 0 or -errno. */
static int store_one(struct disk *d, struct disk_dirty *x)
{
	int r;

	r = blk_bitmap_enable(d->blk, x->name, x->recording);
	if (!r)
		r = blk_bitmap_store(d->blk, x->name, x->bm, false);
	if (r < 0)
		wirt_warn(
			"disk '%s': cannot store dirty bitmap '%s': %s; it stays marked in use, so the next backup must be a full one",
			d->opts.path, x->name, blk_last_error());
	return r;
}

int disk_bitmaps_store(struct disk *d, bool keep)
{
	int ret = 0;

	pthread_mutex_lock(&d->dirty_lock);
	for (struct disk_dirty *x = d->dirty; x; x = x->next) {
		if (x->persistent && !x->inconsistent && !x->readonly &&
		    d->blk && store_one(d, x) < 0)
			ret = -EIO;
		x->persistent = false; /* the image is not d's any more */
	}
	while (!keep && d->dirty) {
		struct disk_dirty *x = d->dirty;

		d->dirty = x->next;
		dirty_free(x);
	}
	if (!keep)
		atomic_store(&d->recording, 0);
	pthread_mutex_unlock(&d->dirty_lock);
	return ret;
}

void disk_dirty_mark(struct disk *d, const struct disk_io *io)
{
	uint64_t len;

	if (!atomic_load(&d->recording))
		return;
	switch (io->op) {
	case DISK_WRITE:
		len = io->iolen;
		break;
	case DISK_DISCARD:
	case DISK_WRITE_ZEROES:
		len = io->len;
		break;
	default:
		return;
	}
	pthread_mutex_lock(&d->dirty_lock);
	for (struct disk_dirty *x = d->dirty; x; x = x->next)
		if (x->recording)
			bitmap_set_range(x->bm, io->off, len);
	pthread_mutex_unlock(&d->dirty_lock);
}

void disk_dirty_mark_all(struct disk *d)
{
	pthread_mutex_lock(&d->dirty_lock);
	for (struct disk_dirty *x = d->dirty; x; x = x->next)
		if (x->recording)
			bitmap_set_range(x->bm, 0, d->size);
	pthread_mutex_unlock(&d->dirty_lock);
}

/* Check add's arguments against d; the granularity to use in *gran. */
static int check_add(struct disk *d, const char *name, uint64_t *gran,
		     bool persistent, char *err, size_t errlen)
{
	if (!*name || strlen(name) > 1023)
		return err_set(err, errlen, -EINVAL,
			       "bitmap name must be 1 to 1023 bytes long");
	if (find(d, name))
		return err_set(err, errlen, -EEXIST,
			       "Bitmap already exists: %s", name);
	if (!*gran)
		*gran = d->blk && blk_get_format(d->blk) == BLK_FMT_QCOW2 ?
				MAX(blk_cluster_size(d->blk), 4096U) :
				65536;
	if (*gran < 512 || *gran > (1ULL << 31) || (*gran & (*gran - 1)))
		return err_set(
			err, errlen, -EINVAL,
			"Granularity must be power of 2, and at least 512 (at most 2G), not %llu",
			(unsigned long long)*gran);
	if (persistent && !can_persist(d))
		return err_set(
			err, errlen, -ENOTSUP,
			"Cannot store persistent bitmap '%s' on disk '%s': only a writable qcow2 image (compat=1.1) holds them; add it with persistent=false",
			name, d->opts.path);
	return 0;
}

int disk_bitmap_add(struct disk *d, const char *name, uint64_t gran,
		    bool persistent, bool disabled, char *err, size_t errlen)
{
	struct disk_dirty *x = NULL;
	struct bitmap *bm = NULL;
	int r;

	pthread_mutex_lock(&d->dirty_lock);
	r = check_add(d, name, &gran, persistent, err, errlen);
	if (!r && !(bm = bitmap_new(d->size, gran)))
		r = err_set(err, errlen, -errno,
			    "cannot make bitmap '%s' of disk '%s': %s", name,
			    d->opts.path, strerror(errno));
	if (!r && persistent) {
		r = blk_bitmap_add(d->blk, name, gran, disabled);
		if (!r)
			r = blk_bitmap_set_in_use(d->blk, name, true);
		if (r < 0)
			err_set(err, errlen, r, "%s", blk_last_error());
	}
	if (!r && !(x = new_dirty(name, gran, bm)))
		r = err_set(err, errlen, -ENOMEM, "out of memory");
	if (r) {
		bitmap_free(bm);
		pthread_mutex_unlock(&d->dirty_lock);
		return r;
	}
	x->persistent = persistent;
	x->recording = !disabled;
	link_dirty(d, x);
	pthread_mutex_unlock(&d->dirty_lock);
	return 0;
}

/* Bitmap @name of d, with the error QEMU gives when there is none. */
static struct disk_dirty *lookup(struct disk *d, const char *name, char *err,
				 size_t errlen)
{
	struct disk_dirty *x = find(d, name);

	if (!x)
		err_set(err, errlen, -ENOENT, "Dirty bitmap '%s' not found",
			name);
	return x;
}

int disk_bitmap_remove(struct disk *d, const char *name, char *err,
		       size_t errlen)
{
	struct disk_dirty **p, *x;
	int r = 0;

	pthread_mutex_lock(&d->dirty_lock);
	x = lookup(d, name, err, errlen);
	if (x && x->readonly)
		r = err_set(err, errlen, -EROFS,
			    "Bitmap '%s' is readonly and cannot be modified",
			    name);
	else if (x && x->persistent &&
		 (r = blk_bitmap_remove(d->blk, name)) < 0)
		err_set(err, errlen, r, "%s", blk_last_error());
	if (x && !r) {
		for (p = &d->dirty; *p != x; p = &(*p)->next)
			;
		*p = x->next;
		if (x->recording)
			atomic_fetch_sub(&d->recording, 1);
		dirty_free(x);
	}
	pthread_mutex_unlock(&d->dirty_lock);
	return x ? r : -ENOENT;
}

/* Bitmap @name of d when it can be used (not inconsistent). */
static struct disk_dirty *usable(struct disk *d, const char *name, char *err,
				 size_t errlen)
{
	struct disk_dirty *x = lookup(d, name, err, errlen);

	if (x && x->inconsistent) {
		err_set(err, errlen, -EUCLEAN,
			"Bitmap '%s' is inconsistent and cannot be used; try block-dirty-bitmap-remove to delete this bitmap from disk",
			name);
		return NULL;
	}
	return x;
}

/* Bitmap @name of d when it can be used and changed; NULL (err set). */
static struct disk_dirty *writable(struct disk *d, const char *name, char *err,
				   size_t errlen)
{
	struct disk_dirty *x = usable(d, name, err, errlen);

	if (x && x->readonly) {
		err_set(err, errlen, -EROFS,
			"Bitmap '%s' is readonly and cannot be modified", name);
		return NULL;
	}
	return x;
}

/* The error of usable() or writable() for bitmap @name of d. */
static int why_not(struct disk *d, const char *name)
{
	struct disk_dirty *x = find(d, name);

	return !x ? -ENOENT : x->inconsistent ? -EUCLEAN : -EROFS;
}

int disk_bitmap_clear(struct disk *d, const char *name, char *err,
		      size_t errlen)
{
	struct disk_dirty *x;

	int r;

	pthread_mutex_lock(&d->dirty_lock);
	x = writable(d, name, err, errlen);
	if (x)
		bitmap_clear(x->bm);
	r = x ? 0 : why_not(d, name);
	pthread_mutex_unlock(&d->dirty_lock);
	return r;
}

int disk_bitmap_get_dirty(struct disk *d, const char *name, bool clear,
			  struct bitmap **out, char *err, size_t errlen)
{
	struct disk_dirty *x;
	int r = 0;

	pthread_mutex_lock(&d->dirty_lock);
	x = clear ? writable(d, name, err, errlen) :
		    usable(d, name, err, errlen);
	if (!x)
		r = why_not(d, name);
	else if (!(*out = bitmap_dup(x->bm)))
		r = err_set(err, errlen, -ENOMEM, "out of memory");
	else if (clear)
		bitmap_clear(x->bm);
	pthread_mutex_unlock(&d->dirty_lock);
	return r;
}

int disk_bitmap_merge_back(struct disk *d, const char *name,
			   const struct bitmap *bm, char *err, size_t errlen)
{
	struct disk_dirty *x;
	int r;

	pthread_mutex_lock(&d->dirty_lock);
	x = writable(d, name, err, errlen);
	for (uint64_t o = 0; x && (o = bitmap_next_dirty(bm, o)) < bm->size;) {
		uint64_t e = bitmap_next_clean(bm, o);

		bitmap_set_range(x->bm, o, e - o);
		o = e;
	}
	r = x ? 0 : why_not(d, name);
	pthread_mutex_unlock(&d->dirty_lock);
	return r;
}

int disk_bitmap_list(struct disk *d, struct disk_bitmap_info **out)
{
	struct disk_bitmap_info *l;
	int n = 0, i = 0;

	pthread_mutex_lock(&d->dirty_lock);
	for (struct disk_dirty *x = d->dirty; x; x = x->next)
		n++;
	l = calloc(n ? n : 1, sizeof(*l));
	for (struct disk_dirty *x = d->dirty; l && x; x = x->next, i++) {
		l[i].name = strdup(x->name);
		l[i].granularity = x->granularity;
		l[i].count =
			x->bm ? bitmap_count(x->bm)
					<< __builtin_ctzll(x->granularity) :
				0;
		l[i].recording = x->recording;
		l[i].persistent = x->persistent;
		l[i].inconsistent = x->inconsistent;
		if (!l[i].name) {
			disk_bitmap_list_free(l, i);
			l = NULL;
		}
	}
	pthread_mutex_unlock(&d->dirty_lock);
	*out = l;
	return l ? n : -ENOMEM;
}

void disk_bitmap_list_free(struct disk_bitmap_info *l, int n)
{
	for (int i = 0; l && i < n; i++)
		free(l[i].name);
	free(l);
}
