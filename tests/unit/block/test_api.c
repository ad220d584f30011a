// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block library's public operations as its callers use them, through
 * blk.h only: format names, probing an open (O_DIRECT) descriptor,
 * opening on a descriptor, internal snapshots with their flags, the
 * backing file change, amend and its refusals, make_empty, check, and
 * -ENOTSUP for raw images.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "block/blk.h"
#include "block/info.h"
#include "../../lib/unit-tmpdir.h"

#define MiB (1024ULL * 1024)

static char dir[64];

/* DIR/@name in a static buffer (one at a time). */
static const char *path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* A new qcow2 image @name of @size bytes with 64 KiB clusters. */
static struct blk *new_qcow2(const char *name, uint64_t size)
{
	struct blk_create_opts o = { .size = size };
	struct blk *b;

	assert_int_equal(blk_create(path(name), BLK_FMT_QCOW2, &o), 0);
	assert_int_equal(blk_open(&b, path(name), BLK_FMT_QCOW2, BLK_O_RDWR),
			 0);
	return b;
}

/* Fill @len bytes at @off of @b with @v. */
static void fill(struct blk *b, uint64_t off, size_t len, int v)
{
	uint8_t *buf = malloc(len);

	memset(buf, v, len);
	assert_int_equal(blk_pwrite(b, off, buf, len), 0);
	free(buf);
}

/* Whether @len bytes at @off of @b all read as @v. */
static bool reads(struct blk *b, uint64_t off, size_t len, int v)
{
	uint8_t *buf = malloc(len);
	bool ok = blk_pread(b, off, buf, len) == 0;

	for (size_t i = 0; ok && i < len; i++)
		ok = buf[i] == v;
	free(buf);
	return ok;
}

static void test_format_names(void **state)
{
	enum blk_format f = BLK_FMT_PROBE;

	assert_int_equal(blk_format_parse("raw", &f), 0);
	assert_int_equal(f, BLK_FMT_RAW);
	assert_int_equal(blk_format_parse("qcow2", &f), 0);
	assert_int_equal(f, BLK_FMT_QCOW2);
	assert_int_equal(blk_format_parse("vmdk", &f), -EINVAL);
	assert_int_equal(f, BLK_FMT_QCOW2); /* untouched */
	assert_string_equal(blk_format_name(BLK_FMT_RAW), "raw");
	assert_string_equal(blk_format_name(BLK_FMT_QCOW2), "qcow2");
	assert_null(blk_format_name(BLK_FMT_PROBE));
	assert_int_equal(blk_probe_buf("QFI\xfb", 4), BLK_FMT_QCOW2);
	assert_int_equal(blk_probe_buf("QFI", 3), BLK_FMT_RAW);
	assert_int_equal(blk_probe_buf("\0\0\0\0", 4), BLK_FMT_RAW);
}

