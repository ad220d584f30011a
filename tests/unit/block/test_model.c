// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Model-based test of the qcow2 driver: random reads, writes, discards,
 * zero writes, snapshots, flushes and reopens against a qcow2 image and an
 * in-memory raw reference, compared after every step; then a refcount
 * check must find no errors.  Also concurrent writers from several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "block/qcow2.h"
#include "common/util.h"

#define SIZE (1536 * 1024ULL)

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd() & 0xff;
}

static void compare_all(struct blk *b, const uint8_t *model)
{
	uint8_t *buf = malloc(SIZE);

	assert_non_null(buf);
	assert_int_equal(blk_pread(b, 0, buf, SIZE), 0);
	for (uint64_t i = 0; i < SIZE; i++)
		if (buf[i] != model[i])
			fail_msg("mismatch at byte %llu: %02x != %02x",
				 (unsigned long long)i, buf[i], model[i]);
	free(buf);
}

static void check_clean(struct blk *b)
{
	struct qcow2 *q = blk_opaque(b);
	struct blk_check_result r;

	pthread_mutex_lock(&q->lock);
	assert_int_equal(qcow2_flush_meta(q), 0);
	assert_int_equal(qcow2_flush_meta(q), 0);
	assert_int_equal(qcow2_check(q, 0, &r, NULL), 0);
	pthread_mutex_unlock(&q->lock);
	assert_int_equal(r.corruptions, 0);
	assert_int_equal(r.leaks, 0);
}

/* One model run: cluster size @cs, compat @compat, raw backing or not. */
static void run_model(uint32_t cs, int compat, bool backing, uint64_t seed,
		      int steps)
{
	char img[] = "/tmp/wirt-model-XXXXXX", bk[] = "/tmp/wirt-back-XXXXXX";
	struct blk_create_opts o = { .size = SIZE,
				     .cluster_size = cs,
				     .compat = compat };
	uint8_t *model = calloc(1, SIZE), *snap = NULL, *buf = malloc(SIZE);
	uint8_t *base = calloc(1, SIZE);
	struct blk *b;
	int fd;

	rnd_state = seed;
	assert_non_null(model);
	fd = mkstemp(img);
	close(fd);
	if (backing) {
		fd = mkstemp(bk);
		fill(model, SIZE);
		model[0] = 0; /* keep the raw probe quiet */
		memcpy(base, model, SIZE);
		assert_int_equal(pwrite_full(fd, model, SIZE, 0),
				 (ssize_t)SIZE);
		close(fd);
		o.backing_file = bk;
		o.backing_fmt = "raw";
	}
	assert_int_equal(blk_create(img, BLK_FMT_QCOW2, &o), 0);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR), 0);
	for (int s = 0; s < steps; s++) {
		uint64_t op = rnd() % 100, off = rnd() % SIZE;
		uint64_t len =
			1 + rnd() % MIN(SIZE - off, 4 * (uint64_t)cs + 9000);
		struct qcow2 *q = blk_opaque(b);

		if (op < 40) {
			fill(buf, len);
			assert_int_equal(blk_pwrite(b, off, buf, len), 0);
			memcpy(model + off, buf, len);
		} else if (op < 55) {
			assert_int_equal(
				blk_pwrite_zeroes(b, off, len, BLK_Z_MAY_UNMAP),
				0);
			memset(model + off, 0, len);
		} else if (op < 65) {
			off = ALIGN_DOWN(off, cs);
			len = ALIGN_UP(MIN(len, SIZE - off), cs);
			assert_int_equal(blk_discard(b, off, len), 0);
			if (!backing || compat != 2)
				memset(model + off, 0, len);
			else /* v2 has no zero flag: the backing shows */
				memcpy(model + off, base + off, len);
		} else if (op < 72) {
			assert_int_equal(blk_flush(b), 0);
		} else if (op < 76) {
			pthread_mutex_lock(&q->lock);
			if (snap) {
				assert_int_equal(qcow2_snapshot_apply(q, "m"),
						 0);
				assert_int_equal(qcow2_snapshot_delete(q, "m"),
						 0);
				memcpy(model, snap, SIZE);
				free(snap);
				snap = NULL;
			} else {
				assert_int_equal(qcow2_snapshot_create(q, "m"),
						 0);
				snap = malloc(SIZE);
				memcpy(snap, model, SIZE);
			}
			pthread_mutex_unlock(&q->lock);
		} else if (op < 79) {
			assert_int_equal(blk_close(b), 0);
			assert_int_equal(
				blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR),
				0);
			check_clean(b);
		} else {
			assert_int_equal(blk_pread(b, off, buf, len), 0);
			assert_memory_equal(buf, model + off, len);
		}
		compare_all(b, model);
	}
	check_clean(b);
	assert_int_equal(blk_close(b), 0);
	unlink(img);
	if (backing)
		unlink(bk);
	free(model);
	free(base);
	free(snap);
	free(buf);
}

