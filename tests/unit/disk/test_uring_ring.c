// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the disk engine's io_uring is limited to the operations it
 * submits. io_uring requests bypass seccomp, so an OPENAT, SOCKET or
 * CONNECT request on the ring must be refused (-EACCES) while reads,
 * writes and fsync go through.
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
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/disk/engine.h"

/* Submit the prepared sqe and return its completion's result. */
static int submit_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int r;

	assert_int_equal(io_uring_submit(ring), 1);
	assert_int_equal(io_uring_wait_cqe(ring, &cqe), 0);
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

static void test_ring_ops(void **state)
{
	char path[] = "/tmp/wirt-uring-XXXXXX";
	struct io_uring ring;
	char buf[16] = "hello, ring";
	int fd = mkstemp(path), efd = eventfd(0, EFD_CLOEXEC);
	struct io_uring_sqe *sqe;

	assert_true(fd >= 0 && efd >= 0);
	unlink(path);
	assert_int_equal(disk_uring_init(&ring, 8, efd), 0);

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, sizeof(buf), 0);
	assert_int_equal(submit_one(&ring), sizeof(buf));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	assert_int_equal(submit_one(&ring), 0);
	memset(buf, 0, sizeof(buf));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	assert_int_equal(submit_one(&ring), sizeof(buf));
	assert_string_equal(buf, "hello, ring");

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	assert_int_equal(submit_one(&ring), -EACCES);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_close(sqe, fd);
	assert_int_equal(submit_one(&ring), -EACCES);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, "/tmp/wirt-nonexistent", 0);
	assert_int_equal(submit_one(&ring), -EACCES);

	io_uring_queue_exit(&ring);
	close(efd);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
