// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Persistent dirty bitmaps through blk.h: a round trip of contents and
 * flags, the in-use flag left by a writer that died, untracked writes
 * marking bitmaps inconsistent, corrupt directories refused with a clear
 * error, the check knowing bitmap clusters, and interoperability with
 * qemu-img and qemu-io (QEMU's reading of what wirt writes and the other
 * way round).
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "block/blk.h"
#include "common/bitmap.h"
#include "../../lib/unit-tmpdir.h"

#define MiB (1024ULL * 1024)
#define SIZE (100 * MiB)

static char dir[64];

/* DIR/@name in a static buffer (one at a time). */
static const char *path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Run shell command @fmt in DIR; its exit status. */
static int run(const char *fmt, ...)
{
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	n = system(cmd);
	return WIFEXITED(n) ? WEXITSTATUS(n) : -1;
}

/* Open DIR/@name (qcow2) read-write or read-only. */
static struct blk *open_img(const char *name, bool rw)
{
	struct blk *b;

	assert_int_equal(
		blk_open(&b, path(name), BLK_FMT_QCOW2, rw ? BLK_O_RDWR : 0),
		0);
	return b;
}

/* A new qcow2 image @name of SIZE bytes. */
static struct blk *new_img(const char *name)
{
	struct blk_create_opts o = { .size = SIZE };

	assert_int_equal(blk_create(path(name), BLK_FMT_QCOW2, &o), 0);
	return open_img(name, true);
}

/* The flags of bitmap @name of @b (asserting it exists). */
static uint32_t flags_of(struct blk *b, const char *name)
{
	struct blk_bitmap_info *l;
	int n = blk_bitmap_list(b, &l);
	uint32_t f = UINT32_MAX;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			f = l[i].flags;
	blk_bitmap_list_free(l, n);
	assert_int_not_equal(f, UINT32_MAX);
	return f;
}

/* wirt's own check of DIR/@name: no leak, no corruption. */
static void check_clean(const char *name)
{
	struct blk_check_result r = { 0 };
	struct blk *b;

	assert_int_equal(blk_open(&b, path(name), BLK_FMT_QCOW2, BLK_O_CHECK),
			 0);
	assert_int_equal(blk_check(b, BLK_REPAIR_NONE, &r, NULL), 0);
	assert_int_equal(r.leaks, 0);
	assert_int_equal(r.corruptions, 0);
	blk_close(b);
}

static void test_round_trip(void **state)
{
	struct blk *b = new_img("rt.qcow2");
	struct bitmap *bm, *back;
	struct blk_bitmap_info *l;

	(void)state;
	assert_int_equal(blk_bitmap_add(b, "b0", 65536, false), 0);
	assert_int_equal(blk_bitmap_add(b, "off", 0, true), 0);
	assert_int_equal(blk_bitmap_add(b, "b0", 65536, false), -EEXIST);
	assert_int_equal(blk_bitmap_add(b, "x", 3000, false), -EINVAL);
	assert_int_equal(blk_bitmap_load(b, "b0", &bm), 0);
	assert_int_equal(bitmap_count(bm), 0);
	bitmap_set_range(bm, 0, 1); /* granule 0 */
	bitmap_set_range(bm, 65536 * 1000 - 1, 2); /* 999 and 1000 */
	bitmap_set_range(bm, SIZE - 1, 1); /* the last one */
	assert_int_equal(blk_bitmap_set_in_use(b, "b0", true), 0);
	assert_int_equal(flags_of(b, "b0"), BLK_BM_IN_USE | BLK_BM_AUTO);
	assert_int_equal(blk_bitmap_store(b, "b0", bm, false), 0);
	assert_int_equal(blk_close(b), 0);

	b = open_img("rt.qcow2", false);
	assert_int_equal(blk_bitmap_list(b, &l), 2);
	assert_string_equal(l[0].name, "b0");
	assert_int_equal(l[0].granularity, 65536);
	assert_int_equal(l[0].flags, BLK_BM_AUTO);
	assert_string_equal(l[1].name, "off");
	assert_int_equal(l[1].granularity, 65536); /* the cluster size */
	assert_int_equal(l[1].flags, 0);
	blk_bitmap_list_free(l, 2);
	assert_int_equal(blk_bitmap_load(b, "b0", &back), 0);
	assert_int_equal(bitmap_count(back), 4);
	for (uint64_t g = 0; g < SIZE / 65536; g++)
		assert_int_equal(bitmap_test(back, g * 65536),
				 bitmap_test(bm, g * 65536));
	assert_int_equal(blk_bitmap_load(b, "none", &back), -ENOENT);
	assert_int_equal(blk_bitmap_remove(b, "off"), -EROFS);
	bitmap_free(back);
	bitmap_free(bm);
	blk_close(b);
	check_clean("rt.qcow2");

	b = open_img("rt.qcow2", true);
	assert_int_equal(blk_bitmap_merge(b, "off", "b0"), 0);
	assert_int_equal(blk_bitmap_load(b, "off", &bm), 0);
	assert_int_equal(bitmap_count(bm), 4);
	bitmap_free(bm);
	assert_int_equal(blk_bitmap_clear(b, "b0"), 0);
	assert_int_equal(blk_bitmap_load(b, "b0", &bm), 0);
	assert_int_equal(bitmap_count(bm), 0);
	bitmap_free(bm);
	assert_int_equal(blk_bitmap_remove(b, "b0"), 0);
	assert_int_equal(blk_bitmap_remove(b, "off"), 0);
	assert_int_equal(blk_bitmap_list(b, &l), 0);
	blk_bitmap_list_free(l, 0);
	assert_int_equal(blk_close(b), 0);
	check_clean("rt.qcow2");
	assert_int_equal(run("qemu-img check -q rt.qcow2"), 0);
}

