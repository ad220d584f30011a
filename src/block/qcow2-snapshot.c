// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 internal snapshots: the snapshot table, create, apply, delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

#define SN_MAX_TABLE (64ULL << 20)
#define SN_MAX_EXTRA 1024

void qcow2_free_snapshots(struct qcow2 *q)
{
	for (uint32_t i = 0; q->snaps && i < q->nr_snaps; i++) {
		free(q->snaps[i].id);
		free(q->snaps[i].name);
		free(q->snaps[i].extra);
	}
	free(q->snaps);
	q->snaps = NULL;
}

static int bad(struct qcow2 *q, const char *what, uint32_t i)
{
	return blk_error(
		EINVAL,
		"qcow2 image '%s': snapshot %u: %s; the image is corrupt",
		q->b->filename, i, what);
}

/* Read one entry at @*off into @s, advancing @*off; limits checked. */
static int read_one(struct qcow2 *q, uint64_t *off, uint64_t fsize,
		    struct qcow2_snapshot *s, uint32_t i)
{
	uint8_t h[40];
	uint16_t il, nl;

	if (*off + 40 > fsize || pread_full(q->fd, h, 40, *off) != 40)
		return bad(q, "table runs past the end of the file", i);
	s->l1_offset = qbe64(h);
	s->l1_size = qbe32(h + 8);
	il = qbe16(h + 12);
	nl = qbe16(h + 14);
	s->date_sec = qbe32(h + 16);
	s->date_nsec = qbe32(h + 20);
	s->vm_clock_nsec = qbe64(h + 24);
	s->vm_state_size = qbe32(h + 32);
	s->extra_len = qbe32(h + 36);
	s->icount = UINT64_MAX;
	s->disk_size = q->size;
	if (s->extra_len > SN_MAX_EXTRA)
		return bad(q, "extra data too large", i);
	*off += 40;
	if (*off + s->extra_len + il + nl > fsize)
		return bad(q, "table runs past the end of the file", i);
	s->extra = calloc(1, s->extra_len + 1);
	s->id = calloc(1, il + 1);
	s->name = calloc(1, nl + 1);
	if (!s->extra || !s->id || !s->name)
		return -ENOMEM;
	if (pread_full(q->fd, s->extra, s->extra_len, *off) < 0 ||
	    pread_full(q->fd, s->id, il, *off + s->extra_len) < 0 ||
	    pread_full(q->fd, s->name, nl, *off + s->extra_len + il) < 0)
		return -EIO;
	if (s->extra_len >= 8)
		s->vm_state_size = qbe64(s->extra);
	if (s->extra_len >= 16)
		s->disk_size = qbe64(s->extra + 8);
	if (s->extra_len >= 24)
		s->icount = qbe64(s->extra + 16);
	*off = ALIGN_UP(*off + s->extra_len + il + nl, 8);
	if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
	    s->l1_offset & (q->cs - 1) ||
	    (s->l1_size && (s->l1_offset > fsize ||
			    s->l1_size * 8ULL > fsize - s->l1_offset)))
		return bad(q, "L1 table out of range", i);
	return 0;
}

int qcow2_read_snapshots(struct qcow2 *q)
{
	uint64_t off = q->snaps_offset, fsize = q->host_end;
	int ret;

	if (!q->nr_snaps) {
		q->snaps_offset = 0;
		return 0;
	}
	if (q->nr_snaps > QCOW2_MAX_SNAPSHOTS || off & (q->cs - 1) || !off)
		return bad(q, "table offset or count out of range", 0);
	q->snaps = calloc(q->nr_snaps, sizeof(*q->snaps));
	if (!q->snaps)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->nr_snaps; i++) {
		ret = read_one(q, &off, fsize, &q->snaps[i], i);
		if (ret < 0)
			return ret;
		if (off - q->snaps_offset > SN_MAX_TABLE)
			return bad(q, "table too large", i);
	}
	q->snaps_size = off - q->snaps_offset;
	return 0;
}

/*
 * Serialize entries q->snaps[0..@cnt) but @skip (-1: none); returns a
 * malloc'ed buffer, its size in *len.
 */
