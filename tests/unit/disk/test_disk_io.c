// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: opening disks (errors, OFD locks, format probing) and I/O
 * through the io_uring and worker-thread engines, on real files.
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
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/blk.h"
#include "vmm/disk/disk.h"
#include "../../lib/unit-tmpdir.h"

#define MB (1024 * 1024)

static char dir[64];
static char err[DISK_ERR_LEN];

/* A path in the test directory (static buffer, one at a time per slot). */
static const char *tpath(int slot, const char *name)
{
	static char p[4][128];

	snprintf(p[slot], sizeof(p[slot]), "%s/%s", dir, name);
	return p[slot];
}

/* Create a file of size bytes filled with a byte pattern. */
static void make_file(const char *path, size_t size, int mode)
{
	uint8_t *buf = malloc(size);
	size_t i;
	int fd;

	for (i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	chmod(path, mode);
	free(buf);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/var/tmp/wirt-disk-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

/* Parse spec and open it; returns disk_open's result. */
static int open_spec(struct disk **d, const char *spec, unsigned int depth)
{
	struct disk_opts o;
	int r;

	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	r = disk_open(d, &o, depth, err, sizeof(err));
	disk_opts_free(&o);
	return r;
}

static int done_count;

static void on_done(struct disk_io *io, int ret)
{
	io->ret = ret;
	done_count++;
}

/* Submit n ios, kick, and reap until all are done. */
static void run_ios(struct disk *d, struct disk_io *ios, unsigned int n)
{
	struct pollfd pfd = { .fd = disk_event_fd(d), .events = POLLIN };
	unsigned int i;
	int spins = 0;

	done_count = 0;
	for (i = 0; i < n; i++) {
		ios[i].done = on_done;
		disk_submit(d, &ios[i]);
	}
	disk_kick(d);
	while (done_count < (int)n) {
		assert_true(++spins < 1000);
		poll(&pfd, 1, 1000);
		disk_complete(d);
	}
	assert_int_equal(disk_inflight(d), 0);
}

/* One read or write over a single buffer; returns the io's result. */
static int rw(struct disk *d, enum disk_op op, uint64_t off, void *buf,
	      size_t len)
{
	struct iovec v = { buf, len };
	struct disk_io io = { .op = op, .off = off, .iov = &v, .niov = 1 };

	run_ios(d, &io, 1);
	return io.ret;
}

static int range_op(struct disk *d, enum disk_op op, uint64_t off, uint64_t len,
		    unsigned int flags)
{
	struct disk_io io = {
		.op = op, .off = off, .len = len, .flags = flags
	};

	run_ios(d, &io, 1);
	return io.ret;
}

static void test_open_errors(void **state)
{
	struct disk *d = NULL;
	char want[256];

	snprintf(want, sizeof(want), "disk '%s': No such file or directory",
		 tpath(0, "missing.img"));
	assert_int_equal(open_spec(&d, "path=/nonexistent", 0), -ENOENT);
	snprintf(want, sizeof(want),
		 "disk '/nonexistent': No such file or directory");
	assert_string_equal(err, want);

	assert_int_equal(open_spec(&d, "path=/var/tmp", 0), -EISDIR);
	assert_non_null(strstr(err, "is a directory"));

	make_file(tpath(0, "ro.img"), MB, 0444);
	snprintf(want, sizeof(want), "path=%s", tpath(0, "ro.img"));
	assert_int_equal(open_spec(&d, want, 0), -EACCES);
	assert_non_null(strstr(err, "add readonly=on"));
	assert_null(strchr(err, '\n'));

	snprintf(want, sizeof(want), "path=%s,readonly=on,format=raw",
		 tpath(0, "ro.img"));
	assert_int_equal(open_spec(&d, want, 0), 0);
	assert_true(d->readonly);
	assert_int_equal(d->size, MB);
	disk_close(d);

	snprintf(want, sizeof(want), "path=%s,format=qcow2,readonly=on",
		 tpath(0, "ro.img"));
	assert_int_equal(open_spec(&d, want, 0), -EINVAL);
	assert_non_null(strstr(err, "is not a qcow2 image"));
}

/* A child process tries to open spec: returns its disk_open result. */
static int open_in_child(const char *spec)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		struct disk *d;
		int r = open_spec(&d, spec, 0);

		if (!r)
			disk_close(d);
		_exit(r == -EBUSY ? 1 : r == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WEXITSTATUS(st) == 1 ? -EBUSY : WEXITSTATUS(st) ? -EIO : 0;
}

static void test_locks(void **state)
{
	struct disk *a, *b, *c;
	char rw_spec[200], ro_spec[200], want[200];

	make_file(tpath(0, "lock.img"), MB, 0644);
	snprintf(rw_spec, sizeof(rw_spec), "path=%s,format=raw",
		 tpath(0, "lock.img"));
	snprintf(ro_spec, sizeof(ro_spec), "path=%s,format=raw,readonly=on",
		 tpath(0, "lock.img"));
	snprintf(want, sizeof(want),
		 "disk '%s' is in use by another process (locked)",
		 tpath(0, "lock.img"));

	assert_int_equal(open_spec(&a, rw_spec, 0), 0);
	assert_int_equal(open_in_child(rw_spec), -EBUSY);
	assert_int_equal(open_in_child(ro_spec), -EBUSY);
	assert_int_equal(open_spec(&b, rw_spec, 0), -EBUSY);
	assert_string_equal(err, want);
	disk_close(a);

	/* readers share; a writer is refused while they hold it */
	assert_int_equal(open_spec(&a, ro_spec, 0), 0);
	assert_int_equal(open_spec(&b, ro_spec, 0), 0);
	assert_int_equal(open_in_child(ro_spec), 0);
	assert_int_equal(open_spec(&c, rw_spec, 0), -EBUSY);
	assert_int_equal(open_in_child(rw_spec), -EBUSY);
	disk_close(a);
	disk_close(b);
	assert_int_equal(open_in_child(rw_spec), 0);
}

static void test_probe(void **state)
{
	struct disk *d;
	char spec[200];
	struct blk_create_opts co = { .size = 4 * MB };

	make_file(tpath(0, "probe.img"), MB, 0644);
	snprintf(spec, sizeof(spec), "path=%s", tpath(0, "probe.img"));
	assert_int_equal(open_spec(&d, spec, 0), 0);
	assert_int_equal(d->format, BLK_FMT_RAW);
	assert_true(d->probed_raw);
	assert_true(disk_restrict_block0(d, "QFI\xfb", 4));
	assert_false(disk_restrict_block0(d, "\0\0\0\0", 4));
	disk_close(d);

	snprintf(spec, sizeof(spec), "path=%s,format=raw",
		 tpath(0, "probe.img"));
	assert_int_equal(open_spec(&d, spec, 0), 0);
	assert_false(disk_restrict_block0(d, "QFI\xfb", 4));
	disk_close(d);

	assert_int_equal(
		blk_create(tpath(0, "probe.qcow2"), BLK_FMT_QCOW2, &co), 0);
	snprintf(spec, sizeof(spec), "path=%s", tpath(0, "probe.qcow2"));
	assert_int_equal(open_spec(&d, spec, 0), 0);
	assert_int_equal(d->format, BLK_FMT_QCOW2);
	assert_int_equal(d->size, 4 * MB);
	assert_non_null(d->blk);
	disk_close(d);
}

/* Check bytes [off, off+len) of path equal buf. */
static void expect_file(const char *path, uint64_t off, const void *buf,
			size_t len)
{
	uint8_t *got = malloc(len);
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, len, off), (ssize_t)len);
	assert_memory_equal(got, buf, len);
	close(fd);
	free(got);
}

