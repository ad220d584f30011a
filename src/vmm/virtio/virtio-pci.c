// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-pci modern transport: PCI function, capabilities, common config
 * (feature negotiation, status machine, queue registers), ISR, device
 * config, notifications through ioeventfds and interrupts through MSI-X.
 * See virtio-pci.h for the BAR layout.
 *
 * Threads: BAR and config accesses run on vCPU threads under the PCI bus
 * lock, which serialises them. The device's evloop thread runs
 * queue_notify() and may call virtio_dev_interrupt()/virtio_dev_fail(),
 * which touch only atomics, eventfds and the MSI-X lock, never the bus
 * lock; so a reset may wait for a running callback (evloop_del) while
 * holding the bus lock.
 */
#include "vmm/virtio/virtio-pci.h"
#include "vmm/virtio/virtio-pci-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/kvm/irq.h"
#include "vmm/pci/pci.h"
#include "vmm/vm.h"

/* virtio_pci_cap.cfg_type */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define CAP_PCI_CFG 5

#define ISR_QUEUE 1
#define ISR_CONFIG 2

#define TRANSPORT_FEATURES                                             \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_INDIRECT_DESC | \
	 1ULL << VIRTIO_F_EVENT_IDX)

static struct vpci *to_vpci(struct virtio_dev *d)
{
	return d->transport;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

uint8_t vpci_status(const struct vpci *t)
{
	return __atomic_load_n(&t->vdev.status, __ATOMIC_ACQUIRE);
}

/* Send vector vec (if any) after setting ISR bits isr. */
static void raise(struct vpci *t, uint16_t vec, uint8_t isr)
{
	__atomic_fetch_or(&t->isr, isr, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&t->irqs, 1, __ATOMIC_RELAXED);
	if (vec != VIRTIO_MSI_NO_VECTOR)
		pci_msix_notify(&t->pci, vec);
}

static void hook_notify_queue(struct virtio_dev *d, unsigned int q)
{
	struct vpci *t = to_vpci(d);

	raise(t, __atomic_load_n(&t->qvec[q], __ATOMIC_RELAXED), ISR_QUEUE);
}

static void hook_notify_config(struct virtio_dev *d)
{
	struct vpci *t = to_vpci(d);

	__atomic_fetch_add(&t->generation, 1, __ATOMIC_SEQ_CST);
	raise(t, __atomic_load_n(&t->config_vector, __ATOMIC_RELAXED),
	      ISR_CONFIG);
}

/* ---- notifications ---------------------------------------------------- */

/* evloop: queue q was kicked (ioeventfd or the slow path). */
void vpci_kick_fn(void *opaque, int fd, uint32_t events)
{
	struct kick *k = opaque;
	struct vpci *t = k->t;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	__atomic_fetch_add(&t->kicks_seen, n, __ATOMIC_RELAXED);
	if (__atomic_load_n(&t->vdev.vqs[k->q].ready, __ATOMIC_ACQUIRE))
		t->vdev.ops->queue_notify(&t->vdev, k->q);
}

/* virtio.h get_queue_eventfds: queue q's kick eventfd and its MSI-X irqfd. */
static int hook_queue_eventfds(struct virtio_dev *d, unsigned int q,
			       int *kick_fd, int *call_fd)
{
	struct vpci *t = to_vpci(d);
	int efd;

	if (q >= t->nq)
		return -EINVAL;
	efd = pci_msix_eventfd(&t->pci,
			       __atomic_load_n(&t->qvec[q], __ATOMIC_RELAXED));
	if (efd < 0)
		return -ENOENT; /* no vector: vhost cannot interrupt */
	*kick_fd = t->kicks[q].fd;
	*call_fd = efd;
	return 0;
}

/* virtio.h set_queue_kick_owner: stop or resume reading queue q's kicks. */
static int hook_kick_owner(struct virtio_dev *d, unsigned int q, bool transport)
{
	struct vpci *t = to_vpci(d);
	int r;

	if (q >= t->nq)
		return -EINVAL;
	if (!transport)
		return evloop_del(d->loop, t->kicks[q].fd);
	r = evloop_add(d->loop, t->kicks[q].fd, EPOLLIN, vpci_kick_fn,
		       &t->kicks[q]);
	return r == -EEXIST ? 0 : r;
}

/* (Un)register the ioeventfds of the notify area at base with KVM. */
static void ioev_set(struct vpci *t, uint64_t base, bool assign)
{
	int vm_fd = t->vm->vm_fd;
	unsigned int q;

	if (vm_fd < 0 || !base)
		return;
	for (q = 0; q < t->nq; q++) {
		uint64_t a = base + VIRTIO_PCI_NOTIFY_OFF +
			     q * VIRTIO_PCI_NOTIFY_MULT;
		int r = ioeventfd_set(vm_fd, t->kicks[q].fd, a, 2, assign);

		if (r && assign)
			wirt_warn(
				"%s: queue %u: KVM_IOEVENTFD failed (%s); kicks will exit to the VMM",
				t->name, q, strerror(-r));
	}
}

/* PCI: BAR i now decodes at addr (0: nowhere). */
static void bar_moved(struct pci_dev *pd, int i, uint64_t addr)
{
	struct vpci *t = pd->opaque;

	if (i != 0)
		return;
	if (t->ioev_live)
		ioev_set(t, t->ioev_base, false);
	t->ioev_base = addr;
	t->ioev_live = t->vm->vm_fd >= 0 && addr;
	if (t->ioev_live)
		ioev_set(t, addr, true);
}

/* ---- status, features, reset ------------------------------------------ */

/*
 * vpci_reset - device reset (status 0 or guest reboot): stop the queues,
 * wait for a running queue_notify, let the device drop in-flight state,
 * then clear every transport register.
 */
void vpci_reset(struct vpci *t)
{
	struct virtio_dev *d = &t->vdev;
	unsigned int q;
	uint64_t x;

	for (q = 0; q < t->nq; q++)
		__atomic_store_n(&d->vqs[q].ready, false, __ATOMIC_SEQ_CST);
	for (q = 0; q < t->nq; q++)
		evloop_del(d->loop, t->kicks[q].fd);
	if (d->ops->reset)
		d->ops->reset(d);
	for (q = 0; q < t->nq; q++) {
		d->vqs[q] = (struct virtqueue){ .mem = d->mem,
						.size = d->ops->queue_max_size,
						.index = q };
		t->qvec[q] = VIRTIO_MSI_NO_VECTOR;
		t->qenabled[q] = false;
		(void)!read(t->kicks[q].fd, &x, sizeof(x));
		evloop_add(d->loop, t->kicks[q].fd, EPOLLIN, vpci_kick_fn,
			   &t->kicks[q]);
	}
	d->features = 0;
	t->driver_features = 0;
	t->dev_feat_sel = t->drv_feat_sel = 0;
	t->queue_sel = 0;
	t->config_vector = VIRTIO_MSI_NO_VECTOR;
	__atomic_store_n(&t->isr, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->status, 0, __ATOMIC_SEQ_CST);
}

/* Whether the driver's features are acceptable (FEATURES_OK check). */
bool vpci_features_ok(const struct vpci *t)
{
	return !(t->driver_features & ~t->offered) &&
	       (t->driver_features & 1ULL << VIRTIO_F_VERSION_1);
}

/* DRIVER_OK: make the enabled queues live and activate the device. */
void vpci_driver_ok(struct vpci *t)
{
	struct virtio_dev *d = &t->vdev;
	unsigned int q;
	int r;

	for (q = 0; q < t->nq; q++) {
		if (!t->qenabled[q])
			continue;
		d->vqs[q].event_idx = virtio_dev_has(d, VIRTIO_F_EVENT_IDX);
		d->vqs[q].indirect = virtio_dev_has(d, VIRTIO_F_INDIRECT_DESC);
		__atomic_store_n(&d->vqs[q].ready, true, __ATOMIC_RELEASE);
	}
	r = d->ops->activate ? d->ops->activate(d) : 0;
	if (r)
		virtio_dev_fail(d, "could not start its backend");
	/* kicks that came before DRIVER_OK were dropped: look now */
	for (q = 0; q < t->nq; q++) {
		uint64_t one = 1;

		if (t->qenabled[q])
			(void)!write(t->kicks[q].fd, &one, sizeof(one));
	}
}

static void write_status(struct vpci *t, uint8_t v)
{
	struct virtio_dev *d = &t->vdev;
	uint8_t old = vpci_status(t);

	if (v == 0) {
		vpci_reset(t);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK)) {
		if (vpci_features_ok(t))
			d->features = t->driver_features;
		else
			v &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	v = (v & ~VIRTIO_STATUS_NEEDS_RESET) |
	    (vpci_status(t) & VIRTIO_STATUS_NEEDS_RESET);
	__atomic_store_n(&d->status, v, __ATOMIC_SEQ_CST);
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(v & VIRTIO_STATUS_FEATURES_OK))
			virtio_dev_fail(d, "DRIVER_OK set without FEATURES_OK");
		else if (!(v & VIRTIO_STATUS_NEEDS_RESET))
			vpci_driver_ok(t);
	}
}

