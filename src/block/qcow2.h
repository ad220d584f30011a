/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 driver internals, shared by the driver's files (and tests and fuzz
 * targets of the driver); everything else uses blk.h.  All functions that
 * take a struct qcow2 expect q->lock held unless they say otherwise.
 */
#ifndef WIRT_BLOCK_QCOW2_H
#define WIRT_BLOCK_QCOW2_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/blk-driver.h"

#define QCOW2_MAGIC 0x514649fbU
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32ULL << 20)
#define QCOW2_MAX_RCT_BYTES (8ULL << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023

#define QC_INCOMPAT_DIRTY (1ULL << 0)
#define QC_INCOMPAT_CORRUPT (1ULL << 1)
#define QC_INCOMPAT_DATA_FILE (1ULL << 2)
#define QC_INCOMPAT_COMPRESSION (1ULL << 3)
#define QC_INCOMPAT_EXTL2 (1ULL << 4)
#define QC_INCOMPAT_KNOWN \
	(QC_INCOMPAT_DIRTY | QC_INCOMPAT_CORRUPT | QC_INCOMPAT_COMPRESSION)
#define QC_COMPAT_LAZY (1ULL << 0)
#define QC_AUTOCLEAR_BITMAPS (1ULL << 0) /* bitmaps extension consistent */
#define QC_AUTOCLEAR_KNOWN QC_AUTOCLEAR_BITMAPS

#define QC_EXT_END 0
#define QC_EXT_BACKING_FMT 0xe2792acaU
#define QC_EXT_FEATURES 0x6803f857U
#define QC_EXT_BITMAPS 0x23852875U

#define QC_OFFSET_MASK 0x00fffffffffffe00ULL
#define QC_COPIED (1ULL << 63)
#define QC_COMPRESSED (1ULL << 62)
#define QC_ZERO 1ULL
#define QC_REFT_MASK 0xfffffffffffffe00ULL

/* What a guest cluster is. */
enum qc_type { QC_UNALLOC, QC_ZERO_PLAIN, QC_ZERO_ALLOC, QC_NORMAL, QC_COMP };

struct qcow2_ext {
	uint32_t type, len;
	uint8_t *data;
};

struct qcow2_snapshot {
	uint64_t l1_offset;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size;
	uint64_t icount; /* UINT64_MAX when absent */
	uint32_t extra_len; /* bytes of extra data, incl. unknown */
	uint8_t *extra; /* raw extra data as read (unknown parts kept) */
};

/* One bitmap directory entry (qcow2 spec, "Bitmap directory"). */
struct qcow2_bitmap {
	char *name;
	uint64_t table_offset;
	uint32_t table_size; /* entries */
	uint32_t flags; /* QC_BM_* */
	uint8_t type;
	uint8_t gran_bits;
	uint32_t extra_len;
	uint8_t *extra; /* kept as read */
};

#define QC_BM_IN_USE (1U << 0)
#define QC_BM_AUTO (1U << 1)
#define QC_BM_EXTRA_COMPAT (1U << 2)
#define QC_BM_KNOWN (QC_BM_IN_USE | QC_BM_AUTO | QC_BM_EXTRA_COMPAT)
#define QC_BM_MAX 65535
#define QC_BM_MAX_NAME 1023
#define QC_BM_MAX_DIR (64ULL << 20)
#define QC_BM_MAX_TABLE 0x8000000U /* entries */
#define QC_BME_OFFSET_MASK 0x00fffffffffffe00ULL
#define QC_BME_RESERVED 0xff000000000001feULL

struct qcow2_cache;

struct qc_free {
	uint64_t off, len;
	uint64_t epoch; /* q->epoch when the free was queued */
};

struct qcow2 {
	struct blk *b;
	int fd;
	pthread_mutex_t lock;
	bool rw;

	/* header */
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cs; /* cluster size */
	uint32_t l2_bits; /* log2 entries per L2 table */
	uint64_t size;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
	char *backing_file, *backing_fmt;
	struct qcow2_ext *exts; /* unknown + feature table, kept as read */
	unsigned nr_exts;

	/* L1 table, kept whole in memory */
	uint64_t *l1;
	uint32_t l1_size;
	uint64_t l1_offset;
	bool l1_dirty;
	bool rct_dirty;

	/* refcount table, whole in memory */
	uint64_t *rct;
	uint64_t rct_entries;
	uint64_t rct_offset;
	uint32_t rct_clusters;
	uint32_t rb_bits; /* log2 refcount entries per block */

