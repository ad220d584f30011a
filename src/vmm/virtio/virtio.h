/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract between virtio devices and the virtio transport.
 *
 * A device (blk, net, rng, console, ...) fills a struct virtio_dev_ops and
 * never knows the transport; the transport (virtio-pci modern, in
 * virtio-pci.c) never knows the device type. Split virtqueues are handled
 * once, in virtqueue.c.
 *
 * Threads: every device owns one struct evloop (its I/O thread). The
 * transport registers each queue's ioeventfd in it and calls
 * ops->queue_notify() there when the guest kicks; devices add their backend
 * fds (tap, io_uring, sockets) to the same loop. vCPU threads only touch
 * config space and never do device work.
 *
 * Hostile guests: every descriptor address, length, index and chain is
 * checked by virtqueue.c; a malformed queue makes vq_pop() return -EINVAL,
 * after which the device calls virtio_dev_fail(), which logs one line and
 * sets DEVICE_NEEDS_RESET; the VM and the host go on.
 */
#ifndef WIRT_VMM_VIRTIO_H
#define WIRT_VMM_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/evloop.h"
#include "vmm/mem.h"

/* Device types (virtio 1.2, 5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_VSOCK 19

/* Device-independent feature bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* Device status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTQ_MAX_SIZE 1024
#define VQ_MAX_SEGS 256 /* longest chain a device accepts */
#define VQ_MAX_CHAIN_BYTES (128U << 20) /* most bytes one chain may cover */

/* Split virtqueue state, as configured by the driver through the transport */
struct virtqueue {
	const struct gmem *mem;
	uint16_t size; /* power of two, <= VIRTQ_MAX_SIZE */
	bool ready;
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* host pointers resolved (and bounds-checked) when the queue starts */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail; /* next avail ring entry to take */
	uint16_t used_idx; /* next used ring entry to fill */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_used_valid;
	uint16_t index; /* queue number within the device */
};

/* One request: the chain's device-readable then device-writable buffers. */
struct vq_elem {
	uint16_t head; /* descriptor index to return in the used ring */
	unsigned int n_out, n_in;
	struct iovec out[VQ_MAX_SEGS]; /* driver -> device */
	struct iovec in[VQ_MAX_SEGS]; /* device -> driver */
	size_t out_len, in_len; /* totals */
};

/*
 * vq_start - resolve and check the ring addresses of vq (on DRIVER_OK or
 * queue enable). Returns 0, or -EINVAL when a ring is not in guest RAM,
 * misaligned, or the size is not a power of two.
 */
int vq_start(struct virtqueue *vq);

/*
 * vq_pop - take the next available chain. Returns 1 with *e filled, 0 when
 * the queue is empty, -EINVAL when the guest put something malformed there
 * (bad index, address outside RAM, loop, too long, writable before readable,
 * bad indirect table); the device must then call virtio_dev_fail().
 */
int vq_pop(struct virtqueue *vq, struct vq_elem *e);

/* vq_push - return e to the driver with len bytes written into e->in. */
void vq_push(struct virtqueue *vq, const struct vq_elem *e, uint32_t len);

/*
 * vq_should_notify - whether the driver wants an interrupt for what was
 * pushed since the last call (EVENT_IDX used_event, or NO_INTERRUPT flag).
 */
bool vq_should_notify(struct virtqueue *vq);

/*
 * vq_disable_notify - while the device is busy draining the queue: ask the
 * driver not to kick (sets NO_NOTIFY; nothing with EVENT_IDX, where the
 * avail_event left by vq_enable_notify already suppresses kicks).
 */
void vq_disable_notify(struct virtqueue *vq);

/*
 * vq_enable_notify - before sleeping with an empty queue: ask the driver to
 * kick again (avail_event or clears NO_NOTIFY). Returns true when new
 * buffers arrived meanwhile (then pop again instead of sleeping).
 */
bool vq_enable_notify(struct virtqueue *vq);

/* iov helpers: copy between iovecs and a flat buffer; return bytes copied */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
		  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
		    const void *buf, size_t len);

struct virtio_dev;
struct state_writer; /* vmm/state/state.h: state_put() */

struct virtio_dev_ops {
	const char *name; /* "virtio-blk", for messages */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint16_t pci_class; /* PCI class code (e.g. 0x0100 storage) */
	unsigned int num_queues;
	uint16_t queue_max_size;
	uint64_t features; /* offered, without the transport's own bits */
	size_t config_size; /* device-specific config space length */