/* The driver enabled the selected queue: check its rings. */
static void enable_queue(struct vpci *t, unsigned int q)
{
	struct virtio_dev *d = &t->vdev;
	struct virtqueue *vq = &d->vqs[q];
	char why[80];

	if (t->qenabled[q])
		return;
	if (vq_start(vq)) {
		snprintf(why, sizeof(why),
			 "queue %u: size %u or ring addresses are invalid", q,
			 vq->size);
		virtio_dev_fail(d, why);
		return;
	}
	t->qenabled[q] = true;
	if (vpci_status(t) & VIRTIO_STATUS_DRIVER_OK) {
		vq->event_idx = virtio_dev_has(d, VIRTIO_F_EVENT_IDX);
		vq->indirect = virtio_dev_has(d, VIRTIO_F_INDIRECT_DESC);
		__atomic_store_n(&vq->ready, true, __ATOMIC_RELEASE);
	}
}

/* ---- common configuration --------------------------------------------- */

/* Render the common config structure as the guest reads it. */
static void common_image(struct vpci *t, uint8_t *c)
{
	unsigned int q = t->queue_sel;
	bool qok = q < t->nq;
	const struct virtqueue *vq = qok ? &t->vdev.vqs[q] : NULL;
	uint32_t f = 0;

	memset(c, 0, VIRTIO_PCI_COMMON_LEN);
	if (t->dev_feat_sel < 2)
		f = t->offered >> (32 * t->dev_feat_sel);
	put_le(c + 0x00, t->dev_feat_sel, 4);
	put_le(c + 0x04, f, 4);
	put_le(c + 0x08, t->drv_feat_sel, 4);
	if (t->drv_feat_sel < 2)
		put_le(c + 0x0c, t->driver_features >> (32 * t->drv_feat_sel),
		       4);
	put_le(c + 0x10, t->config_vector, 2);
	put_le(c + 0x12, t->nq, 2);
	c[0x14] = vpci_status(t);
	c[0x15] = __atomic_load_n(&t->generation, __ATOMIC_SEQ_CST);
	put_le(c + 0x16, q, 2);
	if (!qok)
		return;
	put_le(c + 0x18, vq->size, 2);
	put_le(c + 0x1a, t->qvec[q], 2);
	put_le(c + 0x1c, t->qenabled[q], 2);
	put_le(c + 0x1e, q, 2); /* queue_notify_off */
	put_le(c + 0x20, vq->desc_gpa, 8);
	put_le(c + 0x28, vq->avail_gpa, 8);
	put_le(c + 0x30, vq->used_gpa, 8);
}