	/* persistent bitmaps (qcow2-bitmap.c) */
	struct qcow2_bitmap *bms;
	uint32_t nr_bms;
	uint64_t bmdir_offset, bmdir_size;
	bool bmext_seen; /* the extension was in the header */
	uint8_t bmext[24]; /* its data as read */
	bool bm_guard; /* auto bitmaps not marked in use: mark them at a write */
	struct qc_bm_track *trk; /* bitmaps the library tracks */
	uint32_t nr_trk;
	bool bm_tracking; /* nr_trk > 0: writes mark them */

	/* snapshots */
	struct qcow2_snapshot *snaps;
	uint32_t nr_snaps;
	uint64_t snaps_offset;
	uint64_t snaps_size; /* bytes of the table on disk */

	struct qcow2_cache *l2c, *rcc;

	uint64_t host_end; /* bytes: nothing is allocated at or past this */
	uint64_t free_hint; /* lowest cluster index that may be free */
	uint64_t comp_off; /* next free byte for compressed data, or 0 */
	struct qc_free *frees; /* frees waiting for the L2 writes */
	unsigned nr_frees, max_frees;
	/*
	 * Writes to owned clusters run unlocked; a cluster freed meanwhile
	 * must not be reused before they end.  Each such write counts itself
	 * in inflight[epoch & 1]; frees wait for their epoch to drain.
	 */
	uint64_t epoch;
	unsigned inflight[2]; /* atomic */

	/* metadata overlap set (qcow2-overlap.c), rebuilt when stale */
	struct qc_ovset *ov;
	bool ov_stale;
	bool ov_confirmed; /* a hit was confirmed by a rebuild */

	/*
	 * Opened for check (BLK_O_CHECK): what was tolerated so that check
	 * can report and repair it.
	 */
	bool check_mode;
	bool l1_outside, rct_outside; /* table runs past the end of the file */
	uint64_t *bad_rb; /* invalid refcount blocks: index, offset pairs */
	uint64_t nr_bad_rb;
	bool corrupt_said; /* the corrupt line was printed */
};

/* The driver state of an open qcow2 image (struct qcow2). */
void *blk_opaque(struct blk *b);
/* blk_lock_qcow2 - b's qcow2 state, locked, or NULL (-ENOTSUP set). */
struct qcow2 *blk_lock_qcow2(struct blk *b, const char *what);
/* blk_unlock_qcow2 - release what blk_lock_qcow2 took. */
void blk_unlock_qcow2(struct qcow2 *q);

static inline uint64_t qc_idx(struct qcow2 *q, uint64_t off)
{
	return off >> q->cluster_bits;
}

/* qcow2-header.c */
/* qcow2_read_header - parse and validate the header into q; 0/-errno. */
int qcow2_read_header(struct qcow2 *q);
/* qcow2_write_header - write q's header fields back (no sync); 0/-errno. */
int qcow2_write_header(struct qcow2 *q);
/* qcow2_create_file - write an empty qcow2 file at @path; 0/-errno. */
int qcow2_create_file(const char *path, const struct blk_create_opts *o);
/* qcow2_free_header - free the header's strings and extensions. */
void qcow2_free_header(struct qcow2 *q);
/* qcow2_mark_corrupt - report a corruption, mark the image; returns -EIO. */
int qcow2_mark_corrupt(struct qcow2 *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* qcow2-cache.c: tables of one cluster, write-back, LRU, pinned by get */
/* qcow2_cache_new - a cache of @n L2 (or refcount) tables, or NULL. */
struct qcow2_cache *qcow2_cache_new(struct qcow2 *q, unsigned n, bool is_l2);
/* qcow2_cache_free - free the cache (unwritten changes are lost). */
void qcow2_cache_free(struct qcow2_cache *c);
/* qcow2_cache_get - pin the table at @off in *tbl (read on a miss). */
int qcow2_cache_get(struct qcow2_cache *c, uint64_t off, void **tbl);
/* qcow2_cache_get_empty - pin a zeroed table for new cluster @off. */
int qcow2_cache_get_empty(struct qcow2_cache *c, uint64_t off, void **tbl);
/* qcow2_cache_put - unpin a table that get returned. */
void qcow2_cache_put(struct qcow2_cache *c, void *tbl);
/* qcow2_cache_dirty - mark a pinned table changed (written back later). */
void qcow2_cache_dirty(struct qcow2_cache *c, void *tbl);
/* qcow2_cache_write - write every dirty table (no sync); 0/-errno. */
int qcow2_cache_write(struct qcow2_cache *c);
/* qcow2_cache_has_dirty - whether any table waits to be written. */
bool qcow2_cache_has_dirty(struct qcow2_cache *c);
/* qcow2_cache_drop - forget the table at @off (its cluster was freed). */
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off);
/* qcow2_cache_drop_all - forget every table (after the L1 changed). */
void qcow2_cache_drop_all(struct qcow2_cache *c);