static uint8_t *build_table(struct qcow2 *q, uint32_t cnt, int64_t skip,
			    uint64_t *len)
{
	uint64_t n = 0, o = 0;
	uint8_t *p;

	for (uint32_t i = 0; i < cnt; i++)
		if (i != skip)
			n += ALIGN_UP(40 + (uint64_t)q->snaps[i].extra_len +
					      strlen(q->snaps[i].id) +
					      strlen(q->snaps[i].name),
				      8);
	p = calloc(1, n ? n : 8);
	if (!p)
		return NULL;
	for (uint32_t i = 0; i < cnt; i++) {
		struct qcow2_snapshot *s = &q->snaps[i];
		size_t il = strlen(s->id), nl = strlen(s->name);

		if (i == skip)
			continue;

		if (s->extra_len >= 8)
			qput64(s->extra, s->vm_state_size);
		if (s->extra_len >= 16)
			qput64(s->extra + 8, s->disk_size);
		qput64(p + o, s->l1_offset);
		qput32(p + o + 8, s->l1_size);
		qput16(p + o + 12, il);
		qput16(p + o + 14, nl);
		qput32(p + o + 16, s->date_sec);
		qput32(p + o + 20, s->date_nsec);
		qput64(p + o + 24, s->vm_clock_nsec);
		qput32(p + o + 32, MIN(s->vm_state_size, UINT32_MAX));
		qput32(p + o + 36, s->extra_len);
		o += 40;
		memcpy(p + o, s->extra, s->extra_len);
		o += s->extra_len;
		memcpy(p + o, s->id, il);
		memcpy(p + o + il, s->name, nl);
		o = ALIGN_UP(o + il + nl, 8);
	}
	*len = n;
	return p;
}

/*
 * Make entries q->snaps[0..@cnt) but @skip (-1: none) the snapshot table:
 * written to new clusters and synced, then the header switched to it and
 * the old table freed; q->snaps and q->nr_snaps become that list.  Until
 * the switch q keeps the old count and offset, so a header written on the
 * way (refcount table growth for the new clusters) still names the old
 * table whole.
 */
static int write_snapshots(struct qcow2 *q, uint32_t cnt, int64_t skip)
{
	uint64_t old_off = q->snaps_offset, old_len = q->snaps_size, len;
	uint8_t *p = build_table(q, cnt, skip, &len);
	int64_t off = 0;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	if (len) {
		off = qcow2_alloc_clusters(q, ALIGN_UP(len, q->cs) >>
						      q->cluster_bits);
		if (off < 0) {
			free(p);
			return (int)off;
		}
		ret = qcow2_flush_meta(q);
		if (!ret && blk_io_pwrite(q->fd, p, len, off) < 0)
			ret = -errno;
		if (!ret && blk_datasync(q->b) < 0)
			ret = -errno;
	}
	free(p);
	if (ret < 0)
		return ret;
	if (skip >= 0) {
		memmove(&q->snaps[skip], &q->snaps[skip + 1],
			(cnt - skip - 1) * sizeof(*q->snaps));
		cnt--;
	}
	q->nr_snaps = cnt;
	q->snaps_offset = off;
	q->snaps_size = len;
	ret = qcow2_write_header(q);
	if (!ret && blk_datasync(q->b) < 0)
		ret = -errno;
	if (!ret && old_len)
		ret = qcow2_update_refcount(q, old_off, old_len, -1);
	return ret;
}

int qcow2_snapshot_find(struct qcow2 *q, const char *name)
{
	for (uint32_t i = 0; i < q->nr_snaps; i++)
		if (!strcmp(q->snaps[i].name, name))
			return i;
	for (uint32_t i = 0; i < q->nr_snaps; i++)
		if (!strcmp(q->snaps[i].id, name))
			return i;
	return -ENOENT;
}

/* Add @addend to the refcount of every cluster reachable from @l1. */
static int qcow2_walk_l1(struct qcow2 *q, const uint64_t *l1, uint32_t n,
			 int addend)
{
	uint64_t ents = 1ULL << q->l2_bits;
	uint64_t *copy = malloc(q->cs);
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !ret; i++) {
		uint64_t l2 = l1[i] & QC_OFFSET_MASK;
		void *tbl;

		if (!l2)
			continue;
		ret = qcow2_check_l2_offset(q, l2, i);
		if (ret < 0)
			break;
		ret = qcow2_cache_get(q->l2c, l2, &tbl);
		if (ret < 0)
			break;
		memcpy(copy, tbl, q->cs);
		qcow2_cache_put(q->l2c, tbl);
		for (uint64_t j = 0; j < ents && !ret; j++) {
			uint64_t e = qbe64(&copy[j]), off, len = q->cs;

			switch (qcow2_entry_type(q, e)) {
			case QC_NORMAL:
			case QC_ZERO_ALLOC:
				off = e & QC_OFFSET_MASK;
				break;
			case QC_COMP:
				qcow2_comp_range(q, e, &off, &len);
				break;
			default:
				continue;
			}
			ret = qcow2_update_refcount(q, off, len, addend);
		}
		if (!ret)
			ret = qcow2_update_refcount(q, l2, q->cs, addend);
	}
	free(copy);
	return ret;
}