/* A vector register write: keep it if the vector exists, else NO_VECTOR. */
uint16_t vpci_check_vector(const struct vpci *t, uint64_t v)
{
	return v < t->nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

/* Apply the field at off (len bytes) of the written image c. */
static void common_field(struct vpci *t, unsigned int off, const uint8_t *c)
{
	unsigned int q = t->queue_sel;
	struct virtqueue *vq = q < t->nq ? &t->vdev.vqs[q] : NULL;
	bool before_ok = !(vpci_status(t) & VIRTIO_STATUS_FEATURES_OK);
	bool qfree = vq && !t->qenabled[q];
	unsigned int half;

	switch (off) {
	case 0x00:
		t->dev_feat_sel = get_le(c, 4);
		break;
	case 0x08:
		t->drv_feat_sel = get_le(c + 8, 4);
		break;
	case 0x0c:
		if (before_ok && t->drv_feat_sel < 2) {
			half = 32 * t->drv_feat_sel;
			t->driver_features &= ~(0xffffffffULL << half);
			t->driver_features |= get_le(c + 0x0c, 4) << half;
		}
		break;
	case 0x10:
		__atomic_store_n(&t->config_vector,
				 vpci_check_vector(t, get_le(c + 0x10, 2)),
				 __ATOMIC_RELAXED);
		break;
	case 0x14:
		write_status(t, c[0x14]);
		break;
	case 0x16:
		t->queue_sel = get_le(c + 0x16, 2);
		break;
	case 0x18:
		if (qfree) {
			uint16_t s = get_le(c + 0x18, 2);

			/* checked by vq_start when the queue is enabled */
			vq->size = s <= t->vdev.ops->queue_max_size ? s : 0;
		}
		break;
	case 0x1a:
		if (vq)
			__atomic_store_n(
				&t->qvec[q],
				vpci_check_vector(t, get_le(c + 0x1a, 2)),
				__ATOMIC_RELAXED);
		break;
	case 0x1c:
		if (vq && get_le(c + 0x1c, 2) == 1)
			enable_queue(t, q);
		break;
	case 0x20:
		if (qfree)
			vq->desc_gpa = get_le(c + 0x20, 8);
		break;
	case 0x28:
		if (qfree)
			vq->avail_gpa = get_le(c + 0x28, 8);
		break;
	case 0x30:
		if (qfree)
			vq->used_gpa = get_le(c + 0x30, 8);
		break;
	}
}

/* Field start offsets and lengths of the common configuration. */
static const uint8_t common_fields[][2] = {
	{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 },
	{ 0x10, 2 }, { 0x12, 2 }, { 0x14, 1 }, { 0x15, 1 },
	{ 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 },
	{ 0x1e, 2 }, { 0x20, 8 }, { 0x28, 8 }, { 0x30, 8 },
};

static void common_access(struct vpci *t, unsigned int off, uint8_t *data,
			  unsigned int size, bool wr)
{
	uint8_t c[VIRTIO_PCI_COMMON_LEN];
	unsigned int i;

	if (off + size > VIRTIO_PCI_COMMON_LEN) {
		if (!wr)
			memset(data, 0, size);
		return;
	}
	common_image(t, c);
	if (!wr) {
		memcpy(data, c + off, size);
		return;
	}
	memcpy(c + off, data, size);
	/* every field the write touched; 64-bit ones may come in halves */
	for (i = 0; i < ARRAY_SIZE(common_fields); i++) {
		unsigned int s = common_fields[i][0], l = common_fields[i][1];

		if (off < s + l && s < off + size)
			common_field(t, s, c);
	}
}

/* ---- BAR 0 ------------------------------------------------------------ */

static void bar0_access(void *opaque, uint64_t off, uint8_t *data,
			unsigned int size, bool wr)
{
	struct vpci *t = opaque;
	const struct virtio_dev_ops *ops = t->vdev.ops;

	if (off < VIRTIO_PCI_ISR_OFF) {
		common_access(t, off, data, size, wr);
	} else if (off < VIRTIO_PCI_DEVCFG_OFF) {
		if (wr)
			return;
		memset(data, 0, size);
		if (off == VIRTIO_PCI_ISR_OFF) /* read to clear */
			data[0] = __atomic_exchange_n(&t->isr, 0,
						      __ATOMIC_SEQ_CST);
	} else if (off < VIRTIO_PCI_NOTIFY_OFF) {
		off -= VIRTIO_PCI_DEVCFG_OFF;
		if (off + size > ops->config_size) {
			if (!wr)
				memset(data, 0, size);
		} else if (wr) {
			if (ops->config_write)
				ops->config_write(&t->vdev, off, data, size);
		} else {
			memset(data, 0, size);
			if (ops->config_read)
				ops->config_read(&t->vdev, off, data, size);
		}
	} else {
		/* a kick the ioeventfd did not catch (other width) */
		uint64_t q = (off - VIRTIO_PCI_NOTIFY_OFF) /
			     VIRTIO_PCI_NOTIFY_MULT,
			 one = 1;

		if (!wr) {
			memset(data, 0, size);
			return;
		}
		if (q < t->nq) {
			__atomic_fetch_add(&t->slow_kicks, 1, __ATOMIC_RELAXED);
			(void)!write(t->kicks[q].fd, &one, sizeof(one));
		}
	}
}

/* ---- set-up, hooks ---------------------------------------------------- */

static int add_vcap(struct pci_dev *pd, uint8_t type, uint32_t off,
		    uint32_t len, bool notify)
{
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, notify ? 20 : 16, type, 0 };

	put_le(cap + 8, off, 4);
	put_le(cap + 12, len, 4);
	if (notify)
		put_le(cap + 16, VIRTIO_PCI_NOTIFY_MULT, 4);
	return pci_dev_add_cap(pd, cap, NULL, cap[2]);
}