/* qcow2-refcount.c */
/* qcow2_load_rct - read and validate the refcount table; 0/-errno. */
int qcow2_load_rct(struct qcow2 *q);
/* qcow2_get_refcount - refcount of cluster @idx in *rc; 0/-errno. */
int qcow2_get_refcount(struct qcow2 *q, uint64_t idx, uint64_t *rc);
/* qcow2_set_refcount - set cluster @idx's refcount (cached); 0/-errno. */
int qcow2_set_refcount(struct qcow2 *q, uint64_t idx, uint64_t rc);
/* qcow2_update_refcount - add @addend to the clusters of [off, +len). */
int qcow2_update_refcount(struct qcow2 *q, uint64_t off, uint64_t len,
			  int addend);
/* qcow2_alloc_clusters - @n contiguous free clusters: host offset/-errno. */
int64_t qcow2_alloc_clusters(struct qcow2 *q, uint64_t n);
/* qcow2_alloc_bytes - @len bytes for compressed data: offset/-errno. */
int64_t qcow2_alloc_bytes(struct qcow2 *q, uint64_t len);
/* qcow2_free_later - drop [off, +len)'s reference at the next flush. */
int qcow2_free_later(struct qcow2 *q, uint64_t off, uint64_t len);
/* qcow2_flush_meta - write all metadata in a crash-safe order; 0/-errno. */
int qcow2_flush_meta(struct qcow2 *q);
/* qcow2_sync_refcounts - refcount blocks and table to disk, synced. */
int qcow2_sync_refcounts(struct qcow2 *q);
/* qcow2_rc_get - entry @i of refcount block @blk, at q's width. */
uint64_t qcow2_rc_get(struct qcow2 *q, const void *blk, uint64_t i);
/* qcow2_rc_set - set entry @i of refcount block @blk to @v. */
void qcow2_rc_set(struct qcow2 *q, void *blk, uint64_t i, uint64_t v);

/* qcow2-overlap.c: kinds of metadata, for qcow2_overlap's @ign */
#define QC_OV_HEADER (1U << 0)
#define QC_OV_L1 (1U << 1)
#define QC_OV_RCT (1U << 2)
#define QC_OV_REFBLOCK (1U << 3)
#define QC_OV_L2 (1U << 4)
#define QC_OV_SNAPTBL (1U << 5)
#define QC_OV_SNAPL1 (1U << 6)
#define QC_OV_BITMAPDIR (1U << 7)
#define QC_OV_BITMAPTBL (1U << 8)
/* qcow2_meta_changed - metadata moved: rebuild the overlap set on use. */
void qcow2_meta_changed(struct qcow2 *q);
/* qcow2_overlap_free - free the overlap set. */
void qcow2_overlap_free(struct qcow2 *q);
/* qcow2_ov_name - the name of metadata kind QC_OV_* @kind, for messages. */
const char *qcow2_ov_name(unsigned kind);
/* qcow2_overlap - QC_OV_* kinds but @ign in [off, +len), 0, or -errno. */
int qcow2_overlap(struct qcow2 *q, unsigned ign, uint64_t off, uint64_t len);
/* qcow2_check_write - 0, or -EIO (image marked corrupt) on metadata. */
int qcow2_check_write(struct qcow2 *q, unsigned ign, uint64_t off, uint64_t len,
		      const char *what);

/* qcow2-cluster.c */
/* qcow2_entry_type - what L2 entry @e maps its guest cluster to. */
enum qc_type qcow2_entry_type(struct qcow2 *q, uint64_t e);
/* qcow2_comp_range - host bytes of compressed entry @e in *off, *len. */
void qcow2_comp_range(struct qcow2 *q, uint64_t e, uint64_t *off,
		      uint64_t *len);
