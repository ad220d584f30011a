/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block library: disk images (raw, qcow2) behind one small API, shared by
 * wirt-img and wirt-vmm's virtio-blk.  Every call is safe from several
 * threads at once.  Functions return 0 (or a count) on success and -errno on
 * failure; a one-line reason for the last failure in this thread is kept in
 * blk_last_error().
 */
#ifndef WIRT_BLOCK_BLK_H
#define WIRT_BLOCK_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct blk;

/* Image formats. */
enum blk_format {
	BLK_FMT_PROBE, /* blk_open: guess from the first bytes */
	BLK_FMT_RAW,
	BLK_FMT_QCOW2,
};

/* blk_format_name - "raw" or "qcow2" (NULL for BLK_FMT_PROBE). */
const char *blk_format_name(enum blk_format fmt);
/*
 * blk_format_parse - the format named @name ("raw", "qcow2") in *out.
 * Returns 0, or -EINVAL for any other name.
 */
int blk_format_parse(const char *name, enum blk_format *out);

/* blk_open flags */
#define BLK_O_RDWR 0x1 /* open for writing (default: read-only) */
#define BLK_O_NO_BACKING 0x2 /* do not open the backing chain */
#define BLK_O_NO_REPAIR 0x4 /* do not repair a dirty qcow2 image on open */
#define BLK_O_NO_PROBE_WARN 0x8 /* stay quiet when the format is probed */
#define BLK_O_UNSAFE 0x10 /* cache=unsafe: flushes write metadata, never sync */
/* qcow2: open for check: tables past the end of the file read as zeroes */
#define BLK_O_CHECK 0x20

/* blk_block_status result bits */
#define BLK_ST_DATA 0x1 /* reads come from data stored at *map */
#define BLK_ST_ZERO 0x2 /* reads return zeroes */
#define BLK_ST_ALLOCATED 0x4 /* this layer decides (not the backing file) */
#define BLK_ST_OFFSET 0x8 /* *map holds a host offset in this image's file */
#define BLK_ST_COMPRESSED 0x10 /* data is stored compressed */

/* blk_pwrite_zeroes flags */
#define BLK_Z_MAY_UNMAP 0x1

struct blk_driver;

/* Compression of qcow2 clusters (the header's compression type byte). */
enum blk_compression {
	BLK_COMPRESS_ZLIB = 0,
	BLK_COMPRESS_ZSTD = 1,
};

/* Options for blk_create(); zero means "default" for every field. */
struct blk_create_opts {
	uint64_t size; /* virtual size in bytes */
	uint32_t cluster_size; /* qcow2: 512 .. 2 MiB, power of two */
	int compat; /* qcow2: 2 (0.10) or 3 (1.1, default) */
	bool lazy_refcounts;
	const char *prealloc; /* "off", "metadata", "falloc", "full" */
	const char *backing_file; /* stored as given */
	const char *backing_fmt;
	enum blk_compression compression_type;
};

/*
 * blk_open - open image @path as @fmt, or BLK_FMT_PROBE to guess the
 * format (with a warning on stderr unless BLK_O_NO_PROBE_WARN, as writes to
 * a probed raw image are unsafe).  Stores the handle in *out.
 */
int blk_open(struct blk **out, const char *path, enum blk_format fmt,
	     unsigned flags);

/*
 * blk_open_fd - like blk_open, on the image already open as @fd (named
 * @path, for messages and relative backing files).  The library works on
 * its own duplicate of @fd (the same open file, so the same OFD locks and
 * status flags: no O_DIRECT for qcow2); the caller keeps @fd.
 */
int blk_open_fd(struct blk **out, int fd, const char *path, enum blk_format fmt,
		unsigned flags);

/* blk_close - flush and free; returns the flush result. */
int blk_close(struct blk *b);

/* Virtual size in bytes. */
uint64_t blk_getlength(struct blk *b);

/* Byte-granular I/O; out-of-range requests fail with -EINVAL. */
int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len);
int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len);
int blk_pwrite_zeroes(struct blk *b, uint64_t off, uint64_t len,
		      unsigned flags);
