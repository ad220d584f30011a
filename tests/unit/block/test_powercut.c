// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power-cut test of the block library and wirt-img's commands: each
 * operation runs with its writes and flushes recorded, then every crash
 * state the harness builds (powercut.c) must pass qemu-img check (leaks
 * allowed) and read back what was acknowledged; snapshots must keep their
 * data even after the active layer is overwritten.  Prints the number of
 * crash states checked per operation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "block/blk.h"
#include "block/qcow2.h"
#include "common/util.h"
#include "img/img.h"
#include "powercut.h"

#define MAX_STATES 160

static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* Bytes that compress (runs of a few values) but differ per call. */
static void fill(uint8_t *p, uint64_t n)
{
	uint8_t v = rnd();

	for (uint64_t i = 0; i < n; i++) {
		if (!(i & 63))
			v = rnd() | 1;
		p[i] = v;
	}
}

static void create(const char *path, const char *fmt, uint64_t size,
		   uint32_t cs, const char *backing, const char *bfmt)
{
	struct blk_create_opts o = { .size = size,
				     .cluster_size = cs,
				     .backing_file = backing,
				     .backing_fmt = bfmt };
	enum blk_format f;

	if (blk_format_parse(fmt, &f) < 0 || blk_create(path, f, &o) < 0)
		fail_msg("create %s: %s", path, blk_last_error());
}

static struct blk *xopen(const char *path, unsigned flags)
{
	struct blk *b;

	if (blk_open(&b, path, BLK_FMT_PROBE, flags | BLK_O_NO_PROBE_WARN) < 0)
		fail_msg("open %s: %s", path, blk_last_error());
	return b;
}

/* Write @n random bytes at @off of @path and into @model (may be NULL). */
static void put(struct blk *b, uint8_t *model, uint64_t off, uint64_t n)
{
	uint8_t *buf = malloc(n);

	assert_non_null(buf);
	fill(buf, n);
	if (blk_pwrite(b, off, buf, n) < 0)
		fail_msg("write: %s", blk_last_error());
	if (model)
		memcpy(model + off, buf, n);
	free(buf);
}

/* What @path shows now, read through the library (a model of it). */
static uint8_t *snapshot_of(const char *path, uint64_t *len)
{
	struct blk *b = xopen(path, 0);
	uint8_t *p;

	*len = blk_getlength(b);
	p = malloc(*len);
	assert_non_null(p);
	assert_int_equal(blk_pread(b, 0, p, *len), 0);
	blk_close(b);
	return p;
}

