// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: dirty bitmaps of a disk (src/vmm/disk/disk-bitmap.c) through
 * both engines: writes, write-zeroes and discards mark exactly the
 * granules they touch; persistent bitmaps are in use in the image while
 * the disk is open, stored clean by disk_close and loaded again; one left
 * in use by a killed process comes back inconsistent; the backup call
 * takes and clears the dirty set; errors for bad arguments.
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
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/blk.h"
#include "common/bitmap.h"
#include "vmm/disk/disk-snap.h"
#include "vmm/disk/disk.h"
#include "../../lib/unit-tmpdir.h"

#define MB (1024ULL * 1024)

static char dir[64];
static char err[DISK_ERR_LEN];

/* DIR/@name (static buffer). */
static const char *tpath(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Open --disk @spec. */
static struct disk *open_spec(const char *spec)
{
	struct disk_opts o;
	struct disk *d;
	int r;

	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	r = disk_open(&d, &o, 16, err, sizeof(err));
	disk_opts_free(&o);
	if (r)
		print_error("disk_open: %s\n", err);
	assert_int_equal(r, 0);
	return d;
}

static void on_done(struct disk_io *io, int ret)
{
	io->ret = ret;
	*(int *)io->opaque += 1;
}

/* Run one request @op on [off, off+len) of @d to its end; its result. */
static int io1(struct disk *d, enum disk_op op, uint64_t off, uint64_t len)
{
	static char buf[1 << 20];
	struct iovec v = { buf, len };
	struct disk_io io = { .op = op, .off = off, .len = len };
	struct pollfd pfd = { .fd = disk_event_fd(d), .events = POLLIN };
	int done = 0;

	if (op == DISK_WRITE) {
		io.iov = &v;
		io.niov = 1;
	}
	io.done = on_done;
	io.opaque = &done;
	disk_submit(d, &io);
	disk_kick(d);
	while (!done) {
		poll(&pfd, 1, 1000);
		disk_complete(d);
	}
	return io.ret;
}

/* Bitmap @name of @d as disk_bitmap_list gives it. */
static struct disk_bitmap_info info(struct disk *d, const char *name)
{
	struct disk_bitmap_info *l, r = { 0 };
	int n = disk_bitmap_list(d, &l);

	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, name)) {
			r = l[i];
			r.name = NULL;
		}
	disk_bitmap_list_free(l, n);
	return r;
}

/* The image flags of bitmap @name of qcow2 file @file. */
static uint32_t image_flags(const char *file, const char *name)
{
	struct blk_bitmap_info *l;
	struct blk *b;
	uint32_t f = UINT32_MAX;
	int n;

	assert_int_equal(blk_open(&b, file, BLK_FMT_QCOW2, BLK_O_NO_PROBE_WARN),
			 0);
	n = blk_bitmap_list(b, &l);
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			f = l[i].flags;
	blk_bitmap_list_free(l, n);
	blk_close(b);
	return f;
}