/* Writes and reads with several iovecs, at offsets, through the engine. */
static void rw_roundtrip(struct disk *d, const char *path, bool check_file,
			 size_t misalign)
{
	uint8_t *wbuf = aligned_alloc(4096, 3 * 65536 + 4096);
	uint8_t *rbuf = aligned_alloc(4096, 3 * 65536 + 4096);
	struct iovec wv[3], rv[3];
	struct disk_io io;
	size_t i;

	for (i = 0; i < 3 * 65536 + 4096; i++)
		wbuf[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
	memset(rbuf, 0xee, 3 * 65536 + 4096);
	for (i = 0; i < 3; i++) {
		wv[i].iov_base = wbuf + misalign + i * 65536;
		wv[i].iov_len = 65536;
		rv[i].iov_base = rbuf + misalign + i * 65536;
		rv[i].iov_len = 65536;
	}
	io = (struct disk_io){
		.op = DISK_WRITE, .off = 8192, .iov = wv, .niov = 3
	};
	run_ios(d, &io, 1);
	assert_int_equal(io.ret, 0);
	io = (struct disk_io){
		.op = DISK_READ, .off = 8192, .iov = rv, .niov = 3
	};
	run_ios(d, &io, 1);
	assert_int_equal(io.ret, 0);
	assert_memory_equal(rbuf + misalign, wbuf + misalign, 3 * 65536);
	assert_int_equal(range_op(d, DISK_FLUSH, 0, 0, 0), 0);
	if (check_file)
		expect_file(path, 8192, wbuf + misalign, 3 * 65536);
	free(wbuf);
	free(rbuf);
}

/* Discard and write-zeroes leave zeroes; discard frees blocks on files. */
static void zero_ops(struct disk *d, const char *path)
{
	uint8_t *buf = calloc(1, MB), *zero = calloc(1, MB);
	struct stat before, after;

	memset(buf, 0xab, MB);
	assert_int_equal(rw(d, DISK_WRITE, MB, buf, MB), 0);
	assert_int_equal(range_op(d, DISK_FLUSH, 0, 0, 0), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(range_op(d, DISK_DISCARD, MB, MB, 0), 0);
	assert_int_equal(stat(path, &after), 0);
	if (!d->blk) {
		/* raw: the hole is punched and reads as zeroes */
		assert_true(after.st_blocks < before.st_blocks);
		assert_int_equal(rw(d, DISK_READ, MB, buf, MB), 0);
		assert_memory_equal(buf, zero, MB);
	}

	memset(buf, 0xcd, MB);
	assert_int_equal(rw(d, DISK_WRITE, 2 * MB, buf, MB), 0);
	assert_int_equal(range_op(d, DISK_WRITE_ZEROES, 2 * MB, 65536, 0), 0);
	assert_int_equal(range_op(d, DISK_WRITE_ZEROES, 2 * MB + 65536, 65536,
				  DISK_F_UNMAP),
			 0);
	assert_int_equal(rw(d, DISK_READ, 2 * MB, buf, MB), 0);
	assert_memory_equal(buf, zero, 131072);
	assert_int_equal(buf[131072], 0xcd);
	assert_int_equal(buf[MB - 1], 0xcd);
	free(buf);
	free(zero);
}

static void test_uring_buffered(void **state)
{
	const char *p = tpath(0, "buf.img");
	struct disk *d;
	char spec[200];

	make_file(p, 4 * MB, 0644);
	snprintf(spec, sizeof(spec), "path=%s,format=raw", p);
	assert_int_equal(open_spec(&d, spec, 16), 0);
	assert_null(d->blk);
	assert_false(d->direct);
	rw_roundtrip(d, p, true, 0);
	rw_roundtrip(d, p, true, 3); /* odd buffers are fine without O_DIRECT */
	zero_ops(d, p);
	disk_close(d);
}

static void test_uring_direct(void **state)
{
	const char *p = tpath(0, "direct.img");
	struct disk *d;
	char spec[200];

	make_file(p, 4 * MB, 0644);
	snprintf(spec, sizeof(spec), "path=%s,format=raw,cache=none", p);
	assert_int_equal(open_spec(&d, spec, 16), 0);
	assert_true(d->direct);
	assert_true(d->align >= 512);
	assert_int_equal(d->align & (d->align - 1), 0);
	rw_roundtrip(d, p, true, 0);
	rw_roundtrip(d, p, true, 1); /* through the bounce buffer */
	rw_roundtrip(d, p, true, 512 + 8);
	zero_ops(d, p);
	disk_close(d);
}

/* Many more requests than ring entries: the backlog drains in order. */
static void test_uring_backlog(void **state)
{
	const char *p = tpath(0, "many.img");
	enum { N = 300 };
	struct disk_io *ios = calloc(N, sizeof(*ios));
	struct iovec *v = calloc(N, sizeof(*v));
	uint8_t *buf = malloc(N * 512), *want = malloc(N * 512);
	struct disk *d;
	char spec[200];
	int i;

	make_file(p, N * 512, 0644);
	snprintf(spec, sizeof(spec), "path=%s,format=raw", p);
	assert_int_equal(open_spec(&d, spec, 8), 0);
	for (i = 0; i < N * 512; i++)
		want[i] = (uint8_t)(i / 512 + 1);
	for (i = 0; i < N; i++) {
		v[i] = (struct iovec){ want + i * 512, 512 };
		ios[i] = (struct disk_io){ .op = DISK_WRITE,
					   .off = i * 512,
					   .iov = &v[i],
					   .niov = 1 };
	}
	run_ios(d, ios, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(ios[i].ret, 0);
		v[i].iov_base = buf + i * 512;
		ios[i] = (struct disk_io){
			.op = DISK_READ, .off = i * 512, .iov = &v[i], .niov = 1
		};
	}
	run_ios(d, ios, N);
	assert_memory_equal(buf, want, N * 512);
	expect_file(p, 0, want, N * 512);
	disk_close(d);
	free(ios);
	free(v);
	free(buf);
	free(want);
}

/* A read past the end of the file fails instead of touching memory. */
static void test_errors_reported(void **state)
{
	const char *p = tpath(0, "small.img");
	uint8_t buf[512];
	struct disk *d;
	char spec[200];

	make_file(p, 4096, 0644);
	snprintf(spec, sizeof(spec), "path=%s,format=raw,readonly=on", p);
	assert_int_equal(open_spec(&d, spec, 0), 0);
	/* the fd is read-only: the kernel refuses the write */
	assert_int_equal(rw(d, DISK_WRITE, 0, buf, 512), -EBADF);
	assert_int_equal(rw(d, DISK_READ, 0, buf, 512), 0);
	assert_int_equal(buf[1], (uint8_t)(1 * 7 + 3));
	disk_close(d);
}

/*
 * cache=none on a qcow2 image: the block library works on the disk's own
 * descriptor (one open of the file), with O_DIRECT cleared, as its
 * requests are not aligned.
 */
static void test_qcow2_cache_none(void **state)
{
	const char *p = tpath(0, "direct.qcow2");
	struct blk_create_opts co = { .size = 4 * MB };
	struct disk *d;
	char spec[200];

	assert_int_equal(blk_create(p, BLK_FMT_QCOW2, &co), 0);
	snprintf(spec, sizeof(spec), "path=%s,cache=none", p);
	assert_int_equal(open_spec(&d, spec, 0), 0);
	assert_int_equal(d->format, BLK_FMT_QCOW2); /* probed */
	assert_non_null(d->blk);
	assert_false(d->direct);
	assert_false(fcntl(d->fd, F_GETFL) & O_DIRECT);
	assert_false(fcntl(blk_fd(d->blk), F_GETFL) & O_DIRECT);
	rw_roundtrip(d, p, false, 3);
	disk_close(d);
}

static void test_qcow2_pool(void **state)
{
	const char *p = tpath(0, "img.qcow2");
	struct blk_create_opts co = { .size = 8 * MB };
	struct disk *d;
	char spec[200];

	assert_int_equal(blk_create(p, BLK_FMT_QCOW2, &co), 0);
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", p);
	assert_int_equal(open_spec(&d, spec, 0), 0);
	assert_non_null(d->blk);
	assert_int_equal(d->size, 8 * MB);
	rw_roundtrip(d, p, false, 0);
	rw_roundtrip(d, p, false, 5);
	zero_ops(d, p);
	disk_close(d);

	/* what was written is there after reopening, read-only */
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2,readonly=on", p);
	assert_int_equal(open_spec(&d, spec, 0), 0);
	{
		uint8_t buf[512];

		assert_int_equal(rw(d, DISK_READ, 2 * MB + MB - 512, buf, 512),
				 0);
		assert_int_equal(buf[511], 0xcd);
	}
	disk_close(d);

	/* marked corrupt: a writable open is refused with one clear line */
	{
		uint8_t inc[8];
		int fd = open(p, O_RDWR);

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, inc, 8, 72), 8);
		inc[7] |= 2; /* incompatible feature "corrupt" */
		assert_int_equal(pwrite(fd, inc, 8, 72), 8);
		close(fd);
	}
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", p);
	assert_int_equal(open_spec(&d, spec, 0), -EUCLEAN);
	assert_non_null(strstr(err, "marked corrupt"));
	assert_non_null(strstr(err, "wirt-img check -r all"));
	assert_null(strchr(err, '\n'));
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2,readonly=on", p);
	assert_int_equal(open_spec(&d, spec, 0), 0);
	disk_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_uring_buffered),
		cmocka_unit_test(test_uring_direct),
		cmocka_unit_test(test_uring_backlog),
		cmocka_unit_test(test_errors_reported),
		cmocka_unit_test(test_qcow2_pool),
		cmocka_unit_test(test_qcow2_cache_none),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