/* Scatter-gather forms: the iovecs cover consecutive bytes from @off. */
int blk_preadv(struct blk *b, uint64_t off, const struct iovec *iov,
	       unsigned niov);
int blk_pwritev(struct blk *b, uint64_t off, const struct iovec *iov,
		unsigned niov);
int blk_discard(struct blk *b, uint64_t off, uint64_t len);
int blk_flush(struct blk *b);

/*
 * blk_pwrite_compressed - write one whole cluster (@len = cluster size, or
 * less for the last cluster) compressed.  -ENOTSUP for raw.
 */
int blk_pwrite_compressed(struct blk *b, uint64_t off, const void *buf,
			  size_t len);

/* blk_truncate - change the virtual size; shrinking needs @shrink. */
int blk_truncate(struct blk *b, uint64_t size, bool shrink);

/*
 * blk_block_status - describe [off, off+len) of this layer only.  Returns
 * BLK_ST_* bits (>= 0) valid for *pnum bytes (> 0), with the host offset
 * in *map when BLK_ST_OFFSET is set, or -errno.
 */
int blk_block_status(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum,
		     uint64_t *map);

/* Accessors. */
enum blk_format blk_get_format(struct blk *b);
const char *blk_filename(struct blk *b);
struct blk *blk_backing(struct blk *b);
uint32_t blk_cluster_size(struct blk *b); /* 0 for raw */
int blk_fd(struct blk *b); /* the image file's descriptor */

/*
 * blk_create - create a new image file @path (truncating it) of @fmt
 * (BLK_FMT_PROBE means raw).
 */
int blk_create(const char *path, enum blk_format fmt,
	       const struct blk_create_opts *o);

/*
 * blk_probe_buf - the format whose header starts the @len bytes at @buf:
 * BLK_FMT_QCOW2 for the qcow2 magic, else BLK_FMT_RAW.
 */
enum blk_format blk_probe_buf(const void *buf, size_t len);

/*
 * blk_probe_fd - the format of the image open as @fd (which may be
 * O_DIRECT) in *out.  Returns 0 or -errno when its first bytes cannot be
 * read.
 */
int blk_probe_fd(int fd, enum blk_format *out);

/*
 * blk_datasync - fdatasync() of image b's file, or nothing when b was
 * opened BLK_O_UNSAFE. Returns 0, or -1 with errno set.
 */
int blk_datasync(struct blk *b);
/*
 * File I/O hook.  Every write, flush, truncate and fallocate the library
 * does on an image file, and every name it or wirt-vmm's disk records
 * create, rename or remove, goes through these operations: the real
 * system calls by default.  A test may install its own (to record or fail
 * them) before opening images; NULL members, or a NULL table, mean the
 * real calls.  pwrite writes all of @len bytes and returns @len or
 * -errno; open returns a descriptor or -errno; the others 0 or -errno.
 * fsync of a directory's descriptor makes the names in it durable.
 */
struct blk_io_ops {
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
	int (*ftruncate)(int fd, off_t len);
	int (*fallocate)(int fd, int mode, off_t off, off_t len);
	int (*open)(const char *path, int flags, mode_t mode);
	int (*fsync)(int fd);
	int (*rename)(const char *from, const char *to);
	int (*unlink)(const char *path);
	int (*mkdir)(const char *path, mode_t mode);
};
void blk_set_io_ops(const struct blk_io_ops *ops);
/* The real system calls, for a hook that passes requests on. */
const struct blk_io_ops *blk_real_io_ops(void);
/*
 * Through the installed operations: blk_io_pwrite returns the byte count
 * and blk_io_open a descriptor, or -errno; the others 0 or -errno; errno
 * is set on failure.
 */
