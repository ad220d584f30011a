// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 persistent bitmaps: their contents.  Loading reads a bitmap's
 * table and data clusters into a struct bitmap; storing writes new data
 * clusters and a new table, switches the directory to them, and only then
 * frees the old ones, so a crash at any point leaves either the old or the
 * new bitmap (and at worst leaked clusters).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "common/bitmap.h"
#include "common/util.h"

static int unusable(struct qcow2 *q, const struct qcow2_bitmap *b)
{
	if (b->flags & QC_BM_IN_USE)
		return blk_error(
			EUCLEAN,
			"bitmap '%s' of '%s' is inconsistent: it was in use when its writer stopped without saving it (a crash); the next backup must be a full one, then clear or remove the bitmap",
			b->name, q->b->filename);
	if (b->extra_len && !(b->flags & QC_BM_EXTRA_COMPAT))
		return blk_error(
			ENOTSUP,
			"bitmap '%s' of '%s' has extra data of an unknown kind; it is kept but cannot be used",
			b->name, q->b->filename);
	return 0;
}

/* Fill @bm from table @t (already checked) of bitmap @i. */
static int read_data(struct qcow2 *q, const uint64_t *t, uint64_t need,
		     struct bitmap *bm)
{
	uint8_t *buf = malloc(q->cs);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t j = 0; j < need && !ret; j++) {
		uint64_t off = t[j] & QC_BME_OFFSET_MASK;

		if (!off && !(t[j] & 1))
			continue;
		if (off && pread_full(q->fd, buf, q->cs, off) != (ssize_t)q->cs)
			ret = blk_error(EIO, "cannot read bitmap data of '%s'",
					q->b->filename);
		else if (!off)
			memset(buf, 0xff, q->cs);
		if (!ret)
			bitmap_put_bytes(bm, j * q->cs, buf, q->cs);
	}
	free(buf);
	return ret;
}

int qcow2_bitmap_load(struct qcow2 *q, uint32_t i, struct bitmap **out)
{
	const struct qcow2_bitmap *b = &q->bms[i];
	uint64_t need = qcow2_bitmap_table_need(q, b->gran_bits), *t;
	struct bitmap *bm;
	int ret = unusable(q, b);

	if (ret < 0)
		return ret;
	bm = bitmap_new(q->size, 1ULL << b->gran_bits);
	if (!bm)
		return blk_error(
			errno,
			"bitmap '%s' of '%s' is too large to load (granularity %llu for %llu bytes)",
			b->name, q->b->filename, 1ULL << b->gran_bits,
			(unsigned long long)q->size);
	ret = qcow2_bitmap_read_table(q, i, &t);
	if (!ret) {
		ret = read_data(q, t, MIN(need, (uint64_t)b->table_size), bm);
		free(t);
	}
	if (ret < 0) {
		bitmap_free(bm);
		return ret;
	}
	*out = bm;
	return 0;
}

/* Drop the references of table @t (@n entries at @toff) and its data. */
static void free_table(struct qcow2 *q, const uint64_t *t, uint64_t n,
		       uint64_t toff)
{
	for (uint64_t j = 0; t && j < n; j++)
		if (t[j] & QC_BME_OFFSET_MASK)
			qcow2_update_refcount(q, t[j] & QC_BME_OFFSET_MASK,
					      q->cs, -1);
	if (toff)
		qcow2_update_refcount(q, toff, n * 8, -1);
}

/* Write the non-zero clusters of @bm; their offsets into @t (host order). */
static int write_data(struct qcow2 *q, const struct bitmap *bm, uint64_t *t,
		      uint64_t need)
{
	uint8_t *buf = malloc(q->cs);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t j = 0; j < need && bm && !ret; j++) {
		int64_t off;

		if (bm->count == 0 ||
		    bitmap_next_dirty(bm, j * q->cs * 8 * bm->granularity) >=
			    (j + 1) * q->cs * 8 * bm->granularity)
			continue;
		bitmap_get_bytes(bm, j * q->cs, buf, q->cs);
		off = qcow2_alloc_clusters(q, 1);
		if (off < 0) {
			ret = (int)off;
			break;
		}
		t[j] = off;
		if (blk_io_pwrite(q->fd, buf, q->cs, off) < 0)
			ret = blk_error(errno,
					"cannot write bitmap data of '%s'",
					q->b->filename);
	}
	free(buf);
	return ret;
}

/*
 * New data clusters and a new table for @bm (NULL: empty) in *toff, with
 * *tsize entries; everything synced.  Returns 0 or -errno (nothing kept).
 */
