// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: internal snapshots of an open qcow2 disk (savevm/loadvm's
 * disk part, src/vmm/disk/disk-snap.c) on real files: create, replace,
 * revert, delete, list, and what raw and read-only disks do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "block/blk.h"
#include "vmm/disk/disk-snap.h"
#include "vmm/disk/disk.h"

#define KB 1024

static char dir[64];
static char path[128];
static char err[DISK_ERR_LEN];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/var/tmp/wirt-snap-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct disk *open_disk(const char *spec)
{
	struct disk_opts o;
	struct disk *d = NULL;

	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&d, &o, 8, err, sizeof(err)), 0);
	disk_opts_free(&o);
	return d;
}

/* Fill the first 64 KiB with byte v through the block library. */
static void fill(struct disk *d, uint8_t v)
{
	uint8_t buf[64 * KB];

	memset(buf, v, sizeof(buf));
	assert_int_equal(blk_pwrite(d->blk, 0, buf, sizeof(buf)), 0);
}

/* Whether the first 64 KiB are all v. */
static bool holds(struct disk *d, uint8_t v)
{
	uint8_t buf[64 * KB];
	size_t i;

	assert_int_equal(blk_pread(d->blk, 0, buf, sizeof(buf)), 0);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != v)
			return false;
	return true;
}

static void test_qcow2(void **state)
{
	struct blk_create_opts co = { .size = 4 * 1024 * KB };
	struct disk_snap_info l[4];
	char spec[160], why[256];
	struct disk *d;

	snprintf(path, sizeof(path), "%s/d.qcow2", dir);
	assert_int_equal(blk_create(path, "qcow2", &co), 0);
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", path);
	d = open_disk(spec);
	assert_null(disk_snapshot_unsupported(d));
	assert_false(disk_snapshot_has(d, "s1"));

	fill(d, 0xaa);
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	fill(d, 0xbb);
	assert_int_equal(disk_snapshot_create(d, "s2", why, sizeof(why)), 0);
	fill(d, 0xcc);
	assert_true(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_list(d, l, 4), 2);
	assert_string_equal(l[0].name, "s1");
	assert_string_equal(l[1].name, "s2");

	/* revert: the data of each snapshot, whatever came after */
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(holds(d, 0xaa));
	fill(d, 0xdd);
	assert_int_equal(disk_snapshot_apply(d, "s2", why, sizeof(why)), 0);
	assert_true(holds(d, 0xbb));

	/* a name taken again replaces the old snapshot, as savevm does */
	fill(d, 0xee);
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	assert_int_equal(disk_snapshot_list(d, l, 4), 2);
	fill(d, 0x11);
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(holds(d, 0xee));

	/* missing names: apply fails naming the image, delete is a no-op */
	assert_int_not_equal(disk_snapshot_apply(d, "nope", why, sizeof(why)),
			     0);
	assert_non_null(strstr(why, path));
	assert_int_equal(disk_snapshot_delete(d, "nope", why, sizeof(why)), 0);
	assert_int_equal(disk_snapshot_delete(d, "s1", why, sizeof(why)), 0);
	assert_false(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_list(d, l, 4), 1);
	assert_true(holds(d, 0xee)); /* deleting keeps the current data */
	disk_close(d);

	/* the table is on disk: a new open sees s2 and its data */
	d = open_disk(spec);
	assert_true(disk_snapshot_has(d, "s2"));
	assert_int_equal(disk_snapshot_apply(d, "s2", why, sizeof(why)), 0);
	assert_true(holds(d, 0xbb));
	disk_close(d);
}

static void test_raw_and_readonly(void **state)
{
	struct disk_snap_info l[1];
	char spec[160], why[256];
	struct disk *d;
	const char *u;
	FILE *f;

	snprintf(path, sizeof(path), "%s/r.img", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 1024 * KB), 0);
	fclose(f);
	snprintf(spec, sizeof(spec), "path=%s,format=raw", path);
	d = open_disk(spec);
	u = disk_snapshot_unsupported(d);
	assert_non_null(u);
	assert_non_null(strstr(u, "qcow2"));
	assert_false(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_list(d, l, 1), -ENOENT);
	disk_close(d);
	/* read-only: it cannot change, so it takes part in nothing */
	snprintf(spec, sizeof(spec), "path=%s,format=raw,readonly=on", path);
	d = open_disk(spec);
	assert_null(disk_snapshot_unsupported(d));
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	assert_false(disk_snapshot_has(d, "s1"));
	disk_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qcow2),
		cmocka_unit_test(test_raw_and_readonly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