/*
 * A writer that loads a bitmap marks it in use and dies before storing
 * it: the next open finds it in use, and loading it says inconsistent.
 */
static void test_unclean_close(void **state)
{
	struct blk *b = new_img("crash.qcow2");
	struct bitmap *bm;
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(blk_bitmap_add(b, "inc", 0, false), 0);
	assert_int_equal(blk_close(b), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		b = open_img("crash.qcow2", true);
		if (blk_bitmap_load(b, "inc", &bm) ||
		    blk_bitmap_set_in_use(b, "inc", true))
			_exit(1);
		_exit(0); /* no store, no close: a crash */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	b = open_img("crash.qcow2", true);
	assert_int_equal(flags_of(b, "inc"), BLK_BM_IN_USE | BLK_BM_AUTO);
	assert_int_equal(blk_bitmap_load(b, "inc", &bm), -EUCLEAN);
	assert_non_null(strstr(blk_last_error(), "inconsistent"));
	/* clearing starts tracking afresh */
	assert_int_equal(blk_bitmap_clear(b, "inc"), 0);
	assert_int_equal(flags_of(b, "inc"), BLK_BM_AUTO);
	blk_close(b);
	/* the crash leaked nothing: refcounts are written with the switch */
	assert_int_equal(run("qemu-img check -q crash.qcow2"), 0);
}

/*
 * Writes through the library to an image whose bitmaps no other writer
 * claimed: the library tracks the enabled ones itself (in use while
 * open, stored clean at close), as QEMU does; a snapshot revert marks
 * the whole disk.
 */
static void test_library_tracks(void **state)
{
	struct blk *b = new_img("lib.qcow2");
	char buf[4096] = { 1 };
	struct bitmap *bm;

	(void)state;
	assert_int_equal(blk_bitmap_add(b, "on", 65536, false), 0);
	assert_int_equal(blk_bitmap_add(b, "off", 65536, true), 0);
	assert_int_equal(blk_pwrite(b, 0, buf, sizeof(buf)), 0);
	assert_int_equal(blk_pwrite_zeroes(b, 10 * MiB, MiB, 0), 0);
	assert_int_equal(flags_of(b, "on"), BLK_BM_IN_USE | BLK_BM_AUTO);
	assert_int_equal(flags_of(b, "off"), 0); /* disabled: untouched */
	assert_int_equal(blk_bitmap_load(b, "on", &bm), 0); /* the live one */
	assert_int_equal(bitmap_count(bm), 1 + 16);
	bitmap_free(bm);
	assert_int_equal(blk_close(b), 0);
	check_clean("lib.qcow2");
	assert_int_equal(run("qemu-img check -q lib.qcow2"), 0);
	b = open_img("lib.qcow2", true);
	assert_int_equal(flags_of(b, "on"), BLK_BM_AUTO);
	assert_int_equal(blk_bitmap_load(b, "on", &bm), 0);
	assert_int_equal(bitmap_count(bm), 1 + 16);
	bitmap_free(bm);
	assert_int_equal(blk_bitmap_load(b, "off", &bm), 0);
	assert_int_equal(bitmap_count(bm), 0);
	bitmap_free(bm);
	/* a revert changes everything */
	assert_int_equal(blk_snapshot_create(b, "s", 0), 0);
	assert_int_equal(blk_bitmap_clear(b, "on"), 0);
	assert_int_equal(blk_snapshot_apply(b, "s", 0), 0);
	assert_int_equal(blk_close(b), 0);
	b = open_img("lib.qcow2", false);
	assert_int_equal(blk_bitmap_load(b, "on", &bm), 0);
	assert_int_equal(bitmap_count(bm), SIZE / 65536);
	bitmap_free(bm);
	blk_close(b);
	check_clean("lib.qcow2");
}

static uint32_t ext_at; /* where dir_offset found the extension */

/* The offset of the bitmap directory of DIR/@name, from its header. */
static uint64_t dir_offset(const char *name, int *fd)
{
	uint8_t h[4096];
	uint32_t o;

	*fd = open(path(name), O_RDWR);
	assert_true(*fd >= 0);
	assert_int_equal(pread(*fd, h, sizeof(h), 0), sizeof(h));
	o = (uint32_t)h[100] << 24 | h[101] << 16 | h[102] << 8 | h[103];
	while (o + 8 <= sizeof(h)) {
		uint32_t t = (uint32_t)h[o] << 24 | h[o + 1] << 16 |
			     h[o + 2] << 8 | h[o + 3];
		uint32_t l = (uint32_t)h[o + 4] << 24 | h[o + 5] << 16 |
			     h[o + 6] << 8 | h[o + 7];
		uint64_t d = 0;

		if (t == 0x23852875) {
			ext_at = o + 8;
			for (int i = 0; i < 8; i++)
				d = d << 8 | h[o + 8 + 16 + i];
			return d;
		}
		assert_int_not_equal(t, 0);
		o += 8 + ((l + 7) & ~7U);
	}
	fail();
	return 0;
}

/* Patch @len bytes at @at of the directory entry, expect open to fail. */
static void corrupt(const char *what, unsigned at, const void *val, size_t len,
		    const char *msg)
{
	struct blk *b = new_img("bad.qcow2");
	struct blk_bitmap_info *l;
	int fd;
	uint64_t d;

	assert_int_equal(blk_bitmap_add(b, "victim", 0, false), 0);
	assert_int_equal(blk_close(b), 0);
	d = dir_offset("bad.qcow2", &fd);
	assert_int_equal(pwrite(fd, val, len, d + at), (ssize_t)len);
	close(fd);
	print_message("corrupt %s\n", what);
	assert_int_equal(
		blk_open(&b, path("bad.qcow2"), BLK_FMT_QCOW2, BLK_O_RDWR),
		-EINVAL);
	assert_non_null(strstr(blk_last_error(), "bad.qcow2"));
	assert_non_null(strstr(blk_last_error(), msg));
	/* read-only, the data stays readable and the bitmaps are ignored */
	assert_int_equal(blk_open(&b, path("bad.qcow2"), BLK_FMT_QCOW2, 0), 0);
	assert_int_equal(blk_bitmap_list(b, &l), 0);
	blk_bitmap_list_free(l, 0);
	blk_close(b);
}

/* Patch the bitmaps header extension's field at @at, expect a refusal. */
static void corrupt_ext(const char *what, unsigned at, const void *val,
			size_t len, const char *msg)
{
	struct blk *b = new_img("badx.qcow2");
	int fd;

	assert_int_equal(blk_bitmap_add(b, "victim", 0, false), 0);
	assert_int_equal(blk_close(b), 0);
	dir_offset("badx.qcow2", &fd);
	assert_int_equal(pwrite(fd, val, len, ext_at + at), (ssize_t)len);
	close(fd);
	print_message("corrupt extension %s\n", what);
	assert_int_equal(
		blk_open(&b, path("badx.qcow2"), BLK_FMT_QCOW2, BLK_O_RDWR),
		-EINVAL);
	assert_non_null(strstr(blk_last_error(), msg));
}

/* One corruption: @len bytes @val written @at bytes into the bitmap
 * directory (or extension), and the message the open must give. */
struct corruption {
	const char *what;
	unsigned at;
	const char *val;
	size_t len;
	const char *msg;
};

static const struct corruption ext_cases[] = {
	{ "count 0", 0, "\0\0\0\0", 4, "bitmap count outside" },
	{ "count 2", 0, "\0\0\0\x02", 4, "size out of range" },
	{ "reserved", 4, "\0\0\0\x01", 4, "reserved field" },
	{ "size huge", 8, "\0\0\0\x01\0\0\0\0", 8, "size out of range" },
	{ "size too small", 8, "\0\0\0\0\0\0\0\x08", 8, "size out of range" },
	{ "size past the end of the file", 8, "\0\0\0\0\0\0\0\x40", 8,
	  "outside the file" },
	{ "offset unaligned", 16, "\0\0\0\0\0\x05\0\x08", 8,
	  "outside the file or unaligned" },
	{ "offset past the end", 16, "\0\0\x01\0\0\0\0\0", 8,
	  "outside the file or unaligned" },
	{ "offset onto the L1 table", 16, "\0\0\0\0\0\x03\0\0", 8,
	  "directory is invalid" },
};

static const struct corruption dir_cases[] = {
	{ "table offset", 0, "\0\0\0\0\0\x01\x02\x03", 8,
	  "bitmap table outside the file or unaligned" },
	{ "table size", 8, "\x7f\xff\xff\xff", 4,
	  "bitmap table outside the file or unaligned" },
	{ "table onto the header", 0, "\0\0\0\0\0\0\0\0", 8,
	  "outside the file or unaligned" },
	{ "table onto the L1 table", 0, "\0\0\0\0\0\x03\0\0", 8,
	  "overlaps: the L1 table and victim" },
	{ "granularity", 17, "\x08", 1, "granularity outside" },
	{ "type", 16, "\x02", 1, "not a dirty tracking bitmap" },
	{ "flags", 12, "\0\0\0\x10", 4, "reserved flags" },
	{ "name length", 18, "\xff\xff", 2, "entry runs past" },
	{ "name length zero", 18, "\0\0", 2, "name empty" },
	{ "extra data length", 20, "\x10\0\0\0", 4, "entry runs past" },
};

static void test_corrupt_extension(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(ext_cases) / sizeof(ext_cases[0]); k++)
		corrupt_ext(ext_cases[k].what, ext_cases[k].at,
			    ext_cases[k].val, ext_cases[k].len,
			    ext_cases[k].msg);
}

