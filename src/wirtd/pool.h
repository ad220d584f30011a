/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wirtd's storage pools and volumes: definitions in ETC/storage/NAME.xml
 * (autostart links in ETC/storage/autostart/), the active ones marked in
 * RUN/storage/NAME (a reboot clears them; autostart pools start again when
 * wirtd starts). One lock, pool_lock, serializes every pool and volume
 * operation.
 */
#ifndef WIRT_WIRTD_POOL_H
#define WIRT_WIRTD_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/domain.h"
#include "domain/pool.h"

struct json_object;
struct cmd_ctx;

struct poolrec {
	struct pool_def def;
	bool active, autostart;
	struct poolrec *next;
};

extern pthread_mutex_t pool_lock;

/* ---- pool.c ---- */
/* pools_init - load the pool definitions (defining, building and starting
 * the pool 'default' in LIB/images on the first start), start the
 * autostart ones. Returns 0 or -errno with err set. */
int pools_init(char *err, size_t errlen);
/* pool_find - the pool named (or with UUID) key, or NULL; pool_lock held. */
struct poolrec *pool_find(const char *key);
struct poolrec *pool_first(void);
/* pool_get - as pool_find, with virsh's error in c when absent. */
struct poolrec *pool_get(const char *key, struct cmd_ctx *c);
/* pool_define - add or replace (same name, same UUID) a definition and
 * store it. Returns the pool, or NULL with c's error set. */
struct poolrec *pool_define(const struct pool_def *d, struct cmd_ctx *c);
int pool_undefine(struct poolrec *p, struct cmd_ctx *c);
int pool_build(struct poolrec *p, struct cmd_ctx *c);
int pool_start(struct poolrec *p, struct cmd_ctx *c);
int pool_stop(struct poolrec *p, struct cmd_ctx *c);
int pool_set_autostart(struct poolrec *p, bool on, struct cmd_ctx *c);
/* pool_sizes - capacity, allocation and available of an active pool. */
int pool_sizes(const struct poolrec *p, struct pool_sizes *s);

/* ---- vol.c: volumes of a pool ---- */
struct volinfo {
	char name[256];
	char path[PATH_MAX];
	char format[16]; /* raw, qcow2 */
	const char *type; /* "file" (dir pools) or "block" (logical) */
	char backing[PATH_MAX]; /* "" when none */
	char backing_fmt[16];
	uint64_t capacity, allocation, physical;
};
/* vol_path - the path of volume name in pool p into buf (name checked:
 * a plain file name). Returns 0 or -EINVAL with c's error set. */
int vol_path(const struct poolrec *p, const char *name, char *buf, size_t len,
	     struct cmd_ctx *c);
/* vol_list - the volumes of active pool p, in name order, as a json
 * array of objects (name, path, type, capacity, allocation). */
struct json_object *vol_list(const struct poolrec *p);
/* vol_exists - path is a volume of p: a regular file (dir pools) or a
 * block device (logical pools). */
bool vol_exists(const struct poolrec *p, const char *path);

/* ---- pool-lvm.c: logical pools (lvm2 tools) ---- */
/* lvm_build - vgcreate the pool's volume group on its source devices. */
int lvm_build(struct poolrec *p, struct cmd_ctx *c);
/* lvm_activate - vgchange -ay (on) or -an. */
int lvm_activate(struct poolrec *p, bool on, struct cmd_ctx *c);
/* lvm_sizes - the group's size and free space. Returns 0 or -EIO. */
int lvm_sizes(const struct poolrec *p, struct pool_sizes *s);
/* lvm_vol_list - the group's logical volumes (type block, raw). */
struct json_object *lvm_vol_list(const struct poolrec *p);
/* lvm_vol_create, lvm_vol_delete, lvm_vol_resize - lvcreate, lvremove,
 * lvresize of the volume name. Return 0 or -errno with c's error. */
int lvm_vol_create(struct poolrec *p, const char *name, uint64_t size,
		   struct cmd_ctx *c);