/* Writes of every kind mark exactly their granules; raw and qcow2. */
static void marks(const char *fmt)
{
	char spec[256];
	struct disk *d;
	struct bitmap *bm;

	snprintf(spec, sizeof(spec), "path=%s,format=%s",
		 tpath(!strcmp(fmt, "raw") ? "m.raw" : "m.qcow2"), fmt);
	d = open_spec(spec);
	assert_int_equal(
		disk_bitmap_add(d, "a", 65536, false, false, err, sizeof(err)),
		0);
	assert_int_equal(
		disk_bitmap_add(d, "off", 4096, false, true, err, sizeof(err)),
		0);
	assert_int_equal(io1(d, DISK_WRITE, 0, 4096), 0); /* granule 0 */
	assert_int_equal(io1(d, DISK_WRITE, 65536 - 512, 1024), 0); /* 0, 1 */
	assert_int_equal(io1(d, DISK_WRITE_ZEROES, MB, 3 * 65536), 0);
	assert_int_equal(io1(d, DISK_DISCARD, 4 * MB, 65536), 0);
	assert_int_equal(io1(d, DISK_FLUSH, 0, 0), 0); /* marks nothing */
	assert_int_equal(info(d, "a").count, (2 + 3 + 1) * 65536);
	assert_true(info(d, "a").recording);
	assert_false(info(d, "off").recording);
	assert_int_equal(info(d, "off").count, 0);
	assert_int_equal(
		disk_bitmap_get_dirty(d, "a", true, &bm, err, sizeof(err)), 0);
	assert_int_equal(bitmap_count(bm), 6);
	assert_int_equal(bitmap_next_dirty(bm, 2 * 65536), MB);
	assert_int_equal(bitmap_next_clean(bm, MB), MB + 3 * 65536);
	assert_int_equal(info(d, "a").count, 0); /* taken and cleared */
	assert_int_equal(io1(d, DISK_WRITE, 8 * MB, 1), 0);
	assert_int_equal(info(d, "a").count, 65536);
	/* a failed backup gives its set back */
	assert_int_equal(disk_bitmap_merge_back(d, "a", bm, err, sizeof(err)),
			 0);
	assert_int_equal(info(d, "a").count, 7 * 65536);
	bitmap_free(bm);
	assert_int_equal(disk_bitmap_clear(d, "a", err, sizeof(err)), 0);
	assert_int_equal(info(d, "a").count, 0);
	assert_int_equal(disk_bitmap_remove(d, "a", err, sizeof(err)), 0);
	assert_int_equal(disk_bitmap_remove(d, "a", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "Dirty bitmap 'a' not found");
	disk_close(d);
}

static void test_marks_raw(void **state)
{
	marks("raw");
}

static void test_marks_qcow2(void **state)
{
	marks("qcow2");
}

static void test_errors(void **state)
{
	char spec[256];
	struct disk *d;

	snprintf(spec, sizeof(spec), "path=%s,format=raw", tpath("m.raw"));
	d = open_spec(spec);
	assert_int_equal(
		disk_bitmap_add(d, "p", 0, true, false, err, sizeof(err)),
		-ENOTSUP);
	assert_non_null(strstr(err, "qcow2"));
	assert_int_equal(
		disk_bitmap_add(d, "g", 1000, false, false, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		disk_bitmap_add(d, "", 0, false, false, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		disk_bitmap_add(d, "x", 0, false, false, err, sizeof(err)), 0);
	assert_int_equal(info(d, "x").granularity, 65536);
	assert_int_equal(
		disk_bitmap_add(d, "x", 0, false, false, err, sizeof(err)),
		-EEXIST);
	assert_string_equal(err, "Bitmap already exists: x");
	disk_close(d);
}

/* Persistent: in use while open, clean after close, loaded again. */
static void test_persistent(void **state)
{
	char spec[256];
	struct disk *d;

	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", tpath("p.qcow2"));
	d = open_spec(spec);
	assert_int_equal(
		disk_bitmap_add(d, "keep", 0, true, false, err, sizeof(err)),
		0);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"),
			 BLK_BM_IN_USE | BLK_BM_AUTO);
	assert_int_equal(io1(d, DISK_WRITE, 2 * MB, 128 * 1024), 0);
	disk_close(d);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"), BLK_BM_AUTO);

	d = open_spec(spec);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"),
			 BLK_BM_IN_USE | BLK_BM_AUTO);
	assert_int_equal(info(d, "keep").count, 2 * 65536);
	assert_true(info(d, "keep").persistent);
	assert_true(info(d, "keep").recording);
	assert_false(info(d, "keep").inconsistent);
	assert_int_equal(io1(d, DISK_WRITE, 0, 1), 0);
	assert_int_equal(info(d, "keep").count, 3 * 65536);
	disk_close(d);
}

/* A read-only disk lists its image's bitmaps and changes nothing. */
static void test_readonly(void **state)
{
	char spec[256];
	struct bitmap *bm;
	struct disk *d;

	snprintf(spec, sizeof(spec), "path=%s,format=qcow2,readonly=on",
		 tpath("p.qcow2"));
	d = open_spec(spec);
	assert_true(info(d, "keep").persistent);
	assert_false(info(d, "keep").recording);
	assert_int_equal(info(d, "keep").count, 3 * 65536);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"), BLK_BM_AUTO);
	assert_int_equal(disk_bitmap_clear(d, "keep", err, sizeof(err)),
			 -EROFS);
	assert_string_equal(err,
			    "Bitmap 'keep' is readonly and cannot be modified");
	assert_int_equal(disk_bitmap_remove(d, "keep", err, sizeof(err)),
			 -EROFS);
	assert_int_equal(
		disk_bitmap_get_dirty(d, "keep", true, &bm, err, sizeof(err)),
		-EROFS);
	assert_int_equal(
		disk_bitmap_get_dirty(d, "keep", false, &bm, err, sizeof(err)),
		0);
	assert_int_equal(bitmap_count(bm), 3);
	bitmap_free(bm);
	disk_close(d);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"), BLK_BM_AUTO);
}

/* A process killed with the disk open leaves the bitmap inconsistent. */
static void test_killed(void **state)
{
	char spec[256];
	struct bitmap *bm;
	struct disk *d;
	int p[2], st;
	pid_t pid;
	char c;

	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", tpath("p.qcow2"));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		d = open_spec(spec);
		if (io1(d, DISK_WRITE, 5 * MB, 4096))
			_exit(1);
		(void)!write(p[1], "x", 1);
		pause();
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(p[0]);
	close(p[1]);
	d = open_spec(spec);
	assert_true(info(d, "keep").inconsistent);
	assert_false(info(d, "keep").recording);
	assert_int_equal(info(d, "keep").count, 0);
	assert_int_equal(disk_bitmap_clear(d, "keep", err, sizeof(err)),
			 -EUCLEAN);
	assert_non_null(strstr(err, "inconsistent"));
	assert_int_equal(
		disk_bitmap_get_dirty(d, "keep", false, &bm, err, sizeof(err)),
		-EUCLEAN);
	/* closing leaves it in use; removing it is the way out */
	disk_close(d);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"),
			 BLK_BM_IN_USE | BLK_BM_AUTO);
	d = open_spec(spec);
	assert_int_equal(disk_bitmap_remove(d, "keep", err, sizeof(err)), 0);
	disk_close(d);
	assert_int_equal(image_flags(tpath("p.qcow2"), "keep"), UINT32_MAX);
	assert_int_equal(system("qemu-img check -q \"$WIRT_T\"/p.qcow2"), 0);
}