/* qcow2_check_l2_offset - 0 when L1 entry @l1i's L2 pointer is valid. */
int qcow2_check_l2_offset(struct qcow2 *q, uint64_t l2off, unsigned l1i);
/* qcow2_get_entry - L2 entry of @gofs and its same-mapping run. */
int qcow2_get_entry(struct qcow2 *q, uint64_t gofs, uint64_t maxlen,
		    uint64_t *entry, uint64_t *run);
/* qcow2_get_l2_rw - pin @gofs's L2 table, allocated or copied to own. */
int qcow2_get_l2_rw(struct qcow2 *q, uint64_t gofs, uint64_t **tbl);
/* qcow2_free_entry - queue the free of what L2 entry @e refers to. */
int qcow2_free_entry(struct qcow2 *q, uint64_t e);
/* qcow2_grow_l1 - move the L1 table to one of @min_size entries. */
int qcow2_grow_l1(struct qcow2 *q, uint32_t min_size);
/* qcow2_read_part - guest bytes [in, +len) of cluster @gofs (entry @e). */
int qcow2_read_part(struct qcow2 *q, uint64_t gofs, uint64_t e, uint8_t *buf,
		    uint64_t in, uint64_t len);
/* qcow2_read_cluster - the whole guest cluster @gofs (entry @e). */
int qcow2_read_cluster(struct qcow2 *q, uint64_t gofs, uint64_t e,
		       uint8_t *buf);

/* qcow2.c */
/* qcow2_write_l1 - write the L1 table in place (no sync); 0/-errno. */
int qcow2_write_l1(struct qcow2 *q);
/* qcow2_make_empty - unmap every guest cluster, flushed; 0/-errno. */
int qcow2_make_empty(struct qcow2 *q);

/* qcow2-snapshot.c */
/* qcow2_read_snapshots - read and validate the snapshot table. */
int qcow2_read_snapshots(struct qcow2 *q);
/* qcow2_free_snapshots - free the in-memory snapshot table. */
void qcow2_free_snapshots(struct qcow2 *q);
/* qcow2_snapshot_create - snapshot the active state as @name; 0/-errno. */
int qcow2_snapshot_create(struct qcow2 *q, const char *name);
/* qcow2_snapshot_apply - make snapshot @name the active state. */
int qcow2_snapshot_apply(struct qcow2 *q, const char *name);
/* qcow2_snapshot_delete - remove snapshot @name, freeing its clusters. */
int qcow2_snapshot_delete(struct qcow2 *q, const char *name);
/* qcow2_snapshot_find - index of snapshot @name (or id), or -ENOENT. */
int qcow2_snapshot_find(struct qcow2 *q, const char *name);

/* qcow2-bitmap.c: the bitmap directory */
/* qcow2_read_bitmaps - parse and validate the bitmaps extension. */
int qcow2_read_bitmaps(struct qcow2 *q);
/* qcow2_free_bitmaps - free the in-memory bitmap directory. */
void qcow2_free_bitmaps(struct qcow2 *q);
/* qcow2_bitmap_find - index of bitmap @name, or -ENOENT. */
int qcow2_bitmap_find(struct qcow2 *q, const char *name);
/* qcow2_bitmaps_ext - the extension's 24 bytes into @p (nr_bms > 0). */
void qcow2_bitmaps_ext(struct qcow2 *q, uint8_t *p);
/*
 * qcow2_write_bitmaps - make @bms[0..@n) the bitmap directory: written to
 * new clusters, then the header switched, then the old directory freed.
 * On success q owns @bms (the old array is freed); on failure the caller
 * keeps it.  0/-errno.
 */
int qcow2_write_bitmaps(struct qcow2 *q, struct qcow2_bitmap *bms, uint32_t n);
/* qcow2_bitmap_table_need - table entries a bitmap at @gran_bits needs. */
uint64_t qcow2_bitmap_table_need(struct qcow2 *q, unsigned gran_bits);
/* qcow2_bitmap_read_table - read and check bitmap @i's table (host order). */
int qcow2_bitmap_read_table(struct qcow2 *q, uint32_t i, uint64_t **out);
/* qcow2_bitmap_write_new - @len bytes to new clusters, synced: *off. */
int qcow2_bitmap_write_new(struct qcow2 *q, const void *p, uint64_t len,
			   uint64_t *off);

/* qcow2-bitmap-data.c: bitmap contents */
struct bitmap;
/* qcow2_bitmap_load - bitmap @i's contents in *out (a new struct bitmap). */
int qcow2_bitmap_load(struct qcow2 *q, uint32_t i, struct bitmap **out);
/*
 * qcow2_bitmap_store - make @bm bitmap @i's contents (NULL: all clear),
 * with flags (old & ~@clr) | @set: new data and table first, then the
 * directory switched, then the old clusters freed.
 */
