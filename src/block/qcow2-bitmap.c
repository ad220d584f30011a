// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 persistent bitmaps: the bitmaps header extension and the bitmap
 * directory (qcow2 spec, "Bitmaps"): parsing with every field checked
 * against the file, writing a new directory crash-safely, reading bitmap
 * tables.  Bitmap data is in qcow2-bitmap-data.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block/qcow2.h"
#include "common/bitmap.h"
#include "common/util.h"

#define BME_LEN 24 /* fixed part of a directory entry */

static int bad_dir(struct qcow2 *q, const char *what)
{
	return blk_error(
		EINVAL,
		"qcow2 image '%s': bitmap directory is invalid (%s); the image is corrupt: a read-only open ignores its bitmaps, so copy the data out (wirt-img convert)",
		q->b->filename, what);
}

static int bad_bitmap(struct qcow2 *q, const char *name, const char *what)
{
	return blk_error(
		EINVAL,
		"qcow2 image '%s': bitmap '%s' is invalid (%s); the image is corrupt",
		q->b->filename, name, what);
}

void qcow2_free_bitmaps(struct qcow2 *q)
{
	qcow2_bitmap_array_free(q->bms, q->nr_bms);
	q->bms = NULL;
	q->nr_bms = 0;
}

int qcow2_bitmap_find(struct qcow2 *q, const char *name)
{
	for (uint32_t i = 0; i < q->nr_bms; i++)
		if (!strcmp(q->bms[i].name, name))
			return (int)i;
	return -ENOENT;
}

uint64_t qcow2_bitmap_table_need(struct qcow2 *q, unsigned gran_bits)
{
	uint64_t g = 1ULL << gran_bits;
	uint64_t bits = q->size / g + !!(q->size % g);
	uint64_t bytes = (bits + 7) / 8;

	return bytes / q->cs + !!(bytes % q->cs);
}

/* Whether [off, +len) lies aligned inside a file of @fsize bytes. */
static bool in_file(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t fsize)
{
	return off && !(off & (q->cs - 1)) && off <= fsize &&
	       len <= fsize - off;
}

/* Check the fixed fields of the entry at @p for bitmap @name. */
static int check_entry(struct qcow2 *q, const uint8_t *p, const char *name,
		       uint64_t fsize)
{
	uint64_t toff = qbe64(p);
	uint32_t tsize = qbe32(p + 8), flags = qbe32(p + 12);
	uint8_t type = p[16], gb = p[17];

	if (type != 1)
		return bad_bitmap(q, name,
				  "type is not a dirty tracking bitmap");
	if (gb < 9 || gb > 31)
		return bad_bitmap(q, name,
				  "granularity outside 512 B .. 2 GiB");
	if (flags & ~QC_BM_KNOWN)
		return bad_bitmap(q, name, "reserved flags set");
	if (!tsize || tsize > QC_BM_MAX_TABLE ||
	    !in_file(q, toff, tsize * 8ULL, fsize))
		return bad_bitmap(q, name,
				  "bitmap table outside the file or unaligned");
	if ((uint64_t)tsize * q->cs > BITMAP_MAX_BYTES)
		return bad_bitmap(q, name, "bitmap table too large");
	if (!(flags & QC_BM_IN_USE) && tsize < qcow2_bitmap_table_need(q, gb))
		return bad_bitmap(q, name,
				  "bitmap table smaller than the virtual disk");
	return 0;
}

