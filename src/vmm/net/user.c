// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * User-mode networking through libslirp: 10.0.2.0/24, gateway 10.0.2.2
 * (the host's 127.0.0.1), DHCP from 10.0.2.15, DNS announced as 10.0.2.3
 * but never forwarded, host port forwarding into the guest. See filter.c
 * for what the guest may reach.
 *
 * libslirp is driven from the device's evloop thread. Its sockets and its
 * timer live in a private epoll set, which the evloop watches as one fd:
 * when that fires, poll() over the sockets slirp asked for tells it what
 * happened, then the set and the timer are brought up to date.
 */
#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/net/backend.h"

#define USER_RXQ_MAX 256 /* frames kept while the guest has no buffers */

struct utimer {
	struct utimer *next;
	SlirpTimerId id;
	void *cb_opaque;
	SlirpTimerCb cb; /* old-style timers; NULL for slirp_handle_timer */
	int64_t expire_ms; /* -1: not armed */
};

struct uframe {
	size_t len;
	uint8_t data[];
};

struct user {
	struct net_backend b;
	Slirp *slirp;
	int epfd; /* slirp's sockets, the timerfd and the notify eventfd */
	int tfd; /* timerfd */
	int nfd; /* eventfd: slirp asked to be polled again */
	bool watching;
	bool dirty; /* frames went in since the last rearm */
	struct pollfd *pfd; /* as slirp_pollfds_fill asked */
	unsigned int npfd, cap_pfd;
	struct pollfd *reg; /* what epfd holds: fd and events */
	unsigned int nreg, cap_reg;
	struct utimer *timers;
	struct uframe *rxq[USER_RXQ_MAX]; /* frames for the guest, waiting */
	unsigned int rxq_head, rxq_len;
	uint8_t *txbuf; /* a guest frame, made contiguous */
	struct sockaddr_in
		out4; /* outbound bind address: slirp keeps a pointer */
	unsigned int guest_errors;
};

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t cb_clock_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Queue a copy of a frame the guest could not take yet; 0 or -ENOBUFS. */
static int rxq_add(struct user *u, const void *buf, size_t len)
{
	struct uframe *f;

	if (u->rxq_len == USER_RXQ_MAX)
		return -ENOBUFS;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return -ENOBUFS;
	f->len = len;
	memcpy(f->data, buf, len);
	u->rxq[(u->rxq_head + u->rxq_len++) % USER_RXQ_MAX] = f;
	return 0;
}

/*
 * Hand the queued frames to the device while it takes them. Returns true
 * when the queue is empty afterwards.
 */
static bool rxq_flush(struct user *u)
{
	while (u->rxq_len) {
		struct uframe *f = u->rxq[u->rxq_head];

		if (u->b.receive(u->b.opaque, f->data, f->len) == -EAGAIN)
			return false;
		free(f);
		u->rxq_head = (u->rxq_head + 1) % USER_RXQ_MAX;
		u->rxq_len--;
	}
	return true;
}

/* slirp has a frame for the guest. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct user *u = opaque;

	/* keep the order: nothing overtakes frames already waiting */
	if (u->rxq_len && !rxq_flush(u)) {
		rxq_add(u, buf, len);
		return len;
	}
	if (u->b.receive(u->b.opaque, buf, len) == -EAGAIN)
		rxq_add(u, buf, len); /* dropped when full: TCP resends */
	return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct user *u = opaque;

	if (u->guest_errors++ < 5)
		wirt_warn("--net user: the guest sent a bad packet: %s", msg);
}

/* Allocate a timer; cb NULL means slirp_handle_timer(id). */
static struct utimer *timer_alloc(struct user *u, SlirpTimerId id,
				  SlirpTimerCb cb, void *cb_opaque)
{
	struct utimer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = id;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = u->timers;
	u->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_alloc(opaque, 0, cb, cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_alloc(opaque, id, NULL, cb_opaque);
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct user *u = opaque;
	struct utimer **p;

	for (p = &u->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = ((struct utimer *)timer)->next;
			free(timer);
			return;
		}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct utimer *t = timer;
	uint64_t one = 1;

	t->expire_ms = expire_ms;
	/* the loop re-arms the timerfd after the current callback */
	(void)!write(((struct user *)opaque)->nfd, &one, sizeof(one));
}

static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	struct user *u = opaque;
	unsigned int i;

	for (i = 0; i < u->nreg; i++)
		if (u->reg[i].fd == fd) {
			epoll_ctl(u->epfd, EPOLL_CTL_DEL, fd, NULL);
			u->reg[i] = u->reg[--u->nreg];
			return;
		}
}

static void cb_notify(void *opaque)
{
	struct user *u = opaque;
	uint64_t one = 1;

	(void)!write(u->nfd, &one, sizeof(one));
}

static const SlirpCb user_cb = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* poll(2) events for SLIRP_POLL_* bits, and back. */
static short to_poll(int ev)
{
	return (ev & SLIRP_POLL_IN ? POLLIN : 0) |
	       (ev & SLIRP_POLL_OUT ? POLLOUT : 0) |
	       (ev & SLIRP_POLL_PRI ? POLLPRI : 0);
}

