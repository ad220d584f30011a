// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blk_snapshot_path (src/block/blk-snap.c): internal snapshots of a qcow2
 * image by path, as wirtd takes them for a shut-off domain: create, find,
 * revert (data written after the snapshot undone), delete, and the
 * refusals (a name taken, no such snapshot, a raw image, no file).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "block/blk-snap.h"
#include "block/blk.h"

static char dir[] = "/tmp/wirt-blksnap-XXXXXX";
static char img[64], raw[64];

/* fill - len bytes of byte v at off in the image at path. */
static void fill(const char *path, uint64_t off, int v, size_t len)
{
	struct blk *b;
	char *buf = malloc(len);

	assert_non_null(buf);
	memset(buf, v, len);
	assert_int_equal(blk_open(&b, path, BLK_FMT_QCOW2, BLK_O_RDWR), 0);
	assert_int_equal(blk_pwrite(b, off, buf, len), 0);
	assert_int_equal(blk_close(b), 0);
	free(buf);
}

/* holds - the image at path has byte v at [off, off + len). */
static bool holds(const char *path, uint64_t off, int v, size_t len)
{
	struct blk *b;
	char *buf = malloc(len);
	size_t i;
	bool ok = true;

	assert_non_null(buf);
	assert_int_equal(blk_open(&b, path, BLK_FMT_QCOW2, 0), 0);
	assert_int_equal(blk_pread(b, off, buf, len), 0);
	blk_close(b);
	for (i = 0; i < len; i++)
		ok &= buf[i] == (char)v;
	free(buf);
	return ok;
}

static int setup(void **state)
{
	struct blk_create_opts o = { .size = 4 << 20 };

	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/d.qcow2", dir);
	snprintf(raw, sizeof(raw), "%s/d.raw", dir);
	assert_int_equal(blk_create(img, BLK_FMT_QCOW2, &o), 0);
	assert_int_equal(blk_create(raw, BLK_FMT_RAW, &o), 0);
	return 0;
}

static int teardown(void **state)
{
	unlink(img);
	unlink(raw);
	rmdir(dir);
	return 0;
}

static void test_cycle(void **state)
{
	char err[512];

	fill(img, 65536, 0x11, 65536);
	assert_int_equal(
		blk_snapshot_path(img, BLK_SNAP_CREATE, "s1", err, sizeof(err)),
		0);
	assert_int_equal(
		blk_snapshot_path(img, BLK_SNAP_FIND, "s1", err, sizeof(err)),
		0);
	fill(img, 65536, 0x22, 65536);
	fill(img, 1 << 20, 0x33, 4096);
	assert_int_equal(
		blk_snapshot_path(img, BLK_SNAP_CREATE, "s1", err, sizeof(err)),
		-EEXIST);
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(
		blk_snapshot_path(img, BLK_SNAP_APPLY, "s1", err, sizeof(err)),
		0);
	assert_true(holds(img, 65536, 0x11, 65536));
	assert_true(holds(img, 1 << 20, 0, 4096));
	assert_int_equal(
		blk_snapshot_path(img, BLK_SNAP_DELETE, "s1", err, sizeof(err)),
		0);
	assert_int_equal(
		blk_snapshot_path(img, BLK_SNAP_FIND, "s1", err, sizeof(err)),
		-ENOENT);
	assert_true(holds(img, 65536, 0x11, 65536)); /* the data stays */
}

static void test_refusals(void **state)
{
	char err[512], nofile[80];

	assert_int_equal(blk_snapshot_path(img, BLK_SNAP_APPLY, "nope", err,
					   sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "'nope' does not exist"));
	assert_int_equal(blk_snapshot_path(img, BLK_SNAP_DELETE, "nope", err,
					   sizeof(err)),
			 -ENOENT);
	assert_int_equal(
		blk_snapshot_path(raw, BLK_SNAP_CREATE, "s", err, sizeof(err)),
		-ENOTSUP);
	assert_non_null(strstr(err, "is raw: only qcow2"));
	snprintf(nofile, sizeof(nofile), "%s/missing.qcow2", dir);
	assert_true(blk_snapshot_path(nofile, BLK_SNAP_FIND, "s", err,
				      sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot open disk image"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