int qcow2_bitmap_store(struct qcow2 *q, uint32_t i, const struct bitmap *bm,
		       uint32_t set, uint32_t clr);
/* qcow2_bitmap_add - a new empty bitmap @name; flags QC_BM_*. */
int qcow2_bitmap_add(struct qcow2 *q, const char *name, unsigned gran_bits,
		     uint32_t flags);
/* qcow2_bitmap_remove - drop bitmap @i and free its clusters. */
int qcow2_bitmap_remove(struct qcow2 *q, uint32_t i);
/* qcow2_bitmap_set_flags - bitmap @i's flags to (old & ~@clr) | @set. */
int qcow2_bitmap_set_flags(struct qcow2 *q, uint32_t i, uint32_t set,
			   uint32_t clr);
/* qcow2_bitmap_array_free - free @n directory entries and the array. */
void qcow2_bitmap_array_free(struct qcow2_bitmap *b, uint32_t n);
/*
 * qcow2_bitmap_copy_dir - a deep copy of the directory with room for one
 * more entry (zeroed), or NULL.
 */
struct qcow2_bitmap *qcow2_bitmap_copy_dir(struct qcow2 *q);
/* qcow2_bitmap_update_guard - recompute q->bm_guard. */
void qcow2_bitmap_update_guard(struct qcow2 *q);

/* qcow2-bitmap-track.c: bitmaps the library keeps up to date */
struct qc_bm_track;
/*
 * qcow2_bitmap_untracked_write - before the first write to guest data
 * (under q->lock): load every enabled consistent bitmap to track it and
 * mark every enabled one in use on disk.  0/-errno.
 */
int qcow2_bitmap_untracked_write(struct qcow2 *q);
/*
 * qcow2_bitmap_whole_write - before every guest byte may change (snapshot
 * revert, emptying the layer), under q->lock: as at a write, then mark
 * the whole disk in the tracked bitmaps.  0/-errno.
 */
int qcow2_bitmap_whole_write(struct qcow2 *q);
/* qcow2_bitmap_track_write - mark [off, +len) in the tracked bitmaps. */
void qcow2_bitmap_track_write(struct qcow2 *q, uint64_t off, uint64_t len);
/*
 * qcow2_bitmap_track_flush - stop tracking bitmap @name (if tracked),
 * first storing it clean when @store.  0/-errno.
 */
int qcow2_bitmap_track_flush(struct qcow2 *q, const char *name, bool store);
/* qcow2_bitmap_track_copy - a copy of tracked bitmap @name, or -ENOENT. */
int qcow2_bitmap_track_copy(struct qcow2 *q, const char *name,
			    struct bitmap **out);
/* qcow2_bitmap_track_stop - store every tracked bitmap clean (at close). */
int qcow2_bitmap_track_stop(struct qcow2 *q);

/* qcow2-amend.c */
/* qcow2_set_backing - store backing @file/@fmt (NULL/"": none); 0/-errno. */
int qcow2_set_backing(struct qcow2 *q, const char *file, const char *fmt);
/* qcow2_amend - change version and lazy refcounts as blk_amend does. */
int qcow2_amend(struct qcow2 *q, const struct blk_amend_opts *o);

/* qcow2-check.c */
/*
 * qcow2_check - count every reference, compare with the refcounts and
 * repair what @repair allows; fills *r, passes findings to @log (may be
 * NULL).  Returns 0 or -errno when the check itself could not run.
 */
int qcow2_check(struct qcow2 *q, enum blk_repair repair,
		struct blk_check_result *r, void (*log)(const char *msg));

/* compress.c */
/* qc_compress - compress @in into @out: the length, or -ENOSPC. */
int qc_compress(enum blk_compression type, const void *in, size_t inlen,
		void *out, size_t outlen);
/* qc_decompress - decompress into exactly @outlen bytes; 0 or -EIO. */
int qc_decompress(enum blk_compression type, const void *in, size_t inlen,
		  void *out, size_t outlen);

/* big-endian helpers */
static inline uint64_t qbe64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static inline uint32_t qbe32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static inline uint16_t qbe16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void qput64(void *p, uint64_t v)
{
	uint8_t *b = p;

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = v & 0xff;
}

static inline void qput32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static inline void qput16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = v >> 8;
	b[1] = v;
}

#endif