static int from_poll(short rev)
{
	return (rev & POLLIN ? SLIRP_POLL_IN : 0) |
	       (rev & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (rev & POLLPRI ? SLIRP_POLL_PRI : 0) |
	       (rev & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (rev & POLLHUP ? SLIRP_POLL_HUP : 0);
}

/* Grow *arr (of struct pollfd) to hold need entries; 0 or -ENOMEM. */
static int grow(struct pollfd **arr, unsigned int *cap, unsigned int need)
{
	struct pollfd *p;
	unsigned int n = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct user *u = opaque;

	if (grow(&u->pfd, &u->cap_pfd, u->npfd + 1))
		return -1; /* slirp then skips this socket for one round */
	u->pfd[u->npfd].fd = fd;
	u->pfd[u->npfd].events = to_poll(events);
	u->pfd[u->npfd].revents = 0;
	return u->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct user *u = opaque;

	if (idx < 0 || (unsigned int)idx >= u->npfd)
		return 0;
	return from_poll(u->pfd[idx].revents);
}

/* Make epfd watch exactly the sockets of u->pfd. */
static void sync_epoll(struct user *u)
{
	unsigned int i, j;

	for (i = 0; i < u->nreg;) {
		for (j = 0; j < u->npfd; j++)
			if (u->pfd[j].fd == u->reg[i].fd)
				break;
		if (j == u->npfd) {
			epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->reg[i].fd, NULL);
			u->reg[i] = u->reg[--u->nreg];
			continue;
		}
		i++;
	}
	for (j = 0; j < u->npfd; j++) {
		struct epoll_event ev = { .events = u->pfd[j].events,
					  .data.fd = u->pfd[j].fd };

		/* MOD also catches a closed fd whose number came back */
		if (!epoll_ctl(u->epfd, EPOLL_CTL_MOD, ev.data.fd, &ev))
			goto known;
		if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			continue;
known:
		for (i = 0; i < u->nreg; i++)
			if (u->reg[i].fd == ev.data.fd)
				break;
		if (i == u->nreg) {
			if (grow(&u->reg, &u->cap_reg, u->nreg + 1)) {
				epoll_ctl(u->epfd, EPOLL_CTL_DEL, ev.data.fd,
					  NULL);
				continue;
			}
			u->nreg++;
		}
		u->reg[i] = u->pfd[j];
	}
}

/* Run the timers that are due; returns the next expiry or -1. */
static int64_t run_timers(struct user *u)
{
	int64_t now = now_ms(), next = -1;
	struct utimer *t;
	bool ran;

	do {
		ran = false;
		for (t = u->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				slirp_handle_timer(u->slirp, t->id,
						   t->cb_opaque);
			ran = true;
			break; /* the callback may have changed the list */
		}
	} while (ran);
	for (t = u->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (next < 0 || t->expire_ms < next))
			next = t->expire_ms;
	return next;
}

/*
 * After slirp's state changed: run due timers, ask slirp which sockets to
 * watch, and set the timerfd for its next deadline.
 */
static void rearm(struct user *u)
{
	uint32_t timeout = UINT32_MAX;
	struct itimerspec its = { 0 };
	int64_t next, delay_ms = -1;

	next = run_timers(u);
	u->npfd = 0;
	slirp_pollfds_fill(u->slirp, &timeout, cb_add_poll, u);
	sync_epoll(u);
	if (next >= 0)
		delay_ms = MAX(next - now_ms(), 1);
	if (timeout != UINT32_MAX && (delay_ms < 0 || timeout < delay_ms))
		delay_ms = MAX(timeout, 1);
	if (delay_ms >= 0) {
		its.it_value.tv_sec = delay_ms / 1000;
		its.it_value.tv_nsec = (delay_ms % 1000) * 1000000;
	}
	timerfd_settime(u->tfd, 0, &its, NULL);
}

/* The private epoll set fired: let slirp look at its sockets. */
static void user_event(void *opaque, int fd, uint32_t events)
{
	struct user *u = opaque;
	uint64_t v;
	int r;

	(void)!read(u->tfd, &v, sizeof(v));
	(void)!read(u->nfd, &v, sizeof(v));
	r = poll(u->pfd, u->npfd, 0);
	slirp_pollfds_poll(u->slirp, r < 0, cb_get_revents, u);
	u->dirty = false;
	rearm(u);
}

static int user_start(struct net_backend *b)
{
	struct user *u = (struct user *)b;
	int r;

	if (u->watching)
		return 0;
	r = evloop_add(b->loop, u->epfd, EPOLLIN, user_event, u);
	if (r)
		return r;
	u->watching = true;
	/* the first round runs in the loop thread, like all the others */
	cb_notify(u);
	return 0;
}

static void user_stop(struct net_backend *b)
{
	struct user *u = (struct user *)b;

	if (u->watching)
		evloop_del(b->loop, u->epfd);
	u->watching = false;
}

static int user_send(struct net_backend *b, const struct iovec *iov,
		     unsigned int n)
{
	struct user *u = (struct user *)b;
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (iov[i].iov_len > 65536 - len)
			return -EMSGSIZE;
		memcpy(u->txbuf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	/* checked on the copy, which the guest cannot change any more */
	if (!net_user_filter(u->txbuf, len))
		return 0;
	slirp_input(u->slirp, u->txbuf, len);
	u->dirty = true; /* rearm once per batch, in user_flush */
	return 0;
}

static void user_flush(struct net_backend *b)
{
	struct user *u = (struct user *)b;

	if (!u->dirty)
		return;
	u->dirty = false;
	rearm(u);
}

static void user_rx_resume(struct net_backend *b)
{
	rxq_flush((struct user *)b);
}

static int user_set_offloads(struct net_backend *b, uint64_t f)
{
	return 0; /* none offered */
}

static void user_free(struct net_backend *b)
{
	struct user *u = (struct user *)b;
	struct utimer *t;

	user_stop(b);
	if (u->slirp)
		slirp_cleanup(u->slirp);
	while ((t = u->timers)) {
		u->timers = t->next;
		free(t);
	}
	while (u->rxq_len) {
		free(u->rxq[u->rxq_head]);
		u->rxq_head = (u->rxq_head + 1) % USER_RXQ_MAX;
		u->rxq_len--;
	}
	if (u->epfd >= 0)
		close(u->epfd);
	if (u->tfd >= 0)
		close(u->tfd);
	if (u->nfd >= 0)
		close(u->nfd);
	free(u->pfd);
	free(u->reg);
	free(u->txbuf);
	free(u);
}

static const struct net_backend_ops user_ops = {
	.name = "user",
	.start = user_start,
	.stop = user_stop,
	.send = user_send,
	.flush = user_flush,
	.rx_resume = user_rx_resume,
	.set_offloads = user_set_offloads,
	.free = user_free,
};

/* Fill cfg for the fixed user network; out4 is the outbound bind address. */
static void user_config(SlirpConfig *cfg, struct sockaddr_in *out4)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = 4;
	cfg->restricted =
		0; /* filter.c decides; restricted mode has no gateway */
	cfg->in_enabled = true;
	inet_pton(AF_INET, NET_USER_NETWORK, &cfg->vnetwork);
	inet_pton(AF_INET, NET_USER_NETMASK, &cfg->vnetmask);
	inet_pton(AF_INET, NET_USER_GATEWAY, &cfg->vhost);
	inet_pton(AF_INET, NET_USER_DHCP_START, &cfg->vdhcp_start);
	inet_pton(AF_INET, NET_USER_DNS, &cfg->vnameserver);
	cfg->in6_enabled = false;
	cfg->vhostname = "wirt";
	cfg->if_mtu = 1500;
	cfg->if_mru = 1500;
	cfg->disable_host_loopback = false; /* the gateway is 127.0.0.1 */
	cfg->enable_emu = false;
	memset(out4, 0, sizeof(*out4));
	out4->sin_family = AF_INET;
	out4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg->outbound_addr = out4;
	cfg->disable_dns = true;
	cfg->disable_dhcp = false;
}

/* Add the hostfwd rules of o; 0 or -errno with err set. */
static int add_hostfwds(struct user *u, const struct net_opts *o, char *err,
			size_t errlen)
{
	unsigned int i;

	for (i = 0; i < o->nfwd; i++) {
		const struct net_hostfwd *f = &o->fwd[i];
		char a[INET_ADDRSTRLEN];

		if (!slirp_add_hostfwd(u->slirp, f->udp, f->haddr, f->hport,
				       f->gaddr, f->gport))
			continue;
		inet_ntop(AF_INET, &f->haddr, a, sizeof(a));
		snprintf(
			err, errlen,
			"hostfwd %s:%s:%u: cannot listen there (port in use or address not on this host): pick another host port",
			f->udp ? "udp" : "tcp", a, f->hport);
		return -EADDRINUSE;
	}
	return 0;
}

int net_user_open(const struct net_opts *o, struct net_backend **out, char *err,
		  size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	SlirpConfig cfg;
	struct user *u;
	int r = -ENOMEM;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->b.ops = &user_ops;
	u->b.fd = -1;
	u->tfd = u->nfd = -1;
	u->epfd = epoll_create1(EPOLL_CLOEXEC);
	u->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	u->nfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	u->txbuf = malloc(65536);
	if (u->epfd < 0 || u->tfd < 0 || u->nfd < 0 || !u->txbuf) {
		snprintf(err, errlen, "user networking: out of resources");
		goto fail;
	}
	ev.data.fd = u->tfd;
	epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->tfd, &ev);
	ev.data.fd = u->nfd;
	epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->nfd, &ev);
	user_config(&cfg, &u->out4);
	u->slirp = slirp_new(&cfg, &user_cb, u);
	if (!u->slirp) {
		snprintf(err, errlen,
			 "user networking: libslirp failed to start");
		goto fail;
	}
	r = add_hostfwds(u, o, err, errlen);
	if (r)
		goto fail;
	*out = &u->b;
	return 0;
fail:
	user_free(&u->b);
	return r;
}