/* Probe and open an image through a descriptor the caller keeps. */
static void test_open_fd(void **state)
{
	struct blk *b = new_qcow2("fd.qcow2", 4 * MiB), *c;
	enum blk_format f = BLK_FMT_PROBE;
	int fd, dfd;

	fill(b, 0, 65536, 0x5a);
	assert_int_equal(blk_close(b), 0);
	fd = open(path("fd.qcow2"), O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(blk_probe_fd(fd, &f), 0);
	assert_int_equal(f, BLK_FMT_QCOW2);
	/* O_DIRECT where the file system has it (tmpfs does not) */
	dfd = open(path("fd.qcow2"), O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (dfd >= 0) {
		f = BLK_FMT_PROBE;
		assert_int_equal(blk_probe_fd(dfd, &f), 0);
		assert_int_equal(f, BLK_FMT_QCOW2);
		close(dfd);
	}
	assert_int_equal(blk_open_fd(&c, fd, path("fd.qcow2"), BLK_FMT_PROBE,
				     BLK_O_RDWR | BLK_O_NO_PROBE_WARN),
			 0);
	assert_int_equal(blk_get_format(c), BLK_FMT_QCOW2);
	assert_int_not_equal(blk_fd(c), fd); /* its own duplicate */
	assert_true(reads(c, 0, 65536, 0x5a));
	fill(c, 65536, 4096, 0x11);
	assert_int_equal(blk_close(c), 0);
	/* the caller's descriptor is still open and usable */
	assert_int_equal(blk_probe_fd(fd, &f), 0);
	close(fd);
	assert_int_equal(
		blk_open_fd(&c, fd, path("fd.qcow2"), BLK_FMT_QCOW2, 0),
		-EBADF);
}

static void test_snapshots(void **state)
{
	struct blk *b = new_qcow2("s.qcow2", 4 * MiB);
	struct blk_snapshot *s;
	int n;

	assert_int_equal(blk_snapshot_list(b, &s), 0);
	assert_null(s);
	fill(b, 0, 4096, 1);
	assert_int_equal(blk_snapshot_create(b, "one", 0), 0);
	fill(b, 0, 4096, 2);
	assert_int_equal(blk_snapshot_create(b, "two", 0), 0);
	assert_true(blk_snapshot_has(b, "one"));
	assert_true(blk_snapshot_has(b, "2")); /* by id */
	assert_false(blk_snapshot_has(b, "three"));
	/* replacing keeps one entry of that name, with the new state */
	fill(b, 0, 4096, 3);
	assert_int_equal(blk_snapshot_create(b, "one", BLK_SNAP_REPLACE), 0);
	n = blk_snapshot_list(b, &s);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].name, "two");
	assert_string_equal(s[1].name, "one");
	assert_int_equal(s[1].disk_size, 4 * MiB);
	assert_int_equal(s[1].icount, UINT64_MAX);
	blk_snapshot_list_free(s, n);
	fill(b, 0, 4096, 4);
	assert_int_equal(blk_snapshot_apply(b, "one", BLK_SNAP_SAME_SIZE), 0);
	assert_true(reads(b, 0, 4096, 3));
	assert_int_equal(blk_snapshot_apply(b, "two", 0), 0);
	assert_true(reads(b, 0, 4096, 2));
	assert_int_equal(blk_snapshot_apply(b, "nope", 0), -ENOENT);
	assert_non_null(strstr(blk_last_error(), "nope"));
	/* a snapshot of another size: refused only when asked */
	assert_int_equal(blk_truncate(b, 8 * MiB, false), 0);
	assert_int_equal(blk_snapshot_apply(b, "two", BLK_SNAP_SAME_SIZE),
			 -EMEDIUMTYPE);
	assert_non_null(strstr(blk_last_error(), "disk size differs"));
	assert_int_equal(blk_getlength(b), 8 * MiB);
	assert_int_equal(blk_snapshot_delete(b, "nope", 0), -ENOENT);
	assert_int_equal(blk_snapshot_delete(b, "nope", BLK_SNAP_MISSING_OK),
			 0);
	assert_int_equal(blk_snapshot_delete(b, "two", 0), 0);
	assert_int_equal(blk_snapshot_delete(b, "one", 0), 0);
	assert_int_equal(blk_snapshot_list(b, &s), 0);
	assert_int_equal(blk_close(b), 0);
}

/* Check @name: no corruption, no leak. */
static void clean(const char *name)
{
	struct blk_check_result r;
	struct blk *b;

	assert_int_equal(blk_open(&b, path(name), BLK_FMT_QCOW2,
				  BLK_O_NO_BACKING | BLK_O_CHECK),
			 0);
	assert_int_equal(blk_check(b, BLK_REPAIR_NONE, &r, NULL), 0);
	assert_int_equal(r.corruptions, 0);
	assert_int_equal(r.leaks, 0);
	assert_int_equal(r.check_errors, 0);
	assert_true(r.image_end_offset > 0);
	assert_int_equal(blk_close(b), 0);
}