static void test_corrupt_directory(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(dir_cases) / sizeof(dir_cases[0]); k++)
		corrupt(dir_cases[k].what, dir_cases[k].at, dir_cases[k].val,
			dir_cases[k].len, dir_cases[k].msg);
}

/* Big-endian 64 bits at @p. */
static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A bitmap table entry that points at the L1 table is refused on load. */
static void test_corrupt_table(void **state)
{
	struct blk *b = new_img("badt.qcow2");
	uint8_t e[8], h[48];
	struct bitmap *bm;
	uint64_t d;
	int fd;

	(void)state;
	assert_int_equal(blk_bitmap_add(b, "t", 65536, false), 0);
	assert_int_equal(blk_close(b), 0);
	d = dir_offset("badt.qcow2", &fd);
	assert_int_equal(pread(fd, e, 8, d), 8); /* the table's offset */
	assert_int_equal(pread(fd, h, sizeof(h), 0), sizeof(h));
	/* the first entry := the L1 table's cluster */
	assert_int_equal(pwrite(fd, h + 40, 8, be64(e)), 8);
	close(fd);
	b = open_img("badt.qcow2", false);
	assert_int_equal(blk_bitmap_load(b, "t", &bm), -EINVAL);
	assert_non_null(strstr(blk_last_error(), "on metadata"));
	blk_close(b);
}