ssize_t blk_io_pwrite(int fd, const void *buf, size_t len, off_t off);
int blk_io_fdatasync(int fd);
int blk_io_ftruncate(int fd, off_t len);
int blk_io_fallocate(int fd, int mode, off_t off, off_t len);
int blk_io_open(const char *path, int flags, mode_t mode);
int blk_io_fsync(int fd);
int blk_io_rename(const char *from, const char *to);
int blk_io_unlink(const char *path);
int blk_io_mkdir(const char *path, mode_t mode);
/* fsync of directory @dir; 0 or -errno. */
int blk_io_sync_dir(const char *dir);

/* Last error message of this thread (never NULL). */
const char *blk_last_error(void);
/* Set it (used by drivers); returns -@err for tail calls. */
int blk_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * blk_resolve_backing - the path of backing file @name of image @path:
 * absolute names unchanged, relative ones against the image's directory.
 * Returns a malloc'ed string or NULL.
 */
char *blk_resolve_backing(const char *path, const char *name);

/*
 * Image operations beyond I/O.  They exist for qcow2 only (a raw image
 * fails them with -ENOTSUP), take the image's lock themselves, and return
 * 0 (or a count) or -errno with blk_last_error() set.
 */

/* One entry of an image's internal snapshot table. */
struct blk_snapshot {
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size; /* the virtual size when it was taken */
	uint64_t icount; /* UINT64_MAX when absent */
};

/* Flags of blk_snapshot_create/apply/delete. */
enum blk_snap_flags {
	BLK_SNAP_REPLACE = 0x1, /* create: drop a snapshot of that name first */
	BLK_SNAP_SAME_SIZE = 0x2, /* apply: -EMEDIUMTYPE if the size differs */
	BLK_SNAP_MISSING_OK = 0x4, /* delete: no such snapshot is success */
};

/*
 * blk_snapshot_list - a malloc'ed copy of b's snapshot table in *out (NULL
 * when empty).  Returns the count; free with blk_snapshot_list_free().
 */
int blk_snapshot_list(struct blk *b, struct blk_snapshot **out);
/* blk_snapshot_list_free - free @n entries that blk_snapshot_list gave. */
void blk_snapshot_list_free(struct blk_snapshot *s, int n);
/* blk_snapshot_has - whether b has a snapshot named (or with id) @name. */
bool blk_snapshot_has(struct blk *b, const char *name);
/* blk_snapshot_create - save the current state as snapshot @name. */
int blk_snapshot_create(struct blk *b, const char *name, unsigned flags);
/* blk_snapshot_apply - revert to snapshot @name (-ENOENT: none such). */
int blk_snapshot_apply(struct blk *b, const char *name, unsigned flags);
/* blk_snapshot_delete - remove snapshot @name (-ENOENT: none such). */
int blk_snapshot_delete(struct blk *b, const char *name, unsigned flags);

/*
 * blk_set_backing - store backing file @file (NULL or "": none) and its
 * format name @fmt (may be NULL) in b's header, durably.  Data is not
 * copied, and b keeps reading through the chain it was opened with.
 */
int blk_set_backing(struct blk *b, const char *file, const char *fmt);

/* What blk_amend changes; -1 (or 0 for compat) keeps the current value. */
struct blk_amend_opts {
	int compat; /* qcow2: 2 (0.10) or 3 (1.1) */
	int lazy_refcounts; /* 0 off, 1 on */
};

/*
 * blk_amend - change b's header options in place: a downgrade to compat
 * 0.10 is refused (-EINVAL, with the reason) while v3-only features or
 * zero clusters remain.
 */
int blk_amend(struct blk *b, const struct blk_amend_opts *o);

/* blk_make_empty - drop every cluster of b's active layer (after commit). */
int blk_make_empty(struct blk *b);

/* What blk_check found (qemu-img check's figures). */
struct blk_check_result {
	uint64_t corruptions, leaks, check_errors;
	uint64_t corruptions_fixed, leaks_fixed;
	uint64_t total_clusters, allocated_clusters, fragmented_clusters;
	uint64_t compressed_clusters;
	uint64_t image_end_offset;
};

/* What blk_check may repair. */
enum blk_repair { BLK_REPAIR_NONE, BLK_REPAIR_LEAKS, BLK_REPAIR_ALL };