static void test_backing_and_empty(void **state)
{
	struct blk *base = new_qcow2("base.qcow2", 2 * MiB), *top;
	struct blk_create_opts o = { .size = 2 * MiB,
				     .backing_file = "base.qcow2",
				     .backing_fmt = "qcow2" };
	struct blk_info i;

	fill(base, 0, 65536, 7);
	assert_int_equal(blk_close(base), 0);
	assert_int_equal(blk_create(path("top.qcow2"), BLK_FMT_QCOW2, &o), 0);
	assert_int_equal(
		blk_open(&top, path("top.qcow2"), BLK_FMT_QCOW2, BLK_O_RDWR),
		0);
	assert_true(reads(top, 0, 65536, 7));
	fill(top, 0, 4096, 8);
	assert_true(reads(top, 0, 4096, 8));
	assert_int_equal(blk_make_empty(top), 0);
	assert_true(reads(top, 0, 4096, 7)); /* the backing file shows */
	assert_int_equal(blk_set_backing(top, "other.raw", "raw"), 0);
	assert_int_equal(blk_close(top), 0);
	assert_int_equal(blk_open(&top, path("top.qcow2"), BLK_FMT_QCOW2,
				  BLK_O_NO_BACKING),
			 0);
	blk_get_info(top, &i);
	assert_string_equal(i.backing_file, "other.raw");
	assert_string_equal(i.backing_fmt, "raw");
	blk_info_free(&i);
	assert_int_equal(blk_close(top), 0);
	assert_int_equal(blk_open(&top, path("top.qcow2"), BLK_FMT_QCOW2,
				  BLK_O_RDWR | BLK_O_NO_BACKING),
			 0);
	assert_int_equal(blk_set_backing(top, "", "raw"), 0);
	blk_get_info(top, &i);
	assert_null(i.backing_file);
	assert_null(i.backing_fmt);
	blk_info_free(&i);
	assert_int_equal(blk_close(top), 0);
	clean("top.qcow2");
}

static void test_amend(void **state)
{
	struct blk *b = new_qcow2("a.qcow2", 4 * MiB);
	struct blk_amend_opts lazy = { .compat = 0, .lazy_refcounts = 1 };
	struct blk_amend_opts v2 = { .compat = 2, .lazy_refcounts = -1 };
	struct blk_amend_opts v2_nolazy = { .compat = 2, .lazy_refcounts = 0 };
	struct blk_info i;

	assert_int_equal(blk_amend(b, &lazy), 0);
	blk_get_info(b, &i);
	assert_true(i.lazy_refcounts);
	assert_string_equal(i.compat, "1.1");
	/* lazy refcounts are v3 only: keep them, keep v3 */
	assert_int_equal(blk_amend(b, &v2), -EINVAL);
	assert_non_null(strstr(blk_last_error(), "v3-only features"));
	assert_int_equal(blk_amend(b, &v2_nolazy), 0);
	blk_get_info(b, &i);
	assert_string_equal(i.compat, "0.10");
	assert_false(i.lazy_refcounts);
	assert_int_equal(blk_amend(b, &lazy), -EINVAL);
	assert_non_null(strstr(blk_last_error(), "compat=1.1"));
	assert_int_equal(blk_close(b), 0);
	clean("a.qcow2");

	/* zero clusters cannot be expressed in v2 */
	b = new_qcow2("z.qcow2", 4 * MiB);
	fill(b, 0, 65536, 9);
	assert_int_equal(blk_pwrite_zeroes(b, 0, 65536, 0), 0);
	assert_int_equal(blk_amend(b, &v2), -EINVAL);
	assert_non_null(strstr(blk_last_error(), "zero clusters"));
	assert_int_equal(blk_close(b), 0);
}

static void test_raw_refuses(void **state)
{
	struct blk_create_opts o = { .size = MiB };
	struct blk_amend_opts a = { .compat = 3, .lazy_refcounts = -1 };
	struct blk_check_result r;
	struct blk_snapshot *s;
	struct blk *b;

	assert_int_equal(blk_create(path("r.raw"), BLK_FMT_RAW, &o), 0);
	assert_int_equal(blk_open(&b, path("r.raw"), BLK_FMT_RAW, BLK_O_RDWR),
			 0);
	assert_int_equal(blk_get_format(b), BLK_FMT_RAW);
	assert_int_equal(blk_snapshot_list(b, &s), -ENOTSUP);
	assert_non_null(strstr(blk_last_error(), "r.raw' is raw"));
	assert_false(blk_snapshot_has(b, "x"));
	assert_int_equal(blk_snapshot_create(b, "x", 0), -ENOTSUP);
	assert_int_equal(blk_snapshot_apply(b, "x", 0), -ENOTSUP);
	assert_int_equal(blk_snapshot_delete(b, "x", 0), -ENOTSUP);
	assert_int_equal(blk_set_backing(b, "y", NULL), -ENOTSUP);
	assert_int_equal(blk_amend(b, &a), -ENOTSUP);
	assert_int_equal(blk_make_empty(b), -ENOTSUP);
	assert_int_equal(blk_check(b, BLK_REPAIR_NONE, &r, NULL), -ENOTSUP);
	assert_int_equal(blk_close(b), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wirt-blkapi-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_open_fd),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_backing_and_empty),
		cmocka_unit_test(test_amend),
		cmocka_unit_test(test_raw_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