/* Parse one directory entry at @p (@left bytes remain); its size in *len. */
static int parse_entry(struct qcow2 *q, const uint8_t *p, uint64_t left,
		       uint64_t fsize, struct qcow2_bitmap *b, uint64_t *len)
{
	uint16_t nl;
	uint32_t el;
	uint64_t n;
	int ret;

	if (left < BME_LEN)
		return bad_dir(q, "entry runs past the directory");
	nl = qbe16(p + 18);
	el = qbe32(p + 20);
	n = ALIGN_UP(BME_LEN + (uint64_t)el + nl, 8);
	if (n > left)
		return bad_dir(q, "entry runs past the directory");
	if (!nl || nl > QC_BM_MAX_NAME)
		return bad_dir(q, "bitmap name empty or over 1023 bytes");
	if (memchr(p + BME_LEN + el, 0, nl))
		return bad_dir(q, "bitmap name holds a NUL byte");
	for (uint64_t i = BME_LEN + el + nl; i < n; i++)
		if (p[i])
			return bad_dir(q, "entry padding is not zero");
	b->name = strndup((const char *)p + BME_LEN + el, nl);
	b->extra = malloc(el ? el : 1);
	if (!b->name || !b->extra)
		return -ENOMEM;
	memcpy(b->extra, p + BME_LEN, el);
	ret = check_entry(q, p, b->name, fsize);
	if (ret < 0)
		return ret;
	b->table_offset = qbe64(p);
	b->table_size = qbe32(p + 8);
	b->flags = qbe32(p + 12);
	b->type = p[16];
	b->gran_bits = p[17];
	b->extra_len = el;
	*len = n;
	return 0;
}

struct range {
	uint64_t off, end;
	const char *what;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Refuse a bitmap directory or table overlapping another one or the
 * header, L1 table, refcount table or snapshot table.
 */
static int check_overlaps(struct qcow2 *q)
{
	uint64_t n = q->nr_bms + 5ULL, k = 0;
	struct range *r = calloc(n, sizeof(*r));
	int ret = 0;

	if (!r)
		return -ENOMEM;
	r[k++] = (struct range){ 0, q->cs, "the header" };
	r[k++] = (struct range){ q->bmdir_offset,
				 q->bmdir_offset + q->bmdir_size,
				 "the bitmap directory" };
	r[k++] = (struct range){ q->l1_offset, q->l1_offset + q->l1_size * 8ULL,
				 "the L1 table" };
	r[k++] = (struct range){ q->rct_offset,
				 q->rct_offset + q->rct_clusters * q->cs,
				 "the refcount table" };
	if (q->snaps_size)
		r[k++] = (struct range){ q->snaps_offset,
					 q->snaps_offset + q->snaps_size,
					 "the snapshot table" };
	for (uint32_t i = 0; i < q->nr_bms; i++)
		r[k++] = (struct range){ q->bms[i].table_offset,
					 q->bms[i].table_offset +
						 q->bms[i].table_size * 8ULL,
					 q->bms[i].name };
	qsort(r, k, sizeof(*r), cmp_range);
	for (uint64_t i = 1; i < k && !ret; i++) {
		if (r[i].off == r[i].end || r[i - 1].end <= r[i].off)
			continue;
		ret = blk_error(
			EINVAL,
			"qcow2 image '%s': bitmap metadata overlaps: %s and %s share clusters; the image is corrupt: a read-only open ignores its bitmaps, so copy the data out (wirt-img convert)",
			q->b->filename, r[i - 1].what, r[i].what);
	}
	free(r);
	return ret;
}

/* Parse the directory in @p into q->bms; names must be unique. */
static int parse_dir(struct qcow2 *q, const uint8_t *p, uint32_t nb,
		     uint64_t fsize)
{
	uint64_t o = 0, len = 0;
	int ret;

	q->bms = calloc(nb, sizeof(*q->bms));
	if (!q->bms)
		return -ENOMEM;
	for (uint32_t i = 0; i < nb; i++) {
		ret = parse_entry(q, p + o, q->bmdir_size - o, fsize,
				  &q->bms[i], &len);
		q->nr_bms = i + 1; /* so that the name is freed */
		if (ret < 0)
			return ret;
		if (qcow2_bitmap_find(q, q->bms[i].name) != (int)i)
			return bad_dir(q, "two bitmaps have the same name");
		o += len;
	}
	if (o != q->bmdir_size)
		return bad_dir(q, "its size does not match its entries");
	return check_overlaps(q);
}

/* Check the extension's fields; fills q->bmdir_*; nb in *nb. */
static int check_ext(struct qcow2 *q, uint64_t fsize, uint32_t *nb)
{
	*nb = qbe32(q->bmext);
	q->bmdir_size = qbe64(q->bmext + 8);
	q->bmdir_offset = qbe64(q->bmext + 16);
	if (qbe32(q->bmext + 4))
		return bad_dir(q, "reserved field of the extension is set");
	if (!*nb || *nb > QC_BM_MAX)
		return bad_dir(q, "bitmap count outside 1 .. 65535");
	if (q->bmdir_size > QC_BM_MAX_DIR ||
	    q->bmdir_size < (uint64_t)*nb * BME_LEN)
		return bad_dir(q, "size out of range");
	if (!in_file(q, q->bmdir_offset, q->bmdir_size, fsize))
		return bad_dir(q, "outside the file or unaligned");
	return 0;
}

int qcow2_read_bitmaps(struct qcow2 *q)
{
	struct stat st;
	uint8_t *p;
	uint32_t nb;
	int ret;

	if (!q->bmext_seen)
		return 0;
	if (!(q->autoclear & QC_AUTOCLEAR_BITMAPS)) {
		wirt_warn(
			"qcow2 image '%s': its bitmaps were left inconsistent by a program without bitmap support; they are ignored (an incremental backup needs a full one first)",
			q->b->filename);
		q->bmext_seen = false;
		return 0;
	}
	if (fstat(q->fd, &st) < 0)
		return -errno;
	ret = check_ext(q, st.st_size, &nb);
	if (ret < 0)
		return ret;
	p = malloc(q->bmdir_size);
	if (!p)
		return -ENOMEM;
	if (pread_full(q->fd, p, q->bmdir_size, q->bmdir_offset) !=
	    (ssize_t)q->bmdir_size)
		ret = blk_error(EIO, "cannot read the bitmap directory of '%s'",
				q->b->filename);
	else
		ret = parse_dir(q, p, nb, st.st_size);
	free(p);
	if (ret < 0)
		qcow2_free_bitmaps(q);
	if (ret == -EINVAL && !q->rw) { /* the data can still be read */
		wirt_warn("%s; its bitmaps are ignored", blk_last_error());
		q->bmext_seen = false;
		ret = 0;
	}
	qcow2_bitmap_update_guard(q);
	return ret;
}

void qcow2_bitmaps_ext(struct qcow2 *q, uint8_t *p)
{
	qput32(p, q->nr_bms);
	qput32(p + 4, 0);
	qput64(p + 8, q->bmdir_size);
	qput64(p + 16, q->bmdir_offset);
}

/* Serialize @bms[0..@n) as a directory; malloc'ed, its size in *len. */
static uint8_t *build_dir(const struct qcow2_bitmap *bms, uint32_t n,
			  uint64_t *len)
{
	uint64_t size = 0, o = 0;
	uint8_t *p;

	for (uint32_t i = 0; i < n; i++)
		size += ALIGN_UP(BME_LEN + (uint64_t)bms[i].extra_len +
					 strlen(bms[i].name),
				 8);
	p = calloc(1, size ? size : 8);
	if (!p)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		const struct qcow2_bitmap *b = &bms[i];
		size_t nl = strlen(b->name);

		qput64(p + o, b->table_offset);
		qput32(p + o + 8, b->table_size);
		qput32(p + o + 12, b->flags);
		p[o + 16] = b->type;
		p[o + 17] = b->gran_bits;
		qput16(p + o + 18, nl);
		qput32(p + o + 20, b->extra_len);
		if (b->extra_len)
			memcpy(p + o + BME_LEN, b->extra, b->extra_len);
		memcpy(p + o + BME_LEN + b->extra_len, b->name, nl);
		o += ALIGN_UP(BME_LEN + (uint64_t)b->extra_len + nl, 8);
	}
	*len = size;
	return p;
}