static int hook_attach(struct vm *vm, void *opaque)
{
	struct vpci *t = opaque;

	t->ioev_live = t->ioev_base != 0;
	ioev_set(t, t->ioev_base, true);
	return 0;
}

static void hook_detach(struct vm *vm, void *opaque)
{
	struct vpci *t = opaque;

	if (t->ioev_live)
		ioev_set(t, t->ioev_base, false);
	t->ioev_live = false;
}

static void hook_reset(struct vm *vm, void *opaque)
{
	vpci_reset(opaque);
}

static void vpci_free(struct vpci *t)
{
	unsigned int q;

	if (t->vdev.loop) {
		evloop_stop(t->vdev.loop);
		evloop_free(t->vdev.loop);
	}
	for (q = 0; t->kicks && q < t->nq; q++)
		if (t->kicks[q].fd >= 0)
			close(t->kicks[q].fd);
	msix_free(t->pci.msix);
	free(t->kicks);
	free(t->qvec);
	free(t->qenabled);
	free(t->vdev.vqs);
	free(t);
}

static void hook_destroy(struct vm *vm, void *opaque)
{
	struct vpci *t = opaque;

	if (getenv("WIRT_VMM_STATS"))
		wirt_info(
			"%s: %lu kicks, %lu of them through a vCPU exit; %lu interrupts",
			t->name, t->kicks_seen, t->slow_kicks, t->irqs);
	if (t->vdev.loop)
		evloop_stop(t->vdev.loop);
	if (t->vdev.ops->destroy)
		t->vdev.ops->destroy(&t->vdev);
	vpci_free(t);
}

