/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small epoll event loop run by one thread. Devices use one each for
 * their queue notifications (ioeventfds) and backend fds, so a vCPU never
 * does device work and a slow backend never stalls a vCPU.
 */
#ifndef WIRT_VMM_EVLOOP_H
#define WIRT_VMM_EVLOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Called in the loop's thread with the epoll events that fired on fd. */
typedef void (*evloop_fn)(void *opaque, int fd, uint32_t events);

struct evloop;

/* Returns a new, not yet running loop, or NULL (errno set). */
struct evloop *evloop_new(const char *thread_name);

/*
 * evloop_add - watch fd for events (EPOLLIN...) and call fn. Any thread,
 * also while running. Returns 0 or -errno.
 */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
	       void *opaque);

/* evloop_mod - change the events watched on fd. Returns 0 or -errno. */
int evloop_mod(struct evloop *l, int fd, uint32_t events);

/*
 * evloop_del - stop watching fd. From another thread it waits until a
 * callback running for fd has returned. Returns 0 or -errno.
 */
int evloop_del(struct evloop *l, int fd);

/* evloop_start - run the loop in its own thread. Returns 0 or -errno. */
int evloop_start(struct evloop *l);

/* evloop_stop - end the thread (waits for it); the loop can be freed. */
void evloop_stop(struct evloop *l);

void evloop_free(struct evloop *l);

/*
 * evloop_hold/evloop_release - from another thread: wait for a running
 * callback, then keep every callback of l from running until release
 * (a device frozen for a consistent snapshot). evloop_add/mod/del from
 * the holding thread still work.
 */
void evloop_hold(struct evloop *l);
void evloop_release(struct evloop *l);

/* True when called from l's own thread. */
bool evloop_in_thread(const struct evloop *l);

#endif