/*
 * blk_check - check b's metadata (open it with BLK_O_CHECK, and BLK_O_RDWR
 * to repair), filling *r.  Each finding is passed to @log (may be NULL).
 */
int blk_check(struct blk *b, enum blk_repair repair, struct blk_check_result *r,
	      void (*log)(const char *msg));

/*
 * Persistent dirty bitmaps (qcow2's bitmaps extension, as QEMU stores
 * them).  A bitmap marks which granules of the virtual disk were written
 * while it was enabled ("auto").  A writer that keeps one up to date
 * loads it, marks it in use on disk, and stores it (clearing in use) when
 * it stops; one found in use was not saved (a crash) and is inconsistent:
 * its contents cannot be trusted.  A writer that does not track them
 * itself gets them tracked by the library: at the first write to guest
 * data, every auto bitmap not in use is loaded and marked in use, every
 * write marks it, blk_close stores it clean (one that cannot be loaded
 * stays marked in use: inconsistent rather than wrong).  All
 * return 0 (or a count) or -errno with blk_last_error() set; raw images
 * have no bitmaps (list gives 0, the others -ENOTSUP).
 */
struct bitmap; /* common/bitmap.h */

#define BLK_BM_IN_USE 0x1 /* on disk: in use, or inconsistent */
#define BLK_BM_AUTO 0x2 /* enabled: tracks every write */
#define BLK_BM_EXTRA_COMPAT 0x4

/* One bitmap of an image, as blk_bitmap_list gives it. */
struct blk_bitmap_info {
	char *name;
	uint64_t granularity; /* bytes per bit */
	uint32_t flags; /* BLK_BM_*, as on disk */
	bool usable; /* no unknown extra data */
};

/* blk_bitmap_list - b's bitmaps, malloc'ed, in *out; returns the count. */
int blk_bitmap_list(struct blk *b, struct blk_bitmap_info **out);
/* blk_bitmap_list_free - free @n entries that blk_bitmap_list gave. */
void blk_bitmap_list_free(struct blk_bitmap_info *l, int n);
/*
 * blk_bitmap_add - a new empty bitmap @name (1..1023 bytes, unique) of
 * @granularity bytes (a power of two, 512 B .. 2 GiB; 0: the cluster size,
 * at least 4 KiB), enabled unless @disabled.  qcow2 v3 only.
 */
int blk_bitmap_add(struct blk *b, const char *name, uint64_t granularity,
		   bool disabled);
/* blk_bitmap_remove - drop bitmap @name and free its clusters. */
int blk_bitmap_remove(struct blk *b, const char *name);
/*
 * blk_bitmap_clear - empty bitmap @name on disk; this also makes an
 * inconsistent one consistent again (tracking starts afresh).
 */
int blk_bitmap_clear(struct blk *b, const char *name);
/* blk_bitmap_enable - set (or clear) bitmap @name's auto flag. */
int blk_bitmap_enable(struct blk *b, const char *name, bool enable);
/*
 * blk_bitmap_load - bitmap @name's contents in *out (a new struct bitmap
 * over the virtual size; free with bitmap_free).  -EUCLEAN when it is
 * inconsistent (in use on disk), -ENOENT when there is none such.
 */
int blk_bitmap_load(struct blk *b, const char *name, struct bitmap **out);
/*
 * blk_bitmap_store - write @bm as bitmap @name's contents, with its in-use
 * flag set to @in_use (false: saved clean).  Crash-safe: the new data and
 * table are written before the directory switches to them.
 */
int blk_bitmap_store(struct blk *b, const char *name, const struct bitmap *bm,
		     bool in_use);
/* blk_bitmap_set_in_use - set bitmap @name's in-use flag on disk. */
int blk_bitmap_set_in_use(struct blk *b, const char *name, bool in_use);
/* blk_bitmap_merge - add bitmap @src's marks to bitmap @dst, on disk. */
int blk_bitmap_merge(struct blk *b, const char *dst, const char *src);

#endif