/*
 * The VIRTIO_PCI_CAP_PCI_CFG window (virtio 1.2, 4.1.4.9): the driver sets
 * bar, offset and length (1, 2 or 4) in the capability, then reading or
 * writing pci_cfg_data accesses the BAR there. Only BAR 0 is served.
 */
static void pcicfg_hook(struct pci_dev *pd, unsigned int off, unsigned int size,
			bool wr)
{
	struct vpci *t = pd->opaque;
	unsigned int c = t->pcicfg, data = c + 16;
	uint8_t *cap = pd->cfg + c;
	uint32_t boff = get_le(cap + 8, 4), len = get_le(cap + 12, 4);
	uint8_t buf[4] = { 0 };

	if (!c || off >= data + 4 || off + size <= data)
		return;
	if (cap[4] != 0 || (len != 1 && len != 2 && len != 4) || boff % len ||
	    boff >= VIRTIO_PCI_BAR_SIZE)
		return;
	if (wr) {
		memcpy(buf, pd->cfg + data, len);
		bar0_access(t, boff, buf, len, true);
	} else {
		bar0_access(t, boff, buf, len, false);
		memcpy(pd->cfg + data, buf, 4);
	}
}

/* Fill the PCI identity and capabilities of t. Returns 0 or -errno. */
static int setup_pci(struct vpci *t)
{
	const struct virtio_dev_ops *ops = t->vdev.ops;
	struct pci_dev *pd = &t->pci;
	int r;

	pd->name = ops->name;
	pd->vendor = VIRTIO_PCI_VENDOR;
	pd->device = VIRTIO_PCI_DEVICE_BASE + ops->device_id;
	pd->revision = 1;
	pd->subsys_vendor = VIRTIO_PCI_VENDOR;
	pd->subsys = VIRTIO_PCI_SUBSYS;
	pd->class_code = (uint32_t)ops->pci_class << 8;
	pd->bar[0].size = VIRTIO_PCI_BAR_SIZE;
	pd->bar[0].fn = bar0_access;
	pd->bar[0].opaque = t;
	pd->bar_moved = bar_moved;
	pd->opaque = t;
	r = add_vcap(pd, CAP_COMMON, VIRTIO_PCI_COMMON_OFF,
		     VIRTIO_PCI_COMMON_LEN, false);
	if (r >= 0)
		r = add_vcap(pd, CAP_ISR, VIRTIO_PCI_ISR_OFF, 4, false);
	if (r >= 0 && ops->config_size)
		r = add_vcap(pd, CAP_DEVICE, VIRTIO_PCI_DEVCFG_OFF,
			     ops->config_size, false);
	if (r >= 0)
		r = add_vcap(pd, CAP_NOTIFY, VIRTIO_PCI_NOTIFY_OFF,
			     t->nq * VIRTIO_PCI_NOTIFY_MULT, true);
	if (r >= 0) {
		/* bar, offset, length and the data window are writable */
		static const uint8_t wm[20] = { [4] = 0xff, [8 ... 19] = 0xff };
		uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, 20, CAP_PCI_CFG };

		r = pci_dev_add_cap(pd, cap, wm, sizeof(cap));
		t->pcicfg = r > 0 ? r : 0;
		pd->cfg_hook = pcicfg_hook;
	}
	if (r >= 0)
		r = pci_dev_init_msix(pd, t->nvec, 1);
	return r < 0 ? r : 0;
}

