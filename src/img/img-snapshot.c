// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img snapshot and bench. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "img/img.h"

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "pattern", required_argument, NULL, 'P' },
	{ "flush-interval", required_argument, NULL, 'F' },
	{ "no-drain", no_argument, NULL, 'D' },
	{ NULL, 0, NULL, 0 },
};

int cmd_snapshot(int argc, char **argv)
{
	const char *fmt = NULL, *name = NULL;
	char op = 0;
	struct blk_snapshot *list;
	struct blk *b;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "f:la:c:d:qUh", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'f':
			fmt = optarg;
			break;
		case 'l':
		case 'a':
		case 'c':
		case 'd':
			if (op) {
				wirt_err(
					"snapshot takes one of -l, -a, -c, -d");
				return 1;
			}
			op = c;
			name = optarg;
			break;
		case 'q':
		case 'U':
			break;
		default:
			wirt_err(
				"usage: wirt-img snapshot [-l | -a name | -c name | -d name] filename");
			return 1;
		}
	}
	if (optind != argc - 1) {
		wirt_err("snapshot needs one image file name");
		return 1;
	}
	if (!op)
		op = 'l';
	b = img_open(argv[optind], fmt,
		     BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN |
			     (op == 'l' ? 0 : BLK_O_RDWR));
	if (!b)
		return 1;
	if (blk_get_format(b) != BLK_FMT_QCOW2) {
		wirt_err("'%s' is %s; only qcow2 has internal snapshots",
			 argv[optind], blk_format_name(blk_get_format(b)));
		blk_close(b);
		return 1;
	}
	switch (op) {
	case 'l':
		ret = blk_snapshot_list(b, &list);
		if (ret > 0) {
			printf("Snapshot list:\n");
			img_print_snapshots(list, ret);
		}
		blk_snapshot_list_free(list, ret);
		if (ret < 0) {
			wirt_err("cannot list the snapshots of '%s': %s",
				 argv[optind], blk_last_error());
			blk_close(b);
			return 1;
		}
		ret = 0;
		break;
	case 'c':
		ret = blk_snapshot_create(b, name, 0);
		break;
	case 'a':
		ret = blk_snapshot_apply(b, name, 0);
		break;
	case 'd':
		ret = blk_snapshot_delete(b, name, 0);
		break;
	}
	if (ret < 0)
		wirt_err("snapshot %s '%s' on '%s' failed: %s",
			 op == 'c' ? "create" :
			 op == 'a' ? "apply" :
				     "delete",
			 name, argv[optind], blk_last_error());
	if (blk_close(b) < 0 && !ret) {
		wirt_err("%s", blk_last_error());
		ret = -1;
	}
	return ret ? 1 : 0;
}

struct bench {
	struct blk *b;
	uint64_t count, start, step, size, bufsize;
	bool write;
	uint8_t pattern;
	atomic_ullong next;
	atomic_int err;
};

static void *bench_worker(void *arg)
{
	struct bench *B = arg;
	uint8_t *buf = aligned_alloc(4096, ALIGN_UP(B->bufsize, 4096));

	if (!buf) {
		B->err = -ENOMEM;
		return NULL;
	}
	memset(buf, B->pattern, B->bufsize);
	for (;;) {
		uint64_t i = atomic_fetch_add(&B->next, 1), off;
		int ret;

		if (i >= B->count || B->err)
			break;
		off = (B->start + (unsigned __int128)i * B->step) %
		      (B->size - B->bufsize + 1);
		off = ALIGN_DOWN(off, 512);
		ret = B->write ? blk_pwrite(B->b, off, buf, B->bufsize) :
				 blk_pread(B->b, off, buf, B->bufsize);
		if (ret < 0) {
			B->err = ret;
			break;
		}
	}
	free(buf);
	return NULL;
}

int cmd_bench(int argc, char **argv)
{
	struct bench B = { .count = 75000, .bufsize = 4096 };
	const char *fmt = NULL;
	uint64_t depth = 64, v;
	bool step_set = false;
	pthread_t th[16];
	struct timespec t0, t1;
	unsigned nt;
	int c;

	while ((c = getopt_long(argc, argv, "c:d:f:ni:o:qs:S:t:wUh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'd':
		case 'o':
		case 's':
		case 'S':
			if (parse_size(optarg, &v) < 0) {
				wirt_err("bad number '%s' for -%c", optarg, c);
				return 1;
			}
			if (c == 'c')
				B.count = v;
			else if (c == 'd')
				depth = v;
			else if (c == 'o')
				B.start = v;
			else if (c == 's')
				B.bufsize = v;
			else {
				B.step = v;
				step_set = true;
			}
			break;
		case 'f':
			fmt = optarg;
			break;
		case 'w':
			B.write = true;
			break;
		case 'P':
			B.pattern = strtoul(optarg, NULL, 0);
			break;
		case 'n':
		case 'i':
		case 'q':
		case 't':
		case 'U':
		case 'F':
		case 'D':
			break;
		default:
			wirt_err(
				"usage: wirt-img bench [-c count] [-d depth] [-f fmt] [-o offset] [-s size] [-S step] [-w] filename");
			return 1;
		}
	}
	if (optind != argc - 1 || !B.bufsize || !depth) {
		wirt_err("bench needs one image file name and non-zero -s, -d");
		return 1;
	}
	if (!step_set)
		B.step = B.bufsize;
	B.b = img_open(argv[optind], fmt, B.write ? BLK_O_RDWR : 0);
	if (!B.b)
		return 1;
	B.size = blk_getlength(B.b);
	if (B.size < B.bufsize) {
		wirt_err("'%s' is smaller than one request", argv[optind]);
		blk_close(B.b);
		return 1;
	}
	/* depth is emulated by threads; more than two per CPU only contend */
	nt = MIN(depth, ARRAY_SIZE(th));
	nt = MIN(nt, 2 * MAX(1L, sysconf(_SC_NPROCESSORS_ONLN)));
	printf("Sending %llu %s requests, %llu bytes each, %llu in parallel (starting at offset %llu, step size %llu)\n",
	       (unsigned long long)B.count, B.write ? "write" : "read",
	       (unsigned long long)B.bufsize, (unsigned long long)depth,
	       (unsigned long long)B.start, (unsigned long long)B.step);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, bench_worker, &B);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	/* like qemu-img bench, the final flush (at close) is not timed */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (B.err) {
		wirt_err("bench on '%s' failed: %s", argv[optind],
			 blk_last_error());
		blk_close(B.b);
		return 1;
	}
	printf("Run completed in %.3f seconds.\n",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return blk_close(B.b) < 0 ? 1 : 0;
}
