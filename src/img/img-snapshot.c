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

/* What `snapshot` does. */
enum snap_op { SNAP_LIST, SNAP_CREATE, SNAP_APPLY, SNAP_DELETE };

/* Parse snapshot's options into *a, *op and *name; 0 or an exit status. */
static int snapshot_opts(int argc, char **argv, struct img_args *a,
			 enum snap_op *op, const char **name)
{
	bool have = false;
	enum snap_op o;
	int c;

	while ((c = img_getopt(argc, argv, "f:la:c:d:qUh", a)) != -1) {
		switch (c) {
		case 'l':
			o = SNAP_LIST;
			break;
		case 'a':
			o = SNAP_APPLY;
			break;
		case 'c':
			o = SNAP_CREATE;
			break;
		case 'd':
			o = SNAP_DELETE;
			break;
		default:
			return img_usage("snapshot", c);
		}
		if (have) {
			wirt_err("snapshot takes one of -l, -a, -c, -d");
			return 1;
		}
		have = true;
		*op = o;
		*name = optarg;
	}
	if (optind != argc - 1) {
		wirt_err("snapshot needs one image file name");
		return 1;
	}
	return 0;
}

/* Print the snapshot table of @b (at @path); 0 or -errno. */
static int snapshot_list(struct blk *b, const char *path)
{
	struct blk_snapshot *list;
	int n = blk_snapshot_list(b, &list);

	if (n < 0) {
		wirt_err("cannot list the snapshots of '%s': %s", path,
			 blk_last_error());
		return n;
	}
	if (n) {
		printf("Snapshot list:\n");
		img_print_snapshots(list, n);
	}
	blk_snapshot_list_free(list, n);
	return 0;
}

/* Run @op on @b (at @path); 0 or -errno with the error printed. */
static int snapshot_run(struct blk *b, enum snap_op op, const char *name,
			const char *path)
{
	static const char *const verb[] = {
		[SNAP_CREATE] = "create",
		[SNAP_APPLY] = "apply",
		[SNAP_DELETE] = "delete",
	};
	int ret;

	switch (op) {
	case SNAP_LIST:
		return snapshot_list(b, path);
	case SNAP_CREATE:
		ret = blk_snapshot_create(b, name, 0);
		break;
	case SNAP_APPLY:
		ret = blk_snapshot_apply(b, name, 0);
		break;
	default:
		ret = blk_snapshot_delete(b, name, 0);
		break;
	}
	if (ret < 0)
		wirt_err("snapshot %s '%s' on '%s' failed: %s", verb[op], name,
			 path, blk_last_error());
	return ret;
}

int cmd_snapshot(int argc, char **argv)
{
	struct img_args a = { 0 };
	enum snap_op op = SNAP_LIST;
	const char *name = NULL;
	struct blk *b;
	int ret = snapshot_opts(argc, argv, &a, &op, &name);

	if (ret)
		return ret;
	b = img_open(argv[optind], a.fmt,
		     BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN |
			     (op == SNAP_LIST ? 0 : BLK_O_RDWR));
	if (!b)
		return 1;
	if (blk_get_format(b) != BLK_FMT_QCOW2) {
		wirt_err("'%s' is %s; only qcow2 has internal snapshots",
			 argv[optind], blk_format_name(blk_get_format(b)));
		blk_close(b);
		return 1;
	}
	ret = snapshot_run(b, op, name, argv[optind]);
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

/* Parse bench's options into *B, *depth and *a; 0 or an exit status. */
static int bench_opts(int argc, char **argv, struct bench *B, uint64_t *depth,
		      struct img_args *a)
{
	bool step_set = false;
	uint64_t v;
	int c;

	while ((c = img_getopt(argc, argv, "c:d:f:ni:o:qs:S:t:wUh", a)) != -1) {
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
				B->count = v;
			else if (c == 'd')
				*depth = v;
			else if (c == 'o')
				B->start = v;
			else if (c == 's')
				B->bufsize = v;
			else {
				B->step = v;
				step_set = true;
			}
			break;
		case 'w':
			B->write = true;
			break;
		case IMG_OPT_PATTERN:
			B->pattern = strtoul(optarg, NULL, 0);
			break;
		case 'n':
		case 'i':
		case 't':
		case IMG_OPT_FLUSH_INTERVAL:
		case IMG_OPT_NO_DRAIN:
			break;
		default:
			return img_usage("bench", c);
		}
	}
	if (optind != argc - 1 || !B->bufsize || !*depth) {
		wirt_err("bench needs one image file name and non-zero -s, -d");
		return 1;
	}
	if (!step_set)
		B->step = B->bufsize;
	return 0;
}

/* Run the requests of *B on up to @depth threads; prints the time. */
static int bench_run(struct bench *B, uint64_t depth, const char *path)
{
	pthread_t th[16];
	struct timespec t0, t1;
	unsigned nt;

	/* depth is emulated by threads; more than two per CPU only contend */
	nt = MIN(depth, ARRAY_SIZE(th));
	nt = MIN(nt, 2 * MAX(1L, sysconf(_SC_NPROCESSORS_ONLN)));
	printf("Sending %llu %s requests, %llu bytes each, %llu in parallel (starting at offset %llu, step size %llu)\n",
	       (unsigned long long)B->count, B->write ? "write" : "read",
	       (unsigned long long)B->bufsize, (unsigned long long)depth,
	       (unsigned long long)B->start, (unsigned long long)B->step);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, bench_worker, B);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	/* like qemu-img bench, the final flush (at close) is not timed */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (B->err) {
		wirt_err("bench on '%s' failed: %s", path, blk_last_error());
		return -1;
	}
	printf("Run completed in %.3f seconds.\n",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench B = { .count = 75000, .bufsize = 4096 };
	struct img_args a = { 0 };
	uint64_t depth = 64;
	int ret = bench_opts(argc, argv, &B, &depth, &a);

	if (ret)
		return ret;
	B.b = img_open(argv[optind], a.fmt, B.write ? BLK_O_RDWR : 0);
	if (!B.b)
		return 1;
	B.size = blk_getlength(B.b);
	if (B.size < B.bufsize) {
		wirt_err("'%s' is smaller than one request", argv[optind]);
		blk_close(B.b);
		return 1;
	}
	if (bench_run(&B, depth, argv[optind]) < 0) {
		blk_close(B.b);
		return 1;
	}
	return blk_close(B.b) < 0 ? 1 : 0;
}