static bool ops_ok(const struct virtio_dev_ops *ops)
{
	uint16_t s = ops->queue_max_size;

	return ops->num_queues && ops->num_queues <= VIRTIO_PCI_MAX_QUEUES &&
	       s && s <= VIRTQ_MAX_SIZE && !(s & (s - 1)) &&
	       ops->config_size <=
		       VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVCFG_OFF &&
	       ops->queue_notify;
}

int virtio_pci_add(struct vm *vm, const struct virtio_dev_ops *ops, void *priv,
		   struct virtio_dev **out)
{
	struct vm_hook h = { "virtio",	 hook_attach,  hook_detach,
			     hook_reset, hook_destroy, NULL };
	struct vpci *t;
	unsigned int q;
	int r = -ENOMEM;

	if (!ops_ok(ops))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->vm = vm;
	t->nq = ops->num_queues;
	t->nvec = MIN(t->nq + 1, PCI_MSIX_MAX_VECTORS);
	t->offered = ops->features | TRANSPORT_FEATURES;
	snprintf(t->name, sizeof(t->name), "%s", ops->name);
	t->vdev =
		(struct virtio_dev){ .ops = ops,
				     .priv = priv,
				     .mem = &vm->mem,
				     .transport = t,
				     .notify_queue = hook_notify_queue,
				     .notify_config = hook_notify_config,
				     .set_needs_reset = hook_notify_config,
				     .get_queue_eventfds = hook_queue_eventfds,
				     .set_queue_kick_owner = hook_kick_owner };
	t->vdev.vqs = calloc(t->nq, sizeof(*t->vdev.vqs));
	t->qvec = calloc(t->nq, sizeof(*t->qvec));
	t->qenabled = calloc(t->nq, sizeof(*t->qenabled));
	t->kicks = calloc(t->nq, sizeof(*t->kicks));
	if (!t->vdev.vqs || !t->qvec || !t->qenabled || !t->kicks)
		goto fail;
	for (q = 0; q < t->nq; q++) {
		t->kicks[q] = (struct kick){ t, q, -1 };
		t->kicks[q].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->kicks[q].fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	t->vdev.loop = evloop_new(ops->name);
	if (!t->vdev.loop) {
		r = -errno;
		goto fail;
	}
	vpci_reset(t);
	r = setup_pci(t);
	if (!r)
		r = evloop_start(t->vdev.loop);
	if (r)
		goto fail;
	r = pci_add_dev(vm, &t->pci);
	if (r)
		goto fail;
	h.name = t->name;
	h.opaque = t;
	r = vm_add_hook(vm, &h);
	r = r ?: vpci_add_state_hook(vm, t);
	if (r) /* the bus holds t now: leave it to the bus's lifetime */
		return r;
	*out = &t->vdev;
	return 0;
fail:
	vpci_free(t);
	return r;
}