/* QEMU's bitmaps, written by qemu-io, read by wirt. */
static void test_qemu_to_wirt(void **state)
{
	struct blk_bitmap_info *l;
	struct bitmap *bm;
	struct blk *b;

	(void)state;
	assert_int_equal(run("qemu-img create -q -f qcow2 q.qcow2 100M"), 0);
	assert_int_equal(
		run("qemu-img bitmap --add -g 131072 q.qcow2 qb && "
		    "qemu-img bitmap --add --disable q.qcow2 qoff && "
		    "qemu-io -f qcow2 -c 'write 0 4k' -c 'write 10M 1M' "
		    "-c 'write 99M 1M' q.qcow2 >/dev/null"),
		0);
	b = open_img("q.qcow2", true);
	assert_int_equal(blk_bitmap_list(b, &l), 2);
	assert_string_equal(l[0].name, "qb");
	assert_int_equal(l[0].granularity, 131072);
	assert_int_equal(l[0].flags, BLK_BM_AUTO);
	assert_int_equal(l[1].flags, 0);
	blk_bitmap_list_free(l, 2);
	assert_int_equal(blk_bitmap_load(b, "qb", &bm), 0);
	assert_int_equal(bitmap_count(bm), 1 + 8 + 8);
	assert_true(bitmap_test(bm, 0));
	assert_true(bitmap_test(bm, 10 * MiB));
	assert_false(bitmap_test(bm, 11 * MiB));
	assert_true(bitmap_test(bm, SIZE - 1));
	bitmap_free(bm);
	assert_int_equal(blk_bitmap_load(b, "qoff", &bm), 0);
	assert_int_equal(bitmap_count(bm), 0);
	bitmap_free(bm);
	/* and wirt's changes are QEMU's again */
	assert_int_equal(blk_bitmap_remove(b, "qoff"), 0);
	assert_int_equal(blk_close(b), 0);
	check_clean("q.qcow2");
	assert_int_equal(run("qemu-img check -q q.qcow2"), 0);
	assert_int_equal(run("qemu-img info q.qcow2 | grep -q qoff"), 1);
}