int qcow2_bitmap_write_new(struct qcow2 *q, const void *p, uint64_t len,
			   uint64_t *off)
{
	int64_t o = qcow2_alloc_clusters(q, ALIGN_UP(len, q->cs) >>
						    q->cluster_bits);
	int ret;

	if (o < 0)
		return (int)o;
	ret = qcow2_flush_meta(q);
	if (!ret && blk_io_pwrite(q->fd, p, len, o) < 0)
		ret = blk_error(errno, "cannot write bitmap metadata of '%s'",
				q->b->filename);
	if (!ret && blk_datasync(q->b) < 0)
		ret = -errno;
	if (ret < 0) {
		qcow2_update_refcount(q, o, len, -1);
		return ret;
	}
	*off = (uint64_t)o;
	return 0;
}

int qcow2_write_bitmaps(struct qcow2 *q, struct qcow2_bitmap *bms, uint32_t n)
{
	uint64_t old_off = q->bmdir_offset, old_len = q->bmdir_size;
	uint64_t len = 0, off = 0;
	uint32_t old_n = q->nr_bms;
	uint8_t *p = build_dir(bms, n, &len);
	struct qcow2_bitmap *old = q->bms;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	if (n)
		ret = qcow2_bitmap_write_new(q, p, len, &off);
	free(p);
	if (ret < 0)
		return ret;
	q->bms = bms;
	q->nr_bms = n;
	q->bmdir_offset = off;
	q->bmdir_size = len;
	if (n)
		q->autoclear |= QC_AUTOCLEAR_BITMAPS;
	else
		q->autoclear &= ~QC_AUTOCLEAR_BITMAPS;
	ret = qcow2_write_header(q);
	if (!ret && blk_datasync(q->b) < 0)
		ret = -errno;
	if (ret < 0) { /* the old directory stays in use */
		q->bms = old;
		q->nr_bms = old_n;
		q->bmdir_offset = old_off;
		q->bmdir_size = old_len;
		q->autoclear |= old_n ? QC_AUTOCLEAR_BITMAPS : 0;
		return ret;
	}
	qcow2_bitmap_array_free(old, old_n);
	qcow2_meta_changed(q);
	qcow2_bitmap_update_guard(q);
	ret = old_n ? qcow2_update_refcount(q, old_off, old_len, -1) : 0;
	return ret < 0 ? ret : qcow2_flush_meta(q);
}

