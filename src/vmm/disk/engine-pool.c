// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The worker-thread engine: the block library's API is synchronous, so
 * qcow2 requests (and raw ones where io_uring is unavailable) run on a few
 * threads. disk_submit() collects requests, disk_kick() hands them to the
 * workers in one batch, a worker runs one with blk_* calls and queues it
 * as done, and the eventfd wakes the evloop, which runs the callbacks in
 * disk_complete().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/blk.h"
#include "common/util.h"
#include "vmm/disk/engine.h"

#define POOL_MAX_THREADS 16

struct pool_eng {
	struct disk_engine base;
	struct disk *d;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct disk_io *todo, *todo_tail; /* for the workers (locked) */
	struct disk_io *done, *done_tail; /* for disk_complete (locked) */
	struct disk_io *batch, *batch_tail; /* until the kick (evloop) */
	bool stop;
	unsigned int nthreads;
	pthread_t th[POOL_MAX_THREADS];
};

static struct pool_eng *pe(struct disk *d)
{
	return (struct pool_eng *)d->eng;
}

static void append(struct disk_io **head, struct disk_io **tail,
		   struct disk_io *io)
{
	io->next = NULL;
	if (*tail)
		(*tail)->next = io;
	else
		*head = io;
	*tail = io;
}

/* Run one request through the block library. Returns 0 or -errno. */
static int run(struct blk *b, struct disk_io *io)
{
	int r;

	switch (io->op) {
	case DISK_READ:
		return blk_preadv(b, io->off, io->iov, io->niov);
	case DISK_WRITE:
		return blk_pwritev(b, io->off, io->iov, io->niov);
	case DISK_FLUSH:
		return blk_flush(b);
	case DISK_DISCARD:
		r = blk_discard(b, io->off, io->len);
		return r == -ENOTSUP || r == -EOPNOTSUPP ? 0 : r;
	case DISK_WRITE_ZEROES:
		return blk_pwrite_zeroes(
			b, io->off, io->len,
			(io->flags & DISK_F_UNMAP) ? BLK_Z_MAY_UNMAP : 0);
	}
	return -EINVAL;
}

/*
 * Run io on d; a write (or write-zeroes, discard) holds d's job lock
 * shared and is reported to a block job's on_write hook once done.
 * Returns 0 or -errno.
 */
static int run_io(struct disk *d, struct disk_io *io)
{
	int r;

	if (io->op == DISK_READ || io->op == DISK_FLUSH)
		return run(d->blk, io);
	pthread_rwlock_rdlock(&d->job_lock);
	r = run(d->blk, io);
	if (d->on_write)
		d->on_write(d->on_write_opaque, io->off,
			    io->op == DISK_WRITE ? io->iolen : io->len);
	pthread_rwlock_unlock(&d->job_lock);
	return r;
}

static void *worker(void *arg)
{
	struct pool_eng *e = arg;
	struct disk_io *io;
	uint64_t one = 1;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->todo && !e->stop)
			pthread_cond_wait(&e->cond, &e->lock);
		if (!e->todo)
			break;
		io = e->todo;
		e->todo = io->next;
		if (!e->todo)
			e->todo_tail = NULL;
		pthread_mutex_unlock(&e->lock);
		io->ret = run_io(e->d, io);
		pthread_mutex_lock(&e->lock);
		append(&e->done, &e->done_tail, io);
		(void)!write(e->d->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static void pool_submit(struct disk *d, struct disk_io *io)
{
	struct pool_eng *e = pe(d);

	append(&e->batch, &e->batch_tail, io);
}

static void pool_kick(struct disk *d)
{
	struct pool_eng *e = pe(d);

	if (!e->batch)
		return;
	pthread_mutex_lock(&e->lock);
	if (e->todo_tail)
		e->todo_tail->next = e->batch;
	else
		e->todo = e->batch;
	e->todo_tail = e->batch_tail;
	e->batch = e->batch_tail = NULL;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

static unsigned int pool_complete(struct disk *d)
{
	struct pool_eng *e = pe(d);
	struct disk_io *io, *next;
	unsigned int n = 0;
	uint64_t v;

	(void)!read(d->efd, &v, sizeof(v));
	pthread_mutex_lock(&e->lock);
	io = e->done;
	e->done = e->done_tail = NULL;
	pthread_mutex_unlock(&e->lock);
	for (; io; io = next, n++) {
		next = io->next;
		atomic_fetch_sub(&d->eng->inflight, 1);
		disk_dirty_mark(d, io);
		io->done(io, io->ret);
	}
	pool_kick(d);
	return n;
}

/* Stop and join the first n workers. */
static void stop_workers(struct pool_eng *e, unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < n; i++)
		pthread_join(e->th[i], NULL);
}

static void pool_close(struct disk *d)
{
	struct pool_eng *e = pe(d);

	stop_workers(e, e->nthreads);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	free(e);
	d->eng = NULL;
}

static const struct disk_engine_ops pool_ops = {
	.name = "threads",
	.submit = pool_submit,
	.kick = pool_kick,
	.complete = pool_complete,
	.close = pool_close,
};

int disk_pool_start(struct disk *d, unsigned int nthreads, char *err,
		    size_t errlen)
{
	struct pool_eng *e = calloc(1, sizeof(*e));
	unsigned int i;
	int r;

	if (!e)
		return -ENOMEM;
	e->d = d;
	e->base.ops = &pool_ops;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	nthreads = MIN(MAX(nthreads, 1u), (unsigned int)POOL_MAX_THREADS);
	for (i = 0; i < nthreads; i++) {
		r = thread_start(&e->th[i], worker, e);
		if (r) {
			stop_workers(e, i);
			pthread_mutex_destroy(&e->lock);
			pthread_cond_destroy(&e->cond);
			free(e);
			snprintf(err, errlen,
				 "disk '%s': cannot start I/O threads: %s",
				 d->opts.path, strerror(-r));
			return r;
		}
	}
	e->nthreads = nthreads;
	d->eng = &e->base;
	return 0;
}