static void test_model_v3_4k(void **state)
{
	run_model(4096, 3, false, 1, 500);
}

static void test_model_v3_512(void **state)
{
	run_model(512, 3, false, 2, 300);
}

static void test_model_v2_64k(void **state)
{
	run_model(65536, 2, false, 3, 300);
}

static void test_model_backing_v3(void **state)
{
	run_model(4096, 3, true, 4, 400);
}

static void test_model_backing_v2(void **state)
{
	run_model(8192, 2, true, 5, 300);
}

struct thr {
	struct blk *b;
	uint8_t *model;
	unsigned id;
};

#define NTHREADS 4

/* Each thread owns interleaved 24 KiB stripes and writes only there. */
static void *writer(void *arg)
{
	struct thr *t = arg;
	uint64_t st = 0x9e3779b97f4a7c15ULL * (t->id + 1);
	uint8_t buf[24 * 1024];

	for (int i = 0; i < 1500; i++) {
		uint64_t stripe, in, len, base;

		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		stripe = (st % (SIZE / sizeof(buf) / NTHREADS)) * NTHREADS +
			 t->id;
		in = (st >> 20) % sizeof(buf);
		len = 1 + (st >> 40) % (sizeof(buf) - in);
		base = stripe * sizeof(buf);
		switch ((st >> 56) % 10) {
		case 0: /* discard whole 4 KiB clusters of the stripe */
			in = ALIGN_DOWN(in, 4096);
			len = ALIGN_UP(len, 4096);
			len = MIN(len, sizeof(buf) - in);
			if (blk_discard(t->b, base + in, len) < 0)
				return (void *)1;
			memset(t->model + base + in, 0, len);
			break;
		case 1:
			if (blk_pwrite_zeroes(t->b, base + in, len, 0) < 0)
				return (void *)1;
			memset(t->model + base + in, 0, len);
			break;
		case 2:
			if (blk_flush(t->b) < 0)
				return (void *)1;
			break;
		default:
			memset(buf, (int)(st >> 8), len);
			if (blk_pwrite(t->b, base + in, buf, len) < 0)
				return (void *)1;
			memcpy(t->model + base + in, buf, len);
		}
	}
	return NULL;
}

/*
 * Run fn on NTHREADS threads against one new qcow2 image (4 KiB clusters)
 * and a zeroed model of its contents, then check that the image reads as
 * the model, checks clean, and still does after a reopen.
 */
static void run_threads(void *(*fn)(void *))
{
	char img[] = "/tmp/wirt-conc-XXXXXX";
	struct blk_create_opts o = { .size = SIZE, .cluster_size = 4096 };
	uint8_t *model = calloc(1, SIZE);
	pthread_t th[NTHREADS];
	struct thr t[NTHREADS];
	struct blk *b;
	void *r;

	close(mkstemp(img));
	assert_int_equal(blk_create(img, BLK_FMT_QCOW2, &o), 0);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, BLK_O_RDWR), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		t[i] = (struct thr){ b, model, i };
		pthread_create(&th[i], NULL, fn, &t[i]);
	}
	for (unsigned i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], &r);
		assert_null(r);
	}
	compare_all(b, model);
	check_clean(b);
	assert_int_equal(blk_close(b), 0);
	assert_int_equal(blk_open(&b, img, BLK_FMT_QCOW2, 0), 0);
	compare_all(b, model);
	blk_close(b);
	unlink(img);
	free(model);
}