/* Set COPIED flags of the active tables to "refcount is exactly 1". */
static int qcow2_fix_copied(struct qcow2 *q)
{
	uint64_t ents = 1ULL << q->l2_bits;
	int ret = 0;

	for (uint32_t i = 0; i < q->l1_size && !ret; i++) {
		uint64_t l2 = q->l1[i] & QC_OFFSET_MASK, rc, *tbl;
		bool dirty = false;

		if (!l2)
			continue;
		ret = qcow2_get_refcount(q, l2 >> q->cluster_bits, &rc);
		if (ret < 0)
			break;
		if (((q->l1[i] & QC_COPIED) != 0) != (rc == 1)) {
			q->l1[i] = l2 | (rc == 1 ? QC_COPIED : 0);
			q->l1_dirty = true;
		}
		ret = qcow2_cache_get(q->l2c, l2, (void **)&tbl);
		if (ret < 0)
			break;
		for (uint64_t j = 0; j < ents && !ret; j++) {
			uint64_t e = qbe64(&tbl[j]), ne = e & ~QC_COPIED;
			enum qc_type t = qcow2_entry_type(q, e);

			if (t == QC_NORMAL || t == QC_ZERO_ALLOC) {
				ret = qcow2_get_refcount(
					q,
					(e & QC_OFFSET_MASK) >> q->cluster_bits,
					&rc);
				if (rc == 1)
					ne |= QC_COPIED;
			}
			if (ne != e) {
				qput64(&tbl[j], ne);
				dirty = true;
			}
		}
		if (dirty)
			qcow2_cache_dirty(q->l2c, tbl);
		qcow2_cache_put(q->l2c, tbl);
	}
	return ret;
}

/* Clear the COPIED flags of the active L1 and L2 tables (in the caches). */
static int clear_copied(struct qcow2 *q)
{
	uint64_t ents = 1ULL << q->l2_bits;

	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2 = q->l1[i] & QC_OFFSET_MASK, *tbl;
		bool dirty = false;
		int ret;

		if (!l2)
			continue;
		if (q->l1[i] & QC_COPIED) {
			q->l1[i] = l2;
			q->l1_dirty = true;
		}
		ret = qcow2_cache_get(q->l2c, l2, (void **)&tbl);
		if (ret < 0)
			return ret;
		for (uint64_t j = 0; j < ents; j++) {
			uint64_t e = qbe64(&tbl[j]);

			if ((e & QC_COPIED) && !(e & QC_COMPRESSED)) {
				qput64(&tbl[j], e & ~QC_COPIED);
				dirty = true;
			}
		}
		if (dirty)
			qcow2_cache_dirty(q->l2c, tbl);
		qcow2_cache_put(q->l2c, tbl);
	}
	return 0;
}

static int write_l1_copy(struct qcow2 *q, const uint64_t *l1, uint32_t n,
			 int64_t *out)
{
	uint64_t bytes = ALIGN_UP(n * 8ULL, q->cs);
	uint64_t *t;
	int64_t off;

	if (!n) {
		*out = 0;
		return 0;
	}
	off = qcow2_alloc_clusters(q, bytes >> q->cluster_bits);
	if (off < 0)
		return (int)off;
	t = calloc(1, bytes);
	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		qput64(&t[i], l1[i] & ~QC_COPIED);
	if (blk_io_pwrite(q->fd, t, bytes, off) < 0) {
		free(t);
		return -errno;
	}
	free(t);
	*out = off;
	return 0;
}

int qcow2_snapshot_create(struct qcow2 *q, const char *name)
{
	struct qcow2_snapshot *s, *ns;
	uint64_t id = 0;
	struct timespec ts;
	int64_t l1off = 0;
	char buf[24];
	int ret;

	if (qcow2_snapshot_find(q, name) >= 0)
		return blk_error(EEXIST, "snapshot '%s' already exists in '%s'",
				 name, q->b->filename);
	if (strlen(name) > 1000 || q->nr_snaps >= QCOW2_MAX_SNAPSHOTS)
		return blk_error(
			EINVAL, "snapshot name too long or too many snapshots");
	/*
	 * Order for power cuts: the active tables lose their COPIED flags
	 * (synced), then the refcounts of everything the snapshot will share
	 * go up (synced), and only then do the snapshot table and header
	 * publish the snapshot.  A cut on the way leaves flags clear on
	 * clusters with refcount 1 (they are copied before a write) or leaked
	 * refcounts; never an active entry marked COPIED on a cluster whose
	 * refcount says it is shared (a write in place would change the
	 * snapshot).
	 */
	ret = qcow2_flush_meta(q);
	if (!ret)
		ret = clear_copied(q);
	if (!ret)
		ret = qcow2_flush_meta(q);
	if (!ret)
		ret = qcow2_walk_l1(q, q->l1, q->l1_size, 1);
	if (!ret)
		ret = write_l1_copy(q, q->l1, q->l1_size, &l1off);
	if (!ret)
		ret = qcow2_flush_meta(q);
	if (ret < 0) {
		/* e.g. refcounts too narrow: the flags go back as they were */
		if (!qcow2_fix_copied(q))
			qcow2_flush_meta(q);
		return ret;
	}
	for (uint32_t i = 0; i < q->nr_snaps; i++)
		id = MAX(id, strtoull(q->snaps[i].id, NULL, 10));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id + 1);
	ns = realloc(q->snaps, (q->nr_snaps + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	q->snaps = ns;
	s = &ns[q->nr_snaps];
	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_REALTIME, &ts);
	s->l1_offset = l1off;
	s->l1_size = q->l1_size;
	s->id = strdup(buf);
	s->name = strdup(name);
	s->date_sec = ts.tv_sec;
	s->date_nsec = ts.tv_nsec;
	s->disk_size = q->size;
	s->icount = UINT64_MAX;
	s->extra_len = 24;
	s->extra = calloc(1, 24);
	ret = -ENOMEM;
	if (s->id && s->name && s->extra) {
		qput64(s->extra + 16, UINT64_MAX);
		ret = write_snapshots(q, q->nr_snaps + 1, -1);
	}
	if (ret < 0) { /* not in the table: the refcounts just leak */
		free(s->id);
		free(s->name);
		free(s->extra);
		return ret;
	}
	return qcow2_flush_meta(q);
}