static int write_table(struct qcow2 *q, const struct bitmap *bm,
		       unsigned gran_bits, uint64_t *toff, uint32_t *tsize)
{
	uint64_t need = qcow2_bitmap_table_need(q, gran_bits);
	uint64_t *t = calloc(need ? need : 1, 8), *be;
	int ret;

	if (!t)
		return -ENOMEM;
	ret = write_data(q, bm, t, need);
	be = ret ? NULL : malloc(need * 8);
	if (!ret && !be)
		ret = -ENOMEM;
	for (uint64_t j = 0; be && j < need; j++)
		qput64(&be[j], t[j]);
	if (!ret)
		ret = qcow2_bitmap_write_new(q, be, need * 8, toff);
	if (ret < 0)
		free_table(q, t, need, 0);
	*tsize = need;
	free(t);
	free(be);
	return ret;
}

/* Make @n (q->nr_bms + @delta entries) the directory, or free it. */
static int switch_dir(struct qcow2 *q, struct qcow2_bitmap *n, int delta)
{
	uint32_t cnt = q->nr_bms + delta;
	int ret = qcow2_write_bitmaps(q, n, cnt);

	if (ret < 0)
		qcow2_bitmap_array_free(n, cnt);
	return ret;
}

int qcow2_bitmap_store(struct qcow2 *q, uint32_t i, const struct bitmap *bm,
		       uint32_t set, uint32_t clr)
{
	struct qcow2_bitmap *n, *b = &q->bms[i];
	uint64_t *old = NULL, old_off = b->table_offset, toff;
	uint32_t old_n = b->table_size, tsize;
	int ret;

	if (bm &&
	    (bm->size != q->size || bm->granularity != (1ULL << b->gran_bits)))
		return blk_error(
			EINVAL,
			"bitmap '%s' of '%s': size or granularity differs",
			b->name, q->b->filename);
	if (qcow2_bitmap_read_table(q, i, &old) < 0)
		old = NULL; /* a bad old table is left alone (leaked) */
	ret = write_table(q, bm, b->gran_bits, &toff, &tsize);
	n = ret ? NULL : qcow2_bitmap_copy_dir(q);
	if (!ret && !n)
		ret = -ENOMEM;
	if (!ret) {
		n[i].table_offset = toff;
		n[i].table_size = tsize;
		n[i].flags = (n[i].flags & ~clr) | set;
		ret = switch_dir(q, n, 0);
	}
	if (ret < 0 && n) /* the new table is not used (its data leaks) */
		qcow2_update_refcount(q, toff, tsize * 8ULL, -1);
	if (!ret && old)
		free_table(q, old, old_n, old_off);
	free(old);
	return ret < 0 ? ret : qcow2_flush_meta(q);
}

int qcow2_bitmap_add(struct qcow2 *q, const char *name, unsigned gran_bits,
		     uint32_t flags)
{
	struct qcow2_bitmap *n;
	uint64_t toff;
	uint32_t tsize;
	int ret;

	if (q->nr_bms >= QC_BM_MAX)
		return blk_error(ENOSPC, "'%s' already has %u bitmaps",
				 q->b->filename, QC_BM_MAX);
	ret = write_table(q, NULL, gran_bits, &toff, &tsize);
	if (ret < 0)
		return ret;
	n = qcow2_bitmap_copy_dir(q);
	if (n)
		n[q->nr_bms].name = strdup(name);
	if (!n || !n[q->nr_bms].name) {
		qcow2_bitmap_array_free(n, q->nr_bms + 1);
		qcow2_update_refcount(q, toff, tsize * 8ULL, -1);
		return -ENOMEM;
	}
	n[q->nr_bms] = (struct qcow2_bitmap){
		.name = n[q->nr_bms].name,
		.table_offset = toff,
		.table_size = tsize,
		.flags = flags,
		.type = 1,
		.gran_bits = gran_bits,
	};
	ret = switch_dir(q, n, 1);
	if (ret < 0)
		qcow2_update_refcount(q, toff, tsize * 8ULL, -1);
	return ret;
}

int qcow2_bitmap_remove(struct qcow2 *q, uint32_t i)
{
	struct qcow2_bitmap *n = qcow2_bitmap_copy_dir(q), gone;
	uint64_t *old = NULL;
	int ret;

	if (!n)
		return -ENOMEM;
	if (qcow2_bitmap_read_table(q, i, &old) < 0)
		old = NULL; /* a bad table is leaked, not freed */
	gone = n[i];
	memmove(&n[i], &n[i + 1], (q->nr_bms - i) * sizeof(*n));
	ret = switch_dir(q, n, -1);
	if (!ret && old)
		free_table(q, old, gone.table_size, gone.table_offset);
	free(gone.name);
	free(gone.extra);
	free(old);
	return ret < 0 ? ret : qcow2_flush_meta(q);
}

int qcow2_bitmap_set_flags(struct qcow2 *q, uint32_t i, uint32_t set,
			   uint32_t clr)
{
	struct qcow2_bitmap *n;

	if (((q->bms[i].flags & ~clr) | set) == q->bms[i].flags)
		return 0;
	n = qcow2_bitmap_copy_dir(q);
	if (!n)
		return -ENOMEM;
	n[i].flags = (n[i].flags & ~clr) | set;
	return switch_dir(q, n, 0);
}