static void test_concurrent(void **state)
{
	run_threads(writer);
}

/*
 * Allocating writes on several threads at once: each thread writes runs
 * of whole clusters into clusters of its own (written without the
 * image's lock) and its own quarter of clusters every thread shares
 * (allocated by whichever thread comes first, under the lock), in
 * rounds; a barrier before each group of clusters makes the threads race
 * on the same clusters.
 */
static pthread_barrier_t group_barrier;

static void *alloc_writer(void *arg)
{
	struct thr *t = arg;
	uint64_t nclus = SIZE / 4096, c, run, q = 4096 / NTHREADS;
	uint8_t buf[4 * 4096];

	for (unsigned round = 0; round < 3; round++) {
		for (c = 0; c + 8 <= nclus; c += 8) {
			/* clusters c..c+7: 0-3 shared, 4-7 one thread's run */
			uint64_t base = c * 4096;

			pthread_barrier_wait(&group_barrier);
			for (unsigned k = 0; k < 4; k++) {
				uint64_t off = base + k * 4096 + t->id * q;

				memset(buf, (int)(0x10 * round + t->id + k), q);
				if (blk_pwrite(t->b, off, buf, q) < 0)
					return (void *)1;
				memcpy(t->model + off, buf, q);
			}
			if ((c / 8) % NTHREADS != t->id)
				continue;
			run = 1 + (c / 8 + round) % 4;
			memset(buf, (int)(0x80 + round + c), run * 4096);
			if (blk_pwrite(t->b, base + 4 * 4096, buf, run * 4096) <
			    0)
				return (void *)1;
			memcpy(t->model + base + 4 * 4096, buf, run * 4096);
		}
	}
	return NULL;
}

static void test_concurrent_alloc(void **state)
{
	pthread_barrier_init(&group_barrier, NULL, NTHREADS);
	run_threads(alloc_writer);
	pthread_barrier_destroy(&group_barrier);
}

/* preadv/pwritev split differently must agree with plain reads. */
static void test_iov(void **state)
{
	const enum blk_format fmts[] = { BLK_FMT_RAW, BLK_FMT_QCOW2 };

	for (int f = 0; f < 2; f++) {
		char img[] = "/tmp/wirt-iov-XXXXXX";
		struct blk_create_opts o = { .size = 1 * MiB,
					     .cluster_size = 4096 };
		uint8_t a[5000], c[3000], d[9000], all[17000];
		struct iovec w[3] = { { a, sizeof(a) },
				      { c, sizeof(c) },
				      { d, sizeof(d) } };
		struct iovec r[2] = { { all, 7 },
				      { all + 7, sizeof(all) - 7 } };
		struct blk *b;

		rnd_state = 77 + f;
		fill(a, sizeof(a));
		fill(c, sizeof(c));
		fill(d, sizeof(d));
		close(mkstemp(img));
		assert_int_equal(blk_create(img, fmts[f], &o), 0);
		assert_int_equal(blk_open(&b, img, fmts[f], BLK_O_RDWR), 0);
		assert_int_equal(blk_pwritev(b, 4000, w, 3), 0);
		assert_int_equal(blk_preadv(b, 4000, r, 2), 0);
		assert_memory_equal(all, a, sizeof(a));
		assert_memory_equal(all + 5000, c, sizeof(c));
		assert_memory_equal(all + 8000, d, sizeof(d));
		/* past the end: refused as a whole */
		assert_int_equal(blk_preadv(b, 1 * MiB - 100, r, 2), -EINVAL);
		assert_int_equal(blk_close(b), 0);
		unlink(img);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_v3_4k),
		cmocka_unit_test(test_model_v3_512),
		cmocka_unit_test(test_model_v2_64k),
		cmocka_unit_test(test_model_backing_v3),
		cmocka_unit_test(test_model_backing_v2),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_concurrent_alloc),
		cmocka_unit_test(test_iov),
	};

	wirt_set_progname("test_block_model");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
