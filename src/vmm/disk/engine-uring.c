// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The io_uring engine for raw images. One ring per disk, used only from
 * the device's evloop thread: disk_submit() prepares SQEs (or parks the
 * request in a backlog when the ring is full), disk_kick() submits them in
 * one system call, and the ring's registered eventfd wakes the evloop,
 * which reaps CQEs in disk_complete().
 *
 * With O_DIRECT, a request whose offset, lengths or buffers are not
 * aligned as the file needs goes through an aligned bounce buffer.
 */
#include <errno.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/disk/engine.h"

struct uring_eng {
	struct disk_engine base;
	struct io_uring ring;
	unsigned int depth;
	unsigned int in_ring; /* prepared or submitted, not reaped */
	unsigned int unsubmitted; /* prepared since the last kick */
	struct disk_io *backlog, *backlog_tail; /* waiting for ring room */
	struct disk_io *done, *done_tail; /* finished without the ring */
};

static struct uring_eng *ue(struct disk *d)
{
	return (struct uring_eng *)d->eng;
}

static void push(struct disk_io **head, struct disk_io **tail,
		 struct disk_io *io)
{
	io->next = NULL;
	if (*tail)
		(*tail)->next = io;
	else
		*head = io;
	*tail = io;
}

static struct disk_io *pop(struct disk_io **head, struct disk_io **tail)
{
	struct disk_io *io = *head;

	if (io) {
		*head = io->next;
		if (!*head)
			*tail = NULL;
	}
	return io;
}

/* Whether io's offset, buffers and lengths suit O_DIRECT on d. */
static bool aligned(const struct disk *d, const struct disk_io *io)
{
	uintptr_t a = d->align - 1;
	unsigned int i;

	if ((io->off & a) || (io->iolen & a))
		return false;
	for (i = 0; i < io->niov; i++)
		if (((uintptr_t)io->iov[i].iov_base & a) ||
		    (io->iov[i].iov_len & a))
			return false;
	return true;
}

/*
 * Give an unaligned O_DIRECT read or write an aligned bounce buffer (the
 * data copied in for a write). Returns 0 or -ENOMEM.
 */
static int add_bounce(struct disk *d, struct disk_io *io)
{
	size_t len = ALIGN_UP(io->iolen, (size_t)d->align);
	size_t off = 0;
	unsigned int i;

	if (posix_memalign(&io->bounce, MAX(d->align, 512u), len ? len : 512))
		return -ENOMEM;
	io->bounce_len = len;
	if (io->op == DISK_WRITE)
		for (i = 0; i < io->niov; i++) {
			memcpy((char *)io->bounce + off, io->iov[i].iov_base,
			       io->iov[i].iov_len);
			off += io->iov[i].iov_len;
		}
	return 0;
}

/* Copy a bounced read back into the caller's iovecs, free the bounce. */
static void drop_bounce(struct disk_io *io, bool copy)
{
	size_t off = 0;
	unsigned int i;

	if (!io->bounce)
		return;
	if (copy && io->op == DISK_READ)
		for (i = 0; i < io->niov; i++) {
			memcpy(io->iov[i].iov_base, (char *)io->bounce + off,
			       io->iov[i].iov_len);
			off += io->iov[i].iov_len;
		}
	free(io->bounce);
	io->bounce = NULL;
}

