// SPDX-License-Identifier: GPL-2.0-or-later
/* QMP query-block and query-blockstats: the VM's disks as QEMU shows them. */
#include "vmm/control/block-cmd.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "block/info.h"
#include "vmm/control/bitmap-cmd.h"
#include "vmm/vm-disks.h"
#include "vmm/disk/stats.h"
#include "vmm/vm.h"

#define MAX_CHAIN 64 /* backing images shown, like the block layer's limit */

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void put_int(struct json_object *o, const char *k, uint64_t v)
{
	/* json-c has no unsigned 64-bit ints: byte counts stay below 2^63 */
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void put_bool(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

/* The bitmaps stored in image @b, as qemu-img info lists them. */
static struct json_object *image_bitmaps(struct blk *b)
{
	static const char *const flag[] = { "in-use", "auto" };
	struct blk_bitmap_info *l;
	int n = blk_bitmap_list(b, &l);
	struct json_object *a = n > 0 ? json_object_new_array() : NULL;

	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		struct json_object *f = json_object_new_array();

		for (unsigned int k = 0; k < 2; k++)
			if (l[i].flags & (1U << k))
				json_object_array_add(
					f, json_object_new_string(flag[k]));
		json_object_object_add(o, "flags", f);
		put_str(o, "name", l[i].name);
		put_int(o, "granularity", l[i].granularity);
		json_object_array_add(a, o);
	}
	blk_bitmap_list_free(l, n < 0 ? 0 : n);
	return a;
}

/* The qcow2 "format-specific" object, as qemu-img info shows it. */
static struct json_object *qcow2_specific(struct blk *b,
					  const struct blk_info *i)
{
	struct json_object *fs = json_object_new_object();
	struct json_object *d = json_object_new_object();
	struct json_object *bm = image_bitmaps(b);

	put_str(d, "compat", i->compat);
	put_str(d, "compression-type", i->compression_type);
	if (i->v3)
		put_bool(d, "lazy-refcounts", i->lazy_refcounts);
	if (bm)
		json_object_object_add(d, "bitmaps", bm);
	put_int(d, "refcount-bits", i->refcount_bits);
	if (i->v3) {
		put_bool(d, "corrupt", i->corrupt);
		put_bool(d, "extended-l2", false);
	}
	put_str(fs, "type", "qcow2");
	json_object_object_add(fs, "data", d);
	return fs;
}

/* ImageInfo of b and (as "backing-image") its backing chain. */
static struct json_object *image_json(struct blk *b, unsigned int depth)
{
	struct json_object *o = json_object_new_object();
	struct blk_info i;

	blk_get_info(b, &i);
	put_int(o, "virtual-size", i.virtual_size);
	put_str(o, "filename", i.filename);
	if (i.qcow2)
		put_int(o, "cluster-size", i.cluster_size);
	put_str(o, "format", blk_format_name(i.format));
	put_int(o, "actual-size", i.actual_size);
	if (i.qcow2)
		json_object_object_add(o, "format-specific",
				       qcow2_specific(b, &i));
	put_bool(o, "dirty-flag", i.dirty);
	if (i.backing_file) {
		if (i.backing_fmt)
			put_str(o, "backing-filename-format", i.backing_fmt);
		put_str(o, "full-backing-filename",
			i.full_backing ? i.full_backing : i.backing_file);
		put_str(o, "backing-filename", i.backing_file);
	}
	if (blk_backing(b) && depth < MAX_CHAIN)
		json_object_object_add(o, "backing-image",
				       image_json(blk_backing(b), depth + 1));
	blk_info_free(&i);
	return o;
}

/* ImageInfo of a raw disk (files and block devices, served by io_uring). */
static struct json_object *raw_image_json(const struct disk *k)
{
	struct json_object *o = json_object_new_object();

	put_int(o, "virtual-size", k->size);
	put_str(o, "filename", k->opts.path);
	put_str(o, "format", "raw");
	put_int(o, "actual-size", blk_file_allocated(k->fd));
	put_bool(o, "dirty-flag", false);
	return o;
}

/* "/machine/peripheral.../virtio-backend" of e into buf. */
static const char *qdev_path(const struct vm_disk *e, char *buf, size_t len)
{
	if (e->named)
		snprintf(buf, len, "/machine/peripheral/%s/virtio-backend",
			 e->name);
	else
		snprintf(buf, len,
			 "/machine/peripheral-anon/device[%u]/virtio-backend",
			 e->index);
	return buf;
}

/* node-name of e's format ("format") or file ("storage") layer. */
static const char *node_name(const struct vm_disk *e, const char *layer,
			     char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s", e->name, layer);
	return buf;
}

/* BlockDeviceInfo: the "inserted" medium of e. */
static struct json_object *inserted_json(const struct vm_disk *e)
{
	static const char *const limits[] = { "bps",  "bps_rd",	 "bps_wr",
					      "iops", "iops_rd", "iops_wr" };
	const struct disk *k = e->disk;
	struct json_object *o = json_object_new_object(), *bm;
	struct json_object *c = json_object_new_object();
	unsigned int i, depth = 0;
	char node[64];
	struct blk *l;

	put_str(o, "file", disk_file(k));
	put_str(o, "node-name", node_name(e, "format", node, sizeof(node)));
	put_bool(o, "ro", k->readonly);
	put_str(o, "drv", blk_format_name(k->format));
	if (k->blk) {
		struct blk_info bi;

		blk_get_info(k->blk, &bi);
		if (bi.backing_file)
			put_str(o, "backing_file", bi.backing_file);
		blk_info_free(&bi);
		for (l = blk_backing(k->blk); l; l = blk_backing(l))
			depth++;
	}
	put_int(o, "backing_file_depth", depth);
	put_bool(o, "encrypted", false);
	put_str(o, "detect_zeroes", "off");
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		put_int(o, limits[i], 0);
	json_object_object_add(
		o, "image", k->blk ? image_json(k->blk, 0) : raw_image_json(k));
	/* FLUSH is offered, so the guest sees a write-back cache */
	put_bool(c, "writeback", true);
	put_bool(c, "direct", k->direct);
	put_bool(c, "no-flush", false);
	json_object_object_add(o, "cache", c);
	put_int(o, "write_threshold", 0);
	bm = bitmap_list_json(e->disk);
	if (bm)
		json_object_object_add(o, "dirty-bitmaps", bm);
	return o;
}

struct json_object *block_info_json(const struct vm_disk *e)
{
	struct json_object *o = json_object_new_object();
	char qdev[128];

	put_str(o, "device", e->name);
	put_str(o, "qdev", qdev_path(e, qdev, sizeof(qdev)));
	put_bool(o, "locked", false);
	put_bool(o, "removable", false);
	put_str(o, "io-status", "ok");
	put_str(o, "type", "unknown");
	json_object_object_add(o, "inserted", inserted_json(e));
	return o;
}

/*
 * BlockDeviceStats from v. The file layer (file) has no invalid requests
 * (they never reach it) and QEMU's account flags off there.
 */
static struct json_object *stats_json(const struct blk_stats_snap *v, bool file)
{
	static const char *const name[BLK_ACCT_NR] = { "rd", "wr", "flush",
						       "unmap" };
	struct json_object *o = json_object_new_object();
	unsigned int i;
	char k[64];

	for (i = 0; i < BLK_ACCT_NR; i++) {
		if (i != BLK_ACCT_FLUSH) {
			snprintf(k, sizeof(k), "%s_bytes", name[i]);
			put_int(o, k, v->bytes[i]);
		}
		snprintf(k, sizeof(k), "%s_operations", name[i]);
		put_int(o, k, v->ops[i]);
		snprintf(k, sizeof(k), "%s_total_time_ns", name[i]);
		put_int(o, k, v->total_ns[i]);
		if (i != BLK_ACCT_FLUSH) {
			snprintf(k, sizeof(k), "%s_merged", name[i]);
			put_int(o, k, 0);
		}
		snprintf(k, sizeof(k), "failed_%s_operations", name[i]);
		put_int(o, k, v->failed[i]);
		snprintf(k, sizeof(k), "invalid_%s_operations", name[i]);
		put_int(o, k, file ? 0 : v->invalid[i]);
	}
	put_int(o, "wr_highest_offset", v->wr_highest);
	if (v->has_idle)
		put_int(o, "idle_time_ns", v->idle_ns);
	put_bool(o, "account_invalid", !file);
	put_bool(o, "account_failed", !file);
	json_object_object_add(o, "timed_stats", json_object_new_array());
	return o;
}

/*
 * The file layer under a raw disk: the same requests reach the file (or
 * block device) one to one, minus the invalid ones.
 */
static struct json_object *raw_parent_json(const struct vm_disk *e,
					   const struct blk_stats_snap *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ds = json_object_new_object();
	char node[64];

	put_str(o, "node-name", node_name(e, "storage", node, sizeof(node)));
	json_object_object_add(o, "stats", stats_json(v, true));
	put_str(ds, "driver", e->disk->is_blkdev ? "host_device" : "file");
	put_int(ds, "discard-nb-ok", v->ops[BLK_ACCT_UNMAP]);
	put_int(ds, "discard-nb-failed", v->failed[BLK_ACCT_UNMAP]);
	put_int(ds, "discard-bytes-ok", v->bytes[BLK_ACCT_UNMAP]);
	json_object_object_add(o, "driver-specific", ds);
	return o;
}

struct json_object *block_stats_json(const struct vm_disk *e, uint64_t now_ns,
				     bool nodes)
{
	struct json_object *o = json_object_new_object();
	struct blk_stats_snap v;
	char buf[128];

	blk_stats_read(&e->disk->stats, now_ns, &v);
	if (!nodes) {
		put_str(o, "device", e->name);
		put_str(o, "qdev", qdev_path(e, buf, sizeof(buf)));
	}
	put_str(o, "node-name", node_name(e, "format", buf, sizeof(buf)));
	json_object_object_add(o, "stats", stats_json(&v, false));
	if (!e->disk->blk)
		json_object_object_add(o, "parent", raw_parent_json(e, &v));
	return o;
}

int cmd_query_block(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < vm_disks_count(vm); i++)
		json_object_array_add(a, block_info_json(vm_disk_get(vm, i)));
	*ret = a;
	return 0;
}

int cmd_query_blockstats(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	struct json_object *a = json_object_new_array(), *qn;
	bool nodes = json_object_object_get_ex(args, "query-nodes", &qn) &&
		     json_object_get_boolean(qn);
	uint64_t now = blk_stats_now();
	unsigned int i;

	for (i = 0; i < vm_disks_count(vm); i++)
		json_object_array_add(
			a, block_stats_json(vm_disk_get(vm, i), now, nodes));
	*ret = a;
	return 0;
}
