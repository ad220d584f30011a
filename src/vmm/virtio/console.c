// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-console, single port: receiveq 0 (host to guest) and transmitq 1
 * (guest to host). Host input is buffered here and moved into the guest's
 * receive buffers by the device's evloop thread (woken by an eventfd), so
 * the queue is only ever touched from that thread.
 */
#include "vmm/virtio/vconsole.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/devices/console.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

#define RXQ 0
#define TXQ 1

struct virtio_console {
	struct vm *vm;
	struct virtio_dev *d;
	int in_fd; /* eventfd: input arrived */
	pthread_mutex_t lock; /* buf, and the receive queue */
	uint8_t buf[VIRTIO_CONSOLE_INBUF];
	size_t head, len; /* ring of pending input */
	struct vq_elem rx, tx;
};

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf,
			    size_t len)
{
	uint64_t one = 1;
	size_t n, i;

	pthread_mutex_lock(&c->lock);
	n = MIN(len, sizeof(c->buf) - c->len);
	for (i = 0; i < n; i++)
		c->buf[(c->head + c->len + i) % sizeof(c->buf)] = buf[i];
	c->len += n;
	pthread_mutex_unlock(&c->lock);
	if (n)
		(void)!write(c->in_fd, &one, sizeof(one));
	return n;
}

/* The VM's console input hook: virtio_console_input on opaque. */
static size_t con_input(void *opaque, const uint8_t *buf, size_t len)
{
	return virtio_console_input(opaque, buf, len);
}

/* Move pending input into receive buffers (evloop thread). */
static void flush_rx(struct virtio_console *c)
{
	struct virtqueue *vq = &c->d->vqs[RXQ];
	bool pushed = false;

	pthread_mutex_lock(&c->lock);
	while (c->len) {
		size_t n, i;
		int r = vq_pop(vq, &c->rx);

		if (r < 0) {
			virtio_dev_fail(c->d, "malformed receive queue");
			break;
		}
		if (r == 0) {
			if (vq_enable_notify(vq))
				continue;
			break;
		}
		n = MIN(c->len, c->rx.in_len);
		for (i = 0; i < n;) {
			size_t run = MIN(n - i, sizeof(c->buf) - c->head);

			iov_from_buf(c->rx.in, c->rx.n_in, i, c->buf + c->head,
				     run);
			c->head = (c->head + run) % sizeof(c->buf);
			c->len -= run;
			i += run;
		}
		vq_push(vq, &c->rx, n);
		pushed = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (pushed)
		virtio_dev_interrupt(c->d, RXQ);
}

static void in_fn(void *opaque, int fd, uint32_t events)
{
	struct virtio_console *c = opaque;
	uint64_t x;

	(void)!read(fd, &x, sizeof(x));
	flush_rx(c);
}

/* Guest output: every readable byte of each chain to the console. */
static void flush_tx(struct virtio_console *c)
{
	struct virtqueue *vq = &c->d->vqs[TXQ];
	bool pushed = false;

	for (;;) {
		unsigned int i;
		int r = vq_pop(vq, &c->tx);

		if (r < 0) {
			virtio_dev_fail(c->d, "malformed transmit queue");
			return;
		}
		if (r == 0) {
			if (vq_enable_notify(vq))
				continue;
			break;
		}
		for (i = 0; i < c->tx.n_out; i++)
			console_write(c->vm->console, c->tx.out[i].iov_base,
				      c->tx.out[i].iov_len);
		vq_push(vq, &c->tx, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_interrupt(c->d, TXQ);
}

static void con_notify(struct virtio_dev *d, unsigned int q)
{
	if (q == RXQ)
		flush_rx(d->priv);
	else
		flush_tx(d->priv);
}

/* Reset: wait out a flush_rx running on another thread. */
static void con_reset(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;

	pthread_mutex_lock(&c->lock);
	pthread_mutex_unlock(&c->lock);
}

static void con_free(struct virtio_console *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void con_destroy(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;

	pthread_mutex_lock(&c->vm->lock); /* console_in() holds it */
	if (c->vm->con_input_opaque == c) {
		c->vm->con_input = NULL;
		c->vm->con_input_opaque = NULL;
	}
	pthread_mutex_unlock(&c->vm->lock);
	con_free(c);
}

static const struct virtio_dev_ops con_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.pci_class = 0x0780, /* communication controller, other */
	.num_queues = 2,
	.queue_max_size = 256,
	.config_size = 8, /* cols, rows, max_nr_ports: all zero */
	.reset = con_reset,
	.queue_notify = con_notify,
	.destroy = con_destroy,
};

int virtio_console_create(struct vm *vm, const char *spec)
{
	struct virtio_console *c;
	int r;

	if (spec && *spec) {
		wirt_err("--console virtio takes no options (got '%s')", spec);
		return -EINVAL;
	}
	if (vm->con_input)
		return 0; /* --console virtio twice means the same */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->vm = vm;
	pthread_mutex_init(&c->lock, NULL);
	c->in_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->in_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = virtio_pci_add(vm, &con_ops, c, &c->d);
	if (!r)
		r = evloop_add(c->d->loop, c->in_fd, EPOLLIN, in_fn, c);
	if (r) {
		if (c->d) /* the device owns c now: freed by vm_destroy */
			goto report;
		goto fail;
	}
	pthread_mutex_lock(&vm->lock);
	vm->con_input = con_input;
	vm->con_input_opaque = c;
	pthread_mutex_unlock(&vm->lock);
	return 0;
fail:
	con_free(c);
report:
	wirt_err("--console virtio: cannot add the virtio-console device: %s",
		 strerror(-r));
	return r;
}