/* Prepare one SQE for io; the ring has room (in_ring < depth). */
static void prep(struct disk *d, struct disk_io *io)
{
	struct uring_eng *e = ue(d);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);
	int mode;

	if (!sqe) {
		io_uring_submit(&e->ring);
		e->unsubmitted = 0;
		sqe = io_uring_get_sqe(&e->ring);
	}
	switch (io->op) {
	case DISK_READ:
		if (io->bounce)
			io_uring_prep_read(sqe, d->fd, io->bounce, io->iolen,
					   io->off);
		else
			io_uring_prep_readv(sqe, d->fd, io->iov, io->niov,
					    io->off);
		break;
	case DISK_WRITE:
		if (io->bounce)
			io_uring_prep_write(sqe, d->fd, io->bounce, io->iolen,
					    io->off);
		else
			io_uring_prep_writev(sqe, d->fd, io->iov, io->niov,
					     io->off);
		break;
	case DISK_FLUSH:
		io_uring_prep_fsync(sqe, d->fd, IORING_FSYNC_DATASYNC);
		break;
	case DISK_DISCARD:
		io_uring_prep_fallocate(
			sqe, d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			io->off, io->len);
		break;
	case DISK_WRITE_ZEROES:
		mode = (io->flags & DISK_F_UNMAP) ?
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			       FALLOC_FL_ZERO_RANGE;
		io_uring_prep_fallocate(sqe, d->fd, mode, io->off, io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	e->in_ring++;
	e->unsubmitted++;
}

/* Finish io outside the ring: its done() runs at the next completion. */
static void finish_later(struct disk *d, struct disk_io *io, int ret)
{
	struct uring_eng *e = ue(d);

	io->ret = ret;
	push(&e->done, &e->done_tail, io);
	disk_signal(d);
}

static void uring_submit(struct disk *d, struct disk_io *io)
{
	struct uring_eng *e = ue(d);

	if (io->op == DISK_DISCARD && d->is_blkdev) {
		/* no io_uring discard for block devices on older kernels */
		finish_later(d, io, disk_sync_io(d, io));
		return;
	}
	if ((io->op == DISK_READ || io->op == DISK_WRITE) && d->direct &&
	    !aligned(d, io) && add_bounce(d, io)) {
		finish_later(d, io, -ENOMEM);
		return;
	}
	if (e->in_ring < e->depth && !e->backlog)
		prep(d, io);
	else
		push(&e->backlog, &e->backlog_tail, io);
}

static void uring_kick(struct disk *d)
{
	struct uring_eng *e = ue(d);
	int r;

	if (!e->unsubmitted)
		return;
	r = io_uring_submit(&e->ring);
	if (r >= 0)
		e->unsubmitted = 0;
	/* on -EAGAIN/-EBUSY the SQEs stay queued; completions retry */
}

/* Turn a CQE result into the request's 0/-errno, with fallbacks. */
static int result(struct disk *d, struct disk_io *io, int res)
{
	switch (io->op) {
	case DISK_READ:
	case DISK_WRITE:
		if (res < 0)
			return res;
		/* a short transfer: finish it with plain syscalls */
		if ((size_t)res < io->iolen)
			return disk_sync_io(d, io);
		return 0;
	case DISK_DISCARD:
		return res == -EOPNOTSUPP ? 0 : res;
	case DISK_WRITE_ZEROES:
		if (res == -EOPNOTSUPP || res == -EINVAL || res == -ENODEV)
			return disk_sync_io(d, io);
		return res;
	default:
		return res;
	}
}

/* Run io's callback with ret and account for it. */
static void finish(struct disk *d, struct disk_io *io, int ret)
{
	drop_bounce(io, ret == 0);
	atomic_fetch_sub(&d->eng->inflight, 1);
	disk_dirty_mark(d, io);
	io->done(io, ret);
}

static unsigned int uring_complete(struct disk *d)
{
	struct uring_eng *e = ue(d);
	struct io_uring_cqe *cqe;
	struct disk_io *io;
	unsigned int n = 0;
	uint64_t v;

	(void)!read(d->efd, &v, sizeof(v));
	while (io_uring_peek_cqe(&e->ring, &cqe) == 0) {
		int res = cqe->res;

		io = io_uring_cqe_get_data(cqe);
		io_uring_cqe_seen(&e->ring, cqe);
		e->in_ring--;
		finish(d, io, result(d, io, res));
		n++;
	}
	while ((io = pop(&e->done, &e->done_tail))) {
		finish(d, io, io->ret);
		n++;
	}
	while (e->backlog && e->in_ring < e->depth)
		prep(d, pop(&e->backlog, &e->backlog_tail));
	uring_kick(d);
	return n;
}

static void uring_close(struct disk *d)
{
	struct uring_eng *e = ue(d);

	io_uring_queue_exit(&e->ring);
	free(e);
	d->eng = NULL;
}

static const struct disk_engine_ops uring_ops = {
	.name = "io_uring",
	.submit = uring_submit,
	.kick = uring_kick,
	.complete = uring_complete,
	.close = uring_close,
};

/*
 * io_uring_register(2) on ring: Debian's liburing 2.3 declares
 * io_uring_register_restrictions() and io_uring_enable_rings() but does
 * not export them. Returns 0 or -errno.
 */
static int ring_register(struct io_uring *ring, unsigned int op, void *arg,
			 unsigned int n)
{
	if (syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n) < 0)
		return -errno;
	return 0;
}

int disk_uring_init(struct io_uring *ring, unsigned int depth, int efd)
{
	static const uint8_t ops[] = { IORING_OP_READ,	IORING_OP_READV,
				       IORING_OP_WRITE, IORING_OP_WRITEV,
				       IORING_OP_FSYNC, IORING_OP_FALLOCATE };
	struct io_uring_restriction res[ARRAY_SIZE(ops)];
	bool restricted = true;
	unsigned int i;
	int r;

	memset(res, 0, sizeof(res));
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	r = io_uring_queue_init(depth, ring, IORING_SETUP_R_DISABLED);
	if (r == -EINVAL) { /* before Linux 5.10 */
		restricted = false;
		r = io_uring_queue_init(depth, ring, 0);
	}
	if (r)
		return r;
	r = io_uring_register_eventfd(ring, efd);
	if (!r && restricted)
		r = ring_register(ring, IORING_REGISTER_RESTRICTIONS, res,
				  ARRAY_SIZE(res));
	if (!r && restricted)
		r = ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (r)
		io_uring_queue_exit(ring);
	return r;
}

int disk_uring_start(struct disk *d, unsigned int depth, char *err,
		     size_t errlen)
{
	struct uring_eng *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	depth = MIN(MAX(depth, 8u), 4096u);
	e->depth = depth;
	e->base.ops = &uring_ops;
	r = disk_uring_init(&e->ring, depth, d->efd);
	if (r) {
		free(e);
		snprintf(err, errlen, "disk '%s': cannot set up io_uring: %s",
			 d->opts.path, strerror(-r));
		return r;
	}
	d->eng = &e->base;
	return 0;
}
