// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hostile and corrupt qcow2 images against the block library: writes that
 * would land on metadata are refused and mark the image corrupt, check
 * finds wrong COPIED flags on L2 entries and runs in bounded time on
 * tables that repeat one block, and a FIFO as backing file is refused.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "block/qcow2.h"
#include "common/util.h"

#define CS 4096ULL

static char img[64];

/* Header fields and the raw 64-bit word at @off of the image file. */
static uint64_t rd64(uint64_t off)
{
	uint8_t b[8];
	int fd = open(img, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread_full(fd, b, 8, off), 8);
	close(fd);
	return qbe64(b);
}

static void wr64(uint64_t off, uint64_t v)
{
	uint8_t b[8];
	int fd = open(img, O_WRONLY);

	assert_true(fd >= 0);
	qput64(b, v);
	assert_int_equal(pwrite_full(fd, b, 8, off), 8);
	close(fd);
}

static void wr16(uint64_t off, uint16_t v)
{
	uint8_t b[2];
	int fd = open(img, O_WRONLY);

	assert_true(fd >= 0);
	qput16(b, v);
	assert_int_equal(pwrite_full(fd, b, 2, off), 2);
	close(fd);
}

/* A fresh 1 MiB v3 image (4 KiB clusters) with 0x5a in guest [0, 4k). */
static void make_image(void)
{
	struct blk_create_opts o = { .size = 1 << 20,
				     .cluster_size = CS,
				     .compat = 3 };
	uint8_t buf[CS];
	struct blk *b;
	int fd;

	strcpy(img, "/tmp/wirt-hostile-XXXXXX");
	fd = mkstemp(img);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(blk_create(img, BLK_FMT_QCOW2, &o), 0);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR), 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(blk_pwrite(b, 0, buf, CS), 0);
	assert_int_equal(blk_close(b), 0);
}

static uint64_t l1_off(void)
{
	return rd64(40);
}

static uint64_t l2_off(void)
{
	return rd64(l1_off()) & QC_OFFSET_MASK;
}

/* The corrupt bit is set and a read-write open is refused, naming check. */
static void assert_marked_corrupt(void)
{
	struct blk *b;

	assert_true(rd64(72) & QC_INCOMPAT_CORRUPT);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR),
			 -EUCLEAN);
	assert_non_null(strstr(blk_last_error(), "check -r all"));
}

/* A data entry pointing at the L1 table must not let a write wipe it. */
static void test_data_on_l1(void **state)
{
	uint8_t buf[CS], got[CS];
	uint64_t l1e;
	struct blk *b;

	(void)state;
	make_image();
	l1e = rd64(l1_off());
	/* guest cluster 1 "owns" the L1 table's cluster */
	wr64(l2_off() + 8, l1_off() | QC_COPIED);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR), 0);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(blk_pwrite(b, CS, buf, CS), -EIO);
	assert_non_null(strstr(blk_last_error(), "active L1 table"));
	blk_close(b);
	assert_int_equal(rd64(l1_off()), l1e);
	assert_marked_corrupt();
	/* the guest's data is still there for a read-only open */
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, 0), 0);
	assert_int_equal(blk_pread(b, 0, got, CS), 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_memory_equal(got, buf, CS);
	blk_close(b);
	unlink(img);
}

/* An L2 table whose refcount is 0 is never handed out as a data cluster. */
static void test_l2_refcount_zero(void **state)
{
	uint8_t buf[CS], got[CS];
	uint64_t rb, l2, e0;
	struct blk *b;

	(void)state;
	make_image();
	rb = rd64(rd64(48));
	l2 = l2_off();
	e0 = rd64(l2);
	wr16(rb + 2 * (l2 / CS), 0);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR), 0);
	memset(buf, 0x77, sizeof(buf));
	assert_int_equal(blk_pwrite(b, 8 * CS, buf, CS), -EIO);
	assert_non_null(strstr(blk_last_error(), "active L2 table"));
	blk_close(b);
	assert_marked_corrupt();
	/* the L2 table still maps guest cluster 0 */
	assert_int_equal(rd64(l2), e0);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, 0), 0);
	assert_int_equal(blk_pread(b, 0, got, CS), 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_memory_equal(got, buf, CS);
	blk_close(b);
	unlink(img);
}