/* wirt's bitmaps as qemu-img info lists them; qemu-img check clean. */
static void test_wirt_to_qemu(void **state)
{
	struct blk *b = new_img("w.qcow2");
	struct bitmap *bm;

	(void)state;
	assert_int_equal(blk_bitmap_add(b, "wb", 1 << 20, false), 0);
	assert_int_equal(blk_bitmap_add(b, "wd", 4096, true), 0);
	assert_int_equal(blk_bitmap_load(b, "wb", &bm), 0);
	bitmap_set_range(bm, 5 * MiB, 3 * MiB);
	assert_int_equal(blk_bitmap_store(b, "wb", bm, false), 0);
	bitmap_free(bm);
	assert_int_equal(blk_bitmap_add(b, "used", 65536, false), 0);
	assert_int_equal(blk_bitmap_set_in_use(b, "used", true), 0);
	assert_int_equal(blk_close(b), 0);
	assert_int_equal(run("qemu-img check -q w.qcow2"), 0);
	assert_int_equal(
		run("qemu-img info --output=json w.qcow2 | python3 -c '"
		    "import json, sys\n"
		    "d = json.load(sys.stdin)[\"format-specific\"][\"data\"]\n"
		    "bm = {b[\"name\"]: b for b in d[\"bitmaps\"]}\n"
		    "assert bm[\"wb\"][\"granularity\"] == 1048576, bm\n"
		    "assert bm[\"wb\"][\"flags\"] == [\"auto\"], bm\n"
		    "assert bm[\"wd\"][\"granularity\"] == 4096, bm\n"
		    "assert bm[\"wd\"][\"flags\"] == [], bm\n"
		    "assert bm[\"used\"][\"flags\"] == [\"in-use\", \"auto\"], bm\n"
		    "'"),
		0);
	/* QEMU reads wb and writes its copy wb2; wirt reads that back */
	assert_int_equal(run("qemu-img bitmap --remove w.qcow2 used && "
			     "qemu-img bitmap --add -g 1048576 w.qcow2 wb2 && "
			     "qemu-img bitmap --merge wb w.qcow2 wb2"),
			 0);
	b = open_img("w.qcow2", false);
	assert_int_equal(blk_bitmap_load(b, "wb2", &bm), 0);
	assert_int_equal(bitmap_count(bm), 3);
	assert_int_equal(bitmap_next_dirty(bm, 0), 5 * MiB);
	assert_int_equal(bitmap_next_clean(bm, 5 * MiB), 8 * MiB);
	bitmap_free(bm);
	blk_close(b);
	check_clean("w.qcow2");
}

static int setup(void **state)
{
	(void)state;
	if (system("qemu-img --version >/dev/null 2>&1 && "
		   "qemu-io --version >/dev/null 2>&1")) {
		fprintf(stderr,
			"test_bitmap: qemu-img and qemu-io are missing, which check interoperability; install them with 'tools/deps check'\n");
		return -1;
	}
	strcpy(dir, "/tmp/wirt-bitmap-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unclean_close),
		cmocka_unit_test(test_library_tracks),
		cmocka_unit_test(test_corrupt_directory),
		cmocka_unit_test(test_corrupt_extension),
		cmocka_unit_test(test_corrupt_table),
		cmocka_unit_test(test_qemu_to_wirt),
		cmocka_unit_test(test_wirt_to_qemu),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
