// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the JSON of query-block and query-blockstats for real disks
 * (a raw file and a qcow2 overlay on a qcow2 base, opened as wirt-vmm
 * opens them): every field QEMU 7.2 gives for a `-drive if=virtio` disk,
 * values taken from the images and the disk's counters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "vmm/control/block-cmd.h"
#include "vmm/vm-disks.h"
#include "vmm/disk/disk.h"
#include "vmm/disk/stats.h"
#include "../../lib/unit-tmpdir.h"

#define MB (1024 * 1024)

static char dir[64];

static const char *tpath(const char *name)
{
	static char p[4][128];
	static unsigned int k;
	char *s = p[k++ % 4];

	snprintf(s, 128, "%s/%s", dir, name);
	return s;
}

static struct disk *open_disk(const char *spec)
{
	char err[DISK_ERR_LEN];
	struct disk_opts o;
	struct disk *d;

	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&d, &o, 8, err, sizeof(err)), 0);
	disk_opts_free(&o);
	return d;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[128], *save, *k;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(v, k, &v))
			fail_msg("no field %s (of %s)", k, path);
	return v;
}

static int64_t geti(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static const char *gets(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static bool getb(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

/* The object's keys, sorted, joined with spaces. */
static char *keys(struct json_object *o)
{
	static char out[2048];
	const char *k[64];
	unsigned int n = 0, i, j;

	json_object_object_foreach(o, key, val)
	{
		(void)val;
		assert_true(n < 64);
		k[n++] = key;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(k[j - 1], k[j]) > 0; j--) {
			const char *t = k[j];

			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	out[0] = 0;
	for (i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, k[i]);
	}
	return out;
}

/* QEMU 7.2's field names (query-block / query-blockstats, sorted). */
#define QEMU_BLOCKINFO "device inserted io-status locked qdev removable type"
#define QEMU_INSERTED                                                   \
	"backing_file_depth bps bps_rd bps_wr cache detect_zeroes drv " \
	"encrypted file image iops iops_rd iops_wr node-name ro "       \
	"write_threshold"
#define QEMU_RAW_IMAGE "actual-size dirty-flag filename format virtual-size"
#define QEMU_QCOW2_IMAGE                                                      \
	"actual-size backing-filename backing-filename-format backing-image " \
	"cluster-size dirty-flag filename format format-specific "            \
	"full-backing-filename virtual-size"
#define QEMU_STATS                                                           \
	"account_failed account_invalid failed_flush_operations "            \
	"failed_rd_operations failed_unmap_operations failed_wr_operations " \
	"flush_operations flush_total_time_ns invalid_flush_operations "     \
	"invalid_rd_operations invalid_unmap_operations "                    \
	"invalid_wr_operations rd_bytes rd_merged rd_operations "            \
	"rd_total_time_ns timed_stats unmap_bytes unmap_merged "             \
	"unmap_operations unmap_total_time_ns wr_bytes wr_highest_offset "   \
	"wr_merged wr_operations wr_total_time_ns"

static void test_raw(void **state)
{
	struct vm_disk e = { .name = "virtio0", .index = 0 };
	struct json_object *o, *s;
	struct stat st;
	uint64_t now;
	int fd;

	fd = open(tpath("r.img"), O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * MB), 0);
	close(fd);
	{
		char spec[160];

		snprintf(spec, sizeof(spec), "path=%s,format=raw,cache=none",
			 tpath("r.img"));
		e.disk = open_disk(spec);
	}
	o = block_info_json(&e);
	assert_string_equal(keys(o), QEMU_BLOCKINFO);
	assert_string_equal(keys(get(o, "inserted")), QEMU_INSERTED);
	assert_string_equal(keys(get(o, "inserted.image")), QEMU_RAW_IMAGE);
	assert_string_equal(gets(o, "device"), "virtio0");
	assert_string_equal(
		gets(o, "qdev"),
		"/machine/peripheral-anon/device[0]/virtio-backend");
	assert_false(getb(o, "removable"));
	assert_string_equal(gets(o, "io-status"), "ok");
	assert_string_equal(gets(o, "inserted.file"), tpath("r.img"));
	assert_string_equal(gets(o, "inserted.node-name"), "virtio0-format");
	assert_string_equal(gets(o, "inserted.drv"), "raw");
	assert_false(getb(o, "inserted.ro"));
	assert_int_equal(geti(o, "inserted.backing_file_depth"), 0);
	assert_true(getb(o, "inserted.cache.writeback"));
	assert_true(getb(o, "inserted.cache.direct"));
	assert_false(getb(o, "inserted.cache.no-flush"));
	assert_int_equal(geti(o, "inserted.image.virtual-size"), 4 * MB);
	stat(tpath("r.img"), &st);
	assert_int_equal(geti(o, "inserted.image.actual-size"),
			 st.st_blocks * 512);
	assert_string_equal(gets(o, "inserted.image.format"), "raw");
	json_object_put(o);

	/* no I/O yet: no idle_time_ns, as in QEMU */
	now = blk_stats_now();
	o = block_stats_json(&e, now, false);
	assert_string_equal(keys(o), "device node-name parent qdev stats");
	assert_string_equal(keys(get(o, "stats")), QEMU_STATS);
	assert_string_equal(keys(get(o, "parent")),
			    "driver-specific node-name stats");
	assert_string_equal(keys(get(o, "parent.stats")), QEMU_STATS);
	assert_string_equal(gets(o, "parent.driver-specific.driver"), "file");
	json_object_put(o);

	blk_stats_account(&e.disk->stats, BLK_ACCT_READ, 8192, 8192, now - 500,
			  now - 100, BLK_ACCT_OK);
	blk_stats_account(&e.disk->stats, BLK_ACCT_WRITE, 4096, 1 * MB,
			  now - 90, now - 50, BLK_ACCT_OK);
	blk_stats_account(&e.disk->stats, BLK_ACCT_WRITE, 512, 1, now, now,
			  BLK_ACCT_INVALID);
	blk_stats_account(&e.disk->stats, BLK_ACCT_UNMAP, 65536, 2 * MB,
			  now - 40, now - 10, BLK_ACCT_OK);
	blk_stats_account(&e.disk->stats, BLK_ACCT_FLUSH, 0, 0, now - 40,
			  now - 10, BLK_ACCT_FAILED);
	o = block_stats_json(&e, now + 1000, false);
	s = get(o, "stats");
	assert_int_equal(geti(s, "rd_bytes"), 8192);
	assert_int_equal(geti(s, "rd_operations"), 1);
	assert_int_equal(geti(s, "rd_total_time_ns"), 400);
	assert_int_equal(geti(s, "wr_bytes"), 4096);
	assert_int_equal(geti(s, "wr_operations"), 1);
	assert_int_equal(geti(s, "wr_total_time_ns"), 40);
	assert_int_equal(geti(s, "invalid_wr_operations"), 1);
	assert_int_equal(geti(s, "failed_flush_operations"), 1);
	assert_int_equal(geti(s, "flush_operations"), 0);
	assert_int_equal(geti(s, "unmap_bytes"), 65536);
	assert_int_equal(geti(s, "wr_highest_offset"), 1 * MB);
	assert_int_equal(geti(s, "idle_time_ns"), 1000);
	assert_true(getb(s, "account_invalid"));
	assert_int_equal(json_object_array_length(get(s, "timed_stats")), 0);
	/* the file layer: the same I/O, without the refused request */
	assert_int_equal(geti(o, "parent.stats.wr_bytes"), 4096);
	assert_int_equal(geti(o, "parent.stats.invalid_wr_operations"), 0);
	assert_false(getb(o, "parent.stats.account_invalid"));
	assert_int_equal(geti(o, "parent.driver-specific.discard-nb-ok"), 1);
	assert_int_equal(geti(o, "parent.driver-specific.discard-bytes-ok"),
			 65536);
	assert_string_equal(gets(o, "parent.node-name"), "virtio0-storage");
	json_object_put(o);

	/* query-nodes: no device, no qdev */
	o = block_stats_json(&e, now, true);
	assert_string_equal(keys(o), "node-name parent stats");
	json_object_put(o);
	disk_close(e.disk);
}

static void test_qcow2_chain(void **state)
{
	struct blk_create_opts co = { .size = 8 * MB };
	struct vm_disk e = { .name = "data", .named = true, .index = 1 };
	struct json_object *o, *img;
	char spec[160];

	assert_int_equal(blk_create(tpath("base.qcow2"), BLK_FMT_QCOW2, &co),
			 0);
	co.backing_file = "base.qcow2"; /* relative: next to the overlay */
	co.backing_fmt = "qcow2";
	co.lazy_refcounts = true;
	assert_int_equal(blk_create(tpath("ov.qcow2"), BLK_FMT_QCOW2, &co), 0);
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2,readonly=on,id=data",
		 tpath("ov.qcow2"));
	e.disk = open_disk(spec);

	o = block_info_json(&e);
	assert_string_equal(keys(o), QEMU_BLOCKINFO);
	/* QEMU adds backing_file with a backing chain */
	assert_string_equal(keys(get(o, "inserted")),
			    "backing_file " QEMU_INSERTED);
	assert_string_equal(gets(o, "qdev"),
			    "/machine/peripheral/data/virtio-backend");
	assert_string_equal(gets(o, "device"), "data");
	assert_string_equal(gets(o, "inserted.drv"), "qcow2");
	assert_true(getb(o, "inserted.ro"));
	assert_false(getb(o, "inserted.cache.direct"));
	assert_string_equal(gets(o, "inserted.backing_file"), "base.qcow2");
	assert_int_equal(geti(o, "inserted.backing_file_depth"), 1);
	img = get(o, "inserted.image");
	assert_string_equal(keys(img), QEMU_QCOW2_IMAGE);
	assert_int_equal(geti(img, "virtual-size"), 8 * MB);
	assert_int_equal(geti(img, "cluster-size"), 65536);
	assert_string_equal(gets(img, "format"), "qcow2");
	assert_string_equal(gets(img, "backing-filename"), "base.qcow2");
	assert_string_equal(gets(img, "full-backing-filename"),
			    tpath("base.qcow2"));
	assert_string_equal(gets(img, "backing-filename-format"), "qcow2");
	assert_string_equal(keys(get(img, "format-specific.data")),
			    "compat compression-type corrupt extended-l2 "
			    "lazy-refcounts refcount-bits");
	assert_string_equal(gets(img, "format-specific.type"), "qcow2");
	assert_string_equal(gets(img, "format-specific.data.compat"), "1.1");
	assert_true(getb(img, "format-specific.data.lazy-refcounts"));
	assert_int_equal(geti(img, "format-specific.data.refcount-bits"), 16);
	assert_false(getb(img, "dirty-flag"));
	/* the base, nested, without a backing file of its own */
	img = get(img, "backing-image");
	assert_string_equal(gets(img, "filename"), tpath("base.qcow2"));
	assert_string_equal(keys(img),
			    "actual-size cluster-size dirty-flag filename "
			    "format format-specific virtual-size");
	assert_false(getb(img, "format-specific.data.lazy-refcounts"));
	json_object_put(o);

	/* qcow2: no file-layer "parent" (its I/O is not counted apart) */
	o = block_stats_json(&e, blk_stats_now(), false);
	assert_string_equal(keys(o), "device node-name qdev stats");
	assert_string_equal(gets(o, "node-name"), "data-format");
	json_object_put(o);
	disk_close(e.disk);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/var/tmp/wirt-blockcmd-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

/* query-block's dirty-bitmaps: QEMU 7.2's BlockDirtyInfo fields. */
static void test_dirty_bitmaps(void **state)
{
	struct vm_disk e = { .name = "virtio0", .index = 0 };
	char spec[160], err[DISK_ERR_LEN];
	struct json_object *o, *b;

	snprintf(spec, sizeof(spec), "path=%s,format=raw", tpath("r.img"));
	e.disk = open_disk(spec);
	o = block_info_json(&e);
	/* none: left out */
	assert_false(json_object_object_get_ex(get(o, "inserted"),
					       "dirty-bitmaps", NULL));
	json_object_put(o);
	assert_int_equal(disk_bitmap_add(e.disk, "b", 8192, false, true, err,
					 sizeof(err)),
			 0);
	o = block_info_json(&e);
	assert_string_equal(keys(get(o, "inserted")),
			    "backing_file_depth bps bps_rd bps_wr cache "
			    "detect_zeroes dirty-bitmaps drv encrypted file "
			    "image iops iops_rd iops_wr node-name ro "
			    "write_threshold");
	b = json_object_array_get_idx(get(o, "inserted.dirty-bitmaps"), 0);
	assert_string_equal(keys(b),
			    "busy count granularity name persistent recording");
	assert_string_equal(gets(b, "name"), "b");
	assert_int_equal(geti(b, "granularity"), 8192);
	assert_int_equal(geti(b, "count"), 0);
	assert_false(getb(b, "recording"));
	assert_false(getb(b, "persistent"));
	assert_false(getb(b, "busy"));
	json_object_put(o);
	disk_close(e.disk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_qcow2_chain),
		cmocka_unit_test(test_dirty_bitmaps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