	/* read/write device config at off; called on a vCPU thread */
	void (*config_read)(struct virtio_dev *d, size_t off, void *buf,
			    size_t len);
	void (*config_write)(struct virtio_dev *d, size_t off, const void *buf,
			     size_t len);
	/*
	 * the driver set DRIVER_OK: queues are started, d->features final.
	 * Returns 0 or -errno (the device then reports NEEDS_RESET).
	 */
	int (*activate)(struct virtio_dev *d);
	/* the driver reset the device: drop all in-flight state. */
	void (*reset)(struct virtio_dev *d);
	/* the guest kicked queue q; runs in the device's evloop thread */
	void (*queue_notify)(struct virtio_dev *d, unsigned int q);
	/*
	 * optional: vm_destroy() is ending the device; its evloop has
	 * stopped. Free d->priv and the backend here.
	 */
	void (*destroy)(struct virtio_dev *d);

	/*
	 * Save/restore (QMP migrate, --incoming, snapshots); all optional.
	 * The transport saves and restores the queues (addresses, indices,
	 * vectors) itself; a device without in-flight work or state of its
	 * own needs none of these.
	 * migrate_blocker: why the device cannot be saved now (one phrase,
	 * e.g. "vhost-net queues run in the kernel"), or NULL.
	 * quiesce: every vCPU is parked and the transport no longer reads
	 * kicks; finish every in-flight request (vq_push it) and make what
	 * the guest wrote durable (flush). The device's evloop still runs.
	 * Called from the saving thread. Returns 0 or -errno.
	 * save: append the device's own state with state_put(); its evloop
	 * is held (no callback runs) until the whole VM is written.
	 * Returns 0 or -errno.
	 * load: the bytes save wrote (len may be 0 for an older device
	 * without state), after the transport registers are back and
	 * before activate(); hostile input, validate it. Returns 0 or
	 * -EINVAL.
	 */
	const char *(*migrate_blocker)(struct virtio_dev *d);
	int (*quiesce)(struct virtio_dev *d);
	int (*save)(struct virtio_dev *d, struct state_writer *w);
	int (*load)(struct virtio_dev *d, const void *buf, size_t len);
};

/* The transport-independent part of a device instance. */
struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv; /* the device's own state */
	const struct gmem *mem;
	struct evloop *loop; /* the device's I/O thread */
	uint64_t features; /* negotiated */
	uint8_t status;
	struct virtqueue *vqs; /* ops->num_queues of them */
	void *transport; /* opaque to devices */
	/* transport hooks, filled by the transport */
	void (*notify_queue)(struct virtio_dev *d, unsigned int q);
	void (*notify_config)(struct virtio_dev *d);
	void (*set_needs_reset)(struct virtio_dev *d);
	/*
	 * For devices whose queues the host kernel serves (vhost); may be
	 * NULL. get_queue_eventfds: the eventfd a kick of queue q signals
	 * (its KVM ioeventfd) and the one that raises its interrupt (its
	 * KVM irqfd), valid while the device is DRIVER_OK; 0 or -errno.
	 * set_queue_kick_owner: transport=false makes the transport stop
	 * reading queue q's kick eventfd (no more queue_notify for q) until
	 * called again with true; 0 or -errno.
	 */
	int (*get_queue_eventfds)(struct virtio_dev *d, unsigned int q,
				  int *kick_fd, int *call_fd);
	int (*set_queue_kick_owner)(struct virtio_dev *d, unsigned int q,
				    bool transport);
};

/* virtio_dev_has - whether feature bit fbit was negotiated. */
static inline bool virtio_dev_has(const struct virtio_dev *d,
				  unsigned int fbit)
{
	return d->features & (1ULL << fbit);
}

/*
 * virtio_dev_interrupt - after vq_push(): interrupt the driver for queue q
 * if vq_should_notify() says so (MSI-X via irqfd; any thread).
 */
void virtio_dev_interrupt(struct virtio_dev *d, unsigned int q);

/*
 * virtio_dev_fail - the guest broke the protocol: log one line naming the
 * device and why, set DEVICE_NEEDS_RESET, stop processing until reset.
 */
void virtio_dev_fail(struct virtio_dev *d, const char *why);

/*
 * virtio_dev_config_changed - the device changed its config space (e.g.
 * link status, console size): bump config_generation and send the
 * configuration-change interrupt. Any thread.
 */
void virtio_dev_config_changed(struct virtio_dev *d);

#endif