/* Run wirt-img command @fn with the arguments given (NULL-terminated). */
static void img(int (*fn)(int, char **), ...)
{
	char *argv[16], *copy[16];
	int argc = 0, ret;
	const char *a;
	va_list ap;

	va_start(ap, fn);
	while (argc < 15 && (a = va_arg(ap, const char *))) {
		copy[argc] = argv[argc] = strdup(a); /* commands edit them */
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	optind = 0;
	ret = fn(argc, argv);
	for (int i = 0; i < argc; i++)
		free(copy[i]);
	if (ret != 0)
		fail_msg("a wirt-img command failed");
}

static void ack1(const char *file, const uint8_t *d, uint64_t len)
{
	struct pc_view v = { file, NULL, d, len };

	pc_ack(&v, 1);
}

static void finish(const char *op, bool cc_ok)
{
	struct pc_result r;

	pc_replay(strstr(op, "grow") ? MAX_STATES / 2 : MAX_STATES,
		  0x5eed0000 + strlen(op), cc_ok, &r);
	printf("powercut %-14s %4u crash states checked (%u events), %u failed",
	       op, r.states, r.events, r.failures);
	if (r.copied_clear)
		printf(", %u with refcount-1 COPIED-clear entries",
		       r.copied_clear);
	printf("\n");
	fflush(stdout);
	pc_end();
	assert_int_equal(r.failures, 0);
	assert_true(r.states > 0);
}

/* Allocating writes into an overlay of a raw backing file, partial
 * clusters included (copy-on-write from the backing file), and zeroes. */
static void test_alloc(void **st)
{
	const uint64_t size = 512 * KiB, third = size / 3;
	uint8_t *m;
	struct blk *b;

	(void)st;
	rs = 11;
	pc_begin("alloc");
	create("base.raw", "raw", size, 0, NULL, NULL);
	b = xopen("base.raw", BLK_O_RDWR);
	put(b, NULL, 0, size);
	blk_close(b);
	create("top.qcow2", "qcow2", size, 4096, "base.raw", "raw");
	pc_track("top.qcow2");
	pc_share("base.raw");
	m = snapshot_of("top.qcow2", &(uint64_t){ 0 });
	pc_record();
	ack1("top.qcow2", m, size);
	b = xopen("top.qcow2", BLK_O_RDWR);
	for (int r = 0; r < 5; r++) {
		for (int j = 0; j < 3; j++) {
			uint64_t n = 512 + rnd() % 9000 / 512 * 512;
			uint64_t off =
				j * third + rnd() % (third - n) / 512 * 512;

			if (r == 3 && j == 1) {
				n = 16384;
				assert_int_equal(
					blk_pwrite_zeroes(b, off, n, 0), 0);
				memset(m + off, 0, n);
				continue;
			}
			put(b, m, off, n);
		}
		assert_int_equal(blk_flush(b), 0);
		ack1("top.qcow2", m, size);
	}
	blk_close(b);
	free(m);
	finish("alloc-write", false);
}

/* Compressed writes, over fresh and over compressed clusters. */
static void test_compressed(void **st)
{
	const uint64_t size = 256 * KiB, cs = 4096;
	uint8_t *m = calloc(1, size), *buf = malloc(cs);
	struct blk *b;

	(void)st;
	rs = 12;
	pc_begin("compressed");
	create("c.qcow2", "qcow2", size, cs, NULL, NULL);
	pc_track("c.qcow2");
	pc_record();
	ack1("c.qcow2", m, size);
	b = xopen("c.qcow2", BLK_O_RDWR);
	for (int r = 0; r < 4; r++) {
		for (int j = 0; j < 4; j++) {
			uint64_t off = (rnd() % (size / cs / 2)) * cs;

			fill(buf, cs);
			assert_int_equal(blk_pwrite_compressed(b, off, buf, cs),
					 0);
			memcpy(m + off, buf, cs);
		}
		assert_int_equal(blk_flush(b), 0);
		ack1("c.qcow2", m, size);
	}
	blk_close(b);
	free(m);
	free(buf);
	finish("compressed", false);
}

/* An image of @size with random data everywhere, in small clusters so
 * that it has several L2 tables. */
static uint8_t *data_image(const char *path, uint64_t size, uint32_t cs)
{
	uint8_t *m = malloc(size);
	struct blk *b;

	assert_non_null(m);
	create(path, "qcow2", size, cs, NULL, NULL);
	b = xopen(path, BLK_O_RDWR);
	put(b, m, 0, size);
	blk_close(b);
	return m;
}

static void write_some(const char *path, uint8_t *m, int n)
{
	struct blk *b = xopen(path, BLK_O_RDWR);

	for (int i = 0; i < n; i++) {
		uint64_t len = 1024 + rnd() % 4 * 1024;

		put(b, m, rnd() % (blk_getlength(b) - len) / 512 * 512, len);
	}
	blk_close(b);
}

static void test_snap_create(void **st)
{
	const uint64_t size = 256 * KiB;
	uint8_t *m, *s1;

	(void)st;
	rs = 13;
	pc_begin("snapcreate");
	m = data_image("s.qcow2", size, 1024);
	pc_track("s.qcow2");
	s1 = malloc(size);
	memcpy(s1, m, size);
	pc_record();
	ack1("s.qcow2", m, size);
	img(cmd_snapshot, "snapshot", "-c", "s1", "s.qcow2", NULL);
	{
		struct pc_view v[] = { { "s.qcow2", NULL, m, size },
				       { "s.qcow2", "s1", s1, size } };

		pc_ack(v, 2);
		write_some("s.qcow2", m, 4);
		pc_ack(v, 2);
	}
	free(m);
	free(s1);
	finish("snapshot-create", true);
}

static void test_snap_delete(void **st)
{
	const uint64_t size = 256 * KiB;
	uint8_t *m, *s1 = malloc(size), *s2 = malloc(size);

	(void)st;
	rs = 14;
	pc_begin("snapdelete");
	m = data_image("s.qcow2", size, 1024);
	img(cmd_snapshot, "snapshot", "-c", "s1", "s.qcow2", NULL);
	memcpy(s1, m, size);
	write_some("s.qcow2", m, 6);
	img(cmd_snapshot, "snapshot", "-c", "s2", "s.qcow2", NULL);
	memcpy(s2, m, size);
	write_some("s.qcow2", m, 6);
	pc_track("s.qcow2");
	pc_record();
	{
		struct pc_view v[] = { { "s.qcow2", NULL, m, size },
				       { "s.qcow2", "s2", s2, size },
				       { "s.qcow2", "s1", s1, size } };

		pc_ack(v, 3);
		img(cmd_snapshot, "snapshot", "-d", "s1", "s.qcow2", NULL);
		pc_ack(v, 2);
		img(cmd_snapshot, "snapshot", "-d", "s2", "s.qcow2", NULL);
		pc_ack(v, 1);
	}
	free(m);
	free(s1);
	free(s2);
	finish("snapshot-delete", true);
}

static void test_snap_revert(void **st)
{
	const uint64_t size = 256 * KiB;
	uint8_t *m, *s1 = malloc(size);

	(void)st;
	rs = 15;
	pc_begin("snaprevert");
	m = data_image("s.qcow2", size, 1024);
	img(cmd_snapshot, "snapshot", "-c", "s1", "s.qcow2", NULL);
	memcpy(s1, m, size);
	write_some("s.qcow2", m, 8);
	pc_track("s.qcow2");
	pc_record();
	{
		struct pc_view v[] = { { "s.qcow2", NULL, m, size },
				       { "s.qcow2", "s1", s1, size } };

		pc_ack(v, 2);
		img(cmd_snapshot, "snapshot", "-a", "s1", "s.qcow2", NULL);
		memcpy(m, s1, size);
		pc_ack(v, 2);
		write_some("s.qcow2", m, 3);
		pc_ack(v, 2);
	}
	free(m);
	free(s1);
	finish("snapshot-revert", false);
}

/* Grow past what one L1 cluster maps (512-byte clusters), write at the
 * end, shrink. */
static void test_resize(void **st)
{
	const uint64_t size = 64 * KiB, big = 4 * MiB, small = 32 * KiB;
	uint8_t *m = calloc(1, big), *d;

	(void)st;
	rs = 16;
	pc_begin("resize");
	d = data_image("r.qcow2", size, 512);
	memcpy(m, d, size);
	free(d);
	pc_track("r.qcow2");
	pc_record();
	ack1("r.qcow2", m, size);
	img(cmd_resize, "resize", "r.qcow2", "4M", NULL);
	ack1("r.qcow2", m, big);
	{
		struct blk *b = xopen("r.qcow2", BLK_O_RDWR);

		put(b, m, big - 8192, 4096);
		blk_close(b);
	}
	ack1("r.qcow2", m, big);
	img(cmd_resize, "resize", "--shrink", "r.qcow2", "32K", NULL);
	ack1("r.qcow2", m, small);
	free(m);
	finish("resize", false);
}

static void test_commit(void **st)
{
	const uint64_t size = 256 * KiB;
	uint64_t len;
	uint8_t *a, *v;

	(void)st;
	rs = 17;
	pc_begin("commit");
	free(data_image("base.qcow2", size, 4096));
	create("top.qcow2", "qcow2", size, 4096, "base.qcow2", "qcow2");
	write_some("top.qcow2", NULL, 8);
	a = snapshot_of("base.qcow2", &len);
	v = snapshot_of("top.qcow2", &len);
	pc_track("base.qcow2");
	pc_track("top.qcow2");
	pc_record();
	{
		struct pc_view x[] = { { "top.qcow2", NULL, v, size },
				       { "base.qcow2", NULL, a, size } };

		pc_ack(x, 2);
		img(cmd_commit, "commit", "top.qcow2", NULL);
		x[1].data = v;
		pc_ack(x, 2);
	}
	free(a);
	free(v);
	finish("commit", false);
}

static void test_rebase(void **st)
{
	const uint64_t size = 256 * KiB;
	uint64_t len;
	uint8_t *v;

	(void)st;
	rs = 18;
	pc_begin("rebase");
	free(data_image("b1.qcow2", size, 4096));
	free(data_image("b2.qcow2", size, 4096));
	create("top.qcow2", "qcow2", size, 4096, "b1.qcow2", "qcow2");
	write_some("top.qcow2", NULL, 6);
	v = snapshot_of("top.qcow2", &len);
	pc_track("top.qcow2");
	pc_share("b1.qcow2");
	pc_share("b2.qcow2");
	pc_record();
	ack1("top.qcow2", v, size);
	img(cmd_rebase, "rebase", "-b", "b2.qcow2", "-F", "qcow2", "top.qcow2",
	    NULL);
	ack1("top.qcow2", v, size);
	free(v);
	finish("rebase", false);
}

static void test_amend(void **st)
{
	const uint64_t size = 128 * KiB;
	uint8_t *m;

	(void)st;
	rs = 19;
	pc_begin("amend");
	m = data_image("a.qcow2", size, 4096);
	pc_track("a.qcow2");
	pc_record();
	ack1("a.qcow2", m, size);
	img(cmd_amend, "amend", "-o", "compat=0.10", "a.qcow2", NULL);
	ack1("a.qcow2", m, size);
	img(cmd_amend, "amend", "-o", "compat=1.1", "a.qcow2", NULL);
	ack1("a.qcow2", m, size);
	img(cmd_amend, "amend", "-o", "lazy_refcounts=on", "a.qcow2", NULL);
	ack1("a.qcow2", m, size);
	write_some("a.qcow2", m, 3);
	ack1("a.qcow2", m, size);
	img(cmd_amend, "amend", "-o", "lazy_refcounts=off", "a.qcow2", NULL);
	ack1("a.qcow2", m, size);
	free(m);
	finish("amend", false);
}

/* 512-byte clusters: one refcount table cluster covers 8 MiB of file;
 * writes past that make the table grow. */
static void test_refcount_growth(void **st)
{
	const uint64_t size = 9 * MiB, fillto = 7 * MiB + 768 * KiB;
	uint8_t *m = calloc(1, size);
	struct blk *b;

	(void)st;
	rs = 20;
	pc_begin("rcgrow");
	create("g.qcow2", "qcow2", size, 512, NULL, NULL);
	b = xopen("g.qcow2", BLK_O_RDWR);
	put(b, m, 0, fillto);
	blk_close(b);
	pc_track("g.qcow2");
	pc_record();
	ack1("g.qcow2", m, size);
	b = xopen("g.qcow2", BLK_O_RDWR);
	for (int r = 0; r < 4; r++) {
		put(b, m, fillto + r * 128 * KiB, 128 * KiB);
		assert_int_equal(blk_flush(b), 0);
		ack1("g.qcow2", m, size);
	}
	blk_close(b);
	free(m);
	finish("refcount-grow", false);
}

/*
 * Allocate guest clusters of @path (512-byte clusters, mostly empty) one
 * at a time until the file ends where its first refcount table's reach
 * ends, less the clusters of an L1 table when @l1_copy (a snapshot's L1
 * copy then fills the file up to there).  The L2 tables come first, so
 * that each later write allocates exactly one cluster and fills holes.
 */
static void fill_to_rct_end(const char *path, uint8_t *m, bool l1_copy)
{
	struct blk *b = xopen(path, BLK_O_RDWR);
	struct qcow2 *q = blk_opaque(b);
	uint64_t cover = q->rct_entries << q->rb_bits, off, size;
	uint64_t left = ALIGN_UP(q->l1_size * 8ULL, q->cs) >> q->cluster_bits;

	if (!l1_copy)
		left = 0;

	size = blk_getlength(b);
	for (off = 0; off < size; off += q->cs << q->l2_bits)
		put(b, m, off, 512);
	for (off = 0; (q->host_end >> q->cluster_bits) + left < cover;
	     off += 512) {
		uint64_t e, run;

		if (off >= size)
			fail_msg("no room below the refcount table's end");
		assert_int_equal(qcow2_get_entry(q, off, 512, &e, &run), 0);
		if (!e)
			put(b, m, off, 512);
	}
	assert_int_equal((q->host_end >> q->cluster_bits) + left, cover);
	blk_close(b);
}

/* Where the refcount table of @path is (to see that it moved). */
static uint64_t rct_offset(const char *path)
{
	struct blk *b = xopen(path, 0);
	uint64_t off = ((struct qcow2 *)blk_opaque(b))->rct_offset;

	blk_close(b);
	return off;
}

/* Snapshot create where the snapshot table's allocation makes the
 * refcount table grow (which rewrites the header on the way). */
static void test_snap_create_grow(void **st)
{
	const uint64_t size = 9 * MiB;
	uint8_t *m = calloc(1, size), *s1;
	uint64_t rct;

	(void)st;
	rs = 21;
	pc_begin("snapgrow");
	create("g.qcow2", "qcow2", size, 512, NULL, NULL);
	fill_to_rct_end("g.qcow2", m, true);
	rct = rct_offset("g.qcow2");
	s1 = malloc(size);
	memcpy(s1, m, size);
	pc_track("g.qcow2");
	pc_record();
	ack1("g.qcow2", m, size);
	img(cmd_snapshot, "snapshot", "-c", "s1", "g.qcow2", NULL);
	{
		struct pc_view v[] = { { "g.qcow2", NULL, m, size },
				       { "g.qcow2", "s1", s1, size } };

		pc_ack(v, 2);
	}
	assert_int_not_equal(rct_offset("g.qcow2"), rct); /* it grew */
	free(m);
	free(s1);
	finish("snapshot-create-grow", true);
}

/* Snapshot delete where the new table's allocation makes the refcount
 * table grow. */
static void test_snap_delete_grow(void **st)
{
	const uint64_t size = 9 * MiB;
	uint8_t *m = calloc(1, size), *s1 = malloc(size), *s2 = malloc(size);
	struct blk *b;
	uint64_t rct;

	(void)st;
	rs = 22;
	pc_begin("snapdelgrow");
	create("g.qcow2", "qcow2", size, 512, NULL, NULL);
	b = xopen("g.qcow2", BLK_O_RDWR);
	put(b, m, 0, 32 * KiB);
	blk_close(b);
	img(cmd_snapshot, "snapshot", "-c", "s1", "g.qcow2", NULL);
	memcpy(s1, m, size);
	b = xopen("g.qcow2", BLK_O_RDWR);
	put(b, m, 0, 8 * KiB);
	blk_close(b);
	img(cmd_snapshot, "snapshot", "-c", "s2", "g.qcow2", NULL);
	memcpy(s2, m, size);
	fill_to_rct_end("g.qcow2", m, false);
	rct = rct_offset("g.qcow2");
	pc_track("g.qcow2");
	pc_record();
	{
		struct pc_view v[] = { { "g.qcow2", NULL, m, size },
				       { "g.qcow2", "s2", s2, size },
				       { "g.qcow2", "s1", s1, size } };

		pc_ack(v, 3);
		img(cmd_snapshot, "snapshot", "-d", "s1", "g.qcow2", NULL);
		pc_ack(v, 2);
	}
	assert_int_not_equal(rct_offset("g.qcow2"), rct); /* it grew */
	free(m);
	free(s1);
	free(s2);
	finish("snapshot-delete-grow", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_snap_create),
		cmocka_unit_test(test_snap_create_grow),
		cmocka_unit_test(test_snap_delete),
		cmocka_unit_test(test_snap_delete_grow),
		cmocka_unit_test(test_snap_revert),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_rebase),
		cmocka_unit_test(test_amend),
		cmocka_unit_test(test_refcount_growth),
	};

	wirt_set_progname("test_powercut");
	if (system("qemu-img --version >/dev/null 2>&1")) {
		fprintf(stderr,
			"test_powercut: qemu-img is missing, which checks every crash state; install it with 'tools/deps check'\n");
		return 1;
	}
	if (getenv("POWERCUT_ONLY")) /* e.g. POWERCUT_ONLY=test_amend */
		cmocka_set_test_filter(getenv("POWERCUT_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