static int read_l1(struct qcow2 *q, struct qcow2_snapshot *s, uint64_t **out)
{
	uint64_t *t = calloc(s->l1_size + 1, 8);

	if (!t)
		return -ENOMEM;
	if (s->l1_size && pread_full(q->fd, t, s->l1_size * 8ULL,
				     s->l1_offset) != s->l1_size * 8LL) {
		free(t);
		return -EIO;
	}
	for (uint32_t i = 0; i < s->l1_size; i++)
		t[i] = qbe64(&t[i]);
	*out = t;
	return 0;
}

int qcow2_snapshot_apply(struct qcow2 *q, const char *name)
{
	int i = qcow2_snapshot_find(q, name);
	uint64_t *sl1 = NULL, *old = NULL;
	struct qcow2_snapshot *s;
	uint32_t oldn = q->l1_size;
	int ret;

	if (i < 0)
		return blk_error(ENOENT, "no snapshot '%s' in '%s'", name,
				 q->b->filename);
	s = &q->snaps[i];
	ret = qcow2_flush_meta(q);
	if (!ret && s->l1_size > q->l1_size)
		ret = qcow2_grow_l1(q, s->l1_size);
	if (!ret)
		ret = read_l1(q, s, &sl1);
	if (!ret)
		ret = qcow2_walk_l1(q, sl1, s->l1_size, 1);
	if (!ret)
		ret = qcow2_flush_meta(q);
	if (ret < 0)
		goto out;
	old = malloc(oldn * 8ULL + 8);
	if (!old) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(old, q->l1, oldn * 8ULL);
	memset(q->l1, 0, q->l1_size * 8ULL);
	memcpy(q->l1, sl1, s->l1_size * 8ULL);
	q->l1_dirty = true;
	qcow2_cache_drop_all(q->l2c);
	ret = qcow2_flush_meta(q);
	if (!ret && s->disk_size != q->size) {
		q->size = s->disk_size;
		q->b->size = s->disk_size;
		ret = qcow2_write_header(q);
	}
	if (!ret)
		ret = qcow2_walk_l1(q, old, oldn, -1);
	if (!ret)
		ret = qcow2_fix_copied(q);
	if (!ret)
		ret = qcow2_flush_meta(q);
out:
	free(sl1);
	free(old);
	return ret;
}

int qcow2_snapshot_delete(struct qcow2 *q, const char *name)
{
	int i = qcow2_snapshot_find(q, name);
	struct qcow2_snapshot s;
	uint64_t *sl1;
	int ret;

	if (i < 0)
		return blk_error(ENOENT, "no snapshot '%s' in '%s'", name,
				 q->b->filename);
	s = q->snaps[i];
	ret = read_l1(q, &s, &sl1);
	if (ret < 0)
		return ret;
	ret = qcow2_flush_meta(q);
	if (!ret)
		ret = write_snapshots(q, q->nr_snaps, i);
	if (ret < 0) { /* still in the table, and in q->snaps */
		free(sl1);
		return ret;
	}
	ret = qcow2_walk_l1(q, sl1, s.l1_size, -1);
	if (!ret && s.l1_size)
		ret = qcow2_update_refcount(q, s.l1_offset, s.l1_size * 8ULL,
					    -1);
	if (!ret)
		ret = qcow2_fix_copied(q);
	if (!ret)
		ret = qcow2_flush_meta(q);
	free(sl1);
	free(s.id);
	free(s.name);
	free(s.extra);
	return ret;
}