/* Run check with @repair on the image; returns the result. */
static struct blk_check_result run_check(int repair)
{
	struct blk_check_result r;
	struct qcow2 *q;
	struct blk *b;

	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2,
				  repair ? BLK_O_RDWR | BLK_O_NO_REPAIR : 0),
			 0);
	q = blk_opaque(b);
	pthread_mutex_lock(&q->lock);
	assert_int_equal(qcow2_check(q, repair, &r, NULL), 0);
	pthread_mutex_unlock(&q->lock);
	assert_int_equal(blk_close(b), 0);
	return r;
}

/* A data entry without COPIED (refcount 1) is found and repaired. */
static void test_check_copied_l2(void **state)
{
	struct blk_check_result r;
	uint64_t e;

	(void)state;
	make_image();
	e = rd64(l2_off());
	wr64(l2_off(), e & ~QC_COPIED);
	r = run_check(0);
	assert_int_equal(r.corruptions, 1);
	r = run_check(2);
	assert_int_equal(r.corruptions_fixed, 1);
	r = run_check(0);
	assert_int_equal(r.corruptions, 0);
	assert_int_equal(rd64(l2_off()), e);
	unlink(img);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A refcount table of 2 MiB naming one refcount block 256k times: check
 * must cost in proportion to the file (before: 2^33 refcount lookups).
 */
static void test_check_rct_repeats(void **state)
{
	uint64_t rb, n = (2ULL << 20) / CS, off;
	struct blk_check_result r;
	uint8_t *t = malloc(n * CS);
	struct stat st;
	double t0;
	int fd;

	(void)state;
	make_image();
	rb = rd64(rd64(48));
	assert_non_null(t);
	for (uint64_t i = 0; i < n * CS / 8; i++)
		qput64(t + 8 * i, rb);
	fd = open(img, O_RDWR);
	assert_int_equal(fstat(fd, &st), 0);
	off = ALIGN_UP((uint64_t)st.st_size, CS);
	assert_int_equal(pwrite_full(fd, t, n * CS, off), (ssize_t)(n * CS));
	close(fd);
	free(t);
	wr64(48, off);
	wr64(56, (uint64_t)n << 32 | (rd64(56) & 0xffffffff));
	t0 = now();
	r = run_check(0);
	assert_true(now() - t0 < 20);
	assert_true(r.corruptions > 0);
	unlink(img);
}

/* A FIFO as backing file is refused at once, with its name. */
static void test_fifo_backing(void **state)
{
	char fifo[] = "/tmp/wirt-fifo-XXXXXX", top[] = "/tmp/wirt-top-XXXXXX";
	struct blk_create_opts o = { .size = 1 << 20,
				     .cluster_size = CS,
				     .backing_file = fifo,
				     .backing_fmt = "raw" };
	struct blk *b;
	int fd;

	(void)state;
	fd = mkstemp(fifo);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = mkstemp(top);
	close(fd);
	assert_int_equal(qcow2_create_file(top, &o), 0);
	alarm(30); /* before the fix, the open blocks forever */
	assert_int_equal(blk_open(&b, top, BLK_FMT_QCOW2, 0), -EINVAL);
	alarm(0);
	assert_non_null(strstr(blk_last_error(), "is a FIFO"));
	assert_non_null(strstr(blk_last_error(), fifo));
	unlink(fifo);
	unlink(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_on_l1),
		cmocka_unit_test(test_l2_refcount_zero),
		cmocka_unit_test(test_check_copied_l2),
		cmocka_unit_test(test_check_rct_repeats),
		cmocka_unit_test(test_fifo_backing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