int qcow2_bitmap_read_table(struct qcow2 *q, uint32_t i, uint64_t **out)
{
	const struct qcow2_bitmap *b = &q->bms[i];
	uint64_t *t = malloc(b->table_size * 8ULL);
	struct stat st;

	if (!t)
		return -ENOMEM;
	if (fstat(q->fd, &st) < 0 ||
	    pread_full(q->fd, t, b->table_size * 8ULL, b->table_offset) !=
		    b->table_size * 8LL) {
		free(t);
		return blk_error(EIO, "cannot read bitmap '%s' of '%s'",
				 b->name, q->b->filename);
	}
	for (uint32_t j = 0; j < b->table_size; j++) {
		uint64_t e = qbe64(&t[j]), off = e & QC_BME_OFFSET_MASK;

		t[j] = e;
		if ((e & QC_BME_RESERVED) || (off && (e & 1)) ||
		    (off && (off & (q->cs - 1) || off > st.st_size - q->cs ||
			     qcow2_overlap(q, 0, off, q->cs)))) {
			free(t);
			return bad_bitmap(
				q, b->name,
				"a bitmap table entry is reserved, unaligned, outside the file or on metadata");
		}
	}
	*out = t;
	return 0;
}

void qcow2_bitmap_update_guard(struct qcow2 *q)
{
	bool g = false;

	for (uint32_t i = 0; i < q->nr_bms; i++)
		if ((q->bms[i].flags & (QC_BM_AUTO | QC_BM_IN_USE)) ==
		    QC_BM_AUTO)
			g = true;
	__atomic_store_n(&q->bm_guard, g && q->rw, __ATOMIC_RELEASE);
}

void qcow2_bitmap_array_free(struct qcow2_bitmap *b, uint32_t n)
{
	for (uint32_t i = 0; b && i < n; i++) {
		free(b[i].name);
		free(b[i].extra);
	}
	free(b);
}

struct qcow2_bitmap *qcow2_bitmap_copy_dir(struct qcow2 *q)
{
	struct qcow2_bitmap *n = calloc(q->nr_bms + 1, sizeof(*n));
	bool ok = n != NULL;

	for (uint32_t i = 0; ok && i < q->nr_bms; i++) {
		n[i] = q->bms[i];
		n[i].name = strdup(q->bms[i].name);
		n[i].extra = malloc(n[i].extra_len ? n[i].extra_len : 1);
		ok = n[i].name && n[i].extra;
		if (n[i].extra && n[i].extra_len)
			memcpy(n[i].extra, q->bms[i].extra, n[i].extra_len);
	}
	if (!ok) {
		qcow2_bitmap_array_free(n, q->nr_bms);
		return NULL;
	}
	return n;
}
