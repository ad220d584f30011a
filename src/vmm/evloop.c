// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * epoll event loop in its own thread. Watched fds live in a slot table;
 * epoll carries slot and generation, so an event fetched before an
 * evloop_del() is recognised as stale and dropped. Callbacks run with the
 * loop's lock held, which is how evloop_del() waits for a running one; the
 * lock is recursive so that a callback may itself call evloop_add/mod/del.
 */
#include "vmm/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"

#define EVLOOP_MAX_FDS 64
#define EVLOOP_BATCH 16

struct evslot {
	int fd; /* -1 when free */
	uint32_t gen;
	evloop_fn fn;
	void *opaque;
};

struct evloop {
	int epfd;
	int stop_fd;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	struct evslot slot[EVLOOP_MAX_FDS];
	char name[16];
};

struct evloop *evloop_new(const char *thread_name)
{
	struct evloop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	pthread_mutexattr_t attr;
	unsigned int i;

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stop_fd < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev)) {
		int e = errno;

		evloop_free(l);
		errno = e;
		return NULL;
	}
	/* recursive: a callback may add, change or drop fds of its loop */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&l->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	for (i = 0; i < EVLOOP_MAX_FDS; i++)
		l->slot[i].fd = -1;
	strncpy(l->name, thread_name ? thread_name : "evloop",
		sizeof(l->name) - 1);
	return l;
}

static uint64_t tag(const struct evloop *l, unsigned int i)
{
	return (uint64_t)l->slot[i].gen << 32 | i;
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
	       void *opaque)
{
	struct epoll_event ev = { .events = events };
	unsigned int i;
	int r = -ENOSPC;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < EVLOOP_MAX_FDS; i++)
		if (l->slot[i].fd == fd) {
			r = -EEXIST;
			goto out;
		}
	for (i = 0; i < EVLOOP_MAX_FDS; i++) {
		struct evslot *s = &l->slot[i];

		if (s->fd >= 0)
			continue;
		s->gen++;
		ev.data.u64 = tag(l, i);
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			r = -errno;
			goto out;
		}
		s->fd = fd;
		s->fn = fn;
		s->opaque = opaque;
		r = 0;
		break;
	}
out:
	pthread_mutex_unlock(&l->lock);
	return r;
}

static int find(const struct evloop *l, int fd)
{
	unsigned int i;

	for (i = 0; i < EVLOOP_MAX_FDS; i++)
		if (l->slot[i].fd == fd)
			return i;
	return -1;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int i, r = -ENOENT;

	pthread_mutex_lock(&l->lock);
	i = find(l, fd);
	if (i >= 0) {
		ev.data.u64 = tag(l, i);
		r = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

int evloop_del(struct evloop *l, int fd)
{
	int i, r = -ENOENT;

	/* Taking the lock waits for a callback running in the loop thread. */
	pthread_mutex_lock(&l->lock);
	i = find(l, fd);
	if (i >= 0) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->slot[i].fd = -1;
		l->slot[i].gen++;
		r = 0;
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* Dispatch one event if its slot still holds the same registration. */
static void dispatch(struct evloop *l, const struct epoll_event *ev)
{
	unsigned int i = ev->data.u64 & 0xffffffff;
	struct evslot *s;

	if (i >= EVLOOP_MAX_FDS)
		return;
	pthread_mutex_lock(&l->lock);
	s = &l->slot[i];
	if (s->fd >= 0 &&
	    s->gen == (uint32_t)(ev->data.u64 >> 32))
		s->fn(s->opaque, s->fd, ev->events);
	pthread_mutex_unlock(&l->lock);
}

static void *loop_thread(void *arg)
{
	struct evloop *l = arg;
	struct epoll_event ev[EVLOOP_BATCH];
	int n, i;

	pthread_setname_np(pthread_self(), l->name);
	for (;;) {
		n = epoll_wait(l->epfd, ev, EVLOOP_BATCH, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == UINT64_MAX)
				return NULL;
			dispatch(l, &ev[i]);
		}
	}
	return NULL;
}

int evloop_start(struct evloop *l)
{
	int r = -thread_start(&l->thread, loop_thread, l);

	if (r)
		return -r;
	l->running = true;
	return 0;
}

void evloop_stop(struct evloop *l)
{
	uint64_t one = 1;

	if (!l || !l->running)
		return;
	(void)!write(l->stop_fd, &one, sizeof(one));
	pthread_join(l->thread, NULL);
	l->running = false;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	evloop_stop(l);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->stop_fd >= 0)
		close(l->stop_fd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void evloop_hold(struct evloop *l)
{
	pthread_mutex_lock(&l->lock);
}

void evloop_release(struct evloop *l)
{
	pthread_mutex_unlock(&l->lock);
}

bool evloop_in_thread(const struct evloop *l)
{
	return l->running && pthread_equal(pthread_self(), l->thread);
}