int lvm_vol_delete(struct poolrec *p, const char *name, struct cmd_ctx *c);
/* lvm_lv_remove - lvremove VG/NAME. Returns 0 or -EIO with err. */
int lvm_lv_remove(const char *vg, const char *name, char *err, size_t errlen);
/* A logical volume: its group, name and size in bytes. */
struct lvm_lv {
	char vg[128], name[128];
	uint64_t size;
};
/* lvm_lv_of - the logical volume whose device node is path into *lv.
 * Returns 0, or -ENOENT with err (not a logical volume, or lvs failed). */
int lvm_lv_of(const char *path, struct lvm_lv *lv, char *err, size_t errlen);
/* lvm_snapshot - a snapshot LV named snap of lv in its group, with cow
 * bytes for the changes made to lv while it exists. 0 or -EIO with err. */
int lvm_snapshot(const struct lvm_lv *lv, const char *snap, uint64_t cow,
		 char *err, size_t errlen);
int lvm_vol_resize(struct poolrec *p, const char *name, uint64_t size,
		   struct cmd_ctx *c);

/* ---- pool-disk.c: <disk type='volume'> ---- */
struct pool_disks {
	struct dom_def def; /* the definition, volume disks made files */
	char paths[DOMAIN_DISKS_MAX][PATH_MAX];
};
/*
 * pool_resolve_disks - when def has volume disks, *out gets a copy of
 * def in which each is its volume's file, with the volume's format unless
 * <driver type> gives one (free it); else *out is NULL. Returns 0, or
 * -ENOENT with err naming the disk, pool and volume (missing pool or
 * volume, inactive pool).
 */
int pool_resolve_disks(const struct dom_def *def, struct pool_disks **out,
		       char *err, size_t errlen);

/* pool_remove_volume - undefine --remove-all-storage of volume disk k:
 * the volume's file (or LV) removed, its path into path. Returns 0, or
 * -ENOENT when the pool is not active or has no such volume, -errno. */
int pool_remove_volume(const struct dom_disk *k, char *path, size_t len);

/* ---- vol-blk.c: the block library's part (images) ---- */
struct blk;
/* How volblk_copy_data writes: */
enum {
	VOLBLK_SKIP_ZERO = 1, /* no zero chunks (out reads them as zero) */
	VOLBLK_COMPRESS = 2, /* qcow2 out: 64 KiB clusters compressed */
};
/* volblk_copy_data - in's contents into out (same size), then out flushed
 * (flags: VOLBLK_*). Returns 0 or -errno. */
int volblk_copy_data(struct blk *in, struct blk *out, unsigned int flags);
/* volblk_info - format (fmt, or probed when NULL), sizes, backing file of
 * the image at path. */
int volblk_info(const char *path, const char *fmt, struct volinfo *v, char *err,
		size_t errlen);
/* volblk_create - a new image (format fmt, size bytes, backing file and
 * its format when not NULL). Returns 0 or -errno with err set. */
int volblk_create(const char *path, const char *fmt, uint64_t size,
		  const char *backing, const char *backing_fmt, char *err,
		  size_t errlen);
/* volblk_resize - change the virtual size (shrinking only with shrink). */
int volblk_resize(const char *path, uint64_t size, bool shrink, char *err,
		  size_t errlen);
/* volblk_copy - a full copy of src (its backing chain flattened) into a
 * new image dst of src's format and size. */
int volblk_copy(const char *src, const char *dst, char *err, size_t errlen);
/* volblk_copy_into - src's contents into the existing raw dst (a block
 * device of at least src's size). */
int volblk_copy_into(const char *src, const char *dst, char *err,
		     size_t errlen);
/* volblk_wipe - (fmt as volblk_info's) every byte of the volume's contents reads as zero: a raw
 * file is overwritten with zeroes, a qcow2 image is created anew empty. */
int volblk_wipe(const char *path, const char *fmt, char *err, size_t errlen);

#endif