/* A snapshot revert may change every byte: the whole disk is dirty. */
static void test_revert(void **state)
{
	char spec[256], why[256];
	struct disk *d;

	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", tpath("m.qcow2"));
	d = open_spec(spec);
	assert_int_equal(disk_snapshot_create(d, "s", why, sizeof(why)), 0);
	assert_int_equal(
		disk_bitmap_add(d, "r", 65536, false, false, err, sizeof(err)),
		0);
	assert_int_equal(disk_snapshot_apply(d, "s", why, sizeof(why)), 0);
	assert_int_equal(info(d, "r").count, 16 * MB);
	disk_close(d);
}

static int setup(void **state)
{
	struct blk_create_opts o = { .size = 16 * MB };
	char cmd[160];

	snprintf(dir, sizeof(dir), "/var/tmp/wirt-dbm-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("WIRT_T", dir, 1);
	snprintf(cmd, sizeof(cmd), "truncate -s 16M '%s/m.raw'", dir);
	if (system(cmd))
		return -1;
	if (blk_create(tpath("m.qcow2"), BLK_FMT_QCOW2, &o) ||
	    blk_create(tpath("p.qcow2"), BLK_FMT_QCOW2, &o))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks_raw),
		cmocka_unit_test(test_marks_qcow2),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_persistent),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_killed),
		cmocka_unit_test(test_revert),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
