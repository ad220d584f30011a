// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash test helper for tests/img/run.
 *   img_crashwriter write IMAGE SEED   write rounds of random data for ever,
 *                                      printing "flushed N" after round N's
 *                                      flush returned
 *   img_crashwriter verify IMAGE SEED N  replay rounds 0..N in memory and
 *                                      check the image holds them (bytes
 *                                      touched by round N+1 may hold either)
 * Exit 0 on success, 1 on a mismatch or error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/blk.h"
#include "common/util.h"

#define WRITES_PER_ROUND 24

struct w {
	uint64_t off, len;
	uint8_t val;
	int kind; /* 0 data, 1 zeroes */
};

static uint64_t st;

static uint64_t rnd(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return st;
}

/* Request @i of round @r (deterministic from seed, round, index). */
static void req(uint64_t seed, uint64_t r, int i, uint64_t size, struct w *w)
{
	st = seed * 0x9e3779b97f4a7c15ULL + r * 1000003 + i + 1;
	for (int k = 0; k < 4; k++)
		rnd();
	w->off = rnd() % size;
	w->len = 1 + rnd() % MIN(size - w->off, 192 * 1024);
	w->val = 1 + rnd() % 255;
	w->kind = rnd() % 8 == 0;
}

static int do_write(const char *path, uint64_t seed)
{
	struct blk *b;
	uint8_t *buf = malloc(192 * 1024);

	if (!buf || blk_open(&b, path, BLK_FMT_QCOW2, BLK_O_RDWR) < 0) {
		fprintf(stderr, "img_crashwriter: %s\n", blk_last_error());
		return 1;
	}
	for (uint64_t r = 0;; r++) {
		for (int i = 0; i < WRITES_PER_ROUND; i++) {
			struct w w;
			int ret;

			req(seed, r, i, blk_getlength(b), &w);
			memset(buf, w.val, w.len);
			ret = w.kind ? blk_pwrite_zeroes(b, w.off, w.len,
							 BLK_Z_MAY_UNMAP) :
				       blk_pwrite(b, w.off, buf, w.len);
			if (ret < 0) {
				fprintf(stderr, "img_crashwriter: %s\n",
					blk_last_error());
				return 1;
			}
		}
		if (blk_flush(b) < 0) {
			fprintf(stderr, "img_crashwriter: %s\n",
				blk_last_error());
			return 1;
		}
		printf("flushed %llu\n", (unsigned long long)r);
		fflush(stdout);
	}
}

static int do_verify(const char *path, uint64_t seed, long long last)
{
	struct blk *b;
	uint64_t size;
	uint8_t *model, *img, *maybe;
	int bad = 0;

	if (blk_open(&b, path, BLK_FMT_QCOW2, 0) < 0) {
		fprintf(stderr, "img_crashwriter: %s\n", blk_last_error());
		return 1;
	}
	size = blk_getlength(b);
	model = calloc(1, size);
	img = malloc(size);
	maybe = calloc(1, size);
	if (!model || !img || !maybe || blk_pread(b, 0, img, size) < 0) {
		fprintf(stderr, "img_crashwriter: cannot read %s\n", path);
		return 1;
	}
	for (long long r = 0; r <= last + 1; r++) {
		for (int i = 0; i < WRITES_PER_ROUND; i++) {
			struct w w;

			req(seed, r, i, size, &w);
			if (r <= last)
				memset(model + w.off, w.kind ? 0 : w.val,
				       w.len);
			else
				memset(maybe + w.off, 1, w.len);
		}
	}
	for (uint64_t i = 0; i < size && bad < 5; i++) {
		if (!maybe[i] && img[i] != model[i]) {
			fprintf(stderr,
				"byte %llu is %02x, expected %02x (flushed round %lld)\n",
				(unsigned long long)i, img[i], model[i], last);
			bad++;
		}
	}
	blk_close(b);
	free(model);
	free(img);
	free(maybe);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t seed;

	if (argc < 4 || parse_uint(argv[3], 0, UINT64_MAX, &seed) < 0) {
		fprintf(stderr,
			"usage: img_crashwriter write|verify IMAGE SEED [ROUND]\n");
		return 1;
	}
	if (!strcmp(argv[1], "write"))
		return do_write(argv[2], seed);
	if (!strcmp(argv[1], "verify") && argc == 5)
		return do_verify(argv[2], seed, atoll(argv[4]));
	fprintf(stderr,
		"usage: img_crashwriter write|verify IMAGE SEED [ROUND]\n");
	return 1;
}
